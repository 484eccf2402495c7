"""Federated rounds on loopback: per-round latency and total wall time for 3 sites x R rounds.

A coordinator (SuperLink with TLS and node authentication) and three SuperNodes run as separate processes on
this machine; the plan is FedAvg (or FedProx) on the five pre-specified clinical predictors, optionally with
SecAgg+.  The federated result is compared with the same model fitted on the pooled rows and with the in-process
run of the same code.

Usage::

    .venv/bin/python benchmarks/federated_rounds.py [--rounds 10] [--n 300] [--secagg] [--strategy fedprox]
        [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from hsp_desktop.federated import deploy
from hsp_desktop.federated.coordinator import pooled_reference, run_in_process
from hsp_desktop.federated.service import make_plan
from hsp_desktop.federated.site import SiteWorker, approve_plan, load_site_data
from hsp_desktop.synthetic import generate_cohort
from models.metrics import auc_delong

SITES = ("site1", "site2", "site3")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--secagg", action="store_true")
    ap.add_argument("--strategy", choices=("fedavg", "fedprox"), default="fedavg")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="hsp-fed-bench-") as tmp:
        work = Path(tmp)
        cohort = generate_cohort(work / "cohort", n=args.n, prospective=0, seed=1, sites=3, images=False)
        plan = make_plan(
            SITES, rounds=args.rounds, secagg=args.secagg, strategy=args.strategy, federation="bench"
        )
        deploy.init_coordinator(work / "coord", list(SITES), port=deploy.free_port())
        t0 = time.monotonic()
        with deploy.Federation(work / "coord") as fed:
            fed.start_superlink()
            t_link = time.monotonic() - t0
            for s in SITES:
                approve_plan(work / "coord" / "sites" / s, plan, by="bench")
                fed.start_site(work / "coord" / "sites" / s, cohort, s)
            t_submit = time.monotonic()
            run_id, run_dir = fed.submit(plan)
            result = fed.wait(
                run_id,
                run_dir,
                timeout=3600,
                progress=lambda ev: print(json.dumps(ev), flush=True),
            )
            t_done = time.monotonic()
        t_total = time.monotonic() - t0

        datas = [load_site_data(cohort, s) for s in SITES]
        workers = []
        for d in datas:
            approve_plan(work / "inproc" / d.site, plan, by="bench")
            workers.append(SiteWorker(d, work / "inproc" / d.site))
        t1 = time.monotonic()
        local = run_in_process(plan, workers)
        t_local = time.monotonic() - t1
        ref = pooled_reference(plan, datas)

    rounds = result["round_seconds"]
    train = [r["seconds"] for r in rounds if r["phase"] == "train"]
    out = {
        "sites": len(SITES),
        "rounds": args.rounds,
        "secagg": args.secagg,
        "strategy": args.strategy,
        "n": sum(d.n for d in datas),
        "superlink_start_s": round(t_link, 1),
        "submit_to_result_s": round(t_done - t_submit, 1),
        "total_wall_s": round(t_total, 1),
        "per_round_s": [
            {"round": r["round"], "phase": r["phase"], "s": round(r["seconds"], 1)} for r in rounds
        ],
        "train_round_median_s": round(statistics.median(train), 1),
        "in_process_s": round(t_local, 2),
        "max_abs_coef_diff_vs_pooled": float(
            np.abs(np.array(result["coef_standardised"]) - ref["coef_standardised"]).max()
        ),
        "max_abs_coef_diff_vs_in_process": float(
            np.abs(np.array(result["coef_standardised"]) - local["coef_standardised"]).max()
        ),
        "auc_federated_histogram": result["pooled"]["auc"],
        "auc_pooled_exact": auc_delong(ref["y"], ref["eta"]).auc,
    }
    print(json.dumps(out, indent=2))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

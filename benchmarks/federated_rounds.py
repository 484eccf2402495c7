"""Federated rounds on loopback: per-round latency and total wall time for 3 sites x R rounds.

A coordinator (SuperLink with TLS and node authentication) and three SuperNodes run as separate processes on
this machine; the plan is FedAvg (or FedProx) on the five pre-specified clinical predictors, optionally with
SecAgg+.  The federated result is compared with the same model fitted on the pooled rows and with the in-process
run of the same code.

``--radiomics``: the cohort has CT images, each site's spleen radiomics (``DEMO_RADIOMICS``: Original,
first-order + GLCM + GLSZM, bin width 25) are extracted into its feature cache first, and the plan starts with
the Rad-score feature election (``--selection``), then ``--rounds`` Rad-score rounds; the Rad-score and the
model using it are compared with the same steps on pooled rows.  ``--engine in-process`` skips the processes.

Usage::

    .venv/bin/python benchmarks/federated_rounds.py [--rounds 10] [--n 300] [--secagg] [--strategy fedprox]
        [--radiomics [--selection lasso|stability]] [--engine flower|in-process] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from hsp_desktop.federated import deploy
from hsp_desktop.federated.coordinator import pooled_election_reference, pooled_reference, run_in_process
from hsp_desktop.federated.core import Plan
from hsp_desktop.federated.service import DEMO_RADIOMICS, make_plan, prefill_feature_cache
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
    ap.add_argument("--radiomics", action="store_true", help="Rad-score feature election first")
    ap.add_argument("--selection", choices=("lasso", "stability"), default="lasso")
    ap.add_argument("--engine", choices=("flower", "in-process"), default="flower")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="hsp-fed-bench-") as tmp:
        work = Path(tmp)
        t_gen = time.monotonic()
        cohort = generate_cohort(
            work / "cohort", n=args.n, prospective=0, seed=1, sites=3, images=args.radiomics, workers=2
        )
        extra: dict[str, Any] = {}
        if args.radiomics:
            prefill_feature_cache(cohort, DEMO_RADIOMICS)
            extra = {"radiomics": DEMO_RADIOMICS, "selection": args.selection}
            if (
                args.secagg
            ):  # public reference scaling: another synthetic cohort (seed 2), never the sites' rows
                extra["radiomics_reference"] = _reference(work / "reference")
        t_gen = time.monotonic() - t_gen
        plan = make_plan(
            SITES, rounds=args.rounds, secagg=args.secagg, strategy=args.strategy, federation="bench", **extra
        )
        if args.engine == "in-process":
            return _in_process(args, plan, cohort, work, t_gen)
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
        ref = None if plan.election else pooled_reference(plan, datas)
        figures = _election_figures(plan, datas, result) if plan.election else None

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
        "max_abs_coef_diff_vs_pooled": None
        if ref is None
        else float(np.abs(np.array(result["coef_standardised"]) - ref["coef_standardised"]).max()),
        "max_abs_coef_diff_vs_in_process": float(
            np.abs(np.array(result["coef_standardised"]) - local["coef_standardised"]).max()
        ),
        "auc_federated_histogram": result["pooled"]["auc"],
        "auc_pooled_exact": None if ref is None else auc_delong(ref["y"], ref["eta"]).auc,
    }
    if figures is not None:
        out["election"] = figures
        out["election"]["vote_round_s"] = round(result["election"]["vote_round_seconds"], 1)
        out["election"]["max_abs_rad_param_diff_vs_in_process"] = float(
            np.abs(np.array(result["election"]["rad_params"]) - local["election"]["rad_params"]).max()
        )
        del out["max_abs_coef_diff_vs_pooled"], out["auc_pooled_exact"]  # pooled_reference has no Rad-score
    print(json.dumps(out, indent=2))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return 0


def _reference(folder: Path) -> dict[str, tuple[float, float]]:
    from hsp_desktop.development.cohort import FeatureCache, derive_outcomes, extract_radiomics
    from hsp_desktop.federated.radiomics import reference_table

    ref = generate_cohort(folder, n=90, prospective=0, seed=2, sites=3, images=True, workers=2)
    clinical, labels, _, _ = derive_outcomes(ref)
    ids = [s for s in clinical.index if s in labels]
    table, _, _ = extract_radiomics(
        ref, ids, cache=FeatureCache(ref / ".cache"), settings=DEMO_RADIOMICS, icc_subset=0
    )
    return reference_table({c: table[c].to_numpy() for c in table.columns})


def _election_figures(plan: Plan, datas: list[Any], result: dict[str, Any]) -> dict[str, Any]:
    """Election, Rad-score and model-with-Rad-score figures against the same steps on pooled rows."""
    from hsp_desktop.federated.radiomics import site_radiomics

    el = result["election"]
    names = [f.name for f in plan.radiomics]
    rad = [
        site_radiomics(Path(d.source.split(" ", 1)[1]), d.ids, names, plan.radiomics_settings) for d in datas
    ]
    ref = pooled_election_reference(plan, datas, rad, el["elected"])
    fed_rad = [el["rad_coef_standardised"]["intercept"]] + [
        el["rad_coef_standardised"][n] for n in names if n in el["elected"]
    ]
    return {
        "candidates": len(names),
        "votes": {k: v for k, v in el["votes"].items() if v},
        "elected": el["elected"],
        "loso_elected": el["loso_elected"],
        "fallback": el["fallback"],
        "rad_coef_federated": fed_rad,
        "rad_coef_pooled": ref["rad_coef_standardised"].tolist(),
        "max_abs_rad_coef_diff_vs_pooled": float(
            np.abs(np.array(fed_rad) - ref["rad_coef_standardised"]).max()
        ),
        "coef_federated": result["coef_standardised"],
        "coef_pooled": ref["coef_standardised"].tolist(),
        "auc_federated_histogram": result["pooled"]["auc"],
        "auc_pooled_exact": auc_delong(ref["y"], ref["eta"]).auc,
        "auc_rad_score_alone_pooled": auc_delong(ref["y"], ref["rad_eta"]).auc,
        "loso_auc": {s: m["auc"] for s, m in result["leave_one_site_out"].items()},
    }


def _in_process(args: argparse.Namespace, plan: Plan, cohort: Path, work: Path, t_gen: float) -> int:
    datas = [load_site_data(cohort, s) for s in SITES]
    workers = []
    for d in datas:
        approve_plan(work / "inproc" / d.site, plan, by="bench")
        workers.append(SiteWorker(d, work / "inproc" / d.site))
    t1 = time.monotonic()
    result = run_in_process(plan, workers)
    out: dict[str, Any] = {
        "engine": "in-process",
        "cohort_and_features_s": round(t_gen, 1),
        "run_s": round(time.monotonic() - t1, 2),
    }
    if plan.election:
        out["election"] = _election_figures(plan, datas, result)
    else:
        ref = pooled_reference(plan, datas)
        out["max_abs_coef_diff_vs_pooled"] = float(
            np.abs(np.array(result["coef_standardised"]) - ref["coef_standardised"]).max()
        )
        out["auc_federated_histogram"] = result["pooled"]["auc"]
        out["auc_pooled_exact"] = auc_delong(ref["y"], ref["eta"]).auc
        out["loso_auc"] = {s: m["auc"] for s, m in result["leave_one_site_out"].items()}
    print(json.dumps(out, indent=2))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

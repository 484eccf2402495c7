"""``hsp federated coordinator | site | run``: a federation of transplant centres over Flower.

Coordinator::

    hsp federated coordinator init DIR --sites site1 site2 site3 [--host 127.0.0.1 --port 9200]
    hsp federated coordinator plan DIR --out plan.json [--strategy fedprox --mu 0.1 --rounds 10 --secagg ...]
        [--radiomics params.yaml --radiomics-reference ref.csv --quorum 0.5 --selection lasso]
        # the Rad-score feature election first
    hsp federated coordinator start DIR          # the SuperLink, until Ctrl-C
    hsp federated run DIR --plan plan.json       # submit to the running SuperLink, wait, print results

Site (folder = the ``sites/<name>`` folder from the coordinator: ca.crt, node.key)::

    hsp federated site show-plan plan.json
    hsp federated site approve SITE_DIR plan.json --by "Dr Li"
    hsp federated site start SITE_DIR --data COHORT_OR_REGISTRY --site site1 --superlink HOST:PORT
    hsp federated site outbox SITE_DIR

Everything on one computer (demo, tests): ``hsp federated run DIR --local-cohort COHORT [--rounds ...]``.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from pathlib import Path
from typing import Any


def _plan_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--strategy", choices=("fedavg", "fedprox"), default="fedavg")
    p.add_argument("--mu", type=float, default=0.0, help="FedProx proximal weight (default 0.1 with fedprox)")
    p.add_argument("--rounds", type=int, default=5, help="training rounds")
    p.add_argument("--local-steps", type=int, default=1, help="Newton steps per round at each site")
    p.add_argument(
        "--features", nargs="+", help="model inputs (default: the five pre-specified clinical ones)"
    )
    p.add_argument("--secagg", action="store_true", help="secure aggregation (SecAgg+) of every message")
    p.add_argument("--dp-clip", type=float, default=0.0, help="differential privacy: update clipping norm")
    p.add_argument("--dp-noise", type=float, default=0.0, help="differential privacy: noise multiplier")
    p.add_argument("--min-sites", type=int, default=2)
    p.add_argument("--federation", default="hsp")
    p.add_argument(
        "--radiomics",
        type=Path,
        help="Rad-score feature election: radiomics parameter file (PyRadiomics YAML); its features are the "
        "candidates, rad_score joins the model inputs",
    )
    p.add_argument(
        "--candidates", nargs="+", help="with --radiomics: a subset of candidates (spleen__<name>)"
    )
    p.add_argument(
        "--radiomics-reference",
        type=Path,
        help="with --radiomics: public reference centre/scale per candidate (CSV feature, center, scale); "
        "needed with --secagg",
    )
    p.add_argument("--quorum", type=float, default=0.5, help="elected: votes > quorum x voting sites")
    p.add_argument(
        "--selection", choices=("stability", "lasso"), default="lasso", help="each site's selection chain"
    )
    p.add_argument("--rad-rounds", type=int, help="Rad-score training rounds (default: --rounds)")


def register(subparsers: Any) -> None:
    """Add ``hsp federated`` and its sub-commands.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        From :func:`hsp_desktop.cli.build_parser`.
    """
    fed = subparsers.add_parser("federated", help="federated training and evaluation across centres (Flower)")
    sub = fed.add_subparsers(dest="federated_command", metavar="ROLE")

    co = sub.add_parser("coordinator", help="the coordinating centre: certificates, plans, the SuperLink")
    cosub = co.add_subparsers(dest="coordinator_command", metavar="ACTION")
    init = cosub.add_parser("init", help="create certificates (CA, SuperLink TLS) and one node key per site")
    init.add_argument("folder", type=Path)
    init.add_argument("--sites", nargs="+", required=True)
    init.add_argument("--host", default="127.0.0.1", help="address the SuperLink listens on")
    init.add_argument("--port", type=int, default=9200)
    init.add_argument(
        "--cert-hosts", nargs="+", default=["127.0.0.1", "localhost"], help="names in the TLS cert"
    )
    init.set_defaults(handler=_coordinator_init)
    plan = cosub.add_parser("plan", help="write a plan for the sites to review and approve")
    plan.add_argument("folder", type=Path)
    plan.add_argument("--out", type=Path, required=True)
    _plan_options(plan)
    plan.set_defaults(handler=_coordinator_plan)
    start = cosub.add_parser("start", help="run the SuperLink (TLS + node authentication) until Ctrl-C")
    start.add_argument("folder", type=Path)
    start.set_defaults(handler=_coordinator_start)

    site = sub.add_parser("site", help="a participating centre: review/approve plans, run the SuperNode")
    ssub = site.add_subparsers(dest="site_command", metavar="ACTION")
    show = ssub.add_parser("show-plan", help="show what a plan runs and sends")
    show.add_argument("plan", type=Path)
    show.set_defaults(handler=_site_show)
    ap = ssub.add_parser("approve", help="approve a plan for this site")
    ap.add_argument("site_dir", type=Path)
    ap.add_argument("plan", type=Path)
    ap.add_argument("--by", required=True, help="who approves (name and role)")
    ap.set_defaults(handler=_site_approve)
    st = ssub.add_parser("start", help="run this site's SuperNode until Ctrl-C (connects outbound only)")
    st.add_argument("site_dir", type=Path)
    st.add_argument("--data", type=Path, required=True, help="cohort folder or registry database")
    st.add_argument("--site", required=True, help="this site's name")
    st.add_argument("--superlink", required=True, help="coordinator address HOST:PORT")
    st.set_defaults(handler=_site_start)
    ob = ssub.add_parser("outbox", help="list every message this site sent")
    ob.add_argument("site_dir", type=Path)
    ob.set_defaults(handler=_site_outbox)

    run = sub.add_parser("run", help="submit a plan to the running coordinator and wait for the results")
    run.add_argument("folder", type=Path, help="coordinator folder (a new one with --local-cohort)")
    run.add_argument("--plan", type=Path, help="plan file (default: made from the options below)")
    run.add_argument("--local-cohort", type=Path, help="run coordinator and every site on this computer")
    run.add_argument("--sites", nargs="+", default=["site1", "site2", "site3"], help="with --local-cohort")
    run.add_argument("--timeout", type=float, default=1800.0)
    run.add_argument("--json", action="store_true", help="print the full result as JSON")
    _plan_options(run)
    run.set_defaults(handler=_run)
    fed.set_defaults(handler=lambda args: (fed.print_help(), 1)[1])


def _options(args: argparse.Namespace) -> dict[str, Any]:
    from hsp_desktop.federated.service import DEFAULT_FEATURES

    return {
        "features": args.features or DEFAULT_FEATURES,
        "federation": args.federation,
        "strategy": args.strategy,
        "mu": args.mu,
        "rounds": args.rounds,
        "local_steps": args.local_steps,
        "secagg": args.secagg,
        "dp_clip": args.dp_clip,
        "dp_noise_multiplier": args.dp_noise,
        "min_sites": args.min_sites,
        **(
            {
                "radiomics": args.radiomics,
                "candidates": args.candidates,
                "radiomics_reference": args.radiomics_reference,
                "quorum": args.quorum,
                "selection": args.selection,
                "rad_rounds": args.rad_rounds if args.rad_rounds is not None else args.rounds,
            }
            if args.radiomics is not None
            else {}
        ),
    }


def _coordinator_init(args: argparse.Namespace) -> int:
    from hsp_desktop.federated.deploy import init_coordinator

    desc = init_coordinator(args.folder, args.sites, host=args.host, port=args.port, hosts=args.cert_hosts)
    print(f"Federation created in {args.folder}: SuperLink {desc['host']}:{desc['port']}")
    for s in desc["sites"]:
        print(f"  hand {args.folder / 'sites' / s} to {s} (ca.crt, node.key; keep node.key private)")
    return 0


def _coordinator_plan(args: argparse.Namespace) -> int:
    from hsp_desktop.federated.deploy import load_federation
    from hsp_desktop.federated.service import make_plan, plan_summary

    desc = load_federation(args.folder)
    plan = make_plan(desc["sites"], **_options(args))
    args.out.write_text(json.dumps(plan.to_dict(), indent=2), encoding="utf-8")
    print(plan_summary(plan))
    print(f"Plan written to {args.out}; each site approves it with `hsp federated site approve`.")
    return 0


def _wait_forever(procs: list[Any]) -> int:
    stop = {"flag": False}

    def handler(signum: int, frame: Any) -> None:
        stop["flag"] = True

    signal.signal(signal.SIGTERM, handler)
    try:
        while not stop["flag"] and all(p.alive for p in procs):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    dead = [p for p in procs if not p.alive]
    for p in dead:
        print(
            f"{p.name} exited with code {p.popen.returncode}: {p.diagnose() or p.tail(15)}", file=sys.stderr
        )
    return 1 if dead else 0


def _coordinator_start(args: argparse.Namespace) -> int:
    from hsp_desktop.federated.deploy import Federation

    with Federation(args.folder) as fed:
        proc = fed.start_superlink()
        d = fed.desc
        print(
            f"SuperLink on {d['host']}:{d['port']} (TLS, node authentication); Ctrl-C stops it.", flush=True
        )
        return _wait_forever([proc])


def _site_show(args: argparse.Namespace) -> int:
    from hsp_desktop.federated.service import plan_summary, read_plan

    print(plan_summary(read_plan(args.plan)))
    return 0


def _site_approve(args: argparse.Namespace) -> int:
    from hsp_desktop.federated.service import plan_summary, read_plan
    from hsp_desktop.federated.site import approve_plan

    plan = read_plan(args.plan)
    print(plan_summary(plan))
    approve_plan(args.site_dir, plan, by=args.by)
    print(f"Approved plan {plan.sha256[:16]} for {args.site_dir} by {args.by}.")
    return 0


def _site_start(args: argparse.Namespace) -> int:
    from hsp_desktop.federated.deploy import Federation

    with Federation(args.site_dir) as fed:
        proc = fed.start_site(args.site_dir, args.data, args.site, superlink=args.superlink)
        print(f"SuperNode for {args.site} connecting to {args.superlink}; Ctrl-C stops it.", flush=True)
        return _wait_forever([proc])


def _site_outbox(args: argparse.Namespace) -> int:
    from hsp_desktop.federated.site import outbox, verify_outbox

    for e in outbox(args.site_dir):
        shapes = ",".join("x".join(map(str, a)) for a in e.get("arrays", []))
        print(
            f"{e['ts']}  run {e.get('run', '')}  round {e.get('round', '')}  {e['type']}  {e['bytes']} B  {shapes}"
        )
    print("hash chain intact" if verify_outbox(args.site_dir) else "HASH CHAIN BROKEN: the log was edited")
    return 0


def _run(args: argparse.Namespace) -> int:
    from hsp_desktop.federated.deploy import Federation, load_federation
    from hsp_desktop.federated.service import make_plan, read_plan, result_summary, run_on_this_computer

    def report(p: Any) -> None:
        print(f"[{100 * p.fraction:3.0f}%] {p.message}", flush=True)

    if args.local_cohort is not None:
        plan = read_plan(args.plan) if args.plan else make_plan(args.sites, **_options(args))
        if plan.election:
            from hsp_desktop.federated.service import prefill_feature_cache

            print("Extracting the sites' radiomics into the cohort's feature cache...", flush=True)
            prefill_feature_cache(args.local_cohort, json.loads(plan.radiomics_settings))
        result = run_on_this_computer(
            args.folder, args.local_cohort, plan, report=report, timeout=args.timeout
        )
    else:
        desc = load_federation(args.folder)
        plan = read_plan(args.plan) if args.plan else make_plan(desc["sites"], **_options(args))
        fed = Federation(args.folder)
        run_id, run_dir = fed.submit(plan)
        print(f"Run {run_id} submitted; results in {run_dir}", flush=True)
        result = fed.wait(
            run_id,
            run_dir,
            timeout=args.timeout,
            progress=lambda ev: print(json.dumps(ev), flush=True),
        )
    print(json.dumps(result, indent=2, default=float) if args.json else result_summary(result))
    return 0

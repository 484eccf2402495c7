"""``hsp monitor`` (prospective monitoring of every locked bundle) and ``hsp update`` (a new, updated bundle)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    """Add ``monitor`` and ``update``."""
    from hsp_desktop.pipeline.cli import add_registry_arguments

    m = subparsers.add_parser(
        "monitor",
        help="prospective monitoring per locked bundle: calibration, CUSUM, drift, competing risks",
        description=(
            "Monitor every locked model bundle that scored recipients (only predictions made before the "
            "transplant date): observed/expected with exact CI, calibration, AUC (DeLong), Brier, net benefit, "
            "subgroups, risk-adjusted CUSUM with alarm date, input drift (out-of-range, PSI, new scanner "
            "metadata), Aalen-Johansen cumulative incidence with competing events, IPCW AUC/Brier, secondary "
            "outcome trajectories. The validation dashboard shows the same numbers."
        ),
    )
    add_registry_arguments(m)
    m.add_argument("--json", action="store_true", help="print the whole report as JSON")
    m.add_argument(
        "--reference",
        type=Path,
        metavar="COHORT",
        help="development cohort folder: store its input distributions and scanner metadata as the bundle's "
        "drift reference (once per bundle)",
    )
    m.add_argument("--bundle", type=Path, help="bundle for --reference (default: the active model)")
    m.set_defaults(handler=_monitor)

    u = subparsers.add_parser(
        "update",
        help="update a locked bundle on a later cohort (closed testing) into a NEW bundle version",
        description=(
            "Choose between no update, recalibration in the large, logistic recalibration and refit of the "
            "clinical terms by the closed testing procedure (Vergouwe et al. 2017) on a cohort with known "
            "outcomes, and write a new bundle version whose manifest records the parent's hash, the method, the "
            "data hash and the test statistics. The parent bundle is never changed."
        ),
    )
    u.add_argument("--bundle", type=Path, required=True, help="parent bundle folder or shipped model name")
    u.add_argument("--cohort", type=Path, required=True, help="cohort folder with known 6-month outcomes")
    u.add_argument(
        "--subset",
        choices=("validation", "development", "all"),
        default="validation",
        help="cohort rows to use",
    )
    u.add_argument(
        "--method",
        choices=("auto", "intercept", "recalibration", "revision"),
        default="auto",
        help="auto = closed testing; otherwise the pre-specified method",
    )
    u.add_argument("--alpha", type=float, default=0.05, help="level of each closed test (default 0.05)")
    u.add_argument("--version", help="new version (default: parent version + .N)")
    u.add_argument("--out", type=Path, help="new bundle folder (default: <data dir>/models/<name>-<version>)")
    u.add_argument("--json", action="store_true", help="print the result as JSON")
    u.set_defaults(handler=_update)


def _data_dir() -> Path:
    from hsp_desktop.pipeline.paths import user_data_dir

    return user_data_dir()


def store_reference(bundle: Path, cohort: Path, data_dir: Path) -> Path:
    """Build and store a bundle's development reference from a cohort folder's development recipients."""
    from hsp_desktop.development.cohort import load_cohort
    from hsp_desktop.validation.monitor import acquisition_of, build_reference, reference_file
    from models.bundle import load_bundle

    model = load_bundle(bundle)
    ct = load_cohort(cohort, subset="development", radiomics=any("__" in n for n in model.feature_names))
    acquisitions = [acquisition_of(Path(cohort) / "images" / str(sid) / "dicom") for sid in ct.table.index]
    ref = build_reference(
        ct.table, model.feature_names, acquisitions, f"development cohort {Path(cohort).resolve()}"
    )
    path = reference_file(data_dir, model.sha256)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(ref, indent=1) + "\n", encoding="utf-8")
    return path


def format_report(report: dict[str, Any]) -> str:
    """Plain-text summary of a monitoring report (the same numbers as the JSON)."""
    c = report["counts"]
    lines = [
        f"{c['scored']} scored, {c['with_outcome']} with outcome ({c['events']} events), {c['pending']} pending, "
        f"{c['competing']} competing events."
    ]
    for b in report["bundles"]:
        k = b["counts"]
        lines.append(f"\n{b['name']} {b['version']} (manifest {b['manifest_sha256'][:12]})")
        if b.get("parent_sha256"):
            lines.append(f"  updated from {b['parent_sha256'][:12]} by {b['update_method']}")
        lines.append(
            f"  {k['scored_before_transplant']} scored before transplant, {k['with_outcome']} with outcome "
            f"({k['events']} events); {k['excluded_predictions']} predictions excluded (after transplant)"
        )
        perf = b["performance"]
        if "observed_expected" in perf:
            oe = perf["observed_expected"]
            lines.append(f"  O/E {oe['ratio']:.2f} (95% CI {oe['ci_low']:.2f}-{oe['ci_high']:.2f})")
        if "auc" in perf:
            a, cal = perf["auc"], perf["calibration"]
            lines.append(
                f"  AUC {a['auc']:.3f} ({a['ci'][0]:.3f}-{a['ci'][1]:.3f}); Brier {perf['brier']:.3f}"
            )
            lines.append(
                f"  calibration intercept {cal['intercept']:.2f} ({cal['intercept_ci'][0]:.2f} to "
                f"{cal['intercept_ci'][1]:.2f}), slope {cal['slope']:.2f} ({cal['slope_ci'][0]:.2f} to "
                f"{cal['slope_ci'][1]:.2f})"
            )
        lines.extend(f"  note: {n}" for n in perf["notes"])
        for chart in b["cusum"]:
            state = f"ALARM at {chart['alarm_date']}" if chart["alarm"] else "no alarm"
            lines.append(f"  CUSUM OR {chart['odds_ratio']:g} (limit {chart['limit']:.2f}): {state}")
        cr = b["competing_risks"]
        if "cif_at_horizon" in cr:
            lines.append(f"  cumulative incidence at day {cr['horizon_days']}: {cr['cif_at_horizon']:.3f}")
    lines.append("")
    if report["alarms"]:
        lines.append(f"{len(report['alarms'])} alarm(s):")
        lines.extend(f"  [{a['kind']}] {a['bundle']}: {a['message']}" for a in report["alarms"])
    else:
        lines.append("No alarm.")
    return "\n".join(lines)


def _monitor(args: argparse.Namespace) -> int:
    from hsp_desktop.pipeline.cli import open_and_sign_in
    from hsp_desktop.validation.monitor import monitor_registry

    data_dir = _data_dir()
    registry, _user = open_and_sign_in(args)
    with registry:
        if args.reference is not None:
            from hsp_desktop.modelstore import active_model_dir
            from hsp_desktop.reporting.cli import resolve_model

            bundle = resolve_model(args.bundle) if args.bundle else active_model_dir(registry, data_dir)
            if bundle is None:
                from hsp_desktop.errors import InputError

                raise InputError(
                    "No bundle for the reference",
                    expected="--bundle FOLDER or an active model",
                    found="none",
                    fix="pass --bundle",
                    field="bundle",
                )
            path = store_reference(Path(bundle), args.reference, data_dir)
            if not args.json:
                print(f"development reference stored: {path}")
        report = monitor_registry(registry, data_dir)
    if args.json:
        print(json.dumps(report, indent=1, sort_keys=False))
    else:
        print(format_report(report))
    return 0


def _update(args: argparse.Namespace) -> int:
    from hsp_desktop.reporting.cli import resolve_model
    from hsp_desktop.validation.updating import update_from_cohort
    from models.bundle import load_bundle

    parent_path = resolve_model(args.bundle)
    parent = load_bundle(parent_path)
    depth = len(parent.manifest.get("lineage", [])) + 1
    version = args.version or f"{parent.version}.{depth}"
    out = args.out or _data_dir() / "models" / f"{parent.name}-{version}"
    res = update_from_cohort(
        parent_path,
        args.cohort,
        out,
        subset=args.subset,
        method=args.method,
        alpha=args.alpha,
        version=version,
    )
    summary = {
        "method": res.method,
        "chosen_by": res.chosen_by,
        "bundle": None if res.out is None else str(res.out),
        "manifest_sha256": res.sha256,
        "parent_sha256": parent.sha256,
        "data_sha256": res.data_sha256,
        "n": res.n,
        "events": res.events,
        "closed_testing": res.choice,
        "calibration_before": res.calibration_before,
        "calibration_after_apparent": res.calibration_after,
    }
    if args.json:
        print(json.dumps(summary, indent=1))
        return 0
    for t in res.choice["tests"]:
        print(
            f"LR test revision vs {t['against']}: chi2 {t['chi2']:.2f} on {t['df']} df, p = {t['p_value']:.3g}"
            + (" (significant)" if t["significant"] else "")
        )
    print(f"method: {res.method} ({res.chosen_by}); {res.n} recipients, {res.events} events")
    if res.out is None:
        print("No update needed: the original model is kept (no new bundle written).")
    else:
        print(f"new bundle: {res.out} (manifest {res.sha256}); parent {parent.sha256}")
    return 0

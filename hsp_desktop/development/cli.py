"""``hsp develop`` (develop and lock a model on a cohort) and ``hsp validate`` (evaluate a locked model)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from hsp_desktop.errors import ModelArtefactError

ARTIFACTS = Path(__file__).resolve().parents[2] / "models" / "artifacts"


def register(subparsers: Any) -> None:
    """Add the ``develop`` and ``validate`` sub-commands.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        From :func:`hsp_desktop.cli.build_parser`.
    """
    dev = subparsers.add_parser(
        "develop",
        help="develop, validate internally and lock a risk model on a cohort folder",
        description="Nested CV + bootstrap optimism correction of the multimodal model and its candidates, then "
        "write a locked bundle (manifest with hashes, coefficients, figures).",
    )
    dev.add_argument(
        "--cohort", required=True, type=Path, help="cohort folder (clinical.csv, followup.csv, images/)"
    )
    dev.add_argument(
        "--out", required=True, type=Path, help="bundle folder to write, e.g. models/artifacts/NAME"
    )
    dev.add_argument("--name", help="model name (default: the --out folder name)")
    dev.add_argument("--version", default="1", help="model version recorded in the manifest")
    dev.add_argument("--seed", type=int, default=20260101)
    dev.add_argument("--n-boot", type=int, default=200, help="bootstrap resamples (>= 200 for reporting)")
    dev.add_argument("--n-repeats", type=int, default=5, help="repeats of the outer CV")
    dev.add_argument("--n-splits", type=int, default=5, help="outer CV folds")
    dev.add_argument("--jobs", type=int, default=2, help="parallel worker processes")
    dev.add_argument("--no-radiomics", action="store_true", help="clinical predictors only")
    dev.add_argument("--no-comparators", action="store_true", help="skip the GBM / random-forest comparators")
    dev.add_argument("--radiomics-settings", type=Path, help="PyRadiomics-style YAML parameter file")
    dev.add_argument(
        "--icc-subset", type=int, default=30, help="recipients re-extracted with perturbed masks"
    )
    dev.add_argument("--cache", type=Path, help="feature cache folder (default <cohort>/.hsp_feature_cache)")
    dev.add_argument(
        "--deep",
        help="CNN artefact (name under models/artifacts or a folder): adds the DL-score, out-of-fold for the "
        "recipients the CNN was trained on",
    )
    dev.add_argument(
        "--riley-override",
        metavar="REASON",
        help="lock the model although it fails Riley's sample-size criteria, for this recorded reason "
        "(printed on the validation report); without it such a model is not locked",
    )
    dev.add_argument(
        "--band-thresholds",
        nargs=2,
        type=float,
        default=(0.15, 0.40),
        metavar=("LOW", "HIGH"),
        help="risk-band cut-offs (default 0.15 0.40: below LOW routine follow-up, from HIGH early haematology "
        "review; see models.development.BAND_ACTIONS), checked against the decision curve",
    )
    dev.add_argument("--overwrite", action="store_true", help="replace an existing bundle")
    dev.add_argument(
        "--subset",
        choices=("development", "validation", "all"),
        default="development",
        help="recipients of this cohort column value (default development)",
    )
    dev.set_defaults(handler=_develop)

    val = subparsers.add_parser(
        "validate",
        help="evaluate a locked model on a new (prospective or external) cohort",
        description="AUC with DeLong CI, calibration intercept/slope and curve, Brier, decision curve and "
        "classification at the model's risk bands.",
    )
    val.add_argument("--model", required=True, help="bundle name under models/artifacts, or a bundle folder")
    val.add_argument("--cohort", required=True, type=Path)
    val.add_argument("--out", type=Path, help="JSON report (default <cohort>/validation_<model>.json)")
    val.add_argument("--cache", type=Path, help="feature cache folder")
    val.add_argument("--n-boot", type=int, default=500, help="bootstrap resamples for the CIs")
    val.add_argument(
        "--subset",
        choices=("development", "validation", "all"),
        default="all",
        help="recipients of this cohort column value (default all)",
    )
    val.set_defaults(handler=_validate)


def _bar(desc: str, total: int) -> Any:
    from hsp_desktop.cli_progress import progress_bar

    return progress_bar(total, desc, unit="step", leave=False)


def _develop(args: argparse.Namespace) -> int:
    from hsp_desktop.development.run import DevelopmentRun, develop_bundle

    run = DevelopmentRun(
        cohort=args.cohort,
        out=args.out,
        name=args.name,
        version=args.version,
        seed=args.seed,
        n_boot=args.n_boot,
        n_repeats=args.n_repeats,
        n_splits=args.n_splits,
        jobs=args.jobs,
        radiomics=not args.no_radiomics,
        comparators=not args.no_comparators,
        radiomics_settings=args.radiomics_settings,
        icc_subset=args.icc_subset,
        cache=args.cache,
        deep=resolve_model(args.deep, field="deep") if args.deep else None,
        overwrite=args.overwrite,
        subset=args.subset,
        riley_override=args.riley_override,
        band_thresholds=(float(args.band_thresholds[0]), float(args.band_thresholds[1])),
    )
    bars: dict[str, Any] = {}

    def close_bars() -> None:
        for bar in bars.values():
            bar.close()
        bars.clear()

    def extraction(done: int, total: int, sid: str) -> None:
        bar = bars.setdefault("features", _bar("features", total))
        bar.update(done - bar.n)
        bar.set_postfix_str(sid)

    def loaded(cohort: Any) -> None:
        close_bars()
        print(
            f"Cohort {args.cohort}: {cohort.summary['recipients_used']} recipients, {cohort.summary['events']} "
            f"events; {len(cohort.excluded)} left out (ineligible, pending or competing); "
            f"{cohort.table.shape[1]} feature columns"
        )

    def stage(name: str, done: int, total: int) -> None:
        bar = bars.get(name)
        if bar is None:
            close_bars()
            bar = bars[name] = _bar(name, total)
        bar.update(done - bar.n)

    out, result = develop_bundle(
        run, extraction_progress=extraction, stage_progress=stage, cohort_loaded=loaded
    )
    close_bars()
    print(summary_text(result))
    print(f"Locked bundle written to {out}")
    return 0


def summary_text(result: Any) -> str:
    """Human-readable summary of a development run."""
    lines = ["Nested CV AUC (mean over repeats):"]
    for name, cv in result.nested.items():
        lines.append(f"  {name:<11} {cv.auc_mean:.3f} (SD {cv.auc_sd:.3f})")
    choice = result.metrics.get("model_choice", {})
    lines.append(f"Model choice - {choice.get('rule', '')}")
    lines.append(f"  {choice.get('reason', '')}")
    lines.append(f"Locked model: {result.selected}")
    b = result.bootstrap[result.selected]
    lines.append(
        f"{result.selected} bootstrap ({b.n_boot}): apparent AUC {b.apparent['auc']:.3f}, optimism {b.optimism['auc']:.3f}, "
        f"Harrell-corrected {b.corrected['auc']:.3f}; out-of-bag-corrected {b.auc_oob_optimism_corrected:.3f}; "
        f".632+ {b.auc_632plus:.3f}; corrected slope {b.corrected['slope']:.2f}"
    )
    for other, t in result.paired.items():
        lines.append(
            f"Paired DeLong multimodal vs {other}: {t['auc1']:.3f} vs {t['auc2']:.3f}, "
            f"diff {t['difference']:+.3f} (95% CI {t['ci_low']:+.3f} to {t['ci_high']:+.3f}), p = {t['p_value']:.3f}"
        )
    dropped = list(getattr(result.model, "dropped_scores_", []))
    lines.append(f"Locked model terms: {', '.join(result.model.terms_)}")
    if dropped:
        lines.append(
            f"Dropped by the meta-learner (negative stacking weight, no added information): {', '.join(dropped)}"
        )
    lines.append(
        f"Odds ratios of the locked model (slopes shrunk by {result.model.shrinkage_factor_:.3f}, CIs from its "
        f"covariance x {result.model.interval_inflation_:.2f}):"
    )
    for o in result.odds_ratios:
        lines.append(
            f"  {o['name']:<18} OR {o['odds_ratio']:.2f} ({o['ci_low']:.2f}-{o['ci_high']:.2f}) {o['per']}, "
            f"p = {o['p_value']:.3g}"
        )
    return "\n".join(lines)


def resolve_model(name: str, *, field: str = "model") -> Path:
    """A bundle (or CNN artefact) folder from a name under ``models/artifacts`` or a path."""
    path = Path(name)
    if path.is_dir():
        return path
    candidate = ARTIFACTS / name
    if candidate.is_dir():
        return candidate
    raise ModelArtefactError(
        "No such model bundle" if field == "model" else "No such CNN artefact",
        expected=f"a folder, or a name under {ARTIFACTS}",
        found=name,
        fix="list the bundles in models/artifacts or give the bundle's folder",
        field=field,
    )


def _validate(args: argparse.Namespace) -> int:
    from hsp_desktop.development.cohort import load_cohort
    from models.bundle import load_bundle
    from models.development import band_table
    from models.metrics import evaluate_predictions

    folder = resolve_model(args.model)
    model = load_bundle(folder)
    needs_radiomics = any("__" in f for f in model.feature_names)
    deep = None
    if "deep_score" in model.feature_names:
        from hsp_desktop.pipeline.model_info import deep_artifact

        deep = deep_artifact(model.manifest, folder)
    settings = (model.manifest.get("radiomics") or {}).get("settings")
    bars: dict[str, Any] = {}

    def extraction(done: int, total: int, sid: str) -> None:
        bar = bars.setdefault("features", _bar("features", total))
        bar.update(done - bar.n)

    cohort = load_cohort(
        args.cohort,
        cache_dir=args.cache,
        radiomics=needs_radiomics,
        settings=settings,
        icc_subset=0,
        progress=extraction,
        subset=args.subset,
        deep=deep,
    )
    for bar in bars.values():
        bar.close()
    missing = [f for f in model.feature_names if f not in cohort.table.columns]
    if missing:
        raise ModelArtefactError(
            f"The cohort lacks inputs of model {model.name}",
            expected="every feature of the manifest",
            found=f"missing {missing[:10]}",
            fix="extract the same features (same radiomics settings) for the cohort",
            field="features",
        )
    table = cohort.table[model.feature_names]
    p = model.predict_proba(table)
    thresholds = (float(model.band_thresholds[0]), float(model.band_thresholds[1]))
    report = {
        "model": {"name": model.name, "version": model.version, "manifest_sha256": model.sha256},
        "cohort": cohort.summary,
        "outcome_definition_id": cohort.outcome_definition_id,
        "metrics": evaluate_predictions(cohort.y, p, cuts=thresholds, n_boot=args.n_boot),
        "bands": band_table(cohort.y, p, thresholds),
        "development_bands": model.manifest["bands"].get("observed"),
    }
    out = args.out or Path(args.cohort) / f"validation_{model.name}.json"
    out.write_text(json.dumps(report, indent=1, default=float) + "\n", encoding="utf-8")
    m = report["metrics"]
    auc, cal = m["auc"], m["calibration"]
    print(
        f"Model {model.name} {model.version} on {args.cohort}: n = {m['n']}, events = {m['events']}\n"
        f"  AUC {auc['auc']:.3f} (DeLong 95% CI {auc['ci_low']:.3f}-{auc['ci_high']:.3f})\n"
        f"  calibration intercept {cal['intercept']:.2f} ({cal['intercept_ci'][0]:.2f} to {cal['intercept_ci'][1]:.2f}), "
        f"slope {cal['slope']:.2f} ({cal['slope_ci'][0]:.2f} to {cal['slope_ci'][1]:.2f}), Brier {cal['brier']:.3f}"
    )
    for band, row in report["bands"].items():
        print(f"  {band:<12} n = {row['n']:<5} events {row['events']:<4} observed {row['rate']:.2f}")
    print(f"Report written to {out}")
    return 0

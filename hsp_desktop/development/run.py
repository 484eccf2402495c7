"""Develop and lock a model on a cohort folder: the one function ``hsp develop`` and the Research screen call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hsp_desktop.errors import CancelledError, InputError, ModelArtefactError

ExtractionProgress = Callable[[int, int, str], None]
StageProgress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class DevelopmentRun:
    """What to develop: cohort, output bundle and resampling sizes (validated once)."""

    cohort: Path
    out: Path
    name: str | None = None
    version: str = "1"
    seed: int = 20260101
    n_boot: int = 200
    n_repeats: int = 5
    n_splits: int = 5
    jobs: int = 2
    radiomics: bool = True
    comparators: bool = True
    radiomics_settings: Path | None = None
    icc_subset: int = 30
    cache: Path | None = None
    overwrite: bool = False
    subset: str = "development"
    deep: Path | None = None
    riley_override: str | None = None
    band_thresholds: tuple[float, float] = (0.15, 0.40)

    def __post_init__(self) -> None:
        lo, hi = self.band_thresholds
        if not 0 < lo < hi < 1:
            raise InputError(
                "Invalid risk-band thresholds",
                expected="0 < low/intermediate < intermediate/high < 1",
                found=f"{lo}, {hi}",
                fix="use the documented defaults 0.15 0.40 (models.development.BAND_ACTIONS)",
                field="band_thresholds",
            )
        if self.n_boot < 1 or self.n_repeats < 1 or self.n_splits < 2:
            raise InputError(
                "Invalid resampling sizes",
                expected="bootstrap resamples >= 1, repeats >= 1, folds >= 2",
                found=f"{self.n_boot}, {self.n_repeats}, {self.n_splits}",
                fix="use the defaults (200, 5, 5)",
                field="n_boot",
            )
        if not (Path(self.cohort) / "clinical.csv").is_file():
            raise InputError(
                "The cohort folder has no clinical.csv",
                expected="a folder with clinical.csv, followup.csv and images/",
                found=str(self.cohort),
                fix="choose a folder written by 'hsp synth' or exported in the same layout",
                field="cohort",
            )
        if self.deep is not None and not (Path(self.deep) / "manifest.json").is_file():
            raise InputError(
                "The CNN artefact folder has no manifest.json",
                expected="a CNN artefact folder (manifest.json, model.onnx, oof_scores.csv)",
                found=str(self.deep),
                fix="choose the CNN artefact, e.g. models/artifacts/cnn-demo-1, or leave it empty",
                field="deep",
            )
        if Path(self.out).exists() and not self.overwrite:
            raise ModelArtefactError(
                "A model bundle already exists there",
                expected="a new folder",
                found=str(self.out),
                fix="choose another output folder (or --overwrite)",
                field="out",
            )

    def command(self) -> str:
        """The equivalent ``hsp develop`` command (recorded in the manifest)."""
        return (
            f"hsp develop --cohort {self.cohort} --out {self.out} --seed {self.seed} --n-boot {self.n_boot} "
            f"--n-repeats {self.n_repeats} --n-splits {self.n_splits}"
            + (f" --deep {self.deep}" if self.deep is not None else "")
            + ("" if self.comparators else " --no-comparators")
            + ("" if self.radiomics else " --no-radiomics")
            + (f" --riley-override {self.riley_override!r}" if self.riley_override else "")
            + f" --band-thresholds {self.band_thresholds[0]:g} {self.band_thresholds[1]:g}"
        )


def add_outcome_handling(result: Any, run: DevelopmentRun, definition_id: str) -> None:
    """Record the estimand, the left-out recipients by reason and the sensitivity analyses in the result."""
    from hsp_desktop.development.cohort import outcome_scenarios
    from models.sensitivity import estimand, sensitivity_analyses

    clinical, scenarios, pending, counts = outcome_scenarios(Path(run.cohort), run.subset)
    result.metrics["estimand"] = estimand(definition_id)
    result.metrics["outcome_status_counts"] = {
        "eligible": sum(counts.values()),
        "derived_1": counts.get("1", 0),
        "derived_0": counts.get("0", 0),
        "competing": counts.get("competing", 0),
        "pending": counts.get("pending", 0),
        "splenic_artery_intervention": counts.get("excluded", 0),
        "handling": "complete-case (left out); see the sensitivity analyses",
    }
    result.metrics["sensitivity"] = sensitivity_analyses(
        result.model, clinical, scenarios, pending, seed=run.seed % 2**31
    )


def add_report_tables(result: Any, run: DevelopmentRun, cohort: Any, *, seed: int) -> None:
    """Table 1, subgroup performance and the decision curves of both models, for the validation report."""
    from hsp_desktop.development.cohort import outcome_scenarios
    from models.reporting_stats import decision_curves_compared, subgroup_performance, table_one

    clinical, _, _, _ = outcome_scenarios(Path(run.cohort), run.subset)
    rows = clinical.loc[list(cohort.table.index)]
    y = cohort.y
    result.metrics["table1"] = table_one(rows, y)
    result.metrics["subgroups"] = subgroup_performance(y, result.nested[result.selected].mean_oof, rows)
    compared = {k: result.nested[k].mean_oof for k in ("clinical", "multimodal") if k in result.nested}
    result.metrics["dca_compare"] = decision_curves_compared(y, compared, n_boot=200, seed=seed)
    result.metrics["missing_data"] = {
        "method": "median imputation of predictors, fitted inside every resample on training rows only; "
        "platelets, white cells, spleen volume and the DL-score must be measured (never imputed)",
        "missing_per_predictor": {
            str(c): int(cohort.table[c].isna().sum())
            for c in cohort.table.columns
            if "__" not in str(c) and int(cohort.table[c].isna().sum()) > 0
        },
    }


def develop_bundle(
    run: DevelopmentRun,
    *,
    extraction_progress: ExtractionProgress | None = None,
    stage_progress: StageProgress | None = None,
    cohort_loaded: Callable[[Any], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> tuple[Path, Any]:
    """Load the cohort (features cached), develop with nested CV and bootstrap, and write the locked bundle.

    Returns
    -------
    (Path, DevelopmentResult)
        The bundle folder and the development result.  Cancelling (``cancelled()`` true at a progress report)
        raises :class:`~hsp_desktop.errors.CancelledError` and writes no bundle.
    """
    from hsp_desktop.development.cohort import load_cohort
    from models.development import DevelopmentConfig, develop, write_bundle

    def check() -> None:
        if cancelled is not None and cancelled():
            raise CancelledError("model development cancelled; no bundle was written")

    def extraction(done: int, total: int, sid: str) -> None:
        check()
        if extraction_progress is not None:
            extraction_progress(done, total, sid)

    def stage(name: str, done: int, total: int) -> None:
        check()
        if stage_progress is not None:
            stage_progress(name, done, total)

    cohort = load_cohort(
        run.cohort,
        cache_dir=run.cache,
        radiomics=run.radiomics,
        settings=run.radiomics_settings,
        icc_subset=run.icc_subset,
        progress=extraction,
        subset=run.subset,
        deep=run.deep,
    )
    check()
    if cohort_loaded is not None:
        cohort_loaded(cohort)
    config = DevelopmentConfig(
        seed=run.seed,
        n_splits=run.n_splits,
        n_repeats=run.n_repeats,
        n_boot=run.n_boot,
        n_jobs=run.jobs,
        comparators=run.comparators,
        riley_override=run.riley_override,
        band_thresholds=run.band_thresholds,
    )
    result = develop(cohort.table, cohort.y, replicates=cohort.replicates, config=config, progress=stage)
    check()
    add_outcome_handling(result, run, cohort.outcome_definition_id)
    add_report_tables(result, run, cohort, seed=run.seed % 2**31)
    check()
    extra: dict[str, Any] = {
        "radiomics": {
            "settings": str(run.radiomics_settings) if run.radiomics_settings else None,
            **cohort.table.attrs.get("provenance", {}).get("radiomics", {}),
        },
        "command": run.command(),
    }
    if run.deep is not None:
        extra["deep"] = cohort.table.attrs.get("provenance", {}).get("deep", {})
    out = write_bundle(
        result,
        cohort.table,
        cohort.y,
        run.out,
        name=run.name or Path(run.out).name,
        version=run.version,
        outcome_definition_id=cohort.outcome_definition_id,
        training_summary=cohort.summary,
        config=config,
        extra=extra,
        overwrite=run.overwrite,
    )
    return Path(out), result

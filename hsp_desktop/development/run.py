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

    def __post_init__(self) -> None:
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
            + (f" --riley-override {self.riley_override!r}" if self.riley_override else "")
        )


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
    )
    result = develop(cohort.table, cohort.y, replicates=cohort.replicates, config=config, progress=stage)
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

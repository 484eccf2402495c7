"""``hsp demo``: the README's first command, end to end on the embedded synthetic cohort.

1. a fresh demo registry in the user data folder (``<data>/demo/demo-registry.sqlite``; a previous one is replaced),
   with a demo administrator;
2. the synthetic cohort's ``clinical.csv`` and ``followup.csv`` imported (synthetic data only: no patient exists);
3. one demo recipient scored from its DICOM series and mask with the shipped demo model
   (``models/artifacts/hsp-demo-1``) through :func:`~hsp_desktop.pipeline.run_case`;
4. the PDF written to ``<data>/demo/reports``.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

from hsp_desktop.domain import Progress
from hsp_desktop.errors import InputError
from hsp_desktop.pipeline.run import CaseResult, run_case, run_to_end

DEMO_USER = "demo"
#: The demo registry holds synthetic data only; its administrator's password is public on purpose.
DEMO_PASSWORD = "hsp-demo-synthetic"
DEMO_SITE = "HSP Desktop demo (synthetic cohort)"


def demo_folder(out: Path | str | None = None) -> Path:
    """The demo folder (``out`` or ``<user data>/demo``), created."""
    from hsp_desktop.pipeline.paths import user_data_dir

    folder = Path(out) if out is not None else user_data_dir() / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def case_paths(cohort: Path, study_id: str) -> tuple[Path, Path]:
    """The DICOM series folder and the mask of one recipient of a cohort folder (CONTRACTS section C)."""
    base = cohort / "images" / study_id
    return base / "dicom", base / "mask.nii.gz"


def pick_recipient(registry: Any, cohort: Path) -> str:
    """The first eligible recipient with images, preferring the prospective (validation) cohort."""
    candidates: list[tuple[int, str]] = []
    for row in registry.worklist(limit=None):
        sid = str(row["study_id"])
        ct, mask = case_paths(cohort, sid)
        if not (ct.is_dir() and mask.is_file()):
            continue
        record = registry.get_recipient(sid)
        if not record.get("eligible"):
            continue
        candidates.append((0 if record.get("cohort") == "validation" else 1, sid))
    if not candidates:
        raise InputError(
            "The demo cohort has no eligible recipient with images",
            expected="images/<study_id>/dicom and mask.nii.gz for an eligible recipient",
            found=str(cohort),
            fix="regenerate the demo cohort (hsp synth) with images",
            field="cohort",
        )
    return min(candidates)[1]


def fresh_registry(db: Path) -> Any:
    """Remove a previous demo registry (and its WAL/lock files) and open a new one."""
    from hsp_desktop.registry import Registry

    for suffix in ("", "-wal", "-shm", ".lock"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    return Registry.open(db)


def run_demo(
    out: Path | str | None = None,
    *,
    recipient: str | None = None,
    language: str = "en",
    model: Path | str | None = None,
    cohort: Path | str | None = None,
    progress: Callable[[Generator[Progress, None, CaseResult]], CaseResult] | None = None,
) -> CaseResult:
    """Build the demo registry, score one demo recipient and write its PDF; return the result.

    Parameters
    ----------
    out : path-like, optional
        Demo folder (default ``<user data>/demo``).
    recipient : str, optional
        Study id to score (default: see :func:`pick_recipient`).
    language : {"en", "zh"}
        Report language.
    model : path-like, optional
        Model bundle (default: the shipped demo model).
    cohort : path-like, optional
        Synthetic cohort folder (default: the embedded demo cohort, :func:`hsp_desktop.synthetic.demo_cohort_dir`).
    progress : callable, optional
        Drives the ``run_case`` generator (the CLI passes its tqdm bar); default :func:`run_to_end`.
    """
    folder = demo_folder(out)
    if cohort is None:
        from hsp_desktop.synthetic import demo_cohort_dir

        cohort = demo_cohort_dir()
    cohort = Path(cohort)
    registry = fresh_registry(folder / "demo-registry.sqlite")
    with registry:
        user = registry.add_user(DEMO_USER, DEMO_PASSWORD, "admin", by=None)
        registry.set_setting("site_name", DEMO_SITE, by=user)
        registry.set_setting("language", language, by=user)
        registry.import_csv(cohort / "clinical.csv", by=user)
        followup = cohort / "followup.csv"
        if followup.is_file():
            registry.import_followup_csv(followup, by=user)
        sid = recipient or pick_recipient(registry, cohort)
        ct, mask = case_paths(cohort, sid)
        gen = run_case(
            registry, sid, ct, mask, user=user, model=model, report_dir=folder / "reports", language=language
        )
        return progress(gen) if progress is not None else run_to_end(gen)

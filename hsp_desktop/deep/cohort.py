"""Cohort glue for the CNN: read recipients' CT + label map, preprocess them, and find their outcomes.

The preprocessing itself is :func:`models.cnn.preprocess.preprocess_case`; this module only turns application
objects (:class:`~hsp_desktop.domain.CtVolume`, :class:`~hsp_desktop.domain.LabelMap`, cohort folders) into its
arguments, so training (:mod:`hsp_desktop.deep.training`) and inference (:mod:`hsp_desktop.deep.features`) feed
the network through exactly the same code path.

A cohort folder follows CONTRACTS section C: ``clinical.csv`` (one row per recipient, ``study_id`` first),
``followup.csv`` and ``images/<study_id>/ct.nii.gz`` + ``mask.nii.gz``.  ``ground_truth.csv`` is never read.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from hsp_desktop.domain import CtVolume, LabelMap
from hsp_desktop.errors import FileFormatError, GeometryError, InputError, ValidationError
from models.cnn.preprocess import PreprocessSpec, preprocess_case

ProgressFn = Callable[[int, int], None]

#: Relative tolerance for CT/mask spacing and origin agreement (as the imaging QC gate).
GRID_TOLERANCE = 1e-3


def check_same_grid(ct: CtVolume, mask: LabelMap) -> None:
    """Refuse a mask that is not on the CT's grid (shape, spacing, origin, direction).

    Raises
    ------
    GeometryError
        Listing every difference.
    """
    problems = []
    if ct.shape != mask.shape:
        problems.append(f"shape ct {ct.shape} vs mask {mask.shape}")
    for name in ("spacing", "origin", "direction"):
        a = np.asarray(getattr(ct, name), dtype=np.float64)
        b = np.asarray(getattr(mask, name), dtype=np.float64)
        scale = 1.0 if name != "spacing" else float(np.max(np.abs(a)))
        if a.shape != b.shape or not np.allclose(a, b, rtol=0.0, atol=GRID_TOLERANCE * max(scale, 1.0)):
            problems.append(
                f"{name} ct {tuple(round(float(v), 4) for v in a)} vs mask {tuple(round(float(v), 4) for v in b)}"
            )
    if problems:
        raise GeometryError(
            "CT and mask are not on the same grid",
            expected="identical shape, spacing, origin and direction",
            found="; ".join(problems),
            fix="re-export the mask from the same CT series (or resample it onto the CT)",
            field="mask",
        )


def preprocess_volume(
    ct: CtVolume, mask: LabelMap, spec: PreprocessSpec | None = None
) -> npt.NDArray[np.float32]:
    """The CNN input of one recipient: grid check, then :func:`models.cnn.preprocess.preprocess_case`."""
    check_same_grid(ct, mask)
    return preprocess_case(ct.array, mask.array, ct.spacing, spec, direction=ct.direction)


def read_case(ct_path: Path | str, mask_path: Path | str) -> tuple[CtVolume, LabelMap]:
    """Read one recipient's CT (DICOM folder or image file) and label map through the importers."""
    from hsp_desktop.importers import read_ct, read_mask

    ct = read_ct(ct_path)
    mask = read_mask(mask_path, reference=ct)
    return ct, mask


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise FileFormatError(
            f"the cohort has no {path.name}",
            expected=str(path),
            found="no such file",
            fix="point --cohort at a folder written by `hsp synth` (or with the same layout)",
            field=path.name,
        )
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if rows and "study_id" not in rows[0]:
        raise FileFormatError(
            f"{path.name} has no study_id column",
            expected="a header with study_id",
            found=f"columns {list(rows[0])[:8]}",
            fix="export the table with its header row",
            field=path.name,
        )
    return rows


def cohort_ids(cohort: Path | str, subset: str | None = None) -> list[str]:
    """Study ids in ``clinical.csv`` order; with ``subset`` only rows whose ``cohort`` column equals it.

    A table without a ``cohort`` column counts as one development cohort.
    """
    rows = _read_csv(Path(cohort) / "clinical.csv")
    if subset is not None:
        rows = [r for r in rows if (r.get("cohort") or "development") == subset]
    ids = [r["study_id"] for r in rows]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValidationError(
            "clinical.csv lists some study ids more than once",
            expected="one row per recipient",
            found=", ".join(dupes[:10]),
            fix="remove the duplicate rows",
            field="study_id",
        )
    return ids


def case_paths(cohort: Path | str, study_id: str) -> tuple[Path, Path]:
    """``images/<id>/ct.nii.gz`` and ``mask.nii.gz`` of one recipient (checked to exist)."""
    folder = Path(cohort) / "images" / study_id
    ct_path, mask_path = folder / "ct.nii.gz", folder / "mask.nii.gz"
    for path in (ct_path, mask_path):
        if not path.is_file():
            raise FileFormatError(
                f"recipient {study_id} has no {path.name}",
                expected=str(path),
                found="no such file",
                fix="generate the cohort with images (hsp synth without --no-images) or add the files",
                field=path.name,
            )
    return ct_path, mask_path


def iter_cohort_cases(
    cohort: Path | str, ids: Sequence[str] | None = None
) -> Iterator[tuple[str, CtVolume, LabelMap]]:
    """Yield ``(study_id, ct, mask)`` for the recipients of a cohort folder (all, or ``ids`` in that order)."""
    for sid in ids if ids is not None else cohort_ids(cohort):
        ct, mask = read_case(*case_paths(cohort, sid))
        yield sid, ct, mask


def preprocess_cohort(
    cohort: Path | str,
    spec: PreprocessSpec | None = None,
    ids: Sequence[str] | None = None,
    *,
    progress: bool | ProgressFn = True,
) -> tuple[list[str], npt.NDArray[np.float32]]:
    """Read and preprocess recipients of a cohort into one array ``(N, 3, g, g, g)``.

    Parameters
    ----------
    cohort : path
        Cohort folder.
    spec : PreprocessSpec, optional
        The preprocessing (default grid).
    ids : sequence of str, optional
        Recipients to take, in that order (default: every row of ``clinical.csv``).
    progress : bool or callable
        tqdm bar, or ``progress(done, total)``.

    Returns
    -------
    (ids, array)
    """
    spec = spec or PreprocessSpec()
    chosen = list(ids) if ids is not None else cohort_ids(cohort)
    out = np.empty((len(chosen), *spec.input_shape), dtype=np.float32)
    bar: Any = None
    if progress is True:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(chosen), desc="preprocess CT", unit="case", leave=False)
    try:
        for i, (sid, ct, mask) in enumerate(iter_cohort_cases(cohort, chosen)):
            try:
                out[i] = preprocess_volume(ct, mask, spec)
            except InputError as exc:
                exc.message = f"recipient {sid}: {exc.message}"
                raise
            if bar is not None:
                bar.update(1)
            elif callable(progress):
                progress(i + 1, len(chosen))
    finally:
        if bar is not None:
            bar.close()
    return chosen, out


def read_labels_csv(path: Path | str) -> dict[str, int]:
    """Outcomes from a two-column CSV (``study_id``, ``y`` with 0/1; empty = unknown, skipped).

    Raises
    ------
    ValidationError
        Listing every row whose ``y`` is not 0, 1 or empty.
    """
    from hsp_desktop.errors import Problem

    rows = _read_csv(Path(path))
    if rows and "y" not in rows[0]:
        raise FileFormatError(
            "the labels file has no y column",
            expected="columns study_id,y",
            found=f"columns {list(rows[0])}",
            fix="write the outcome (0/1) in a column named y",
            field="y",
        )
    labels: dict[str, int] = {}
    problems = []
    for i, row in enumerate(rows, start=2):
        value = (row.get("y") or "").strip()
        if value == "":
            continue
        if value not in ("0", "1", "0.0", "1.0"):
            problems.append(Problem("y", value, "not 0 or 1", "write 0, 1 or leave empty", row=i))
            continue
        labels[row["study_id"]] = int(float(value))
    if problems:
        raise ValidationError(f"{Path(path).name} has invalid outcomes", problems=problems, field="y")
    return labels


def cohort_outcomes(cohort: Path | str) -> tuple[dict[str, int], dict[str, Any]]:
    """Derive each recipient's 6-month outcome from ``followup.csv`` (the clinical outcome definition).

    Recipients whose outcome is pending or a competing event are left out (never counted as 0).

    Returns
    -------
    (labels, summary)
        ``labels`` maps study id to 0/1; ``summary`` records the definition id and the counts per status.
    """
    from hsp_desktop.clinical.outcome import OutcomeDefinition, derive_outcome

    cohort = Path(cohort)
    clinical = _read_csv(cohort / "clinical.csv")
    visits_by_id: dict[str, list[dict[str, Any]]] = {}
    for row in _read_csv(cohort / "followup.csv"):
        visits_by_id.setdefault(row["study_id"], []).append(dict(row))
    definition = OutcomeDefinition()
    labels: dict[str, int] = {}
    counts: dict[str, int] = {}
    for row in clinical:
        sid = row["study_id"]
        result = derive_outcome(
            dict(row),
            visits_by_id.get(sid, []),
            row["transplant_date"],
            None,  # a development cohort's follow-up is complete
            definition,
        )
        status = result.status
        counts[str(status)] = counts.get(str(status), 0) + 1
        if status in (0, 1):
            labels[sid] = int(status)
    summary = {
        "source": "followup.csv via hsp_desktop.clinical.outcome.derive_outcome",
        "definition_id": definition.definition_id,
        "status_counts": counts,
    }
    return labels, summary

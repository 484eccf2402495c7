"""Batch extraction over a PyRadiomics-style case list (``Image,Mask[,Label]``), parallel across cases.

Each case runs in a worker process; a failing case is reported (its error type and message) and skipped, and the
others are kept.  Results are written atomically: the CSV appears complete or not at all.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hsp_desktop.errors import InputError

__all__ = ["BatchResult", "Case", "extract_batch", "extract_case", "read_cases", "write_csv"]


@dataclass(frozen=True)
class Case:
    """One row of the case list."""

    image: Path
    mask: Path
    label: int | None = None
    row: int = 0


@dataclass
class BatchResult:
    """Rows of features (in case order) and the failures (row, image, error type, message)."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)


def read_cases(path: Path | str) -> list[Case]:
    """Read ``Image,Mask[,Label]`` rows (paths relative to the CSV's folder).

    Raises
    ------
    InputError
        Missing file, missing columns, empty list or a non-integer label (naming the row).
    """
    csv_path = Path(path)
    if not csv_path.is_file():
        raise InputError(
            "case list not found",
            expected="a CSV file with Image,Mask[,Label] columns",
            found=str(csv_path),
            fix="check the --batch path",
            field="batch",
        )
    with csv_path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        columns = reader.fieldnames or []
        if "Image" not in columns or "Mask" not in columns:
            raise InputError(
                "case list lacks the Image/Mask columns",
                expected="columns Image, Mask (and optionally Label)",
                found=", ".join(columns) or "no header",
                fix="use PyRadiomics' batch CSV layout",
                field="batch",
            )
        cases = []
        for i, row in enumerate(reader, start=2):
            label_text = (row.get("Label") or "").strip()
            try:
                label = int(label_text) if label_text else None
            except ValueError as exc:
                raise InputError(
                    f"row {i}: Label is not a whole number",
                    expected="an integer label",
                    found=repr(label_text),
                    fix="write the label value, e.g. 1",
                    field="Label",
                ) from exc
            base = csv_path.parent
            cases.append(Case(base / row["Image"].strip(), base / row["Mask"].strip(), label, i))
    if not cases:
        raise InputError(
            "case list is empty",
            expected="at least one case row",
            found="0 rows",
            fix="add cases",
            field="batch",
        )
    return cases


def extract_case(case: Case, settings: Any, mode: str | None = None, qc: bool = True) -> dict[str, Any]:
    """Read one case and extract its features; returns the CSV row (Image, Mask, Label, features...)."""
    from hsp_desktop.importers import read_ct, read_mask
    from hsp_desktop.radiomics.extractor import extract_features

    ct = read_ct(case.image, stored_type=True)  # int16 CT stays int16, as PyRadiomics reads it
    mask = read_mask(case.mask, reference=ct)
    # one thread per case: the batch is already parallel across cases
    fv = extract_features(ct, mask, settings, label=case.label, mode=mode, qc=qc, threads=1)
    label = case.label if case.label is not None else fv.settings["setting"]["label"]
    return {"Image": str(case.image), "Mask": str(case.mask), "Label": label, **fv.values}


def _worker(case: Case, settings: Any, mode: str | None, qc: bool) -> tuple[bool, dict[str, Any]]:
    try:
        return True, extract_case(case, settings, mode, qc)
    except Exception as exc:  # noqa: BLE001 - the failure is this case's row in the batch's error report
        return False, {
            "row": case.row,
            "Image": str(case.image),
            "error": type(exc).__name__,
            "message": str(exc),
        }


def extract_batch(
    cases: Sequence[Case],
    settings: Any = None,
    *,
    mode: str | None = None,
    jobs: int | None = None,
    qc: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> BatchResult:
    """Extract features of many cases, in parallel worker processes.

    Parameters
    ----------
    cases : sequence of Case
        The cases.
    settings : ExtractionSettings, dict, path or None
        Extraction settings (validated once here).
    mode : str, optional
        ``pyradiomics`` or ``ibsi``.
    jobs : int, optional
        Worker processes (default: CPU count, at most the number of cases); 1 runs in this process.
    qc : bool
        Run the QC gate for every case.
    progress : callable, optional
        ``progress(done, total)`` after each case.

    Returns
    -------
    BatchResult
    """
    from hsp_desktop.radiomics.settings import load_params

    s = load_params(settings, mode=mode)
    n_jobs = max(1, min(jobs or os.cpu_count() or 1, len(cases)))
    results: dict[int, tuple[bool, dict[str, Any]]] = {}
    if n_jobs == 1:
        for i, case in enumerate(cases):
            results[i] = _worker(case, s, None, qc)
            if progress:
                progress(i + 1, len(cases))
    else:
        with ProcessPoolExecutor(max_workers=n_jobs) as pool:
            futures = {pool.submit(_worker, case, s, None, qc): i for i, case in enumerate(cases)}
            for done, future in enumerate(as_completed(futures), start=1):
                results[futures[future]] = future.result()
                if progress:
                    progress(done, len(cases))
    out = BatchResult()
    for i in range(len(cases)):
        ok, payload = results[i]
        (out.rows if ok else out.failures).append(payload)
    return out


def write_csv(rows: Sequence[dict[str, Any]], path: Path | str) -> Path:
    """Write rows to CSV atomically (temporary file, then rename); columns in first-seen order."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    columns: list[str] = []
    seen: set[str] = set()
    for row in rows:
        for key in row:
            if key not in seen:
                seen.add(key)
                columns.append(key)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns)
            writer.writeheader()
            for row in rows:
                writer.writerow({k: (repr(v) if isinstance(v, float) else v) for k, v in row.items()})
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target

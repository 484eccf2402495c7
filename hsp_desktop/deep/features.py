"""``hsp deep-features``: deep score and deep features of recipients through ONNX Runtime (no torch).

Used by the scoring pipeline for one recipient (:func:`deep_features_for_case`) and by model development for a
cohort (:func:`deep_features_for_cohort`).  Every row carries the execution provider that produced it and the
model/manifest hashes.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from hsp_desktop.deep.cohort import case_paths, cohort_ids, preprocess_volume, read_case
from hsp_desktop.domain import CtVolume, FeatureVector, LabelMap
from hsp_desktop.errors import InputError
from models.deep import DeepModel, DeepResult, ProgressFn


def load_model(folder: Path | str, *, provider: str | None = None, threads: int | None = None) -> DeepModel:
    """Open a CNN artefact (manifest checked now; model hash checked on first use)."""
    return DeepModel(folder, provider=provider, intra_op_threads=threads)


def deep_features_for_case(model: DeepModel, ct: CtVolume, mask: LabelMap) -> DeepResult:
    """Deep score and features of one recipient (grid check, shared preprocessing, ONNX Runtime)."""
    x = preprocess_volume(ct, mask, model.spec)
    return model.run(x[None]).case(0)


def as_feature_vector(result: DeepResult) -> FeatureVector:
    """The result as a :class:`~hsp_desktop.domain.FeatureVector` (``deep_score``, ``deep_emb_*``)."""
    return FeatureVector(
        values=result.features(),
        settings={"preprocessing": result.preprocessing, "model_sha256": result.model_sha256},
        engine=f"onnxruntime CNN {result.model_name} ({result.provider})",
        roi="spleen+liver",
    )


def deep_features_for_cohort(
    model: DeepModel,
    cohort: Path | str,
    ids: Sequence[str] | None = None,
    *,
    batch_size: int = 8,
    progress: bool | ProgressFn = True,
) -> list[dict[str, Any]]:
    """Rows ``study_id, deep_score, deep_emb_1.., provider, model, model_sha256, preprocessing`` for a cohort."""
    chosen = list(ids) if ids is not None else cohort_ids(cohort)

    def images() -> Iterator[npt.NDArray[np.float32]]:
        for sid in chosen:
            ct, mask = read_case(*case_paths(cohort, sid))
            try:
                yield preprocess_volume(ct, mask, model.spec)
            except InputError as exc:
                exc.message = f"recipient {sid}: {exc.message}"
                raise

    out = model.predict_many(images(), total=len(chosen), batch_size=batch_size, progress=progress)
    rows = []
    for i, sid in enumerate(chosen):
        result = out.case(i)
        rows.append({"study_id": sid, **result.features(), **result.provenance()})
    return rows


def write_rows_csv(rows: Sequence[dict[str, Any]], path: Path | str) -> Path:
    """Write rows to CSV atomically (a temporary file renamed into place)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            for row in rows:
                writer.writerow({k: (f"{v:.6f}" if isinstance(v, float) else v) for k, v in row.items()})
        Path(tmp).chmod(0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path

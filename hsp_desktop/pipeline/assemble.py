"""Assemble one recipient's feature table: named columns in the locked model's order.

Column naming follows :mod:`models.features`: clinical columns use the data-dictionary names (dictionary units),
radiomics columns are ``"<roi>__<PyRadiomics name>"`` (e.g. ``"spleen__original_firstorder_Mean"``), deep columns
are ``deep_score`` and ``deep_emb_<i>``.  A missing clinical value becomes NaN (the locked model imputes it or
refuses it); a missing imaging feature is an error, because it means the extraction settings do not match the
model's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from hsp_desktop.errors import ModelArtefactError

RADIOMICS_SEPARATOR = "__"


def block_of(column: str) -> str:
    """``"radiomics"`` for ``roi__feature``, ``"deep"`` for ``deep_score``/``deep_emb_*``, else ``"clinical"``."""
    if column == "deep_score" or column.startswith("deep_emb_"):
        return "deep"
    if RADIOMICS_SEPARATOR in column:
        return "radiomics"
    return "clinical"


def needs(feature_names: Sequence[str]) -> set[str]:
    """The blocks a model's feature list draws on."""
    return {block_of(c) for c in feature_names}


def radiomics_rois(feature_names: Sequence[str]) -> list[str]:
    """ROI prefixes of the radiomics columns, in first-seen order."""
    out: list[str] = []
    for c in feature_names:
        if block_of(c) == "radiomics":
            roi = c.split(RADIOMICS_SEPARATOR, 1)[0]
            if roi not in out:
                out.append(roi)
    return out


def _number(value: Any) -> float:
    if value is None:
        return math.nan
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    if hasattr(value, "item"):
        return float(value.item())
    raise TypeError(type(value).__name__)


CATEGORICAL_CODES: dict[str, dict[str, float]] = {
    "sex": {"M": 1.0, "F": 0.0},
}


def assemble_row(
    study_id: str,
    clinical: Mapping[str, Any],
    radiomics: Mapping[str, Mapping[str, float]],
    deep: Mapping[str, float],
    feature_names: Sequence[str],
) -> Any:
    """Return a one-row ``pandas.DataFrame`` (index ``study_id``) with exactly ``feature_names`` as columns.

    Parameters
    ----------
    study_id : str
        The recipient.
    clinical : mapping
        Validated pre-operative values in dictionary units.
    radiomics : mapping
        ROI name -> PyRadiomics feature name -> value.
    deep : mapping
        ``deep_score`` / ``deep_emb_<i>`` -> value.
    feature_names : sequence of str
        The locked model's ordered feature list.

    Raises
    ------
    ModelArtefactError
        Listing every imaging feature the model needs that the extraction did not produce, or a clinical column
        that is not a number.
    """
    import pandas as pd

    row: dict[str, float] = {}
    missing: list[str] = []
    not_numeric: list[str] = []
    for name in feature_names:
        block = block_of(name)
        if block == "radiomics":
            roi, feature = name.split(RADIOMICS_SEPARATOR, 1)
            value = radiomics.get(roi, {}).get(feature)
            if value is None:
                missing.append(name)
                continue
            row[name] = float(value)
        elif block == "deep":
            if name not in deep:
                missing.append(name)
                continue
            row[name] = float(deep[name])
        else:
            raw = clinical.get(name)
            if isinstance(raw, str):
                code = CATEGORICAL_CODES.get(name, {}).get(raw)
                if code is None:
                    not_numeric.append(f"{name}={raw!r}")
                    continue
                row[name] = code
                continue
            try:
                row[name] = _number(raw)
            except (TypeError, ValueError):
                not_numeric.append(f"{name}={raw!r}")
    if missing or not_numeric:
        problems = []
        if missing:
            shown = ", ".join(missing[:8]) + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")
            problems.append(f"not produced by the extraction: {shown}")
        if not_numeric:
            problems.append(f"not numeric: {', '.join(not_numeric)}")
        raise ModelArtefactError(
            "The feature table does not match the locked model's feature list",
            expected=f"{len(feature_names)} named columns of the model",
            found="; ".join(problems),
            fix="extract with the radiomics/CNN settings recorded in the model bundle, or use the model built for "
            "these settings",
            field="feature_table",
        )
    return pd.DataFrame([row], index=pd.Index([study_id], name="study_id"), columns=list(feature_names))

"""The feature-table contract between feature producers and the model.

A feature table is a ``pandas.DataFrame`` with one row per recipient (index = ``study_id``) and named columns in
blocks:

* ``clinical`` / ``labs`` - the data-dictionary names in dictionary units (``platelets``, ``spleen_volume_ml``...);
* ``radiomics`` - ``"<roi>__<PyRadiomics name>"``, e.g. ``"spleen__original_firstorder_Mean"``;
* ``deep`` - ``"deep_score"`` (the CNN's logit: log-odds, as :class:`models.deep.DeepResult` gives it; for
  development recipients the CNN's out-of-fold logit) and/or ``"deep_emb_1"``, ``"deep_emb_2"``, ...

``table.attrs["provenance"]`` maps each block to where it came from (engine, version, settings hash), so a
bundle records what its inputs were.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

#: Dictionary units (CONTRACTS section A) and hard ranges (CLINICAL.md section 2) of the numeric model inputs.
CLINICAL_UNITS: dict[str, tuple[str, str, tuple[float, float]]] = {
    "age": ("Age", "years", (18, 75)),
    "bmi": ("BMI", "kg/m2", (12, 60)),
    "meld": ("MELD", "points", (6, 40)),
    "child_pugh": ("Child-Pugh score", "points", (5, 15)),
    "platelets": ("Platelets", "x10^9/L", (1, 1500)),
    "wbc": ("White cells", "x10^9/L", (0.1, 100)),
    "haemoglobin": ("Haemoglobin", "g/L", (30, 220)),
    "bilirubin": ("Bilirubin", "umol/L", (1, 1000)),
    "albumin": ("Albumin", "g/L", (10, 60)),
    "inr": ("INR", "ratio", (0.7, 10)),
    "creatinine": ("Creatinine", "umol/L", (10, 1500)),
    "sodium": ("Sodium", "mmol/L", (100, 175)),
    "spleen_volume_ml": ("Spleen volume", "ml", (30, 5000)),
    "spleen_length_cm": ("Spleen length", "cm", (3, 35)),
    "portal_vein_mm": ("Portal-vein diameter", "mm", (4, 35)),
    "splenic_vein_mm": ("Splenic-vein diameter", "mm", (2, 30)),
    "splenic_artery_mm": ("Splenic-artery diameter", "mm", (1, 20)),
    "liver_volume_ml": ("Liver volume", "ml", (300, 5000)),
    "splenorenal_shunt": ("Spontaneous splenorenal shunt", "0/1", (0, 1)),
    "hcc": ("Hepatocellular carcinoma", "0/1", (0, 1)),
    "deep_score": ("CNN deep-learning score (DL-score)", "log-odds", (-30, 30)),
}

BLOCKS = ("clinical", "radiomics", "deep")


def block_of(column: str) -> str:
    """Return the block a column belongs to.

    Parameters
    ----------
    column : str
        Column name.

    Returns
    -------
    str
        ``"radiomics"`` for ``roi__feature`` names, ``"deep"`` for ``deep_score``/``deep_emb_*``, else ``"clinical"``.
    """
    if column == "deep_score" or column.startswith("deep_emb_"):
        return "deep"
    if "__" in column:
        return "radiomics"
    return "clinical"


def split_blocks(columns: Any) -> dict[str, list[str]]:
    """Group column names by block, keeping their order.

    Parameters
    ----------
    columns : iterable of str
        Column names.

    Returns
    -------
    dict
        Block name -> list of columns (every block present, possibly empty).
    """
    out: dict[str, list[str]] = {b: [] for b in BLOCKS}
    for c in columns:
        out[block_of(str(c))].append(str(c))
    return out


def radiomics_columns(columns: Any, rois: tuple[str, ...] = ("spleen",)) -> list[str]:
    """Radiomics columns of the given ROIs, in table order.

    Parameters
    ----------
    columns : iterable of str
        Column names.
    rois : tuple of str
        ROI prefixes to keep.

    Returns
    -------
    list of str
        Matching columns.
    """
    return [c for c in split_blocks(columns)["radiomics"] if c.split("__", 1)[0] in rois]


#: Shape features that measure the size of an organ (IBSI/PyRadiomics names): they duplicate a clinical size
#: predictor of the same organ (the spleen's volume or length), so they are kept out of that organ's Rad-score
#: candidates when the model already holds the clinical size (issue 16 item 4); scale-free shape features
#: (sphericity, elongation, flatness) stay candidates.
SIZE_SHAPE_FEATURES = frozenset(
    {
        "MeshVolume",
        "VoxelVolume",
        "SurfaceArea",
        "SurfaceVolumeRatio",
        "MajorAxisLength",
        "MinorAxisLength",
        "LeastAxisLength",
        "Maximum3DDiameter",
        "Maximum2DDiameterSlice",
        "Maximum2DDiameterColumn",
        "Maximum2DDiameterRow",
    }
)
#: Clinical predictors that measure an organ's size, by radiomics ROI.
CLINICAL_SIZE_PREDICTORS = {"spleen": frozenset({"spleen_volume_ml", "spleen_length_cm"})}


def size_duplicates(columns: Any, clinical: Any) -> list[str]:
    """Radiomics size-shape columns that duplicate a clinical size predictor of the same ROI.

    Parameters
    ----------
    columns : iterable of str
        Radiomics column names (``"<roi>__<image type>_shape_<Feature>"``).
    clinical : iterable of str
        The model's clinical predictors.

    Returns
    -------
    list of str
        Columns to keep out of the Rad-score candidates, in input order.
    """
    clin = set(clinical)
    out = []
    for c in columns:
        roi, _, name = str(c).partition("__")
        if not clin & CLINICAL_SIZE_PREDICTORS.get(roi, frozenset()):
            continue
        kind, _, feature = name.rpartition("_")
        if kind.endswith("shape") and feature in SIZE_SHAPE_FEATURES:
            out.append(str(c))
    return out


def assemble(blocks: Mapping[str, pd.DataFrame], provenance: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """Join per-block tables (same index) into one feature table with provenance.

    Parameters
    ----------
    blocks : mapping
        Block name -> DataFrame indexed by ``study_id``.
    provenance : mapping
        Block name -> description (engine, version, settings hash...).

    Returns
    -------
    pandas.DataFrame
        Columns of every block, ``attrs["provenance"]`` and ``attrs["blocks"]`` set.

    Raises
    ------
    ValueError
        When indices differ or a column appears in two blocks.
    """
    frames = list(blocks.values())
    if not frames:
        raise ValueError("no feature blocks to assemble")
    index = frames[0].index
    for name, frame in blocks.items():
        if not frame.index.equals(index):
            missing = sorted(set(index) - set(frame.index))[:5]
            extra = sorted(set(frame.index) - set(index))[:5]
            raise ValueError(
                f"block {name!r} covers other recipients (missing {missing}, extra {extra}): "
                "extract every block for the same recipients"
            )
    table = pd.concat(frames, axis=1)
    dup = table.columns[table.columns.duplicated()].tolist()
    if dup:
        raise ValueError(f"columns appear in more than one block: {dup[:5]}")
    table.attrs["provenance"] = {k: dict(v) for k, v in provenance.items()}
    table.attrs["blocks"] = {k: list(v.columns) for k, v in blocks.items()}
    return table

"""Realistic data-entry and export mistakes, injected into a labelled fraction of a synthetic cohort.

Each injected recipient gets exactly one mistake, recorded in ``ground_truth.csv`` column ``injected_error``:

``platelets_per_ul``   platelets typed per µL (66 -> 66000)
``bilirubin_mg_dl``    bilirubin typed in mg/dL (35 µmol/L -> 2.05)
``out_of_range``       an extra digit: haemoglobin 108 -> 1080 g/L (weight 70 -> 700 kg when Hb is missing)
``swapped_dates``      transplant and CT dates swapped
``missing_slices``     one DICOM file of the CT series missing (images only)
``mask_wrong_grid``    the label map written on another grid (origin shifted by two slices; images only)

Every one of them must be caught by the product: the data dictionary (unit traps, ranges, date order), the DICOM
importer (slice gaps) and the geometry check (mask grid).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hsp_desktop.clinical.units import BILIRUBIN_MG_DL_TO_UMOL_L

CLINICAL_ERRORS = ("platelets_per_ul", "bilirubin_mg_dl", "out_of_range", "swapped_dates")
IMAGE_ERRORS = ("missing_slices", "mask_wrong_grid")
ERROR_FRACTION = 0.08
#: Bilirubin values (µmol/L) whose mg/dL form stays inside the dictionary's unit-trap interval (<= 4.9 mg/dL).
_BILI_MAX_FOR_TRAP = 4.9 * BILIRUBIN_MG_DL_TO_UMOL_L


def choose_errors(
    preop: pd.DataFrame, seed: int, *, images: bool, fraction: float = ERROR_FRACTION
) -> dict[str, str]:
    """Choose which recipients get which mistake (deterministic for a seed).

    Parameters
    ----------
    preop : pandas.DataFrame
        The simulated pre-operative table.
    seed : int
        Random seed.
    images : bool
        Whether image mistakes can be injected (only when images are written).
    fraction : float
        Share of recipients with a mistake (at least one recipient when the cohort has 5 or more).

    Returns
    -------
    dict
        study id -> error code.
    """
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 404]))
    m = len(preop)
    k = round(fraction * m)
    if m >= 5:
        k = max(k, 1)
    kinds = list(CLINICAL_ERRORS + (IMAGE_ERRORS if images else ()))
    order = rng.permutation(m)[:k]
    offset = int(rng.integers(0, len(kinds)))
    chosen: dict[str, str] = {}
    for j, i in enumerate(sorted(order)):
        kind = kinds[(j + offset) % len(kinds)]
        bili = preop["bilirubin"].iat[i]
        if kind == "bilirubin_mg_dl" and not (pd.notna(bili) and bili <= _BILI_MAX_FOR_TRAP):
            kind = "platelets_per_ul"
        chosen[str(preop["study_id"].iat[i])] = kind
    return chosen


def apply_clinical_errors(clinical: pd.DataFrame, errors: dict[str, str]) -> pd.DataFrame:
    """Return a copy of the public clinical table with the clinical mistakes applied (images untouched)."""
    out = clinical.copy()
    out["platelets"] = out["platelets"].astype(float)
    index = {sid: i for i, sid in enumerate(out["study_id"])}
    for sid, kind in errors.items():
        i = out.index[index[sid]]
        if kind == "platelets_per_ul":
            out.at[i, "platelets"] = float(out.at[i, "platelets"]) * 1000.0
        elif kind == "bilirubin_mg_dl":
            out.at[i, "bilirubin"] = round(float(out.at[i, "bilirubin"]) / BILIRUBIN_MG_DL_TO_UMOL_L, 2)
        elif kind == "out_of_range":
            if pd.notna(out.at[i, "haemoglobin"]):
                out.at[i, "haemoglobin"] = float(out.at[i, "haemoglobin"]) * 10.0
            else:
                out.at[i, "weight_kg"] = float(out.at[i, "weight_kg"]) * 10.0
        elif kind == "swapped_dates":
            tx, ct = out.at[i, "transplant_date"], out.at[i, "ct_date"]
            out.at[i, "transplant_date"], out.at[i, "ct_date"] = ct, tx
    return out

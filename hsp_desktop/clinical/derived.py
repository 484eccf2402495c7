"""Derived clinical quantities: BMI, body-surface area (Mosteller) and the Child-Pugh score.

Each function accepts scalars or NumPy arrays (vectorised), so the synthetic generator, the data dictionary and the
registry compute the derived values with one formula.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: Child-Pugh points thresholds (canonical units): bilirubin umol/L, albumin g/L, INR.
CHILD_PUGH_BILIRUBIN_UMOL_L = (34.0, 50.0)
CHILD_PUGH_ALBUMIN_G_L = (35.0, 28.0)
CHILD_PUGH_INR = (1.7, 2.3)


def bmi(height_cm: Any, weight_kg: Any) -> Any:
    """Return the body-mass index, kg/m^2.

    ``BMI = weight_kg / (height_cm / 100)^2``.
    """
    h = np.asarray(height_cm, dtype=float) / 100.0
    out = np.asarray(weight_kg, dtype=float) / (h * h)
    return float(out) if out.ndim == 0 else out


def bsa_mosteller(height_cm: Any, weight_kg: Any) -> Any:
    """Return the body-surface area by Mosteller's formula, m^2.

    ``BSA = sqrt(height_cm * weight_kg / 3600)`` (Mosteller, N Engl J Med 1987).
    """
    out = np.sqrt(np.asarray(height_cm, dtype=float) * np.asarray(weight_kg, dtype=float) / 3600.0)
    return float(out) if out.ndim == 0 else out


def child_pugh(bilirubin: Any, albumin: Any, inr: Any, ascites: Any, encephalopathy: Any) -> Any:
    """Return the Child-Pugh score (5-15) from canonical-unit values.

    Points: bilirubin < 34 / 34-50 / > 50 umol/L = 1/2/3; albumin > 35 / 28-35 / < 28 g/L = 1/2/3;
    INR < 1.7 / 1.7-2.3 / > 2.3 = 1/2/3; ascites and hepatic encephalopathy recorded as present (1) or absent (0)
    score 2 or 1 (present without a grade counts as mild, grade 1-2).

    Parameters
    ----------
    bilirubin : float or ndarray
        Total bilirubin, umol/L.
    albumin : float or ndarray
        Albumin, g/L.
    inr : float or ndarray
        International normalised ratio.
    ascites, encephalopathy : int or ndarray
        0/1 flags.

    Returns
    -------
    int or ndarray
        The score; NaN inputs give NaN (array) or raise ``ValueError`` for scalars.
    """
    b = np.asarray(bilirubin, dtype=float)
    a = np.asarray(albumin, dtype=float)
    i = np.asarray(inr, dtype=float)
    asc = np.asarray(ascites, dtype=float)
    he = np.asarray(encephalopathy, dtype=float)
    pts = (
        1.0
        + (b >= CHILD_PUGH_BILIRUBIN_UMOL_L[0])
        + (b > CHILD_PUGH_BILIRUBIN_UMOL_L[1])
        + 1.0
        + (a <= CHILD_PUGH_ALBUMIN_G_L[0])
        + (a < CHILD_PUGH_ALBUMIN_G_L[1])
        + 1.0
        + (i >= CHILD_PUGH_INR[0])
        + (i > CHILD_PUGH_INR[1])
        + 1.0
        + (asc > 0)
        + 1.0
        + (he > 0)
    )
    missing = np.isnan(b) | np.isnan(a) | np.isnan(i) | np.isnan(asc) | np.isnan(he)
    pts = np.where(missing, np.nan, pts)
    if pts.ndim == 0:
        if missing:
            raise ValueError("Child-Pugh needs bilirubin, albumin, INR, ascites and encephalopathy")
        return int(pts)
    return pts

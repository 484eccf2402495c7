"""Derived clinical quantities: BMI, body-surface area (Mosteller), MELD and the Child-Pugh score.

:func:`score_disagreements` recomputes MELD and Child-Pugh from the entered labs and names an entered score that
disagrees beyond a tolerance, so a MELD of 40 typed beside labs that imply 26 is flagged before scoring.

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


#: Disagreement tolerances: MELD points (the score is rounded, and labs drift between draws) and Child-Pugh points.
MELD_TOLERANCE = 3
CHILD_PUGH_TOLERANCE = 1
BILIRUBIN_UMOL_PER_MG_DL = 17.1
CREATININE_UMOL_PER_MG_DL = 88.4


def meld(bilirubin: Any, inr: Any, creatinine: Any, dialysis: Any = 0) -> Any:
    """Return the MELD score (UNOS, 6-40) from canonical-unit values.

    ``MELD = 10 (0.957 ln(creatinine) + 0.378 ln(bilirubin) + 1.120 ln(INR) + 0.643)`` with bilirubin and
    creatinine in mg/dL (``umol/L / 17.1`` and ``/ 88.4``); values below 1 are set to 1, creatinine is capped at 4
    (and set to 4 with dialysis twice in the past week); the result is rounded and bounded to 6-40 (Kamath et al.,
    Hepatology 2001; UNOS policy).

    Parameters
    ----------
    bilirubin : float or ndarray
        Total bilirubin, umol/L.
    inr : float or ndarray
        International normalised ratio.
    creatinine : float or ndarray
        Creatinine, umol/L.
    dialysis : int or ndarray
        1 when dialysed at least twice in the past week.

    Returns
    -------
    int or ndarray
        The score (NaN where an input is missing, arrays only; scalars raise ``ValueError``).
    """
    b = np.maximum(np.asarray(bilirubin, dtype=float) / BILIRUBIN_UMOL_PER_MG_DL, 1.0)
    i = np.maximum(np.asarray(inr, dtype=float), 1.0)
    c = np.clip(np.asarray(creatinine, dtype=float) / CREATININE_UMOL_PER_MG_DL, 1.0, 4.0)
    c = np.where(np.asarray(dialysis, dtype=float) > 0, 4.0, c)
    raw = 10.0 * (0.957 * np.log(c) + 0.378 * np.log(b) + 1.120 * np.log(i) + 0.643)
    out = np.clip(np.round(raw), 6, 40)
    missing = np.isnan(b) | np.isnan(i) | np.isnan(c)
    out = np.where(missing, np.nan, out)
    if out.ndim == 0:
        if missing:
            raise ValueError("MELD needs bilirubin, INR and creatinine")
        return int(out)
    return out


def _value(record: Any, name: str) -> float | None:
    v = record.get(name)
    if v is None or isinstance(v, bool) or v == "":
        return None
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(x) else x


def score_disagreements(record: Any) -> list[dict[str, Any]]:
    """Entered MELD / Child-Pugh that disagree with the value recomputed from the entered labs.

    Parameters
    ----------
    record : mapping
        Pre-operative record in canonical units (``meld``, ``child_pugh``, ``bilirubin``, ``inr``,
        ``creatinine``, ``albumin``, ``ascites``, ``encephalopathy``/``he``, optional ``dialysis``).

    Returns
    -------
    list of dict
        One entry per disagreement: ``field``, ``entered``, ``computed``, ``tolerance`` and ``message`` (what to
        check); empty when the scores agree or cannot be recomputed (a lab missing).
    """
    out: list[dict[str, Any]] = []
    bili, inr, creat = (_value(record, k) for k in ("bilirubin", "inr", "creatinine"))
    entered = _value(record, "meld")
    if entered is not None and None not in (bili, inr, creat):
        computed = meld(bili, inr, creat, _value(record, "dialysis") or 0)
        if abs(entered - computed) > MELD_TOLERANCE:
            out.append(
                {
                    "field": "meld",
                    "entered": entered,
                    "computed": computed,
                    "tolerance": MELD_TOLERANCE,
                    "message": f"MELD entered {entered:g} but the entered labs (bilirubin {bili:g} umol/L, INR "
                    f"{inr:g}, creatinine {creat:g} umol/L) give {computed}: check the score, the labs and their "
                    "units (mg/dL typed as umol/L?) before scoring",
                }
            )
    he = _value(record, "encephalopathy")
    he = he if he is not None else _value(record, "he")
    alb, asc, cp = _value(record, "albumin"), _value(record, "ascites"), _value(record, "child_pugh")
    if cp is not None and None not in (bili, alb, inr, asc, he):
        computed_cp = child_pugh(bili, alb, inr, asc, he)
        if abs(cp - computed_cp) > CHILD_PUGH_TOLERANCE:
            out.append(
                {
                    "field": "child_pugh",
                    "entered": cp,
                    "computed": computed_cp,
                    "tolerance": CHILD_PUGH_TOLERANCE,
                    "message": f"Child-Pugh entered {cp:g} but bilirubin, albumin, INR, ascites and encephalopathy "
                    f"give {computed_cp}: check the score and the labs before scoring",
                }
            )
    return out

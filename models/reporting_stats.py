"""Development-cohort statistics the TRIPOD+AI validation report prints (issue 16).

Calibration ICI and E90, decision curves of two models with bootstrap bands and interventions avoided, subgroup
performance, and table 1.

Pure functions on outcomes, predictions and a clinical table; :mod:`hsp_desktop.development.run` stores their
results in the bundle manifest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import special, stats

from models.logistic import fit_logistic
from models.metrics import _rcs_basis, auc_delong, decision_curve

FloatArray = NDArray[np.float64]


def calibration_errors(y: ArrayLike, p: ArrayLike, knots: int = 4) -> dict[str, float]:
    """Integrated calibration index (ICI) and E50/E90/Emax (Austin & Steyerberg, Stat Med 2019).

    The observed risk at each prediction comes from the flexible calibration fit (logistic regression on a
    restricted cubic spline of ``logit(p)``, the curve the report draws); ``|observed - predicted|`` is averaged
    (ICI), and its median, 90th percentile and maximum are E50, E90 and Emax.
    """
    yy = np.asarray(y, dtype=np.float64)
    pp = np.clip(np.asarray(p, dtype=np.float64), 1e-6, 1 - 1e-6)
    lp = special.logit(pp)
    quant = {3: [0.10, 0.5, 0.90], 4: [0.05, 0.35, 0.65, 0.95], 5: [0.05, 0.275, 0.5, 0.725, 0.95]}[knots]
    kn = np.quantile(lp, quant)
    if np.any(np.diff(kn) <= 0):
        kn = np.linspace(lp.min(), lp.max(), knots)
    basis = _rcs_basis(lp, kn)
    fit = fit_logistic(basis, yy)
    observed = special.expit(fit.coef[0] + basis @ fit.coef[1:])
    err = np.abs(observed - pp)
    return {
        "ici": float(err.mean()),
        "e50": float(np.median(err)),
        "e90": float(np.quantile(err, 0.9)),
        "emax": float(err.max()),
    }


def decision_curves_compared(
    y: ArrayLike, predictions: Mapping[str, ArrayLike], *, n_boot: int = 200, seed: int = 0
) -> dict[str, Any]:
    """Net benefit of several models on the same recipients with percentile bootstrap 95% bands.

    Also the net reduction in interventions per 100 recipients against treat-all,
    ``100 (NB_model - NB_all) / (pt / (1 - pt))`` (Vickers et al. 2008).

    Returns
    -------
    dict
        ``thresholds``, ``treat_all``, and per model ``net_benefit``, ``low``, ``high``,
        ``interventions_avoided_per_100``.
    """
    yy = np.asarray(y).astype(np.int64)
    curves = {k: decision_curve(yy, np.asarray(v, dtype=np.float64)) for k, v in predictions.items()}
    first = next(iter(curves.values()))
    pts = first.thresholds
    rng = np.random.default_rng(seed)
    boots: dict[str, list[FloatArray]] = {k: [] for k in predictions}
    n = len(yy)
    for _ in range(n_boot):
        idx = rng.integers(0, n, n)
        for k, v in predictions.items():
            boots[k].append(decision_curve(yy[idx], np.asarray(v, dtype=np.float64)[idx], pts.tolist()).model)
    odds = pts / (1 - pts)
    out: dict[str, Any] = {
        "thresholds": pts.tolist(),
        "treat_all": first.treat_all.tolist(),
        "n_boot": n_boot,
    }
    for k, c in curves.items():
        lo, hi = np.quantile(np.array(boots[k]), [0.025, 0.975], axis=0)
        out[k] = {
            "net_benefit": c.model.tolist(),
            "low": lo.tolist(),
            "high": hi.tolist(),
            "interventions_avoided_per_100": (100 * (c.model - c.treat_all) / odds).tolist(),
        }
    return out


#: Subgroups of the validation report: (label, column, value of the group, or None for "not that value").
SUBGROUPS: tuple[tuple[str, str, str], ...] = (
    ("Male", "sex", "M"),
    ("Female", "sex", "F"),
    ("HCC", "hcc", "1"),
    ("No HCC", "hcc", "0"),
    ("HBV aetiology", "aetiology", "hbv"),
    ("Other aetiology", "aetiology", "!hbv"),
    ("Deceased whole graft", "graft_type", "deceased_whole"),
    ("Living or split graft", "graft_type", "!deceased_whole"),
)


def _in_group(values: pd.Series, want: str) -> NDArray[np.bool_]:
    text = values.astype(str).str.replace(r"\.0$", "", regex=True)
    if want.startswith("!"):
        return np.asarray((text != want[1:]) & values.notna(), dtype=bool)
    return np.asarray(text == want, dtype=bool)


def subgroup_performance(y: ArrayLike, p: ArrayLike, clinical: pd.DataFrame) -> list[dict[str, Any]]:
    """AUC (DeLong 95% CI) and observed vs mean predicted risk per subgroup (sex, HCC, aetiology, graft type).

    Parameters
    ----------
    y, p : array-like
        Outcome and nested-CV out-of-fold risk, row-aligned with ``clinical``.
    clinical : pandas.DataFrame
        The recipients' clinical values (``sex``, ``hcc``, ``aetiology``, ``graft_type``).

    Returns
    -------
    list of dict
        ``label``, ``n``, ``events``, ``auc``/``auc_ci`` (None with fewer than 5 events or non-events),
        ``observed`` with its Wilson CI, ``mean_predicted``.
    """
    yy = np.asarray(y).astype(np.int64)
    pp = np.asarray(p, dtype=np.float64)
    out = []
    for label, column, want in SUBGROUPS:
        if column not in clinical.columns:
            continue
        sel = _in_group(clinical[column], want)
        k, e = int(sel.sum()), int(yy[sel].sum())
        if k == 0:
            continue
        row: dict[str, Any] = {"label": label, "n": k, "events": e, "auc": None, "auc_ci": None}
        if min(e, k - e) >= 5:
            a = auc_delong(yy[sel], pp[sel])
            row["auc"], row["auc_ci"] = a.auc, [a.ci_low, a.ci_high]
        ci = stats.binomtest(e, k).proportion_ci(method="wilson")
        row["observed"], row["observed_ci"] = e / k, [float(ci.low), float(ci.high)]
        row["mean_predicted"] = float(pp[sel].mean())
        out.append(row)
    return out


#: Table 1 rows: (column, label, kind): "median" (median (IQR), Mann-Whitney) or a category value (n (%), Fisher).
TABLE1: tuple[tuple[str, str, str], ...] = (
    ("age", "Age, years", "median"),
    ("sex", "Male sex", "M"),
    ("aetiology", "Hepatitis B aetiology", "hbv"),
    ("hcc", "Hepatocellular carcinoma", "1"),
    ("meld", "MELD", "median"),
    ("platelets", "Platelets, x10^9/L", "median"),
    ("wbc", "White cell count, x10^9/L", "median"),
    ("spleen_volume_ml", "Spleen volume, ml", "median"),
    ("splenic_vein_mm", "Splenic-vein diameter, mm", "median"),
    ("portal_vein_mm", "Portal-vein diameter, mm", "median"),
    ("splenorenal_shunt", "Spontaneous splenorenal shunt", "1"),
)


def _num(x: float) -> str:
    """A summary number as printed: whole numbers from 100, three significant digits below."""
    return f"{x:.0f}" if abs(x) >= 100 else f"{x:.3g}"


def table_one(
    clinical: pd.DataFrame, y: ArrayLike, rows: Sequence[tuple[str, str, str]] = TABLE1
) -> list[dict[str, Any]]:
    """Characteristics by outcome with missing counts (development cohort, no registry needed).

    Returns
    -------
    list of dict
        ``label``, ``without``, ``with`` (text), ``p``, ``missing`` (count over both groups).
    """
    yy = np.asarray(y).astype(np.int64)
    out = []
    for column, label, kind in rows:
        if column not in clinical.columns:
            continue
        col = clinical[column]
        missing = int(col.isna().sum())
        cells, samples = [], []
        for g in (0, 1):
            v = col[yy == g]
            if kind == "median":
                arr = pd.to_numeric(v, errors="coerce").dropna().to_numpy(dtype=float)
                samples.append(arr)
                q1, med, q3 = np.percentile(arr, [25, 50, 75]) if arr.size else (np.nan,) * 3
                cells.append(f"{_num(med)} ({_num(q1)}-{_num(q3)})" if arr.size else "-")
            else:
                known = v.dropna()
                hits = int(_in_group(known, kind).sum())
                samples.append(np.array([hits, len(known) - hits]))
                cells.append(f"{hits} ({100.0 * hits / len(known):.0f}%)" if len(known) else "-")
        p: float | None = None
        if kind == "median" and all(s.size >= 2 for s in samples):
            p = float(stats.mannwhitneyu(samples[0], samples[1]).pvalue)
        elif kind != "median" and all(s.sum() > 0 for s in samples):
            p = float(stats.fisher_exact(np.vstack(samples)).pvalue)
        suffix = ", median (IQR)" if kind == "median" else ", n (%)"
        out.append(
            {"label": label + suffix, "without": cells[0], "with": cells[1], "p": p, "missing": missing}
        )
    return out

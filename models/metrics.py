"""Performance measures of a risk model (CLINICAL.md section 4, TRIPOD+AI).

* Discrimination: AUC with the DeLong et al. (1988) variance computed by the fast midrank algorithm of
  Sun & Xu (2014, IEEE Signal Processing Letters 21:1389), and the paired DeLong test between two models scored on
  the same recipients.  Variances use the ``n - 1`` denominator and the CI is a Wald interval on the AUC scale,
  which is what R's pROC does (``ci.auc(method = "delong")``, ``roc.test(paired = TRUE)``).
* Calibration: intercept (calibration-in-the-large, logistic model with ``logit(p)`` as offset) and slope
  (logistic regression of the outcome on ``logit(p)``); a flexible calibration curve by a logistic regression on a
  restricted cubic spline of ``logit(p)`` (Austin & Steyerberg 2019) with a pointwise 95% band; Brier score.
* Clinical utility: decision-curve net benefit (Vickers & Elkin 2006) against treat-all and treat-none.
* Classification at risk-band cut-offs: sensitivity, specificity, PPV, NPV with percentile bootstrap CIs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special, stats

from models.logistic import fit_logistic

FloatArray = NDArray[np.float64]

_EPS = 1e-12


def _as_binary(y: ArrayLike) -> NDArray[np.int64]:
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise ValueError(f"outcome must be one-dimensional (found shape {arr.shape})")
    values = set(np.unique(arr).tolist())
    if not values <= {0, 1}:
        raise ValueError(f"outcome must be coded 0/1 (found values {sorted(values)[:5]})")
    if len(values) < 2:
        raise ValueError("the AUC needs both outcomes present (found only one class)")
    return arr.astype(np.int64)


def midrank(x: FloatArray) -> FloatArray:
    """Return the midranks (1-based, ties get the mean of their ranks) of ``x``.

    Parameters
    ----------
    x : ndarray of shape (n,)
        Values to rank.

    Returns
    -------
    ndarray of shape (n,)
        Midranks in the original order.
    """
    return np.asarray(stats.rankdata(x, method="average"), dtype=np.float64)


def delong_components(y: ArrayLike, scores: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Fast DeLong structural components (Sun & Xu 2014) for one or more scores on the same recipients.

    Parameters
    ----------
    y : array-like of shape (n,)
        Outcome 0/1 (1 = event, scored higher for a useful model).
    scores : array-like of shape (k, n) or (n,)
        One row per model.

    Returns
    -------
    aucs : ndarray of shape (k,)
    v10 : ndarray of shape (k, m)
        Placement values of the ``m`` events.
    v01 : ndarray of shape (k, n_neg)
        Placement values of the non-events.
    """
    yy = _as_binary(y)
    s = np.atleast_2d(np.asarray(scores, dtype=np.float64))
    if s.shape[1] != yy.shape[0]:
        raise ValueError(f"scores have {s.shape[1]} values but the outcome has {yy.shape[0]}")
    if not np.all(np.isfinite(s)):
        raise ValueError("scores contain NaN or infinite values")
    pos = s[:, yy == 1]
    neg = s[:, yy == 0]
    m, n = pos.shape[1], neg.shape[1]
    k = s.shape[0]
    aucs = np.empty(k)
    v10 = np.empty((k, m))
    v01 = np.empty((k, n))
    for r in range(k):
        tx = midrank(pos[r])
        ty = midrank(neg[r])
        tz = midrank(np.concatenate([pos[r], neg[r]]))
        aucs[r] = (tz[:m].sum() - m * (m + 1) / 2.0) / (m * n)
        v10[r] = (tz[:m] - tx) / n
        v01[r] = 1.0 - (tz[m:] - ty) / m
    return aucs, v10, v01


def delong_covariance(y: ArrayLike, scores: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Return the AUCs and their DeLong covariance matrix.

    Parameters
    ----------
    y : array-like of shape (n,)
        Outcome 0/1.
    scores : array-like of shape (k, n) or (n,)
        One row per model.

    Returns
    -------
    aucs : ndarray of shape (k,)
    cov : ndarray of shape (k, k)
        ``S10 / m + S01 / n`` with sample covariances (``n - 1`` denominators).
    """
    aucs, v10, v01 = delong_components(y, scores)
    m, n = v10.shape[1], v01.shape[1]
    s10 = np.atleast_2d(np.cov(v10)) if m > 1 else np.zeros((v10.shape[0], v10.shape[0]))
    s01 = np.atleast_2d(np.cov(v01)) if n > 1 else np.zeros((v01.shape[0], v01.shape[0]))
    return aucs, s10 / m + s01 / n


@dataclass(frozen=True)
class AucResult:
    """AUC with its DeLong standard error and Wald CI (clipped to [0, 1])."""

    auc: float
    se: float
    ci_low: float
    ci_high: float
    n_events: int
    n_nonevents: int

    def as_dict(self) -> dict[str, float | int]:
        """Return the fields as a plain dictionary (JSON-ready)."""
        return asdict(self)


def auc_delong(y: ArrayLike, score: ArrayLike, level: float = 0.95) -> AucResult:
    """AUC with a DeLong confidence interval.

    Parameters
    ----------
    y : array-like of shape (n,)
        Outcome 0/1.
    score : array-like of shape (n,)
        Predicted risk or any score increasing with risk.
    level : float
        Confidence level.

    Returns
    -------
    AucResult
        AUC, SE, CI and class counts.
    """
    yy = _as_binary(y)
    aucs, cov = delong_covariance(yy, np.asarray(score, dtype=np.float64)[None, :])
    auc, se = float(aucs[0]), float(np.sqrt(max(cov[0, 0], 0.0)))
    z = float(stats.norm.ppf(0.5 + level / 2))
    return AucResult(
        auc=auc,
        se=se,
        ci_low=max(0.0, auc - z * se),
        ci_high=min(1.0, auc + z * se),
        n_events=int(yy.sum()),
        n_nonevents=int((1 - yy).sum()),
    )


@dataclass(frozen=True)
class PairedDelong:
    """Paired DeLong comparison of two correlated AUCs (model 1 minus model 2)."""

    auc1: float
    auc2: float
    difference: float
    se: float
    z: float
    p_value: float
    ci_low: float
    ci_high: float

    def as_dict(self) -> dict[str, float]:
        """Return the fields as a plain dictionary (JSON-ready)."""
        return asdict(self)


def delong_paired_test(
    y: ArrayLike, score1: ArrayLike, score2: ArrayLike, level: float = 0.95
) -> PairedDelong:
    """Two-sided paired DeLong test of ``AUC1 == AUC2`` on the same recipients.

    Parameters
    ----------
    y : array-like of shape (n,)
        Outcome 0/1.
    score1, score2 : array-like of shape (n,)
        The two models' scores.
    level : float
        Confidence level of the CI of the difference.

    Returns
    -------
    PairedDelong
        AUCs, difference, its SE, z statistic, p-value and CI.
    """
    s = np.vstack([np.asarray(score1, dtype=np.float64), np.asarray(score2, dtype=np.float64)])
    aucs, cov = delong_covariance(y, s)
    diff = float(aucs[0] - aucs[1])
    var = float(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    se = float(np.sqrt(max(var, 0.0)))
    zstat = diff / se if se > 0 else 0.0
    p = float(2 * stats.norm.sf(abs(zstat))) if se > 0 else 1.0
    zc = float(stats.norm.ppf(0.5 + level / 2))
    return PairedDelong(
        auc1=float(aucs[0]),
        auc2=float(aucs[1]),
        difference=diff,
        se=se,
        z=zstat,
        p_value=p,
        ci_low=diff - zc * se,
        ci_high=diff + zc * se,
    )


def roc_curve_points(y: ArrayLike, score: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Empirical ROC curve (false-positive rate, sensitivity, thresholds), starting at (0, 0).

    Parameters
    ----------
    y : array-like of shape (n,)
        Outcome 0/1.
    score : array-like of shape (n,)
        Score increasing with risk.

    Returns
    -------
    fpr, tpr, thresholds : ndarray
        Points of the step curve; thresholds decrease.
    """
    yy = _as_binary(y)
    s = np.asarray(score, dtype=np.float64)
    thr = np.unique(s)[::-1]
    pos, neg = yy == 1, yy == 0
    tpr = np.array([0.0] + [float(np.mean(s[pos] >= t)) for t in thr])
    fpr = np.array([0.0] + [float(np.mean(s[neg] >= t)) for t in thr])
    return fpr, tpr, np.concatenate([[np.inf], thr])


def roc_band(
    y: ArrayLike, p: ArrayLike, *, n_boot: int = 200, seed: int = 0, level: float = 0.95, grid: int = 101
) -> dict[str, list[float]]:
    """ROC curve on a false-positive-rate grid with a pointwise percentile bootstrap band (vertical averaging).

    Parameters
    ----------
    y, p : array-like
        Outcome 0/1 and score.
    n_boot : int
        Bootstrap resamples.
    seed : int
        Random seed.
    level : float
        Band level.
    grid : int
        Grid points on [0, 1].

    Returns
    -------
    dict
        ``fpr``, ``tpr``, ``tpr_low``, ``tpr_high`` (lists).
    """
    yy = _as_binary(y)
    pp = np.asarray(p, dtype=np.float64)
    fgrid = np.linspace(0, 1, grid)

    def tpr_at(yv: NDArray[np.int64], pv: FloatArray) -> FloatArray:
        order = np.argsort(-pv, kind="mergesort")
        ys, ps = yv[order], pv[order]
        last = np.r_[np.flatnonzero(np.diff(ps) != 0), ys.size - 1]  # one point per distinct threshold
        tp = np.cumsum(ys)[last] / max(int(ys.sum()), 1)
        fp = np.cumsum(1 - ys)[last] / max(int((1 - ys).sum()), 1)
        return np.asarray(np.interp(fgrid, np.r_[0.0, fp], np.r_[0.0, tp]), dtype=np.float64)

    rng = np.random.default_rng(seed)
    curves = []
    for _ in range(n_boot):
        i = rng.integers(0, yy.size, yy.size)
        if yy[i].min() != yy[i].max():
            curves.append(tpr_at(yy[i], pp[i]))
    lo, hi = np.quantile(np.array(curves), [(1 - level) / 2, 1 - (1 - level) / 2], axis=0)
    return {
        "fpr": fgrid.tolist(),
        "tpr": tpr_at(yy, pp).tolist(),
        "tpr_low": lo.tolist(),
        "tpr_high": hi.tolist(),
    }


# ----------------------------------------------------------------------------------------------- calibration
def _logit(p: FloatArray) -> FloatArray:
    q = np.clip(p, 1e-8, 1 - 1e-8)
    return np.asarray(np.log(q / (1 - q)), dtype=np.float64)


@dataclass(frozen=True)
class Calibration:
    """Calibration intercept (in the large) and slope with Wald 95% CIs; Brier and scaled Brier."""

    intercept: float
    intercept_ci: tuple[float, float]
    slope: float
    slope_ci: tuple[float, float]
    brier: float
    scaled_brier: float
    observed_rate: float
    mean_predicted: float

    def as_dict(self) -> dict[str, Any]:
        """Return the fields as a plain dictionary (JSON-ready)."""
        return asdict(self)


def brier_score(y: ArrayLike, p: ArrayLike) -> float:
    """Mean squared difference between outcome and predicted probability.

    Parameters
    ----------
    y : array-like
        Outcome 0/1.
    p : array-like
        Predicted probabilities.

    Returns
    -------
    float
        Brier score.
    """
    yy = np.asarray(y, dtype=np.float64)
    return float(np.mean((np.asarray(p, dtype=np.float64) - yy) ** 2))


def calibration(y: ArrayLike, p: ArrayLike, level: float = 0.95) -> Calibration:
    """Calibration intercept and slope (logistic recalibration), Brier and scaled Brier.

    Parameters
    ----------
    y : array-like of shape (n,)
        Outcome 0/1.
    p : array-like of shape (n,)
        Predicted probabilities.
    level : float
        Confidence level.

    Returns
    -------
    Calibration
        Intercept (ideal 0), slope (ideal 1), their CIs, Brier scores.
    """
    yy = _as_binary(y).astype(np.float64)
    pp = np.asarray(p, dtype=np.float64)
    lp = _logit(pp)
    z = float(stats.norm.ppf(0.5 + level / 2))
    slope_fit = fit_logistic(lp[:, None], yy)
    b, sb = float(slope_fit.coef[1]), float(slope_fit.se[1])
    citl = fit_logistic(np.zeros((yy.shape[0], 0)), yy, offset=lp)
    a, sa = float(citl.coef[0]), float(citl.se[0])
    brier = brier_score(yy, pp)
    prev = float(yy.mean())
    ref = prev * (1 - prev)
    return Calibration(
        intercept=a,
        intercept_ci=(a - z * sa, a + z * sa),
        slope=b,
        slope_ci=(b - z * sb, b + z * sb),
        brier=brier,
        scaled_brier=1.0 - brier / ref if ref > 0 else float("nan"),
        observed_rate=prev,
        mean_predicted=float(pp.mean()),
    )


def _rcs_basis(x: FloatArray, knots: FloatArray) -> FloatArray:
    """Restricted cubic spline basis (Harrell's parametrisation, scaled by the knot range squared)."""
    k = knots.shape[0]
    scale = (knots[-1] - knots[0]) ** 2
    cols = [x]
    for j in range(k - 2):
        term = (
            np.clip(x - knots[j], 0, None) ** 3
            - np.clip(x - knots[k - 2], 0, None) ** 3
            * (knots[k - 1] - knots[j])
            / (knots[k - 1] - knots[k - 2])
            + np.clip(x - knots[k - 1], 0, None) ** 3
            * (knots[k - 2] - knots[j])
            / (knots[k - 1] - knots[k - 2])
        )
        cols.append(term / scale)
    return np.column_stack(cols)


@dataclass(frozen=True)
class CalibrationCurve:
    """Flexible calibration curve: observed risk (with pointwise CI) against predicted risk on a grid."""

    predicted: FloatArray
    observed: FloatArray
    ci_low: FloatArray
    ci_high: FloatArray
    knots: int

    def as_dict(self) -> dict[str, Any]:
        """Return lists (JSON-ready)."""
        return {
            "predicted": self.predicted.tolist(),
            "observed": self.observed.tolist(),
            "ci_low": self.ci_low.tolist(),
            "ci_high": self.ci_high.tolist(),
            "knots": self.knots,
        }


def calibration_curve(
    y: ArrayLike, p: ArrayLike, *, knots: int = 4, grid: int = 50, level: float = 0.95
) -> CalibrationCurve:
    """Flexible calibration curve by logistic regression on a restricted cubic spline of ``logit(p)``.

    Parameters
    ----------
    y : array-like of shape (n,)
        Outcome 0/1.
    p : array-like of shape (n,)
        Predicted probabilities.
    knots : int
        Number of spline knots (3-5), placed at Harrell's default quantiles.
    grid : int
        Number of grid points between the 1st and 99th percentile of the predictions.
    level : float
        Confidence level of the pointwise band.

    Returns
    -------
    CalibrationCurve
        Grid of predicted risks with the estimated observed risks and band.
    """
    if knots not in (3, 4, 5):
        raise ValueError(f"knots must be 3, 4 or 5 (found {knots})")
    yy = _as_binary(y).astype(np.float64)
    lp = _logit(np.asarray(p, dtype=np.float64))
    quant = {3: [0.10, 0.5, 0.90], 4: [0.05, 0.35, 0.65, 0.95], 5: [0.05, 0.275, 0.5, 0.725, 0.95]}[knots]
    kn = np.quantile(lp, quant)
    if np.any(np.diff(kn) <= 0):
        kn = np.linspace(lp.min(), lp.max(), knots)
    fit = fit_logistic(_rcs_basis(lp, kn), yy)
    g = np.linspace(np.quantile(lp, 0.01), np.quantile(lp, 0.99), grid)
    design = np.column_stack([np.ones(grid), _rcs_basis(g, kn)])
    eta = design @ fit.coef
    se = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", design, fit.cov, design), 0, None))
    z = float(stats.norm.ppf(0.5 + level / 2))
    return CalibrationCurve(
        predicted=special.expit(g),
        observed=special.expit(eta),
        ci_low=special.expit(eta - z * se),
        ci_high=special.expit(eta + z * se),
        knots=knots,
    )


# -------------------------------------------------------------------------------------------- decision curve
@dataclass(frozen=True)
class DecisionCurve:
    """Net benefit of the model, treat-all and treat-none at each threshold probability."""

    thresholds: FloatArray
    model: FloatArray
    treat_all: FloatArray
    treat_none: FloatArray

    def as_dict(self) -> dict[str, list[float]]:
        """Return lists (JSON-ready)."""
        return {
            "thresholds": self.thresholds.tolist(),
            "model": self.model.tolist(),
            "treat_all": self.treat_all.tolist(),
            "treat_none": self.treat_none.tolist(),
        }


def decision_curve(y: ArrayLike, p: ArrayLike, thresholds: Sequence[float] | None = None) -> DecisionCurve:
    """Decision-curve analysis: ``NB = TP/n - FP/n * pt / (1 - pt)``.

    Parameters
    ----------
    y : array-like of shape (n,)
        Outcome 0/1.
    p : array-like of shape (n,)
        Predicted probabilities.
    thresholds : sequence of float, optional
        Threshold probabilities; default 5% to 60% in steps of 1%.

    Returns
    -------
    DecisionCurve
        Net benefit of the model and of the default strategies.
    """
    yy = np.asarray(y, dtype=np.float64)
    pp = np.asarray(p, dtype=np.float64)
    pts = np.round(np.arange(0.05, 0.6001, 0.01), 4) if thresholds is None else np.asarray(thresholds, float)
    if np.any((pts <= 0) | (pts >= 1)):
        raise ValueError("decision-curve thresholds must lie strictly between 0 and 1")
    n = yy.shape[0]
    prev = float(yy.mean())
    odds = pts / (1 - pts)
    nb = np.array(
        [
            np.sum((pp >= t) & (yy == 1)) / n - np.sum((pp >= t) & (yy == 0)) / n * o
            for t, o in zip(pts, odds, strict=True)
        ]
    )
    return DecisionCurve(
        thresholds=pts,
        model=nb,
        treat_all=prev - (1 - prev) * odds,
        treat_none=np.zeros_like(pts),
    )


# ------------------------------------------------------------------------------------- classification at cuts
def classification_at(y: ArrayLike, p: ArrayLike, cut: float) -> dict[str, float]:
    """Sensitivity, specificity, PPV and NPV when ``p >= cut`` counts as test-positive.

    Parameters
    ----------
    y : array-like
        Outcome 0/1.
    p : array-like
        Predicted probabilities.
    cut : float
        Probability cut-off.

    Returns
    -------
    dict
        ``sensitivity``, ``specificity``, ``ppv``, ``npv`` and the counts ``tp``, ``fp``, ``tn``, ``fn``.
    """
    yy = np.asarray(y).astype(bool)
    pos = np.asarray(p, dtype=np.float64) >= cut
    tp = float(np.sum(pos & yy))
    fp = float(np.sum(pos & ~yy))
    tn = float(np.sum(~pos & ~yy))
    fn = float(np.sum(~pos & yy))

    def ratio(a: float, b: float) -> float:
        return a / b if b > 0 else float("nan")

    return {
        "sensitivity": ratio(tp, tp + fn),
        "specificity": ratio(tn, tn + fp),
        "ppv": ratio(tp, tp + fp),
        "npv": ratio(tn, tn + fn),
        "tp": tp,
        "fp": fp,
        "tn": tn,
        "fn": fn,
    }


def bootstrap_classification(
    y: ArrayLike,
    p: ArrayLike,
    cuts: Sequence[float],
    *,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> dict[str, dict[str, Any]]:
    """Sensitivity, specificity, PPV, NPV at each cut-off with percentile bootstrap CIs.

    Parameters
    ----------
    y : array-like
        Outcome 0/1.
    p : array-like
        Predicted probabilities.
    cuts : sequence of float
        Cut-offs (for example the risk-band thresholds).
    n_boot : int
        Bootstrap resamples of recipients.
    seed : int
        Random seed.
    level : float
        Confidence level.

    Returns
    -------
    dict
        Keyed by ``f"{cut:.2f}"``; each value maps a measure to ``{"estimate", "ci_low", "ci_high"}``.
    """
    yy = np.asarray(y).astype(np.int64)
    pp = np.asarray(p, dtype=np.float64)
    rng = np.random.default_rng(seed)
    n = yy.shape[0]
    idx = rng.integers(0, n, size=(n_boot, n))
    lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
    out: dict[str, dict[str, Any]] = {}
    for cut in cuts:
        est = classification_at(yy, pp, cut)
        boots = [classification_at(yy[i], pp[i], cut) for i in idx]
        entry: dict[str, Any] = {}
        for key in ("sensitivity", "specificity", "ppv", "npv"):
            vals = np.array([b[key] for b in boots])
            vals = vals[np.isfinite(vals)]
            entry[key] = {
                "estimate": est[key],
                "ci_low": float(np.quantile(vals, lo)) if vals.size else float("nan"),
                "ci_high": float(np.quantile(vals, hi)) if vals.size else float("nan"),
            }
        entry["counts"] = {k: est[k] for k in ("tp", "fp", "tn", "fn")}
        out[f"{cut:.2f}"] = entry
    return out


def bootstrap_metric_ci(
    y: ArrayLike,
    p: ArrayLike,
    *,
    n_boot: int = 500,
    seed: int = 0,
    level: float = 0.95,
) -> dict[str, dict[str, float]]:
    """Percentile bootstrap CIs of AUC, Brier, calibration intercept and slope for fixed predictions.

    Parameters
    ----------
    y : array-like
        Outcome 0/1.
    p : array-like
        Predicted probabilities.
    n_boot : int
        Bootstrap resamples.
    seed : int
        Random seed.
    level : float
        Confidence level.

    Returns
    -------
    dict
        Measure -> ``{"estimate", "ci_low", "ci_high"}``.
    """
    yy = np.asarray(y).astype(np.int64)
    pp = np.asarray(p, dtype=np.float64)
    rng = np.random.default_rng(seed)
    n = yy.shape[0]

    def measures(yv: NDArray[np.int64], pv: FloatArray) -> dict[str, float]:
        aucs, _, _ = delong_components(yv, pv[None, :])
        lp = _logit(pv)
        slope = fit_logistic(lp[:, None], yv.astype(float)).coef[1]
        citl = fit_logistic(np.zeros((yv.shape[0], 0)), yv.astype(float), offset=lp).coef[0]
        return {
            "auc": float(aucs[0]),
            "brier": brier_score(yv, pv),
            "slope": float(slope),
            "intercept": float(citl),
        }

    est = measures(yy, pp)
    samples: dict[str, list[float]] = {k: [] for k in est}
    for _ in range(n_boot):
        i = rng.integers(0, n, size=n)
        if yy[i].min() == yy[i].max():
            continue
        for k, v in measures(yy[i], pp[i]).items():
            samples[k].append(v)
    lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
    return {
        k: {"estimate": est[k], "ci_low": float(np.quantile(v, lo)), "ci_high": float(np.quantile(v, hi))}
        for k, v in samples.items()
    }


def _calibration_errors(y: NDArray[np.int64], p: FloatArray) -> dict[str, float]:
    from models.reporting_stats import calibration_errors

    return calibration_errors(y, p)


def evaluate_predictions(
    y: ArrayLike, p: ArrayLike, *, cuts: Sequence[float] = (0.15, 0.40), n_boot: int = 500, seed: int = 0
) -> dict[str, Any]:
    """Every validation measure of one set of predictions, JSON-ready.

    Parameters
    ----------
    y : array-like
        Outcome 0/1.
    p : array-like
        Predicted probabilities.
    cuts : sequence of float
        Risk-band thresholds used for the classification measures.
    n_boot : int
        Bootstrap resamples for the CIs of the classification and calibration measures.
    seed : int
        Random seed.

    Returns
    -------
    dict
        ``auc`` (DeLong), ``calibration``, ``calibration_curve``, ``decision_curve``, ``classification``,
        ``bootstrap`` CIs, ``n`` and ``events``.
    """
    yy = _as_binary(y)
    pp = np.asarray(p, dtype=np.float64)
    return {
        "n": int(yy.shape[0]),
        "events": int(yy.sum()),
        "auc": auc_delong(yy, pp).as_dict(),
        "calibration": {**calibration(yy, pp).as_dict(), **_calibration_errors(yy, pp)},
        "calibration_curve": calibration_curve(yy, pp).as_dict(),
        "decision_curve": decision_curve(yy, pp).as_dict(),
        "roc": roc_band(yy, pp, n_boot=min(n_boot, 200), seed=seed),
        "classification": bootstrap_classification(yy, pp, cuts, n_boot=n_boot, seed=seed),
        "bootstrap": bootstrap_metric_ci(yy, pp, n_boot=n_boot, seed=seed),
    }

"""Plain maximum-likelihood logistic regression by Newton-Raphson (IRLS), with the covariance matrix.

scikit-learn's ``LogisticRegression`` gives no standard errors; odds ratios with confidence intervals, the
calibration intercept and slope, the delta-method CI of a locked model's prediction and the heuristic shrinkage
factor all need the observed information matrix.  This module is that small, exact piece.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import special, stats

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class LogisticFit:
    """Result of :func:`fit_logistic`.

    Attributes
    ----------
    coef : ndarray
        Intercept first (when fitted), then one coefficient per column of ``X``.
    cov : ndarray
        Inverse observed information (same order as ``coef``).
    loglik, loglik_null : float
        Log-likelihood of the model and of the intercept-only model (same offset).
    converged : bool
        Whether Newton-Raphson met the tolerance.
    n_iter : int
        Iterations used.
    """

    coef: FloatArray
    cov: FloatArray
    loglik: float
    loglik_null: float
    converged: bool
    n_iter: int

    @property
    def se(self) -> FloatArray:
        """Standard errors (square roots of the covariance diagonal)."""
        return np.sqrt(np.clip(np.diag(self.cov), 0.0, None))

    @property
    def lr_chi2(self) -> float:
        """Likelihood-ratio chi-square of the model against the intercept-only model."""
        return float(2.0 * (self.loglik - self.loglik_null))


def _loglik(eta: FloatArray, y: FloatArray, w: FloatArray) -> float:
    # log p = -log(1+exp(-eta)); log(1-p) = -log(1+exp(eta))
    return float(np.sum(w * (-y * np.logaddexp(0.0, -eta) - (1.0 - y) * np.logaddexp(0.0, eta))))


def fit_logistic(
    X: FloatArray,
    y: FloatArray,
    *,
    offset: FloatArray | None = None,
    intercept: bool = True,
    weights: FloatArray | None = None,
    ridge: float = 0.0,
    max_iter: int = 100,
    tol: float = 1e-10,
) -> LogisticFit:
    """Fit a logistic regression by Newton-Raphson with step halving.

    Parameters
    ----------
    X : ndarray of shape (n, p)
        Design matrix without the intercept column (``p`` may be 0).
    y : ndarray of shape (n,)
        Binary outcome (0/1).
    offset : ndarray of shape (n,), optional
        Fixed offset added to the linear predictor (used for calibration-in-the-large).
    intercept : bool
        Whether to add an intercept.
    weights : ndarray of shape (n,), optional
        Case weights.
    ridge : float
        Optional L2 penalty on the slopes (not the intercept); 0 gives plain maximum likelihood.
    max_iter : int
        Iteration limit.
    tol : float
        Convergence tolerance on the change in log-likelihood.

    Returns
    -------
    LogisticFit
        Coefficients (intercept first), covariance, log-likelihoods and convergence.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 1:
        X = X[:, None]
    y = np.asarray(y, dtype=np.float64)
    n = y.shape[0]
    off = np.zeros(n) if offset is None else np.asarray(offset, dtype=np.float64)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    design = np.column_stack([np.ones(n), X]) if intercept else X
    k = design.shape[1]
    pen = np.full(k, ridge)
    if intercept and k:
        pen[0] = 0.0
    beta = np.zeros(k)
    if intercept and k:
        ybar = np.clip(np.average(y, weights=w), 1e-6, 1 - 1e-6)
        beta[0] = np.log(ybar / (1 - ybar)) - float(np.average(off, weights=w))
    eta = off + design @ beta
    ll = _loglik(eta, y, w) - 0.5 * float(np.sum(pen * beta**2))
    converged = k == 0
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007
        p = special.expit(eta)
        grad = design.T @ (w * (y - p)) - pen * beta
        info = (design * (w * p * (1 - p))[:, None]).T @ design + np.diag(pen)
        try:
            step = np.linalg.solve(info, grad)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(info, grad, rcond=None)[0]
        t = 1.0
        for _ in range(30):
            cand = beta + t * step
            eta_c = off + design @ cand
            ll_c = _loglik(eta_c, y, w) - 0.5 * float(np.sum(pen * cand**2))
            if ll_c >= ll - 1e-12:
                break
            t *= 0.5
        change = ll_c - ll
        beta, eta, ll = cand, eta_c, ll_c
        if abs(change) < tol and np.max(np.abs(t * step)) < 1e-6:
            converged = True
            break
    p = special.expit(eta)
    info = (design * (w * p * (1 - p))[:, None]).T @ design + np.diag(pen)
    cov = np.linalg.pinv(info) if k else np.zeros((0, 0))
    # null model: intercept only (with the same offset)
    if intercept:
        null = fit_logistic(np.zeros((n, 0)), y, offset=off, weights=w, intercept=True) if k > 1 else None
        ll_null = null.loglik if null is not None else ll
    else:
        ll_null = _loglik(off, y, w)
    return LogisticFit(
        coef=beta, cov=cov, loglik=_loglik(eta, y, w), loglik_null=ll_null, converged=converged, n_iter=it
    )


@dataclass(frozen=True)
class OddsRatio:
    """One predictor's adjusted odds ratio with its Wald 95% CI and p-value."""

    name: str
    coef: float
    se: float
    odds_ratio: float
    ci_low: float
    ci_high: float
    p_value: float
    per: str


def odds_ratios(
    fit: LogisticFit, names: list[str], per: list[str] | None = None, level: float = 0.95
) -> list[OddsRatio]:
    """Return Wald odds ratios with CIs for every slope of an intercept model.

    Parameters
    ----------
    fit : LogisticFit
        A fit with an intercept (coefficient 0 is skipped).
    names : list of str
        Names of the slopes in order.
    per : list of str, optional
        What one unit of each predictor means (for example ``"per doubling"``).
    level : float
        Confidence level.

    Returns
    -------
    list of OddsRatio
        One entry per slope.
    """
    z = float(stats.norm.ppf(0.5 + level / 2))
    se = fit.se
    out = []
    for j, name in enumerate(names, start=1):
        b, s = float(fit.coef[j]), float(se[j])
        pval = float(2 * stats.norm.sf(abs(b / s))) if s > 0 else float("nan")
        out.append(
            OddsRatio(
                name=name,
                coef=b,
                se=s,
                odds_ratio=float(np.exp(b)),
                ci_low=float(np.exp(b - z * s)),
                ci_high=float(np.exp(b + z * s)),
                p_value=pval,
                per=(per[j - 1] if per else "per unit"),
            )
        )
    return out

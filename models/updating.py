"""Updating a locked model on a later cohort: the closed testing procedure of Vergouwe et al. (2017).

Four candidate models, in increasing order of change, each fitted by maximum likelihood on the new cohort:

* ``none``           the original model (no parameter estimated);
* ``intercept``      recalibration in the large: ``logit p = a + lp``;
* ``recalibration``  logistic recalibration: ``logit p = a + b lp``;
* ``revision``       refit of the clinical terms: ``logit p = a + sum_c g_c x_c + h S`` where ``x_c`` are the
  clinical terms of the meta-learner and ``S`` the weighted sum of its score terms (Rad-/DL-score), which keep
  their relative weights.

Closed testing (each likelihood-ratio test at level ``alpha``): revision against the original model
(df = k + 1); if significant, revision against recalibration in the large (df = k); if significant, revision
against logistic recalibration (df = k - 1); if that too is significant, revision is chosen.  The first test
that is not significant selects the simpler model it was compared with.

Vergouwe Y, Nieboer D, Oostenbrink R, et al. A closed testing procedure to select an appropriate method for
updating prediction models. Stat Med 2017;36:4529-39.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from models.logistic import fit_logistic

FloatArray = NDArray[np.float64]
METHODS = ("none", "intercept", "recalibration", "revision")


@dataclass(frozen=True)
class LrTest:
    """One likelihood-ratio test of the closed procedure."""

    compare: str
    against: str
    chi2: float
    df: int
    p_value: float
    significant: bool


@dataclass(frozen=True)
class UpdateChoice:
    """The method chosen, every test, and each candidate's fitted parameters and log-likelihood."""

    method: str
    alpha: float
    n: int
    events: int
    tests: tuple[LrTest, ...]
    loglik: dict[str, float]
    params: dict[str, list[float]]
    covariances: dict[str, list[list[float]]]
    revision_terms: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """Plain dictionary (JSON-ready)."""
        out = asdict(self)
        out["tests"] = [asdict(t) for t in self.tests]
        return out


def revision_design(
    meta: Mapping[str, Any], M: FloatArray, score_terms: Sequence[str]
) -> tuple[FloatArray, list[str]]:
    """Columns of the revision model: each clinical term, then the score terms' weighted sum (if any)."""
    terms = list(meta["terms"])
    coef = np.asarray(meta["coef"], dtype=np.float64)
    clin = [j for j, t in enumerate(terms) if t not in score_terms]
    scor = [j for j, t in enumerate(terms) if t in score_terms]
    cols = [M[:, j] for j in clin]
    names = [terms[j] for j in clin]
    if scor:
        cols.append(M[:, scor] @ coef[scor])
        names.append("+".join(terms[j] for j in scor))
    return np.column_stack(cols) if cols else np.zeros((M.shape[0], 0)), names


def closed_test(
    y: Sequence[int] | NDArray[np.int64],
    M: FloatArray,
    meta: Mapping[str, Any],
    score_terms: Sequence[str],
    alpha: float = 0.05,
) -> UpdateChoice:
    """Choose the updating method by closed testing on a cohort with known outcomes.

    Parameters
    ----------
    y : array-like of int
        Outcomes 0/1 on the updating cohort.
    M : ndarray of shape (n, k)
        The locked model's meta-learner design matrix (``LockedModel.design``).
    meta : mapping
        The model's ``meta`` section (``terms``, ``intercept``, ``coef``).
    score_terms : sequence of str
        Terms that are scores (refit as one weighted sum in the revision model).
    alpha : float
        Level of every test.

    Returns
    -------
    UpdateChoice
    """
    yy = np.asarray(y, dtype=np.float64)
    lp = float(meta["intercept"]) + M @ np.asarray(meta["coef"], dtype=np.float64)
    n = yy.shape[0]
    ll = {"none": float(np.sum(-yy * np.logaddexp(0.0, -lp) - (1.0 - yy) * np.logaddexp(0.0, lp)))}
    f1 = fit_logistic(np.zeros((n, 0)), yy, offset=lp)
    f2 = fit_logistic(lp[:, None], yy)
    X3, names = revision_design(meta, M, score_terms)
    f3 = fit_logistic(X3, yy)
    ll.update(intercept=f1.loglik, recalibration=f2.loglik, revision=f3.loglik)
    k = X3.shape[1]
    tests: list[LrTest] = []
    method = "revision"
    for against, df in (("none", k + 1), ("intercept", k), ("recalibration", k - 1)):
        if df <= 0:  # one term: revision is logistic recalibration
            method = against
            break
        chi2 = max(0.0, 2.0 * (ll["revision"] - ll[against]))
        p = float(stats.chi2.sf(chi2, df))
        tests.append(LrTest("revision", against, chi2, df, p, p < alpha))
        if p >= alpha:
            method = against
            break
    return UpdateChoice(
        method=method,
        alpha=alpha,
        n=n,
        events=int(yy.sum()),
        tests=tuple(tests),
        loglik=ll,
        params={
            "intercept": f1.coef.tolist(),
            "recalibration": f2.coef.tolist(),
            "revision": f3.coef.tolist(),
        },
        covariances={
            "intercept": f1.cov.tolist(),
            "recalibration": f2.cov.tolist(),
            "revision": f3.cov.tolist(),
        },
        revision_terms=tuple(names),
    )


def updated_meta(
    meta: Mapping[str, Any], choice: UpdateChoice, method: str, score_terms: Sequence[str]
) -> dict[str, Any]:
    """The meta-learner section of the updated model (intercept, coefficients and covariance).

    The covariance (intercept first) combines the parent's uncertainty with the update's by the delta method:
    recalibration in the large adds the variance of ``a`` to the intercept; logistic recalibration uses
    ``b^2 Sigma_0 + J Sigma_ab J'`` with ``J = d(b0', coef') / d(a, b)``; revision uses the refit's covariance
    mapped to the meta-learner's terms (score terms share one factor ``h``).
    """
    if method not in METHODS[1:]:
        raise ValueError(f"unknown updating method {method!r} (expected one of {METHODS[1:]})")
    new = copy.deepcopy(dict(meta))
    b0 = float(meta["intercept"])
    coef = np.asarray(meta["coef"], dtype=np.float64)
    cov0 = np.asarray(meta["cov"], dtype=np.float64)
    theta = np.asarray(choice.params[method], dtype=np.float64)
    sig = np.asarray(choice.covariances[method], dtype=np.float64)
    if method == "intercept":
        new_b0, new_coef = b0 + theta[0], coef.copy()
        cov = cov0.copy()
        cov[0, 0] += sig[0, 0]
    elif method == "recalibration":
        a, b = theta
        new_b0, new_coef = a + b * b0, b * coef
        J = np.zeros((coef.size + 1, 2))
        J[0, 0], J[0, 1] = 1.0, b0
        J[1:, 1] = coef
        cov = b * b * cov0 + J @ sig @ J.T
    else:
        terms = list(meta["terms"])
        clin = [j for j, t in enumerate(terms) if t not in score_terms]
        scor = [j for j, t in enumerate(terms) if t in score_terms]
        new_b0 = float(theta[0])
        new_coef = np.zeros_like(coef)
        J = np.zeros((coef.size + 1, theta.size))
        J[0, 0] = 1.0
        for i, j in enumerate(clin):
            new_coef[j] = theta[1 + i]
            J[1 + j, 1 + i] = 1.0
        if scor:
            h = float(theta[-1])
            for j in scor:
                new_coef[j] = h * coef[j]
                J[1 + j, -1] = coef[j]
        cov = J @ sig @ J.T
    new["intercept"] = float(new_b0)
    new["coef"] = [float(v) for v in new_coef]
    new["cov"] = [[float(v) for v in row] for row in cov]
    return new

"""Radiomics and deep-feature reduction as scikit-learn transformers (all pass ``estimator_checks``).

The chain the field uses (CLEAR, Zwanenburg et al. 2019), each step fitted on training rows only:

1. :class:`IccStabilityFilter` - keep features whose ICC(2,1) over mask-perturbation replicates (erosion,
   dilation, contour jitter) is at least 0.75 (Koo & Li 2016 "good" reliability).
2. :class:`VarianceCorrelationFilter` - drop near-constant features, then cluster the rest by ``1 - |Spearman r|``
   (average linkage) and keep one representative (medoid) per cluster above the correlation threshold.
3. :class:`MRMRSelector` - minimum-redundancy maximum-relevance ranking (relevance |r| with the outcome minus the
   mean |r| with the already selected features; the difference ("MID") scheme of Ding & Peng 2005 on correlations).
4. :class:`LassoSelector` / :class:`StabilitySelector` - LASSO-logistic with the cross-validated one-standard-error
   rule; stability selection (Meinshausen & Buhlmann 2010) over half-sample resamples.
5. :class:`ScoreBuilder` - the Rad-score (or DL-score): the linear predictor of a LASSO-logistic model (1-SE rule)
   on the surviving standardised features, one output column.
6. :class:`SelectedScoreBuilder` - steps 3-5 as one estimator whose LASSO penalty is tuned with mRMR and stability
   selection refitted inside every inner fold (what the multimodal model uses).

Multi-class targets are reduced to "largest label versus the rest", so the event must be coded as the larger label
(1 for the hypersplenism outcome).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats
from scipy.cluster import hierarchy
from scipy.spatial.distance import squareform
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_selection import SelectorMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


def _binary_target(y: Any) -> tuple[NDArray[np.int64], NDArray[Any]]:
    check_classification_targets(y)
    classes = np.unique(y)
    if classes.shape[0] < 2:
        raise ValueError(
            f"the outcome has only 1 class (value {classes[0]!r}); selection needs events and non-events"
        )
    return (np.asarray(y) == classes[-1]).astype(np.int64), classes


def _standardise(X: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale = np.where(scale > 1e-12, scale, 1.0)
    return (X - mean) / scale, mean, scale


def icc_2_1(replicates: FloatArray) -> FloatArray:
    """ICC(2,1): two-way random effects, absolute agreement, single measurement (Shrout & Fleiss 1979).

    Parameters
    ----------
    replicates : ndarray of shape (n_subjects, k_replicates, n_features)
        The same features measured ``k`` times per subject (original mask plus perturbations).

    Returns
    -------
    ndarray of shape (n_features,)
        ``(MSR - MSE) / (MSR + (k - 1) MSE + k (MSC - MSE) / n)``; NaN where a feature is constant.
    """
    y = np.asarray(replicates, dtype=np.float64)
    if y.ndim != 3:
        raise ValueError(f"replicates must have shape (subjects, replicates, features); found {y.shape}")
    n, k, _ = y.shape
    if n < 2 or k < 2:
        raise ValueError(f"the ICC needs at least 2 subjects and 2 replicates (found {n} and {k})")
    grand = y.mean(axis=(0, 1))
    row = y.mean(axis=1)
    col = y.mean(axis=0)
    ssr = k * np.sum((row - grand) ** 2, axis=0)
    ssc = n * np.sum((col - grand) ** 2, axis=0)
    sst = np.sum((y - grand) ** 2, axis=(0, 1))
    sse = sst - ssr - ssc
    msr = ssr / (n - 1)
    msc = ssc / (k - 1)
    mse = sse / ((n - 1) * (k - 1))
    denom = msr + (k - 1) * mse + k * (msc - mse) / n
    with np.errstate(invalid="ignore", divide="ignore"):
        icc = (msr - mse) / denom
    return np.where(sst > 1e-300, icc, np.nan)


class IccStabilityFilter(SelectorMixin, BaseEstimator):  # type: ignore[misc]
    """Keep features that are reproducible under segmentation perturbation (ICC(2,1) >= ``threshold``).

    Parameters
    ----------
    threshold : float, default=0.75
        Minimum ICC to keep a feature.

    Attributes
    ----------
    icc_ : ndarray of shape (n_features,)
        ICC per feature (NaN when not assessed).
    assessed_ : bool
        False when ``fit`` received no replicates: every feature is then kept and the report says so.
    n_subjects_ : int
        Recipients that had complete replicate measurements.

    Notes
    -----
    ``fit(X, y=None, replicates=R)`` takes ``R`` of shape ``(n_samples, n_replicates, n_features)``, row-aligned
    with ``X`` (the perturbed re-extractions of each recipient; rows that are all NaN - recipients without
    perturbation extractions - are skipped).  ``X`` itself is the unperturbed measurement.
    """

    def __init__(self, threshold: float = 0.75) -> None:
        self.threshold = threshold

    def fit(self, X: Any, y: Any = None, replicates: Any = None) -> IccStabilityFilter:
        """Compute the ICC of every feature over the replicates.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Features from the original masks.
        y : ignored
            Present for pipeline compatibility.
        replicates : array-like of shape (n_samples, n_replicates, n_features), optional
            Features re-extracted from perturbed masks, row-aligned with ``X``.

        Returns
        -------
        IccStabilityFilter
            The fitted filter.
        """
        Xa = validate_data(self, X, ensure_min_samples=2)
        p = Xa.shape[1]
        if replicates is None:
            self.icc_ = np.full(p, np.nan)
            self.assessed_ = False
            self.n_subjects_ = 0
            return self
        rep = np.asarray(replicates, dtype=np.float64)
        if rep.ndim != 3 or rep.shape[0] != Xa.shape[0] or rep.shape[2] != p:
            raise ValueError(
                f"replicates must have shape ({Xa.shape[0]}, n_replicates, {p}) to match X (found {rep.shape})"
            )
        complete = np.all(np.isfinite(rep), axis=(1, 2))
        stacked = np.concatenate([Xa[complete][:, None, :], rep[complete]], axis=1)
        if stacked.shape[0] < 2:
            raise ValueError(
                f"only {stacked.shape[0]} recipients have complete replicate features; the ICC needs at least 2"
            )
        self.icc_ = icc_2_1(stacked)
        self.assessed_ = True
        self.n_subjects_ = int(stacked.shape[0])
        return self

    def _get_support_mask(self) -> BoolArray:
        check_is_fitted(self, "icc_")
        if not self.assessed_:
            return np.ones(self.icc_.shape[0], dtype=bool)
        keep = np.nan_to_num(self.icc_, nan=-np.inf) >= self.threshold
        if not keep.any():
            keep[int(np.nanargmax(np.nan_to_num(self.icc_, nan=-np.inf)))] = True
        return np.asarray(keep, dtype=bool)


class VarianceCorrelationFilter(SelectorMixin, BaseEstimator):  # type: ignore[misc]
    """Drop near-constant features, then keep one representative per cluster of correlated features.

    Parameters
    ----------
    max_mode_fraction : float, default=0.95
        A feature whose most frequent value covers more than this fraction of recipients is near-constant.
    corr_threshold : float, default=0.90
        Features joined (average linkage on ``1 - |r|``) above this absolute correlation form one cluster.
    method : {"spearman", "pearson"}, default="spearman"
        Correlation used for clustering.

    Attributes
    ----------
    variance_mask_ : ndarray of bool
        Features that passed the near-constant filter.
    clusters_ : ndarray of int
        Cluster label per feature (-1 for near-constant ones).
    """

    def __init__(
        self, max_mode_fraction: float = 0.95, corr_threshold: float = 0.90, method: str = "spearman"
    ) -> None:
        self.max_mode_fraction = max_mode_fraction
        self.corr_threshold = corr_threshold
        self.method = method

    def fit(self, X: Any, y: Any = None) -> VarianceCorrelationFilter:
        """Find near-constant features and correlation clusters.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Features.
        y : ignored
            Present for pipeline compatibility.

        Returns
        -------
        VarianceCorrelationFilter
            The fitted filter.
        """
        if self.method not in ("spearman", "pearson"):
            raise ValueError(f"method must be 'spearman' or 'pearson' (found {self.method!r})")
        Xa = validate_data(self, X, ensure_min_samples=2, dtype=np.float64)
        n, p = Xa.shape
        varmask = np.zeros(p, dtype=bool)
        for j in range(p):
            _, counts = np.unique(Xa[:, j], return_counts=True)
            varmask[j] = counts.max() / n <= self.max_mode_fraction and counts.shape[0] > 1
        if not varmask.any():
            raise ValueError("every feature is constant or near-constant; nothing is left to model")
        idx = np.flatnonzero(varmask)
        clusters = np.full(p, -1, dtype=np.int64)
        keep = np.zeros(p, dtype=bool)
        if idx.shape[0] == 1:
            clusters[idx] = 0
            keep[idx] = True
        else:
            sub = Xa[:, idx]
            if self.method == "spearman":
                sub = np.apply_along_axis(stats.rankdata, 0, sub)
            corr = np.abs(np.corrcoef(sub, rowvar=False))
            corr = np.nan_to_num(corr, nan=0.0)
            np.fill_diagonal(corr, 1.0)
            dist = np.clip(1.0 - corr, 0.0, None)
            dist = 0.5 * (dist + dist.T)
            np.fill_diagonal(dist, 0.0)
            tree = hierarchy.linkage(squareform(dist, checks=False), method="average")
            labels = hierarchy.fcluster(tree, t=1.0 - self.corr_threshold, criterion="distance")
            clusters[idx] = labels
            for lab in np.unique(labels):
                members = np.flatnonzero(labels == lab)
                mean_corr = corr[np.ix_(members, members)].mean(axis=1)
                keep[idx[members[int(np.argmax(mean_corr))]]] = True
        self.variance_mask_ = varmask
        self.clusters_ = clusters
        self.support_ = keep
        return self

    def _get_support_mask(self) -> BoolArray:
        check_is_fitted(self, "support_")
        return np.asarray(self.support_, dtype=bool)


def _f_statistic(X: FloatArray, yb: NDArray[np.int64]) -> FloatArray:
    pos, neg = X[yb == 1], X[yb == 0]
    n1, n0 = pos.shape[0], neg.shape[0]
    mean_all = X.mean(axis=0)
    ssb = n1 * (pos.mean(axis=0) - mean_all) ** 2 + n0 * (neg.mean(axis=0) - mean_all) ** 2
    ssw = ((pos - pos.mean(axis=0)) ** 2).sum(axis=0) + ((neg - neg.mean(axis=0)) ** 2).sum(axis=0)
    dfw = max(n1 + n0 - 2, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        f = ssb / (ssw / dfw)
    return np.asarray(np.nan_to_num(f, nan=0.0, posinf=1e12), dtype=np.float64)


class MRMRSelector(SelectorMixin, BaseEstimator):  # type: ignore[misc]
    """Minimum-redundancy maximum-relevance selection (|r| with outcome minus mean |r| with selected, greedy).

    Parameters
    ----------
    n_features : int, default=20
        Features to select (fewer when fewer exist).

    Attributes
    ----------
    ranking_ : ndarray of int
        Indices of the selected features in selection order.
    relevance_ : ndarray
        F-statistic of each feature against the outcome.
    """

    def __init__(self, n_features: int = 20) -> None:
        self.n_features = n_features

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags

    def fit(self, X: Any, y: Any) -> MRMRSelector:
        """Rank features greedily by relevance over redundancy.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Features.
        y : array-like of shape (n_samples,)
            Outcome.

        Returns
        -------
        MRMRSelector
            The fitted selector.
        """
        if not isinstance(self.n_features, int | np.integer) or self.n_features < 1:
            raise ValueError(f"n_features must be a positive integer (found {self.n_features!r})")
        Xa, ya = validate_data(self, X, y, ensure_min_samples=2, dtype=np.float64)
        yb, _ = _binary_target(ya)
        p = Xa.shape[1]
        k = min(int(self.n_features), p)
        rel = _f_statistic(Xa, yb)
        Z, _, _ = _standardise(Xa)
        n = Z.shape[0]
        yz = (yb - yb.mean()) / max(float(yb.std()), 1e-12)
        rel_r = np.abs(Z.T @ yz) / n  # point-biserial |r|, monotone in the F statistic
        selected = [int(np.argmax(rel_r))]
        redundancy_sum = np.zeros(p)
        remaining = np.ones(p, dtype=bool)
        remaining[selected[0]] = False
        while len(selected) < k:
            last = Z[:, selected[-1]]
            redundancy_sum += np.abs(Z.T @ last) / n
            score = rel_r - redundancy_sum / len(selected)
            score[~remaining] = -np.inf
            nxt = int(np.argmax(score))
            selected.append(nxt)
            remaining[nxt] = False
        self.ranking_ = np.asarray(selected, dtype=np.int64)
        self.relevance_ = rel
        mask = np.zeros(p, dtype=bool)
        mask[self.ranking_] = True
        self.support_ = mask
        return self

    def _get_support_mask(self) -> BoolArray:
        check_is_fitted(self, "support_")
        return np.asarray(self.support_, dtype=bool)


@dataclass(frozen=True)
class LassoPath:
    """Cross-validated LASSO-logistic path: the grid, mean deviance and its SE, and the chosen C values."""

    Cs: FloatArray
    mean_deviance: FloatArray
    se_deviance: FloatArray
    C_min: float
    C_1se: float


def l1_min_c_centered(Z: FloatArray, yb: NDArray[np.int64]) -> float:
    """Smallest C of ``C * sum(log-loss) + ||w||_1`` giving a non-empty model when the intercept is free.

    Parameters
    ----------
    Z : ndarray of shape (n, p)
        Standardised (centred) features.
    yb : ndarray of shape (n,)
        Binary outcome.

    Returns
    -------
    float
        ``1 / max_j |z_j' (y - ybar)|`` (the intercept-only fit's gradient).
    """
    grad = np.abs((Z - Z.mean(axis=0)).T @ (yb - yb.mean()))
    top = float(grad.max()) if grad.size else 0.0
    return 1.0 / top if top > 0 else 1.0


def _l1_logistic(C: float, random_state: Any) -> LogisticRegression:
    return LogisticRegression(
        C=C,
        l1_ratio=1.0,
        solver="liblinear",
        intercept_scaling=100.0,
        max_iter=1000,
        random_state=random_state,
    )


def l1_fit(
    Z: FloatArray, yb: NDArray[np.int64], C: float, random_state: Any = None
) -> tuple[FloatArray, float]:
    """L1-penalised logistic regression (liblinear), returning (coefficients, intercept).

    Uses scikit-learn's liblinear wrapper directly when available - the same solver and result as
    ``LogisticRegression(solver="liblinear", l1_ratio=1)`` without its per-call validation (ten times faster in the
    resampling loops); falls back to the public estimator otherwise.

    Parameters
    ----------
    Z : ndarray of shape (n, p)
        Standardised features.
    yb : ndarray of shape (n,)
        Binary outcome (both classes present).
    C : float
        Inverse regularisation strength.
    random_state : int or None
        Seed of liblinear's coordinate order.

    Returns
    -------
    coef : ndarray of shape (p,)
    intercept : float
    """
    try:
        from sklearn.svm._base import _fit_liblinear

        coef, intercept, _ = _fit_liblinear(
            np.ascontiguousarray(Z, dtype=np.float64),
            yb,
            C,
            True,
            100.0,
            None,
            "l1",
            False,
            0,
            1000,
            1e-4,
            random_state,
            loss="logistic_regression",
        )
        return np.asarray(coef[0], dtype=np.float64).copy(), float(np.ravel(intercept)[0])
    except (ImportError, TypeError):  # private API moved: use the public estimator
        model = _l1_logistic(C, random_state).fit(Z, yb)
        return np.asarray(model.coef_[0], dtype=np.float64).copy(), float(model.intercept_[0])


def _l1_predict(Z: FloatArray, coef: FloatArray, intercept: float) -> FloatArray:
    return np.asarray(1.0 / (1.0 + np.exp(-(intercept + Z @ coef))), dtype=np.float64)


def lasso_cv_path(
    Z: FloatArray,
    yb: NDArray[np.int64],
    *,
    n_Cs: int,
    cv: int,
    random_state: Any,
    groups: NDArray[Any] | None = None,
) -> LassoPath:
    """Cross-validate a LASSO-logistic path on standardised features and apply the one-standard-error rule.

    Parameters
    ----------
    Z : ndarray of shape (n, p)
        Standardised features.
    yb : ndarray of shape (n,)
        Binary outcome.
    n_Cs : int
        Grid size (log-spaced from the smallest C with a non-empty model up to 300 times it).
    cv : int
        Folds (reduced to the minority-class count when smaller).
    random_state : int or None
        Seed of the fold split.
    groups : ndarray of shape (n,), optional
        Recipient identity; rows of one recipient (bootstrap duplicates) never straddle folds.

    Returns
    -------
    LassoPath
        Grid, deviance curve, ``C_min`` (lowest mean deviance) and ``C_1se`` (most regularised C within one SE).
    """
    c0 = l1_min_c_centered(Z, yb)
    Cs = c0 * np.logspace(0.02, 1.5, n_Cs)
    n_splits = int(min(cv, np.bincount(yb).min()))
    if n_splits < 2:
        mid = float(Cs[len(Cs) // 2])
        zeros = np.zeros_like(Cs)
        return LassoPath(Cs=Cs, mean_deviance=zeros, se_deviance=zeros, C_min=mid, C_1se=mid)
    if groups is not None and np.unique(groups).shape[0] < groups.shape[0]:
        n_splits = int(
            min(n_splits, np.unique(groups[yb == 1]).shape[0], np.unique(groups[yb == 0]).shape[0])
        )
        split = list(
            StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=random_state).split(
                Z, yb, groups
            )
        )
    else:
        split = list(StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=random_state).split(Z, yb))
    dev = np.zeros((n_splits, n_Cs))
    for f, (tr, te) in enumerate(split):
        for i, C in enumerate(Cs):
            if np.unique(yb[tr]).shape[0] < 2:
                dev[f, i] = np.nan
                continue
            coef, icpt = l1_fit(Z[tr], yb[tr], float(C), random_state)
            p = np.clip(_l1_predict(Z[te], coef, icpt), 1e-12, 1 - 1e-12)
            dev[f, i] = -2.0 * np.mean(yb[te] * np.log(p) + (1 - yb[te]) * np.log(1 - p))
    mean = np.nanmean(dev, axis=0)
    se = np.nanstd(dev, axis=0, ddof=1) / np.sqrt(n_splits)
    best = int(np.nanargmin(mean))
    within = np.flatnonzero(mean <= mean[best] + se[best])
    return LassoPath(
        Cs=Cs, mean_deviance=mean, se_deviance=se, C_min=float(Cs[best]), C_1se=float(Cs[within.min()])
    )


class LassoSelector(SelectorMixin, BaseEstimator):  # type: ignore[misc]
    """LASSO-logistic selection with the cross-validated one-standard-error rule.

    Parameters
    ----------
    n_Cs : int, default=20
        Size of the regularisation grid.
    cv : int, default=5
        Inner cross-validation folds.
    one_se : bool, default=True
        Use the most regularised C within one SE of the best (True) or the best C (False).
    random_state : int or None, default=0
        Seed of the inner fold split.

    Attributes
    ----------
    path_ : LassoPath
        Cross-validation curve.
    C_ : float
        Chosen inverse regularisation strength.
    coef_ : ndarray
        Coefficients on the standardised scale at ``C_``.
    """

    def __init__(
        self, n_Cs: int = 20, cv: int = 5, one_se: bool = True, random_state: int | None = 0
    ) -> None:
        self.n_Cs = n_Cs
        self.cv = cv
        self.one_se = one_se
        self.random_state = random_state

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags

    def fit(self, X: Any, y: Any) -> LassoSelector:
        """Choose C by inner CV and keep the features with non-zero coefficients.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Features.
        y : array-like of shape (n_samples,)
            Outcome.

        Returns
        -------
        LassoSelector
            The fitted selector.
        """
        Xa, ya = validate_data(self, X, y, ensure_min_samples=2, dtype=np.float64)
        yb, _ = _binary_target(ya)
        Z, _, _ = _standardise(Xa)
        self.path_ = lasso_cv_path(Z, yb, n_Cs=self.n_Cs, cv=self.cv, random_state=self.random_state)
        self.C_ = self.path_.C_1se if self.one_se else self.path_.C_min
        self.coef_, _ = l1_fit(Z, yb, self.C_, self.random_state)
        mask = self.coef_ != 0
        if not mask.any():
            mask[int(np.argmax(_f_statistic(Xa, yb)))] = True
        self.support_ = mask
        return self

    def _get_support_mask(self) -> BoolArray:
        check_is_fitted(self, "support_")
        return np.asarray(self.support_, dtype=bool)


class StabilitySelector(SelectorMixin, BaseEstimator):  # type: ignore[misc]
    """Stability selection: LASSO-logistic on random half-samples, keep features selected often enough.

    Parameters
    ----------
    n_resamples : int, default=50
        Number of subsamples.
    sample_fraction : float, default=0.5
        Fraction of recipients per subsample (stratified by outcome).
    C_factor : float, default=10.0
        The L1 strength is ``C_factor`` times the smallest C giving a non-empty model on the full data.
    threshold : float, default=0.6
        Minimum selection frequency.
    random_state : int or None, default=0
        Seed.

    Attributes
    ----------
    frequencies_ : ndarray
        Selection frequency of each feature.
    """

    def __init__(
        self,
        n_resamples: int = 50,
        sample_fraction: float = 0.5,
        C_factor: float = 10.0,
        threshold: float = 0.6,
        random_state: int | None = 0,
    ) -> None:
        self.n_resamples = n_resamples
        self.sample_fraction = sample_fraction
        self.C_factor = C_factor
        self.threshold = threshold
        self.random_state = random_state

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags

    def fit(self, X: Any, y: Any) -> StabilitySelector:
        """Estimate selection frequencies over subsamples.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Features.
        y : array-like of shape (n_samples,)
            Outcome.

        Returns
        -------
        StabilitySelector
            The fitted selector.
        """
        if not 0.0 < self.sample_fraction < 1.0:
            raise ValueError(f"sample_fraction must lie in (0, 1) (found {self.sample_fraction})")
        Xa, ya = validate_data(self, X, y, ensure_min_samples=2, dtype=np.float64)
        yb, _ = _binary_target(ya)
        Z, _, _ = _standardise(Xa)
        C = self.C_factor * l1_min_c_centered(Z, yb)
        rng = np.random.default_rng(self.random_state)
        counts = np.zeros(Z.shape[1])
        pos, neg = np.flatnonzero(yb == 1), np.flatnonzero(yb == 0)
        done = 0
        for _ in range(self.n_resamples):
            take_p = rng.choice(pos, size=max(1, round(self.sample_fraction * pos.shape[0])), replace=False)
            take_n = rng.choice(neg, size=max(1, round(self.sample_fraction * neg.shape[0])), replace=False)
            rows = np.concatenate([take_p, take_n])
            coef, _ = l1_fit(Z[rows], yb[rows], C, self.random_state)
            counts += coef != 0
            done += 1
        self.frequencies_ = counts / max(done, 1)
        mask = self.frequencies_ >= self.threshold
        if not mask.any():
            mask[int(np.argmax(self.frequencies_))] = True
        self.support_ = mask
        return self

    def _get_support_mask(self) -> BoolArray:
        check_is_fitted(self, "support_")
        return np.asarray(self.support_, dtype=bool)


class _LinearScoreOutput:
    """The output side shared by the score builders: one column, ``intercept_ + z @ coef_`` on standardised inputs."""

    name: str
    mean_: FloatArray
    scale_: FloatArray
    coef_: FloatArray
    intercept_: float

    def transform(self, X: Any) -> FloatArray:
        """Return the score (one column).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Features in the fitted order.

        Returns
        -------
        ndarray of shape (n_samples, 1)
            Linear predictor.
        """
        check_is_fitted(self, "coef_")
        Xa = validate_data(self, X, reset=False, dtype=np.float64)
        z = (Xa - self.mean_) / self.scale_
        return np.asarray((self.intercept_ + z @ self.coef_)[:, None], dtype=np.float64)

    def get_feature_names_out(self, input_features: Any = None) -> NDArray[np.object_]:
        """Return the single output name.

        Parameters
        ----------
        input_features : ignored
            Present for API compatibility.

        Returns
        -------
        ndarray of str
            ``[name]``.
        """
        check_is_fitted(self, "coef_")
        return np.asarray([self.name], dtype=object)


class ScoreBuilder(_LinearScoreOutput, TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Build a single score (Rad-score, DL-score): the linear predictor of a LASSO-logistic model (1-SE rule).

    Parameters
    ----------
    name : str, default="rad_score"
        Name of the output column.
    n_Cs : int, default=20
        Size of the regularisation grid.
    cv : int, default=5
        Inner folds.
    one_se : bool, default=True
        One-standard-error rule.
    random_state : int or None, default=0
        Seed of the inner folds.

    Attributes
    ----------
    mean_, scale_ : ndarray
        Standardisation of the inputs.
    coef_ : ndarray
        Coefficients on the standardised scale (zeros for dropped features).
    intercept_ : float
        Intercept of the linear predictor.
    C_ : float
        Chosen inverse regularisation strength.
    """

    def __init__(
        self,
        name: str = "rad_score",
        n_Cs: int = 20,
        cv: int = 5,
        one_se: bool = True,
        random_state: int | None = 0,
    ) -> None:
        self.name = name
        self.n_Cs = n_Cs
        self.cv = cv
        self.one_se = one_se
        self.random_state = random_state

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags

    def fit(self, X: Any, y: Any, groups: Any = None) -> ScoreBuilder:
        """Fit the LASSO-logistic score.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Features.
        y : array-like of shape (n_samples,)
            Outcome.
        groups : array-like of shape (n_samples,), optional
            Recipient identity for the inner CV (bootstrap duplicates stay in one fold).

        Returns
        -------
        ScoreBuilder
            The fitted builder.
        """
        Xa, ya = validate_data(self, X, y, ensure_min_samples=2, dtype=np.float64)
        yb, _ = _binary_target(ya)
        Z, self.mean_, self.scale_ = _standardise(Xa)
        g = None if groups is None else np.asarray(groups)
        path = lasso_cv_path(Z, yb, n_Cs=self.n_Cs, cv=self.cv, random_state=self.random_state, groups=g)
        coef = np.zeros(Z.shape[1])
        intercept = 0.0
        chosen = path.C_1se if self.one_se else path.C_min
        for C in (chosen, path.C_min, float(path.Cs[-1])):
            coef, intercept = l1_fit(Z, yb, C, self.random_state)
            if np.any(coef != 0):
                self.C_ = C
                break
        else:
            self.C_ = float(path.Cs[-1])
        self.coef_ = coef
        self.intercept_ = intercept
        self.path_ = path
        return self


class SelectedScoreBuilder(_LinearScoreOutput, TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Pre-selection (mRMR, then stability selection) and a LASSO score, tuned with the selection inside the CV.

    The LASSO penalty is chosen by inner cross-validation in which the supervised pre-selection is *refitted on
    every inner training fold* (Ambroise & McLachlan 2002; Varma & Simon 2006).  Tuning the penalty on features
    that were pre-selected on all rows sees no selection optimism, picks too weak a penalty and lets the score
    memorise its training rows - which also makes bootstrap optimism estimates too small.  The grid is relative:
    ``C = factor x`` the smallest C with a non-empty model on that fold's selected features, so folds with
    different selections share one scale.

    Parameters
    ----------
    name : str, default="rad_score"
        Name of the output column.
    n_mrmr : int, default=20
        Features kept by mRMR (applied only when there are more).
    stability : bool, default=True
        Run stability selection after mRMR (when more than 3 features remain).
    n_stability : int, default=30
        Stability-selection subsamples.
    n_Cs : int, default=15
        Size of the relative regularisation grid (factors 1.05 to 31.6).
    cv : int, default=5
        Inner folds (reduced to the minority-class count when smaller).
    one_se : bool, default=True
        Most regularised factor within one SE of the best (True) or the best (False).
    random_state : int or None, default=0
        Seed of the inner folds and of stability selection.

    Attributes
    ----------
    preselected_ : ndarray of bool
        Features passed to the final LASSO (mRMR + stability selection on all rows).
    coef_ : ndarray
        Coefficients on the standardised scale, zeros outside the selected features.
    mean_, scale_ : ndarray
        Standardisation of every input.
    intercept_ : float
        Intercept of the linear predictor.
    factor_ : float
        Chosen grid factor.
    C_ : float
        Inverse regularisation strength of the final LASSO.
    path_ : LassoPath
        Inner-CV deviance over the grid (``Cs`` holds the factors).
    """

    def __init__(
        self,
        name: str = "rad_score",
        n_mrmr: int = 20,
        stability: bool = True,
        n_stability: int = 30,
        n_Cs: int = 15,
        cv: int = 5,
        one_se: bool = True,
        random_state: int | None = 0,
    ) -> None:
        self.name = name
        self.n_mrmr = n_mrmr
        self.stability = stability
        self.n_stability = n_stability
        self.n_Cs = n_Cs
        self.cv = cv
        self.one_se = one_se
        self.random_state = random_state

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags

    def _preselect(self, X: FloatArray, yb: NDArray[np.int64]) -> BoolArray:
        mask = np.ones(X.shape[1], dtype=bool)
        if X.shape[1] > self.n_mrmr:
            mask = MRMRSelector(n_features=self.n_mrmr).fit(X, yb).get_support()
        if self.stability and mask.sum() > 3:
            idx = np.flatnonzero(mask)
            keep = StabilitySelector(n_resamples=self.n_stability, random_state=self.random_state).fit(
                X[:, idx], yb
            )
            mask = np.zeros_like(mask)
            mask[idx[keep.get_support()]] = True
        return mask

    def _folds(self, X: FloatArray, yb: NDArray[np.int64], groups: NDArray[Any] | None) -> list[Any]:
        n_splits = int(min(self.cv, np.bincount(yb).min()))
        if groups is not None and np.unique(groups).shape[0] < groups.shape[0]:
            n_splits = int(
                min(n_splits, np.unique(groups[yb == 1]).shape[0], np.unique(groups[yb == 0]).shape[0])
            )
            if n_splits < 2:
                return []
            return list(
                StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=self.random_state).split(
                    X, yb, groups
                )
            )
        if n_splits < 2:
            return []
        return list(
            StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=self.random_state).split(X, yb)
        )

    def fit(self, X: Any, y: Any, groups: Any = None) -> SelectedScoreBuilder:
        """Tune the penalty with the pre-selection inside the inner CV, then select and fit on all rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Features.
        y : array-like of shape (n_samples,)
            Outcome.
        groups : array-like of shape (n_samples,), optional
            Recipient identity for the inner CV (bootstrap duplicates stay in one fold).

        Returns
        -------
        SelectedScoreBuilder
            The fitted builder.
        """
        if not isinstance(self.n_mrmr, int | np.integer) or self.n_mrmr < 1:
            raise ValueError(f"n_mrmr must be a positive integer (found {self.n_mrmr!r})")
        Xa, ya = validate_data(self, X, y, ensure_min_samples=2, dtype=np.float64)
        yb, _ = _binary_target(ya)
        g = None if groups is None else np.asarray(groups)
        factors = np.logspace(0.02, 1.5, self.n_Cs)
        folds = self._folds(Xa, yb, g)
        dev = np.full((max(len(folds), 1), self.n_Cs), np.nan)
        for f, (tr, te) in enumerate(folds):
            if np.unique(yb[tr]).shape[0] < 2:
                continue
            mask = self._preselect(Xa[tr], yb[tr])
            Z, mu, sd = _standardise(Xa[tr][:, mask])
            Zt = (Xa[te][:, mask] - mu) / sd
            c0 = l1_min_c_centered(Z, yb[tr])
            for i, fac in enumerate(factors):
                coef, icpt = l1_fit(Z, yb[tr], float(c0 * fac), self.random_state)
                p = np.clip(_l1_predict(Zt, coef, icpt), 1e-12, 1 - 1e-12)
                dev[f, i] = -2.0 * np.mean(yb[te] * np.log(p) + (1 - yb[te]) * np.log(1 - p))
        if np.all(np.isnan(dev)):
            mean = se = np.zeros(self.n_Cs)
            best = chosen = self.n_Cs // 2
        else:
            mean = np.nanmean(dev, axis=0)
            k = int(np.sum(~np.isnan(dev[:, 0])))
            se = np.nanstd(dev, axis=0, ddof=1) / np.sqrt(k) if k > 1 else np.zeros(self.n_Cs)
            best = int(np.nanargmin(mean))
            chosen = int(np.flatnonzero(mean <= mean[best] + se[best]).min()) if self.one_se else best
        self.path_ = LassoPath(
            Cs=factors,
            mean_deviance=mean,
            se_deviance=se,
            C_min=float(factors[best]),
            C_1se=float(factors[chosen]),
        )
        self.preselected_ = self._preselect(Xa, yb)
        Zall, self.mean_, self.scale_ = _standardise(Xa)
        Z = Zall[:, self.preselected_]
        c0 = l1_min_c_centered(Z, yb)
        coef = np.zeros(Z.shape[1])
        intercept = 0.0
        for fac in (factors[chosen], factors[best], factors[-1]):
            coef, intercept = l1_fit(Z, yb, float(c0 * fac), self.random_state)
            if np.any(coef != 0):
                break
        self.factor_ = float(fac)
        self.C_ = float(c0 * fac)
        self.coef_ = np.zeros(Xa.shape[1])
        self.coef_[self.preselected_] = coef
        self.intercept_ = float(intercept)
        return self

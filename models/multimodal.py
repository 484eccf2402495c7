"""The development procedure: clinical predictors + Rad-score + DL-score, stacked by a logistic meta-learner.

One estimator, :class:`MultimodalRiskModel`, is the *whole* data-driven procedure, so that resampling (nested CV,
bootstrap) refits everything - imputation, stability and redundancy filtering, mRMR, stability selection, LASSO
tuning (inner CV, 1-SE rule, with mRMR and stability selection refitted in every inner fold), cross-fitting of the scores, the meta-learner and its shrinkage - on training rows
only.  The candidate models are settings of it:

* clinical-only: a pre-specified small set of clinical predictors (size chosen with Riley's criteria);
* Rad-score only / DL-score only;
* multimodal stacking: the Rad-score and DL-score are base learners whose *out-of-fold* (cross-fitted) scores
  enter a logistic meta-learner together with the clinical predictors; at prediction time the base learners
  refitted on all training rows supply the scores (Wolpert 1992 stacking);
* comparators: the same stacked inputs into gradient boosting (sigmoid-calibrated on inner-CV predictions) or a
  random forest (Platt scaling of its out-of-bag predictions), optionally with balanced class weights.

Class imbalance (about 25% events): stratified folds everywhere; the logistic models are *not* re-weighted, because
re-weighting or resampling destroys calibration (van den Goorbergh et al., JAMIA 2022); the tree comparators may
use ``class_weight="balanced"`` and are recalibrated.  The logistic meta-learner's slopes are shrunk by the
heuristic factor ``(LR chi2 - df) / LR chi2`` (van Houwelingen & le Cessie 1990) and the intercept re-estimated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import special, stats
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold
from sklearn.utils.validation import check_is_fitted

from models.features import CLINICAL_UNITS, radiomics_columns, size_duplicates, split_blocks
from models.logistic import LogisticFit, fit_logistic
from models.selection import IccStabilityFilter, SelectedScoreBuilder, VarianceCorrelationFilter

FloatArray = NDArray[np.float64]

#: Clinical predictors modelled on the log2 scale (odds ratios per doubling).
LOG2_PREDICTORS = frozenset(
    {"platelets", "wbc", "spleen_volume_ml", "bilirubin", "inr", "creatinine", "liver_volume_ml", "meld"}
)

#: Pre-specified clinical predictors ranked by prior evidence (CLINICAL.md section 2 and the published anchor);
#: a model takes the first k, k chosen for the sample size.
RANKED_CLINICAL = ("platelets", "spleen_volume_ml", "splenic_vein_mm", "portal_vein_mm", "wbc")


def transform_name(name: str) -> str:
    """Return the transform applied to a clinical predictor (``"log2"`` or ``"identity"``).

    Parameters
    ----------
    name : str
        Predictor name.

    Returns
    -------
    str
        Transform name.
    """
    return "log2" if name in LOG2_PREDICTORS else "identity"


def apply_transform(values: FloatArray, transform: str) -> FloatArray:
    """Apply a clinical predictor transform (log2 floors at 1e-3).

    Parameters
    ----------
    values : ndarray
        Raw values (dictionary units).
    transform : str
        ``"log2"`` or ``"identity"``.

    Returns
    -------
    ndarray
        Transformed values (NaN stays NaN).
    """
    if transform == "log2":
        return np.asarray(np.log2(np.maximum(values, 1e-3)), dtype=np.float64)
    if transform == "identity":
        return np.asarray(values, dtype=np.float64)
    raise ValueError(f"unknown transform {transform!r} (expected 'log2' or 'identity')")


@dataclass
class LinearScore:
    """A fitted score that is linear in its (median-imputed) raw inputs: ``intercept + sum coef_j x_j``."""

    name: str
    inputs: list[str]
    medians: FloatArray
    coef: FloatArray
    intercept: float

    def score(self, frame: pd.DataFrame) -> FloatArray:
        """Evaluate the score on a table holding the input columns."""
        x = frame[self.inputs].to_numpy(dtype=np.float64) if self.inputs else np.zeros((len(frame), 0))
        x = np.where(np.isnan(x), self.medians, x)
        return np.asarray(self.intercept + x @ self.coef, dtype=np.float64)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready description."""
        return {
            "name": self.name,
            "kind": "linear",
            "inputs": list(self.inputs),
            "medians": self.medians.tolist(),
            "coef": self.coef.tolist(),
            "intercept": self.intercept,
        }


def final_model_covariance(
    M: FloatArray, y: FloatArray, fit: LogisticFit, shrinkage: float, intercept: float
) -> FloatArray:
    """Covariance of the final model's (re-estimated intercept, shrunk slopes), from influence functions.

    The final model is ``a + s b'x`` where ``b`` is the maximum-likelihood slope vector, ``s`` the (fixed)
    shrinkage factor and ``a`` re-estimated with the slopes held at ``s b`` (it solves
    ``sum_i (y_i - expit(a + s b'x_i)) = 0``).  Linearising both estimating equations gives each recipient's
    influence on the estimates: ``IF_b,i = [I^-1 d_i (y_i - p_i)]_slopes`` (``d_i = (1, x_i)``, ``I`` the observed
    information of the full fit), ``IF_sb,i = s IF_b,i`` and
    ``IF_a,i = (y_i - q_i) / W - m' IF_sb,i`` with ``q_i = expit(a + s b'x_i)``, ``W = sum q(1-q)`` and ``m`` the
    ``q(1-q)``-weighted mean of ``x``.  The covariance is ``sum_i IF_i IF_i'`` (the empirical sandwich).  Keeping
    the full fit's intercept variance instead - rescaling only the slopes - over-states the SE of a typical
    recipient's log-odds about twofold and under-states it far from the mean (issue 16).  The uncertainty of
    ``s`` itself and of any score selected from many features is not in this matrix; the development run measures
    it with a bootstrap of the whole procedure (``interval_inflation``).

    Parameters
    ----------
    M : ndarray of shape (n, k)
        Design of the active terms.
    y : ndarray of shape (n,)
        Outcome.
    fit : LogisticFit
        Unshrunk maximum-likelihood fit of ``y`` on ``M`` (intercept first).
    shrinkage : float
        Shrinkage factor ``s``.
    intercept : float
        Re-estimated intercept ``a``.

    Returns
    -------
    ndarray of shape (k + 1, k + 1)
        Covariance of ``(a, s b)``.
    """
    n = M.shape[0]
    d = np.column_stack([np.ones(n), M])
    p = special.expit(d @ fit.coef)
    info = (d * (p * (1 - p))[:, None]).T @ d
    if_full = np.linalg.solve(info, (d * (y - p)[:, None]).T).T  # (n, k+1)
    if_sb = shrinkage * if_full[:, 1:]
    q = special.expit(intercept + M @ (shrinkage * fit.coef[1:]))
    w = q * (1 - q)
    m = (w @ M) / w.sum()
    if_a = (y - q) / w.sum() - if_sb @ m
    infl = np.column_stack([if_a, if_sb])
    return np.asarray(infl.T @ infl, dtype=np.float64)


class _ScoreChain:
    """Unsupervised filters fitted once per training set; supervised selection + score fitted per fold."""

    def __init__(self, model: MultimodalRiskModel, name: str, columns: list[str], unsupervised: bool) -> None:
        self.model = model
        self.name = name
        self.columns = columns
        self.unsupervised = unsupervised

    def fit_unsupervised(self, frame: pd.DataFrame, replicates: FloatArray | None) -> None:
        R = frame[self.columns].to_numpy(dtype=np.float64)
        with np.errstate(all="ignore"):
            med = np.nanmedian(R, axis=0)
        med = np.where(np.isfinite(med), med, 0.0)
        R = np.where(np.isnan(R), med, R)
        keep = np.ones(R.shape[1], dtype=bool)
        self.icc: IccStabilityFilter | None = None
        self.varcorr: VarianceCorrelationFilter | None = None
        if self.unsupervised:
            self.icc = IccStabilityFilter(threshold=self.model.icc_threshold).fit(R, replicates=replicates)
            keep = self.icc.get_support()
            self.varcorr = VarianceCorrelationFilter(corr_threshold=self.model.corr_threshold).fit(R[:, keep])
            idx = np.flatnonzero(keep)
            keep = np.zeros_like(keep)
            keep[idx[self.varcorr.get_support()]] = True
        self.kept = [c for c, k in zip(self.columns, keep, strict=True) if k]
        self.kept_medians = med[keep]

    def _builder(self) -> SelectedScoreBuilder:
        m = self.model
        return SelectedScoreBuilder(
            name=self.name,
            n_mrmr=m.n_mrmr,
            stability=m.stability,
            n_stability=m.n_stability,
            n_Cs=m.n_Cs,
            cv=m.inner_cv,
            random_state=m.random_state,
        )

    def _matrix(self, frame: pd.DataFrame) -> FloatArray:
        R = frame[self.kept].to_numpy(dtype=np.float64)
        return np.asarray(np.where(np.isnan(R), self.kept_medians, R), dtype=np.float64)

    def fit_supervised(self, frame: pd.DataFrame, y: NDArray[np.int64], groups: NDArray[Any]) -> LinearScore:
        builder = self._builder().fit(self._matrix(frame), y, groups=groups)
        nz = builder.coef_ != 0
        idx = np.flatnonzero(nz)
        coef = builder.coef_[nz] / builder.scale_[nz]
        # Centred on the training rows (the LASSO's intercept dropped; its shrinkage kept): fold-specific
        # intercepts would make the cross-fitted scores carry each fold's event rate, inversely - an artefact the
        # meta-learner would fit.  (Standardising the scale as well was tried: it undoes the 1-SE shrinkage, the
        # final score then gets the full weight of its memorised direction and the apparent AUC rises.)
        intercept = -float(self._matrix(frame)[:, idx].mean(axis=0) @ coef) if idx.size else 0.0
        self.last_builder = builder
        return LinearScore(
            name=self.name,
            inputs=[self.kept[i] for i in idx],
            medians=self.kept_medians[idx],
            coef=coef,
            intercept=intercept,
        )


class MultimodalRiskModel(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Clinical predictors + Rad-score + DL-score with a logistic (or tree) meta-learner.

    Parameters
    ----------
    clinical : tuple of str
        Clinical predictor columns (dictionary names); log2 for skewed labs and volumes.
    radiomics : bool
        Build a Rad-score from the radiomics block (columns ``"<roi>__..."`` of ``rois``).
    deep : bool
        Use the deep block: ``deep_score`` (the CNN's logit) enters as the DL-score term; ``deep_emb_*`` columns
        are reduced to a DL-score like the radiomics.
    rois : tuple of str
        Radiomics ROIs used.
    meta : {"logistic", "gbm", "rf"}
        Meta-learner.
    shrinkage : bool
        Heuristic shrinkage of the logistic meta-learner.
    class_weight : None or "balanced"
        Class weights of the tree comparators (the logistic models are never re-weighted).
    n_mrmr, n_stability, n_Cs, inner_cv, n_crossfit : int
        Sizes of the selection steps, inner CV folds and cross-fitting folds.
    stability : bool
        Include stability selection before the score.
    icc_threshold, corr_threshold : float
        Filter thresholds.
    random_state : int
        Seed of every inner split.
    """

    coef_: FloatArray
    cov_: FloatArray
    dropped_scores_: list[str]

    def __init__(
        self,
        clinical: tuple[str, ...] = ("platelets", "spleen_volume_ml", "splenic_vein_mm"),
        radiomics: bool = True,
        deep: bool = True,
        rois: tuple[str, ...] = ("spleen",),
        meta: str = "logistic",
        shrinkage: bool = True,
        class_weight: str | None = None,
        n_mrmr: int = 20,
        stability: bool = True,
        n_stability: int = 30,
        n_Cs: int = 15,
        inner_cv: int = 5,
        n_crossfit: int = 5,
        icc_threshold: float = 0.75,
        corr_threshold: float = 0.90,
        random_state: int = 0,
    ) -> None:
        self.clinical = clinical
        self.radiomics = radiomics
        self.deep = deep
        self.rois = rois
        self.meta = meta
        self.shrinkage = shrinkage
        self.class_weight = class_weight
        self.n_mrmr = n_mrmr
        self.stability = stability
        self.n_stability = n_stability
        self.n_Cs = n_Cs
        self.inner_cv = inner_cv
        self.n_crossfit = n_crossfit
        self.icc_threshold = icc_threshold
        self.corr_threshold = corr_threshold
        self.random_state = random_state

    # ------------------------------------------------------------------------------------------------ fitting
    def _clinical_matrix(self, frame: pd.DataFrame) -> FloatArray:
        cols = []
        for name, med in zip(self.clinical, self.clinical_medians_, strict=True):
            v = apply_transform(frame[name].to_numpy(dtype=np.float64), transform_name(name))
            cols.append(np.where(np.isnan(v), med, v))
        return np.column_stack(cols) if cols else np.zeros((len(frame), 0))

    def fit(self, X: pd.DataFrame, y: Any, replicates: Any = None) -> MultimodalRiskModel:
        """Run the whole development procedure on the training rows.

        Parameters
        ----------
        X : pandas.DataFrame
            Feature table (named columns; see :mod:`models.features`).
        y : array-like of shape (n_samples,)
            Outcome 0/1.
        replicates : ndarray of shape (n_samples, n_replicates, n_radiomics), optional
            Radiomics re-extracted from perturbed masks, row-aligned with ``X`` and column-aligned with its
            radiomics columns (NaN rows for recipients without them).

        Returns
        -------
        MultimodalRiskModel
            The fitted model.
        """
        if not isinstance(X, pd.DataFrame):
            raise TypeError("MultimodalRiskModel needs a pandas DataFrame with named feature columns")
        if self.meta not in ("logistic", "gbm", "rf"):
            raise ValueError(f"meta must be 'logistic', 'gbm' or 'rf' (found {self.meta!r})")
        yb = np.asarray(y).astype(np.int64)
        if set(np.unique(yb).tolist()) != {0, 1}:
            raise ValueError("the outcome must contain both 0 and 1")
        missing = [c for c in self.clinical if c not in X.columns]
        if missing:
            raise ValueError(f"clinical predictors missing from the feature table: {missing}")
        self.classes_ = np.array([0, 1])
        blocks = split_blocks(X.columns)
        rad_cols = radiomics_columns(X.columns, self.rois) if self.radiomics else []
        if self.radiomics and not rad_cols:
            raise ValueError(f"radiomics requested but the table has no columns of ROIs {list(self.rois)}")
        # size-shape features would count spleen size twice beside the clinical spleen volume/length
        self.size_duplicates_ = size_duplicates(rad_cols, self.clinical)
        kept_idx = [i for i, c in enumerate(rad_cols) if c not in self.size_duplicates_]
        all_rad_cols, rad_cols = rad_cols, [rad_cols[i] for i in kept_idx]
        deep_emb = [c for c in blocks["deep"] if c.startswith("deep_emb_")] if self.deep else []
        self.uses_deep_score_ = bool(self.deep and "deep_score" in X.columns and not deep_emb)
        if self.deep and not (deep_emb or self.uses_deep_score_):
            raise ValueError(
                "deep features requested but the table has neither deep_score nor deep_emb_* columns"
            )
        rep = None
        if replicates is not None and rad_cols:
            rep = np.asarray(replicates, dtype=np.float64)
            if rep.ndim == 3 and rep.shape[2] == len(all_rad_cols):
                rep = rep[:, :, kept_idx]  # the replicates are column-aligned with every radiomics column
        # clinical
        meds = []
        for name in self.clinical:
            v = apply_transform(X[name].to_numpy(dtype=np.float64), transform_name(name))
            with np.errstate(all="ignore"):
                m = float(np.nanmedian(v))
            meds.append(m if np.isfinite(m) else 0.0)
        self.clinical_medians_ = np.asarray(meds)
        C = self._clinical_matrix(X)
        # scores: cross-fitted for the meta-learner, refitted on all rows for prediction
        chains: list[_ScoreChain] = []
        if rad_cols:
            chains.append(_ScoreChain(self, "rad_score", rad_cols, unsupervised=True))
        if deep_emb:
            chains.append(_ScoreChain(self, "dl_score", deep_emb, unsupervised=False))
        # bootstrap samples repeat recipients (same index label): keep a recipient's copies in one fold
        groups = pd.factorize(X.index)[0]
        if np.unique(groups).shape[0] < groups.shape[0]:
            folds = list(
                StratifiedGroupKFold(
                    n_splits=self.n_crossfit, shuffle=True, random_state=self.random_state
                ).split(C, yb, groups)
            )
        else:
            folds = list(
                StratifiedKFold(n_splits=self.n_crossfit, shuffle=True, random_state=self.random_state).split(
                    C, yb
                )
            )
        score_cols = []
        self.scores_: list[LinearScore] = []
        self.selection_report_: dict[str, Any] = {}
        for chain in chains:
            chain.fit_unsupervised(X, rep if chain.name == "rad_score" else None)
            oof = np.empty(len(X))
            for tr, te in folds:
                fold_score = chain.fit_supervised(X.iloc[tr], yb[tr], groups[tr])
                oof[te] = fold_score.score(X.iloc[te])
            final = chain.fit_supervised(X, yb, groups)
            self.scores_.append(final)
            score_cols.append(oof)
            self.selection_report_[chain.name] = self._chain_report(chain, final)
        if self.uses_deep_score_:
            score_cols.append(self._deep_logit(X))
        M = np.column_stack([C, *score_cols]) if score_cols else C
        self.terms_ = (
            list(self.clinical)
            + [s.name for s in self.scores_]
            + (["dl_score"] if self.uses_deep_score_ else [])
        )
        if not self.terms_:
            raise ValueError("the model has no inputs: give clinical predictors or enable radiomics/deep")
        self.n_features_in_ = len(self.input_features())
        self.term_means_ = M.mean(axis=0)
        if self.meta == "logistic":
            self._fit_logistic_meta(M, yb)
            self._prune_dropped_scores()
        else:
            self._fit_tree_meta(M, yb)
        return self

    def _prune_dropped_scores(self) -> None:
        """Remove the scores the meta-learner dropped: the locked model then neither needs nor computes them."""
        if not self.dropped_scores_:
            return
        keep = np.array([t not in self.dropped_scores_ for t in self.terms_])
        for name in self.dropped_scores_:
            if name in self.selection_report_:
                self.selection_report_[name]["dropped_by_meta_learner"] = True
        self.scores_ = [s for s in self.scores_ if s.name not in self.dropped_scores_]
        if "dl_score" in self.dropped_scores_ and self.uses_deep_score_:
            self.uses_deep_score_ = False
            self.selection_report_["dl_score"] = {"input": "deep_score", "dropped_by_meta_learner": True}
        self.terms_ = [t for t, k in zip(self.terms_, keep, strict=True) if k]
        self.coef_ = self.coef_[keep]
        self.term_means_ = self.term_means_[keep]
        full = np.concatenate([[True], keep])
        self.cov_ = self.cov_[np.ix_(full, full)]
        self.n_features_in_ = len(self.input_features())

    @staticmethod
    def _deep_logit(X: pd.DataFrame) -> FloatArray:
        z = X["deep_score"].to_numpy(dtype=np.float64)
        if not np.all(np.isfinite(z)):
            raise ValueError("deep_score has missing or infinite values: run the CNN for every recipient")
        return np.asarray(z, dtype=np.float64)

    def _chain_report(self, chain: _ScoreChain, final: LinearScore) -> dict[str, Any]:
        rep: dict[str, Any] = {"candidates": len(chain.columns), "after_filters": len(chain.kept)}
        if chain.name == "rad_score":
            rep["excluded_size_duplicates"] = list(self.size_duplicates_)
        if chain.icc is not None:
            rep["icc_assessed"] = bool(chain.icc.assessed_)
            rep["after_icc"] = int(chain.icc.get_support().sum())
            rep["icc_subjects"] = int(chain.icc.n_subjects_)
        builder = chain.last_builder
        rep["preselected"] = int(builder.preselected_.sum())
        rep["lasso_C"] = float(builder.C_)
        rep["lasso_factor"] = float(builder.factor_)
        rep["selected"] = list(final.inputs)
        return rep

    def _fit_logistic_meta(self, M: FloatArray, yb: NDArray[np.int64]) -> None:
        # Stacking weights of the scores are non-negative (Breiman 1996): a Rad-/DL-score is oriented (higher =
        # more risk), so a negative weight can only fit noise in the cross-fitted scores; such a score is dropped
        # (weight 0) and the meta-learner refitted.  Clinical predictors keep their free signs.
        n_clin = len(self.clinical)
        active = np.ones(M.shape[1], dtype=bool)
        while True:
            fit = fit_logistic(M[:, active], yb.astype(np.float64))
            full = np.zeros(M.shape[1])
            full[active] = fit.coef[1:]
            negative = [j for j in range(n_clin, M.shape[1]) if active[j] and full[j] < 0]
            if not negative:
                break
            active[min(negative, key=lambda j: full[j])] = False
        df = int(active.sum())
        s = 1.0
        if self.shrinkage and fit.lr_chi2 > 0:
            s = max(0.0, (fit.lr_chi2 - df) / fit.lr_chi2)
        slopes = full * s
        refit = fit_logistic(np.zeros((M.shape[0], 0)), yb.astype(np.float64), offset=M @ slopes)
        self.intercept_ = float(refit.coef[0])
        self.coef_ = slopes
        keep = np.concatenate([[True], active])
        cov = np.zeros((M.shape[1] + 1, M.shape[1] + 1))
        cov[np.ix_(keep, keep)] = final_model_covariance(
            M[:, active], yb.astype(np.float64), fit, s, self.intercept_
        )
        self.cov_ = cov
        self.interval_inflation_ = 1.0
        self.dropped_scores_ = [self.terms_[j] for j in range(M.shape[1]) if not active[j]]
        self.unshrunk_: LogisticFit = fit
        self.shrinkage_factor_ = s
        self.meta_model_: Any = None

    def _fit_tree_meta(self, M: FloatArray, yb: NDArray[np.int64]) -> None:
        if self.meta == "gbm":
            base = HistGradientBoostingClassifier(
                max_depth=2,
                learning_rate=0.05,
                max_iter=100,
                class_weight=self.class_weight,
                random_state=self.random_state,
            )
            # sigmoid calibration on inner-CV predictions
            self.meta_model_ = CalibratedClassifierCV(base, method="sigmoid", cv=3).fit(M, yb)
            self.platt_: tuple[float, float] | None = None
        else:
            # the forest's out-of-bag predictions are honest: Platt-scale them (no extra fits)
            forest = RandomForestClassifier(
                n_estimators=200,
                min_samples_leaf=10,
                class_weight=self.class_weight,
                random_state=self.random_state,
                oob_score=True,
                n_jobs=1,
            ).fit(M, yb)
            oob = np.nan_to_num(forest.oob_decision_function_[:, 1], nan=float(yb.mean()))
            platt = fit_logistic(special.logit(np.clip(oob, 0.01, 0.99))[:, None], yb.astype(np.float64))
            self.meta_model_ = forest
            self.platt_ = (float(platt.coef[0]), float(platt.coef[1]))
        self.coef_ = np.full(M.shape[1], np.nan)
        self.dropped_scores_ = []
        self.intercept_ = float("nan")
        self.shrinkage_factor_ = float("nan")
        self.interval_inflation_ = float("nan")

    # --------------------------------------------------------------------------------------------- prediction
    def input_features(self) -> list[str]:
        """Ordered raw input columns the fitted model reads."""
        out = list(self.clinical)
        for s in self.scores_:
            out.extend(s.inputs)
        if self.uses_deep_score_:
            out.append("deep_score")
        return out

    def design(self, X: pd.DataFrame) -> FloatArray:
        """Meta-learner design matrix (clinical transformed, then the scores) for new recipients.

        Parameters
        ----------
        X : pandas.DataFrame
            Feature table.

        Returns
        -------
        ndarray of shape (n, n_terms)
            One column per term in ``terms_``.
        """
        check_is_fitted(self, "terms_")
        cols = [self._clinical_matrix(X)]
        for s in self.scores_:
            cols.append(s.score(X)[:, None])
        if self.uses_deep_score_:
            cols.append(self._deep_logit(X)[:, None])
        return np.column_stack(cols)

    def decision_function(self, X: pd.DataFrame) -> FloatArray:
        """Log-odds of the event.

        Parameters
        ----------
        X : pandas.DataFrame
            Feature table.

        Returns
        -------
        ndarray of shape (n,)
            Linear predictor (logit of the predicted probability).
        """
        M = self.design(X)
        if self.meta == "logistic":
            return np.asarray(self.intercept_ + M @ self.coef_, dtype=np.float64)
        if self.platt_ is not None:
            raw = np.clip(self.meta_model_.predict_proba(M)[:, 1], 0.01, 0.99)
            return np.asarray(self.platt_[0] + self.platt_[1] * special.logit(raw), dtype=np.float64)
        p = np.clip(self.meta_model_.predict_proba(M)[:, 1], 1e-8, 1 - 1e-8)
        return np.asarray(special.logit(p), dtype=np.float64)

    def predict_proba(self, X: pd.DataFrame) -> FloatArray:
        """Predicted probabilities of no event and event.

        Parameters
        ----------
        X : pandas.DataFrame
            Feature table.

        Returns
        -------
        ndarray of shape (n, 2)
            Columns for outcome 0 and 1.
        """
        p = special.expit(self.decision_function(X))
        return np.column_stack([1 - p, p])

    def log_odds_se(self, X: pd.DataFrame) -> FloatArray:
        """Standard error of each row's log-odds from the final model's covariance (before any inflation)."""
        M = self.design(X)
        g = np.column_stack([np.ones(len(M)), M])
        return np.asarray(
            np.sqrt(np.clip(np.einsum("ij,jk,ik->i", g, self.cov_, g), 0.0, None)), dtype=np.float64
        )

    def set_interval_inflation(self, X: pd.DataFrame, lp_sd: FloatArray) -> float:
        """Widen the intervals to what a bootstrap of the whole procedure shows (never narrow them).

        Parameters
        ----------
        X : pandas.DataFrame
            The development table.
        lp_sd : ndarray
            Per row of ``X``: SD of the log-odds over bootstrap refits of the whole procedure
            (:attr:`models.validation.BootstrapResult.lp_sd`).

        Returns
        -------
        float
            ``interval_inflation_ = max(1, median(lp_sd / SE))``.
        """
        se = self.log_odds_se(X)
        ok = (se > 0) & np.isfinite(lp_sd)
        factor = float(np.median(lp_sd[ok] / se[ok])) if ok.any() else 1.0
        self.interval_inflation_ = max(1.0, factor)
        return self.interval_inflation_

    def predict_interval(self, X: pd.DataFrame, level: float = 0.95) -> tuple[FloatArray, FloatArray]:
        """Lower and upper confidence limits of each recipient's predicted probability (logistic stack only).

        A Wald interval on the log-odds scale with the final model's covariance (:func:`final_model_covariance`),
        widened by ``interval_inflation_`` - the factor by which a bootstrap of the whole development procedure
        (selection and shrinkage included) found the log-odds to vary more than that covariance says (1 when not
        measured) - and transformed back to probabilities, so the limits are the ones the bundle prints.

        Parameters
        ----------
        X : pandas.DataFrame
            Feature table.
        level : float
            Confidence level (default 0.95).

        Returns
        -------
        (ndarray, ndarray)
            Lower and upper probabilities, one per row.
        """
        if self.meta != "logistic":
            raise ValueError("confidence intervals exist only for the logistic meta-learner")
        if not 0 < level < 1:
            raise ValueError(f"level must lie between 0 and 1 (found {level})")
        eta = self.decision_function(X)
        se = self.log_odds_se(X) * self.interval_inflation_
        z = float(stats.norm.ppf(0.5 + level / 2))
        return (
            np.asarray(special.expit(eta - z * se), dtype=np.float64),
            np.asarray(special.expit(eta + z * se), dtype=np.float64),
        )

    def predict(self, X: pd.DataFrame) -> NDArray[np.int64]:
        """Predicted outcome at probability 0.5 (for API completeness; use the risk bands clinically).

        Parameters
        ----------
        X : pandas.DataFrame
            Feature table.

        Returns
        -------
        ndarray of int
            0/1 predictions.
        """
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(np.int64)

    def contributions(self, X: pd.DataFrame) -> tuple[float, FloatArray]:
        """Exact per-term log-odds contributions (logistic meta-learner only).

        Parameters
        ----------
        X : pandas.DataFrame
            Feature table.

        Returns
        -------
        baseline : float
            Log-odds of a recipient at the training means of every term.
        contributions : ndarray of shape (n, n_terms)
            ``coef_j (m_ij - mean_j)``; ``baseline + row sum`` equals the log-odds exactly.
        """
        if self.meta != "logistic":
            raise ValueError("exact contributions exist only for the logistic meta-learner")
        M = self.design(X)
        baseline = float(self.intercept_ + self.term_means_ @ self.coef_)
        return baseline, np.asarray((M - self.term_means_) * self.coef_, dtype=np.float64)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready coefficients of a fitted logistic stack (everything needed to predict without sklearn).

        Returns
        -------
        dict
            ``clinical`` transforms and medians, linear ``scores``, ``meta`` coefficients with covariance.
        """
        check_is_fitted(self, "terms_")
        if self.meta != "logistic":
            raise ValueError("only the logistic stack can be locked as coefficients")
        clinical = []
        for name, med in zip(self.clinical, self.clinical_medians_, strict=True):
            label, unit, _ = CLINICAL_UNITS.get(name, (name, "", (float("-inf"), float("inf"))))
            clinical.append(
                {
                    "name": name,
                    "transform": transform_name(name),
                    "median": float(med),
                    "label": label,
                    "unit": unit,
                }
            )
        return {
            "kind": "hsp-linear-stack",
            "format": 1,
            "clinical": clinical,
            "scores": [s.as_dict() for s in self.scores_],
            "deep_score": {"input": "deep_score", "transform": "identity", "scale": "log-odds"}
            if self.uses_deep_score_
            else None,
            "meta": {
                "terms": list(self.terms_),
                "intercept": float(self.intercept_),
                "coef": self.coef_.tolist(),
                "cov": self.cov_.tolist(),
                "term_means": self.term_means_.tolist(),
                "shrinkage_factor": float(self.shrinkage_factor_),
                "interval_inflation": float(self.interval_inflation_),
                "dropped_scores": list(self.dropped_scores_),
            },
        }

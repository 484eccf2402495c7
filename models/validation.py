"""Internal validation: nested cross-validation and Harrell's bootstrap optimism correction (with .632+).

Both resample the *whole* development procedure (an unfitted estimator such as
:class:`models.multimodal.MultimodalRiskModel`, whose ``fit`` does its own inner CV for tuning and cross-fitting),
so every data-driven step happens inside the loop.

* Nested CV: ``n_repeats`` x stratified ``n_splits``-fold outer loop; out-of-fold predictions per repeat.
* Bootstrap (Harrell, Lee & Mark 1996; Steyerberg 2019 ch. 17): refit on each bootstrap sample, evaluate on it
  (apparent) and on the original sample (test); optimism = mean(apparent - test); corrected = apparent(original)
  - optimism.  The same resamples give the out-of-bag predictions of Efron & Tibshirani's (1997) .632+ estimator,
  applied to ``1 - AUC`` with the no-information error 0.5.
* Out-of-bag optimism: ``apparent - mean(apparent_b - AUC on the recipients left out of sample b)``.  Harrell's
  estimator tests each bootstrap model on the *whole* original sample, about 63% of which it was trained on; for a
  procedure that partly memorises its training rows (a Rad-score selected from ~1,000 features) that test is
  itself optimistic and the optimism is underestimated (Efron 1983).  The out-of-bag variant tests only on
  recipients the model never saw; all three estimates are reported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from numpy.typing import NDArray
from sklearn.base import clone
from sklearn.model_selection import RepeatedStratifiedKFold

from models.logistic import fit_logistic
from models.metrics import brier_score, delong_components

FloatArray = NDArray[np.float64]
ProgressFn = Callable[[int, int], None]


def _fit(model: Any, X: pd.DataFrame, y: NDArray[np.int64], replicates: FloatArray | None, rows: Any) -> Any:
    est = clone(model)
    rep = None if replicates is None else replicates[rows]
    return est.fit(X.iloc[rows], y[rows], replicates=rep)


def quick_measures(y: NDArray[np.int64], p: FloatArray) -> dict[str, float]:
    """AUC, Brier, calibration slope and intercept of fixed predictions (no CIs; for resampling loops).

    Parameters
    ----------
    y : ndarray
        Outcome 0/1.
    p : ndarray
        Predicted probabilities.

    Returns
    -------
    dict
        ``auc``, ``brier``, ``slope``, ``intercept``.
    """
    q = np.clip(p, 1e-8, 1 - 1e-8)
    lp = np.log(q / (1 - q))
    yf = y.astype(np.float64)
    aucs, _, _ = delong_components(y, p[None, :])
    slope = float(fit_logistic(lp[:, None], yf).coef[1]) if np.std(lp) > 0 else float("nan")
    citl = float(fit_logistic(np.zeros((y.shape[0], 0)), yf, offset=lp).coef[0])
    return {"auc": float(aucs[0]), "brier": brier_score(y, p), "slope": slope, "intercept": citl}


@dataclass
class NestedCvResult:
    """Out-of-fold predictions of every repeat and the per-repeat AUCs."""

    oof: FloatArray
    auc_per_repeat: FloatArray
    n_splits: int
    n_repeats: int
    seed: int

    @property
    def auc_mean(self) -> float:
        """Mean AUC over repeats."""
        return float(self.auc_per_repeat.mean())

    @property
    def auc_sd(self) -> float:
        """SD of the AUC over repeats."""
        return float(self.auc_per_repeat.std(ddof=1)) if self.auc_per_repeat.size > 1 else 0.0

    @property
    def mean_oof(self) -> FloatArray:
        """Per-recipient out-of-fold probability averaged over repeats."""
        return np.asarray(self.oof.mean(axis=0), dtype=np.float64)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "n_splits": self.n_splits,
            "n_repeats": self.n_repeats,
            "seed": self.seed,
            "auc_mean": self.auc_mean,
            "auc_sd": self.auc_sd,
            "auc_per_repeat": self.auc_per_repeat.tolist(),
        }


def nested_cv(
    model: Any,
    X: pd.DataFrame,
    y: Any,
    *,
    replicates: FloatArray | None = None,
    n_splits: int = 5,
    n_repeats: int = 5,
    seed: int = 0,
    n_jobs: int = 1,
    progress: ProgressFn | None = None,
) -> NestedCvResult:
    """Repeated stratified outer CV around the full development procedure.

    Parameters
    ----------
    model : estimator
        Unfitted development procedure (``fit(X, y, replicates=...)``, ``predict_proba``).
    X : pandas.DataFrame
        Feature table.
    y : array-like
        Outcome 0/1.
    replicates : ndarray, optional
        Perturbation replicates, row-aligned with ``X``.
    n_splits, n_repeats : int
        Outer folds and repeats.
    seed : int
        Seed of the outer splits.
    n_jobs : int
        Parallel workers (joblib processes).
    progress : callable, optional
        Called with (done, total) after each outer fit.

    Returns
    -------
    NestedCvResult
        Out-of-fold predictions and AUCs.
    """
    yb = np.asarray(y).astype(np.int64)
    splitter = RepeatedStratifiedKFold(n_splits=n_splits, n_repeats=n_repeats, random_state=seed)
    splits = list(splitter.split(np.zeros(len(yb)), yb))

    def one(tr: NDArray[np.int64], te: NDArray[np.int64]) -> FloatArray:
        est = _fit(model, X, yb, replicates, tr)
        return np.asarray(est.predict_proba(X.iloc[te])[:, 1], dtype=np.float64)

    oof = np.full((n_repeats, len(yb)), np.nan)
    results = Parallel(n_jobs=n_jobs, return_as="generator")(delayed(one)(tr, te) for tr, te in splits)
    for k, ((_, te), pred) in enumerate(zip(splits, results, strict=True)):
        oof[k // n_splits, te] = pred
        if progress is not None:
            progress(k + 1, len(splits))
    aucs = np.array([delong_components(yb, oof[r][None, :])[0][0] for r in range(n_repeats)])
    return NestedCvResult(oof=oof, auc_per_repeat=aucs, n_splits=n_splits, n_repeats=n_repeats, seed=seed)


@dataclass
class BootstrapResult:
    """Harrell optimism correction and the .632+ AUC."""

    apparent: dict[str, float]
    optimism: dict[str, float]
    corrected: dict[str, float]
    optimism_ci: dict[str, tuple[float, float]]
    auc_oob: float
    auc_632plus: float
    auc_oob_optimism_corrected: float
    n_boot: int
    n_failed: int
    seed: int
    per_boot: dict[str, list[float]] = field(default_factory=dict)
    lp_sd: FloatArray | None = None
    """Per development row: SD over the refits of the log-odds the refitted procedure predicts for that row."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "apparent": self.apparent,
            "optimism": self.optimism,
            "corrected": self.corrected,
            "optimism_percentile_95": {k: list(v) for k, v in self.optimism_ci.items()},
            "auc_oob": self.auc_oob,
            "auc_oob_optimism_corrected": self.auc_oob_optimism_corrected,
            "auc_632plus": self.auc_632plus,
            "n_boot": self.n_boot,
            "n_failed": self.n_failed,
            "seed": self.seed,
        }


def auc_632plus(auc_apparent: float, auc_oob: float, no_information: float = 0.5) -> float:
    """Efron-Tibshirani .632+ estimate applied to the error ``1 - AUC``.

    Parameters
    ----------
    auc_apparent : float
        AUC of the model on its own development data.
    auc_oob : float
        Mean out-of-bag bootstrap AUC.
    no_information : float
        AUC with no information (0.5).

    Returns
    -------
    float
        The .632+ AUC.
    """
    err_app, err_oob, gamma = 1 - auc_apparent, 1 - auc_oob, 1 - no_information
    err1 = min(err_oob, gamma)
    if err1 > err_app and gamma > err_app:
        r = (err1 - err_app) / (gamma - err_app)
    else:
        r = 0.0
    w = 0.632 / (1 - 0.368 * r)
    return float(1 - ((1 - w) * err_app + w * err1))


def bootstrap_validation(
    model: Any,
    X: pd.DataFrame,
    y: Any,
    *,
    replicates: FloatArray | None = None,
    n_boot: int = 200,
    seed: int = 0,
    n_jobs: int = 1,
    progress: ProgressFn | None = None,
) -> BootstrapResult:
    """Harrell's bootstrap optimism correction of AUC, Brier, calibration slope and intercept, plus .632+ AUC.

    Parameters
    ----------
    model : estimator
        Unfitted development procedure.
    X : pandas.DataFrame
        Feature table.
    y : array-like
        Outcome 0/1.
    replicates : ndarray, optional
        Perturbation replicates, row-aligned with ``X``.
    n_boot : int
        Bootstrap resamples (at least 200 for reporting).
    seed : int
        Seed.
    n_jobs : int
        Parallel workers.
    progress : callable, optional
        Called with (done, total).

    Returns
    -------
    BootstrapResult
        Apparent, optimism, corrected measures and the .632+ AUC.
    """
    yb = np.asarray(y).astype(np.int64)
    n = len(yb)
    full = clone(model).fit(X, yb, replicates=replicates)
    apparent = quick_measures(yb, full.predict_proba(X)[:, 1])
    rng = np.random.default_rng(seed)
    samples: list[tuple[NDArray[np.int64], NDArray[np.int64]]] = []
    while len(samples) < n_boot:
        rows = rng.integers(0, n, size=n)
        oob = np.setdiff1d(np.arange(n), rows)
        if yb[rows].min() == yb[rows].max() or oob.size < 2 or yb[oob].min() == yb[oob].max():
            continue
        samples.append((rows, oob))

    def one(
        rows: NDArray[np.int64], oob: NDArray[np.int64]
    ) -> tuple[dict[str, float], dict[str, float], float, FloatArray] | None:
        try:
            est = _fit(model, X, yb, replicates, rows)
        except (ValueError, np.linalg.LinAlgError):
            return None
        app = quick_measures(yb[rows], est.predict_proba(X.iloc[rows])[:, 1])
        p_orig = est.predict_proba(X)[:, 1]
        test = quick_measures(yb, p_orig)
        auc_oob = float(delong_components(yb[oob], p_orig[oob][None, :])[0][0])
        lp = np.log(np.clip(p_orig, 1e-12, 1.0)) - np.log(np.clip(1.0 - p_orig, 1e-12, 1.0))
        return app, test, auc_oob, lp

    per: dict[str, list[float]] = {k: [] for k in apparent}
    oobs: list[float] = []
    oob_gaps: list[float] = []
    lps: list[FloatArray] = []
    failed = 0
    results = Parallel(n_jobs=n_jobs, return_as="generator")(delayed(one)(r, o) for r, o in samples)
    for b, res in enumerate(results):
        if res is None:
            failed += 1
        else:
            app, test, auc_oob, lp = res
            lps.append(lp)
            for k in per:
                per[k].append(app[k] - test[k])
            oobs.append(auc_oob)
            oob_gaps.append(app["auc"] - auc_oob)
        if progress is not None:
            progress(b + 1, n_boot)
    optimism = {k: float(np.nanmean(v)) for k, v in per.items()}
    corrected = {k: apparent[k] - optimism[k] for k in apparent}
    ci = {k: (float(np.nanquantile(v, 0.025)), float(np.nanquantile(v, 0.975))) for k, v in per.items()}
    auc_oob = float(np.mean(oobs)) if oobs else float("nan")
    return BootstrapResult(
        apparent=apparent,
        optimism=optimism,
        corrected=corrected,
        optimism_ci=ci,
        auc_oob=auc_oob,
        auc_632plus=auc_632plus(apparent["auc"], auc_oob),
        auc_oob_optimism_corrected=apparent["auc"] - float(np.mean(oob_gaps)) if oob_gaps else float("nan"),
        n_boot=n_boot,
        n_failed=failed,
        seed=seed,
        per_boot=per,
        lp_sd=np.std(np.vstack(lps), axis=0, ddof=1) if len(lps) > 1 else None,
    )

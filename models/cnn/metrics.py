"""Small NumPy metrics used while training and reporting the CNN (AUC with DeLong CI, rank correlation)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

from hsp_desktop.errors import InputError


@dataclass(frozen=True)
class AucResult:
    """AUC with its DeLong standard error and two-sided confidence interval."""

    auc: float
    se: float
    ci_low: float
    ci_high: float
    n: int
    events: int

    def as_dict(self) -> dict[str, float | int | str]:
        """Return a JSON-serialisable record."""
        return {
            "auc": self.auc,
            "se": self.se,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "n": self.n,
            "events": self.events,
            "method": "DeLong",
        }


def _check_binary(y: npt.ArrayLike, score: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    yy = np.asarray(y)
    ss = np.asarray(score, dtype=np.float64)
    if yy.ndim != 1 or ss.shape != yy.shape:
        raise InputError(
            "outcomes and scores must be 1-D arrays of the same length",
            expected=f"score shape {yy.shape}",
            found=f"score shape {ss.shape}",
            fix="pass one score per recipient",
            field="score",
        )
    values = set(np.unique(yy).tolist())
    if not values <= {0, 1} or len(values) < 2:
        raise InputError(
            "the outcome must contain both 0 and 1 (and nothing else) to compute an AUC",
            expected="labels {0, 1}, both present",
            found=f"labels {sorted(values)}",
            fix="evaluate on a cohort with events and non-events",
            field="y",
        )
    if not np.all(np.isfinite(ss)):
        raise InputError(
            "scores contain NaN or infinite values",
            expected="finite scores",
            found=f"{int(np.count_nonzero(~np.isfinite(ss)))} non-finite",
            fix="check the model outputs",
            field="score",
        )
    return yy.astype(np.int64), ss


def _midranks(x: np.ndarray) -> np.ndarray:
    return np.asarray(stats.rankdata(x, method="average"), dtype=np.float64)


def delong_auc(y: npt.ArrayLike, score: npt.ArrayLike, level: float = 0.95) -> AucResult:
    """AUC (probability a random event scores above a random non-event, ties count half) with DeLong CI.

    Uses the fast midrank algorithm of Sun & Xu (2014); the interval is ``auc +/- z * se`` clipped to [0, 1].

    Parameters
    ----------
    y : array_like of {0, 1}
        Outcomes.
    score : array_like of float
        Scores, higher meaning more likely an event.
    level : float
        Confidence level of the interval.

    Returns
    -------
    AucResult
    """
    yy, ss = _check_binary(y, score)
    pos = ss[yy == 1]
    neg = ss[yy == 0]
    m, n = pos.size, neg.size
    tx = _midranks(pos)
    ty = _midranks(neg)
    tz = _midranks(np.concatenate([pos, neg]))
    auc = float((tz[:m].sum() - m * (m + 1) / 2.0) / (m * n))
    v01 = (tz[:m] - tx) / n
    v10 = 1.0 - (tz[m:] - ty) / m
    s01 = float(np.var(v01, ddof=1)) if m > 1 else 0.0
    s10 = float(np.var(v10, ddof=1)) if n > 1 else 0.0
    se = math.sqrt(max(s01 / m + s10 / n, 0.0))
    z = float(stats.norm.ppf(0.5 + level / 2.0))
    return AucResult(
        auc=auc,
        se=se,
        ci_low=max(0.0, auc - z * se),
        ci_high=min(1.0, auc + z * se),
        n=int(m + n),
        events=int(m),
    )


def roc_auc(y: npt.ArrayLike, score: npt.ArrayLike) -> float:
    """AUC only (see :func:`delong_auc`)."""
    return delong_auc(y, score).auc


def spearman(a: npt.ArrayLike, b: npt.ArrayLike) -> float:
    """Spearman rank correlation of two equally long 1-D arrays."""
    result = stats.spearmanr(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
    return float(result.statistic)

"""Statistics for watching a locked model prospectively.

Exact O/E, risk-adjusted CUSUM, input drift (PSI), Aalen-Johansen cumulative incidence and IPCW time-dependent
AUC / Brier score with competing risks.

Pure numeric functions (NumPy/SciPy); the application gathers the data (``hsp_desktop.validation.monitor``).

References
----------
Steiner SH, Cook RJ, Farewell VT, Treasure T. Monitoring surgical performance using risk-adjusted cumulative sum
charts. Biostatistics 2000;1:441-52.
Aalen OO, Johansen S. An empirical transition matrix for non-homogeneous Markov chains based on censored
observations. Scand J Stat 1978;5:141-50.
Blanche P, Dartigues JF, Jacqmin-Gadda H. Estimating and comparing time-dependent areas under receiver operating
characteristic curves for censored event times with competing risks. Stat Med 2013;32:5381-97.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

FloatArray = NDArray[np.float64]

#: Event codes used by the competing-risk functions.
CENSORED, EVENT, COMPETING = 0, 1, 2


# ------------------------------------------------------------------------------------------ observed / expected
@dataclass(frozen=True)
class ObservedExpected:
    """Observed events over the sum of predicted risks, with an exact Poisson (Garwood) confidence interval."""

    observed: int
    expected: float
    ratio: float
    ci_low: float
    ci_high: float

    def as_dict(self) -> dict[str, Any]:
        """Plain dictionary (JSON-ready)."""
        return asdict(self)


def observed_expected(y: ArrayLike, p: ArrayLike, level: float = 0.95) -> ObservedExpected:
    """O/E ratio with the exact Poisson CI of O divided by E.

    ``lower = chi2(a/2, 2 O) / (2 E)``, ``upper = chi2(1 - a/2, 2 O + 2) / (2 E)`` (Garwood 1936), the usual
    exact interval for a standardised incidence ratio.

    Parameters
    ----------
    y : array-like
        Outcomes 0/1.
    p : array-like
        Predicted probabilities.
    level : float
        Confidence level.

    Returns
    -------
    ObservedExpected
    """
    o = int(np.sum(np.asarray(y, dtype=np.int64)))
    e = float(np.sum(np.asarray(p, dtype=np.float64)))
    if e <= 0:
        raise ValueError("expected events must be positive (no predictions?)")
    a = 1.0 - level
    lo = 0.0 if o == 0 else float(stats.chi2.ppf(a / 2, 2 * o)) / (2 * e)
    hi = float(stats.chi2.ppf(1 - a / 2, 2 * o + 2)) / (2 * e)
    return ObservedExpected(o, e, o / e, lo, hi)


# --------------------------------------------------------------------------------------- risk-adjusted CUSUM
def cusum_weights(y: ArrayLike, p: ArrayLike, odds_ratio: float) -> FloatArray:
    """Steiner et al. (2000) log-likelihood-ratio scores for an odds ratio ``R`` against the model's odds.

    ``W = y log R - log(1 - p + R p)``.
    """
    yy = np.asarray(y, dtype=np.float64)
    pp = np.clip(np.asarray(p, dtype=np.float64), 1e-9, 1 - 1e-9)
    return np.asarray(yy * math.log(odds_ratio) - np.log1p(pp * (odds_ratio - 1.0)), dtype=np.float64)


def cusum_path(weights: ArrayLike) -> FloatArray:
    """The CUSUM ``C_t = max(0, C_{t-1} + W_t)`` (``C_0 = 0``)."""
    w = np.asarray(weights, dtype=np.float64)
    out = np.empty_like(w)
    c = 0.0
    for i, v in enumerate(w):
        c = max(0.0, c + float(v))
        out[i] = c
    return out


def _cusum_max_many(w: FloatArray) -> FloatArray:
    """Largest CUSUM value of every row of a score matrix (one simulated cohort per row)."""
    c = np.zeros(w.shape[0])
    best = np.zeros(w.shape[0])
    for j in range(w.shape[1]):
        c = np.maximum(0.0, c + w[:, j])
        best = np.maximum(best, c)
    return best


def cusum_limit(
    p: ArrayLike, odds_ratio: float, false_alarm: float, *, n_sim: int = 4000, seed: int = 20001
) -> float:
    """Alarm limit ``h`` with in-control false-alarm probability ``false_alarm`` over this cohort.

    Outcomes are simulated from the model's own risks (in-control: the model is right), the CUSUM is run over the
    whole cohort in its order, and ``h`` is the ``1 - false_alarm`` quantile of the largest value reached (an alarm
    is ``C_t >= h``; the quantile is taken from above so the simulated rate does not exceed the target).

    Parameters
    ----------
    p : array-like
        Predicted risks in monitoring order.
    odds_ratio : float
        Alternative the chart is tuned to detect (> 1: more events than predicted; < 1: fewer).
    false_alarm : float
        In-control probability of any alarm over the cohort.
    n_sim : int
        Simulated in-control cohorts.
    seed : int
        Random seed (the limit is reproducible).

    Returns
    -------
    float
        The limit ``h`` (> 0).
    """
    pp = np.clip(np.asarray(p, dtype=np.float64), 1e-9, 1 - 1e-9)
    rng = np.random.default_rng(seed)
    ysim = (rng.random((n_sim, pp.shape[0])) < pp).astype(np.float64)
    w = ysim * math.log(odds_ratio) - np.log1p(pp * (odds_ratio - 1.0))[None, :]
    maxima = np.sort(_cusum_max_many(w))
    k = math.ceil((1.0 - false_alarm) * n_sim)
    h = float(maxima[min(k, n_sim - 1)])
    # an alarm is C >= h: move just above the quantile value so ties at h do not count as alarms
    return max(h + 1e-9, 1e-6)


@dataclass(frozen=True)
class CusumResult:
    """One risk-adjusted CUSUM chart."""

    odds_ratio: float
    limit: float
    false_alarm: float
    path: tuple[float, ...]
    alarm_index: int | None

    def as_dict(self) -> dict[str, Any]:
        """Plain dictionary (JSON-ready)."""
        return asdict(self)


def risk_adjusted_cusum(
    y: ArrayLike, p: ArrayLike, odds_ratio: float, false_alarm: float, *, n_sim: int = 4000, seed: int = 20001
) -> CusumResult:
    """Run the chart and find the first recipient at whom it would have alarmed (None: no alarm)."""
    path = cusum_path(cusum_weights(y, p, odds_ratio))
    h = cusum_limit(p, odds_ratio, false_alarm, n_sim=n_sim, seed=seed)
    hits = np.flatnonzero(path >= h)
    return CusumResult(
        odds_ratio=float(odds_ratio),
        limit=h,
        false_alarm=float(false_alarm),
        path=tuple(float(v) for v in path),
        alarm_index=int(hits[0]) if hits.size else None,
    )


# ------------------------------------------------------------------------------------------------ input drift
def reference_bins(values: ArrayLike, n_bins: int = 5) -> dict[str, list[float]]:
    """Quantile bins of a development-cohort input: inner edges and the share of values in each bin.

    Returns
    -------
    dict
        ``{"edges": [k - 1 inner edges], "proportions": [k shares], "n": [count]}``.
    """
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size < n_bins * 2:
        raise ValueError(f"too few reference values for {n_bins} bins ({v.size})")
    edges = np.unique(np.quantile(v, np.linspace(0, 1, n_bins + 1)[1:-1]))
    counts = np.bincount(np.searchsorted(edges, v, side="right"), minlength=edges.size + 1)
    return {"edges": edges.tolist(), "proportions": (counts / v.size).tolist(), "n": [int(v.size)]}


@dataclass(frozen=True)
class PsiResult:
    """Population stability index of one input against its development distribution."""

    psi: float
    n: int
    n_reference: int
    p_value: float
    proportions: tuple[float, ...]
    reference: tuple[float, ...]

    def as_dict(self) -> dict[str, Any]:
        """Plain dictionary (JSON-ready)."""
        return asdict(self)


def _psi(q: FloatArray, r: FloatArray, floor: float) -> FloatArray:
    qq, rr = np.maximum(q, floor), np.maximum(r, floor)
    return np.asarray(np.sum((qq - rr) * np.log(qq / rr), axis=-1), dtype=np.float64)


def population_stability(
    values: ArrayLike, reference: dict[str, Any], floor: float = 1e-4, *, n_sim: int = 4000, seed: int = 20002
) -> PsiResult:
    """PSI ``sum (q - r) ln(q / r)`` over the reference bins, with a Monte Carlo p-value.

    The p-value is the share of simulated PSIs at least as large when nothing has shifted: a new sample of the same
    size and a development sample of the reference's size, both drawn (multinomially) from the reference shares.
    (The chi-square approximation of ``n PSI`` is anti-conservative at n = 30: an empty bin alone gives PSI > 1.)
    Empty bins use a share of ``floor``.
    """
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    edges = np.asarray(reference["edges"], dtype=np.float64)
    r = np.asarray(reference["proportions"], dtype=np.float64)
    n_ref = int(reference.get("n", [0])[0]) if isinstance(reference.get("n"), list) else int(reference["n"])
    if v.size == 0:
        return PsiResult(float("nan"), 0, n_ref, float("nan"), (), tuple(r.tolist()))
    counts = np.bincount(np.searchsorted(edges, v, side="right"), minlength=edges.size + 1)
    q = counts / v.size
    psi = float(_psi(q, r, floor))
    rng = np.random.default_rng(seed)
    shares = r / r.sum()
    q_sim = rng.multinomial(v.size, shares, size=n_sim) / v.size
    r_sim = rng.multinomial(n_ref, shares, size=n_sim) / n_ref if n_ref > 0 else np.tile(shares, (n_sim, 1))
    null = _psi(q_sim, r_sim, floor)
    p_value = float((1 + np.sum(null >= psi - 1e-12)) / (n_sim + 1))
    return PsiResult(psi, int(v.size), n_ref, p_value, tuple(q.tolist()), tuple(r.tolist()))


# ------------------------------------------------------------------------------------------ competing risks
@dataclass(frozen=True)
class CumulativeIncidence:
    """Aalen-Johansen cumulative incidence of one cause: step function at ``times`` (value just after each)."""

    times: tuple[float, ...]
    cif: tuple[float, ...]
    n: int
    events: int
    competing: int

    def at(self, t: float) -> float:
        """Cumulative incidence at time ``t`` (right-continuous)."""
        k = int(np.searchsorted(np.asarray(self.times), t, side="right"))
        return 0.0 if k == 0 else self.cif[k - 1]

    def as_dict(self) -> dict[str, Any]:
        """Plain dictionary (JSON-ready)."""
        return asdict(self)


def aalen_johansen(time: ArrayLike, status: ArrayLike, cause: int = EVENT) -> CumulativeIncidence:
    """Aalen-Johansen estimate ``F_k(t) = sum_{s <= t} S(s-) d_k(s) / n(s)`` with ``S`` the all-cause Kaplan-Meier.

    Parameters
    ----------
    time : array-like
        Follow-up time (event or censoring).
    status : array-like of int
        0 censored, 1 the event of interest, 2 (or any other positive code) a competing event.
    cause : int
        Code of the cause whose incidence is estimated.
    """
    t = np.asarray(time, dtype=np.float64)
    s = np.asarray(status, dtype=np.int64)
    if t.shape != s.shape or t.ndim != 1:
        raise ValueError("time and status must be 1-D and of equal length")
    if np.any(t < 0) or np.any(s < 0):
        raise ValueError("times and status codes must be non-negative")
    uniq = np.unique(t[s > 0])
    surv, cif = 1.0, 0.0
    out_t, out_f = [0.0], [0.0]
    for u in uniq:
        at_risk = int(np.sum(t >= u))
        d_all = int(np.sum((t == u) & (s > 0)))
        d_k = int(np.sum((t == u) & (s == cause)))
        cif += surv * d_k / at_risk
        surv *= 1.0 - d_all / at_risk
        out_t.append(float(u))
        out_f.append(cif)
    return CumulativeIncidence(
        tuple(out_t), tuple(out_f), int(t.size), int(np.sum(s == cause)), int(np.sum((s > 0) & (s != cause)))
    )


def _censoring_survival(time: FloatArray, status: NDArray[np.int64]) -> tuple[FloatArray, FloatArray]:
    """Reverse Kaplan-Meier (censoring as the event): jump times and G just after each."""
    uniq = np.unique(time[status == CENSORED])
    g, ts, gs = 1.0, [], []
    for u in uniq:
        at_risk = int(np.sum(time >= u))
        c = int(np.sum((time == u) & (status == CENSORED)))
        g *= 1.0 - c / at_risk
        ts.append(float(u))
        gs.append(g)
    return np.asarray(ts, dtype=np.float64), np.asarray(gs, dtype=np.float64)


def _g_at(ts: FloatArray, gs: FloatArray, t: FloatArray, *, left: bool) -> FloatArray:
    """G(t) (right-continuous) or G(t-) (``left``) of the reverse Kaplan-Meier."""
    k = np.searchsorted(ts, t, side="left" if left else "right")
    return np.where(k == 0, 1.0, gs[np.maximum(k - 1, 0)])


@dataclass(frozen=True)
class TimeDependentAccuracy:
    """IPCW AUC (cases: the event by the horizon; controls: everyone else) and Brier score at the horizon."""

    horizon: float
    auc: float
    brier: float
    cases: int
    controls_event_free: int
    controls_competing: int
    censored_before: int

    def as_dict(self) -> dict[str, Any]:
        """Plain dictionary (JSON-ready)."""
        return asdict(self)


def ipcw_accuracy(
    time: ArrayLike, status: ArrayLike, risk: ArrayLike, horizon: float
) -> TimeDependentAccuracy:
    """Time-dependent AUC and Brier score with competing risks and inverse probability of censoring weights.

    Blanche et al. (2013) definition 2 (riskRegression ``Score`` for a cause of interest): cases had the event
    of interest by ``horizon`` (weight ``1/G(T-)``); controls are event-free at the horizon (``1/G(horizon)``)
    or had a competing event before it (``1/G(T-)``); recipients censored before the horizon get weight 0.  ``G``
    is the marginal Kaplan-Meier of the censoring distribution.  Brier: ``mean w_i (I_i - risk_i)^2``.
    """
    t = np.asarray(time, dtype=np.float64)
    s = np.asarray(status, dtype=np.int64)
    r = np.asarray(risk, dtype=np.float64)
    ts, gs = _censoring_survival(t, s)
    before = t <= horizon
    case = before & (s == EVENT)
    comp = before & (s > 0) & (s != EVENT)
    free = ~before
    cens = before & (s == CENSORED)
    g_minus = _g_at(ts, gs, t, left=True)
    g_tau = float(_g_at(ts, gs, np.array([horizon]), left=False)[0])
    w = np.zeros_like(t)
    w[case | comp] = 1.0 / g_minus[case | comp]
    w[free] = 1.0 / g_tau
    ind = case.astype(np.float64)
    brier = float(np.sum(w * (ind - r) ** 2) / t.size)
    ctrl = comp | free
    wc, rc = w[case], r[case]
    wk, rk = w[ctrl], r[ctrl]
    if wc.size == 0 or wk.size == 0:
        auc = float("nan")
    else:
        gt = (rc[:, None] > rk[None, :]).astype(np.float64) + 0.5 * (rc[:, None] == rk[None, :])
        ww = wc[:, None] * wk[None, :]
        auc = float(np.sum(ww * gt) / np.sum(ww))
    return TimeDependentAccuracy(
        float(horizon), auc, brier, int(case.sum()), int(free.sum()), int(comp.sum()), int(cens.sum())
    )


def km_reverse(time: ArrayLike, status: ArrayLike) -> tuple[list[float], list[float]]:
    """The censoring distribution's Kaplan-Meier (jump times, values) used for the IPCW weights."""
    ts, gs = _censoring_survival(np.asarray(time, dtype=np.float64), np.asarray(status, dtype=np.int64))
    return ts.tolist(), gs.tolist()


def summary_quantiles(values: Sequence[float | None]) -> dict[str, float | int | None]:
    """Median and quartiles of the finite values (None when there are none)."""
    v = np.asarray([x for x in values if x is not None and math.isfinite(float(x))], dtype=np.float64)
    if v.size == 0:
        return {"n": 0, "median": None, "q1": None, "q3": None}
    q1, med, q3 = np.quantile(v, [0.25, 0.5, 0.75])
    return {"n": int(v.size), "median": float(med), "q1": float(q1), "q3": float(q3)}

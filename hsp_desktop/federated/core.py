"""The arithmetic of federated training and evaluation, free of any transport.

Everything a site computes and everything the coordinator does with the aggregated sums lives here, as plain
NumPy functions, so that the Flower apps, the in-process runner and the tests all run the same code.

Protocol (one plan, ``K`` sites, ``p`` features, site ``i`` holds ``n_i`` recipients, ``N = sum n_i``).  Every
message a site sends is a list of float arrays returned with the weight ``n_i``; the coordinator only ever sees
the weighted average ``sum_i n_i v_i / N`` (with SecAgg+ it cannot see anything else):

1. **moments** - ``v_i = [count_j, sum z_j, sum z_j^2] / n_i`` over non-missing values of each reference-scaled
   feature ``z = (t(x) - c) / s`` (``t`` the model's transform, ``c, s`` public constants from the plan).  Times
   ``N`` this is the pooled count, sum and sum of squares: the pooled mean and SD (federated standardisation).
   Missing values are imputed with the pooled mean (0 after standardisation).
2. **train** (``R`` rounds) - ``K + 1`` logistic models are trained side by side: model 0 on every site, model
   ``k + 1`` on every site but ``k`` (leave-one-site-out).  Each site runs ``local_steps`` Newton steps of the
   proximal objective ``mean log-loss + mu/2 ||w - w_global||^2`` (FedAvg: ``mu = 0``; FedProx: ``mu > 0``),
   optionally clips the update (differential privacy), and for model ``k + 1`` sends ``w * N / (N - n_k)`` (or
   zeros when it is site ``k``), so the weighted average is the FedAvg over the other sites.
With a Rad-score election (``plan.radiomics``: ``c`` candidate radiomics features) the run starts with a
**vote**: each site runs the development pipeline's selection on its own radiomics and sends its 0/1 vote over
the candidates ``/ n_i`` in ``K + 1`` rows (the global election and the leave-one-site-out ones, its own row
zero), so that ``N`` times the average is the vote count; the coordinator elects the candidates with more than
``quorum`` times the voting sites' votes.  The moments message then also carries the candidates' moments,
``rad_rounds`` rounds train ``K + 1`` logistic Rad-scores on the elected features (zeros elsewhere), and the
model's ``rad_score`` input is each model's Rad-score linear predictor, computed at the site.

3. **evaluate** - each site bins its predicted risks of model 0 and of its own leave-out model into ``B`` bins
   of the logit scale, separately for outcome 1 and 0, and sends ``counts / n_i`` in its own block.  Times ``N``
   these are the per-site histograms; their sum is the pooled histogram, from which the pooled AUC, calibration
   and decision curve follow without any row leaving a site.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import special, stats

from hsp_desktop.errors import FederatedError

FloatArray = NDArray[np.float64]

#: Version of the federated model and message layout; a site refuses a plan with another version.
MODEL_VERSION = "hsp-fedlogit-1"
#: Logit range of the evaluation histograms (risks 0.0009 to 0.9991); outside values fall in the end bins.
LOGIT_RANGE = (-7.0, 7.0)


# ------------------------------------------------------------------------------------------------ features
@dataclass(frozen=True)
class FeatureSpec:
    """One model input: its name, transform and the public reference centre/scale used before summing."""

    name: str
    transform: str  # "log2" | "identity"
    center: float
    scale: float


def default_features(names: Sequence[str]) -> list[FeatureSpec]:
    """Feature specs for clinical predictors (dictionary ranges give the reference scale) and ``rad_score``.

    Parameters
    ----------
    names : sequence of str
        Predictor names (data-dictionary names, or ``rad_score``).

    Returns
    -------
    list of FeatureSpec
        One spec per name, in order.
    """
    from models.features import CLINICAL_UNITS
    from models.multimodal import apply_transform, transform_name

    specs = []
    for name in names:
        if name == "rad_score":
            specs.append(FeatureSpec(name, "identity", 0.0, 4.0))
            continue
        if name not in CLINICAL_UNITS:
            raise FederatedError(
                f"Unknown model input {name}",
                expected="a numeric data-dictionary variable or rad_score",
                found=name,
                fix="choose predictors from the data dictionary",
                field="features",
            )
        lo, hi = CLINICAL_UNITS[name][2]
        tr = transform_name(name)
        a, b = apply_transform(np.array([lo, hi], dtype=np.float64), tr)
        specs.append(FeatureSpec(name, tr, float((a + b) / 2), float(max((b - a) / 2, 1e-6))))
    return specs


def reference_scaled(values: Mapping[str, Any], specs: Sequence[FeatureSpec], n: int) -> FloatArray:
    """Transform and reference-scale raw values (dictionary units) into an ``(n, p)`` array; NaN stays NaN.

    Parameters
    ----------
    values : mapping
        Column name -> array of ``n`` raw values.
    specs : sequence of FeatureSpec
        Model inputs.
    n : int
        Number of rows.

    Returns
    -------
    ndarray of shape (n, p)
        ``(t(x) - center) / scale``.
    """
    from models.multimodal import apply_transform

    out = np.empty((n, len(specs)), dtype=np.float64)
    for j, spec in enumerate(specs):
        raw = np.asarray(values[spec.name], dtype=np.float64)
        out[:, j] = (apply_transform(raw, spec.transform) - spec.center) / spec.scale
    return out


# ------------------------------------------------------------------------------------------ standardisation
def site_moments(z: FloatArray) -> FloatArray:
    """Per-feature count, sum and sum of squares of the non-missing values.

    Parameters
    ----------
    z : ndarray of shape (n, p)
        Reference-scaled features (NaN = missing).

    Returns
    -------
    ndarray of shape (3, p)
        Rows: count, sum, sum of squares.
    """
    ok = ~np.isnan(z)
    zz = np.where(ok, z, 0.0)
    return np.vstack([ok.sum(axis=0), zz.sum(axis=0), (zz**2).sum(axis=0)]).astype(np.float64)


def pooled_scaler(moments: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Pooled mean and SD (``ddof = 1``) from summed moments.

    Parameters
    ----------
    moments : ndarray of shape (3, p)
        Sum over sites of :func:`site_moments`.

    Returns
    -------
    mean, sd : ndarray of shape (p,)
        SD floored at 1e-12 so constant features do not divide by zero.
    """
    count, s1, s2 = moments
    if np.any(count < 2):
        bad = int(np.argmin(count))
        raise FederatedError(
            "Too few non-missing values across the sites to standardise a feature",
            expected="at least 2 values per feature",
            found=f"{int(count[bad])} for feature #{bad}",
            fix="drop the feature from the plan",
            field="features",
        )
    mean = s1 / count
    var = np.maximum((s2 - count * mean**2) / (count - 1), 0.0)
    return mean, np.maximum(np.sqrt(var), 1e-12)


def standardise(z: FloatArray, mean: FloatArray, sd: FloatArray) -> FloatArray:
    """Standardise with the pooled scaler; missing values become 0 (the pooled mean).

    Parameters
    ----------
    z : ndarray of shape (n, p)
        Reference-scaled features.
    mean, sd : ndarray of shape (p,)
        From :func:`pooled_scaler`.

    Returns
    -------
    ndarray of shape (n, p)
        Standardised design without the intercept column.
    """
    x = (z - mean) / sd
    return np.where(np.isnan(x), 0.0, x)


# ---------------------------------------------------------------------------------------------- training
def _objective(w: FloatArray, d: FloatArray, y: FloatArray, w0: FloatArray, mu: float, ridge: float) -> float:
    eta = d @ w
    nll = float(np.mean(y * np.logaddexp(0.0, -eta) + (1 - y) * np.logaddexp(0.0, eta)))
    return nll + 0.5 * mu * float(np.sum((w - w0) ** 2)) + 0.5 * ridge * float(np.sum(w[1:] ** 2))


def local_update(
    w_global: FloatArray,
    x: FloatArray,
    y: FloatArray,
    *,
    mu: float = 0.0,
    steps: int = 1,
    ridge: float = 1e-4,
) -> FloatArray:
    """Newton steps on a site's proximal logistic objective (FedProx; FedAvg when ``mu = 0``).

    Minimises ``mean_i logloss(y_i, w0 + x_i w) + mu/2 ||w - w_global||^2 + ridge/2 ||w_slopes||^2`` starting at
    ``w_global``, with step halving.

    Parameters
    ----------
    w_global : ndarray of shape (p + 1,)
        Global parameters (intercept first).
    x : ndarray of shape (n, p)
        Standardised design.
    y : ndarray of shape (n,)
        Outcome 0/1.
    mu : float
        Proximal weight.
    steps : int
        Newton steps.
    ridge : float
        Small L2 penalty on slopes (keeps small sites with separation finite).

    Returns
    -------
    ndarray of shape (p + 1,)
        The site's updated parameters.
    """
    d = np.column_stack([np.ones(len(y)), x])
    y = np.asarray(y, dtype=np.float64)
    w0 = np.asarray(w_global, dtype=np.float64)
    w = w0.copy()
    k = d.shape[1]
    pen = np.full(k, ridge)
    pen[0] = 0.0
    f = _objective(w, d, y, w0, mu, ridge)
    for _ in range(int(steps)):
        p = special.expit(d @ w)
        grad = d.T @ (p - y) / len(y) + mu * (w - w0) + pen * w
        hess = (d * (p * (1 - p))[:, None]).T @ d / len(y) + np.diag(pen + mu)
        step = np.linalg.solve(hess + 1e-10 * np.eye(k), grad)
        t = 1.0
        for _ in range(30):
            cand = w - t * step
            fc = _objective(cand, d, y, w0, mu, ridge)
            if fc <= f + 1e-15:
                break
            t *= 0.5
        w, f = cand, fc
    return w


def clip_update(w: FloatArray, w_global: FloatArray, clip: float) -> FloatArray:
    """Scale the update ``w - w_global`` down to L2 norm ``clip`` (differential privacy).

    Parameters
    ----------
    w, w_global : ndarray
        Local and global parameters.
    clip : float
        Maximum L2 norm of the update.

    Returns
    -------
    ndarray
        ``w_global + update * min(1, clip / ||update||)``.
    """
    delta = w - w_global
    norm = float(np.linalg.norm(delta))
    return w_global + delta * min(1.0, clip / norm) if norm > 0 else w.copy()


def weighted_average(vectors: Sequence[Sequence[FloatArray]], weights: Sequence[float]) -> list[FloatArray]:
    """The aggregation the coordinator performs (and SecAgg+ performs on masked vectors): ``sum w_i v_i / sum w_i``.

    Parameters
    ----------
    vectors : sequence of list of ndarray
        One list of arrays per site (same shapes).
    weights : sequence of float
        One weight per site.

    Returns
    -------
    list of ndarray
        The weighted average array by array.
    """
    total = float(sum(weights))
    if total <= 0 or not vectors:
        raise FederatedError("Nothing to aggregate", expected="at least one site with data", found="none")
    return [
        np.sum(
            [float(wt) * np.asarray(v[j], dtype=np.float64) for v, wt in zip(vectors, weights, strict=True)],
            axis=0,
        )
        / total
        for j in range(len(vectors[0]))
    ]


def dp_epsilon(noise_multiplier: float, rounds: int, delta: float) -> float:
    """Privacy budget of ``rounds`` Gaussian mechanisms (full participation) by Renyi-DP accounting.

    For noise multiplier ``z`` (noise SD / sensitivity), ``T`` compositions have RDP ``T * a / (2 z^2)`` at order
    ``a``; converted with ``eps = min_a RDP(a) + log(1/delta) / (a - 1)`` (Mironov 2017).

    Parameters
    ----------
    noise_multiplier : float
        Noise SD divided by the clipping bound.
    rounds : int
        Training rounds.
    delta : float
        Target delta.

    Returns
    -------
    float
        Epsilon (site-level: one site's whole data is the unit protected).
    """
    if noise_multiplier <= 0:
        return math.inf
    orders = np.concatenate([np.linspace(1.01, 10, 200), np.arange(11, 512, dtype=np.float64)])
    eps = rounds * orders / (2 * noise_multiplier**2) + math.log(1 / delta) / (orders - 1)
    return float(eps.min())


# -------------------------------------------------------------------------------------------- evaluation
def bin_edges(bins: int) -> FloatArray:
    """Histogram edges on the logit scale (``bins + 1`` values spanning :data:`LOGIT_RANGE`)."""
    return np.linspace(LOGIT_RANGE[0], LOGIT_RANGE[1], bins + 1)


def score_histogram(eta: FloatArray, y: FloatArray, bins: int) -> FloatArray:
    """Counts of linear predictors per logit bin, separately for outcome 1 (row 0) and 0 (row 1).

    Parameters
    ----------
    eta : ndarray of shape (n,)
        Linear predictor (logit of the predicted risk).
    y : ndarray of shape (n,)
        Outcome 0/1.
    bins : int
        Number of bins.

    Returns
    -------
    ndarray of shape (2, bins)
        Event and non-event counts.
    """
    idx = np.clip(np.searchsorted(bin_edges(bins), eta, side="right") - 1, 0, bins - 1).astype(np.intp)
    event = np.asarray(y).astype(bool)
    return np.vstack(
        [np.bincount(idx[event], minlength=bins), np.bincount(idx[~event], minlength=bins)]
    ).astype(np.float64)


def binned_linear_predictor(eta: FloatArray, bins: int) -> FloatArray:
    """The bin index each linear predictor falls in (what the histogram keeps of a score)."""
    return np.clip(np.searchsorted(bin_edges(bins), eta, side="right") - 1, 0, bins - 1).astype(np.float64)


def auc_from_histogram(hist: FloatArray) -> float:
    """AUC (Mann-Whitney, ties within a bin counted one half) from event/non-event counts per bin.

    Parameters
    ----------
    hist : ndarray of shape (2, bins)
        Row 0 events, row 1 non-events, bins in increasing risk.

    Returns
    -------
    float
        The AUC; NaN when a class is empty.
    """
    pos, neg = np.asarray(hist[0], dtype=np.float64), np.asarray(hist[1], dtype=np.float64)
    n1, n0 = pos.sum(), neg.sum()
    if n1 == 0 or n0 == 0:
        return float("nan")
    below = np.concatenate([[0.0], np.cumsum(neg)[:-1]])
    return float(np.sum(pos * (below + 0.5 * neg)) / (n1 * n0))


def hanley_mcneil_se(auc: float, n1: float, n0: float) -> float:
    """Standard error of an AUC (Hanley & McNeil 1982), usable from counts alone."""
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    var = (auc * (1 - auc) + (n1 - 1) * (q1 - auc**2) + (n0 - 1) * (q2 - auc**2)) / (n1 * n0)
    return float(math.sqrt(max(var, 0.0)))


def histogram_metrics(hist: FloatArray, *, thresholds: Sequence[float] | None = None) -> dict[str, Any]:
    """Discrimination, calibration and decision curve from an event/non-event histogram of the logit.

    Each bin stands for its centre's predicted risk; the resolution is the bin width.

    Parameters
    ----------
    hist : ndarray of shape (2, bins)
        From :func:`score_histogram` (summed over sites for pooled results).
    thresholds : sequence of float, optional
        Decision-curve threshold probabilities (default 0.05 to 0.60 by 0.05).

    Returns
    -------
    dict
        ``n``, ``events``, ``auc`` with Hanley-McNeil SE and 95% CI, ``observed``/``expected`` events,
        calibration ``intercept`` (in the large) and ``slope``, ``brier`` (bin-centre approximation), a decile-like
        calibration table and the decision curve.
    """
    from models.logistic import fit_logistic

    hist = np.asarray(hist, dtype=np.float64)
    bins = hist.shape[1]
    edges = bin_edges(bins)
    centre = (edges[:-1] + edges[1:]) / 2
    p = special.expit(centre)
    pos, neg = hist
    n1, n0 = float(pos.sum()), float(neg.sum())
    out: dict[str, Any] = {"n": round(n1 + n0), "events": round(n1)}
    auc = auc_from_histogram(hist)
    se = hanley_mcneil_se(auc, n1, n0) if n1 and n0 else float("nan")
    out.update(auc=auc, auc_se=se, auc_ci=[max(0.0, auc - 1.96 * se), min(1.0, auc + 1.96 * se)])
    tot = pos + neg
    out["observed"] = n1
    out["expected"] = float(np.sum(tot * p))
    out["brier"] = float(np.sum(pos * (1 - p) ** 2 + neg * p**2) / max(n1 + n0, 1.0))
    used = tot > 0
    if n1 > 0 and n0 > 0:
        # grouped data as weighted rows: (lp, y=1, w=pos) and (lp, y=0, w=neg)
        lp = np.concatenate([centre[used], centre[used]])
        yy = np.concatenate([np.ones(used.sum()), np.zeros(used.sum())])
        ww = np.concatenate([pos[used], neg[used]])
        keep = ww > 0
        slope_fit = fit_logistic(lp[keep][:, None], yy[keep], weights=ww[keep])
        citl = fit_logistic(np.zeros((int(keep.sum()), 0)), yy[keep], offset=lp[keep], weights=ww[keep])
        out["calibration_slope"] = float(slope_fit.coef[1])
        out["calibration_intercept"] = float(citl.coef[0])
    # calibration table: ~10 groups of consecutive bins with similar counts
    cum = np.cumsum(tot)
    group = (
        np.minimum((cum - tot / 2) / max(cum[-1], 1.0) * 10, 9.999).astype(int) if cum[-1] else np.zeros(bins)
    )
    table = []
    for g in range(10):
        m = (group == g) & used
        if m.any() and tot[m].sum() > 0:
            k = tot[m].sum()
            table.append(
                {
                    "n": round(k),
                    "predicted": float(np.sum(tot[m] * p[m]) / k),
                    "observed": float(pos[m].sum() / k),
                }
            )
    out["calibration_table"] = table
    ts = list(thresholds) if thresholds is not None else [round(0.05 * i, 2) for i in range(1, 13)]
    n = max(n1 + n0, 1.0)
    dc: dict[str, list[float]] = {"thresholds": ts, "model": [], "treat_all": []}
    for t in ts:
        treat = p >= t
        tp, fp = float(pos[treat].sum()), float(neg[treat].sum())
        odds = t / (1 - t)
        dc["model"].append(tp / n - fp / n * odds)
        dc["treat_all"].append(n1 / n - n0 / n * odds)
    out["decision_curve"] = dc
    return out


def heterogeneity(estimates: Sequence[float], ses: Sequence[float]) -> dict[str, float]:
    """Cochran's Q, I^2 and the DerSimonian-Laird tau^2 of per-site estimates (e.g. AUCs).

    Parameters
    ----------
    estimates, ses : sequence of float
        Per-site estimate and standard error.

    Returns
    -------
    dict
        ``q``, ``df``, ``p``, ``i2`` (0..1), ``tau2`` and the fixed-effect pooled estimate.
    """
    est = np.asarray(estimates, dtype=np.float64)
    w = 1.0 / np.maximum(np.asarray(ses, dtype=np.float64) ** 2, 1e-12)
    fixed = float(np.sum(w * est) / np.sum(w))
    q = float(np.sum(w * (est - fixed) ** 2))
    df = len(est) - 1
    i2 = max(0.0, (q - df) / q) if q > 0 else 0.0
    c = float(np.sum(w) - np.sum(w**2) / np.sum(w))
    tau2 = max(0.0, (q - df) / c) if c > 0 else 0.0
    p = float(stats.chi2.sf(q, df)) if df > 0 else float("nan")
    return {"q": q, "df": float(df), "p": p, "i2": i2, "tau2": tau2, "fixed_effect": fixed}


# ------------------------------------------------------------------------------------- feature election
#: Per-site selection methods of the Rad-score election (each is the development pipeline's chain, see
#: :func:`hsp_desktop.federated.radiomics.select_features`).
SELECTION_METHODS = ("stability", "lasso")


def elect_vector(counts: FloatArray, voters: int, *, quorum: float = 0.5) -> NDArray[np.bool_]:
    """Features whose vote count exceeds ``quorum`` times the number of voting sites.

    The vector form of :func:`elect_features`: the coordinator only sees the summed 0/1 vote vectors (with
    SecAgg+ nothing else), so the election is a comparison of counts.

    Parameters
    ----------
    counts : ndarray of shape (c,)
        Number of sites that selected each candidate.
    voters : int
        Sites whose vote is in ``counts``.
    quorum : float
        Fraction of the voters a feature must exceed (0.5: a strict majority).

    Returns
    -------
    ndarray of bool, shape (c,)
        Elected candidates.
    """
    if voters < 1:
        raise FederatedError(
            "No site voted in the feature election", expected="at least one site", found="none"
        )
    return np.asarray(np.rint(counts) > quorum * voters, dtype=bool)


def elect_features(votes: Mapping[str, Sequence[str]], *, quorum: float = 0.5) -> list[str]:
    """Elect the Rad-score features chosen by more than ``quorum`` of the sites (majority vote).

    Each site selects radiomics features on its own data (the development pipeline's selection chain) and a
    feature enters the federated Rad-score when strictly more than ``quorum`` of the voting sites chose it (the
    same rule as :func:`elect_vector`).  Ties in order are broken by vote count, then name.

    Parameters
    ----------
    votes : mapping
        Site -> names of the features it selected.
    quorum : float
        Fraction of sites a feature must exceed.

    Returns
    -------
    list of str
        Elected feature names, most votes first.
    """
    if not votes:
        raise FederatedError(
            "No site voted in the feature election", expected="at least one site", found="none"
        )
    counts: dict[str, int] = {}
    for names in votes.values():
        for name in set(names):
            counts[name] = counts.get(name, 0) + 1
    names = sorted(counts)
    keep = elect_vector(np.array([counts[n] for n in names], dtype=np.float64), len(votes), quorum=quorum)
    return sorted((n for n, k in zip(names, keep, strict=True) if k), key=lambda n: (-counts[n], n))


# ---------------------------------------------------------------------------------------------- plans
@dataclass(frozen=True)
class Plan:
    """What the coordinator proposes and each site approves before anything is computed."""

    federation: str
    app_sha256: str
    model_version: str
    features: tuple[FeatureSpec, ...]
    sites: tuple[str, ...]
    strategy: str = "fedavg"  # "fedavg" | "fedprox"
    mu: float = 0.0
    rounds: int = 5
    local_steps: int = 1
    bins: int = 140
    secagg: bool = False
    dp_clip: float = 0.0  # 0 = no differential privacy
    dp_noise_multiplier: float = 0.0
    dp_delta: float = 1e-5
    min_sites: int = 2
    seed: int = 0
    # Rad-score election (empty ``radiomics``: no election, the plan and its hash are those of a clinical plan)
    radiomics: tuple[FeatureSpec, ...] = ()
    radiomics_settings: str = ""  # canonical JSON of the extraction settings (PyRadiomics parameter layout)
    quorum: float = 0.5
    selection: str = "lasso"
    rad_rounds: int = 0

    def __post_init__(self) -> None:
        if not self.radiomics:
            return
        if "rad_score" not in [f.name for f in self.features]:
            raise FederatedError(
                "A plan with a Rad-score election must use rad_score as a model input",
                expected="rad_score among the features",
                found=", ".join(f.name for f in self.features),
                fix="add rad_score to the features",
                field="features",
            )
        if self.selection not in SELECTION_METHODS:
            raise FederatedError(
                "Unknown per-site selection method",
                expected=" or ".join(SELECTION_METHODS),
                found=self.selection,
                field="selection",
            )
        if not 0.0 <= self.quorum < 1.0:
            raise FederatedError(
                "The election quorum is a fraction of the sites",
                expected="0 <= quorum < 1 (0.5: strict majority)",
                found=str(self.quorum),
                field="quorum",
            )
        if self.rad_rounds < 1:
            raise FederatedError(
                "The Rad-score needs at least one training round",
                found=str(self.rad_rounds),
                field="rad_rounds",
            )
        if self.secagg and all(f.center == 0.0 and f.scale == 1.0 for f in self.radiomics):
            raise FederatedError(
                "SecAgg+ with the Rad-score election needs public reference centres and scales of the candidates",
                expected="radiomics moments within SecAgg+'s clipping range (+-8 after dividing by n)",
                found="raw radiomics values (centre 0, scale 1; e.g. Energy ~1e8)",
                fix="give a reference table (feature, center, scale), e.g. from a public or synthetic cohort",
                field="radiomics",
            )

    @property
    def election(self) -> bool:
        """True when the plan runs the Rad-score feature election."""
        return bool(self.radiomics)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form (features as dicts), including what each message sends."""
        d = asdict(self)
        d["features"] = [asdict(f) for f in self.features]
        d["sites"] = list(self.sites)
        if self.radiomics:
            d["radiomics"] = [asdict(f) for f in self.radiomics]
        else:  # a plan without election keeps the hash it had before elections existed
            for key in ("radiomics", "radiomics_settings", "quorum", "selection", "rad_rounds"):
                d.pop(key)
        d["sends"] = self.sends()
        return d

    def schedule(self) -> list[str]:
        """The phase of every server round, in order (round ``r`` runs ``schedule()[r - 1]``)."""
        head = ["elect"] if self.election else []
        return [
            *head,
            "moments",
            *(["radtrain"] * self.rad_rounds if self.election else []),
            *(["train"] * self.rounds),
            "evaluate",
        ]

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Plan:
        """Rebuild a plan from :meth:`to_dict` output (the ``sends`` entry is derived, not read)."""
        fields = dict(d)
        fields.pop("sends", None)
        try:
            fields["features"] = tuple(FeatureSpec(**f) for f in fields["features"])
            fields["radiomics"] = tuple(FeatureSpec(**f) for f in fields.get("radiomics", ()))
            fields["sites"] = tuple(fields["sites"])
            return cls(**fields)
        except (KeyError, TypeError) as exc:
            raise FederatedError(
                "The plan cannot be read",
                expected="a plan written by `hsp federated coordinator plan`",
                found=str(exc),
                fix="ask the coordinator for the plan file again",
                field="plan",
            ) from exc

    @property
    def sha256(self) -> str:
        """Hash of the canonical JSON of the plan: what a site approves."""
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()

    @property
    def n_params(self) -> int:
        """Parameters of one logistic model (intercept + one per feature)."""
        return len(self.features) + 1

    def sends(self) -> list[dict[str, Any]]:
        """Every message type a site sends under this plan, with its array shapes."""
        k, p, b, c = len(self.sites), len(self.features), self.bins, len(self.radiomics)
        out: list[dict[str, Any]] = [
            {
                "type": "handshake",
                "arrays": [],
                "content": "site name, plan hash, approval and compatibility, n",
            }
        ]
        if self.election:
            out.append(
                {
                    "type": "vote",
                    "arrays": [[k + 1, c]],
                    "content": f"0/1 vote per candidate radiomics feature ({self.selection} selection on the "
                    "site's rows; global + leave-one-site-out rows) / n",
                }
            )
        out.append(
            {
                "type": "moments",
                "arrays": [[3, p], [3, c]] if self.election else [[3, p]],
                "content": "per-feature count, sum, sum of squares / n"
                + (" (clinical inputs, then radiomics candidates)" if self.election else ""),
            }
        )
        if self.election:
            out.append(
                {
                    "type": "radtrain",
                    "arrays": [[k + 1, c + 1]],
                    "content": f"{self.rad_rounds} rounds of Rad-score logistic parameters on the elected "
                    "features (zeros elsewhere; global + leave-one-site-out)",
                }
            )
        out += [
            {
                "type": "train",
                "arrays": [[k + 1, p + 1]],
                "content": f"{self.rounds} rounds of logistic parameters (global + leave-one-site-out)",
            },
            {
                "type": "evaluate",
                "arrays": [[2, k, 2, b]],
                "content": "score histograms per outcome (own block only) / n",
            },
        ]
        return out

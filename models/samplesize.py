"""Minimum sample size for a binary-outcome prediction model (Riley et al., BMJ 2020;368:m441).

Three criteria; the required ``n`` is the largest:

1. expected uniform shrinkage ``S >= 0.9``: ``n = p / ((S - 1) ln(1 - R2cs / S))``;
2. small optimism in the apparent Nagelkerke R2 (``delta = 0.05``): criterion 1 with
   ``S = R2cs / (R2cs + delta * max R2cs)``;
3. precise overall risk (margin 0.05): ``n = (1.96 / 0.05)^2 phi (1 - phi)``.

``R2cs`` (Cox-Snell) is anticipated from the expected AUC and prevalence by simulating a large logistic model with
that discrimination (as pmsampsize's ``cstatistic`` option does, Riley et al. 2021), or given directly.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import optimize, special

from models.logistic import fit_logistic


def max_r2cs(prevalence: float) -> float:
    """Largest Cox-Snell R2 attainable at a prevalence.

    Parameters
    ----------
    prevalence : float
        Outcome proportion.

    Returns
    -------
    float
        ``1 - (phi^phi (1 - phi)^(1 - phi))^2``.
    """
    phi = prevalence
    lnl = phi * math.log(phi) + (1 - phi) * math.log(1 - phi)
    return 1.0 - math.exp(2.0 * lnl)


def r2cs_from_auc(auc: float, prevalence: float, *, n_sim: int = 200_000, seed: int = 0) -> float:
    """Anticipated Cox-Snell R2 of a logistic model with the given AUC and prevalence (simulation).

    Parameters
    ----------
    auc : float
        Anticipated C statistic.
    prevalence : float
        Outcome proportion.
    n_sim : int
        Simulated recipients.
    seed : int
        Random seed.

    Returns
    -------
    float
        Cox-Snell R2 ``1 - exp(-LR / n)``.
    """
    rng = np.random.default_rng(seed)
    n = n_sim
    # linear predictor ~ N(mu, sigma^2); sigma from the AUC of a logistic-normal model, mu from the prevalence
    z = rng.standard_normal(n)

    def stats_for(sigma: float) -> tuple[float, float]:
        mu = optimize.brentq(lambda m: float(special.expit(m + sigma * z).mean()) - prevalence, -20, 20)
        return mu, sigma

    u = rng.random(n)

    def auc_for(sigma: float) -> float:
        mu, _ = stats_for(sigma)
        p = special.expit(mu + sigma * z)
        y = u < p
        order = np.argsort(p)
        ranks = np.empty(n)
        ranks[order] = np.arange(1, n + 1)
        m1 = int(y.sum())
        return float((ranks[y].sum() - m1 * (m1 + 1) / 2) / (m1 * (n - m1)))

    sigma = optimize.brentq(lambda s: auc_for(s) - auc, 0.01, 6.0, xtol=1e-4)
    mu, _ = stats_for(sigma)
    lp = mu + sigma * z
    y = (u < special.expit(lp)).astype(float)
    fit = fit_logistic(lp[:, None], y)
    return float(1.0 - math.exp(-fit.lr_chi2 / n))


@dataclass(frozen=True)
class SampleSizeCheck:
    """Riley criteria for a planned model, and what the available data allow."""

    n: int
    events: int
    prevalence: float
    parameters: int
    r2cs: float
    required_n: dict[str, float]
    required_overall: int
    max_parameters: int
    events_per_parameter: float
    ok: bool

    def as_dict(self) -> dict[str, Any]:
        """Return the fields as a plain dictionary (JSON-ready)."""
        return asdict(self)

    def report(self) -> str:
        """A short human-readable report, with a warning line when the data are too small."""
        lines = [
            "Sample-size check (Riley et al., BMJ 2020):",
            f"  recipients {self.n}, events {self.events} (prevalence {self.prevalence:.3f}), "
            f"anticipated Cox-Snell R2 {self.r2cs:.3f}",
            f"  candidate parameters {self.parameters} "
            f"({self.events_per_parameter:.1f} events per parameter)",
            "  required n: "
            + ", ".join(f"{k} {math.ceil(v)}" for k, v in self.required_n.items())
            + f" -> {self.required_overall}",
            f"  parameters these data support (shrinkage >= 0.9): {self.max_parameters}",
        ]
        if self.required_n["overall_risk"] > self.n:
            lines.append(
                f"  note: {math.ceil(self.required_n['overall_risk'])} recipients are needed to estimate the overall "
                "risk within +/-0.05; report the intercept's CI."
            )
        if not self.ok:
            lines.append(
                f"  WARNING: {self.parameters} candidate parameters exceed the {self.max_parameters} the events "
                "allow; expect overfitting - reduce predictors (scores, pre-specified clinical set) or add data."
            )
        return "\n".join(lines)


def riley_check(
    n: int,
    events: int,
    parameters: int,
    *,
    auc: float = 0.75,
    r2cs: float | None = None,
    shrinkage: float = 0.9,
    delta: float = 0.05,
    margin: float = 0.05,
) -> SampleSizeCheck:
    """Check a planned model against Riley's minimum sample size criteria.

    Parameters
    ----------
    n, events : int
        Recipients and events available.
    parameters : int
        Candidate parameters (degrees of freedom) of the model.
    auc : float
        Anticipated C statistic (used when ``r2cs`` is not given).
    r2cs : float, optional
        Anticipated Cox-Snell R2.
    shrinkage : float
        Target expected shrinkage (criterion 1).
    delta : float
        Acceptable optimism in Nagelkerke R2 (criterion 2).
    margin : float
        Acceptable absolute error of the overall risk (criterion 3).

    Returns
    -------
    SampleSizeCheck
        Required ``n`` per criterion, the parameters supported, and whether the plan fits.
    """
    if not 0 < events < n:
        raise ValueError(f"events must lie between 1 and n - 1 (found {events} of {n})")
    if parameters < 1:
        raise ValueError(f"parameters must be at least 1 (found {parameters})")
    phi = events / n
    r2 = r2cs_from_auc(auc, phi) if r2cs is None else r2cs
    mx = max_r2cs(phi)
    r2 = min(r2, 0.99 * mx)

    def n_for(p: int, s: float) -> float:
        return p / ((s - 1.0) * math.log(1.0 - r2 / s))

    s2 = r2 / (r2 + delta * mx)
    req = {
        "shrinkage": n_for(parameters, shrinkage),
        "optimism": n_for(parameters, s2),
        "overall_risk": (1.96 / margin) ** 2 * phi * (1 - phi),
    }
    # n_for is linear in p: the supported parameters follow from the stricter of criteria 1 and 2
    max_p = int(n // max(n_for(1, shrinkage), n_for(1, s2)))
    overall = math.ceil(max(req.values()))
    return SampleSizeCheck(
        n=n,
        events=events,
        prevalence=phi,
        parameters=parameters,
        r2cs=r2,
        required_n=req,
        required_overall=overall,
        max_parameters=max_p,
        events_per_parameter=events / parameters,
        ok=parameters <= max_p,
    )

"""The coordinator's side: phases of a run, what it does with each aggregate, and the final results.

:class:`Coordinator` is transport-free: the Flower ServerApp (:mod:`hsp_desktop.federated.flower_server`) and the
in-process runner (:func:`run_in_process`, used by fast tests and as a dry run) drive the same object.  It never
sees a site's individual message when SecAgg+ is on - only the weighted average of the sites that answered.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hsp_desktop.errors import FederatedError
from hsp_desktop.federated import core
from hsp_desktop.federated.core import FloatArray, Plan

ProgressFn = Callable[[dict[str, Any]], None]


@dataclass
class Coordinator:
    """State of one federated run.

    Rounds follow :meth:`Plan.schedule`: ``moments``, ``train`` x rounds, ``evaluate``; with a Rad-score
    election ``elect`` comes first and ``radtrain`` x rad_rounds after the moments.
    """

    plan: Plan
    progress: ProgressFn | None = None
    site_n: dict[str, int] = field(default_factory=dict)
    excluded: dict[str, str] = field(default_factory=dict)
    dropped: dict[str, str] = field(default_factory=dict)
    scaler: FloatArray | None = None
    params: FloatArray | None = None
    histograms: FloatArray | None = None
    rad_scaler: FloatArray | None = None
    rad_params: FloatArray | None = None
    votes: FloatArray | None = None
    voters: list[int] = field(default_factory=list)
    elected: FloatArray | None = None
    fallback: list[str] = field(default_factory=list)
    election_seconds: float = 0.0
    round_seconds: list[dict[str, Any]] = field(default_factory=list)
    _t0: float = field(default_factory=time.monotonic)
    _t_round: float = field(default_factory=time.monotonic)

    @property
    def total_rounds(self) -> int:
        """[Election +] moments [+ Rad-score rounds] + training rounds + evaluation."""
        return len(self.plan.schedule())

    def phase(self, server_round: int) -> str:
        """``elect``, ``moments``, ``radtrain``, ``train`` or ``evaluate``."""
        sched = self.plan.schedule()
        return sched[min(max(server_round, 1), len(sched)) - 1]

    def _emit(self, event: dict[str, Any]) -> None:
        if self.progress is not None:
            self.progress({"elapsed_s": round(time.monotonic() - self._t0, 3), **event})

    # ---- handshake
    def accept(self, replies: Sequence[Mapping[str, Any]]) -> None:
        """Record the sites' handshake replies; raise when fewer than ``min_sites`` accepted."""
        names = [str(r.get("site")) for r in replies]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise FederatedError(
                "Two connected nodes claim the same site",
                expected="one SuperNode per site",
                found=", ".join(twice),
                fix="stop the duplicate SuperNode (check each site's --site name and node key)",
                field="site",
            )
        for r in replies:
            site = str(r.get("site"))
            if r.get("accepted") and r.get("plan_sha256") == self.plan.sha256 and site in self.plan.sites:
                self.site_n[site] = int(r["n"])
            else:
                self.excluded[site] = str(r.get("reason") or "refused the plan")
        for site in self.plan.sites:
            if site not in self.site_n and site not in self.excluded:
                self.excluded[site] = "did not answer the handshake"
        self._emit({"event": "handshake", "accepted": dict(self.site_n), "excluded": dict(self.excluded)})
        if len(self.site_n) < self.plan.min_sites:
            raise FederatedError(
                "Too few sites accepted the plan",
                expected=f"at least {self.plan.min_sites}",
                found=f"{len(self.site_n)} ({'; '.join(f'{k}: {v}' for k, v in self.excluded.items())})",
                fix="ask the sites that refused to review and approve the plan, or fix what they report",
                field="sites",
            )
        self._t_round = time.monotonic()

    def config(self, server_round: int) -> dict[str, Any]:
        """What the coordinator sends with a round (besides the current parameters)."""
        phase = self.phase(server_round)
        cfg: dict[str, Any] = {"round": server_round, "phase": phase}
        if self.scaler is not None:
            cfg["scaler"] = self.scaler
        cfg["site_n"] = dict(self.site_n)
        if self.plan.election and phase == "radtrain":
            cfg["rad_scaler"] = self.rad_scaler
            cfg["elected"] = self.elected
        if self.plan.election and phase in ("train", "evaluate"):
            cfg["rad"] = {"scaler": self.rad_scaler, "params": self.current_rad_params()}
        return cfg

    def current_params(self) -> FloatArray:
        """Parameters of the ``K + 1`` models (zeros before training)."""
        if self.params is None:
            self.params = np.zeros((len(self.plan.sites) + 1, self.plan.n_params))
        return self.params

    def current_rad_params(self) -> FloatArray:
        """Parameters of the ``K + 1`` Rad-score models over the candidates (zeros before training)."""
        if self.rad_params is None:
            self.rad_params = np.zeros((len(self.plan.sites) + 1, len(self.plan.radiomics) + 1))
        return self.rad_params

    def params_for(self, server_round: int) -> FloatArray:
        """The parameters a round sends: the Rad-score's in ``radtrain`` rounds, else the model's."""
        return self.current_rad_params() if self.phase(server_round) == "radtrain" else self.current_params()

    # ---- aggregates
    def absorb(self, server_round: int, aggregate: Sequence[FloatArray], respondents: Sequence[str]) -> None:
        """Use the weighted average of the answering sites' arrays for ``server_round``.

        Parameters
        ----------
        server_round : int
            Round number (1-based).
        aggregate : sequence of ndarray
            ``sum_i n_i v_i / sum_i n_i`` over ``respondents``.
        respondents : sequence of str
            Sites whose message is in the aggregate.
        """
        resp = [s for s in respondents if s in self.site_n]
        for site in list(self.site_n):
            if site not in resp:
                self.dropped[site] = f"no answer in round {server_round} ({self.phase(server_round)})"
        if len(resp) < self.plan.min_sites:
            raise FederatedError(
                f"Too few sites answered round {server_round}",
                expected=f"at least {self.plan.min_sites}",
                found=f"{len(resp)}: {', '.join(resp) or 'none'}",
                fix="check the dropped sites' SuperNodes and start the run again",
                field="sites",
            )
        expected_n = dict(self.site_n)  # what the sites were told this round
        n_resp = float(sum(self.site_n[s] for s in resp))
        phase = self.phase(server_round)
        arr = np.asarray(aggregate[0], dtype=np.float64)
        if phase == "elect":
            self._absorb_votes(arr * n_resp, resp)
            self.election_seconds = time.monotonic() - self._t_round
        elif phase == "moments":
            self.scaler = self._scaler(arr * n_resp)
            if self.plan.election:
                self.rad_scaler = np.vstack(core.pooled_scaler(np.asarray(aggregate[1]) * n_resp))
        elif phase == "radtrain":
            self.rad_params = self._absorb_train(
                server_round, arr, resp, expected_n, n_resp, self.current_rad_params()
            )
        elif phase == "train":
            self.params = self._absorb_train(
                server_round, arr, resp, expected_n, n_resp, self.current_params()
            )
        else:
            self.histograms = np.rint(arr * n_resp)
        # a dropped site takes no further part (its n no longer weighs in)
        for site in list(self.site_n):
            if site not in resp:
                del self.site_n[site]
        now = time.monotonic()
        self.round_seconds.append({"round": server_round, "phase": phase, "seconds": now - self._t_round})
        self._emit(
            {
                "event": "round",
                "round": server_round,
                "of": self.total_rounds,
                "phase": phase,
                "sites": resp,
                "seconds": round(now - self._t_round, 3),
            }
        )
        self._t_round = now

    def _scaler(self, moments: FloatArray) -> FloatArray:
        """Pooled scaler; with an election the rad_score column (computed later) keeps a fixed scale (0, 1)."""
        names = [f.name for f in self.plan.features]
        if not self.plan.election:
            return np.vstack(core.pooled_scaler(moments))
        j = names.index("rad_score")
        others = [i for i in range(len(names)) if i != j]
        out = np.zeros((2, len(names)))
        out[:, j] = (0.0, 1.0)
        if others:
            out[:, others] = np.vstack(core.pooled_scaler(moments[:, others]))
        return out

    def _absorb_votes(self, counts: FloatArray, resp: list[str]) -> None:
        """Elect each model's features from the vote counts (global: every voter; model k + 1: all but site k)."""
        counts = np.rint(counts)
        plan = self.plan
        elected = np.zeros_like(counts, dtype=bool)
        self.voters = []
        self.fallback = []
        names = [f.name for f in plan.radiomics]
        for m in range(counts.shape[0]):
            voters = len(resp) - (1 if m > 0 and plan.sites[m - 1] in resp else 0)
            self.voters.append(voters)
            if voters < 1:
                continue
            keep = core.elect_vector(counts[m], voters, quorum=plan.quorum)
            if not keep.any() and counts[m].max() > 0:
                # nothing reached the quorum: the most-voted candidate (first in candidate order), reported
                keep[int(np.argmax(counts[m]))] = True
                self.fallback.append("global" if m == 0 else f"without {plan.sites[m - 1]}")
            elected[m] = keep
        if not elected[0].any():
            raise FederatedError(
                "No site selected any radiomics feature",
                expected="at least one vote",
                found="all-zero votes",
                fix="check the sites' radiomics and the candidate list, or run without the Rad-score",
                field="radiomics",
            )
        self.votes = counts
        self.elected = elected.astype(np.float64)
        self._emit(
            {
                "event": "election",
                "candidates": len(names),
                "voters": self.voters[0],
                "votes": {n: int(c) for n, c in zip(names, counts[0], strict=True) if c > 0},
                "elected": [n for n, k in zip(names, elected[0], strict=True) if k],
            }
        )

    def _absorb_train(
        self,
        server_round: int,
        arr: FloatArray,
        resp: list[str],
        told: Mapping[str, int],
        n_resp: float,
        current: FloatArray,
    ) -> FloatArray:
        params = current.copy()
        total_told = float(sum(told.values()))
        rng = np.random.default_rng([self.plan.seed, server_round])
        for m in range(params.shape[0]):
            left_out = self.plan.sites[m - 1] if m > 0 else None
            if left_out is not None and left_out not in told:
                continue  # never trained: that site did not join
            if left_out is None:
                new = arr[m]
                contributors = resp
            else:
                contributors = [s for s in resp if s != left_out]
                if not contributors:
                    continue
                n_k = told[left_out]
                n_contrib = float(sum(told[s] for s in contributors))
                # sites sent w * N / (N - n_k); undo that and renormalise to the sites that answered
                new = arr[m] * n_resp * (total_told - n_k) / total_told / n_contrib
            if self.plan.dp_clip > 0 and self.plan.dp_noise_multiplier > 0:
                n_c = float(sum(told[s] for s in contributors))
                sd = (
                    self.plan.dp_noise_multiplier
                    * self.plan.dp_clip
                    * max(told[s] for s in contributors)
                    / n_c
                )
                noise = rng.normal(0.0, sd, size=new.shape)
                if self.phase(server_round) == "radtrain" and self.elected is not None:
                    noise[1:] *= self.elected[m]  # features a model does not use stay exactly 0
                new = new + noise
            params[m] = new
        return params

    # ---- results
    def result(self) -> dict[str, Any]:
        """Coefficients, pooled / per-site / leave-one-site-out evaluation, heterogeneity, privacy, timing."""
        if self.scaler is None or self.params is None or self.histograms is None:
            raise FederatedError("The run has not finished", expected="all rounds", found="an incomplete run")
        plan = self.plan
        names = [f.name for f in plan.features]
        w = self.params[0]
        mean, sd = self.scaler
        scale = np.array([f.scale for f in plan.features])
        center = np.array([f.center for f in plan.features])
        # slope per unit of the transformed predictor t(x) = center + scale * z
        raw = w[1:] / (sd * scale)
        raw_intercept = float(w[0] - np.sum(w[1:] * (mean / sd + center / (sd * scale))))
        per_site_hist = self.histograms[0]
        loso_hist = self.histograms[1]
        present = [i for i, s in enumerate(plan.sites) if per_site_hist[i].sum() > 0]
        pooled = core.histogram_metrics(per_site_hist[present].sum(axis=0))
        per_site = {plan.sites[i]: core.histogram_metrics(per_site_hist[i]) for i in present}
        loso = {plan.sites[i]: core.histogram_metrics(loso_hist[i]) for i in present}
        aucs = [per_site[s]["auc"] for s in per_site]
        ses = [per_site[s]["auc_se"] for s in per_site]
        het = core.heterogeneity(aucs, ses) if len(aucs) > 1 else {}
        dp: dict[str, Any] = {"enabled": plan.dp_clip > 0 and plan.dp_noise_multiplier > 0}
        if dp["enabled"]:
            dp.update(
                clip=plan.dp_clip,
                noise_multiplier=plan.dp_noise_multiplier,
                delta=plan.dp_delta,
                epsilon=core.dp_epsilon(
                    plan.dp_noise_multiplier, plan.rounds + plan.rad_rounds, plan.dp_delta
                ),
                unit="site (all of one site's recipients)",
            )
        out = {
            "plan_sha256": plan.sha256,
            "model_version": plan.model_version,
            "strategy": plan.strategy,
            "mu": plan.mu,
            "rounds": plan.rounds,
            "secagg": plan.secagg,
            "features": names,
            "scaler": {"mean": mean.tolist(), "sd": sd.tolist()},
            "coef_standardised": w.tolist(),
            "coef_transformed_units": {
                "intercept": raw_intercept,
                **dict(zip(names, raw.tolist(), strict=True)),
            },
            "transforms": {f.name: f.transform for f in plan.features},
            "loso_coef_standardised": {s: self.params[i + 1].tolist() for i, s in enumerate(plan.sites)},
            "sites": {s: n for s, n in self.site_n.items()},
            "excluded": dict(self.excluded),
            "dropped": dict(self.dropped),
            "pooled": pooled,
            "per_site": per_site,
            "leave_one_site_out": loso,
            "heterogeneity_auc": het,
            "differential_privacy": dp,
            "round_seconds": self.round_seconds,
            "wall_seconds": time.monotonic() - self._t0,
        }
        if plan.election:
            out["election"] = self.election_result()
        return out

    def election_result(self) -> dict[str, Any]:
        """Candidates, vote counts, elected features (global and per leave-out model) and the Rad-score fitted."""
        if self.votes is None or self.elected is None or self.rad_params is None or self.rad_scaler is None:
            raise FederatedError("The election has not run", expected="an election round", found="none")
        plan = self.plan
        names = [f.name for f in plan.radiomics]
        elected = self.elected

        def chosen(m: int) -> list[str]:
            return [n for n, k in zip(names, elected[m], strict=True) if k > 0.5]

        w = self.rad_params[0]
        return {
            "candidates": names,
            "quorum": plan.quorum,
            "selection": plan.selection,
            "voters": self.voters[0],
            "votes": {n: int(c) for n, c in zip(names, self.votes[0], strict=True)},
            "elected": chosen(0),
            "loso_elected": {s: chosen(i + 1) for i, s in enumerate(plan.sites)},
            "fallback": list(self.fallback),
            "vote_round_seconds": self.election_seconds,
            "rad_rounds": plan.rad_rounds,
            "rad_scaler": {"mean": self.rad_scaler[0].tolist(), "sd": self.rad_scaler[1].tolist()},
            "rad_coef_standardised": {
                "intercept": float(w[0]),
                **{n: float(c) for n, c, k in zip(names, w[1:], self.elected[0], strict=True) if k > 0.5},
            },
            "rad_params": self.rad_params.tolist(),
        }


def run_in_process(
    plan: Plan,
    workers: Sequence[Any],
    *,
    drop: Mapping[str, int] | None = None,
    progress: ProgressFn | None = None,
) -> dict[str, Any]:
    """Run a plan with every site in this process (same site and coordinator code, no Flower, no network).

    Parameters
    ----------
    plan : Plan
        The plan (each worker must have approved it).
    workers : sequence of SiteWorker
        One per site.
    drop : mapping, optional
        Site -> round from which that site stops answering (fault injection).
    progress : callable, optional
        Receives progress events.

    Returns
    -------
    dict
        :meth:`Coordinator.result`.
    """
    coord = Coordinator(plan, progress=progress)
    replies = [w.handshake(plan, {"run": "in-process", "round": 0}) for w in workers]
    coord.accept(replies)
    drop = dict(drop or {})
    active = [w for w in workers if w.data.site in coord.site_n]
    for rnd in range(1, coord.total_rounds + 1):
        phase = coord.phase(rnd)
        cfg = coord.config(rnd)
        ctx = {"run": "in-process", "round": rnd}
        answers = []
        for w in active:
            if w.data.site in drop and rnd >= drop[w.data.site]:
                continue
            if phase == "elect":
                arrays, n = w.vote(plan, ctx)
            elif phase == "moments":
                arrays, n = w.moments(plan, ctx)
            elif phase == "radtrain":
                arrays, n = w.rad_train(
                    plan, coord.current_rad_params(), cfg["rad_scaler"], cfg["elected"], cfg["site_n"], ctx
                )
            elif phase == "train":
                arrays, n = w.train(
                    plan, coord.current_params(), cfg["scaler"], cfg["site_n"], ctx, rad=cfg.get("rad")
                )
            else:
                arrays, n = w.evaluate(plan, coord.current_params(), cfg["scaler"], ctx, rad=cfg.get("rad"))
            answers.append((w.data.site, arrays, n))
        agg = core.weighted_average([a for _, a, _ in answers], [n for _, _, n in answers])
        coord.absorb(rnd, agg, [s for s, _, _ in answers])
        active = [w for w in active if w.data.site in coord.site_n]
    return coord.result()


def pooled_reference(plan: Plan, datasets: Sequence[Any]) -> dict[str, Any]:
    """The same model fitted on the pooled rows (what federation must reproduce; tests and benchmarks only).

    Parameters
    ----------
    plan : Plan
        Features.
    datasets : sequence of SiteData
        Every site's data.

    Returns
    -------
    dict
        ``coef_standardised``, ``scaler`` and the pooled linear predictor ``eta`` with outcomes ``y``.
    """
    from models.logistic import fit_logistic

    zs = [core.reference_scaled(d.values, plan.features, d.n) for d in datasets]
    z = np.vstack(zs)
    y = np.concatenate([d.y for d in datasets])
    mean = np.nanmean(z, axis=0)
    sd = np.nanstd(z, axis=0, ddof=1)
    x = core.standardise(z, mean, sd)
    fit = fit_logistic(x, y, ridge=1e-4 * len(y))
    eta = np.column_stack([np.ones(len(y)), x]) @ fit.coef
    return {"coef_standardised": fit.coef, "scaler": np.vstack([mean, sd]), "eta": eta, "y": y}


def pooled_election_reference(
    plan: Plan,
    datasets: Sequence[Any],
    radiomics: Sequence[Mapping[str, FloatArray]],
    elected: Sequence[str],
) -> dict[str, Any]:
    """The Rad-score and the model with it fitted on pooled rows (tests and benchmarks only).

    Same steps as the federated run, without federation: pooled scaler of the candidates, logistic Rad-score on
    the ``elected`` candidates, its linear predictor as ``rad_score`` (fixed scale, as federated) in the model.

    Parameters
    ----------
    plan : Plan
        A plan with an election.
    datasets : sequence of SiteData
        Every site's data.
    radiomics : sequence of mapping
        Every site's candidate radiomics (column -> values, row-aligned with its data).
    elected : sequence of str
        The elected candidates.

    Returns
    -------
    dict
        ``rad_coef_standardised`` (intercept + elected, in candidate order), ``rad_scaler``, ``rad_eta``,
        ``coef_standardised``, ``scaler``, ``eta`` and ``y``.
    """
    from models.logistic import fit_logistic

    y = np.concatenate([d.y for d in datasets])
    zr = np.vstack(
        [core.reference_scaled(r, plan.radiomics, d.n) for d, r in zip(datasets, radiomics, strict=True)]
    )
    rmean, rsd = np.nanmean(zr, axis=0), np.maximum(np.nanstd(zr, axis=0, ddof=1), 1e-12)
    names = [f.name for f in plan.radiomics]
    cols = [names.index(n) for n in names if n in set(elected)]
    xr = core.standardise(zr, rmean, rsd)[:, cols]
    rfit = fit_logistic(xr, y, ridge=1e-4 * len(y))
    rad_eta = np.column_stack([np.ones(len(y)), xr]) @ rfit.coef
    values = {
        f.name: np.concatenate([np.asarray(d.values[f.name], dtype=np.float64) for d in datasets])
        for f in plan.features
        if f.name != "rad_score"
    }
    values["rad_score"] = rad_eta
    z = core.reference_scaled(values, plan.features, len(y))
    mean, sd = np.nanmean(z, axis=0), np.nanstd(z, axis=0, ddof=1)
    j = [f.name for f in plan.features].index("rad_score")
    mean[j], sd[j] = 0.0, 1.0
    x = core.standardise(z, mean, sd)
    fit = fit_logistic(x, y, ridge=1e-4 * len(y))
    return {
        "rad_coef_standardised": rfit.coef,
        "rad_scaler": np.vstack([rmean, rsd]),
        "rad_eta": rad_eta,
        "coef_standardised": fit.coef,
        "scaler": np.vstack([mean, sd]),
        "eta": np.column_stack([np.ones(len(y)), x]) @ fit.coef,
        "y": y,
    }

"""The development run: sample-size check, candidate models under nested CV, bootstrap optimism, the final fit.

:func:`develop` is what ``hsp develop`` runs on a feature table; :func:`write_bundle` locks the result.
Everything is seeded; progress is reported through a callback ``(stage, done, total)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.base import clone

from hsp_desktop.errors import ModelArtefactError
from models.bundle import BANDS, band_of, feature_entries, save_bundle
from models.features import split_blocks
from models.logistic import LogisticFit, odds_ratios
from models.metrics import delong_paired_test, evaluate_predictions
from models.multimodal import RANKED_CLINICAL, MultimodalRiskModel, transform_name
from models.samplesize import SampleSizeCheck, riley_check
from models.validation import BootstrapResult, NestedCvResult, bootstrap_validation, nested_cv

StageProgress = Callable[[str, int, int], None]

INTENDED_USE = (
    "Research use only. Estimates, before liver transplantation, an adult recipient's risk of refractory "
    "hypersplenism 6 months after transplantation (CLINICAL.md section 1 outcome definition). Trained on the "
    "project's synthetic cohort: a demonstration model, not validated on patients; not for clinical decisions."
)


@dataclass(frozen=True)
class DevelopmentConfig:
    """Settings of a development run (all seeded)."""

    seed: int = 20260101
    n_splits: int = 5
    n_repeats: int = 5
    n_boot: int = 200
    n_jobs: int = 1
    band_thresholds: tuple[float, float] = (0.15, 0.40)
    anticipated_auc: float = 0.75
    comparators: bool = True
    n_boot_ci: int = 500
    #: Extra MultimodalRiskModel parameters (e.g. smaller inner loops in tests).
    model_params: tuple[tuple[str, Any], ...] = ()
    #: Why the model may be locked although Riley's sample-size criteria fail (None: a failure blocks locking).
    riley_override: str | None = None


@dataclass
class DevelopmentResult:
    """Everything a development run produced."""

    model: MultimodalRiskModel
    candidates: dict[str, MultimodalRiskModel]
    sample_size: SampleSizeCheck
    nested: dict[str, NestedCvResult]
    bootstrap: dict[str, BootstrapResult]
    paired: dict[str, dict[str, float]]
    metrics: dict[str, Any]
    odds_ratios: list[dict[str, Any]]
    bands: dict[str, dict[str, Any]]
    notes: list[str] = field(default_factory=list)
    selected: str = "multimodal"
    """Which candidate the pre-specified rule locked (``"multimodal"`` or ``"clinical"``)."""


def choose_clinical(
    n: int, events: int, n_scores: int, auc: float
) -> tuple[tuple[str, ...], SampleSizeCheck]:
    """Pick the pre-specified clinical predictors the sample size supports (at least platelets and spleen size).

    Parameters
    ----------
    n, events : int
        Recipients and events.
    n_scores : int
        Scores (Rad-score, DL-score) the multimodal model adds.
    auc : float
        Anticipated AUC for Riley's criteria.

    Returns
    -------
    clinical : tuple of str
        The first k of :data:`models.multimodal.RANKED_CLINICAL`.
    check : SampleSizeCheck
        Riley's check of the multimodal model with that many parameters.
    """
    probe = riley_check(n, events, 1, auc=auc)
    k = int(np.clip(probe.max_parameters - n_scores, 2, len(RANKED_CLINICAL)))
    return RANKED_CLINICAL[:k], riley_check(n, events, k + n_scores, auc=auc)


#: The model-choice rule, fixed before any fitting (issue 16 item 3).
CHOICE_RULE = (
    "pre-specified rule: lock the multimodal model only if the lower 95% DeLong bound of its nested-CV AUC minus "
    "the clinical-only model's is above 0; otherwise lock the simpler clinical-only model"
)


def choose_model(paired_vs_clinical: Mapping[str, float] | None, *, has_scores: bool) -> dict[str, Any]:
    """Apply :data:`CHOICE_RULE` to the paired DeLong comparison of multimodal versus clinical-only.

    Parameters
    ----------
    paired_vs_clinical : mapping or None
        :meth:`models.metrics.PairedDelong.as_dict` of multimodal minus clinical-only (nested-CV out-of-fold).
    has_scores : bool
        Whether the multimodal model has any score beyond the clinical predictors.

    Returns
    -------
    dict
        ``rule``, ``selected`` (``"multimodal"`` or ``"clinical"``), the difference with its CI and p, ``reason``.
    """
    out: dict[str, Any] = {"rule": CHOICE_RULE}
    if not has_scores or paired_vs_clinical is None:
        out.update(
            selected="clinical", reason="no radiomics or deep score to add: clinical-only model locked"
        )
        return out
    d = paired_vs_clinical
    diff, lo, hi = float(d["difference"]), float(d["ci_low"]), float(d["ci_high"])
    selected = "multimodal" if lo > 0 else "clinical"
    out.update(
        selected=selected,
        auc_multimodal=float(d["auc1"]),
        auc_clinical=float(d["auc2"]),
        difference=diff,
        ci_low=lo,
        ci_high=hi,
        p_value=float(d["p_value"]),
        reason=(
            f"AUC difference multimodal - clinical {diff:+.3f} (95% CI {lo:+.3f} to {hi:+.3f}, "
            f"p = {float(d['p_value']):.2f}): "
            + (
                "lower bound above 0, multimodal model locked"
                if selected == "multimodal"
                else "lower bound not above 0, the simpler clinical-only model locked"
            )
        ),
    )
    return out


def develop(
    table: pd.DataFrame,
    y: Any,
    *,
    replicates: np.ndarray | None = None,
    config: DevelopmentConfig | None = None,
    progress: StageProgress | None = None,
    log: Callable[[str], None] = print,
) -> DevelopmentResult:
    """Run the full development on a feature table.

    Parameters
    ----------
    table : pandas.DataFrame
        Feature table (clinical, radiomics ``roi__name``, optional deep columns), one row per recipient.
    y : array-like
        Outcome 0/1.
    replicates : ndarray, optional
        Radiomics re-extracted from perturbed masks (rows of ``table``, radiomics columns in table order).
    config : DevelopmentConfig, optional
        Seeds and sizes.
    progress : callable, optional
        ``(stage, done, total)``.
    log : callable
        Where the sample-size report and notes go.

    Returns
    -------
    DevelopmentResult
        Locked candidate, every validation result.
    """
    cfg = config or DevelopmentConfig()
    yb = np.asarray(y).astype(np.int64)
    n, events = int(yb.shape[0]), int(yb.sum())
    blocks = split_blocks(table.columns)
    has_rad = bool(blocks["radiomics"])
    has_deep = bool(blocks["deep"])
    n_scores = int(has_rad) + int(has_deep)
    clinical, check = choose_clinical(n, events, n_scores, cfg.anticipated_auc)
    log(check.report())
    log(
        f"Clinical predictors (pre-specified order, {len(clinical)} kept for the sample size): {', '.join(clinical)}"
    )
    rs = cfg.seed % (2**31)
    base = MultimodalRiskModel(clinical=clinical, radiomics=has_rad, deep=has_deep, random_state=rs)
    base.set_params(**dict(cfg.model_params))
    candidates: dict[str, MultimodalRiskModel] = {
        "clinical": clone(base).set_params(radiomics=False, deep=False),
    }
    if has_rad:
        candidates["rad_score"] = clone(base).set_params(clinical=(), deep=False)
    if has_deep:
        candidates["dl_score"] = clone(base).set_params(clinical=(), radiomics=False)
    candidates["multimodal"] = base
    if cfg.comparators:
        candidates["gbm"] = clone(base).set_params(meta="gbm", class_weight="balanced")
        candidates["rf"] = clone(base).set_params(meta="rf", class_weight="balanced")
    nested: dict[str, NestedCvResult] = {}
    for name, est in candidates.items():

        def tick(done: int, total: int, name: str = name) -> None:
            if progress:
                progress(f"nested CV: {name}", done, total)

        nested[name] = nested_cv(
            est,
            table,
            yb,
            replicates=replicates,
            n_splits=cfg.n_splits,
            n_repeats=cfg.n_repeats,
            seed=rs,
            n_jobs=cfg.n_jobs,
            progress=tick,
        )
    paired = {
        other: delong_paired_test(yb, nested["multimodal"].mean_oof, nested[other].mean_oof).as_dict()
        for other in nested
        if other != "multimodal"
    }
    choice = choose_model(paired.get("clinical"), has_scores=n_scores > 0)
    log(f"Model choice ({CHOICE_RULE}): {choice['reason']}")
    selected = str(choice["selected"])
    boots: dict[str, BootstrapResult] = {}
    for name in ("multimodal", "clinical"):

        def btick(done: int, total: int, name: str = name) -> None:
            if progress:
                progress(f"bootstrap: {name}", done, total)

        n_b = cfg.n_boot if name == selected else max(cfg.n_boot // 2, 1)
        boots[name] = bootstrap_validation(
            candidates[name],
            table,
            yb,
            replicates=replicates,
            n_boot=n_b,
            seed=rs,
            n_jobs=cfg.n_jobs,
            progress=btick,
        )
    if progress:
        progress("final fit", 0, 1)
    final = clone(candidates[selected]).fit(table, yb, replicates=replicates)
    lp_sd = boots[selected].lp_sd
    if lp_sd is not None:
        final.set_interval_inflation(table, lp_sd)
    if progress:
        progress("final fit", 1, 1)
    oof = nested[selected].mean_oof
    selected_oof = evaluate_predictions(yb, oof, cuts=cfg.band_thresholds, n_boot=cfg.n_boot_ci, seed=rs)
    metrics: dict[str, Any] = {
        "internal_validation": "nested CV out-of-fold predictions (mean over repeats)",
        "selected": selected,
        "model_choice": choice,
        "selected_oof": selected_oof,
        "multimodal_oof": selected_oof
        if selected == "multimodal"
        else evaluate_predictions(
            yb, nested["multimodal"].mean_oof, cuts=cfg.band_thresholds, n_boot=cfg.n_boot_ci, seed=rs
        ),
        "nested_cv": {k: v.as_dict() for k, v in nested.items()},
        "bootstrap": {k: v.as_dict() for k, v in boots.items()},
        "paired_delong_vs_multimodal": paired,
        "sample_size": check.as_dict(),
    }
    # risk factors: odds ratios of the locked (shrunk, re-intercepted) model, the one that predicts
    # (a score the meta-learner dropped for a negative weight is no longer a term)
    fitted_terms = list(final.terms_)
    per = []
    for term in fitted_terms:
        if term in ("rad_score", "dl_score"):
            per.append("per unit of score (log-odds scale)")
        else:
            per.append("per doubling" if transform_name(term) == "log2" else "per unit")
    ors = final_odds_ratios(final, per)
    metrics["odds_ratios_unshrunk"] = [o.__dict__ for o in odds_ratios(final.unshrunk_, fitted_terms, per)]
    bands = band_table(yb, oof, cfg.band_thresholds)
    # the sample-size check of the model that is locked (the multimodal check was logged above)
    check = riley_check(n, events, len(final.terms_), auc=cfg.anticipated_auc)
    metrics["sample_size"] = check.as_dict()
    notes = []
    if not check.ok:
        notes.append("Riley: candidate parameters exceed what the events allow")
    return DevelopmentResult(
        model=final,
        candidates=candidates,
        sample_size=check,
        nested=nested,
        bootstrap=boots,
        paired=paired,
        metrics=metrics,
        odds_ratios=ors,
        bands=bands,
        notes=notes,
        selected=selected,
    )


def score_parameter_note(model: MultimodalRiskModel) -> str | None:
    """Say how a learned score is counted in the sample-size check (None for a model without scores)."""
    parts = []
    for s in model.scores_:
        rep = model.selection_report_.get(s.name, {})
        parts.append(
            f"{s.name} built from {rep.get('candidates', '?')} candidate features ({len(s.inputs)} selected) is "
            "counted as 1 parameter: its selection is repeated inside every resample, so the internal validation "
            "includes it, but the effective number of parameters is larger than the count"
        )
    if model.uses_deep_score_:
        parts.append("dl_score (the CNN's out-of-fold logit) is counted as 1 parameter")
    return "; ".join(parts) or None


def check_sample_size(result: DevelopmentResult, config: DevelopmentConfig) -> None:
    """Refuse to lock a model that fails Riley's criteria unless the run records why (``riley_override``).

    Raises
    ------
    ModelArtefactError
        Naming the parameters, the maximum the data support and the fix.
    """
    check = result.sample_size
    reason = (config.riley_override or "").strip()
    if check.ok or reason:
        return
    raise ModelArtefactError(
        "The locked model has more parameters than the sample size supports (Riley et al. 2020)",
        expected=f"at most {check.max_parameters} parameters for {check.n} recipients with {check.events} events",
        found=f"{check.parameters} parameters ({', '.join(result.model.terms_)})",
        fix="reduce the pre-specified predictors, add data, or lock anyway with --riley-override "
        "'<reason>' (the reason is recorded in the bundle and printed on the validation report)",
        field="sample_size",
    )


def final_odds_ratios(model: MultimodalRiskModel, per: list[str]) -> list[dict[str, Any]]:
    """Odds ratios of the locked model: ``exp(shrunk slope)`` with Wald CIs from its covariance.

    The covariance is that of the final shrunk, re-intercepted model times ``interval_inflation_**2`` (the
    bootstrap of the whole procedure), the same one that gives the per-recipient CI.

    Parameters
    ----------
    model : MultimodalRiskModel
        Fitted logistic stack.
    per : list of str
        What one unit of each term means.

    Returns
    -------
    list of dict
        One :class:`models.logistic.OddsRatio` as a dict per term, with ``"scale": "shrunk"``.
    """
    inflation = float(model.interval_inflation_)
    fit = LogisticFit(
        coef=np.concatenate([[model.intercept_], model.coef_]),
        cov=model.cov_ * inflation**2,
        loglik=float("nan"),
        loglik_null=float("nan"),
        converged=True,
        n_iter=0,
    )
    return [{**o.__dict__, "scale": "shrunk"} for o in odds_ratios(fit, list(model.terms_), per)]


#: What each risk band implies (the documented setting behind ``DevelopmentConfig.band_thresholds``; CLINICAL.md
#: section 4 asks for bands tied to an action).  The thresholds are the risks at which the team would take the next
#: step: 15% - below it, routine follow-up; 40% - above it, early haematology review and a plan for treatment of
#: persistent cytopenia.  :func:`band_dca_check` checks them against the decision curve.
BAND_ACTIONS = {
    "low": "routine post-transplant follow-up (blood counts at the scheduled visits)",
    "intermediate": "closer follow-up: blood counts monthly and spleen imaging at 3 and 6 months",
    "high": "early haematology review; plan treatment of persistent cytopenia; discuss at the transplant meeting",
}


def wilson_ci(events: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion (NaN when ``n`` is 0)."""
    if n == 0:
        return float("nan"), float("nan")
    ci = stats.binomtest(int(events), int(n)).proportion_ci(confidence_level=level, method="wilson")
    return float(ci.low), float(ci.high)


def band_dca_check(y: Any, p: Any, thresholds: tuple[float, float]) -> dict[str, Any]:
    """Net benefit of the model, treat-all and treat-none at each band threshold.

    The thresholds make sense when the model's net benefit is at least that of both defaults there.

    Parameters
    ----------
    y, p : array-like
        Outcome and predicted risk (nested-CV out-of-fold).
    thresholds : tuple of float
        Band cut-offs.

    Returns
    -------
    dict
        Threshold (as text) -> ``{"model", "treat_all", "useful"}``, and ``"all_useful"``.
    """
    yy = np.asarray(y).astype(int)
    pp = np.asarray(p, dtype=float)
    n, prev = len(yy), float(np.mean(yy))
    out: dict[str, Any] = {}
    for t in thresholds:
        w = t / (1 - t)
        pos = pp >= t
        nb = float(np.sum(pos & (yy == 1)) / n - np.sum(pos & (yy == 0)) / n * w)
        nb_all = prev - (1 - prev) * w
        out[f"{t:g}"] = {"model": nb, "treat_all": nb_all, "useful": bool(nb >= max(nb_all, 0.0))}
    out["all_useful"] = all(v["useful"] for v in out.values() if isinstance(v, dict))
    return out


def band_table(y: Any, p: Any, thresholds: tuple[float, float]) -> dict[str, dict[str, Any]]:
    """Recipients, events and observed event rate per risk band.

    Parameters
    ----------
    y : array-like
        Outcome 0/1.
    p : array-like
        Predicted risks.
    thresholds : tuple of float
        Band cut-offs.

    Returns
    -------
    dict
        Band -> ``{"n", "events", "rate", "rate_ci_wilson", "mean_predicted"}``.
    """
    yy = np.asarray(y).astype(int)
    pp = np.asarray(p, dtype=float)
    labels = np.array([band_of(float(v), thresholds) for v in pp])
    out = {}
    for b in BANDS:
        sel = labels == b
        k = int(sel.sum())
        events = int(yy[sel].sum())
        lo, hi = wilson_ci(events, k)
        out[b] = {
            "n": k,
            "events": events,
            "rate": float(yy[sel].mean()) if k else float("nan"),
            "rate_ci_wilson": [lo, hi],
            "mean_predicted": float(pp[sel].mean()) if k else float("nan"),
        }
    return out


def write_bundle(
    result: DevelopmentResult,
    table: pd.DataFrame,
    y: Any,
    out: Path | str,
    *,
    name: str,
    version: str,
    outcome_definition_id: str,
    training_summary: Mapping[str, Any],
    config: DevelopmentConfig,
    extra: Mapping[str, Any] | None = None,
    overwrite: bool = False,
) -> Path:
    """Lock a development result as a bundle with figures.

    Parameters
    ----------
    result : DevelopmentResult
        From :func:`develop`.
    table : pandas.DataFrame
        The development feature table.
    y : array-like
        Outcome.
    out : Path
        Bundle folder.
    name, version : str
        Model identity.
    outcome_definition_id : str
        Outcome definition id.
    training_summary : mapping
        Cohort description.
    config : DevelopmentConfig
        The run's settings (recorded).
    extra : mapping, optional
        More manifest fields.
    overwrite : bool
        Replace an existing bundle.

    Returns
    -------
    Path
        The bundle folder.
    """
    import tempfile

    from models.figures import calibration_figure, dca_figure, roc_figure

    yb = np.asarray(y).astype(np.int64)
    check_sample_size(result, config)
    oof = result.nested[result.selected].mean_oof
    spec = result.model.to_dict()
    with tempfile.TemporaryDirectory() as tmp:
        figs = []
        figs += roc_figure(
            yb, oof, Path(tmp) / "roc", title="ROC (nested-CV out-of-fold)", seed=config.seed % 2**31
        )
        figs += calibration_figure(
            yb, oof, Path(tmp) / "calibration", title="Calibration (nested-CV out-of-fold)"
        )
        figs += dca_figure(yb, oof, Path(tmp) / "dca", title="Decision curve (nested-CV out-of-fold)")
        validation = dict(result.metrics)
        validation["odds_ratios"] = result.odds_ratios
        validation["selection"] = result.model.selection_report_
        validation["shrinkage_factor"] = result.model.shrinkage_factor_
        validation["interval_inflation"] = result.model.interval_inflation_
        validation["risk_bands"] = {
            "thresholds": list(config.band_thresholds),
            "actions": BAND_ACTIONS,
            "decision_curve_check": band_dca_check(yb, oof, config.band_thresholds),
            "setting": "DevelopmentConfig.band_thresholds (hsp develop --band-thresholds LOW HIGH)",
        }
        validation["sample_size"] = {
            **result.sample_size.as_dict(),
            "override": (config.riley_override or "").strip() or None,
            "score_parameters": score_parameter_note(result.model),
        }
        _, contrib = result.model.contributions(table)
        validation["global_contributions"] = {
            "measure": "mean |log-odds contribution| over the development cohort (exact, linear meta-learner)",
            "terms": dict(zip(result.model.terms_, np.abs(contrib).mean(axis=0).tolist(), strict=True)),
        }
        boot = result.bootstrap[result.selected]
        oof_block = result.metrics["selected_oof"]
        manifest_extra = {
            "metrics": {
                "auc": oof_block["auc"]["auc"],
                "auc_ci": [oof_block["auc"]["ci_low"], oof_block["auc"]["ci_high"]],
                "optimism_corrected_auc": boot.corrected["auc"],
                "auc_632plus": boot.auc_632plus,
                "auc_oob_optimism_corrected": boot.auc_oob_optimism_corrected,
                "calibration_slope": oof_block["calibration"]["slope"],
                "calibration_intercept": oof_block["calibration"]["intercept"],
                "brier": oof_block["calibration"]["brier"],
                "n": oof_block["n"],
                "events": oof_block["events"],
                "headline": "auc (nested CV, DeLong CI): the estimate whose test folds never touched any fitting",
                "source": "nested-CV out-of-fold predictions of the locked model's procedure; optimism_corrected_auc "
                "= Harrell bootstrap, auc_oob_optimism_corrected = out-of-bag bootstrap, auc_632plus = "
                "Efron-Tibshirani .632+ (the bootstrap estimates re-use the development sample and run higher)",
            },
            "development": {
                "config": config.__dict__,
                "risks": [round(float(v), 6) for v in oof],
                "terms": list(result.model.terms_),
            },
            **(dict(extra) if extra else {}),
        }
        return save_bundle(
            out,
            spec,
            name=name,
            version=version,
            features=feature_entries(spec, table),
            band_thresholds=config.band_thresholds,
            band_observed=result.bands,
            training_summary=training_summary,
            validation=validation,
            outcome_definition_id=outcome_definition_id,
            intended_use=INTENDED_USE,
            figures=figs,
            extra=manifest_extra,
            overwrite=overwrite,
        )

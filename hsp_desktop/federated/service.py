"""What the CLI and the Federation screen both call: make and show plans, approve, run, summarise results."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from hsp_desktop.domain import Progress
from hsp_desktop.errors import FederatedError
from hsp_desktop.federated import core
from hsp_desktop.federated.core import Plan

DEFAULT_FEATURES = ("platelets", "spleen_volume_ml", "splenic_vein_mm", "portal_vein_mm", "wbc")
#: A small radiomics parameter set for demonstrations and tests: Original image, first-order + GLCM + GLSZM.
DEMO_RADIOMICS: dict[str, Any] = {
    "imageType": {"Original": {}},
    "featureClass": {"firstorder": [], "glcm": [], "glszm": []},
    "setting": {"binWidth": 25},
}


def prefill_feature_cache(cohort: Path, settings: Any) -> int:
    """Extract the spleen radiomics of every recipient with an outcome into the cohort's feature cache.

    The development pipeline's own extraction and cache (:func:`hsp_desktop.development.cohort.extract_radiomics`,
    ``<cohort>/.hsp_feature_cache``): what a site does once before a federated Rad-score, so that the run reads
    cached rows instead of extracting during a round.

    Parameters
    ----------
    cohort : Path
        Cohort folder with images.
    settings : path or dict
        Extraction settings (the plan's).

    Returns
    -------
    int
        Recipients in the cache.
    """
    from hsp_desktop.development.cohort import FeatureCache, derive_outcomes, extract_radiomics

    cohort = Path(cohort)
    clinical, labels, _excluded, _summary = derive_outcomes(cohort)
    ids = [s for s in clinical.index if s in labels]
    extract_radiomics(
        cohort, ids, cache=FeatureCache(cohort / ".hsp_feature_cache"), settings=settings, icc_subset=0
    )
    return len(ids)


def make_plan(
    sites: Sequence[str],
    *,
    features: Sequence[str] = DEFAULT_FEATURES,
    federation: str = "hsp",
    app_dir: Path | None = None,
    radiomics: Any = None,
    candidates: Sequence[str] | None = None,
    radiomics_reference: Path | Mapping[str, tuple[float, float]] | None = None,
    **options: Any,
) -> Plan:
    """A plan for ``sites`` naming the hash of the Flower app that will be submitted.

    Parameters
    ----------
    sites : sequence of str
        Site names, in order (the order of the per-site blocks).
    features : sequence of str
        Model inputs (add ``rad_score`` when every site holds one).
    federation : str
        Federation name.
    app_dir : Path, optional
        The Flower app folder (default: the one shipped with HSP Desktop).
    radiomics : path or dict, optional
        Radiomics extraction settings (PyRadiomics parameter file): adds the Rad-score election - every feature
        these settings produce is a candidate (or ``candidates``), ``rad_score`` joins the model inputs.
    candidates : sequence of str, optional
        Candidate columns (``spleen__<name>``), a subset of what the settings produce.
    radiomics_reference : path or mapping, optional
        Public reference centre/scale per candidate (CSV ``feature, center, scale``); needed with SecAgg+.
    **options
        Other :class:`Plan` fields (strategy, mu, rounds, local_steps, secagg, dp_clip, dp_noise_multiplier,
        quorum, selection, rad_rounds...).

    Returns
    -------
    Plan
        The plan.
    """
    from hsp_desktop.federated.deploy import APP_DIR
    from hsp_desktop.federated.site import app_hash

    strategy = options.get("strategy", "fedavg")
    if strategy not in ("fedavg", "fedprox"):
        raise FederatedError(
            "Unknown strategy", expected="fedavg or fedprox", found=str(strategy), field="strategy"
        )
    if strategy == "fedprox" and float(options.get("mu", 0.0)) <= 0:
        options["mu"] = 0.1
    if strategy == "fedavg" and float(options.get("mu", 0.0)) != 0:
        raise FederatedError(
            "FedAvg has no proximal term", expected="mu = 0", found=str(options["mu"]), field="mu"
        )
    if int(options.get("rounds", 5)) < 1:
        raise FederatedError("At least one training round", found=str(options.get("rounds")), field="rounds")
    if radiomics is not None:
        from hsp_desktop.federated.radiomics import (
            candidate_names,
            radiomics_specs,
            read_reference,
            settings_json,
        )

        produced = candidate_names(radiomics)
        chosen = list(candidates) if candidates else produced
        unknown = [c for c in chosen if c not in produced]
        if unknown:
            raise FederatedError(
                "Candidate features the extraction settings do not produce",
                expected="spleen__<PyRadiomics name> columns of the settings",
                found=", ".join(unknown[:5]),
                fix="check the names against the settings' feature classes",
                field="candidates",
            )
        features = [*(f for f in features if f != "rad_score"), "rad_score"]
        ref = (
            read_reference(radiomics_reference)
            if isinstance(radiomics_reference, str | Path)
            else radiomics_reference
        )
        options["radiomics"] = radiomics_specs(chosen, ref)
        options["radiomics_settings"] = settings_json(radiomics)
        options.setdefault("rad_rounds", int(options.get("rounds", 5)))
    else:
        for key in ("quorum", "selection", "rad_rounds"):
            options.pop(key, None)
    return Plan(
        federation=federation,
        app_sha256=app_hash(app_dir or APP_DIR),
        model_version=core.MODEL_VERSION,
        features=tuple(core.default_features(features)),
        sites=tuple(sites),
        **options,
    )


def read_plan(path: Path) -> Plan:
    """Read a plan JSON file."""
    path = Path(path)
    try:
        return Plan.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, json.JSONDecodeError) as exc:
        raise FederatedError(
            "The plan file cannot be read",
            found=f"{path}: {exc}",
            fix="ask the coordinator for the plan again",
            field="plan",
        ) from exc


def plan_summary(plan: Plan) -> str:
    """The plan as a site reviews it: app hash, model, rounds, privacy and every message it will send."""
    lines = [
        f"Federation: {plan.federation}    plan {plan.sha256[:16]}",
        f"App (Flower bundle) SHA-256: {plan.app_sha256}",
        f"Model: {plan.model_version}, logistic regression on {', '.join(f.name for f in plan.features)}",
        f"Training: {plan.strategy}"
        + (f" (mu = {plan.mu})" if plan.strategy == "fedprox" else "")
        + f", {plan.rounds} rounds, {plan.local_steps} local Newton step(s)",
        f"Sites: {', '.join(plan.sites)} (at least {plan.min_sites} must take part)",
        "Secure aggregation (SecAgg+): " + ("yes - the coordinator sees only sums" if plan.secagg else "no"),
    ]
    if plan.dp_clip > 0 and plan.dp_noise_multiplier > 0:
        eps = core.dp_epsilon(plan.dp_noise_multiplier, plan.rounds, plan.dp_delta)
        lines.append(
            f"Differential privacy: update clip {plan.dp_clip}, noise x{plan.dp_noise_multiplier}: "
            f"epsilon {eps:.2f} at delta {plan.dp_delta:g} (per site)"
        )
    else:
        lines.append("Differential privacy: no")
    if plan.election:
        lines.append(
            f"Rad-score feature election: {len(plan.radiomics)} candidate radiomics features; each site selects "
            f"on its own rows ({plan.selection}: the development pipeline's selection) and sends a 0/1 vote "
            f"vector of length {len(plan.radiomics)}; a feature is elected with more than {plan.quorum:g} x the "
            f"voting sites' votes; then {plan.rad_rounds} Rad-score training rounds on the elected features"
        )
    lines.append("What this site sends (never a row or an identifier):")
    for s in plan.sends():
        shapes = ", ".join("x".join(str(d) for d in a) for a in s["arrays"]) or "no arrays"
        lines.append(f"  - {s['type']}: {shapes} - {s['content']}")
    return "\n".join(lines)


def result_summary(result: dict[str, Any]) -> str:
    """A short text report of a run's results."""

    def auc(m: dict[str, Any]) -> str:
        lo, hi = m.get("auc_ci", [float("nan")] * 2)
        return f"AUC {m['auc']:.3f} ({lo:.3f}-{hi:.3f}), n {m['n']}, events {m['events']}"

    pooled = result["pooled"]
    lines = [
        f"Run {result.get('run_id', '')}: {result['strategy']}, {result['rounds']} rounds, "
        f"SecAgg+ {'on' if result['secagg'] else 'off'}, sites {', '.join(result['sites'])}",
        f"Pooled: {auc(pooled)}; calibration slope {pooled.get('calibration_slope', float('nan')):.2f}, "
        f"intercept {pooled.get('calibration_intercept', float('nan')):.2f}; "
        f"observed/expected {pooled['observed']:.0f}/{pooled['expected']:.1f}",
    ]
    for s, m in result["per_site"].items():
        lo = result["leave_one_site_out"].get(s)
        lines.append(
            f"  {s}: {auc(m)}" + (f"; leave-{s}-out model on {s}: AUC {lo['auc']:.3f}" if lo else "")
        )
    het = result.get("heterogeneity_auc") or {}
    if het:
        lines.append(
            f"Heterogeneity of site AUCs: Q {het['q']:.2f} (p {het['p']:.2f}), I2 {100 * het['i2']:.0f}%"
        )
    coefs = result["coef_transformed_units"]
    tr = result.get("transforms", {})
    lines.append(
        "Coefficients: "
        + ", ".join(
            f"{k} {v:+.3f}" + (" per doubling" if tr.get(k) == "log2" else "") for k, v in coefs.items()
        )
    )
    el = result.get("election")
    if el:
        votes = el["votes"]
        lines.append(
            f"Rad-score election: {len(el['candidates'])} candidates, {el['voters']} sites voted, quorum "
            f"{el['quorum']:g} ({el['selection']}); votes: "
            + (", ".join(f"{k.removeprefix('spleen__')} {v}" for k, v in votes.items() if v) or "none")
        )
        lines.append(
            "Elected: "
            + ", ".join(n.removeprefix("spleen__") for n in el["elected"])
            + (f" (most-voted fallback: {', '.join(el['fallback'])})" if el["fallback"] else "")
        )
    dp = result.get("differential_privacy", {})
    if dp.get("enabled"):
        lines.append(f"Differential privacy: epsilon {dp['epsilon']:.2f} at delta {dp['delta']:g} per site")
    for kind in ("excluded", "dropped"):
        for s, why in result.get(kind, {}).items():
            lines.append(f"{kind.capitalize()}: {s} - {why}")
    rs = result.get("round_seconds", [])
    if rs:
        lines.append(
            f"Wall time {result['wall_seconds']:.0f} s; per round "
            + ", ".join(f"{r['phase'][0]}{r['round']} {r['seconds']:.0f}s" for r in rs)
        )
    return "\n".join(lines)


def run_on_this_computer(
    folder: Path,
    cohort: Path,
    plan: Plan,
    *,
    approve: Sequence[str] | None = None,
    report: Callable[[Progress], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    timeout: float = 1800.0,
) -> dict[str, Any]:
    """A whole federation on loopback: a new coordinator folder, its SuperLink, one SuperNode per site, the run.

    Each site reads its own rows of ``cohort`` (the ``site`` column); ``approve`` lists the sites whose lead
    approves the plan (default: all).  Every process is stopped before this returns or raises.

    Returns
    -------
    dict
        The run's result.
    """
    from hsp_desktop.federated.deploy import Federation, free_port, init_coordinator
    from hsp_desktop.federated.site import approve_plan

    def say(stage: str, fraction: float, message: str) -> None:
        if report is not None:
            report(Progress(stage, fraction, message))

    folder = Path(folder)
    init_coordinator(folder, plan.sites, port=free_port())
    total = len(plan.schedule())
    with Federation(folder) as fed:
        say("federation", 0.0, "starting the coordinator (SuperLink, TLS)")
        fed.start_superlink()
        for s in plan.sites:
            site_dir = folder / "sites" / s
            if approve is None or s in approve:
                approve_plan(site_dir, plan, by=f"{s} lead")
            fed.start_site(site_dir, cohort, s)
        say("federation", 0.02, f"{len(plan.sites)} sites connecting")
        t0 = time.monotonic()
        run_id, run_dir = fed.submit(plan)

        def on_event(ev: dict[str, Any]) -> None:
            if ev.get("event") == "round":
                say(
                    "federation",
                    ev["round"] / total,
                    f"round {ev['round']}/{total} ({ev['phase']}) "
                    f"{ev['seconds']:.0f} s, sites {', '.join(ev['sites'])}",
                )
            elif ev.get("event") == "election":
                say(
                    "federation",
                    1 / total,
                    f"election: {len(ev['elected'])} of {ev['candidates']} candidates elected "
                    f"({', '.join(n.removeprefix('spleen__') for n in ev['elected'])})",
                )
            elif ev.get("event") == "handshake":
                say(
                    "federation",
                    0.05,
                    f"accepted: {', '.join(ev['accepted'])}"
                    + (f"; excluded: {', '.join(ev['excluded'])}" if ev["excluded"] else ""),
                )

        result = fed.wait(run_id, run_dir, timeout=timeout, progress=on_event, cancelled=cancelled)
        result["submit_to_result_s"] = time.monotonic() - t0
        result["run_dir"] = str(run_dir)
    say("federation", 1.0, "done")
    return result


def run_demo(
    folder: Path,
    *,
    n: int = 300,
    rounds: int = 2,
    engine: str = "flower",
    secagg: bool = False,
    radiomics: bool = False,
    report: Callable[[Progress], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> dict[str, Any]:
    """A demonstration federation of three synthetic centres (``hsp synth --sites 3``).

    Parameters
    ----------
    folder : Path
        Work folder (a new sub-folder per call).
    n : int
        Recipients in the synthetic cohort.
    rounds : int
        Training rounds.
    engine : str
        ``"flower"``: SuperLink and three SuperNodes on loopback with TLS; ``"in-process"``: the same site and
        coordinator code without processes or sockets (a dry run).
    secagg : bool
        SecAgg+ (Flower engine only).
    radiomics : bool
        With CT images and the Rad-score feature election (:data:`DEMO_RADIOMICS` settings); each centre's
        radiomics are extracted into its feature cache first, as ``hsp develop`` does.
    report, cancelled : callable, optional
        Progress callback and cancellation predicate.

    Returns
    -------
    dict
        The run's result.
    """
    from hsp_desktop.errors import CancelledError
    from hsp_desktop.federated.coordinator import run_in_process
    from hsp_desktop.federated.site import SiteWorker, approve_plan, load_site_data
    from hsp_desktop.synthetic import generate_cohort

    def say(fraction: float, message: str) -> None:
        if report is not None:
            report(Progress("federation", fraction, message))

    work = Path(folder) / time.strftime("demo-%Y%m%d-%H%M%S")
    say(0.0, f"generating a synthetic 3-centre cohort (n = {n})")
    cohort = generate_cohort(work / "cohort", n=n, prospective=0, seed=1, sites=3, images=radiomics)
    sites = ("site1", "site2", "site3")
    extra: dict[str, Any] = {}
    if radiomics:
        say(0.02, "extracting each centre's spleen radiomics into its feature cache")
        prefill_feature_cache(cohort, DEMO_RADIOMICS)
        extra = {"radiomics": DEMO_RADIOMICS, "selection": "lasso", "rad_rounds": rounds}
    plan = make_plan(sites, rounds=rounds, secagg=secagg and engine == "flower", federation="demo", **extra)
    if engine == "flower":
        return run_on_this_computer(work / "coordinator", cohort, plan, report=report, cancelled=cancelled)
    if engine != "in-process":
        raise FederatedError("Unknown engine", expected="flower or in-process", found=engine, field="engine")
    workers = []
    for s in sites:
        site_dir = work / "sites" / s
        approve_plan(site_dir, plan, by=f"{s} lead")
        workers.append(SiteWorker(load_site_data(cohort, s), site_dir))
    total = len(plan.schedule())

    def on_event(ev: dict[str, Any]) -> None:
        if cancelled is not None and cancelled():
            raise CancelledError("federated run stopped by the user")
        if ev.get("event") == "round":
            say(
                ev["round"] / total,
                f"round {ev['round']}/{total} ({ev['phase']}), sites {', '.join(ev['sites'])}",
            )

    result = run_in_process(plan, workers, progress=on_event)
    result["run_dir"] = str(work)
    say(1.0, "done")
    return result

"""Build report inputs from the registry and the model bundle (the only place reports touch either)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from hsp_desktop.domain import Contribution, QcReport, RiskResult
from hsp_desktop.errors import InputError, ModelArtefactError, RegistryError
from hsp_desktop.pipeline import model_info
from hsp_desktop.reporting.charts import fmt_value
from hsp_desktop.reporting.inputs import CohortDistribution, KeySlices, ModelSummary, PatientReportInputs

#: Roles that may see a recipient's name and MRN on a report (when the site setting allows it at all).
IDENTITY_ROLES = frozenset({"admin", "clinician"})


def report_folder(registry: Any) -> Path:
    """``reports`` beside the registry file, or in the user data folder for an in-memory registry."""
    path = getattr(registry, "path", None)
    if path is not None and str(path) not in ("", ":memory:"):
        return Path(path).resolve().parent / "reports"
    from hsp_desktop.pipeline.paths import user_data_dir

    return user_data_dir() / "reports"


def identity_permitted(registry: Any, user: Any) -> bool:
    """Name and MRN are printed only for admin/clinician users and when the site setting ``report_identity`` is on."""
    if getattr(user, "role", None) not in IDENTITY_ROLES:
        return False
    setting = model_info.registry_setting(registry, "report_identity", False)
    return str(setting).strip().lower() in {"1", "true", "yes", "on"}


def model_summary(model: Any) -> ModelSummary:
    """What the reports print about a loaded bundle (name, version, hash, bands, development performance).

    Reads the manifest written by :func:`models.development.write_bundle`: ``validation.multimodal_oof`` (AUC with
    DeLong CI, calibration, curves of the nested-CV out-of-fold predictions), ``validation.bootstrap`` (optimism
    correction), ``training`` (cohort) and ``development.risks`` (out-of-fold risks).
    """
    m = model.manifest
    name, version = model_info.model_identity(model)
    risks = model_info.development_risks(m)

    def num(*paths: str) -> float | None:
        v = model_info.find(m, *paths)
        return float(v) if isinstance(v, int | float) else None

    def integer(*paths: str) -> int | None:
        v = model_info.find(m, *paths)
        return int(v) if isinstance(v, int | float) else None

    sel = str(model_info.find(m, "validation.selected", default="multimodal"))
    lo = num("validation.selected_oof.auc.ci_low", "validation.multimodal_oof.auc.ci_low", "metrics.auc_ci.0")
    hi = num(
        "validation.selected_oof.auc.ci_high", "validation.multimodal_oof.auc.ci_high", "metrics.auc_ci.1"
    )
    return ModelSummary(
        name=name,
        version=version,
        sha256=str(model.sha256),
        band_thresholds=model_info.band_thresholds(m),
        band_event_rates=model_info.band_event_rates(m),
        auc=num("validation.selected_oof.auc.auc", "validation.multimodal_oof.auc.auc", "metrics.auc"),
        auc_ci=(lo, hi) if lo is not None and hi is not None else None,
        auc_corrected=num(f"validation.bootstrap.{sel}.corrected.auc", "metrics.optimism_corrected_auc"),
        auc_632plus=num(f"validation.bootstrap.{sel}.auc_632plus", "metrics.auc_632plus"),
        auc_oob=num(
            f"validation.bootstrap.{sel}.auc_oob_optimism_corrected", "metrics.auc_oob_optimism_corrected"
        ),
        calibration_slope=num(
            "validation.selected_oof.calibration.slope",
            "validation.multimodal_oof.calibration.slope",
            "metrics.calibration_slope",
        ),
        calibration_intercept=num(
            "validation.selected_oof.calibration.intercept",
            "validation.multimodal_oof.calibration.intercept",
            "metrics.calibration_intercept",
        ),
        brier=num(
            "validation.selected_oof.calibration.brier",
            "validation.multimodal_oof.calibration.brier",
            "metrics.brier",
        ),
        n_development=integer("training.recipients_used", "validation.multimodal_oof.n", "metrics.n"),
        events_development=integer("training.events", "validation.multimodal_oof.events", "metrics.events"),
        distribution=CohortDistribution(tuple(risks)) if risks else None,
        choice=model_info.find(m, "validation.model_choice", default=None),
        estimand=model_info.find(m, "validation.estimand", default=None),
        outcome_definition_id=model_info.find(m, "outcome_definition_id", default=None),
        intended_use=model_info.find(m, "intended_use", default=None),
        shrinkage=num("validation.shrinkage_factor"),
        interval_inflation=num("validation.interval_inflation"),
    )


def _site_name(registry: Any) -> str:
    return str(model_info.registry_setting(registry, "site_name", "") or "HSP study site")


def patient_inputs_for_case(
    registry: Any,
    study_id: str,
    *,
    record: Mapping[str, Any],
    values: Mapping[str, Any],
    risk: RiskResult,
    model: Any,
    qc: QcReport | Mapping[str, Any] | None,
    slices: KeySlices | None,
    user: Any,
    prediction_id: int | None = None,
    report_date: str | None = None,
) -> PatientReportInputs:
    """Patient report inputs for a prediction just computed (or re-read from the registry)."""
    show = identity_permitted(registry, user)
    return PatientReportInputs(
        site_name=_site_name(registry),
        study_id=study_id,
        report_date=report_date or dt.date.today().isoformat(),
        clinician=str(getattr(user, "username", "") or "-"),
        risk=risk,
        model=model_summary(model),
        clinical=dict(values),
        qc=qc,
        slices=slices,
        show_identity=show,
        name=str(record.get("name")) if show and record.get("name") else None,
        mrn=str(record.get("mrn")) if show and record.get("mrn") else None,
        ct_date=_str_or_none(values.get("ct_date") or record.get("ct_date")),
        transplant_date=_str_or_none(values.get("transplant_date") or record.get("transplant_date")),
        prediction_id=prediction_id,
    )


def _str_or_none(value: Any) -> str | None:
    return None if value in (None, "") else str(value)[:10]


def risk_from_stored(row: Mapping[str, Any]) -> RiskResult:
    """Rebuild the :class:`RiskResult` of a stored prediction row (as saved by the pipeline)."""
    import json

    output = row.get("output") or {}
    if isinstance(output, str):
        output = json.loads(output)
    if "output" in output and isinstance(output["output"], dict):  # a caller that nested its details
        output = {**output, **output["output"]}
    try:
        contributions = tuple(
            Contribution(c["feature"], c["label"], c.get("value"), float(c["contribution"]))
            for c in output.get("contributions", [])
        )
        lo, hi = output["band_thresholds"]
        extra = {
            k: output[k]
            for k in (
                "baseline_log_odds",
                "app_version",
                "imputed",
                "outside_training_range",
                "measured_from_mask",
                "mask_provenance",
                "imaging_source",
                "identity",
                "rescore_reason",
            )
            if k in output
        }
        return RiskResult(
            probability=float(row["probability"]),
            ci_low=float(row["ci_low"]),
            ci_high=float(row["ci_high"]),
            band=str(row["band"]),
            band_thresholds=(float(lo), float(hi)),
            contributions=contributions,
            model_id=str(output.get("model_name") or row["model_id"]),
            model_version=str(output.get("model_version", "")),
            model_sha256=str(row["manifest_sha256"]),
            input_sha256=str(row["input_sha256"]),
            features={k: float(v) for k, v in (output.get("features") or {}).items() if v is not None},
            extra=extra,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(
            "The stored prediction lacks what the report needs",
            expected="a prediction saved by the scoring pipeline",
            found=f"missing or invalid {exc}",
            fix="score the recipient again to create a complete prediction",
            field="prediction",
        ) from exc


def patient_inputs_from_registry(
    registry: Any, study_id: str, *, user: Any, model: Any, with_images: bool = True
) -> PatientReportInputs:
    """Patient report inputs for the recipient's latest prediction (``hsp report --recipient``).

    The CT key slices are re-read from the stored CT and mask paths when both files are still there and their
    SHA-256 equal the stored ones; otherwise the report says no images are attached.
    """
    predictions = registry.predictions(study_id)
    if not predictions:
        raise InputError(
            f"{study_id} has no prediction yet",
            expected="a saved prediction",
            found="none",
            fix=f"score the recipient first: hsp score --recipient {study_id} --ct CT --mask MASK",
            field="study_id",
        )
    row = predictions[-1]
    risk = risk_from_stored(row)
    if str(model.sha256) != risk.model_sha256:
        raise ModelArtefactError(
            "The latest prediction was made with another model bundle",
            expected=f"bundle with manifest {risk.model_sha256[:12]} ({risk.model_id} {risk.model_version})",
            found=f"{model.sha256[:12]}",
            fix="pass --model with the bundle recorded on the prediction",
            field="model",
        )
    record = registry.get_recipient(study_id)
    qc: Any = None
    slices = None
    imaging = _latest_imaging(registry, study_id, row)
    if imaging is not None:
        qc = imaging.get("qc_report")
        if isinstance(qc, str):
            import json

            qc = json.loads(qc)
        if with_images:
            slices = _reload_slices(imaging)
    created = str(row.get("created_at") or dt.date.today().isoformat())[:10]
    return patient_inputs_for_case(
        registry,
        study_id,
        record=record,
        values=record,
        risk=risk,
        model=model,
        qc=qc,
        slices=slices,
        user=user,
        prediction_id=int(row["id"]) if row.get("id") is not None else None,
        report_date=created,
    )


def _latest_imaging(registry: Any, study_id: str, prediction: Mapping[str, Any]) -> dict[str, Any] | None:
    getter = getattr(registry, "imaging_studies", None)
    if getter is None:
        return None
    studies = list(getter(study_id))
    if not studies:
        return None
    output = prediction.get("output") or {}
    if isinstance(output, str):
        import json

        output = json.loads(output)
    wanted = output.get("imaging_id")
    for s in studies:
        if wanted is not None and int(s.get("id", -1)) == int(wanted):
            return dict(s)
    return dict(studies[-1])


def _reload_slices(imaging: Mapping[str, Any]) -> KeySlices | None:
    from hsp_desktop.errors import HspError
    from hsp_desktop.pipeline.hashing import sha256_path
    from hsp_desktop.reporting.slices import key_slices

    ct_path, mask_path = Path(str(imaging.get("ct_path", ""))), Path(str(imaging.get("mask_path") or ""))
    if not ct_path.exists() or not mask_path.exists():
        return None
    if sha256_path(ct_path) != imaging.get("ct_sha256") or sha256_path(mask_path) != imaging.get(
        "mask_sha256"
    ):
        return None
    try:
        from hsp_desktop.importers import read_ct, read_mask

        ct = read_ct(ct_path)
        mask = read_mask(mask_path, reference=ct)
        return key_slices(ct, mask)
    except HspError:
        return None


# ------------------------------------------------------------------------------------------ validation report
#: Table 1 rows: (variable, label, Chinese label, kind); kind "median" (median (IQR), Mann-Whitney) or the
#: category value counted (n (%), Fisher's exact test).
TABLE1_VARIABLES: tuple[tuple[str, str, str, str], ...] = (
    ("age", "Age, years", "年龄，岁", "median"),
    ("sex", "Male sex", "男性", "M"),
    ("aetiology", "Hepatitis B aetiology", "乙型肝炎病因", "hbv"),
    ("meld", "MELD", "MELD评分", "median"),
    ("platelets", "Platelets, ×10^9/L", "血小板，×10^9/L", "median"),
    ("wbc", "White cell count, ×10^9/L", "白细胞，×10^9/L", "median"),
    ("spleen_volume_ml", "Spleen volume, ml", "脾脏体积，ml", "median"),
    ("spleen_length_cm", "Spleen length, cm", "脾脏长径，cm", "median"),
    ("splenic_vein_mm", "Splenic-vein diameter, mm", "脾静脉直径，mm", "median"),
    ("portal_vein_mm", "Portal-vein diameter, mm", "门静脉直径，mm", "median"),
    ("splenorenal_shunt", "Spontaneous splenorenal shunt", "自发性脾肾分流", "1"),
)


def _cohort_rows(registry: Any, cohort: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(recipient record, outcome) of every recipient of ``cohort`` in the registry."""
    out = []
    for row in registry.worklist(limit=None):
        record = registry.get_recipient(row["study_id"])
        if record.get("cohort") != cohort:
            continue
        try:
            outcome = registry.outcome(row["study_id"])
        except RegistryError:  # a recipient without a derived outcome yet
            outcome = {"status": "pending", "reasons": []}
        out.append((record, {**outcome, "risk": row.get("risk"), "band": row.get("band")}))
    return out


def cohort_flow(rows: list[tuple[dict[str, Any], dict[str, Any]]], label: str) -> list[Any]:
    """Cohort flow: recipients, eligible (exclusions by reason), analysed (pending/competing set aside)."""
    from collections import Counter

    from hsp_desktop.reporting.inputs import FlowStep

    excluded: Counter[str] = Counter()
    eligible = []
    for record, outcome in rows:
        if record.get("eligible"):
            eligible.append((record, outcome))
        else:
            reasons = record.get("exclusion_reasons") or ["not eligible"]
            excluded[str(reasons[0]).split(" (")[0]] += 1
    set_aside: Counter[str] = Counter()
    analysed = 0
    for _, outcome in eligible:
        status = outcome.get("status")
        if status in (0, 1, "0", "1"):
            analysed += 1
        else:
            set_aside["outcome " + str(status)] += 1
    return [
        FlowStep(f"{label} cohort in the registry", len(rows), label_zh="登记库中的建模队列"),
        FlowStep("Eligible", len(eligible), tuple(excluded.most_common()), label_zh="符合入选标准"),
        FlowStep(
            "Analysed (derived 6-month outcome)",
            analysed,
            tuple(set_aside.most_common()),
            label_zh="纳入分析（已得出6个月结局）",
        ),
    ]


def table_one(rows: list[tuple[dict[str, Any], dict[str, Any]]]) -> tuple[list[Any], int, int]:
    """Table 1 by outcome (median (IQR) with Mann-Whitney p; n (%) with Fisher's exact p)."""
    import numpy as np
    from scipy import stats

    from hsp_desktop.reporting.inputs import Table1Row

    groups: dict[int, list[dict[str, Any]]] = {0: [], 1: []}
    for record, outcome in rows:
        if record.get("eligible") and outcome.get("status") in (0, 1, "0", "1"):
            groups[int(outcome["status"])].append(record)
    out = []
    for name, label, label_zh, kind in TABLE1_VARIABLES:
        cells = []
        samples = []
        for g in (0, 1):
            values = [r.get(name) for r in groups[g]]
            if kind == "median":
                arr = np.array([float(v) for v in values if v is not None], dtype=float)
                samples.append(arr)
                if arr.size:
                    q1, med, q3 = (fmt_value(float(v)) for v in np.percentile(arr, [25, 50, 75]))
                    cells.append(f"{med} ({q1}-{q3})")
                else:
                    cells.append("-")
            else:
                known = [v for v in values if v is not None]
                hits = sum(
                    1 for v in known if str(v) == kind or (kind == "1" and str(v) in ("1", "1.0", "True"))
                )
                samples.append(np.array([hits, len(known) - hits]))
                cells.append(f"{hits} ({100.0 * hits / len(known):.0f}%)" if known else "-")
        p: float | None = None
        if kind == "median" and all(s.size >= 2 for s in samples):
            p = float(stats.mannwhitneyu(samples[0], samples[1]).pvalue)
        elif kind != "median" and all(s.sum() > 0 for s in samples):
            p = float(stats.fisher_exact(np.vstack(samples)).pvalue)
        out.append(
            Table1Row(
                label + (", median (IQR)" if kind == "median" else ", n (%)"),
                cells[0],
                cells[1],
                p,
                label_zh=label_zh + ("，中位数（IQR）" if kind == "median" else "，例数（%）"),
            )
        )
    return out, len(groups[0]), len(groups[1])


def prospective_summary(rows: list[tuple[dict[str, Any], dict[str, Any]]]) -> Any:
    """The prospective cohort: enrolled, outcomes known/pending/competing, AUC (DeLong CI) once enough accrued."""
    from hsp_desktop.reporting.inputs import ProspectiveSummary
    from hsp_desktop.validation.prospective import summarise

    eligible = [(r, o) for r, o in rows if r.get("eligible")]
    summary = summarise(
        [{"risk": o.get("risk"), "band": o.get("band"), "outcome": o.get("status")} for _, o in eligible]
    )
    return ProspectiveSummary(
        n=len(eligible),
        scored=summary.n_scored,
        complete=summary.n_outcome,
        pending=summary.n_pending,
        competing=summary.n_competing,
        events=summary.n_events,
        auc=summary.auc,
        auc_ci=summary.auc_ci,
        observed_rate=float(np.mean(summary.y)) if summary.y else None,
        mean_predicted=float(np.mean(summary.p)) if summary.p else None,
    )


CANDIDATE_NAMES: dict[str, str] = {
    "clinical": "Clinical predictors (logistic)",
    "rad_score": "Rad-score only",
    "dl_score": "DL-score (CNN) only",
    "multimodal": "Multimodal: clinical + scores (stacked logistic)",
    "gbm": "Gradient boosting on the stacked inputs",
    "rf": "Random forest on the stacked inputs",
}
SELECTED = "multimodal"


def _curve(values: Any, *keys: str) -> tuple[tuple[float, ...], ...] | None:
    if not isinstance(values, Mapping) or any(k not in values for k in keys):
        return None
    return tuple(tuple(float(v) for v in values[k]) for k in keys)


def _term_label(term: str) -> str:
    from models.features import CLINICAL_UNITS

    if term == "rad_score":
        return "Rad-score (spleen radiomics)"
    if term == "dl_score":
        return "DL-score (CNN)"
    label, unit, _ = CLINICAL_UNITS.get(term, (term, "", (0, 0)))
    return f"{label} ({unit})" if unit else label


def model_equation(spec: Mapping[str, Any], manifest: Mapping[str, Any]) -> list[str]:
    """The locked model written out: linear predictor, transforms, imputation medians, scores, shrinkage."""
    meta = spec.get("meta") or {}
    terms, coef = list(meta.get("terms", [])), list(meta.get("coef", []))
    if not terms:
        return []
    clinical = {c["name"]: c for c in spec.get("clinical", [])}
    parts, notes = [f"{float(meta['intercept']):+.4f}"], []
    for term, b in zip(terms, coef, strict=True):
        c = clinical.get(term)
        if c is not None:
            x = (
                f"log2({term} [{c.get('unit', '')}])"
                if c["transform"] == "log2"
                else f"{term} [{c.get('unit', '')}]"
            )
            med = 2.0 ** float(c["median"]) if c["transform"] == "log2" else float(c["median"])
            notes.append(
                f"{term}: a missing value is imputed with the development median {med:.4g} {c.get('unit', '')}"
            )
        else:
            x = term
        parts.append(f"{float(b):+.4f} x {x}")
    lines = ["logit(risk) = " + " ".join(parts)]
    for score in spec.get("scores", []):
        feats = " ".join(
            f"{float(c):+.4g} x {name}" for name, c in zip(score["inputs"], score["coef"], strict=True)
        )
        lines.append(f"{score['name']} = {float(score['intercept']):+.4g} {feats}")
    if spec.get("deep_score"):
        lines.append("dl_score = the CNN's logit for the recipient's CT (log-odds)")
    s = meta.get("shrinkage_factor")
    if s is not None:
        lines.append(
            f"Slopes are the maximum-likelihood slopes times the uniform shrinkage factor {float(s):.3f} "
            "((LR chi2 - df) / LR chi2, van Houwelingen and le Cessie 1990); the intercept was then re-estimated. "
            f"Per-recipient 95% CIs: Wald on the log-odds scale with the final model's covariance x "
            f"{float(meta.get('interval_inflation') or 1.0):.2f} (bootstrap of the whole procedure)."
        )
    lines += notes
    return lines


def _model_missing(missing: Mapping[str, Any] | None, model: Any) -> dict[str, Any] | None:
    """The missing-data record restricted to the locked model's inputs (other columns are not predictors)."""
    if not missing:
        return None
    names = set(getattr(model, "feature_names", []))
    per = {k: v for k, v in (missing.get("missing_per_predictor") or {}).items() if k in names}
    return {**missing, "missing_per_predictor": per or {"(model inputs)": 0}}


def tripod_record(model: Any) -> Any:
    """The TRIPOD+AI sections' inputs from a loaded bundle (manifest and coefficients)."""
    from hsp_desktop.clinical.outcome import DEFINITION_BASE_ID, OutcomeDefinition
    from hsp_desktop.reporting.tripod import TripodRecord

    m = model.manifest
    v: Mapping[str, Any] = model_info.find(m, "validation", default={}) or {}
    definition_id = str(m.get("outcome_definition_id", ""))
    definition = (
        OutcomeDefinition().describe() if definition_id == DEFINITION_BASE_ID else definition_id or None
    )
    spec = getattr(model, "spec", None) or {}
    return TripodRecord(
        outcome_definition=definition,
        missing_data=_model_missing(v.get("missing_data"), model),
        equation=model_equation(spec, m) if spec else (),
        calibration=model_info.find(v, "selected_oof.calibration", "multimodal_oof.calibration"),
        dca_compare=v.get("dca_compare"),
        subgroups=tuple(v.get("subgroups") or ()),
        radiomics=m.get("radiomics"),
        deep={**m["deep"], "used": "deep_score" in getattr(model, "feature_names", [])}
        if m.get("deep")
        else None,
        class_weighting="Class imbalance: stratified folds everywhere; the logistic model is not re-weighted or "
        "resampled (that would distort calibration).",
        command=m.get("command"),
    )


def _bundle_figure(model: Any, stem: str) -> bytes | None:
    rel = f"figures/{stem}.png"
    if rel not in model_info.find(model.manifest, "files", default={}):
        return None
    path = Path(model.path) / rel
    return path.read_bytes() if path.is_file() else None


def validation_inputs(model: Any, *, registry: Any = None, report_date: str | None = None) -> Any:
    """Validation report inputs: model metrics from the bundle manifest, cohorts from the registry (when given).

    Parameters
    ----------
    model : LockedModel
        The bundle (its manifest carries the development/validation metrics with CIs).
    registry : Registry, optional
        Source of the cohort flow and table 1 (development cohort) and of the prospective cohort's results.
    report_date : str, optional
        ISO date printed on the report (default today).
    """
    from hsp_desktop.reporting.inputs import (
        CalibrationCurve,
        CandidateModel,
        DecisionCurve,
        FlowStep,
        OddsRatio,
        RocCurve,
        Table1Row,
        ValidationReportInputs,
    )

    m = model.manifest
    summary = model_summary(model)
    v: Mapping[str, Any] = model_info.find(m, "validation", default={}) or {}
    oof: Mapping[str, Any] = v.get("selected_oof") or v.get("multimodal_oof") or {}
    selected_key = str(v.get("selected") or SELECTED)
    training: Mapping[str, Any] = model_info.find(m, "training", default={}) or {}

    roc = None
    roc_raw = _curve(oof.get("roc"), "fpr", "tpr")
    if roc_raw is not None:
        band = _curve(oof.get("roc"), "tpr_low", "tpr_high") or ((), ())
        roc = RocCurve(roc_raw[0], roc_raw[1], band[0], band[1])
    calibration = None
    cal = oof.get("calibration")
    if isinstance(cal, Mapping) and cal.get("slope") is not None:
        curve = _curve(oof.get("calibration_curve"), "predicted", "observed") or ((), ())
        calibration = CalibrationCurve(
            (),
            (),
            float(cal["slope"]),
            float(cal["intercept"]),
            float(cal.get("brier", float("nan"))),
            *curve,
        )
    decision = None
    dca = _curve(oof.get("decision_curve"), "thresholds", "model", "treat_all")
    if dca is not None:
        decision = DecisionCurve(*dca)

    nested: Mapping[str, Any] = v.get("nested_cv") or {}
    boots: Mapping[str, Any] = v.get("bootstrap") or {}
    paired: Mapping[str, Any] = v.get("paired_delong_vs_multimodal") or {}
    sample: Mapping[str, Any] = v.get("sample_size") or {}
    auc_block: Mapping[str, Any] = oof.get("auc") or {}
    candidates = []
    for key, res in nested.items():
        selected = key == selected_key
        corrected = model_info.find(boots, f"{key}.corrected.auc")
        candidates.append(
            CandidateModel(
                name=CANDIDATE_NAMES.get(key, key),
                n_params=int(sample["parameters"]) if selected and "parameters" in sample else None,
                auc=float(auc_block["auc"]) if selected and "auc" in auc_block else float(res["auc_mean"]),
                ci_low=float(auc_block["ci_low"]) if selected and "ci_low" in auc_block else None,
                ci_high=float(auc_block["ci_high"]) if selected and "ci_high" in auc_block else None,
                auc_corrected=float(corrected) if corrected is not None else None,
                delong_p=float(paired[key]["p_value"]) if key in paired else None,
                selected=selected,
                auc_sd=float(res["auc_sd"]) if "auc_sd" in res else None,
            )
        )
    odds = [
        OddsRatio(
            _term_label(str(o.get("name", o.get("label", "")))),
            str(o.get("per", "")),
            float(o["odds_ratio"]),
            float(o["ci_low"]),
            float(o["ci_high"]),
            feature=str(o.get("name", "")),
        )
        for o in v.get("odds_ratios", [])
    ]
    n_used = int(training.get("recipients_used", summary.n_development or 0))
    n1 = int(training.get("events", summary.events_development or 0))
    n0 = n_used - n1
    flow: list[Any] = []
    table1: list[Any] = []
    prospective = None
    if registry is not None:
        dev_rows = _cohort_rows(registry, "development")
        if dev_rows:
            flow = cohort_flow(dev_rows, "Development")
            table1, r0, r1 = table_one(dev_rows)
            if r0 + r1 > 0:
                n0, n1 = r0, r1
        prospective = prospective_summary(_cohort_rows(registry, "validation"))
    if not table1 and v.get("table1"):
        table1 = [
            Table1Row(
                f"{r['label']} (missing {r['missing']})" if r.get("missing") else str(r["label"]),
                str(r["without"]),
                str(r["with"]),
                r.get("p"),
            )
            for r in v["table1"]
        ]
    counts: Mapping[str, Any] = v.get("outcome_status_counts") or {}
    if not flow and counts and training.get("recipients_in_file") is not None:
        eligible = int(counts.get("eligible", 0))
        left_out = (
            ("competing event (death or re-transplantation)", int(counts.get("competing", 0))),
            ("outcome pending", int(counts.get("pending", 0))),
            (
                "splenic-artery intervention (protocol exclusion)",
                int(counts.get("splenic_artery_intervention", 0)),
            ),
        )
        flow = [
            FlowStep(
                "Recipients in the cohort file",
                int(training["recipients_in_file"]),
                label_zh="队列文件中的受者",
            ),
            FlowStep(
                f"Eligible recipients of the {training.get('subset', 'development')} subset",
                eligible,
                (
                    (
                        "other subset (prospective validation) or ineligible",
                        int(training["recipients_in_file"]) - eligible,
                    ),
                ),
                label_zh="建模子集中符合入选标准的受者",
            ),
            FlowStep(
                "Analysed (6-month outcome derived)",
                n_used,
                tuple((r, c) for r, c in left_out if c),
                label_zh="纳入分析（已得出6个月结局）",
            ),
        ]
    if not flow and training.get("recipients_in_file") is not None:
        flow = [
            FlowStep(
                "Recipients in the development cohort file",
                int(training["recipients_in_file"]),
                label_zh="建模队列文件中的受者",
            ),
            FlowStep(
                "Used for development (eligible, outcome derived)",
                n_used,
                label_zh="用于建模（合格且已得出结局）",
            ),
        ]
    site = model_info.registry_setting(registry, "site_name", "") if registry is not None else ""
    return ValidationReportInputs(
        site_name=str(site or "HSP study site"),
        report_date=report_date or dt.date.today().isoformat(),
        model=summary,
        flow=flow,
        table1=table1,
        n_without=n0,
        n_with=n1,
        candidates=candidates,
        roc=roc,
        calibration=calibration,
        decision=decision,
        odds_ratios=odds,
        n_candidate_params=int(sample.get("parameters", len(model.feature_names))),
        prospective=prospective,
        roc_png=_bundle_figure(model, "roc") if roc is None else None,
        sample_size=dict(sample) or None,
        outcome_counts=v.get("outcome_status_counts"),
        risk_bands=v.get("risk_bands"),
        tripod=tripod_record(model),
        sensitivity=v.get("sensitivity"),
    )

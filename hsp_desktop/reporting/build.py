"""Build report inputs from the registry and the model bundle (the only place reports touch either)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hsp_desktop.domain import Contribution, QcReport, RiskResult
from hsp_desktop.errors import InputError, ModelArtefactError
from hsp_desktop.pipeline import model_info
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
    """What the reports print about a loaded bundle (name, version, hash, bands, development performance)."""
    m = model.manifest
    name, version = model_info.model_identity(model)
    auc_ci = model_info.find(m, "metrics.auc_ci", "performance.auc_ci", "development.auc_ci")
    risks = model_info.development_risks(m)

    def num(*paths: str) -> float | None:
        v = model_info.find(m, *paths)
        return float(v) if v is not None else None

    def integer(*paths: str) -> int | None:
        v = model_info.find(m, *paths)
        return int(v) if v is not None else None

    return ModelSummary(
        name=name,
        version=version,
        sha256=str(model.sha256),
        band_thresholds=model_info.band_thresholds(m),
        band_event_rates=model_info.band_event_rates(m),
        auc=num("metrics.auc", "performance.auc", "development.auc"),
        auc_ci=(float(auc_ci[0]), float(auc_ci[1])) if auc_ci is not None else None,
        auc_corrected=num(
            "metrics.auc_corrected", "performance.auc_optimism_corrected", "development.auc_corrected"
        ),
        calibration_slope=num(
            "metrics.calibration_slope", "performance.calibration_slope", "development.calibration_slope"
        ),
        calibration_intercept=num(
            "metrics.calibration_intercept",
            "performance.calibration_intercept",
            "development.calibration_intercept",
        ),
        brier=num("metrics.brier", "performance.brier", "development.brier"),
        n_development=integer("metrics.n", "development.n", "performance.n"),
        events_development=integer("metrics.events", "development.events", "performance.events"),
        distribution=CohortDistribution(tuple(risks)) if risks else None,
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
        extra = {k: output[k] for k in ("baseline_log_odds", "app_version") if k in output}
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

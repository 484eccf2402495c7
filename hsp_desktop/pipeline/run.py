"""``run_case``: score one recipient end to end, as a generator of progress reports.

Stages, in order (``STAGES``)::

    recipient  load the pre-operative record from the registry, validate it (units, ranges), check eligibility
    model      load the locked model bundle (every file's SHA-256 verified against its manifest)
    import     read the CT (DICOM folder / NIfTI / NRRD / MHA) and the mask onto the CT grid; hash both
    qc         geometry check and the imaging QC gate
    radiomics  features of each ROI the model uses, with the extraction settings recorded in the bundle
    deep       CNN deep score / features through ONNX Runtime, when the model uses them
    features   assemble the one-row feature table with the model's named columns
    risk       the locked model's probability, 95% CI, band and per-patient contributions
    report     render the patient PDF (to a temporary file beside its final name)
    save       imaging study, features and the immutable prediction in one registry transaction, then the PDF
               is moved to its final name

The generator yields :class:`~hsp_desktop.domain.Progress` and returns a :class:`CaseResult`
(``result = yield from run_case(...)``, or :func:`run_to_end`).  Cancellation is honoured between stages up to
``save``; any failure raises :class:`~hsp_desktop.errors.PipelineError` naming the stage, the input and the fix,
with the original error chained.  Nothing is written to the registry before the ``save`` stage, and the PDF
appears only after the registry transaction committed.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from hsp_desktop import __version__
from hsp_desktop.domain import Contribution, CtVolume, FeatureVector, LabelMap, Progress, QcReport, RiskResult
from hsp_desktop.errors import (
    CancelledError,
    EligibilityError,
    HspError,
    ModelArtefactError,
    PipelineError,
    QcError,
    ValidationError,
)
from hsp_desktop.pipeline import assemble as _assemble
from hsp_desktop.pipeline.hashing import sha256_files, sha256_inputs, sha256_path

#: The result a progress generator returns (:func:`run_to_end` drives any of them).
ResultT = TypeVar("ResultT")

STAGES: tuple[str, ...] = (
    "recipient",
    "model",
    "import",
    "qc",
    "radiomics",
    "deep",
    "features",
    "risk",
    "report",
    "save",
)

#: Relative cost of each stage, for the progress fraction (radiomics dominates).
_WEIGHTS: dict[str, float] = {
    "recipient": 1,
    "model": 2,
    "import": 8,
    "qc": 2,
    "radiomics": 60,
    "deep": 12,
    "features": 1,
    "risk": 2,
    "report": 6,
    "save": 2,
}

_LABELS: dict[str, str] = {
    "recipient": "Loading the recipient's record",
    "model": "Verifying the locked model",
    "import": "Reading CT and mask",
    "qc": "Imaging quality control",
    "radiomics": "Radiomics feature extraction",
    "deep": "CNN deep features",
    "features": "Assembling the feature table",
    "risk": "Computing the risk",
    "report": "Writing the PDF report",
    "save": "Saving the prediction",
}

_FIXES: dict[str, str] = {
    "recipient": "correct the recipient's record in the registry, then score again",
    "model": "reinstall the model bundle from the release media; do not edit its files",
    "import": "check that the path points to the pre-operative CT (DICOM folder or NIfTI/NRRD/MHA) and its mask",
    "qc": "re-export the mask from the same CT series, or acquire a CT that meets the protocol",
    "radiomics": "check the CT and mask; if it persists, report it with the log",
    "deep": "check the CNN artefact named in the model bundle; reinstall it from the release media",
    "features": "use the model bundle built for these extraction settings",
    "risk": "check the recipient's values against the model's ranges; report it with the log if it persists",
    "report": "check that the report folder is writable and has free space",
    "save": "check the registry (Verify) and that the disk is writable; nothing was saved",
}


@dataclass(frozen=True)
class CaseResult:
    """Everything one scoring produced.

    Attributes
    ----------
    study_id : str
        The recipient.
    risk : RiskResult
        Probability, CI, band, contributions and the hashes that make it reproducible.
    qc : QcReport
        The QC gate's report.
    features : dict
        The feature row given to the model (column -> value).
    radiomics : dict
        ROI -> FeatureVector.
    prediction_id, imaging_id : int
        Registry row ids.
    imaging_source : dict
        The CT series (UID, number, description, study date, file hash) and the mask (file, segment, hash) scored.
    identity : dict
        The identity guard's verdict (and an override's reason), as stored with the prediction.
    report_path : Path or None
        The PDF written for the chart (None when reports were switched off).
    timings : dict
        Seconds (wall clock) spent in each stage.
    cpu_timings : dict
        Process CPU seconds (all threads) of each stage: the cost independent of other load on the machine.
    """

    study_id: str
    risk: RiskResult
    qc: QcReport
    features: dict[str, float]
    radiomics: dict[str, FeatureVector]
    prediction_id: int
    imaging_id: int
    report_path: Path | None
    timings: dict[str, float] = field(default_factory=dict)
    cpu_timings: dict[str, float] = field(default_factory=dict)
    imaging_source: dict[str, Any] = field(default_factory=dict)
    identity: dict[str, Any] = field(default_factory=dict)


# ----------------------------------------------------------------------------------------------------- parts
def _default_load_model(path: Path) -> Any:
    from models.bundle import load_bundle

    return load_bundle(path)


def _default_read_ct(path: Path) -> CtVolume:
    from hsp_desktop.importers import read_ct

    return read_ct(path)


def _default_read_ct_series(path: Path, series_uid: str | None, series_number: int | None) -> CtVolume:
    from hsp_desktop.importers import read_ct

    return read_ct(path, series_uid=series_uid, series_number=series_number)


def _default_read_mask(path: Path, reference: CtVolume) -> LabelMap:
    from hsp_desktop.importers import read_mask

    return read_mask(path, reference=reference)


def _default_check_geometry(ct: CtVolume, mask: LabelMap) -> None:
    from hsp_desktop.imaging.geometry import check_geometry

    check_geometry(ct, mask)


def _default_qc(ct: CtVolume, mask: LabelMap, label: int, lossy: str = "fail") -> QcReport:
    from hsp_desktop.imaging.qc import QcLimits, require_qc, run_qc

    report = run_qc(ct, mask, label=label, limits=QcLimits(lossy_compression=lossy))
    require_qc(report)
    return report


def _default_extract(ct: CtVolume, mask: LabelMap, settings: Any, label: int, qc_done: bool) -> FeatureVector:
    from hsp_desktop.radiomics import extract_features

    # the QC gate already ran for the spleen in the "qc" stage; other ROIs get the extractor's own gate
    return extract_features(ct, mask, settings, label=label, qc=not qc_done)


def _default_deep(artifact: Path, ct: CtVolume, mask: LabelMap) -> tuple[dict[str, float], dict[str, Any]]:
    from hsp_desktop.deep.features import deep_features_for_case, load_model

    # exactly the values ``hsp deep-features`` produced for the development cohort (same preprocessing, same
    # ONNX model, hash-checked on first use)
    result = deep_features_for_case(load_model(artifact), ct, mask)
    return result.features(), result.provenance()


def _default_validate(record: Mapping[str, Any]) -> dict[str, Any]:
    from hsp_desktop.clinical.dictionary import VARIABLES, validate_record

    # the registry row also carries status, audit and identity columns: validate the dictionary fields only
    fields = {k: v for k, v in record.items() if k in VARIABLES}
    return dict(validate_record(fields, raise_errors=True).values)


def _default_eligibility(record: Mapping[str, Any]) -> tuple[bool, list[str]]:
    from hsp_desktop.clinical.eligibility import check_eligibility

    return check_eligibility(record)


def _default_render(inputs: Any, path: Path, language: str) -> Path:
    from hsp_desktop.reporting.patient import render_patient_report

    return render_patient_report(inputs, path, language=language)


@dataclass(frozen=True)
class Parts:
    """The stage implementations ``run_case`` calls; the defaults are the real ones.

    Tests of the orchestration replace single parts (e.g. a failing importer) to check error handling and
    cancellation; the product always runs the defaults.
    """

    load_model: Callable[[Path], Any] = _default_load_model
    read_ct: Callable[[Path], CtVolume] = _default_read_ct
    read_ct_series: Callable[[Path, str | None, int | None], CtVolume] = _default_read_ct_series
    read_mask: Callable[[Path, CtVolume], LabelMap] = _default_read_mask
    check_geometry: Callable[[CtVolume, LabelMap], None] = _default_check_geometry
    qc: Callable[[CtVolume, LabelMap, int], QcReport] = _default_qc
    extract: Callable[[CtVolume, LabelMap, Any, int, bool], FeatureVector] = _default_extract
    deep: Callable[[Path, CtVolume, LabelMap], tuple[dict[str, float], dict[str, Any]]] = _default_deep
    validate: Callable[[Mapping[str, Any]], dict[str, Any]] = _default_validate
    eligibility: Callable[[Mapping[str, Any]], tuple[bool, list[str]]] = _default_eligibility
    render: Callable[[Any, Path, str], Path] = _default_render


# --------------------------------------------------------------------------------------------------- helpers
def _cancel_requested(cancel: Callable[[], bool] | threading.Event | None) -> bool:
    if cancel is None:
        return False
    if isinstance(cancel, threading.Event):
        return cancel.is_set()
    return bool(cancel())


def stage_error(stage: str, exc: BaseException, subject: str) -> PipelineError:
    """Wrap ``exc`` into a :class:`PipelineError` naming the stage, the input and the fix."""
    label = _LABELS[stage]
    if isinstance(exc, HspError):
        found = exc.found
        if isinstance(exc, EligibilityError) and exc.reasons:
            found = "; ".join(exc.reasons)
        if isinstance(exc, ValidationError) and exc.problems:
            found = "; ".join(str(p) for p in exc.problems)
        err = PipelineError(
            f"{label} failed for {subject}: {exc.message}. Nothing was saved",
            stage=stage,
            expected=exc.expected,
            found=found,
            fix=exc.fix or _FIXES[stage],
            field=exc.field or subject,
        )
        # the GUI shows the blocking QC checks; keep the structured report with the error
        err.qc_report = getattr(exc, "report", None) if isinstance(exc, QcError) else None  # type: ignore[attr-defined]
        return err
    return PipelineError(
        f"{label} failed for {subject}: {type(exc).__name__}: {exc}. Nothing was saved",
        stage=stage,
        fix=_FIXES[stage],
        field=subject,
    )


def model_path(model: Path | str | None, registry: Any = None) -> Path:
    """The bundle folder to use: ``model``, else the registry's ``active_model`` setting, else the demo model."""
    if model is None and registry is not None:
        from hsp_desktop.pipeline.model_info import registry_setting

        model = registry_setting(registry, "active_model", "") or None
    if model is None:
        from hsp_desktop.pipeline.paths import demo_model_path

        return demo_model_path()
    return Path(model)


def roi_labels(mask: LabelMap) -> dict[str, int]:
    """ROI name -> label value of a label map (``{"spleen": 1, "liver": 2}`` by default)."""
    return {name: int(value) for value, name in mask.labels.items()}


def to_risk_result(
    prediction: Any, model: Any, input_sha256: str, features: Mapping[str, float]
) -> RiskResult:
    """Build the domain :class:`RiskResult` from a bundle prediction."""
    from hsp_desktop.pipeline.model_info import band_thresholds, model_identity

    contributions = []
    for c in prediction.contributions:
        if isinstance(c, Contribution):
            contributions.append(c)
        elif isinstance(c, tuple | list):
            feature, label, value, contribution = c
            contributions.append(Contribution(str(feature), str(label), value, float(contribution)))
        else:
            contributions.append(Contribution(c.feature, c.label, c.value, float(c.contribution)))
    name, version = model_identity(model)
    extra: dict[str, Any] = {"app_version": __version__}
    baseline = getattr(prediction, "baseline_log_odds", None)
    if baseline is not None:
        extra["baseline_log_odds"] = float(baseline)
    for key in ("imputed", "outside_training_range"):
        names = list(getattr(prediction, key, None) or [])
        if names:
            extra[key] = [str(n) for n in names]
    return RiskResult(
        probability=float(prediction.probability),
        ci_low=float(prediction.ci_low),
        ci_high=float(prediction.ci_high),
        band=str(prediction.band),
        band_thresholds=band_thresholds(model.manifest),
        contributions=tuple(contributions),
        model_id=name,
        model_version=version,
        model_sha256=str(model.sha256),
        input_sha256=input_sha256,
        features=dict(features),
        extra=extra,
    )


# --------------------------------------------------------------------------------------------------- run_case
def run_case(
    registry: Any,
    study_id: str,
    ct_path: Path | str,
    mask_path: Path | str,
    *,
    user: Any,
    model: Path | str | None = None,
    cancel: Callable[[], bool] | threading.Event | None = None,
    report_dir: Path | str | None = None,
    language: str | None = None,
    write_report: bool = True,
    parts: Parts | None = None,
    series_uid: str | None = None,
    series_number: int | None = None,
    spleen_label: int | str | None = None,
    override_identity: str | None = None,
    rescore_reason: str | None = None,
) -> Generator[Progress, None, CaseResult]:
    """Score one recipient end to end; yield progress per stage and return the :class:`CaseResult`.

    Parameters
    ----------
    registry : hsp_desktop.registry.Registry
        Open registry holding the recipient.
    study_id : str
        The recipient to score.
    ct_path, mask_path : path-like
        Pre-operative CT (DICOM folder or image file) and its label map (1 = spleen, 2 = liver).
    user : hsp_desktop.registry.User
        The signed-in user (recorded with every write; needs a role that may write).
    model : path-like, optional
        Locked model bundle folder (default: the registry's ``active_model`` setting, else the shipped demo model
        ``models/artifacts/hsp-demo-1``).
    cancel : callable or threading.Event, optional
        Polled between stages; when it reports true, :class:`~hsp_desktop.errors.CancelledError` is raised and
        nothing is saved.
    report_dir : path-like, optional
        Folder for the PDF (default: ``reports`` beside the registry, or in the user data folder).
    language : {"en", "zh"}, optional
        Report language (default: the registry's language setting, else English).
    write_report : bool
        Write the patient PDF (default True).
    parts : Parts, optional
        Stage implementations (tests only; the product uses the defaults).
    series_uid, series_number : optional
        Which series of a DICOM folder holding several (a folder with several candidate series and neither is
        refused with the list).  The series is stored with the prediction and named on the report.
    spleen_label : int or str, optional
        The mask's spleen segment (number or name) when its name does not say it unambiguously.
    override_identity : str, optional
        Reason for scoring a CT whose DICOM identity does not match the recipient (clinician or admin only;
        audited, stored with the prediction and printed on the report).
    rescore_reason : str, optional
        Why a recipient who already has a prediction is scored again (audited, stored with the prediction).

    Yields
    ------
    Progress
        ``stage`` (one of :data:`STAGES`), overall fraction done, and a message.

    Returns
    -------
    CaseResult

    Raises
    ------
    PipelineError
        A stage failed; ``stage`` names it; the original error is chained.  Nothing was saved.
    CancelledError
        Cancelled between stages; nothing was saved.
    """
    from hsp_desktop.pipeline import model_info

    impl = parts or Parts()
    ct_path, mask_path = Path(ct_path), Path(mask_path)
    total = sum(_WEIGHTS.values())
    done = 0.0
    timings: dict[str, float] = {}
    cpu_timings: dict[str, float] = {}
    state: dict[str, Any] = {}

    def begin(stage: str, message: str = "") -> Progress:
        if stage != "save" and _cancel_requested(cancel):
            raise CancelledError(
                f"Scoring of {study_id} cancelled before '{_LABELS[stage].lower()}'; nothing was saved",
                fix="start the scoring again when ready",
            )
        state["t0"], state["c0"] = time.perf_counter(), time.process_time()
        return Progress(stage, done / total, message or _LABELS[stage])

    def end(stage: str) -> None:
        nonlocal done
        timings[stage] = time.perf_counter() - state["t0"]
        cpu_timings[stage] = time.process_time() - state["c0"]
        done += _WEIGHTS[stage]

    tmp_report: Path | None = None
    try:
        # 1 recipient -----------------------------------------------------------------------------------
        stage = "recipient"
        yield begin(stage, f"{_LABELS[stage]} {study_id}")
        try:
            record = registry.get_recipient(study_id)
            values = impl.validate(record)
            values.setdefault("study_id", study_id)
            eligible, reasons = impl.eligibility({**record, **values})
            if record.get("eligible") is False:  # the registry's enrolment decision stands as well
                eligible = False
                reasons = list(dict.fromkeys([*reasons, *(record.get("exclusion_reasons") or [])]))
            if not eligible:
                raise EligibilityError(
                    f"{study_id} does not meet the study's eligibility criteria",
                    reasons=reasons,
                    expected="age 18-75, written consent, no exclusion criterion",
                    fix="correct the record if it is wrong; the model is not validated for this recipient",
                    field="eligibility",
                )
            _require_write_role(user)
        except Exception as exc:
            raise stage_error(stage, exc, f"recipient {study_id}") from exc
        end(stage)

        # 2 model ---------------------------------------------------------------------------------------
        stage = "model"
        bundle_path = model_path(model, registry)
        yield begin(stage, f"{_LABELS[stage]} {bundle_path.name}")
        try:
            locked = impl.load_model(bundle_path)
            from hsp_desktop.registry.bundles import check_for_scoring

            check_for_scoring(registry, bundle_path, locked)  # signed (or allowed), and the pinned manifest
            feature_names = [str(c) for c in locked.feature_names]
            settings = (
                model_info.radiomics_settings(locked.manifest, bundle_path)
                if _assemble.radiomics_rois(feature_names)
                else None
            )
        except Exception as exc:
            raise stage_error(stage, exc, f"model bundle {bundle_path}") from exc
        blocks = _assemble.needs(feature_names)
        end(stage)

        # 3 import --------------------------------------------------------------------------------------
        stage = "import"
        yield begin(stage, f"{_LABELS[stage]}: {ct_path.name}, {mask_path.name}")
        try:
            if series_uid is not None or series_number is not None:
                ct = impl.read_ct_series(ct_path, series_uid, series_number)
            else:
                ct = impl.read_ct(ct_path)
            paths = ct.meta.get("paths")
            ct_sha = sha256_files(list(paths), ct_path) if paths else sha256_path(ct_path)
        except Exception as exc:
            raise stage_error(stage, exc, f"CT {ct_path}") from exc
        try:
            from hsp_desktop.pipeline.identity import check_identity, require_identity

            identity = require_identity(
                check_identity(registry, study_id, record, dict(ct.meta)),
                user=user,
                override_reason=override_identity,
            )
        except Exception as exc:
            raise stage_error(stage, exc, f"CT {ct_path} for {study_id}") from exc
        try:
            from hsp_desktop.importers.segments import resolve_organs

            read = impl.read_mask(mask_path, ct)
            mask_sha = sha256_path(mask_path)
            # a mask made or edited in the app is scored only after a named user reviewed it
            from hsp_desktop.segmentation.provenance import require_reviewed

            mask_provenance = require_reviewed(mask_path, read)
            mask, organs = resolve_organs(read, spleen_label)
        except Exception as exc:
            raise stage_error(stage, exc, f"mask {mask_path}") from exc
        imaging_source = _imaging_source(ct, ct_path, ct_sha, mask_path, mask_sha, organs.as_dict())
        end(stage)

        # 4 qc ------------------------------------------------------------------------------------------
        stage = "qc"
        yield begin(stage)
        labels = roi_labels(mask)
        qc_label = labels.get("spleen", 1)
        try:
            impl.check_geometry(ct, mask)
            lossy = str(model_info.registry_setting(registry, "qc_lossy_compression", "fail") or "fail")
            if impl.qc is _default_qc:
                qc = _default_qc(ct, mask, qc_label, lossy)
            else:
                qc = impl.qc(ct, mask, qc_label)
        except Exception as exc:
            raise stage_error(stage, exc, f"CT {ct_path.name} with mask {mask_path.name}") from exc
        end(stage)

        # 5 radiomics -----------------------------------------------------------------------------------
        stage = "radiomics"
        radiomics: dict[str, FeatureVector] = {}
        rois = _assemble.radiomics_rois(feature_names)
        yield begin(
            stage, f"{_LABELS[stage]}: {', '.join(rois)}" if rois else "Radiomics: not used by this model"
        )
        for roi in rois:
            if roi not in labels:
                exc2 = HspError(
                    f"The mask has no '{roi}' label",
                    expected=f"a label named {roi}",
                    found=f"labels {mask.labels}",
                    fix="use a mask with the spleen (1) and liver (2) labels",
                    field="mask",
                )
                raise stage_error(stage, exc2, f"mask {mask_path.name}")
            try:
                radiomics[roi] = impl.extract(ct, mask, settings, labels[roi], labels[roi] == qc_label)
            except Exception as exc:
                raise stage_error(stage, exc, f"{roi} of CT {ct_path.name}") from exc
        end(stage)

        # 6 deep ----------------------------------------------------------------------------------------
        stage = "deep"
        deep: dict[str, float] = {}
        deep_provenance: dict[str, Any] = {}
        uses_deep = "deep" in blocks
        yield begin(stage, _LABELS[stage] if uses_deep else "CNN: not used by this model")
        if uses_deep:
            artifact = model_info.deep_artifact(locked.manifest, bundle_path)
            try:
                deep, deep_provenance = impl.deep(artifact, ct, mask)
            except Exception as exc:
                raise stage_error(stage, exc, f"CNN {artifact.name} on CT {ct_path.name}") from exc
            pinned = model_info.find(locked.manifest, "deep.manifest_sha256")
            used = deep_provenance.get("manifest_sha256")
            if pinned and used and pinned != used:
                mismatch = ModelArtefactError(
                    f"The CNN artefact {artifact.name} is not the one model {locked.name} was developed with",
                    expected=f"CNN manifest SHA-256 {str(pinned)[:12]}",
                    found=f"CNN manifest SHA-256 {str(used)[:12]}",
                    fix="reinstall the CNN artefact that shipped with the model bundle",
                    field="deep.artifact",
                )
                raise stage_error(stage, mismatch, f"CNN {artifact.name}") from mismatch
        end(stage)

        # 7 features ------------------------------------------------------------------------------------
        stage = "features"
        yield begin(stage)
        measured_from_mask: list[str] = []
        if values.get("spleen_volume_ml") is None and "spleen" in labels:
            # not entered: measure it on the segmentation the QC gate accepted
            values["spleen_volume_ml"] = round(mask.volume_ml(labels["spleen"]), 1)
            measured_from_mask.append("spleen_volume_ml")
        try:
            table = _assemble.assemble_row(
                study_id, values, {roi: fv.values for roi, fv in radiomics.items()}, deep, feature_names
            )
        except Exception as exc:
            raise stage_error(stage, exc, f"model {bundle_path.name}") from exc
        row = {c: float(table.iloc[0][c]) for c in table.columns}
        input_sha = sha256_inputs(
            {
                "features": row,
                "ct_sha256": ct_sha,
                "mask_sha256": mask_sha,
                "manifest_sha256": str(locked.sha256),
            }
        )
        end(stage)

        # 8 risk ----------------------------------------------------------------------------------------
        stage = "risk"
        yield begin(stage)
        try:
            prediction = locked.predict(table)[0]
            risk = to_risk_result(prediction, locked, input_sha, row)
            risk.extra["imaging_source"] = imaging_source
            risk.extra["identity"] = identity.as_dict()
            if rescore_reason:
                risk.extra["rescore_reason"] = rescore_reason
            if measured_from_mask:
                risk.extra["measured_from_mask"] = measured_from_mask
            if mask_provenance is not None:
                risk.extra["mask_provenance"] = mask_provenance.summary()
        except Exception as exc:
            raise stage_error(stage, exc, f"recipient {study_id} with model {bundle_path.name}") from exc
        end(stage)

        # 9 report (temporary file) ---------------------------------------------------------------------
        stage = "report"
        final_report: Path | None = None
        yield begin(stage, _LABELS[stage] if write_report else "PDF report: switched off")
        if write_report:
            try:
                from hsp_desktop.reporting.build import patient_inputs_for_case, report_folder
                from hsp_desktop.reporting.slices import key_slices

                folder = Path(report_dir) if report_dir is not None else report_folder(registry)
                folder.mkdir(parents=True, exist_ok=True)
                stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
                final_report = folder / f"{study_id}_risk_{stamp}.pdf"
                tmp_report = folder / f".{final_report.name}.partial"
                inputs = patient_inputs_for_case(
                    registry,
                    study_id,
                    record=record,
                    values=values,
                    risk=risk,
                    model=locked,
                    qc=qc,
                    slices=key_slices(ct, mask, labels.get("spleen", 1)),
                    user=user,
                )
                lang = language or model_info.registry_setting(registry, "language", "en")
                impl.render(inputs, tmp_report, lang)
            except Exception as exc:
                raise stage_error(stage, exc, f"report for {study_id}") from exc
        end(stage)

        # 10 save (one transaction), then publish the PDF ----------------------------------------------
        stage = "save"
        yield begin(stage)
        try:
            imaging_id, prediction_id = _save(
                registry,
                study_id,
                user=user,
                ct_path=ct_path,
                mask_path=mask_path,
                ct_sha=ct_sha,
                mask_sha=mask_sha,
                qc=qc,
                radiomics=radiomics,
                deep=deep,
                deep_provenance=deep_provenance,
                risk=risk,
                manifest=locked.manifest,
                report_name=final_report.name if final_report else None,
                reason="; ".join(
                    text
                    for text in (
                        f"identity override: {identity.override_reason}" if identity.override_reason else "",
                        f"scored again: {rescore_reason}" if rescore_reason else "",
                    )
                    if text
                )
                or None,
            )
        except Exception as exc:
            raise stage_error(stage, exc, f"registry for {study_id}") from exc
        if tmp_report is not None and final_report is not None:
            tmp_report.replace(final_report)
            tmp_report = None
        end(stage)
        yield Progress("save", 1.0, f"Saved prediction #{prediction_id} for {study_id}")
        return CaseResult(
            study_id=study_id,
            risk=risk,
            qc=qc,
            features=row,
            radiomics=radiomics,
            prediction_id=prediction_id,
            imaging_id=imaging_id,
            report_path=final_report,
            timings=timings,
            cpu_timings=cpu_timings,
            imaging_source=imaging_source,
            identity=identity.as_dict(),
        )
    finally:
        if tmp_report is not None:
            tmp_report.unlink(missing_ok=True)


def _require_write_role(user: Any) -> None:
    from hsp_desktop.errors import AuthError

    role = getattr(user, "role", None)
    if role not in {"admin", "clinician", "coordinator"}:
        raise AuthError(
            "This account may not save predictions",
            expected="role admin, clinician or coordinator",
            found=f"role {role!r}",
            fix="sign in with an account that may enter data",
            field="user",
        )


def _save(
    registry: Any,
    study_id: str,
    *,
    user: Any,
    ct_path: Path,
    mask_path: Path,
    ct_sha: str,
    mask_sha: str,
    qc: QcReport,
    radiomics: Mapping[str, FeatureVector],
    deep: Mapping[str, float],
    deep_provenance: Mapping[str, Any],
    risk: RiskResult,
    manifest: Mapping[str, Any],
    report_name: str | None,
    reason: str | None = None,
) -> tuple[int, int]:
    """Write imaging study, feature vectors and prediction in one registry transaction.

    ``reason`` (an identity override's) is written to the audit trail with every row of the transaction.
    """
    from hsp_desktop.pipeline.model_info import prediction_record

    with _transaction(registry, user, reason):
        imaging_id = registry.add_imaging_study(
            study_id,
            ct_path=str(ct_path),
            mask_path=str(mask_path),
            ct_sha256=ct_sha,
            mask_sha256=mask_sha,
            qc_report=qc.as_dict(),
            by=user,
        )
        for roi, fv in radiomics.items():
            registry.save_features(
                study_id,
                imaging_id,
                {f"{roi}__{k}": v for k, v in fv.values.items()},
                dict(fv.settings),
                fv.engine,
                by=user,
            )
        if deep:
            registry.save_features(
                study_id, imaging_id, dict(deep), dict(deep_provenance), "onnxruntime-cnn", by=user
            )
        prediction_id = registry.save_prediction(
            study_id,
            prediction_record(risk, manifest, imaging_id=imaging_id, report_name=report_name),
            by=user,
        )
    return int(imaging_id), int(prediction_id)


def _transaction(registry: Any, user: Any, reason: str | None = None) -> Any:
    """One registry transaction around the saves (nested writes join it; an error rolls all of them back)."""
    public = getattr(registry, "transaction", None)
    if public is not None:
        return public(by=user, reason=reason) if reason else public(by=user)
    # Registry 0.1 offers the nesting transaction only as ``_tx``; a public ``transaction(by=)`` is requested.
    return registry._tx(user, reason)


def _imaging_source(
    ct: CtVolume, ct_path: Path, ct_sha: str, mask_path: Path, mask_sha: str, organs: Mapping[str, Any]
) -> dict[str, Any]:
    """What was scored: the CT series and the mask segment, with their hashes (stored with the prediction)."""
    meta = ct.meta
    return {
        "ct_path": str(ct_path),
        "series_uid": meta.get("series_uid"),
        "series_number": meta.get("series_number"),
        "series_description": meta.get("description"),
        "study_date": meta.get("study_date"),
        "phase": meta.get("phase"),
        "compression": meta.get("compression"),
        "ct_sha256": ct_sha,
        "mask_file": mask_path.name,
        "mask_path": str(mask_path),
        "mask_sha256": mask_sha,
        **dict(organs),
    }


def run_to_end(
    gen: Generator[Progress, None, ResultT], on_progress: Callable[[Progress], None] | None = None
) -> ResultT:
    """Drive a ``run_case`` (or any progress) generator to its result, passing each report to ``on_progress``."""
    while True:
        try:
            progress = next(gen)
        except StopIteration as stop:
            result: ResultT = stop.value
            return result
        if on_progress is not None:
            on_progress(progress)

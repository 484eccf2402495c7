"""What the PACS screen and ``hsp pacs`` do, as plain functions over a registry, a user and a node.

Each operation is logged in the registry's ``dicom_transfers`` table (audited, immutable), successful or not:

* :func:`test_connection` — C-ECHO.
* :func:`query_recipient` — the recipient's CT studies by the MRN the registry holds (C-FIND), and their series.
* :func:`retrieve` — one series into the workstation's import folder (C-GET), as a progress generator; the
  folder then goes through the same import path, QC and identity guard as a folder export.
* :func:`send_prediction` — the patient PDF (Encapsulated PDF), the mask (SEG) and a TID 1500 SR of a saved
  prediction back into the CT's study (C-STORE).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydicom.dataset import Dataset

from hsp_desktop.domain import LabelMap, Progress
from hsp_desktop.errors import AuthError, FileFormatError, HspError, Problem, ValidationError
from hsp_desktop.pacs.network import DicomClient, RetrieveResult, SeriesHit, StoreResult, StudyHit
from hsp_desktop.pacs.nodes import PacsNode, local_ae_title
from hsp_desktop.pacs.objects import encapsulated_pdf, read_series_headers, risk_report_sr, segmentation

#: Roles that may pull images or push results (the registry's writing roles).
NETWORK_ROLES = frozenset({"admin", "clinician", "coordinator"})


@dataclass(frozen=True)
class QueryResult:
    """A recipient's studies on a node, each with its series."""

    study_id: str
    patient_id: str
    studies: tuple[StudyHit, ...]
    series: dict[str, tuple[SeriesHit, ...]]


def client_for(registry: Any, node: PacsNode, *, timeout: float = 30.0) -> DicomClient:
    """A client for ``node`` calling as this workstation's AE title (registry setting ``pacs_local_ae``)."""
    return DicomClient(node, local_ae_title(registry), timeout=timeout)


def _require_role(user: Any, what: str) -> None:
    if getattr(user, "role", None) not in NETWORK_ROLES:
        raise AuthError(
            f"Your role may not {what}",
            expected=", ".join(sorted(NETWORK_ROLES)),
            found=str(getattr(user, "role", None)),
            fix="ask a clinician or coordinator, or an administrator to change your role",
        )


def _log(registry: Any, user: Any, entry: Mapping[str, Any]) -> None:
    registry.log_dicom_transfer(dict(entry), by=user)


def _logged(registry: Any, user: Any, entry: dict[str, Any], action: Callable[[], Any]) -> Any:
    """Run ``action``; log it with status ok or the error's message either way."""
    try:
        result = action()
    except HspError as exc:
        _log(registry, user, {**entry, "status": f"failed: {exc.message}"})
        raise
    _log(registry, user, {**entry, "status": "ok"})
    return result


def test_connection(registry: Any, user: Any, node: PacsNode) -> float:
    """C-ECHO the node; returns the round trip in seconds (logged)."""
    client = client_for(registry, node, timeout=10.0)
    entry = {"direction": "echo", "node": node.describe()}
    return float(_logged(registry, user, entry, client.echo))


def recipient_mrn(registry: Any, study_id: str) -> str:
    """The recipient's hospital MRN (needs the site key); a clear error when none is stored."""
    mrn = registry.get_recipient(study_id).get("mrn")
    if not mrn:
        raise ValidationError(
            "The recipient has no hospital number to query PACS with",
            problems=[
                Problem(
                    "mrn",
                    None,
                    "not stored (or the site key is not loaded)",
                    "enter the MRN on the recipient form",
                )
            ],
            field="mrn",
        )
    return str(mrn)


def query_recipient(
    registry: Any,
    user: Any,
    node: PacsNode,
    study_id: str,
    *,
    date_from: str | None = None,
    date_to: str | None = None,
) -> QueryResult:
    """Studies (and their series) of the recipient on ``node``, found by the MRN in the registry."""
    _require_role(user, "query PACS")
    mrn = recipient_mrn(registry, study_id)
    client = client_for(registry, node)
    entry = {"direction": "query", "node": node.describe(), "study_id": study_id}

    def run() -> QueryResult:
        studies = client.find_studies(mrn, date_from, date_to)
        series = {s.study_uid: tuple(client.find_series(s.study_uid)) for s in studies}
        return QueryResult(study_id, mrn, tuple(studies), series)

    result: QueryResult = _logged(registry, user, entry, run)
    return result


def retrieve(
    registry: Any,
    user: Any,
    node: PacsNode,
    study_id: str,
    series: SeriesHit,
    dest: Path | str,
    *,
    cancelled: Callable[[], bool] = lambda: False,
) -> Generator[Progress, None, RetrieveResult]:
    """C-GET ``series`` into ``dest``; yields progress; logged whether it succeeds, fails or is cancelled."""
    _require_role(user, "retrieve images from PACS")
    client = client_for(registry, node, timeout=120.0)
    entry: dict[str, Any] = {
        "direction": "retrieve",
        "node": node.describe(),
        "study_id": study_id,
        "study_uid": series.study_uid,
        "series_uid": series.series_uid,
    }
    try:
        result = yield from client.retrieve_series(
            series.study_uid, series.series_uid, Path(dest), expected=series.n_instances, cancelled=cancelled
        )
    except HspError as exc:
        _log(registry, user, {**entry, "status": f"failed: {exc.message}"})
        raise
    _log(registry, user, {**entry, "status": "ok", "objects": [{"images": result.n_files}]})
    return result


def _prediction(registry: Any, study_id: str, prediction_id: int | None) -> dict[str, Any]:
    preds = registry.predictions(study_id)
    if not preds:
        raise ValidationError(
            "The recipient has no saved prediction to send",
            problems=[Problem("prediction", None, "none saved", "score the recipient first")],
            field="prediction",
        )
    if prediction_id is None:
        return dict(preds[-1])
    for p in preds:
        if int(p["id"]) == int(prediction_id):
            return dict(p)
    raise ValidationError(
        "No such prediction for this recipient",
        problems=[
            Problem(
                "prediction", prediction_id, f"not one of {[p['id'] for p in preds]}", "pick a listed one"
            )
        ],
        field="prediction",
    )


def _series_uid(prediction: Mapping[str, Any], folder: Path) -> str:
    """The CT series a prediction was made on: recorded with it, else the folder's only CT series."""
    output = prediction.get("output") or {}
    for key in ("series_uid", "ct_series_uid"):
        if output.get(key):
            return str(output[key])
    for key in ("imaging_source", "series", "ct_series"):
        block = output.get(key)
        if isinstance(block, Mapping):
            for inner in ("uid", "series_uid", "SeriesInstanceUID"):
                if block.get(inner):
                    return str(block[inner])
    from hsp_desktop.importers import list_dicom_series

    found = [s for s in list_dicom_series(folder) if s.modality == "CT"]
    if len(found) == 1:
        return str(found[0].series_uid)
    raise FileFormatError(
        "The prediction does not record which CT series it was made on",
        expected="one CT series in the scored folder, or the series recorded with the prediction",
        found=f"{len(found)} series in {folder}",
        fix="score the recipient again with this version (it records the series), then send",
        field="series_uid",
    )


def _report_path(registry: Any, prediction: Mapping[str, Any], pdf: Path | str | None) -> Path:
    if pdf is not None:
        path = Path(pdf)
    else:
        from hsp_desktop.reporting.build import report_folder

        name = (prediction.get("output") or {}).get("report")
        if not name:
            raise FileFormatError(
                "The prediction has no PDF report to send",
                fix="render the report (hsp report --recipient) and pass it with --pdf",
                field="report",
            )
        path = report_folder(registry) / str(name)
    if not path.is_file():
        raise FileFormatError(
            "The patient report PDF is not there",
            expected=str(path),
            found="no such file",
            fix="render it again (hsp report --recipient), then send",
            field="report",
        )
    return path


def _scored_mask(mask: LabelMap, prediction: Mapping[str, Any]) -> LabelMap:
    """The mask as it was scored: spleen 1 and liver 2, from the segment recorded with the prediction.

    A SEG with the liver first, a TotalSegmentator map or a Slicer file is resolved by the same rule as scoring
    (segment names, or the user's recorded choice of spleen segment), so the SEG sent to PACS holds the spleen
    that was scored and never another organ.
    """
    from hsp_desktop.importers.segments import resolve_organs

    source = (prediction.get("output") or {}).get("imaging_source") or {}
    spleen = source.get("spleen_value")
    resolved, _choice = resolve_organs(mask, int(spleen) if spleen is not None else None)
    return resolved


def objects_for_prediction(
    registry: Any,
    user: Any,
    study_id: str,
    prediction_id: int | None = None,
    *,
    pdf: Path | str | None = None,
) -> tuple[dict[str, Any], list[Dataset]]:
    """The prediction and its three DICOM objects: Encapsulated PDF, SEG, TID 1500 SR (in the CT's study).

    The CT folder and mask are the ones the registry recorded for the prediction; the mask file must still hash
    to what was scored.
    """
    from hsp_desktop.importers import read_ct, read_mask
    from hsp_desktop.pipeline.hashing import sha256_path

    prediction = _prediction(registry, study_id, prediction_id)
    imaging_id = (prediction.get("output") or {}).get("imaging_id")
    studies = {int(s["id"]): s for s in registry.imaging_studies(study_id)}
    imaging = studies.get(int(imaging_id)) if imaging_id is not None else None
    if imaging is None:
        raise FileFormatError(
            "The prediction's imaging study is not in the registry",
            found=f"imaging id {imaging_id}",
            fix="score the recipient again, then send",
            field="imaging_id",
        )
    ct_path = Path(imaging["ct_path"])
    folder = ct_path if ct_path.is_dir() else ct_path.parent
    if ct_path.is_file() and not ct_path.name.lower().endswith(".dcm") and ct_path.suffix:
        raise FileFormatError(
            "The prediction was made on an image file, not a DICOM series",
            found=str(ct_path),
            fix="score from the DICOM series (PACS objects must reference its images)",
            field="ct_path",
        )
    series_uid = _series_uid(prediction, folder)
    source = read_series_headers(folder, series_uid)
    mask_path = Path(imaging["mask_path"] or "")
    if not imaging["mask_path"] or not mask_path.exists():
        raise FileFormatError(
            "The mask the prediction was made with is not there",
            expected=str(mask_path),
            found="no such file",
            fix="restore the mask file, then send",
            field="mask_path",
        )
    if imaging.get("mask_sha256") and sha256_path(mask_path) != imaging["mask_sha256"]:
        raise FileFormatError(
            "The mask file changed since the prediction was made",
            expected=f"SHA-256 {str(imaging['mask_sha256'])[:12]}",
            found=f"SHA-256 {sha256_path(mask_path)[:12]}",
            fix="send only the mask that was scored; score again if the mask was corrected",
            field="mask_path",
        )
    ct = read_ct(folder, series_uid=series_uid)
    mask = _scored_mask(read_mask(mask_path, reference=ct), prediction)
    name = getattr(user, "username", "") or ""
    report = _report_path(registry, prediction, pdf)
    seg = segmentation(mask, source, creator=name)
    sr = risk_report_sr(prediction, source, observer=name, extra_evidence=[seg])
    doc = encapsulated_pdf(report, source, title=f"HSP risk report {study_id}")
    return prediction, [doc, seg, sr]


def send_prediction(
    registry: Any,
    user: Any,
    node: PacsNode,
    study_id: str,
    prediction_id: int | None = None,
    *,
    pdf: Path | str | None = None,
    objects: Sequence[Dataset] | None = None,
) -> list[StoreResult]:
    """Store the prediction's PDF, SEG and SR on ``node`` (logged with every SOP instance UID and status)."""
    _require_role(user, "send results to PACS")
    if objects is None:
        prediction, built = objects_for_prediction(registry, user, study_id, prediction_id, pdf=pdf)
    else:
        prediction, built = _prediction(registry, study_id, prediction_id), list(objects)
    client = client_for(registry, node, timeout=60.0)
    entry: dict[str, Any] = {
        "direction": "store",
        "node": node.describe(),
        "study_id": study_id,
        "prediction_id": int(prediction["id"]),
        "study_uid": str(built[0].StudyInstanceUID),
        "objects": [
            {
                "sop_class_uid": str(ds.SOPClassUID),
                "sop_instance_uid": str(ds.SOPInstanceUID),
                "modality": ds.Modality,
            }
            for ds in built
        ],
    }
    results: list[StoreResult] = _logged(registry, user, entry, lambda: client.store(built))
    return results

"""DICOM networking with one PACS node (pynetdicom): C-ECHO, C-FIND, C-GET and C-STORE.

Only the node the user configured is contacted, on its DICOM port, as the association's requestor; the
workstation opens no listening port (C-GET brings the images back on the same association, so no storage SCP
and no firewall opening is needed).  Every failure is a :class:`~hsp_desktop.errors.NetworkError` naming the
node and what to check; a retrieve writes into a hidden partial folder that is renamed only when every image
arrived, so a cancelled or broken transfer leaves nothing that could be scored.
"""

from __future__ import annotations

import logging
import shutil
import socket
import ssl
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydicom.dataset import Dataset
from pydicom.uid import (
    JPEG2000,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEGLosslessSV1,
    JPEGLSLossless,
    JPEGLSNearLossless,
    RLELossless,
)
from pynetdicom import AE, build_role, evt
from pynetdicom.association import Association
from pynetdicom.sop_class import (  # type: ignore[attr-defined]
    CTImageStorage,
    EnhancedCTImageStorage,
    StudyRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelGet,
    Verification,
)

from hsp_desktop.domain import Progress
from hsp_desktop.errors import CancelledError, NetworkError
from hsp_desktop.importers.dicom import SeriesInfo, series_phase
from hsp_desktop.pacs.nodes import DEFAULT_LOCAL_AE, PacsNode

log = logging.getLogger(__name__)

#: Transfer syntaxes accepted for retrieved CT images: uncompressed first, then the lossless and lossy
#: compressed ones as the PACS holds them (a lossy series is then blocked by the QC gate, not hidden).
RETRIEVE_SYNTAXES: tuple[str, ...] = (
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    DeflatedExplicitVRLittleEndian,
    RLELossless,
    JPEGLSLossless,
    JPEG2000Lossless,
    JPEGLosslessSV1,
    JPEGLSNearLossless,
    JPEG2000,
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
)

_SUCCESS = 0x0000
_PENDING = (0xFF00, 0xFF01)
_CANCEL = 0xFE00


@dataclass(frozen=True)
class StudyHit:
    """One study a C-FIND found."""

    study_uid: str
    patient_id: str
    patient_name: str
    birth_date: str
    study_date: str
    accession: str
    description: str
    modalities: str
    n_series: int | None
    n_instances: int | None


@dataclass(frozen=True)
class SeriesHit:
    """One series of a study a C-FIND found (acquisition details as far as the node returns them)."""

    study_uid: str
    series_uid: str
    series_number: int | None
    modality: str
    description: str
    n_instances: int | None
    phase: str = "unknown"
    kernel: str = ""
    slice_thickness_mm: float | None = None
    image_type: tuple[str, ...] = ()
    contrast_agent: str = ""
    patient_id: str = ""

    def as_series_info(self) -> SeriesInfo:
        """The same description the folder importer gives, so one preselection rule serves both."""
        return SeriesInfo(
            series_uid=self.series_uid,
            description=self.description,
            phase=self.phase,
            modality=self.modality,
            slice_count=self.n_instances or 0,
            series_number=self.series_number,
            study_uid=self.study_uid,
            patient_id=self.patient_id,
            slice_thickness_mm=self.slice_thickness_mm,
            image_type=self.image_type,
            kernel=self.kernel,
            contrast_agent=self.contrast_agent,
        )


def preselect_series(series: Sequence[SeriesHit]) -> SeriesHit | None:
    """The portal-venous CT series to preselect (the folder importer's documented rule); never a localizer."""
    from hsp_desktop.importers.study import preselect

    chosen = preselect(s.as_series_info() for s in series)
    return next((s for s in series if chosen is not None and s.series_uid == chosen.series_uid), None)


@dataclass(frozen=True)
class RetrieveResult:
    """What a C-GET brought back: the folder with the series and how many images it holds."""

    folder: Path
    study_uid: str
    series_uid: str
    n_files: int
    seconds: float


@dataclass(frozen=True)
class StoreResult:
    """One object sent with C-STORE and the node's answer."""

    sop_class_uid: str
    sop_instance_uid: str
    status: int


def _text(ds: Dataset, keyword: str) -> str:
    value = ds.get(keyword, "")
    return "" if value is None else str(value)


def _values(ds: Dataset, keyword: str) -> tuple[str, ...]:
    """A multi-valued element as a tuple of strings (one value or none handled alike)."""
    value = ds.get(keyword)
    if value in (None, ""):
        return ()
    if isinstance(value, str | bytes) or not hasattr(value, "__iter__"):
        return (str(value),)
    return tuple(str(v) for v in value)


def _is_localizer(ds: Dataset) -> bool:
    image_type = _values(ds, "ImageType")
    return len(image_type) > 2 and image_type[2].upper() == "LOCALIZER"


def _int(ds: Dataset, keyword: str) -> int | None:
    value = ds.get(keyword)
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def date_range(date_from: str | None, date_to: str | None) -> str:
    """DICOM date range matching (``YYYYMMDD-YYYYMMDD``, open ends allowed) from ISO dates."""
    import datetime as dt

    def one(value: str | None, field: str) -> str:
        if not value:
            return ""
        try:
            return dt.date.fromisoformat(value).strftime("%Y%m%d")
        except ValueError as exc:
            raise NetworkError(
                "A query date is not a date",
                expected="YYYY-MM-DD",
                found=repr(value),
                fix="enter the date as YYYY-MM-DD",
                field=field,
            ) from exc

    lo, hi = one(date_from, "date_from"), one(date_to, "date_to")
    if lo and hi and lo > hi:
        raise NetworkError(
            "The query's start date is after its end date",
            found=f"{date_from} > {date_to}",
            fix="swap the two dates",
            field="date_from",
        )
    return "" if not (lo or hi) else f"{lo}-{hi}"


class DicomClient:
    """Talk to one PACS node as ``local_ae``.

    Parameters
    ----------
    node : PacsNode
        The node (AE title, host, port, TLS).
    local_ae : str
        This workstation's AE title (the node must know it for C-GET).
    timeout : float
        Seconds to wait for the association, for each DIMSE response and on the network.
    """

    def __init__(self, node: PacsNode, local_ae: str = DEFAULT_LOCAL_AE, *, timeout: float = 30.0) -> None:
        self.node = node
        self.local_ae = local_ae
        self.timeout = timeout

    # -------------------------------------------------------------------------------------------- plumbing
    def _ae(self) -> AE:
        ae = AE(ae_title=self.local_ae)
        ae.acse_timeout = self.timeout
        ae.dimse_timeout = self.timeout
        ae.network_timeout = self.timeout
        ae.connection_timeout = self.timeout
        return ae

    def _tls(self) -> tuple[ssl.SSLContext, str] | None:
        if not self.node.tls:
            return None
        try:
            context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=self.node.ca_file or None)
            if self.node.cert_file:
                context.load_cert_chain(self.node.cert_file, self.node.key_file)
        except (OSError, ssl.SSLError) as exc:
            raise NetworkError(
                f"The TLS files of PACS node {self.node.name} cannot be used",
                found=str(exc),
                fix="choose the CA, certificate and key PEM files the PACS administrator gave you",
                field="tls",
            ) from exc
        return context, self.node.host

    @contextmanager
    def _associate(
        self,
        ae: AE,
        *,
        ext_neg: list[Any] | None = None,
        handlers: list[Any] | None = None,
    ) -> Iterator[Association]:
        self._check_reachable()
        try:
            assoc = ae.associate(
                self.node.host,
                self.node.port,
                ae_title=self.node.ae_title,
                ext_neg=ext_neg,
                evt_handlers=handlers,
                tls_args=self._tls(),
            )
        except OSError as exc:  # name resolution, refused socket
            raise self._unreachable(str(exc)) from exc
        if not assoc.is_established:
            if assoc.is_rejected:
                raise NetworkError(
                    f"PACS node {self.node.describe()} rejected this workstation",
                    found=f"association rejected (calling AE {self.local_ae})",
                    fix=f"ask the PACS administrator to add AE title {self.local_ae} for this computer, "
                    "and check the node's AE title",
                    field="ae_title",
                )
            raise self._unreachable("no association (refused, aborted or timed out)")
        try:
            yield assoc
        finally:
            if assoc.is_established:
                assoc.release()

    def _check_reachable(self) -> None:
        """Open and close a TCP connection first: a clear error for a closed port or unknown host."""
        try:
            with socket.create_connection((self.node.host, self.node.port), timeout=min(self.timeout, 10.0)):
                pass
        except OSError as exc:
            raise self._unreachable(str(exc)) from exc

    def _unreachable(self, found: str) -> NetworkError:
        return NetworkError(
            f"PACS node {self.node.describe()} cannot be reached",
            found=found,
            fix="check the host, port and TLS setting with the PACS administrator, and that the network cable "
            "or VPN is connected",
            field="host",
        )

    def _failed(self, what: str, status: Dataset | None) -> NetworkError:
        code = None if status is None else int(getattr(status, "Status", -1))
        comment = "" if status is None else _text(status, "ErrorComment")
        found = (
            "no answer (timeout or aborted association)" if code is None else f"status 0x{code:04X} {comment}"
        )
        return NetworkError(
            f"PACS node {self.node.name} could not complete the {what}",
            found=found.strip(),
            fix="try again; if it persists, give the PACS administrator this status",
        )

    # ------------------------------------------------------------------------------------------ operations
    def echo(self) -> float:
        """C-ECHO ("test connection"); returns the round-trip time in seconds."""
        ae = self._ae()
        ae.add_requested_context(Verification)
        start = time.perf_counter()
        with self._associate(ae) as assoc:
            status = assoc.send_c_echo()
            if not status or int(status.Status) != _SUCCESS:
                raise self._failed("verification (C-ECHO)", status if status else None)
        return time.perf_counter() - start

    def _find(self, query: Dataset) -> list[Dataset]:
        ae = self._ae()
        ae.add_requested_context(StudyRootQueryRetrieveInformationModelFind)
        found: list[Dataset] = []
        with self._associate(ae) as assoc:
            for status, identifier in assoc.send_c_find(query, StudyRootQueryRetrieveInformationModelFind):
                code = int(status.Status) if status else None
                if code in _PENDING and identifier is not None:
                    found.append(identifier)
                elif code == _SUCCESS:
                    break
                else:
                    raise self._failed("query (C-FIND)", status if status else None)
        return found

    def find_studies(
        self, patient_id: str, date_from: str | None = None, date_to: str | None = None
    ) -> list[StudyHit]:
        """The patient's CT studies (C-FIND, study level), newest first.

        Parameters
        ----------
        patient_id : str
            The hospital MRN (DICOM PatientID), matched exactly (no wildcards: a query never lists others).
        date_from, date_to : str, optional
            ISO dates bounding the StudyDate.
        """
        if not patient_id or any(c in patient_id for c in "*?\\"):
            raise NetworkError(
                "A PACS query needs the recipient's exact hospital number",
                found=repr(patient_id),
                fix="select a recipient whose MRN is stored (wildcards are not allowed)",
                field="patient_id",
            )
        q = Dataset()
        q.QueryRetrieveLevel = "STUDY"
        q.PatientID = patient_id
        q.StudyDate = date_range(date_from, date_to)
        for keyword in (
            "PatientName",
            "PatientBirthDate",
            "StudyInstanceUID",
            "AccessionNumber",
            "StudyDescription",
            "StudyTime",
            "ModalitiesInStudy",
            "NumberOfStudyRelatedSeries",
            "NumberOfStudyRelatedInstances",
        ):
            setattr(q, keyword, "")
        hits = []
        for ds in self._find(q):
            if (
                _text(ds, "PatientID") != patient_id
            ):  # a PACS that matches loosely: never show another patient
                log.warning("PACS %s answered a study of another patient; ignored", self.node.name)
                continue
            hits.append(
                StudyHit(
                    study_uid=_text(ds, "StudyInstanceUID"),
                    patient_id=_text(ds, "PatientID"),
                    patient_name=_text(ds, "PatientName"),
                    birth_date=_text(ds, "PatientBirthDate"),
                    study_date=_text(ds, "StudyDate"),
                    accession=_text(ds, "AccessionNumber"),
                    description=_text(ds, "StudyDescription"),
                    modalities=str(ds.get("ModalitiesInStudy", "") or "").replace("\\", "/"),
                    n_series=_int(ds, "NumberOfStudyRelatedSeries"),
                    n_instances=_int(ds, "NumberOfStudyRelatedInstances"),
                )
            )
        return sorted(hits, key=lambda h: h.study_date, reverse=True)

    def find_series(self, study_uid: str) -> list[SeriesHit]:
        """The series of one study (C-FIND, series level), in series-number order."""
        q = Dataset()
        q.QueryRetrieveLevel = "SERIES"
        q.StudyInstanceUID = study_uid
        for keyword in (
            "PatientID",
            "SeriesInstanceUID",
            "SeriesNumber",
            "Modality",
            "SeriesDescription",
            "NumberOfSeriesRelatedInstances",
            # instance-level details many PACS (Orthanc among them) return at series level; optional
            "ConvolutionKernel",
            "SliceThickness",
            "ImageType",
            "ContrastBolusAgent",
            "ContrastBolusAgentPhase",
        ):
            setattr(q, keyword, "")
        hits = []
        for ds in self._find(q):
            thickness = ds.get("SliceThickness")
            try:
                mm = float(thickness) if thickness not in (None, "") else None
            except (TypeError, ValueError):
                mm = None
            hits.append(
                SeriesHit(
                    study_uid=study_uid,
                    series_uid=_text(ds, "SeriesInstanceUID"),
                    series_number=_int(ds, "SeriesNumber"),
                    modality=_text(ds, "Modality"),
                    description=_text(ds, "SeriesDescription"),
                    n_instances=_int(ds, "NumberOfSeriesRelatedInstances"),
                    phase="localizer" if _is_localizer(ds) else series_phase(ds),
                    kernel="\\".join(_values(ds, "ConvolutionKernel")),
                    slice_thickness_mm=mm,
                    image_type=_values(ds, "ImageType"),
                    contrast_agent=_text(ds, "ContrastBolusAgent"),
                    patient_id=_text(ds, "PatientID"),
                )
            )
        return sorted(hits, key=lambda h: (h.series_number is None, h.series_number or 0))

    def retrieve_series(
        self,
        study_uid: str,
        series_uid: str,
        dest: Path,
        *,
        expected: int | None = None,
        cancelled: Callable[[], bool] = lambda: False,
    ) -> Generator[Progress, None, RetrieveResult]:
        """C-GET one series into ``dest/<series_uid>/``; yields progress, returns where it is.

        Images arrive into ``dest/.partial-<series_uid>`` and the folder is renamed when the node reports the
        retrieve complete with no failed sub-operation.  Cancelling aborts the association and removes the
        partial folder.
        """
        final = Path(dest) / series_uid
        partial = Path(dest) / f".partial-{series_uid}"
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        received: list[str] = []

        def on_store(event: Any) -> int:
            sop_uid = str(event.request.AffectedSOPInstanceUID)
            (partial / f"{len(received):05d}_{sop_uid}.dcm").write_bytes(event.encoded_dataset())
            received.append(sop_uid)
            return _SUCCESS

        ae = self._ae()
        ae.add_requested_context(StudyRootQueryRetrieveInformationModelGet)
        roles = []
        for sop_class in (CTImageStorage, EnhancedCTImageStorage):
            ae.add_requested_context(sop_class, list(RETRIEVE_SYNTAXES))
            roles.append(build_role(sop_class, scp_role=True))
        q = Dataset()
        q.QueryRetrieveLevel = "SERIES"
        q.StudyInstanceUID = study_uid
        q.SeriesInstanceUID = series_uid
        start = time.perf_counter()
        ok = False
        try:
            with self._associate(ae, ext_neg=roles, handlers=[(evt.EVT_C_STORE, on_store)]) as assoc:
                yield Progress("retrieve", 0.0, f"Retrieving series from {self.node.name}")
                final_status: Dataset | None = None
                for status, _identifier in assoc.send_c_get(q, StudyRootQueryRetrieveInformationModelGet):
                    if cancelled():
                        assoc.abort()
                        raise CancelledError("retrieve cancelled by the user; nothing was kept")
                    if not status:
                        raise self._failed("retrieve (C-GET)", None)
                    code = int(status.Status)
                    if code in _PENDING:
                        remaining = _int(status, "NumberOfRemainingSuboperations") or 0
                        total = expected or (len(received) + remaining) or 1
                        yield Progress(
                            "retrieve", min(0.99, len(received) / total), f"{len(received)} of {total} images"
                        )
                        continue
                    final_status = status
                if final_status is None or int(final_status.Status) not in (_SUCCESS,):
                    raise self._failed("retrieve (C-GET)", final_status)
                failed = _int(final_status, "NumberOfFailedSuboperations") or 0
                if failed or not received:
                    raise NetworkError(
                        f"PACS node {self.node.name} sent {len(received)} images, {failed} failed",
                        fix="retry the retrieve; if images keep failing, ask the PACS administrator",
                    )
            if final.exists():
                shutil.rmtree(final)
            partial.rename(final)
            ok = True
        finally:
            if not ok:
                shutil.rmtree(partial, ignore_errors=True)
        seconds = time.perf_counter() - start
        yield Progress("retrieve", 1.0, f"{len(received)} images in {seconds:.1f} s")
        return RetrieveResult(final, study_uid, series_uid, len(received), seconds)

    def store(self, datasets: Sequence[Dataset]) -> list[StoreResult]:
        """C-STORE each dataset (PDF, SEG, SR) in one association; any failure raises after the attempt."""
        if not datasets:
            return []
        ae = self._ae()
        for uid in dict.fromkeys(str(ds.SOPClassUID) for ds in datasets):
            ae.add_requested_context(uid, [ExplicitVRLittleEndian, ImplicitVRLittleEndian])
        results: list[StoreResult] = []
        with self._associate(ae) as assoc:
            for ds in datasets:
                status = assoc.send_c_store(ds)
                code = int(status.Status) if status else -1
                results.append(StoreResult(str(ds.SOPClassUID), str(ds.SOPInstanceUID), code))
                # 0x0000 success; 0xB000/0xB007/0xB006 are warnings (stored, coerced or elements discarded)
                if code != _SUCCESS and not 0xB000 <= code <= 0xBFFF:
                    raise self._failed(
                        f"store of {ds.get('Modality', 'an object')} (C-STORE)", status or None
                    )
        return results

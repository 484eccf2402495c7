"""The DICOM objects the workstation sends back to PACS, filed with the CT they were computed from.

* :func:`encapsulated_pdf` — the patient risk report as DICOM Encapsulated PDF.
* :func:`segmentation` — the spleen (and liver) mask as DICOM SEG (highdicom), frame by frame on the CT's
  own slices.
* :func:`risk_report_sr` — a DICOM Comprehensive 3D SR following TID 1500 (Measurement Report) with the
  predicted risk, its 95% CI, the band, the model's identity and the key inputs (highdicom).

All three carry the source CT's patient and study identifiers (PatientID, name, birth date, StudyInstanceUID,
accession number) and reference the source series, so PACS files them inside the same study.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar, cast

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.sr.codedict import codes
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from hsp_desktop import __version__
from hsp_desktop.domain import LabelMap
from hsp_desktop.errors import FileFormatError, GeometryError

log = logging.getLogger(__name__)

MANUFACTURER = "HSP Desktop"
#: Private coding scheme for concepts no public terminology has (declared in each SR's CodingSchemeIdentification).
SCHEME = "99HSP"
ENCAPSULATED_PDF = "1.2.840.10008.5.1.4.1.1.104.1"
#: Series numbers of the objects we add to a study (high, so they sort after the scanner's series).
SERIES_NUMBERS = {"pdf": 9701, "seg": 9702, "sr": 9703}

_PATIENT_STUDY = (
    "PatientName",
    "PatientID",
    "IssuerOfPatientID",
    "PatientBirthDate",
    "PatientSex",
    "StudyInstanceUID",
    "StudyDate",
    "StudyTime",
    "StudyID",
    "AccessionNumber",
    "ReferringPhysicianName",
    "StudyDescription",
    "SpecificCharacterSet",
)


F = TypeVar("F", bound=Callable[..., Any])


def _logging_warnings(func: F) -> F:
    """Run ``func`` with highdicom's warnings logged instead of raised (see :func:`_logged_warnings`)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _logged_warnings():
            return func(*args, **kwargs)

    return cast(F, wrapper)


@contextmanager
def _logged_warnings() -> Iterator[None]:
    """Highdicom warns about values copied from the source CT (e.g. a one-part PatientName): log, don't fail."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for w in caught:
        log.info("DICOM object: %s", w.message)


def read_series_headers(folder: Path | str, series_uid: str) -> list[Dataset]:
    """Headers (no pixel data) of every image of ``series_uid`` under ``folder``, in slice order along the normal.

    Raises
    ------
    FileFormatError
        No image of that series is there.
    """
    found: list[Dataset] = []
    for path in sorted(Path(folder).rglob("*")):
        if not path.is_file() or path.name.upper() == "DICOMDIR":
            continue
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True)
        except (pydicom.errors.InvalidDicomError, OSError, ValueError, EOFError):
            continue  # other files of an export (reports, thumbnails) are not ours to judge here
        if str(ds.get("SeriesInstanceUID", "")) == series_uid and "ImagePositionPatient" in ds:
            found.append(ds)
    if not found:
        raise FileFormatError(
            "The CT series the prediction was made on is not in the folder",
            expected=f"DICOM images of series {series_uid}",
            found=f"none under {folder}",
            fix="send from the workstation that scored the recipient, or retrieve the series again",
            field="series_uid",
        )
    normal = np.cross(*np.asarray(found[0].ImageOrientationPatient, float).reshape(2, 3))
    return sorted(found, key=lambda d: float(np.dot(np.asarray(d.ImagePositionPatient, float), normal)))


def _copy_patient_study(source: Dataset, target: Dataset) -> None:
    for keyword in _PATIENT_STUDY:
        if keyword in source:
            setattr(target, keyword, source.data_element(keyword).value)  # type: ignore[union-attr]
    if "SpecificCharacterSet" not in target:
        target.SpecificCharacterSet = "ISO_IR 192"
    _deidentification(source, target)


def _deidentification(source: Dataset, target: Dataset) -> None:
    """Carry the source's de-identification statement (DICOM requires the method when identity was removed)."""
    if str(source.get("PatientIdentityRemoved", "")).upper() != "YES":
        return
    target.PatientIdentityRemoved = "YES"
    for keyword in ("DeidentificationMethod", "DeidentificationMethodCodeSequence"):
        if keyword in source:
            setattr(target, keyword, source.data_element(keyword).value)  # type: ignore[union-attr]
    if "DeidentificationMethod" not in target and "DeidentificationMethodCodeSequence" not in target:
        target.DeidentificationMethod = "not stated in the source CT series"


def _now() -> tuple[str, str]:
    now = dt.datetime.now()
    return now.strftime("%Y%m%d"), now.strftime("%H%M%S")


def encapsulated_pdf(pdf: Path | str, source: Sequence[Dataset], *, title: str) -> Dataset:
    """The PDF report as an Encapsulated PDF instance in the source CT's study.

    Parameters
    ----------
    pdf : path
        The report written by :mod:`hsp_desktop.reporting`.
    source : list of Dataset
        Headers of the CT series the prediction was made on (:func:`read_series_headers`).
    title : str
        DocumentTitle (e.g. "HSP risk report HSP-0201").
    """
    data = Path(pdf).read_bytes()
    if not data.startswith(b"%PDF"):
        raise FileFormatError(
            "The report file is not a PDF", found=str(pdf), fix="score the recipient again to rewrite it"
        )
    first = source[0]
    ds = Dataset()
    _copy_patient_study(first, ds)
    date, time = _now()
    ds.SOPClassUID = ENCAPSULATED_PDF
    ds.SOPInstanceUID = generate_uid()
    ds.Modality = "DOC"
    ds.SeriesInstanceUID = generate_uid()
    ds.SeriesNumber = SERIES_NUMBERS["pdf"]
    ds.SeriesDescription = "HSP risk report"
    ds.InstanceNumber = 1
    ds.Manufacturer = MANUFACTURER
    ds.SoftwareVersions = __version__
    ds.ConversionType = "WSD"
    ds.ContentDate, ds.ContentTime = date, time
    ds.InstanceCreationDate, ds.InstanceCreationTime = date, time
    ds.AcquisitionDateTime = date + time
    ds.BurnedInAnnotation = "YES"
    ds.DocumentTitle = title[:64]
    concept = Dataset()
    concept.CodeValue, concept.CodingSchemeDesignator = "18748-4", "LN"
    concept.CodeMeaning = "Diagnostic imaging study"
    ds.ConceptNameCodeSequence = DicomSequence([concept])
    ref = Dataset()
    ref.ReferencedSOPClassUID = first.SOPClassUID
    ref.ReferencedSOPInstanceUID = first.SOPInstanceUID
    ds.SourceInstanceSequence = DicomSequence([ref])
    ds.MIMETypeOfEncapsulatedDocument = "application/pdf"
    ds.EncapsulatedDocument = data + (b"\0" if len(data) % 2 else b"")
    ds.EncapsulatedDocumentLength = len(data)
    _file_meta(ds)
    return ds


def _file_meta(ds: Dataset) -> None:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta = meta


def _slice_indices(source: Sequence[Dataset], mask: LabelMap) -> list[int]:
    """Index into the mask's first axis of each source image (by its position along the slice normal)."""
    d = np.asarray(mask.direction, float).reshape(3, 3)
    normal = d[:, 2]
    out = []
    for ds in source:
        offset = np.asarray(ds.ImagePositionPatient, float) - np.asarray(mask.origin, float)
        k = float(np.dot(offset, normal)) / float(mask.spacing[2])
        in_plane = offset - np.dot(offset, normal) * normal
        if (
            abs(k - round(k)) > 0.05
            or not 0 <= round(k) < mask.array.shape[0]
            or np.linalg.norm(in_plane) > 0.5
        ):
            raise GeometryError(
                "The mask does not lie on the CT series it is sent with",
                expected="one mask slice per CT image, same in-plane origin",
                found=f"image {ds.SOPInstanceUID} at slice offset {k:.2f}",
                fix="send the mask with the series it was scored on",
            )
        out.append(round(k))
    if len(set(out)) != len(out) or (len(out) != mask.array.shape[0]):
        raise GeometryError(
            "The CT series and the mask have different slices",
            expected=f"{mask.array.shape[0]} CT images, one per mask slice",
            found=f"{len(out)} images for {len(set(out))} distinct slices",
            fix="retrieve the complete series, then send again",
        )
    return out


@_logging_warnings
def segmentation(
    mask: LabelMap,
    source: Sequence[Dataset],
    *,
    algorithm_type: str = "MANUAL",
    algorithm_name: str = "",
    creator: str = "",
) -> Dataset:
    """The mask as a DICOM SEG (BINARY) referencing every CT image it was drawn on.

    Segment numbers follow ``mask.labels`` order (spleen first when present); labels are named and coded
    (SNOMED CT spleen 78961009, liver 10200004) so any viewer shows which is which.
    """
    import highdicom as hd

    order = _slice_indices(source, mask)
    arr = mask.array[order]  # frames in the order of ``source``
    descriptions: list[Any] = []
    label_of_segment: list[int] = []
    present = [int(v) for v in np.unique(arr) if v]
    algo = None
    if algorithm_type.upper() != "MANUAL":
        algo = hd.AlgorithmIdentificationSequence(
            name=algorithm_name or MANUFACTURER, family=codes.DCM.ArtificialIntelligence, version=__version__
        )
    for label in sorted(mask.labels, key=lambda v: (mask.labels[v] != "spleen", v)):
        if label not in present:
            continue
        name = mask.labels[label]
        prop = {"spleen": codes.SCT.Spleen, "liver": codes.SCT.Liver}.get(name.lower(), codes.SCT.Organ)
        descriptions.append(
            hd.seg.SegmentDescription(
                segment_number=len(descriptions) + 1,
                segment_label=name.capitalize(),
                segmented_property_category=codes.SCT.Organ,
                segmented_property_type=prop,
                algorithm_type=algorithm_type.upper(),
                algorithm_identification=algo,
                tracking_uid=generate_uid(),
                tracking_id=f"{name} mask",
            )
        )
        label_of_segment.append(label)
    if not descriptions:
        raise GeometryError(
            "The mask is empty", found="no labelled voxel", fix="send the mask the prediction was made with"
        )
    labelled = np.zeros(arr.shape, np.uint8)
    for number, label in enumerate(label_of_segment, start=1):
        labelled[arr == label] = number
    with _logged_warnings():
        seg = _segmentation(hd, source, labelled, descriptions, creator)
    _deidentification(source[0], seg)
    return seg


def _segmentation(
    hd: Any, source: Sequence[Dataset], labelled: np.ndarray, descriptions: list[Any], creator: str
) -> Dataset:
    seg: Dataset = hd.seg.Segmentation(
        source_images=list(source),
        pixel_array=labelled,
        segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=descriptions,
        series_instance_uid=generate_uid(),
        series_number=SERIES_NUMBERS["seg"],
        sop_instance_uid=generate_uid(),
        instance_number=1,
        manufacturer=MANUFACTURER,
        manufacturer_model_name="HSP Desktop",
        software_versions=__version__,
        device_serial_number="0",
        series_description="HSP spleen/liver mask",
        content_label="HSPMASK",
        content_creator_name=creator or None,
    )
    return seg


#: Key inputs reported in the SR: feature -> (concept, unit, finding site or None).  LOINC where a code exists.
def _key_input_concepts() -> dict[str, tuple[Any, Any, Any]]:
    from highdicom.sr import CodedConcept

    return {
        "platelets": (
            CodedConcept("777-3", "LN", "Platelets [#/volume] in Blood by Automated count"),
            CodedConcept("10*9/L", "UCUM", "10^9/L"),
            None,
        ),
        "wbc": (
            CodedConcept("6690-2", "LN", "Leukocytes [#/volume] in Blood by Automated count"),
            CodedConcept("10*9/L", "UCUM", "10^9/L"),
            None,
        ),
        "spleen_volume_ml": (codes.SCT.Volume, CodedConcept("mL", "UCUM", "mL"), codes.SCT.Spleen),
        "splenic_vein_mm": (codes.SCT.Diameter, codes.UCUM.Millimeter, codes.SCT.SplenicVein),
        "portal_vein_mm": (codes.SCT.Diameter, codes.UCUM.Millimeter, codes.SCT.PortalVein),
        "meld": (CodedConcept("MELD", SCHEME, "MELD score"), CodedConcept("{score}", "UCUM", "score"), None),
        "rad_score": (
            CodedConcept("RADSCORE", SCHEME, "Radiomics score (Rad-score)"),
            CodedConcept("1", "UCUM", "no units"),
            None,
        ),
    }


@_logging_warnings
def risk_report_sr(
    prediction: Mapping[str, Any],
    source: Sequence[Dataset],
    *,
    observer: str,
    extra_evidence: Sequence[Dataset] = (),
) -> Dataset:
    """A TID 1500 Measurement Report with the prediction.

    Parameters
    ----------
    prediction : mapping
        A registry prediction row (``probability``, ``ci_low``, ``ci_high``, ``band``, ``model_id``,
        ``manifest_sha256``, ``output`` with ``features`` and ``model_version``).
    source : list of Dataset
        Headers of the CT series scored (evidence; patient and study come from them).
    observer : str
        The signed-in user who sends it (person observer).
    extra_evidence : list of Dataset
        Other objects of the same study to list as evidence (the SEG sent with it).
    """
    from highdicom.sr import (
        AlgorithmIdentification,
        CodedConcept,
        Comprehensive3DSR,
        DeviceObserverIdentifyingAttributes,
        FindingSite,
        Measurement,
        MeasurementReport,
        MeasurementsAndQualitativeEvaluations,
        ObservationContext,
        ObserverContext,
        PersonObserverIdentifyingAttributes,
        QualitativeEvaluation,
        TrackingIdentifier,
    )

    for key in ("probability", "band", "model_id", "manifest_sha256"):
        if prediction.get(key) in (None, ""):
            raise FileFormatError(
                "The prediction lacks a value the structured report needs",
                expected=key,
                found="absent",
                fix="send a prediction saved by this version of HSP Desktop",
                field=key,
            )
    output = prediction.get("output") or {}
    version = str(output.get("model_version") or prediction.get("model_version") or "")
    algo = AlgorithmIdentification(
        name=str(prediction["model_id"])[:64],
        version=version or "unversioned",
        parameters=[f"manifest_sha256={prediction['manifest_sha256']}"],
    )
    percent = CodedConcept("%", "UCUM", "%")
    measurements = [
        Measurement(
            name=CodedConcept(
                "RHSP6M", SCHEME, "Predicted probability of refractory hypersplenism at 6 months"
            ),
            value=round(100.0 * float(prediction["probability"]), 2),
            unit=percent,
            algorithm_id=algo,
        )
    ]
    for key, meaning in (("ci_low", "lower"), ("ci_high", "upper")):
        if prediction.get(key) is not None:
            measurements.append(
                Measurement(
                    name=CodedConcept(
                        f"RHSP6M-CI{meaning[0].upper()}",
                        SCHEME,
                        f"95% CI {meaning} limit of predicted probability",
                    ),
                    value=round(100.0 * float(prediction[key]), 2),
                    unit=percent,
                    algorithm_id=algo,
                )
            )
    features = output.get("features") or {}
    for key, (concept, unit, site) in _key_input_concepts().items():
        value = features.get(key)
        if value is None:
            continue
        measurements.append(
            Measurement(
                name=concept,
                value=float(value),
                unit=unit,
                finding_sites=[FindingSite(site)] if site is not None else None,
            )
        )
    band = str(prediction["band"]).lower()
    evaluation = QualitativeEvaluation(
        name=CodedConcept("RHSPBAND", SCHEME, "Risk band"),
        value=CodedConcept(band.upper(), SCHEME, f"{band} risk"),
    )
    group = MeasurementsAndQualitativeEvaluations(
        tracking_identifier=TrackingIdentifier(
            uid=generate_uid(), identifier="HSP refractory hypersplenism risk"
        ),
        algorithm_id=algo,
        finding_sites=[FindingSite(codes.SCT.Spleen)],
        measurements=measurements,
        qualitative_evaluations=[evaluation],
    )
    context = ObservationContext(
        observer_person_context=ObserverContext(
            observer_type=codes.DCM.Person,
            observer_identifying_attributes=PersonObserverIdentifyingAttributes(name=observer or "unknown"),
        ),
        observer_device_context=ObserverContext(
            observer_type=codes.DCM.Device,
            observer_identifying_attributes=DeviceObserverIdentifyingAttributes(
                uid=generate_uid(),
                name=MANUFACTURER,
                manufacturer_name=MANUFACTURER,
                model_name=version or None,
            ),
        ),
    )
    report = MeasurementReport(
        observation_context=context,
        procedure_reported=codes.LN.CTUnspecifiedBodyRegion,
        imaging_measurements=[group],
    )
    make: Callable[..., Dataset] = Comprehensive3DSR
    with _logged_warnings():
        sr = make(
            evidence=[*source, *extra_evidence],
            content=report,
            series_instance_uid=generate_uid(),
            series_number=SERIES_NUMBERS["sr"],
            sop_instance_uid=generate_uid(),
            instance_number=1,
            manufacturer=MANUFACTURER,
            is_complete=True,
            is_final=False,
            is_verified=False,
            series_description="HSP risk (TID 1500)",
        )
    scheme = Dataset()
    scheme.CodingSchemeDesignator = SCHEME
    scheme.CodingSchemeName = "HSP Desktop local concepts"
    scheme.CodingSchemeResponsibleOrganization = "HSP Desktop"
    sr.CodingSchemeIdentificationSequence = [scheme]
    _deidentification(source[0], sr)
    return sr

"""Write a :class:`~hsp_desktop.domain.CtVolume` as a DICOM CT Image Storage series (one file per slice).

Every UID is derived from the patient id, the seed and the series description, so the same inputs give the same
bytes.  Pixel data are stored unsigned (12 bits used) with ``RescaleIntercept = -1024`` and ``RescaleSlope = 1``:
readers must apply the rescale to get HU, as with most real scanners.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

from hsp_desktop.domain import CtVolume
from hsp_desktop.errors import InputError

__all__ = ["write_dicom_series"]

#: HU stored as ``value + 1024`` in unsigned 16-bit words (12 bits used): -1024 .. 3071 HU.
RESCALE_INTERCEPT = -1024.0
_HU_MIN, _HU_MAX = -1024.0, 3071.0
#: Contrast/Bolus Agent Phase (0018,9344) defined terms for the phases we write.
_PHASE_CODES = {
    "portal venous": "PORTAL_VENOUS",
    "arterial": "ARTERIAL",
    "venous": "VENOUS",
    "delayed": "DELAYED",
    "non-contrast": "PRE_CONTRAST",
}


def _uid(*parts: object) -> str:
    """A deterministic UID under pydicom's root, from the given parts."""
    return generate_uid(entropy_srcs=[repr(p) for p in parts])


def _ds(value: float) -> str:
    """Format a float for a DS element (at most 16 characters, exact for the spacings and positions we use)."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    if len(text) > 16:
        text = f"{value:.10g}"
    return text


def write_dicom_series(
    ct: CtVolume,
    folder: Path,
    *,
    patient_id: str,
    series_description: str = "Portal venous 3mm",
    study_date: str | None = None,
    seed: int = 0,
) -> list[Path]:
    """Write ``ct`` as one CT Image Storage file per slice.

    Parameters
    ----------
    ct : CtVolume
        HU volume; values are rounded to integers and must lie within -1024..3071 HU.
    folder : Path
        Target folder (created).  Files are named ``CT_00001.dcm`` ... in slice order; existing files of the same
        names are replaced.
    patient_id : str
        PatientID and PatientName (synthetic, de-identified); also seeds the UIDs.
    series_description : str
        SeriesDescription; the contrast phase is taken from ``ct.meta["phase"]`` (default portal venous).
    study_date : str, optional
        ``YYYYMMDD`` or ISO ``YYYY-MM-DD``; left empty when not given.
    seed : int
        Mixed into the UIDs so that two cohorts with the same patient ids do not collide.

    Returns
    -------
    list of Path
        The files written, in slice order (first slice = most inferior for an identity direction).

    Raises
    ------
    InputError
        When HU fall outside the storable range, the patient id is empty or the date is malformed.
    """
    if not patient_id or len(patient_id) > 64:
        raise InputError(
            "A DICOM series needs a patient id",
            expected="1-64 characters",
            found=repr(patient_id),
            fix="pass the study id as patient_id",
            field="patient_id",
        )
    date = ""
    if study_date:
        date = study_date.replace("-", "")
        if len(date) != 8 or not date.isdigit():
            raise InputError(
                "study_date is not a date",
                expected="YYYY-MM-DD or YYYYMMDD",
                found=repr(study_date),
                fix="pass the CT date in ISO form",
                field="study_date",
            )
    hu = np.rint(np.asarray(ct.array, dtype=np.float64))
    if hu.ndim != 3 or not np.isfinite(hu).all():
        raise InputError(
            "The CT volume cannot be written as DICOM",
            expected="a finite 3-D array",
            found=f"shape {hu.shape}, finite={bool(np.isfinite(hu).all())}",
            fix="render or read the CT again",
            field="ct",
        )
    lo, hi = float(hu.min()), float(hu.max())
    if lo < _HU_MIN or hi > _HU_MAX:
        raise InputError(
            "CT values outside the range a 12-bit DICOM series stores",
            expected=f"{_HU_MIN:g}..{_HU_MAX:g} HU",
            found=f"{lo:g}..{hi:g} HU",
            fix="clip the volume to the CT range before writing",
            field="ct",
        )
    stored = (hu - RESCALE_INTERCEPT).astype(np.uint16)

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    study_uid = _uid("study", patient_id, seed)
    series_uid = _uid("series", patient_id, seed, series_description)
    frame_uid = _uid("frame", patient_id, seed)
    sx, sy, sz = (float(v) for v in ct.spacing)
    d = np.asarray(ct.direction, dtype=np.float64).reshape(3, 3)
    row_dir, col_dir, normal = d[:, 0], d[:, 1], d[:, 2]
    origin = np.asarray(ct.origin, dtype=np.float64)
    phase = str(ct.meta.get("phase", "portal venous"))
    nz, ny, nx = stored.shape

    paths: list[Path] = []
    written: list[Path] = []
    try:
        for k in range(nz):
            sop_uid = _uid("image", series_uid, k)
            position = origin + k * sz * normal
            meta = FileMetaDataset()
            meta.MediaStorageSOPClassUID = CTImageStorage
            meta.MediaStorageSOPInstanceUID = sop_uid
            meta.TransferSyntaxUID = ExplicitVRLittleEndian
            meta.ImplementationClassUID = _uid("hsp-desktop-writer")
            meta.ImplementationVersionName = "HSP_DESKTOP_1"

            ds = Dataset()
            ds.file_meta = meta
            ds.SpecificCharacterSet = "ISO_IR 100"
            ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
            ds.SOPClassUID = CTImageStorage
            ds.SOPInstanceUID = sop_uid
            ds.StudyDate = date
            ds.SeriesDate = date
            ds.ContentDate = date
            ds.StudyTime = "090000" if date else ""
            ds.SeriesTime = "090000" if date else ""
            ds.AccessionNumber = ""
            ds.Modality = "CT"
            ds.Manufacturer = "HSP Desktop synthetic phantom"
            ds.ReferringPhysicianName = ""
            ds.StudyDescription = "Abdomen CT (synthetic)"
            ds.SeriesDescription = series_description
            ds.PatientName = patient_id
            ds.PatientID = patient_id
            ds.PatientBirthDate = ""
            ds.PatientSex = ""
            ds.PatientIdentityRemoved = "YES"
            ds.ContrastBolusAgent = "Iodinated contrast"
            ds.ContrastBolusRoute = "IV"
            ds.BodyPartExamined = "ABDOMEN"
            ds.SliceThickness = _ds(sz)
            ds.SpacingBetweenSlices = _ds(sz)
            ds.KVP = _ds(float(ct.meta.get("kvp", 120.0)))
            ds.PatientPosition = "FFS"
            ds.StudyInstanceUID = study_uid
            ds.SeriesInstanceUID = series_uid
            ds.StudyID = "1"
            ds.SeriesNumber = 3
            ds.AcquisitionNumber = 1
            ds.InstanceNumber = k + 1
            ds.ImagePositionPatient = [_ds(v) for v in position]
            ds.ImageOrientationPatient = [_ds(v) for v in (*row_dir, *col_dir)]
            ds.FrameOfReferenceUID = frame_uid
            ds.PositionReferenceIndicator = ""
            ds.SliceLocation = _ds(float(position @ normal))
            ds.SamplesPerPixel = 1
            ds.PhotometricInterpretation = "MONOCHROME2"
            ds.Rows = ny
            ds.Columns = nx
            ds.PixelSpacing = [_ds(sy), _ds(sx)]
            ds.BitsAllocated = 16
            ds.BitsStored = 12
            ds.HighBit = 11
            ds.PixelRepresentation = 0
            ds.WindowCenter = "50"
            ds.WindowWidth = "400"
            ds.RescaleIntercept = _ds(RESCALE_INTERCEPT)
            ds.RescaleSlope = "1"
            ds.RescaleType = "HU"
            ds.ContrastBolusAgentPhase = _PHASE_CODES.get(phase.lower(), "POST_CONTRAST")
            ds.ImageComments = f"Contrast phase: {phase}"
            ds.PixelData = np.ascontiguousarray(stored[k]).astype("<u2").tobytes()

            path = folder / f"CT_{k + 1:05d}.dcm"
            part = path.with_suffix(".dcm.part")
            ds.save_as(part, enforce_file_format=True)
            written.append(part)
            paths.append(path)
        for part, path in zip(written, paths, strict=True):
            os.replace(part, path)
    except BaseException:
        for part in written:
            part.unlink(missing_ok=True)
        raise
    return paths

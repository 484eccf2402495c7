"""DICOM CT series: list the series of a folder, read one as a HU volume with its geometry checked.

Slices are sorted by their position along the slice normal (never by file name) and the series is refused, with
the file and the fix named, when slices are missing, unevenly spaced, tilted, oblique, of mixed sizes or without
pixel data.  HU = stored value x RescaleSlope + RescaleIntercept, per slice.

Compressed pixel data are decoded by pydicom's plugins: RLE natively, JPEG 2000 by pylibjpeg-openjpeg, JPEG-LS by
pyjpegls (CharLS).  Chosen over GDCM (python-gdcm) because the same permissively licensed wheels also *encode*
through pydicom 3 (``hsp synth --pacs`` writes lossless RLE / JPEG-LS / JPEG 2000 and lossy JPEG 2000 series with
them), they are pydicom's native decoding path, and GDCM stays available independently inside SimpleITK, which
the tests use to cross-check the HU we decode.  pylibjpeg-libjpeg (GPL-3) is not used, so the old lossless JPEG
process 14 (``1.2.840.10008.1.2.4.57/.70``) is refused with a typed error naming the transfer syntax.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hsp_desktop.domain import CtVolume
from hsp_desktop.errors import FileFormatError, GeometryError, InputError

__all__ = ["SeriesInfo", "dicom_files", "list_dicom_series", "read_dicom_ct", "read_header", "series_phase"]

#: Relative tolerance on slice spacing (and absolute mm floor) before a series counts as non-uniform.
SPACING_RTOL = 0.01
SPACING_ATOL = 0.01
#: Largest allowed |cosine| off the axes before an orientation counts as oblique.
OBLIQUE_TOL = 1e-3

_IMAGE_MODALITIES = {"CT"}


@dataclass(frozen=True)
class SeriesInfo:
    """One series found in a DICOM folder (enough for a person to pick the right one).

    Attributes
    ----------
    series_uid : str
        SeriesInstanceUID, the value to pass to ``read_ct(..., series_uid=...)``.
    description : str
        SeriesDescription (may be empty).
    phase : str
        Contrast phase as far as the headers tell ("portal venous", "arterial", "non-contrast", ... or "unknown").
    modality : str
        CT, SEG, RTSTRUCT, ...
    slice_count : int
        Number of files (instances) in the series.
    series_number, study_uid, patient_id, study_date, rows, columns, slice_thickness_mm
        As in the headers (rows/columns of the first instance).
    files : tuple of Path
        The instances, in file-name order (reading sorts them by position).
    """

    series_uid: str
    description: str
    phase: str
    modality: str
    slice_count: int
    series_number: int | None = None
    study_uid: str = ""
    patient_id: str = ""
    study_date: str = ""
    rows: int | None = None
    columns: int | None = None
    slice_thickness_mm: float | None = None
    files: tuple[Path, ...] = field(default=(), repr=False)
    image_type: tuple[str, ...] = ()
    kernel: str = ""
    contrast_agent: str = ""
    transfer_syntax: str = ""
    lossy: bool = False
    patient_name: str = ""
    birth_date: str = ""
    accession: str = ""
    study_description: str = ""
    frame_of_reference_uid: str = ""
    sop_class_uid: str = ""
    referenced_series_uids: tuple[str, ...] = ()

    @property
    def is_localizer(self) -> bool:
        """True for a topogram/scout (ImageType value 3 LOCALIZER): never a volume to score."""
        return len(self.image_type) > 2 and self.image_type[2].upper() == "LOCALIZER"

    @property
    def scoreable(self) -> bool:
        """A CT image series that may be scored: not a localizer, at least two slices."""
        return self.modality in _IMAGE_MODALITIES and not self.is_localizer and self.slice_count >= 2

    @property
    def compression(self) -> str:
        """How the pixel data are stored: "none", "RLE", "JPEG-LS lossless", ... with "(lossy)" when lossy."""
        name = TRANSFER_SYNTAX_NAMES.get(self.transfer_syntax, self.transfer_syntax or "none")
        return f"{name} (lossy)" if self.lossy and "lossy" not in name else name

    def label(self) -> str:
        """One line for a picker: number, description, phase, slice count."""
        number = f"#{self.series_number} " if self.series_number is not None else ""
        desc = self.description or "(no description)"
        return f"{number}{desc} [{self.modality}, {self.phase}, {self.slice_count} slices]"


#: Transfer syntaxes and whether they are lossy (uncompressed syntaxes are "none").
TRANSFER_SYNTAX_NAMES: dict[str, str] = {
    "1.2.840.10008.1.2": "none",
    "1.2.840.10008.1.2.1": "none",
    "1.2.840.10008.1.2.2": "none",
    "1.2.840.10008.1.2.5": "RLE",
    "1.2.840.10008.1.2.4.80": "JPEG-LS lossless",
    "1.2.840.10008.1.2.4.81": "JPEG-LS near-lossless (lossy)",
    "1.2.840.10008.1.2.4.90": "JPEG 2000 lossless",
    "1.2.840.10008.1.2.4.91": "JPEG 2000 (lossy)",
    "1.2.840.10008.1.2.4.50": "JPEG baseline (lossy)",
    "1.2.840.10008.1.2.4.51": "JPEG extended (lossy)",
    "1.2.840.10008.1.2.4.57": "JPEG lossless",
    "1.2.840.10008.1.2.4.70": "JPEG lossless SV1",
}
LOSSY_TRANSFER_SYNTAXES = frozenset(uid for uid, name in TRANSFER_SYNTAX_NAMES.items() if "lossy" in name)

_PHASE_WORDS: tuple[tuple[str, str], ...] = (
    (r"portal|\bpv\b|\bpvp\b|门脉|门静脉", "portal venous"),
    (r"平扫", "non-contrast"),
    (r"动脉", "arterial"),
    (r"延迟|平衡期", "delayed"),
    (r"静脉", "venous"),
    (r"non[\s_-]*con|unenh|\bplain\b|\bnativ|pre[\s_-]*con|\bnc\b|\bw/o\b|without", "non-contrast"),
    (r"arter|\bart\b|\bap\b", "arterial"),
    (r"delay|equilib|\blate\b", "delayed"),
    (r"venous|\bven\b", "venous"),
)
_PHASE_CODES = {
    "PORTAL_VENOUS": "portal venous",
    "ARTERIAL": "arterial",
    "VENOUS": "venous",
    "DELAYED": "delayed",
    "PRE_CONTRAST": "non-contrast",
    "CAPILLARY": "arterial",
    "STEADY_STATE": "delayed",
}


def series_phase(ds: Any) -> str:
    """Contrast phase of a series from its headers.

    Contrast/Bolus Agent Phase when present, else words of the series description ("PV", "portal", "arterial",
    "delayed", "non-contrast", ...), else "contrast (phase unknown)" when a contrast agent is recorded, else
    "unknown".
    """
    code = str(getattr(ds, "ContrastBolusAgentPhase", "") or "").upper()
    if code in _PHASE_CODES:
        return _PHASE_CODES[code]
    text = f"{getattr(ds, 'SeriesDescription', '')} {getattr(ds, 'ImageComments', '')}".lower()
    for pattern, phase in _PHASE_WORDS:
        if re.search(pattern, text):
            return phase
    if str(getattr(ds, "ContrastBolusAgent", "") or "").strip():
        delay = bolus_delay_s(ds)
        if delay is not None:
            for (lo, hi), phase in _PHASE_DELAYS_S:
                if lo <= delay < hi:
                    return phase
        return "contrast (phase unknown)"
    return "unknown"


#: Delay from ContrastBolusStartTime to AcquisitionTime (seconds) -> phase, when no other clue is present.
_PHASE_DELAYS_S: tuple[tuple[tuple[float, float], str], ...] = (
    ((15.0, 50.0), "arterial"),
    ((50.0, 120.0), "portal venous"),
    ((150.0, 1e9), "delayed"),
)


def _seconds(value: Any) -> float | None:
    text = str(value or "").strip()
    if len(text) < 6 or not text[:6].isdigit():
        return None
    frac = float("0" + text[6:]) if text[6:7] == "." and text[7:].isdigit() else 0.0
    return int(text[:2]) * 3600 + int(text[2:4]) * 60 + int(text[4:6]) + frac


def bolus_delay_s(ds: Any) -> float | None:
    """Seconds from ContrastBolusStartTime (0018,1042) to AcquisitionTime, or None when either is missing."""
    start = _seconds(getattr(ds, "ContrastBolusStartTime", None))
    acq = _seconds(getattr(ds, "AcquisitionTime", None))
    if start is None or acq is None:
        return None
    return acq - start


def dicom_files(folder: Path) -> Iterable[Path]:
    """Regular files under ``folder`` (recursively), sorted, skipping hidden names and DICOMDIR."""
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.name.startswith(".") and path.name.upper() != "DICOMDIR":
            yield path


def read_header(path: Path) -> Any | None:
    """The header of a DICOM file, or None when the file is not DICOM."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        return pydicom.dcmread(path, stop_before_pixels=True)
    except (InvalidDicomError, EOFError, OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _float_or_none(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def list_dicom_series(folder: Path | str) -> list[SeriesInfo]:
    """List every DICOM series in ``folder`` (and below; a DICOMDIR is used when present).

    Parameters
    ----------
    folder : Path or str
        Folder with DICOM files (other files are ignored; see :func:`hsp_desktop.importers.study.scan_export` for
        the files skipped and why).

    Returns
    -------
    list of SeriesInfo
        Sorted by series number, then description.

    Raises
    ------
    InputError
        When the folder does not exist or holds no DICOM file.
    """
    from hsp_desktop.importers.study import scan_folder

    tree = scan_folder(folder)
    out = tree.all_series()
    out.sort(key=lambda s: (s.series_number is None, s.series_number or 0, s.description, s.series_uid))
    return out


def _pick_series(
    folder: Path, series: list[SeriesInfo], series_uid: str | None, series_number: int | None = None
) -> SeriesInfo:
    if series_uid is not None:
        for info in series:
            if info.series_uid == series_uid:
                return _scoreable(folder, info)
        raise InputError(
            f"Series {series_uid} is not in {folder}",
            expected="one of: " + "; ".join(f"{s.series_uid} {s.label()}" for s in series),
            found=series_uid,
            fix="pick a series UID from the list",
            field="series_uid",
        )
    if series_number is not None:
        numbered = [s for s in series if s.series_number == series_number]
        if len(numbered) == 1:
            return _scoreable(folder, numbered[0])
        raise InputError(
            f"{len(numbered)} series numbered {series_number} in {folder}",
            expected="exactly one series with that number: "
            + "; ".join(f"#{s.series_number} {s.description}" for s in series),
            found="; ".join(f"{s.label()} uid={s.series_uid}" for s in numbered) or "none",
            fix="pass the series UID instead (--series UID)" if numbered else "pick a number from the list",
            field="series_number",
        )
    images = [s for s in series if s.modality in _IMAGE_MODALITIES and not s.is_localizer]
    if len(images) > 1:
        images = [s for s in images if s.scoreable] or images
    if not images:
        raise InputError(
            f"No CT series to score in {folder}",
            expected="a CT image series of at least 2 slices (not a localizer)",
            found="; ".join(s.label() for s in series),
            fix="choose the folder holding the CT images (not only the localizer, segmentation or structure set)",
            field=str(folder),
        )
    if len(images) > 1:
        raise InputError(
            f"{folder} holds {len(images)} CT series; choose one",
            expected="one CT series, or a series UID / number",
            found="; ".join(f"{s.label()} uid={s.series_uid}" for s in images),
            fix="pass --series UID or --series-number N (the portal-venous series), or pick it on the Imaging "
            "screen",
            field="series_uid",
        )
    return images[0]


def _scoreable(folder: Path, info: SeriesInfo) -> SeriesInfo:
    if info.is_localizer:
        raise InputError(
            f"Series #{info.series_number} '{info.description}' in {folder} is a localizer (topogram/scout)",
            expected="an axial CT volume",
            found="ImageType " + "\\".join(info.image_type),
            fix="choose the portal-venous series; a localizer is never scored",
            field="series_uid",
        )
    if info.modality not in _IMAGE_MODALITIES:
        raise InputError(
            f"Series #{info.series_number} '{info.description}' in {folder} is not a CT image series",
            expected="modality CT",
            found=f"modality {info.modality}",
            fix="choose the CT series (a SEG or RTSTRUCT is a mask)",
            field="series_uid",
        )
    return info


def _vec(ds: Any, keyword: str, n: int, path: Path) -> np.ndarray:
    value = getattr(ds, keyword, None)
    try:
        arr = np.asarray([float(v) for v in value], dtype=np.float64)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        arr = np.empty(0)
    if arr.shape != (n,) or not np.isfinite(arr).all():
        raise FileFormatError(
            f"{path.name} has no usable {keyword}",
            expected=f"{n} numbers",
            found=repr(value),
            fix="export the series again with complete image geometry (ImagePositionPatient, "
            "ImageOrientationPatient, PixelSpacing)",
            field=str(path),
        )
    return arr


def _fmt(values: Iterable[float], digits: int = 3) -> str:
    parts = []
    for v in values:
        text = f"{v:.{digits}f}".rstrip("0").rstrip(".")
        parts.append("0" if text in ("", "-0") else text)
    return ", ".join(parts)


def read_dicom_ct(
    folder: Path, *, series_uid: str | None = None, series_number: int | None = None
) -> CtVolume:
    """Read a CT series from a DICOM folder into HU with its geometry.

    Parameters
    ----------
    folder : Path
        Folder (searched recursively) holding the series.
    series_uid : str, optional
        Which series, when the folder holds several CT series (see :func:`list_dicom_series`).
    series_number : int, optional
        Or which series by its SeriesNumber (must be unique in the folder).

    Returns
    -------
    CtVolume
        float32 HU, (z, y, x) with z along the slice normal in increasing position; ``meta`` holds series UID,
        description, phase, patient id, study date, slice thickness, kVp, manufacturer.

    Raises
    ------
    FileFormatError
        A slice without pixel data or geometry, or with pixel data that cannot be decoded.
    GeometryError
        Missing slices, non-uniform spacing, gantry tilt, oblique orientation, mixed sizes or duplicates.
    InputError
        No CT series, or several and no ``series_uid``.
    """
    import pydicom

    from hsp_desktop.importers.study import scan_folder

    folder = Path(folder)
    tree = scan_folder(folder)
    info = _pick_series(folder, tree.all_series(), series_uid, series_number)
    skipped = [s for s in tree.skipped if s.reason.startswith(("truncated", "unreadable"))]
    damaged = [s for s in skipped if s.series_uid == info.series_uid]
    if damaged:
        raise FileFormatError(
            f"{damaged[0].path.name} in {folder} cannot be read ({len(damaged)} damaged file(s) in series "
            f"'{info.description or info.series_uid}')",
            expected="complete DICOM files",
            found="; ".join(f"{s.path.name}: {s.reason}" for s in damaged[:5]),
            fix="copy the series again from PACS (the file may be truncated)",
            field=str(damaged[0].path),
        )
    where = f"series '{info.description or info.series_uid}' in {folder}"
    if info.slice_count < 2:
        raise GeometryError(
            f"The {where} has a single slice",
            expected="a 3-D series (at least 2 slices)",
            found="1 slice",
            fix="export the whole axial series, not a single image",
            field=str(folder),
        )

    datasets = []
    for path in info.files:
        try:
            ds = pydicom.dcmread(path)
        except Exception as exc:  # pydicom raises many types for damaged files
            raise FileFormatError(
                f"{path.name} in {folder} cannot be read",
                expected="a complete DICOM file",
                found=f"{type(exc).__name__}: {str(exc)[:120]}",
                fix="copy the series again from PACS (the file may be truncated)",
                field=str(path),
            ) from exc
        if "PixelData" not in ds:
            raise FileFormatError(
                f"{path.name} in {folder} has no pixel data",
                expected="CT images with pixel data",
                found="a header-only DICOM file",
                fix="export the images themselves (not a header-only or presentation-state object)",
                field=str(path),
            )
        datasets.append((path, ds))

    # ---- sizes and in-plane geometry must agree --------------------------------------------------------------
    sizes: dict[tuple[int, int], list[str]] = {}
    for path, ds in datasets:
        sizes.setdefault((int(ds.Rows), int(ds.Columns)), []).append(path.name)
    if len(sizes) > 1:
        found = "; ".join(f"{r}x{c} in {len(n)} file(s), e.g. {n[0]}" for (r, c), n in sizes.items())
        raise GeometryError(
            f"The {where} mixes image sizes",
            expected="every slice the same rows x columns",
            found=found,
            fix="separate the series (a localiser or a second reconstruction is mixed in) or pick the series "
            "by its UID",
            field=str(folder),
        )
    orient0 = _vec(datasets[0][1], "ImageOrientationPatient", 6, datasets[0][0])
    spacing0 = _vec(datasets[0][1], "PixelSpacing", 2, datasets[0][0])
    positions = []
    for path, ds in datasets:
        orient = _vec(ds, "ImageOrientationPatient", 6, path)
        if np.abs(orient - orient0).max() > 1e-4:
            raise GeometryError(
                f"The {where} mixes slice orientations",
                expected=f"every slice oriented ({_fmt(orient0)})",
                found=f"{path.name} oriented ({_fmt(orient)})",
                fix="export a single axial reconstruction",
                field=str(path),
            )
        ps = _vec(ds, "PixelSpacing", 2, path)
        if np.abs(ps - spacing0).max() > 1e-4:
            raise GeometryError(
                f"The {where} mixes pixel spacings",
                expected=f"{_fmt(spacing0)} mm on every slice",
                found=f"{_fmt(ps)} mm in {path.name}",
                fix="export a single reconstruction (same field of view for every slice)",
                field=str(path),
            )
        positions.append(_vec(ds, "ImagePositionPatient", 3, path))
    row_dir, col_dir = orient0[:3], orient0[3:]
    normal = np.cross(row_dir, col_dir)
    if abs(float(np.linalg.norm(normal)) - 1.0) > 1e-3 or abs(float(row_dir @ col_dir)) > 1e-3:
        raise FileFormatError(
            f"The {where} has an invalid ImageOrientationPatient",
            expected="two orthogonal unit vectors",
            found=f"({_fmt(orient0)})",
            fix="export the series again from the scanner or PACS",
            field=str(datasets[0][0]),
        )
    off_axis = [v for v in (*row_dir, *col_dir) if OBLIQUE_TOL < abs(v) < 1.0 - OBLIQUE_TOL]
    if off_axis:
        raise GeometryError(
            f"The {where} is oblique",
            expected="axial slices aligned with the patient axes",
            found=f"ImageOrientationPatient ({_fmt(orient0, 4)})",
            fix="reconstruct or reformat the series to true axial on the scanner or PACS before import",
            field=str(folder),
        )
    tilt = _float_or_none(getattr(datasets[0][1], "GantryDetectorTilt", None)) or 0.0

    # ---- sort along the normal, then check spacing ------------------------------------------------------------
    pos = np.asarray(positions)
    along = pos @ normal
    order = np.argsort(along, kind="stable")
    datasets = [datasets[i] for i in order]
    pos = pos[order]
    along = along[order]
    steps = np.diff(along)
    names = [p.name for p, _ in datasets]
    dup = np.flatnonzero(np.abs(steps) < SPACING_ATOL)
    if dup.size:
        i = int(dup[0])
        raise GeometryError(
            f"The {where} has two slices at the same position",
            expected="one slice per position",
            found=f"{names[i]} and {names[i + 1]} both at {along[i]:.2f} mm",
            fix="the folder mixes two series or repeats files: pick the series by UID or remove the duplicates",
            field=str(folder),
        )
    # in-plane drift between consecutive slices = gantry tilt
    drift = pos[1:] - pos[:-1] - np.outer(steps, normal)
    drift_mm = np.linalg.norm(drift, axis=1)
    if abs(tilt) > 0.01 or drift_mm.max() > max(SPACING_ATOL, 0.01 * float(np.median(steps))):
        angle = tilt if abs(tilt) > 0.01 else float(np.degrees(np.arctan2(drift_mm.max(), np.median(steps))))
        raise GeometryError(
            f"The {where} was acquired with gantry tilt",
            expected="0 degrees tilt (slice positions along the slice normal)",
            found=f"about {angle:.1f} degrees",
            fix="reconstruct the series without tilt (or resample it to an orthogonal grid in PACS) before import",
            field=str(folder),
        )
    step = float(np.median(steps))
    bad = np.flatnonzero(np.abs(steps - step) > max(SPACING_ATOL, SPACING_RTOL * step))
    if bad.size:
        ratios = steps[bad] / step
        if np.all(np.abs(ratios - np.rint(ratios)) < 0.05) and np.all(ratios > 1.5):
            missing = int(np.sum(np.rint(ratios) - 1))
            gaps = ", ".join(f"between {names[i]} and {names[i + 1]} ({steps[i]:.2f} mm)" for i in bad[:5])
            raise GeometryError(
                f"The {where} is missing {missing} slice(s)",
                expected=f"slices every {step:.2f} mm",
                found=f"gap(s) {gaps}",
                fix="copy the complete series again from PACS",
                field=str(folder),
            )
        found = ", ".join(f"{steps[i]:.2f} mm between {names[i]} and {names[i + 1]}" for i in bad[:5])
        raise GeometryError(
            f"The {where} has non-uniform slice spacing",
            expected=f"every slice {step:.2f} mm apart",
            found=found,
            fix="reconstruct the series with constant spacing (or pick the uniform reconstruction)",
            field=str(folder),
        )

    # ---- pixels to HU ---------------------------------------------------------------------------------------
    rows, cols = next(iter(sizes))
    hu = np.empty((len(datasets), rows, cols), dtype=np.float32)
    for k, (path, ds) in enumerate(datasets):
        try:
            pixels = ds.pixel_array
        except Exception as exc:  # decoder missing or damaged data
            raise FileFormatError(
                f"The pixel data of {path.name} cannot be decoded",
                expected="uncompressed or decodable pixel data",
                found=f"transfer syntax {ds.file_meta.get('TransferSyntaxUID', '?')} "
                f"({type(exc).__name__}: {str(exc)[:100]})",
                fix="export the series uncompressed (Explicit VR Little Endian) or copy it again",
                field=str(path),
            ) from exc
        if pixels.shape != (rows, cols):
            raise FileFormatError(
                f"{path.name} does not hold one grey-scale image",
                expected=f"{rows}x{cols} pixels",
                found=f"array of shape {pixels.shape}",
                fix="export single-frame grey-scale CT images",
                field=str(path),
            )
        slope = _float_or_none(getattr(ds, "RescaleSlope", None))
        intercept = _float_or_none(getattr(ds, "RescaleIntercept", None))
        slope = 1.0 if slope is None else slope
        intercept = 0.0 if intercept is None else intercept
        hu[k] = pixels.astype(np.float64) * slope + intercept

    first = datasets[0][1]
    direction = (
        float(row_dir[0]),
        float(col_dir[0]),
        float(normal[0]),
        float(row_dir[1]),
        float(col_dir[1]),
        float(normal[1]),
        float(row_dir[2]),
        float(col_dir[2]),
        float(normal[2]),
    )
    meta = {
        "format": "DICOM",
        "series_uid": info.series_uid,
        "study_uid": info.study_uid,
        "frame_of_reference_uid": str(getattr(first, "FrameOfReferenceUID", "") or ""),
        "description": info.description,
        "phase": info.phase,
        "patient_id": info.patient_id,
        "study_date": info.study_date,
        "slice_thickness_mm": info.slice_thickness_mm,
        "kvp": _float_or_none(getattr(first, "KVP", None)),
        "manufacturer": str(getattr(first, "Manufacturer", "") or ""),
        "files": len(datasets),
        "sop_instance_uids": [str(ds.SOPInstanceUID) for _, ds in datasets],
        "paths": [str(path) for path, _ in datasets],
        "series_number": info.series_number,
        "patient_name": info.patient_name,
        "birth_date": info.birth_date,
        "accession": info.accession,
        "kernel": info.kernel,
        "transfer_syntax": info.transfer_syntax,
        "compression": info.compression,
        "lossy": info.lossy,
        "lossy_ratio": str(getattr(first, "LossyImageCompressionRatio", "") or ""),
        "lossy_method": str(getattr(first, "LossyImageCompressionMethod", "") or ""),
        "skipped_files": [f"{s.path.name}: {s.reason}" for s in skipped],
    }
    return CtVolume(
        array=hu,
        spacing=(float(spacing0[1]), float(spacing0[0]), step),
        origin=(float(pos[0][0]), float(pos[0][1]), float(pos[0][2])),
        direction=direction,
        source=str(folder),
        meta=meta,
    )

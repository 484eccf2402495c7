"""A PACS/CD export as a patient -> study -> series tree (plain data, no Qt), and the series preselection rule.

``scan_export(folder)`` is a generator: it yields :class:`~hsp_desktop.domain.Progress` while it reads the headers
and returns a :class:`StudyTree`.  A :class:`TreeBuilder` collects series as they are found, so a window can show
the first series long before the scan ends (``builder.snapshot()`` is thread-safe).  When the folder holds a
``DICOMDIR``, its records name the files to read (and nothing else is read); otherwise every regular file is tried.
Files that are not DICOM, and DICOM files that are truncated, are reported by name in ``StudyTree.skipped`` rather
than dropped silently.

The tree is plain data so that other sources (a C-FIND answer, a registry) can fill it the same way:
:meth:`TreeBuilder.add_series` takes finished :class:`~hsp_desktop.importers.dicom.SeriesInfo` records.

Preselection rule (:func:`preselect`), documented for the clinician:

1. candidates are CT image series that are not localizers (ImageType value 3 ``LOCALIZER``) and have >= 2 slices;
2. only a **portal-venous** candidate is ever preselected (phase from ContrastBolusAgentPhase, the series
   description in English or Chinese, or the bolus delay 50-120 s);
3. among several portal-venous series: ORIGINAL before DERIVED/SECONDARY, a soft-tissue kernel before a sharp one
   (bone/lung, B60 and above), a slice thickness inside 0.5-5 mm before one outside, then the thinnest, then the
   lowest series number;
4. without a portal-venous candidate nothing is preselected: the user must choose.
"""

from __future__ import annotations

import os
import re
import struct
import threading
import warnings
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hsp_desktop.domain import Progress
from hsp_desktop.errors import InputError
from hsp_desktop.importers.dicom import (
    LOSSY_TRANSFER_SYNTAXES,
    SeriesInfo,
    _float_or_none,
    _int_or_none,
    series_phase,
)

__all__ = [
    "PRESELECTION_RULE",
    "PatientNode",
    "SkippedFile",
    "StudyNode",
    "StudyTree",
    "TreeBuilder",
    "kernel_is_sharp",
    "preselect",
    "read_instance",
    "scan_export",
    "scan_folder",
]

PRESELECTION_RULE = (
    "Preselected: the portal-venous CT series (never a localizer); among several, ORIGINAL before DERIVED, "
    "soft-tissue kernel before sharp, slice thickness 0.5-5 mm, then the thinnest, then the lowest series number. "
    "Without a portal-venous series nothing is preselected."
)

_SHARP_KERNEL = re.compile(
    r"bone|lung|sharp|detail|edge|\bb[6-9]\d|\bbr[6-9]\d|\bfc[5-9]\d|\by[ds]?shar", re.I
)


def kernel_is_sharp(kernel: str) -> bool:
    """True for a bone/lung/sharp reconstruction kernel (Siemens B60f-B80f, 'BONE', 'LUNG', ...)."""
    return bool(_SHARP_KERNEL.search(kernel))


@dataclass(frozen=True)
class SkippedFile:
    """A file the scan did not use, and why ("not DICOM", "truncated: ...", "no SeriesInstanceUID")."""

    path: Path
    reason: str
    series_uid: str = ""


@dataclass(frozen=True)
class StudyNode:
    """One study of a patient."""

    study_uid: str
    study_date: str
    accession: str
    description: str
    series: tuple[SeriesInfo, ...]


@dataclass(frozen=True)
class PatientNode:
    """One patient of an export (PatientID, name as decoded from its character set, birth date)."""

    patient_id: str
    name: str
    birth_date: str
    studies: tuple[StudyNode, ...]


@dataclass(frozen=True)
class StudyTree:
    """Everything a scan found.

    Attributes
    ----------
    root : Path
        The folder scanned.
    patients : tuple of PatientNode
        Sorted by patient id; studies by date; series by number.
    skipped : tuple of SkippedFile
        Files not used, with the reason (never silently dropped).
    files_seen : int
        Files looked at.
    dicomdir : bool
        True when a DICOMDIR named the files.
    """

    root: Path
    patients: tuple[PatientNode, ...]
    skipped: tuple[SkippedFile, ...] = ()
    files_seen: int = 0
    dicomdir: bool = False

    def all_series(self) -> list[SeriesInfo]:
        """Every series of every study of every patient, in tree order."""
        return [s for p in self.patients for st in p.studies for s in st.series]

    def find(self, series_uid: str) -> SeriesInfo | None:
        """The series with this SeriesInstanceUID, or None."""
        return next((s for s in self.all_series() if s.series_uid == series_uid), None)

    def by_number(self, number: int) -> list[SeriesInfo]:
        """The series with this SeriesNumber (several when several studies are present)."""
        return [s for s in self.all_series() if s.series_number == number]

    def candidates(self) -> list[SeriesInfo]:
        """Series that may be scored (CT, not a localizer, >= 2 slices)."""
        return [s for s in self.all_series() if s.scoreable]

    def masks(self) -> list[SeriesInfo]:
        """DICOM SEG and RTSTRUCT objects of the export."""
        return [s for s in self.all_series() if s.modality in ("SEG", "RTSTRUCT")]

    def preselected(self, patient_id: str | None = None) -> SeriesInfo | None:
        """The series :func:`preselect` chooses for one patient (None when no portal-venous series).

        With several patients in the export the patient must be named: nothing is preselected otherwise.
        """
        if patient_id is None:
            if len(self.patients) != 1:
                return None
            patient_id = self.patients[0].patient_id
        return preselect(s for s in self.all_series() if s.patient_id == patient_id)


def _preference(s: SeriesInfo) -> tuple[int, int, int, float, int]:
    derived = int(any(v.upper() in ("DERIVED", "SECONDARY") for v in s.image_type[:2]))
    thickness = s.slice_thickness_mm if s.slice_thickness_mm is not None else 99.0
    outside = int(not 0.5 <= thickness <= 5.0)
    return derived, int(kernel_is_sharp(s.kernel)), outside, thickness, s.series_number or 0


def preselect(series: Iterable[SeriesInfo]) -> SeriesInfo | None:
    """The portal-venous CT series to preselect, by the documented rule (module docstring); None when none."""
    portal = [s for s in series if s.scoreable and s.phase == "portal venous"]
    if not portal:
        return None
    return min(portal, key=_preference)


# ------------------------------------------------------------------------------------------------- reading
_HEADER_WARNINGS = re.compile(r"end of file|truncat|expected|delimiter|length", re.I)


def read_instance(path: Path) -> tuple[Any | None, str | None]:
    """Read one file's dataset (pixel data kept raw, not decoded) and say whether it is complete.

    Returns
    -------
    (dataset, None) for a complete DICOM file; (None, reason) for a file that is not DICOM or is truncated.
    """
    ds, problem = _read_instance(path)
    return ds, problem


def _series_uid_of(path: Path) -> str:
    """The SeriesInstanceUID of a damaged file when its header can still be read, else ""."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=["SeriesInstanceUID"])
    except (
        InvalidDicomError,
        EOFError,
        OSError,
        ValueError,
        TypeError,
        KeyError,
        AttributeError,
        struct.error,
    ):
        return ""
    return str(getattr(ds, "SeriesInstanceUID", "") or "")


def _read_instance(path: Path) -> tuple[Any | None, str | None]:
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ds = pydicom.dcmread(path)
    except InvalidDicomError:
        return None, "not DICOM"
    except (EOFError, OSError, ValueError, TypeError, KeyError, AttributeError, struct.error) as exc:
        return None, f"unreadable ({type(exc).__name__}: {str(exc)[:80]})"
    for w in caught:
        if _HEADER_WARNINGS.search(str(w.message)):
            return None, f"truncated ({str(w.message)[:80]})"
    if "SeriesInstanceUID" not in ds:
        return None, "no SeriesInstanceUID"
    if "PixelData" in ds and not _pixel_data_complete(ds):
        return None, "truncated (pixel data shorter than rows x columns x bits)"
    return ds, None


def _pixel_data_complete(ds: Any) -> bool:
    ts = str(getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", "") or "")
    if ts not in ("1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2", ""):
        return True  # encapsulated: a cut stream is caught by the missing delimiter warning
    need = (
        (_int_or_none(getattr(ds, "Rows", 0)) or 0)
        * (_int_or_none(getattr(ds, "Columns", 0)) or 0)
        * (_int_or_none(getattr(ds, "SamplesPerPixel", 1)) or 1)
        * (_int_or_none(getattr(ds, "NumberOfFrames", 1)) or 1)
        * ((_int_or_none(getattr(ds, "BitsAllocated", 16)) or 16) // 8)
    )
    return len(ds.PixelData) >= need


def _text(ds: Any, keyword: str) -> str:
    value = getattr(ds, keyword, "")
    return str(value or "").strip()


def _referenced_series(ds: Any) -> tuple[str, ...]:
    uids = [str(item.SeriesInstanceUID) for item in getattr(ds, "ReferencedSeriesSequence", []) or []]
    for ref in getattr(ds, "ReferencedFrameOfReferenceSequence", []) or []:
        for study in getattr(ref, "RTReferencedStudySequence", []) or []:
            for series in getattr(study, "RTReferencedSeriesSequence", []) or []:
                uids.append(str(series.SeriesInstanceUID))
    return tuple(dict.fromkeys(uids))


def series_info(first: Any, files: Iterable[Path]) -> SeriesInfo:
    """A :class:`SeriesInfo` from the first instance's header and the series' files."""
    files = tuple(files)
    lossy_flag = _text(first, "LossyImageCompression") == "01"
    ts = str(getattr(getattr(first, "file_meta", None), "TransferSyntaxUID", "") or "")
    image_type = tuple(str(v) for v in (getattr(first, "ImageType", None) or ()))
    kernel = getattr(first, "ConvolutionKernel", "") or ""
    if not isinstance(kernel, str):
        kernel = "\\".join(str(k) for k in kernel)
    for_uid = _text(first, "FrameOfReferenceUID")
    if not for_uid:
        refs = getattr(first, "ReferencedFrameOfReferenceSequence", []) or []
        for_uid = next((str(r.FrameOfReferenceUID) for r in refs if "FrameOfReferenceUID" in r), "")
    return SeriesInfo(
        series_uid=str(first.SeriesInstanceUID),
        description=_text(first, "SeriesDescription"),
        phase=series_phase(first),
        modality=_text(first, "Modality"),
        slice_count=len(files),
        series_number=_int_or_none(getattr(first, "SeriesNumber", None)),
        study_uid=_text(first, "StudyInstanceUID"),
        patient_id=_text(first, "PatientID"),
        study_date=_text(first, "StudyDate"),
        rows=_int_or_none(getattr(first, "Rows", None)),
        columns=_int_or_none(getattr(first, "Columns", None)),
        slice_thickness_mm=_float_or_none(getattr(first, "SliceThickness", None)),
        files=files,
        image_type=image_type,
        kernel=str(kernel),
        contrast_agent=_text(first, "ContrastBolusAgent"),
        transfer_syntax=ts,
        lossy=lossy_flag or ts in LOSSY_TRANSFER_SYNTAXES,
        patient_name=_text(first, "PatientName"),
        birth_date=_text(first, "PatientBirthDate"),
        accession=_text(first, "AccessionNumber"),
        study_description=_text(first, "StudyDescription"),
        frame_of_reference_uid=for_uid,
        sop_class_uid=_text(first, "SOPClassUID"),
        referenced_series_uids=_referenced_series(first),
    )


class TreeBuilder:
    """Collects instances (or finished series) and builds :class:`StudyTree` snapshots; thread-safe."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._lock = threading.Lock()
        self._first: dict[str, Any] = {}
        self._files: dict[str, list[Path]] = {}
        self._done: dict[str, SeriesInfo] = {}
        self._skipped: list[SkippedFile] = []
        self.files_seen = 0
        self.dicomdir = False

    def add_instance(self, path: Path, ds: Any) -> None:
        """One DICOM instance (header is enough)."""
        uid = str(ds.SeriesInstanceUID)
        with self._lock:
            self._first.setdefault(uid, ds)
            self._files.setdefault(uid, []).append(path)
            self._done.pop(uid, None)

    def add_series(self, info: SeriesInfo) -> None:
        """A finished series record (e.g. from a C-FIND answer)."""
        with self._lock:
            self._done[info.series_uid] = info

    def skip(self, path: Path, reason: str, series_uid: str = "") -> None:
        """Report a file that is not used (with the series it belongs to, when its header says)."""
        with self._lock:
            self._skipped.append(SkippedFile(path, reason, series_uid))

    @property
    def series_count(self) -> int:
        """Series found so far."""
        with self._lock:
            return len(set(self._first) | set(self._done))

    def snapshot(self) -> StudyTree:
        """The tree as found so far."""
        with self._lock:
            infos = dict(self._done)
            for uid, ds in self._first.items():
                if uid not in infos:
                    infos[uid] = series_info(ds, sorted(self._files[uid]))
                    self._done[uid] = infos[uid]
            skipped = tuple(self._skipped)
            seen = self.files_seen
        return _tree(self.root, list(infos.values()), skipped, seen, self.dicomdir)


def _tree(
    root: Path, infos: list[SeriesInfo], skipped: tuple[SkippedFile, ...], seen: int, dicomdir: bool
) -> StudyTree:
    patients: dict[str, dict[str, list[SeriesInfo]]] = {}
    for info in infos:
        patients.setdefault(info.patient_id, {}).setdefault(info.study_uid, []).append(info)
    nodes = []
    for pid, studies in sorted(patients.items()):
        study_nodes = []
        for suid, series in studies.items():
            series.sort(
                key=lambda s: (s.series_number is None, s.series_number or 0, s.description, s.series_uid)
            )
            first = series[0]
            study_nodes.append(
                StudyNode(suid, first.study_date, first.accession, first.study_description, tuple(series))
            )
        study_nodes.sort(key=lambda st: (st.study_date, st.study_uid))
        first_series = study_nodes[0].series[0]
        nodes.append(PatientNode(pid, first_series.patient_name, first_series.birth_date, tuple(study_nodes)))
    return StudyTree(Path(root), tuple(nodes), skipped, seen, dicomdir)


def _dicomdir_files(dicomdir: Path) -> list[Path] | None:
    """Files named by the image/SEG/RTSTRUCT records of a DICOMDIR, or None when it cannot be read."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        ds = pydicom.dcmread(dicomdir)
        records = ds.DirectoryRecordSequence
    except (InvalidDicomError, EOFError, OSError, ValueError, AttributeError, struct.error):
        return None  # a damaged DICOMDIR: the caller reports it and reads every file instead
    out = []
    for rec in records:
        ref = getattr(rec, "ReferencedFileID", None)
        if ref is None:
            continue
        parts = [str(ref)] if isinstance(ref, str) else [str(p) for p in ref]
        out.append(dicomdir.parent.joinpath(*parts))
    return out


def _regular_files(folder: Path) -> list[Path]:
    out = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith(".") and name.upper() != "DICOMDIR":
                out.append(Path(dirpath) / name)
    return out


def scan_export(
    folder: Path | str,
    builder: TreeBuilder | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Generator[Progress, None, StudyTree]:
    """Scan a PACS/CD export folder into a :class:`StudyTree`, yielding progress every few files.

    Parameters
    ----------
    folder : Path or str
        The export (a DICOMDIR at its top is used when present).
    builder : TreeBuilder, optional
        Receives the series as they are found (pass one to show a partial tree while scanning).
    cancelled : callable, optional
        Polled between files; the scan stops early and returns what it found.

    Raises
    ------
    InputError
        The folder does not exist, or holds no DICOM file (the skipped files are listed).
    """
    root = Path(folder)
    if not root.is_dir():
        raise InputError(
            f"The DICOM folder {root} does not exist",
            expected="a folder of DICOM files (a PACS or CD export)",
            found="no such folder",
            fix="check the path",
            field=str(root),
        )
    b = builder or TreeBuilder(root)
    dicomdir = next((p for p in (root / "DICOMDIR", root / "dicomdir") if p.is_file()), None)
    files: list[Path] | None = None
    if dicomdir is not None:
        files = _dicomdir_files(dicomdir)
        if files is None:
            b.skip(dicomdir, "DICOMDIR unreadable; every file was read instead")
        else:
            b.dicomdir = True
            for missing in [p for p in files if not p.is_file()]:
                b.skip(missing, "named in the DICOMDIR but missing")
            files = [p for p in files if p.is_file()]
    if files is None:
        files = _regular_files(root)
    total = max(len(files), 1)
    yield Progress("scan", 0.0, f"{len(files)} files")
    listed = 0
    for i, path in enumerate(files):
        if cancelled is not None and cancelled():
            break
        ds, problem = read_instance(path)
        b.files_seen += 1
        if ds is None:
            reason = problem or "unreadable"
            b.skip(path, reason, _series_uid_of(path) if reason != "not DICOM" else "")
        else:
            b.add_instance(path, ds)
        found = b.series_count
        if i % 16 == 15 or i == len(files) - 1 or found != listed:
            listed = found  # a new series is reported at once, so a window lists it before the scan ends
            yield Progress("scan", (i + 1) / total, f"{i + 1}/{len(files)} files, {found} series")
    tree = b.snapshot()
    if not tree.patients:
        raise InputError(
            f"No DICOM files in {root}",
            expected="a folder holding a DICOM series",
            found="no readable DICOM file"
            + (
                f"; skipped: {', '.join(s.path.name + ' (' + s.reason + ')' for s in tree.skipped[:5])}"
                if tree.skipped
                else ""
            ),
            fix="choose the folder that holds the CT series (or the DICOM export's subfolder)",
            field=str(root),
        )
    return tree


def scan_folder(folder: Path | str) -> StudyTree:
    """:func:`scan_export` run to the end (no progress)."""
    gen = scan_export(folder)
    while True:
        try:
            next(gen)
        except StopIteration as stop:
            tree: StudyTree = stop.value
            return tree

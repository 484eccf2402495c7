"""``hsp synth --pacs``: PACS-style study exports as messy as real ones, with ground truth.

For the first eligible recipients of a small synthetic cohort (tables written as ``hsp synth`` writes them) this
writes, under ``DIR/pacs/``:

* ``A_<id>/``  a DICOMDIR export (``DICOMDIR`` + ``DICOM/PT*/ST*/SE*/IM*``, file names without extension):
  topogram (LOCALIZER), unenhanced (RLE), arterial (JPEG-LS lossless), portal-venous B30f (uncompressed, the
  right series), portal-venous B70f (sharp kernel, DERIVED), delayed (JPEG 2000 lossless, its last file
  truncated), and a DICOM SEG drawn on the portal-venous series with the liver as segment 1; patient name in
  ``ISO_IR 192``;
* ``B_<id>/``  a flat folder (no DICOMDIR), Chinese series descriptions, the portal-venous series JPEG 2000
  lossless, patient name in ``GB18030``;
* ``C_<id>/``  a flat folder whose portal-venous series is lossy JPEG 2000 (``LossyImageCompression = 01``);
* ``D_two_patients/``  the portal-venous series of recipients A and B in one folder;
* ``masks/<id>/``  the masks as other tools write them: ``seg_liver_first`` (DICOM SEG, no extension),
  ``seg_other_patient`` (a SEG drawn on another recipient's series), ``rtstruct.dcm`` (ROI order liver, spleen),
  ``totalseg.nii.gz`` + ``totalseg.json`` (TotalSegmentator-style multi-label map and its label table),
  ``slicer.seg.nrrd`` (3D Slicer segment header keys), ``itksnap.nii.gz`` + ``itksnap.txt`` (ITK-SNAP label
  descriptions), ``right_side.nii.gz`` (spleen mirrored onto the patient's right);
* ``ground_truth.json``  which series and which segment is right for each export and mask, the identity of each
  recipient (MRN, name, birth date) and what each case must produce.

The portal-venous series holds exactly the HU of the rendered CT (also written as ``ct_pv.nii.gz``), so readers
can be checked against it.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (
    JPEG2000,
    UID,
    CTImageStorage,
    ExplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGLSLossless,
    RLELossless,
    generate_uid,
)

from hsp_desktop.domain import CtVolume, LabelMap, Progress
from hsp_desktop.errors import InputError

__all__ = ["PACS_NAMES", "write_pacs_exports"]

#: Chinese names of the synthetic patients: (alphabetic, ideographic) PN component groups and the plain name.
PACS_NAMES: tuple[tuple[str, str, str], ...] = (
    ("Zhang^Wei", "张^伟", "张伟"),
    ("Wang^Fang", "王^芳", "王芳"),
    ("Li^Na", "李^娜", "李娜"),
)
_CHARSETS = ("ISO_IR 192", "GB18030", "ISO_IR 192")
#: TotalSegmentator v2 "total" task: a few of its labels (1 spleen, 5 liver among others).
TOTALSEG_LABELS = {1: "spleen", 2: "kidney_right", 3: "kidney_left", 4: "gallbladder", 5: "liver", 7: "aorta"}


def _uid(*parts: object) -> UID:
    return generate_uid(entropy_srcs=[repr(p) for p in parts])


def _ds(value: float) -> str:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _time(seconds: float) -> str:
    s = round(seconds)
    return f"{s // 3600:02d}{(s // 60) % 60:02d}{s % 60:02d}"


def _phase_volume(ct: CtVolume, mask: LabelMap, phase: str, rng: np.random.Generator) -> np.ndarray:
    """HU of another contrast phase derived from the portal-venous CT (organs shifted, fresh noise)."""
    hu = np.asarray(ct.array, dtype=np.float64).copy()
    spleen, liver = mask.array == 1, mask.array == 2
    if phase == "portal venous":
        return hu
    soft = (hu > 60) & ~spleen & ~liver
    if phase == "non-contrast":
        hu[spleen] -= 70.0
        hu[liver] -= 45.0
        hu[soft] -= 60.0
    elif phase == "arterial":
        _, yy, xx = np.indices(hu.shape)
        hu[spleen] += (35.0 * np.sign(np.sin(xx / 3.0 + yy / 4.0)) - 15.0)[spleen]
        hu[liver] -= 35.0
        hu[soft] += 80.0
    elif phase == "delayed":
        hu[spleen] -= 35.0
        hu[liver] -= 20.0
    hu += rng.normal(0.0, 4.0, hu.shape)
    return np.clip(np.rint(hu), -1024.0, 3071.0)


class _Patient:
    def __init__(self, sid: str, index: int, ct_date: str, age: int, seed: int) -> None:
        self.sid = sid
        self.mrn = f"{31000000 + 7919 * (index + 1)}"
        alpha, ideo, plain = PACS_NAMES[index % len(PACS_NAMES)]
        self.pn = f"{alpha}={ideo}"
        self.name = plain
        self.charset = _CHARSETS[index % len(_CHARSETS)]
        date = dt.date.fromisoformat(ct_date)
        self.birth = date.replace(year=date.year - age) - dt.timedelta(days=37)
        self.study_date = date.strftime("%Y%m%d")
        self.study_uid = _uid("study", sid, seed)
        self.frame_uid = _uid("frame", sid, seed)
        self.accession = f"A{self.mrn[-6:]}{index}"

    def identity(self) -> dict[str, Any]:
        return {
            "mrn": self.mrn,
            "name": self.name,
            "dicom_name": self.pn,
            "charset": self.charset,
            "birth_date": self.birth.isoformat(),
            "study_date": self.study_date,
        }


def _base(p: _Patient, ct: CtVolume, *, number: int, description: str, phase: str, kernel: str) -> Dataset:
    ds = Dataset()
    ds.SpecificCharacterSet = p.charset
    ds.SOPClassUID = CTImageStorage
    ds.StudyDate = ds.SeriesDate = ds.AcquisitionDate = ds.ContentDate = p.study_date
    ds.StudyTime = "091500"
    ds.AccessionNumber = p.accession
    ds.Modality = "CT"
    ds.Manufacturer = "HSP Desktop synthetic PACS"
    ds.ReferringPhysicianName = ""
    ds.StudyDescription = "CT Abdomen 3-phase"
    ds.SeriesDescription = description
    ds.PatientName = p.pn
    ds.PatientID = p.mrn
    ds.PatientBirthDate = p.birth.strftime("%Y%m%d")
    ds.PatientSex = ""
    ds.BodyPartExamined = "ABDOMEN"
    ds.ConvolutionKernel = kernel
    ds.KVP = "120"
    ds.PatientPosition = "FFS"
    if phase != "non-contrast":
        ds.ContrastBolusAgent = "Iohexol 350"
        ds.ContrastBolusRoute = "IV"
        ds.ContrastBolusStartTime = _time(9 * 3600 + 20 * 60)
    delay = {"arterial": 35.0, "portal venous": 70.0, "delayed": 240.0}.get(phase, -120.0)
    ds.AcquisitionTime = _time(9 * 3600 + 20 * 60 + delay)
    ds.StudyInstanceUID = p.study_uid
    ds.SeriesInstanceUID = _uid("series", p.sid, number, description)
    ds.StudyID = "1"
    ds.SeriesNumber = number
    ds.FrameOfReferenceUID = p.frame_uid
    ds.PositionReferenceIndicator = ""
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 1
    ds.RescaleIntercept = "0"
    ds.RescaleSlope = "1"
    ds.RescaleType = "HU"
    ds.WindowCenter = "50"
    ds.WindowWidth = "400"
    return ds


def _save(ds: Dataset, path: Path, syntax: UID, array: np.ndarray, **encode: Any) -> None:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = _uid("hsp-desktop-pacs-writer")
    ds.file_meta = meta
    ds.PixelData = np.ascontiguousarray(array).astype("<i2").tobytes()
    if syntax != ExplicitVRLittleEndian:
        ds.compress(syntax, array, **encode)
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)


def _write_series(
    folder: Path,
    p: _Patient,
    ct: CtVolume,
    hu: np.ndarray,
    *,
    number: int,
    description: str,
    phase: str,
    kernel: str = "B30f",
    syntax: UID = ExplicitVRLittleEndian,
    derived: bool = False,
    lossy_ratio: float | None = None,
) -> dict[str, Any]:
    """One axial series, one file per slice, named ``IM<number><slice>`` without extension."""
    nz, ny, nx = hu.shape
    sx, sy, sz = (float(v) for v in ct.spacing)
    origin = np.asarray(ct.origin, dtype=np.float64)
    base = _base(p, ct, number=number, description=description, phase=phase, kernel=kernel)
    base.ImageType = ["DERIVED", "SECONDARY", "AXIAL"] if derived else ["ORIGINAL", "PRIMARY", "AXIAL"]
    base.SliceThickness = _ds(sz)
    base.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
    base.Rows, base.Columns = ny, nx
    base.PixelSpacing = [_ds(sy), _ds(sx)]
    encode: dict[str, Any] = {}
    if lossy_ratio is not None:
        base.LossyImageCompression = "01"
        base.LossyImageCompressionRatio = _ds(lossy_ratio)
        base.LossyImageCompressionMethod = "ISO_15444_1"
        encode = {"j2k_cr": [lossy_ratio]}
    files = []
    stored = np.rint(hu).astype(np.int16)
    for k in range(nz):
        ds = Dataset()
        ds.update(base)
        ds.SOPInstanceUID = _uid("image", base.SeriesInstanceUID, k)
        ds.InstanceNumber = k + 1
        position = origin + np.array([0.0, 0.0, k * sz])
        ds.ImagePositionPatient = [_ds(v) for v in position]
        ds.SliceLocation = _ds(float(position[2]))
        path = folder / f"IM{number:02d}{k:04d}"
        _save(ds, path, syntax, stored[k], **encode)
        files.append(path)
    return {
        "uid": str(base.SeriesInstanceUID),
        "number": number,
        "description": description,
        "phase": phase,
        "kernel": kernel,
        "transfer_syntax": str(syntax),
        "lossy": lossy_ratio is not None,
        "slices": nz,
        "files": files,
    }


def _write_topogram(folder: Path, p: _Patient, ct: CtVolume) -> dict[str, Any]:
    """A coronal projection image flagged LOCALIZER (one slice, another size)."""
    hu = np.asarray(ct.array, dtype=np.float64)
    proj = np.clip(hu, -1000, 1000).mean(axis=1)[::-1]  # (z from top, x)
    sx, _, sz = (float(v) for v in ct.spacing)
    base = _base(p, ct, number=1, description="Topogram 0.6 T20f", phase="non-contrast", kernel="T20f")
    base.ImageType = ["ORIGINAL", "PRIMARY", "LOCALIZER"]
    base.SliceThickness = "0.6"
    base.ImageOrientationPatient = ["1", "0", "0", "0", "0", "-1"]
    base.Rows, base.Columns = proj.shape
    base.PixelSpacing = [_ds(sz), _ds(sx)]
    top = float(ct.origin[2]) + (hu.shape[0] - 1) * sz
    base.SOPInstanceUID = _uid("image", base.SeriesInstanceUID, 0)
    base.InstanceNumber = 1
    base.ImagePositionPatient = [_ds(float(ct.origin[0])), "0", _ds(top)]
    path = folder / "IM010000"
    _save(base, path, ExplicitVRLittleEndian, np.rint(proj).astype(np.int16))
    return {
        "uid": str(base.SeriesInstanceUID),
        "number": 1,
        "description": str(base.SeriesDescription),
        "phase": "localizer",
        "kernel": "T20f",
        "transfer_syntax": str(ExplicitVRLittleEndian),
        "lossy": False,
        "slices": 1,
        "files": [path],
    }


def _write_seg(
    path: Path, source: list[Path], mask: LabelMap, names: tuple[str, str], seed: int, series_number: int = 90
) -> None:
    """A DICOM SEG over ``source`` with segment 1 = liver (named names[0]) and 2 = spleen (names[1])."""
    import highdicom as hd
    import pydicom
    from pydicom.sr.codedict import codes

    images = [pydicom.dcmread(f) for f in source]
    labels = np.zeros(mask.array.shape, dtype=np.uint8)
    labels[mask.array == 2] = 1
    labels[mask.array == 1] = 2
    algo = hd.AlgorithmIdentificationSequence(
        name="HSP synthetic", version="1", family=codes.cid7162.ArtificialIntelligence
    )
    descriptions = [
        hd.seg.SegmentDescription(
            segment_number=i + 1,
            segment_label=name,
            segmented_property_category=codes.cid7150.Tissue,
            segmented_property_type=organ,
            algorithm_type=hd.seg.SegmentAlgorithmTypeValues.AUTOMATIC,
            algorithm_identification=algo,
        )
        for i, (name, organ) in enumerate(zip(names, (codes.SCT.Liver, codes.SCT.Spleen), strict=True))
    ]
    seg = hd.seg.Segmentation(
        source_images=images,
        pixel_array=labels,
        segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=descriptions,
        series_instance_uid=_uid("seg-series", path.name, seed, images[0].SeriesInstanceUID),
        series_number=series_number,
        sop_instance_uid=_uid("seg", path.name, seed, images[0].SeriesInstanceUID),
        instance_number=1,
        manufacturer="HSP synthetic",
        manufacturer_model_name="segmenter",
        software_versions="1",
        device_serial_number="1",
        omit_empty_frames=True,
    )
    seg.SpecificCharacterSet = "ISO_IR 192"
    path.parent.mkdir(parents=True, exist_ok=True)
    seg.save_as(path)


def _radial_contour(slice_mask: np.ndarray) -> np.ndarray | None:
    """A star-shaped polygon (column, row) around one slice's region, from its centroid outwards."""
    rows, cols = np.nonzero(slice_mask)
    if rows.size < 4:
        return None
    cr, cc = rows.mean(), cols.mean()
    points = []
    for angle in np.linspace(0.0, 2 * math.pi, 48, endpoint=False):
        dr, dc = math.sin(angle), math.cos(angle)
        t = 0.0
        last = 0.0
        while True:
            r, c = round(cr + t * dr), round(cc + t * dc)
            if not (0 <= r < slice_mask.shape[0] and 0 <= c < slice_mask.shape[1]):
                break
            if slice_mask[r, c]:
                last = t
            elif t - last > 3.0:
                break
            t += 0.5
        points.append((cc + (last + 0.5) * dc, cr + (last + 0.5) * dr))
    return np.asarray(points)


def _write_rtstruct(path: Path, source: list[Path], ct: CtVolume, mask: LabelMap) -> None:
    """An RTSTRUCT with ROIs in the order Liver, Spleen, contours on the CT's slices."""
    import pydicom
    from pydicom.sequence import Sequence

    first = pydicom.dcmread(source[0], stop_before_pixels=True)
    sops = [str(pydicom.dcmread(f, stop_before_pixels=True).SOPInstanceUID) for f in source]
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.481.3"
    ds.SOPInstanceUID = _uid("rtstruct", first.SeriesInstanceUID)
    ds.Modality = "RTSTRUCT"
    for key in ("PatientName", "PatientID", "PatientBirthDate", "StudyInstanceUID", "StudyDate", "StudyTime",
                "AccessionNumber", "StudyID", "ReferringPhysicianName"):  # fmt: skip
        setattr(ds, key, getattr(first, key, ""))
    ds.SeriesInstanceUID = _uid("rtstruct-series", first.SeriesInstanceUID)
    ds.SeriesNumber = 91
    ds.StructureSetLabel = "Organs"
    ds.StructureSetDate = first.StudyDate
    ref_series = Dataset()
    ref_series.SeriesInstanceUID = first.SeriesInstanceUID
    ref_series.ContourImageSequence = Sequence([Dataset() for _ in sops])
    for item, sop in zip(ref_series.ContourImageSequence, sops, strict=True):
        item.ReferencedSOPClassUID = CTImageStorage
        item.ReferencedSOPInstanceUID = sop
    ref_study = Dataset()
    ref_study.ReferencedSOPClassUID = "1.2.840.10008.3.1.2.3.1"
    ref_study.ReferencedSOPInstanceUID = first.StudyInstanceUID
    ref_study.RTReferencedSeriesSequence = Sequence([ref_series])
    ref_for = Dataset()
    ref_for.FrameOfReferenceUID = first.FrameOfReferenceUID
    ref_for.RTReferencedStudySequence = Sequence([ref_study])
    ds.ReferencedFrameOfReferenceSequence = Sequence([ref_for])
    rois, contours, observations = [], [], []
    sx, sy, sz = (float(v) for v in ct.spacing)
    ox, oy, oz = (float(v) for v in ct.origin)
    for number, (name, value) in enumerate((("Liver", 2), ("Spleen", 1)), start=1):
        roi = Dataset()
        roi.ROINumber = number
        roi.ReferencedFrameOfReferenceUID = first.FrameOfReferenceUID
        roi.ROIName = name
        roi.ROIGenerationAlgorithm = "AUTOMATIC"
        rois.append(roi)
        rc = Dataset()
        rc.ReferencedROINumber = number
        rc.ROIDisplayColor = [255, 0, 0] if value == 1 else [0, 128, 255]
        items = []
        for k in range(mask.array.shape[0]):
            poly = _radial_contour(mask.array[k] == value)
            if poly is None:
                continue
            c = Dataset()
            c.ContourGeometricType = "CLOSED_PLANAR"
            c.NumberOfContourPoints = len(poly)
            data = []
            for col, row in poly:
                data += [_ds(ox + col * sx), _ds(oy + row * sy), _ds(oz + k * sz)]
            c.ContourData = data
            img = Dataset()
            img.ReferencedSOPClassUID = CTImageStorage
            img.ReferencedSOPInstanceUID = sops[k]
            c.ContourImageSequence = Sequence([img])
            items.append(c)
        rc.ContourSequence = Sequence(items)
        contours.append(rc)
        obs = Dataset()
        obs.ObservationNumber = number
        obs.ReferencedROINumber = number
        obs.RTROIInterpretedType = "ORGAN"
        obs.ROIInterpreter = ""
        observations.append(obs)
    ds.StructureSetROISequence = Sequence(rois)
    ds.ROIContourSequence = Sequence(contours)
    ds.RTROIObservationsSequence = Sequence(observations)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = _uid("hsp-desktop-pacs-writer")
    ds.file_meta = meta
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)


def _write_label_masks(folder: Path, mask: LabelMap) -> list[dict[str, Any]]:
    """TotalSegmentator, 3D Slicer .seg.nrrd, ITK-SNAP and a right-side (mirrored) label map."""
    import SimpleITK as sitk

    from hsp_desktop.importers import write_image
    from hsp_desktop.importers.files import to_sitk

    folder.mkdir(parents=True, exist_ok=True)
    spleen, liver = mask.array == 1, mask.array == 2
    # TotalSegmentator: 1 spleen, 5 liver, plus a kidney blob so that spleen is one of several labels
    ts = np.zeros(mask.array.shape, dtype=np.uint8)
    ts[liver] = 5
    ts[spleen] = 1
    size: tuple[int, ...] = tuple(ts.shape)
    nz, ny, nx = size[0], size[1], size[2]
    ts[nz // 3 : nz // 2, ny // 2 : ny // 2 + 8, nx // 4 : nx // 4 + 8] = 2
    write_image(LabelMap(array=ts, spacing=mask.spacing, origin=mask.origin), folder / "totalseg.nii.gz")
    (folder / "totalseg.json").write_text(
        json.dumps({"labels": {name: value for value, name in TOTALSEG_LABELS.items()}}, indent=1) + "\n",
        encoding="utf-8",
    )
    # 3D Slicer: liver is label 1, spleen label 2, named in the header
    sl = np.zeros(mask.array.shape, dtype=np.uint8)
    sl[liver] = 1
    sl[spleen] = 2
    image = to_sitk(LabelMap(array=sl, spacing=mask.spacing, origin=mask.origin))
    for i, (name, value) in enumerate((("Liver", 1), ("脾", 2))):
        image.SetMetaData(f"Segment{i}_Name", name)  # type: ignore[no-untyped-call]
        image.SetMetaData(f"Segment{i}_LabelValue", str(value))  # type: ignore[no-untyped-call]
        image.SetMetaData(f"Segment{i}_Layer", "0")  # type: ignore[no-untyped-call]
        image.SetMetaData(f"Segment{i}_ID", f"Segment_{i + 1}")  # type: ignore[no-untyped-call]
    sitk.WriteImage(image, str(folder / "slicer.seg.nrrd"), useCompression=True)
    # ITK-SNAP: labels 3 (liver) and 7 (spleen) with a label-description file
    it = np.zeros(mask.array.shape, dtype=np.uint8)
    it[liver] = 3
    it[spleen] = 7
    write_image(LabelMap(array=it, spacing=mask.spacing, origin=mask.origin), folder / "itksnap.nii.gz")
    (folder / "itksnap.txt").write_text(
        "################################################\n"
        "# ITK-SnAP Label Description File\n"
        "################################################\n"
        '    0     0    0    0        0  0  0    "Clear Label"\n'
        '    3   255  128    0        1  1  1    "Liver"\n'
        '    7     0  128  255        1  1  1    "Milz (spleen)"\n',
        encoding="utf-8",
    )
    # spleen on the patient's right: mirror left-right (x is the last array axis)
    write_image(
        LabelMap(array=mask.array[:, :, ::-1].copy(), spacing=mask.spacing, origin=mask.origin),
        folder / "right_side.nii.gz",
    )
    return [
        {
            "file": "totalseg.nii.gz",
            "kind": "TotalSegmentator",
            "spleen_label": 1,
            "liver_label": 5,
            "expect": "ok",
        },
        {
            "file": "slicer.seg.nrrd",
            "kind": "Slicer seg.nrrd",
            "spleen_label": 2,
            "liver_label": 1,
            "expect": "ok",
        },
        {"file": "itksnap.nii.gz", "kind": "ITK-SNAP", "spleen_label": 7, "liver_label": 3, "expect": "ok"},
        {"file": "right_side.nii.gz", "kind": "label map", "spleen_label": 1, "expect": "right-side"},
    ]


def _series_truth(info: dict[str, Any], root: Path) -> dict[str, Any]:
    out = {k: v for k, v in info.items() if k != "files"}
    out["files"] = [f.relative_to(root).as_posix() for f in info["files"]]
    return out


def _to_dicomdir(staging: Path, target: Path) -> dict[Path, Path]:
    """Copy every file of ``staging`` into a DICOMDIR file-set at ``target``; old path -> new path."""
    import pydicom
    from pydicom.fileset import FileSet

    fs = FileSet()
    target.mkdir(parents=True, exist_ok=True)
    added = {}
    for f in sorted(staging.iterdir()):
        inst = fs.add(pydicom.dcmread(f))
        added[f] = inst
    fs.write(target)
    mapping = {old: target / Path(*inst.ReferencedFileID) for old, inst in added.items()}
    # pydicom stages instances in a TemporaryDirectory it never removes itself (no public close)
    fs._stage["t"].cleanup()
    return mapping


def write_pacs_exports(
    out: Path | str,
    recipients: list[dict[str, Any]],
    *,
    seed: int = 1,
    progress: Callable[[Progress], None] | None = None,
) -> Path:
    """Write the exports of the module docstring for three recipients; returns ``out/pacs``.

    Parameters
    ----------
    out : Path or str
        The cohort folder (``pacs/`` is created inside; an existing one is replaced).
    recipients : list of dict
        Three eligible recipients: ``study_id``, ``ct_date``, ``age`` and ``anatomy`` (keyword arguments of
        :class:`~hsp_desktop.synthetic.images.CaseAnatomy`).
    seed : int
        Mixed into every UID.
    """
    from hsp_desktop.importers import write_image
    from hsp_desktop.synthetic.images import CaseAnatomy, render_case

    if len(recipients) < 3:
        raise InputError(
            "A PACS export set needs three eligible recipients",
            expected="3 recipients",
            found=str(len(recipients)),
            fix="generate a larger cohort (--n)",
            field="n",
        )
    root = Path(out) / "pacs"
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    report = progress or (lambda p: None)
    truth: dict[str, Any] = {"exports": {}, "masks": {}, "recipients": {}, "seed": seed}
    cases = []
    for i, rec in enumerate(recipients[:3]):
        report(Progress("pacs", i / 4, f"rendering {rec['study_id']}"))
        ct, mask = render_case(CaseAnatomy(**rec["anatomy"]))
        p = _Patient(str(rec["study_id"]), i, str(rec["ct_date"]), int(rec["age"]), seed)
        cases.append((p, ct, mask))
        truth["recipients"][p.sid] = p.identity()
        write_image(ct, root / "masks" / p.sid / "ct_pv.nii.gz")
        write_image(mask, root / "masks" / p.sid / "mask.nii.gz")

    rng = np.random.default_rng(seed)
    plans = {
        0: [  # number, description, phase, kernel, syntax, derived
            (2, "Abdomen nativ 5.0 B30f", "non-contrast", "B30f", RLELossless, False),
            (3, "Abdomen arteriell 5.0 B30f", "arterial", "B30f", JPEGLSLossless, False),
            (4, "Abdomen PV 5.0 B30f", "portal venous", "B30f", ExplicitVRLittleEndian, False),
            (5, "Abdomen PV 5.0 B70f", "portal venous", "B70f", ExplicitVRLittleEndian, True),
            (6, "Abdomen delayed 5.0 B30f", "delayed", "B30f", JPEG2000Lossless, False),
        ],
        1: [
            (2, "平扫 5mm", "non-contrast", "STANDARD", ExplicitVRLittleEndian, False),
            (3, "动脉期 5mm", "arterial", "STANDARD", ExplicitVRLittleEndian, False),
            (4, "门脉期 5mm", "portal venous", "STANDARD", JPEG2000Lossless, False),
            (5, "延迟期 5mm", "delayed", "STANDARD", ExplicitVRLittleEndian, False),
        ],
        2: [
            (2, "Abd unenhanced 5mm", "non-contrast", "B30f", ExplicitVRLittleEndian, False),
            (4, "Abd portal venous 5mm", "portal venous", "B30f", JPEG2000, False),
        ],
    }
    pv_files: dict[str, list[Path]] = {}
    for i, (p, ct, mask) in enumerate(cases):
        report(Progress("pacs", (i + 1) / 4, f"writing the export of {p.sid}"))
        name = f"{'ABC'[i]}_{p.sid}"
        staging = root / (name if i else f".{name}.staging")
        series = [_write_topogram(staging, p, ct)]
        for number, desc, phase, kernel, syntax, derived in plans[i]:
            hu = _phase_volume(ct, mask, phase, rng)
            if derived:
                hu = np.clip(hu + rng.normal(0.0, 25.0, hu.shape).round(), -1024, 3071)
            lossy = 10.0 if syntax == JPEG2000 else None
            series.append(
                _write_series(
                    staging, p, ct, hu, number=number, description=desc, phase=phase, kernel=kernel,
                    syntax=syntax, derived=derived, lossy_ratio=lossy,
                )
            )  # fmt: skip
        pv = next(s for s in series if s["phase"] == "portal venous" and s["kernel"] != "B70f")
        pv_files[p.sid] = list(pv["files"])
        entry: dict[str, Any] = {
            "recipient": p.sid,
            "patient_id": p.mrn,
            "patients": 1,
            "dicomdir": i == 0,
            "portal_venous_series_uid": pv["uid"],
            "portal_venous_series_number": pv["number"],
            "localizer_series_uid": series[0]["uid"],
            "expect": "lossy-blocked" if i == 2 else "score",
            "truncated": [],
        }
        if i == 0:
            _write_seg(staging / "SEG00001", pv["files"], mask, ("Liver", "Spleen"), seed)
            mapping = _to_dicomdir(staging, root / name)
            for s in series:
                s["files"] = [mapping[f] for f in s["files"]]
            pv_files[p.sid] = list(pv["files"])
            shutil.rmtree(staging)
            delayed = next(s for s in series if s["phase"] == "delayed")
            cut = delayed["files"][-1]
            data = cut.read_bytes()
            cut.write_bytes(data[: len(data) // 2])
            entry["truncated"] = [cut.relative_to(root / name).as_posix()]
            entry["seg_in_export"] = {"segments": ["Liver", "Spleen"], "spleen_segment": "Spleen"}
        entry["series"] = [_series_truth(s, root / name) for s in series]
        truth["exports"][name] = entry

    # two patients in one export: the portal-venous series of A and B
    two = root / "D_two_patients"
    for sid, files in list(pv_files.items())[:2]:
        for f in files:
            dest = two / sid / f.name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, dest)
    truth["exports"]["D_two_patients"] = {
        "patients": 2,
        "patient_ids": [cases[0][0].mrn, cases[1][0].mrn],
        "series_uids": {c[0].sid: truth["exports"][f"{'AB'[k]}_{c[0].sid}"]["portal_venous_series_uid"]
                        for k, c in enumerate(cases[:2])},
        "expect": "wrong patient when scored for the other recipient",
    }  # fmt: skip

    # masks as other tools write them
    report(Progress("pacs", 0.9, "writing masks"))
    for i, (p, ct, mask) in enumerate(cases[:2]):
        folder = root / "masks" / p.sid
        other = cases[1 - i][0].sid
        names = ("Liver", "Spleen") if i == 0 else ("肝脏", "脾")
        _write_seg(folder / "seg_liver_first", pv_files[p.sid], mask, names, seed)
        _write_seg(folder / "seg_other_patient", pv_files[other], cases[1 - i][2], names, seed, 92)
        _write_rtstruct(folder / "rtstruct.dcm", pv_files[p.sid], ct, mask)
        entries = [
            {"file": "seg_liver_first", "kind": "SEG", "segments": list(names), "spleen_segment": names[1],
             "spleen_label": 2, "liver_label": 1, "expect": "ok"},
            {"file": "seg_other_patient", "kind": "SEG", "segments": list(names), "spleen_segment": names[1],
             "expect": "wrong-series", "drawn_on": other},
            {"file": "rtstruct.dcm", "kind": "RTSTRUCT", "segments": ["Liver", "Spleen"], "spleen_segment": "Spleen",
             "spleen_label": 2, "liver_label": 1, "expect": "ok"},
            {"file": "mask.nii.gz", "kind": "HSP label map", "spleen_label": 1, "liver_label": 2, "expect": "ok"},
        ]  # fmt: skip
        entries += _write_label_masks(folder, mask)
        truth["masks"][p.sid] = entries
    (root / "ground_truth.json").write_text(
        json.dumps(truth, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8"
    )
    report(Progress("pacs", 1.0, "done"))
    return root


def generate_pacs_cohort(
    out: Path | str,
    n: int = 8,
    seed: int = 1,
    *,
    progress: Callable[[Progress], None] | None = None,
    overwrite: bool = False,
) -> Path:
    """A small cohort (tables as ``hsp synth`` writes them, no per-recipient images) plus ``pacs/`` exports.

    The exports are written for the first three eligible development recipients; returns the cohort folder.
    """
    from hsp_desktop.clinical.eligibility import check_eligibility
    from hsp_desktop.synthetic.clinical import simulate_preop
    from hsp_desktop.synthetic.cohort import _case_seed, generate_cohort

    folder = generate_cohort(out, n, 0, seed, images=False, progress=progress, overwrite=overwrite)
    preop = simulate_preop(int(n), int(seed), 1, prospective=0)
    chosen = []
    for i, row in enumerate(preop.to_dict("records")):
        if not check_eligibility(row)[0]:
            continue
        chosen.append(
            {
                "study_id": str(row["study_id"]),
                "ct_date": str(row["ct_date"]),
                "age": int(row["age"]),
                "anatomy": {
                    "spleen_volume_ml": float(row["spleen_volume_ml"]),
                    "spleen_length_cm": float(row["spleen_length_cm"]),
                    "liver_volume_ml": float(row["liver_volume_ml"]),
                    "ph": float(row["_ph"]),
                    "hepatic": float(row["_hepatic"]),
                    "texture": float(row["_texture"]),
                    "scanner_offset_hu": float(row["_site_offset_hu"]),
                    "scanner_noise_hu": float(row["_site_noise_hu"]),
                    "seed": _case_seed(seed, i),
                    "full_res": False,
                },
            }
        )
        if len(chosen) == 3:
            break
    write_pacs_exports(folder, chosen, seed=seed, progress=progress)
    return folder

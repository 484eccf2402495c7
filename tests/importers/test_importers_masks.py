"""Mask import: label maps, DICOM SEG (written with highdicom), RTSTRUCT rasterisation, grid mismatches."""

from __future__ import annotations

import datetime
from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.sr.codedict import codes
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from hsp_desktop.domain import CtVolume, LabelMap
from hsp_desktop.errors import FileFormatError, GeometryError, InputError
from hsp_desktop.importers import read_ct, read_mask, write_image
from hsp_desktop.synthetic.dicom import write_dicom_series
from hsp_desktop.synthetic.images import CaseAnatomy, render_case

# highdicom warns about single-component person names; the synthetic patient id is one on purpose.
pytestmark = pytest.mark.filterwarnings(
    "ignore:The string .* is unlikely to represent the intended person name"
)


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> tuple[CtVolume, LabelMap, Path]:
    ct, labels = render_case(CaseAnatomy(400.0, 11.0, 900.0, seed=31))
    folder = tmp_path_factory.mktemp("ct")
    write_dicom_series(ct, folder, patient_id="HSP-0031", study_date="2025-04-01")
    return read_ct(folder), labels, folder


def test_label_map_choose_label(case: tuple[CtVolume, LabelMap, Path], tmp_path: Path) -> None:
    ct, labels, _ = case
    path = write_image(labels, tmp_path / "mask.nii.gz")
    both = read_mask(path, reference=ct)
    assert np.array_equal(both.array, labels.array)
    assert both.labels == {1: "spleen", 2: "liver"}
    spleen = read_mask(path, reference=ct, labels=1)
    assert set(np.unique(spleen.array)) == {0, 1}
    assert spleen.volume_ml(1) == pytest.approx(400.0, rel=0.02)
    liver = read_mask(path, labels={2: 1})
    assert liver.labels == {1: "liver"} and liver.volume_ml(1) == pytest.approx(900.0, rel=0.02)
    by_name = read_mask(path, labels="liver")
    assert by_name.volume_ml(2) == pytest.approx(900.0, rel=0.02)
    with pytest.raises(InputError, match="Label 3 is not in the mask") as info:
        read_mask(path, labels=3)
    assert "1 (spleen)" in str(info.value)


def test_ct_passed_as_mask_is_refused(case: tuple[CtVolume, LabelMap, Path], tmp_path: Path) -> None:
    ct, _, _ = case
    path = write_image(ct, tmp_path / "ct.nrrd")
    with pytest.raises(FileFormatError, match="not a label map") as info:
        read_mask(path)
    assert "do not pass the CT" in (info.value.fix or "")


def test_mask_on_another_grid_lists_every_difference(
    case: tuple[CtVolume, LabelMap, Path], tmp_path: Path
) -> None:
    ct, labels, _ = case
    shifted = LabelMap(
        array=labels.array[:, ::2, ::2].copy(),
        spacing=(5.8, 5.8, 5.0),
        origin=(ct.origin[0] + 1.0, ct.origin[1], ct.origin[2]),
        direction=ct.direction,
    )
    path = write_image(shifted, tmp_path / "coarse.mha")
    with pytest.raises(GeometryError) as info:
        read_mask(path, reference=ct)
    text = str(info.value)
    assert "size: ct 128x128x48 voxels, mask 64x64x48 voxels" in text
    assert "spacing: ct 2.9x2.9x5 mm, mask 5.8x5.8x5 mm" in text
    assert "origin: ct (" in text and "mask (" in text
    assert "resampling" in (info.value.fix or "")
    resampled = read_mask(path, reference=ct, resample=True)
    assert resampled.shape == ct.shape and resampled.spacing == ct.spacing
    assert resampled.volume_ml(1) == pytest.approx(400.0, rel=0.15)


def test_mask_with_other_direction_is_named(case: tuple[CtVolume, LabelMap, Path], tmp_path: Path) -> None:
    ct, labels, _ = case
    flipped = LabelMap(
        array=labels.array, spacing=ct.spacing, origin=ct.origin, direction=(-1.0, 0, 0, 0, 1.0, 0, 0, 0, 1.0)
    )
    with pytest.raises(GeometryError, match=r"direction: ct \(1, 0, 0, 0, 1, 0, 0, 0, 1\), mask \(-1, 0"):
        read_mask(write_image(flipped, tmp_path / "f.nii.gz"), reference=ct)


def _write_seg(ct_folder: Path, labels: LabelMap, out: Path) -> Path:
    sources = [pydicom.dcmread(p) for p in sorted(ct_folder.glob("*.dcm"))]
    sources.sort(key=lambda d: float(d.ImagePositionPatient[2]))
    descriptions = [
        hd.seg.SegmentDescription(
            segment_number=number,
            segment_label=name,
            segmented_property_category=codes.SCT.Organ,
            segmented_property_type=prop,
            algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL,
        )
        for number, name, prop in ((1, "spleen", codes.SCT.Spleen), (2, "liver", codes.SCT.Liver))
    ]
    seg = hd.seg.Segmentation(
        source_images=sources,
        pixel_array=labels.array,
        segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=descriptions,
        series_instance_uid=hd.UID(),
        series_number=90,
        sop_instance_uid=hd.UID(),
        instance_number=1,
        manufacturer="HSP tests",
        manufacturer_model_name="synthetic",
        software_versions="1",
        device_serial_number="0",
    )
    seg.save_as(out)
    return out


def test_dicom_seg_round_trip(case: tuple[CtVolume, LabelMap, Path], tmp_path: Path) -> None:
    ct, labels, folder = case
    seg_path = _write_seg(folder, labels, tmp_path / "seg.dcm")
    mask = read_mask(seg_path, reference=ct)
    assert np.array_equal(mask.array, labels.array)
    assert mask.labels == {1: "spleen", 2: "liver"}
    spleen = read_mask(tmp_path, reference=ct, labels="spleen")  # the folder holds exactly one SEG
    assert np.array_equal(spleen.array, (labels.array == 1).astype(np.uint8))
    alone = read_mask(seg_path)  # no reference: only the frames that hold segments
    assert alone.shape[0] < ct.shape[0]


def test_dicom_image_is_not_a_mask(case: tuple[CtVolume, LabelMap, Path]) -> None:
    _, _, folder = case
    with pytest.raises(FileFormatError, match="not a segmentation"):
        read_mask(sorted(folder.glob("*.dcm"))[0])
    with pytest.raises(InputError, match="0 segmentation objects"):
        read_mask(folder)


def _rtstruct(ct: CtVolume, rois: dict[str, list[np.ndarray]], path: Path, frame_uid: str) -> Path:
    """A minimal RTSTRUCT with closed planar contours given as (n, 3) arrays of LPS points."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.481.3"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "RTSTRUCT"
    ds.PatientID = "HSP-0031"
    ds.StructureSetLabel = "test"
    ds.StructureSetDate = datetime.date(2025, 4, 1).strftime("%Y%m%d")
    ref = Dataset()
    ref.FrameOfReferenceUID = frame_uid
    ds.ReferencedFrameOfReferenceSequence = Sequence([ref])
    ds.StructureSetROISequence = Sequence()
    ds.ROIContourSequence = Sequence()
    for number, (name, contours) in enumerate(rois.items(), start=1):
        item = Dataset()
        item.ROINumber = number
        item.ReferencedFrameOfReferenceUID = frame_uid
        item.ROIName = name
        ds.StructureSetROISequence.append(item)
        rc = Dataset()
        rc.ReferencedROINumber = number
        rc.ContourSequence = Sequence()
        for pts in contours:
            c = Dataset()
            c.ContourGeometricType = "CLOSED_PLANAR"
            c.NumberOfContourPoints = len(pts)
            c.ContourData = [f"{v:.4f}" for v in pts.ravel()]
            rc.ContourSequence.append(c)
        ds.ROIContourSequence.append(rc)
    ds.save_as(path, enforce_file_format=True)
    return path


def _square(ct: CtVolume, k: int, i0: float, i1: float, j0: float, j1: float) -> np.ndarray:
    """Square contour at slice k with corners at continuous (column, row) indices."""
    corners = [(i0, j0), (i1, j0), (i1, j1), (i0, j1)]
    sx, sy, sz = ct.spacing
    ox, oy, oz = ct.origin
    return np.array([(ox + i * sx, oy + j * sy, oz + k * sz) for i, j in corners])


def test_rtstruct_rasterised_on_ct_grid(case: tuple[CtVolume, LabelMap, Path], tmp_path: Path) -> None:
    ct, _, _ = case
    frame = ct.meta["frame_of_reference_uid"]
    outer = [_square(ct, k, 20.5, 30.5, 40.5, 52.5) for k in (10, 11, 12)]
    hole = [_square(ct, 11, 24.5, 26.5, 44.5, 46.5)]  # even-odd: a hole on slice 11
    other = [_square(ct, 20, 60.2, 63.7, 60.2, 62.7)]
    path = _rtstruct(ct, {"Spleen": outer + hole, "Cyst": other}, tmp_path / "rs.dcm", frame)
    mask = read_mask(path, reference=ct)
    assert mask.labels == {1: "Spleen", 2: "Cyst"}
    expected = np.zeros(ct.shape, dtype=np.uint8)
    expected[10:13, 41:53, 21:31] = 1
    expected[11, 45:47, 25:27] = 0
    expected[20, 61:63, 61:64] = 2
    assert np.array_equal(mask.array, expected)
    spleen = read_mask(path, reference=ct, labels="spleen")
    assert int(spleen.array.sum()) == int((expected == 1).sum())
    with pytest.raises(InputError, match="needs its CT"):
        read_mask(path)


def test_rtstruct_of_another_scan_or_off_slice(case: tuple[CtVolume, LabelMap, Path], tmp_path: Path) -> None:
    ct, _, _ = case
    square = [_square(ct, 10, 20.5, 30.5, 40.5, 52.5)]
    wrong = _rtstruct(ct, {"Spleen": square}, tmp_path / "a.dcm", "1.2.3.999")
    with pytest.raises(GeometryError, match="another scan"):
        read_mask(wrong, reference=ct)
    between = [_square(ct, 10, 20.5, 30.5, 40.5, 52.5) + np.array([0.0, 0.0, 2.5])]
    off = _rtstruct(ct, {"Spleen": between}, tmp_path / "b.dcm", ct.meta["frame_of_reference_uid"])
    with pytest.raises(GeometryError, match="No contour"):
        read_mask(off, reference=ct)


def test_ibsi_ct_phantom_rtstruct_matches_its_nifti_mask(shared_dir: Path) -> None:
    root = shared_dir / "data" / "ibsi" / "ct_radiomics_phantom"
    if not root.is_dir():
        pytest.skip("IBSI CT phantom not present under ../shared/data/ibsi")
    ct = read_ct(root / "dicom" / "image")
    rtstruct = read_mask(root / "dicom" / "mask" / "DCM_RS_00060.dcm", reference=ct)
    reference = read_mask(root / "nifti" / "mask" / "mask.nii.gz", reference=ct)
    a = rtstruct.array > 0
    b = reference.array > 0
    dice = 2.0 * np.count_nonzero(a & b) / (np.count_nonzero(a) + np.count_nonzero(b))
    assert rtstruct.labels == {1: "GTV-1"}
    assert dice > 0.97, f"Dice {dice:.4f}"

"""CT import: DICOM folders (series listing, sorting, every refusal) and NIfTI/NRRD/MHA files."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pydicom
import pytest

from hsp_desktop.domain import CtVolume, LabelMap
from hsp_desktop.errors import FileFormatError, GeometryError, InputError
from hsp_desktop.importers import list_dicom_series, read_ct, read_mask, write_image
from hsp_desktop.synthetic.dicom import write_dicom_series
from hsp_desktop.synthetic.images import CaseAnatomy, render_case


def _small_ct(seed: int = 0, shape: tuple[int, int, int] = (8, 12, 10)) -> CtVolume:
    rng = np.random.default_rng(seed)
    array = rng.integers(-1000, 1200, size=shape).astype(np.float32)
    return CtVolume(
        array=array, spacing=(0.75, 0.8, 2.5), origin=(-40.0, -30.0, 100.0), meta={"phase": "portal venous"}
    )


def _series(folder: Path, seed: int = 0, **kwargs: object) -> tuple[CtVolume, list[Path]]:
    ct = _small_ct(seed)
    paths = write_dicom_series(ct, folder, patient_id="HSP-0001", seed=seed, **kwargs)  # type: ignore[arg-type]
    return ct, paths


def _edit(path: Path, **changes: object) -> None:
    ds = pydicom.dcmread(path)
    for key, value in changes.items():
        if value is None:
            delattr(ds, key)
        else:
            setattr(ds, key, value)
    ds.save_as(path)


def test_dicom_round_trip_identical_hu_and_geometry(tmp_path: Path) -> None:
    ct, _ = render_case(CaseAnatomy(500.0, 12.0, 1000.0, seed=2))
    write_dicom_series(ct, tmp_path, patient_id="HSP-0002", study_date="2025-01-31")
    back = read_ct(tmp_path)
    assert np.array_equal(back.array, ct.array)
    assert np.allclose(back.spacing, ct.spacing) and np.allclose(back.origin, ct.origin)
    assert back.direction == ct.direction
    assert back.meta["phase"] == "portal venous"
    assert back.meta["patient_id"] == "HSP-0002" and back.meta["study_date"] == "20250131"


def test_one_file_of_a_series_reads_the_series(tmp_path: Path) -> None:
    ct, paths = _series(tmp_path)
    back = read_ct(paths[3])
    assert np.array_equal(back.array, ct.array)


def test_slices_sorted_by_position_not_file_name(tmp_path: Path) -> None:
    ct, paths = _series(tmp_path / "s")
    # give the files names in reverse order of position
    for i, p in enumerate(paths):
        p.rename(p.with_name(f"IMG_{len(paths) - i:03d}.tmp"))
    for p in (tmp_path / "s").glob("*.tmp"):
        p.rename(p.with_suffix(""))
    back = read_ct(tmp_path / "s")
    assert np.array_equal(back.array, ct.array)
    assert np.allclose(back.origin, ct.origin)


def test_rescale_slope_and_intercept_give_hu(tmp_path: Path) -> None:
    ct, paths = _series(tmp_path)
    for p in paths:
        ds = pydicom.dcmread(p)
        # stored was HU + 1024; store 2 * (HU + 1024) so that HU = 0.5 * stored - 1024
        ds.PixelData = (ds.pixel_array.astype(np.int32) * 2).astype("<u2").tobytes()
        ds.RescaleSlope = "0.5"
        ds.RescaleIntercept = "-1024"
        ds.BitsStored = 16
        ds.HighBit = 15
        ds.save_as(p)
    back = read_ct(tmp_path)
    assert np.allclose(back.array, ct.array)


def test_several_series_listed_and_picked(tmp_path: Path) -> None:
    ct_pv, _ = _series(tmp_path, seed=1, series_description="Portal venous 3mm")
    ct_art, paths = _series(tmp_path / "sub", seed=2, series_description="Arterial 1mm")
    series = list_dicom_series(tmp_path)
    assert len(series) == 2
    by_desc = {s.description: s for s in series}
    assert by_desc["Arterial 1mm"].slice_count == len(paths)
    assert by_desc["Portal venous 3mm"].phase == "portal venous"
    assert "slices" in by_desc["Arterial 1mm"].label()
    with pytest.raises(InputError, match="2 CT series") as info:
        read_ct(tmp_path)
    assert "Arterial 1mm" in str(info.value) and info.value.field == "series_uid"
    back = read_ct(tmp_path, series_uid=by_desc["Arterial 1mm"].series_uid)
    assert np.array_equal(back.array, ct_art.array)
    pv = read_ct(tmp_path, series_uid=by_desc["Portal venous 3mm"].series_uid)
    assert np.array_equal(pv.array, ct_pv.array)
    with pytest.raises(InputError, match="not in"):
        read_ct(tmp_path, series_uid="1.2.3")


def test_phase_from_description_when_no_phase_code(tmp_path: Path) -> None:
    _, paths = _series(tmp_path, series_description="ABD PV 5mm")
    for p in paths:
        _edit(p, ContrastBolusAgentPhase=None, ImageComments=None)
    assert list_dicom_series(tmp_path)[0].phase == "portal venous"


def test_missing_slice(tmp_path: Path) -> None:
    _, paths = _series(tmp_path)
    paths[3].unlink()
    with pytest.raises(GeometryError, match="missing 1 slice") as info:
        read_ct(tmp_path)
    assert "CT_00003.dcm" in str(info.value) and info.value.fix


def test_non_uniform_spacing(tmp_path: Path) -> None:
    _, paths = _series(tmp_path)
    ds = pydicom.dcmread(paths[4])
    pos = [float(v) for v in ds.ImagePositionPatient]
    _edit(paths[4], ImagePositionPatient=[pos[0], pos[1], pos[2] + 0.9])
    with pytest.raises(GeometryError, match="non-uniform slice spacing"):
        read_ct(tmp_path)


def test_gantry_tilt(tmp_path: Path) -> None:
    _, paths = _series(tmp_path)
    for k, p in enumerate(paths):
        ds = pydicom.dcmread(p)
        pos = [float(v) for v in ds.ImagePositionPatient]
        _edit(p, ImagePositionPatient=[pos[0], pos[1] + 0.5 * k, pos[2]])
    with pytest.raises(GeometryError, match="gantry tilt") as info:
        read_ct(tmp_path)
    assert "degrees" in str(info.value)
    _, paths = _series(tmp_path / "b")
    for p in paths:
        _edit(p, GantryDetectorTilt="12")
    with pytest.raises(GeometryError, match="gantry tilt"):
        read_ct(tmp_path / "b")


def test_oblique_orientation(tmp_path: Path) -> None:
    _, paths = _series(tmp_path)
    c, s = np.cos(np.radians(15)), np.sin(np.radians(15))
    for p in paths:
        _edit(p, ImageOrientationPatient=[f"{c:.6f}", f"{s:.6f}", "0", f"{-s:.6f}", f"{c:.6f}", "0"])
    with pytest.raises(GeometryError, match="oblique") as info:
        read_ct(tmp_path)
    assert "reformat" in info.value.fix  # type: ignore[operator]


def test_mixed_sizes(tmp_path: Path) -> None:
    _, paths = _series(tmp_path)
    ds = pydicom.dcmread(paths[2])
    ds.Rows = 6
    ds.PixelData = ds.PixelData[: 6 * 10 * 2]
    ds.save_as(paths[2])
    with pytest.raises(GeometryError, match="mixes image sizes") as info:
        read_ct(tmp_path)
    assert "6x10" in str(info.value)


def test_duplicate_positions(tmp_path: Path) -> None:
    _, paths = _series(tmp_path)
    shutil.copy(paths[2], tmp_path / "copy.dcm")
    ds = pydicom.dcmread(tmp_path / "copy.dcm")
    ds.SOPInstanceUID = "1.2.3.4.5"
    ds.save_as(tmp_path / "copy.dcm")
    with pytest.raises(GeometryError, match="same position"):
        read_ct(tmp_path)


def test_no_pixel_data(tmp_path: Path) -> None:
    _, paths = _series(tmp_path)
    _edit(paths[1], PixelData=None)
    with pytest.raises(FileFormatError, match="no pixel data") as info:
        read_ct(tmp_path)
    assert info.value.field == str(paths[1])


def test_missing_geometry_names_the_file(tmp_path: Path) -> None:
    _, paths = _series(tmp_path)
    _edit(paths[0], ImagePositionPatient=None)
    with pytest.raises(FileFormatError, match="ImagePositionPatient"):
        read_ct(tmp_path)


def test_single_slice_and_empty_folder(tmp_path: Path) -> None:
    _, paths = _series(tmp_path / "one")
    for p in paths[1:]:
        p.unlink()
    with pytest.raises(GeometryError, match="single slice"):
        read_ct(tmp_path / "one")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("not dicom")
    with pytest.raises(InputError, match="No DICOM files"):
        read_ct(tmp_path / "empty")


def test_truncated_dicom_slice(tmp_path: Path) -> None:
    _, paths = _series(tmp_path)
    data = paths[5].read_bytes()
    paths[5].write_bytes(data[: len(data) - 100])
    with pytest.raises(FileFormatError) as info:
        read_ct(tmp_path)
    assert "CT_00006.dcm" in str(info.value)


@pytest.mark.parametrize("suffix", [".nii.gz", ".nii", ".nrrd", ".mha"])
def test_image_files_round_trip(tmp_path: Path, suffix: str) -> None:
    ct = _small_ct(3)
    labels = LabelMap(array=(ct.array > 500).astype(np.uint8), spacing=ct.spacing, origin=ct.origin)
    p = write_image(ct, tmp_path / f"ct{suffix}")
    m = write_image(labels, tmp_path / f"mask{suffix}")
    back = read_ct(p)
    assert np.array_equal(back.array, ct.array)
    assert np.allclose(back.spacing, ct.spacing) and np.allclose(back.origin, ct.origin, atol=1e-4)
    mask = read_mask(m, reference=back)
    assert np.array_equal(mask.array, labels.array)
    # same image, same bytes (no time stamps)
    first = hashlib.sha256(p.read_bytes()).hexdigest()
    write_image(ct, p)
    assert hashlib.sha256(p.read_bytes()).hexdigest() == first


def test_image_file_types_stored(tmp_path: Path) -> None:
    import SimpleITK as sitk

    ct = _small_ct(4)
    write_image(ct, tmp_path / "ct.nii.gz")
    write_image(LabelMap(array=np.ones(ct.shape, np.uint8), spacing=ct.spacing), tmp_path / "m.nii.gz")
    assert sitk.ReadImage(str(tmp_path / "ct.nii.gz")).GetPixelID() == sitk.sitkInt16
    assert sitk.ReadImage(str(tmp_path / "m.nii.gz")).GetPixelID() == sitk.sitkUInt8
    with pytest.raises(InputError, match="Cannot write"):
        write_image(ct, tmp_path / "ct.png")


@pytest.mark.parametrize("suffix", [".nii.gz", ".nii", ".nrrd", ".mha"])
def test_truncated_and_non_image_files(tmp_path: Path, suffix: str) -> None:
    p = write_image(_small_ct(5, (20, 30, 30)), tmp_path / f"ct{suffix}")
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(FileFormatError, match="cannot be read") as info:
        read_ct(p)
    assert info.value.fix and "truncated" in info.value.fix
    text = tmp_path / f"notes{suffix}"
    text.write_text("this is a clinic letter, not an image\n" * 20)
    with pytest.raises(FileFormatError):
        read_ct(text)


def test_unknown_or_missing_path(tmp_path: Path) -> None:
    with pytest.raises(FileFormatError, match="does not exist"):
        read_ct(tmp_path / "nothing.nii.gz")
    (tmp_path / "scan.jpg").write_bytes(b"\xff\xd8\xff")
    with pytest.raises(FileFormatError, match="not a CT file type"):
        read_ct(tmp_path / "scan.jpg")


def test_two_dimensional_or_multichannel_files_are_refused(tmp_path: Path) -> None:
    import SimpleITK as sitk

    flat = sitk.GetImageFromArray(np.zeros((20, 20), dtype=np.int16))
    sitk.WriteImage(flat, str(tmp_path / "slice.nrrd"))
    with pytest.raises(FileFormatError, match="not a 3-D single-channel image") as info:
        read_ct(tmp_path / "slice.nrrd")
    assert "2-D" in str(info.value)
    rgb = sitk.GetImageFromArray(np.zeros((4, 5, 6, 3), dtype=np.uint8), isVector=True)
    sitk.WriteImage(rgb, str(tmp_path / "rgb.mha"))
    with pytest.raises(FileFormatError, match="3 component"):
        read_ct(tmp_path / "rgb.mha")


@pytest.mark.parametrize(
    ("description", "phase"),
    [
        ("ABD PV 5mm", "portal venous"),
        ("Portal venous 1.25", "portal venous"),
        ("ARTERIAL 1mm", "arterial"),
        ("Abdomen w/o contrast", "non-contrast"),
        ("NC 5mm", "non-contrast"),
        ("Delayed 3 min", "delayed"),
        ("Phase two recon", "contrast (phase unknown)"),
    ],
)
def test_phase_words(description: str, phase: str) -> None:
    from hsp_desktop.importers.dicom import series_phase

    ds = pydicom.Dataset()
    ds.SeriesDescription = description
    ds.ContrastBolusAgent = "Omnipaque"
    assert series_phase(ds) == phase

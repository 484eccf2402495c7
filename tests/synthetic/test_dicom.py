"""DICOM series writer: valid CT headers, identical HU and geometry through SimpleITK and pydicom, same bytes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk

from hsp_desktop.domain import CtVolume
from hsp_desktop.errors import InputError
from hsp_desktop.synthetic.dicom import write_dicom_series
from hsp_desktop.synthetic.images import CaseAnatomy, render_case


@pytest.fixture(scope="module")
def case() -> CtVolume:
    ct, _ = render_case(CaseAnatomy(600.0, 13.0, 1100.0, ph=1.2, texture=0.5, seed=17))
    return ct


def _sitk_series(folder: Path) -> sitk.Image:
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(folder)))
    return reader.Execute()


def test_simpleitk_reads_identical_hu_and_geometry(case: CtVolume, tmp_path: Path) -> None:
    paths = write_dicom_series(case, tmp_path / "dcm", patient_id="HSP-0007", study_date="2025-02-03", seed=1)
    assert len(paths) == case.shape[0]
    image = _sitk_series(tmp_path / "dcm")
    assert np.array_equal(sitk.GetArrayFromImage(image).astype(np.float32), case.array)
    assert np.allclose(image.GetSpacing(), case.spacing, atol=1e-6)
    assert np.allclose(image.GetOrigin(), case.origin, atol=1e-6)
    assert np.allclose(image.GetDirection(), case.direction, atol=1e-9)


def test_pydicom_reads_identical_hu_and_geometry(case: CtVolume, tmp_path: Path) -> None:
    paths = write_dicom_series(case, tmp_path / "dcm", patient_id="HSP-0007", seed=1)
    slices = [pydicom.dcmread(p) for p in paths]
    hu = np.stack([s.pixel_array * float(s.RescaleSlope) + float(s.RescaleIntercept) for s in slices])
    assert np.array_equal(hu.astype(np.float32), case.array)
    for k, s in enumerate(slices):
        expected = np.asarray(case.origin) + np.array([0.0, 0.0, k * case.spacing[2]])
        assert np.allclose([float(v) for v in s.ImagePositionPatient], expected, atol=1e-6)
        assert [float(v) for v in s.PixelSpacing] == [case.spacing[1], case.spacing[0]]
        assert float(s.SliceThickness) == case.spacing[2]
        assert s.InstanceNumber == k + 1
    first = slices[0]
    assert first.Modality == "CT"
    assert first.SOPClassUID == "1.2.840.10008.5.1.4.1.1.2"
    assert first.file_meta.MediaStorageSOPInstanceUID == first.SOPInstanceUID
    assert [float(v) for v in first.ImageOrientationPatient] == [1, 0, 0, 0, 1, 0]
    assert first.PatientID == "HSP-0007" and first.SeriesDescription == "Portal venous 3mm"
    assert first.ContrastBolusAgentPhase == "PORTAL_VENOUS" and first.ContrastBolusAgent
    assert first.RescaleIntercept == -1024 and first.RescaleSlope == 1
    assert len({s.SOPInstanceUID for s in slices}) == len(slices)
    assert len({s.SeriesInstanceUID for s in slices}) == 1
    assert len({s.FrameOfReferenceUID for s in slices}) == 1


def test_same_inputs_same_bytes_and_uids_depend_on_patient_and_seed(case: CtVolume, tmp_path: Path) -> None:
    def digest(folder: Path, patient: str, seed: int) -> tuple[str, str]:
        paths = write_dicom_series(case, folder, patient_id=patient, study_date="20250101", seed=seed)
        h = hashlib.sha256()
        for p in paths:
            h.update(p.read_bytes())
        return h.hexdigest(), str(pydicom.dcmread(paths[0]).StudyInstanceUID)

    a = digest(tmp_path / "a", "HSP-0001", 3)
    b = digest(tmp_path / "b", "HSP-0001", 3)
    c = digest(tmp_path / "c", "HSP-0002", 3)
    d = digest(tmp_path / "d", "HSP-0001", 4)
    assert a == b
    assert c[1] != a[1] and d[1] != a[1]
    assert not list((tmp_path / "a").glob("*.part"))


def test_flipped_direction_round_trips(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    array = rng.integers(-1000, 1500, size=(5, 6, 7)).astype(np.float32)
    ct = CtVolume(
        array=array,
        spacing=(0.8, 0.7, 2.5),
        origin=(10.0, -20.0, 300.0),
        direction=(1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, -1.0),
    )
    write_dicom_series(ct, tmp_path, patient_id="P1")
    image = _sitk_series(tmp_path)
    back = sitk.GetArrayFromImage(image)
    # SimpleITK sorts along the normal; either way every voxel lands at the same physical point
    index = image.TransformPhysicalPointToIndex((10.0, -20.0, 300.0 - 2 * 2.5))
    assert back[index[2], index[1], index[0]] == array[2, 0, 0]
    assert np.allclose(image.GetSpacing(), ct.spacing)


@pytest.mark.parametrize(
    ("kwargs", "values", "field"),
    [
        ({"patient_id": ""}, None, "patient_id"),
        ({"patient_id": "P", "study_date": "1st May"}, None, "study_date"),
        ({"patient_id": "P"}, 5000.0, "ct"),
        ({"patient_id": "P"}, float("nan"), "ct"),
    ],
)
def test_bad_input_is_refused(
    tmp_path: Path, kwargs: dict[str, str], values: float | None, field: str
) -> None:
    array = np.zeros((3, 4, 4), dtype=np.float32)
    if values is not None:
        array[1, 1, 1] = values
    ct = CtVolume(array=array, spacing=(1.0, 1.0, 1.0))
    with pytest.raises(InputError) as info:
        write_dicom_series(ct, tmp_path / "x", **kwargs)  # type: ignore[arg-type]
    assert info.value.field == field
    assert info.value.fix
    assert not list((tmp_path / "x").glob("*.dcm"))


def test_fast_slice_encoder_equals_pydicom_writer(case: CtVolume, tmp_path: Path) -> None:
    import io

    paths = write_dicom_series(case, tmp_path, patient_id="HSP-0009", study_date="20250505", seed=2)
    for path in (paths[0], paths[7]):
        ds = pydicom.dcmread(path)
        buffer = io.BytesIO()
        ds.save_as(buffer, enforce_file_format=True)
        assert buffer.getvalue() == path.read_bytes()

"""The objects sent to PACS: valid by dicom3tools' dciodvfy and highdicom, in the CT's study, frame-aligned."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
import pytest
from conftest import dicom_folder

from hsp_desktop.errors import FileFormatError, GeometryError
from hsp_desktop.importers import read_ct, read_mask
from hsp_desktop.pacs.objects import encapsulated_pdf, read_series_headers, risk_report_sr, segmentation

PREDICTION = {
    "id": 1,
    "probability": 0.142,
    "ci_low": 0.063,
    "ci_high": 0.29,
    "band": "low",
    "model_id": "hsp-demo-1 1",
    "manifest_sha256": "ab" * 32,
    "output": {
        "model_version": "1",
        "features": {"platelets": 61.0, "spleen_volume_ml": 712.0, "splenic_vein_mm": 11.5, "rad_score": 0.3},
    },
}


@pytest.fixture
def case(small_cohort: Path) -> tuple[list[pydicom.Dataset], object]:
    folder = dicom_folder(small_cohort, "HSP-0001")
    uid = str(
        pydicom.dcmread(
            next(p for p in folder.rglob("*") if p.is_file()), stop_before_pixels=True
        ).SeriesInstanceUID
    )
    ct = read_ct(folder)
    mask = read_mask(small_cohort / "images" / "HSP-0001" / "mask.nii.gz", reference=ct)
    return read_series_headers(folder, uid), mask


def _dciodvfy_errors(ds: pydicom.Dataset, tmp_path: Path, name: str) -> list[str]:
    path = tmp_path / f"{name}.dcm"
    ds.save_as(path, enforce_file_format=True)
    out = subprocess.run(["dciodvfy", str(path)], capture_output=True, text=True, check=False)
    return [line for line in (out.stdout + out.stderr).splitlines() if line.startswith("Error")]


@pytest.mark.skipif(shutil.which("dciodvfy") is None, reason="dicom3tools' dciodvfy is not installed")
def test_pdf_seg_and_sr_pass_dciodvfy(case: tuple[list[pydicom.Dataset], object], tmp_path: Path) -> None:
    source, mask = case
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    seg = segmentation(mask, source, creator="Doe^Jane")  # type: ignore[arg-type]
    objects = {
        "pdf": encapsulated_pdf(pdf, source, title="HSP risk report HSP-0001"),
        "seg": seg,
        "sr": risk_report_sr(PREDICTION, source, observer="Doe^Jane", extra_evidence=[seg]),
    }
    for name, ds in objects.items():
        assert _dciodvfy_errors(ds, tmp_path, name) == [], name
        assert ds.StudyInstanceUID == source[0].StudyInstanceUID and ds.PatientID == source[0].PatientID


def test_seg_frames_follow_the_ct_slices(case: tuple[list[pydicom.Dataset], object]) -> None:
    source, mask = case
    seg = hd.seg.Segmentation.from_dataset(segmentation(mask, source))  # type: ignore[arg-type]
    labels = {d.SegmentLabel: d.SegmentNumber for d in seg.SegmentSequence}
    assert labels == {"Spleen": 1, "Liver": 2}
    spleen = seg.get_pixels_by_source_instance(
        [str(ds.SOPInstanceUID) for ds in source], segment_numbers=[1], ignore_spatial_locations=True,
        skip_overlap_checks=True, assert_missing_frames_are_empty=True,
    )[..., 0]  # fmt: skip
    np.testing.assert_array_equal(spleen.astype(bool), mask.array == 1)  # type: ignore[attr-defined]


def test_mask_on_another_grid_and_missing_series_are_refused(
    case: tuple[list[pydicom.Dataset], object], small_cohort: Path
) -> None:
    source, mask = case
    with pytest.raises(GeometryError, match="different slices"):
        segmentation(mask, source[:-3])  # type: ignore[arg-type]
    with pytest.raises(FileFormatError, match="not in the folder"):
        read_series_headers(dicom_folder(small_cohort, "HSP-0001"), "1.2.3.4")


def test_sr_holds_risk_ci_band_model_and_key_inputs(case: tuple[list[pydicom.Dataset], object]) -> None:
    source, _mask = case
    sr = hd.sr.Comprehensive3DSR.from_dataset(risk_report_sr(PREDICTION, source, observer="Doe^Jane"))
    [group] = sr.content.get_image_measurement_groups()
    values = {m.name.value: (m.value, m.unit.value) for m in group.get_measurements()}
    assert values["RHSP6M"] == (14.2, "%")
    assert values["RHSP6M-CIL"] == (6.3, "%") and values["RHSP6M-CIU"] == (29.0, "%")
    assert values["777-3"] == (61.0, "10*9/L")  # LOINC platelets
    assert values["118565006"] == (712.0, "mL")  # SNOMED CT volume (of the spleen)
    assert values["81827009"] == (11.5, "mm")  # SNOMED CT diameter (of the splenic vein)
    [band] = group.get_qualitative_evaluations()
    assert band.value.value == "LOW"
    raw = risk_report_sr(PREDICTION, source, observer="Doe^Jane")
    texts: list[str] = []
    raw.walk(lambda _ds, elem: texts.append(str(elem.value)) if elem.VR in ("LO", "UT", "ST", "SH") else None)
    assert "hsp-demo-1 1" in texts and "manifest_sha256=" + "ab" * 32 in texts

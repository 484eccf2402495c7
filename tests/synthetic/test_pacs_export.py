"""`hsp synth --pacs`: the exports are as messy as the issue asks, and the ground truth says what is right.

Everything is checked with pydicom reading the files itself (not through the importers).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pydicom
import pytest


def _truth(cohort: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((cohort / "pacs" / "ground_truth.json").read_text(encoding="utf-8"))
    return data


def _first(root: Path, entry: dict[str, Any]) -> Any:
    return pydicom.dcmread(root / entry["files"][0], stop_before_pixels=True)


def test_export_a_dicomdir_five_phases_localizer_charset_and_compression(pacs_cohort: Path) -> None:
    truth = _truth(pacs_cohort)["exports"]["A_HSP-0001"]
    root = pacs_cohort / "pacs" / "A_HSP-0001"
    assert (root / "DICOMDIR").is_file()
    names = [p.name for p in root.rglob("*") if p.is_file() and p.name != "DICOMDIR"]
    assert names and all("." not in n and len(n) <= 8 for n in names)  # CD-style names without extension
    phases = {s["phase"] for s in truth["series"]}
    assert phases == {"localizer", "non-contrast", "arterial", "portal venous", "delayed"}
    syntaxes = {}
    for s in truth["series"]:
        ds = _first(root, s)
        assert str(ds.SeriesInstanceUID) == s["uid"] and int(ds.SeriesNumber) == s["number"]
        assert str(ds.SpecificCharacterSet) == "ISO_IR 192" and str(ds.PatientName) == "Zhang^Wei=张^伟"
        syntaxes[s["phase"], s["kernel"]] = str(ds.file_meta.TransferSyntaxUID)
        if s["phase"] == "localizer":
            assert list(ds.ImageType)[2] == "LOCALIZER"
    assert syntaxes["non-contrast", "B30f"] == "1.2.840.10008.1.2.5"  # RLE
    assert syntaxes["arterial", "B30f"] == "1.2.840.10008.1.2.4.80"  # JPEG-LS lossless
    assert syntaxes["delayed", "B30f"] == "1.2.840.10008.1.2.4.90"  # JPEG 2000 lossless
    kernels = {s["kernel"] for s in truth["series"] if s["phase"] == "portal venous"}
    assert kernels == {"B30f", "B70f"}
    delayed = next(s for s in truth["series"] if s["phase"] == "delayed")
    cut = root / truth["truncated"][0]
    whole = root / delayed["files"][0]
    assert truth["truncated"][0] in delayed["files"] and cut.parent == whole.parent
    assert cut.stat().st_size < 0.7 * whole.stat().st_size  # cut in the middle of its pixel data


def test_export_b_gb18030_chinese_descriptions_and_c_lossy(pacs_cohort: Path) -> None:
    truth = _truth(pacs_cohort)["exports"]
    b = pacs_cohort / "pacs" / "B_HSP-0002"
    assert not (b / "DICOMDIR").exists()
    pv = next(
        s
        for s in truth["B_HSP-0002"]["series"]
        if s["uid"] == truth["B_HSP-0002"]["portal_venous_series_uid"]
    )
    ds = _first(b, pv)
    assert str(ds.SpecificCharacterSet) == "GB18030" and str(ds.PatientName) == "Wang^Fang=王^芳"
    assert str(ds.SeriesDescription) == "门脉期 5mm"
    c = pacs_cohort / "pacs" / "C_HSP-0003"
    lossy = next(s for s in truth["C_HSP-0003"]["series"] if s["lossy"])
    ds = _first(c, lossy)
    assert (
        str(ds.LossyImageCompression) == "01"
        and str(ds.file_meta.TransferSyntaxUID) == "1.2.840.10008.1.2.4.91"
    )
    assert truth["C_HSP-0003"]["expect"] == "lossy-blocked"


def test_two_patient_export_and_mask_ground_truth(pacs_cohort: Path) -> None:
    truth = _truth(pacs_cohort)
    d = pacs_cohort / "pacs" / "D_two_patients"
    ids = {str(pydicom.dcmread(f, stop_before_pixels=True).PatientID) for f in d.rglob("IM*")}
    assert ids == set(truth["exports"]["D_two_patients"]["patient_ids"])
    kinds = {m["kind"] for m in truth["masks"]["HSP-0001"]}
    assert kinds >= {"SEG", "RTSTRUCT", "TotalSegmentator", "Slicer seg.nrrd", "ITK-SNAP", "label map"}
    seg = pydicom.dcmread(pacs_cohort / "pacs" / "masks" / "HSP-0001" / "seg_liver_first")
    assert [str(s.SegmentLabel) for s in seg.SegmentSequence] == ["Liver", "Spleen"]  # liver first
    assert (
        str(seg.ReferencedSeriesSequence[0].SeriesInstanceUID)
        == truth["exports"]["A_HSP-0001"]["portal_venous_series_uid"]
    )
    other = pydicom.dcmread(pacs_cohort / "pacs" / "masks" / "HSP-0001" / "seg_other_patient")
    assert str(other.PatientID) != truth["recipients"]["HSP-0001"]["mrn"]
    rt = pydicom.dcmread(pacs_cohort / "pacs" / "masks" / "HSP-0001" / "rtstruct.dcm")
    assert [str(r.ROIName) for r in rt.StructureSetROISequence] == ["Liver", "Spleen"]
    table = json.loads((pacs_cohort / "pacs" / "masks" / "HSP-0001" / "totalseg.json").read_text())
    assert table["labels"]["spleen"] == 1 and table["labels"]["liver"] == 5 and len(table["labels"]) > 2


def test_synth_pacs_needs_out(capsys: pytest.CaptureFixture[str]) -> None:
    from hsp_desktop.cli import main

    assert main(["synth", "--pacs", "--quiet"]) != 0
    assert "--pacs needs --out" in capsys.readouterr().err

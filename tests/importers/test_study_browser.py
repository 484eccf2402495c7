"""Scanning `hsp synth --pacs` exports: patient/study/series tree, preselection, localizers, skipped files.

Every series UID and HU the importer reports is compared with what pydicom and SimpleITK (GDCM) read on their own.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk

from hsp_desktop.errors import FileFormatError, InputError
from hsp_desktop.importers import read_ct
from hsp_desktop.importers.study import TreeBuilder, kernel_is_sharp, preselect, scan_export, scan_folder


def _truth(cohort: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((cohort / "pacs" / "ground_truth.json").read_text(encoding="utf-8"))
    return data


def _sitk_series(folder: Path, uid: str) -> np.ndarray:
    """HU of one series as SimpleITK's GDCM reader sees it (independent of our reader)."""
    reader = sitk.ImageSeriesReader()
    files = reader.GetGDCMSeriesFileNames(str(folder), uid, False, True)
    reader.SetFileNames(files)
    return sitk.GetArrayFromImage(reader.Execute()).astype(np.float32)


def test_dicomdir_export_tree_preselects_portal_venous_and_reports_truncated(pacs_cohort: Path) -> None:
    truth = _truth(pacs_cohort)["exports"]["A_HSP-0001"]
    tree = scan_folder(pacs_cohort / "pacs" / "A_HSP-0001")
    assert tree.dicomdir
    assert [p.patient_id for p in tree.patients] == [truth["patient_id"]]
    assert tree.patients[0].name == "Zhang^Wei=张^伟"  # ISO_IR 192 decoded
    # series UIDs equal those pydicom reads from the files the ground truth names
    root = pacs_cohort / "pacs" / "A_HSP-0001"
    for entry in truth["series"]:
        first = pydicom.dcmread(root / entry["files"][0], stop_before_pixels=True)
        info = tree.find(str(first.SeriesInstanceUID))
        assert info is not None and info.series_uid == entry["uid"]
        assert info.series_number == entry["number"]
    chosen = tree.preselected()
    assert chosen is not None and chosen.series_uid == truth["portal_venous_series_uid"]
    localizer = tree.find(truth["localizer_series_uid"])
    assert localizer is not None and localizer.is_localizer and not localizer.scoreable
    assert localizer not in tree.candidates()
    # the truncated file is reported by name, with the series it belonged to
    cut = [s for s in tree.skipped if s.reason.startswith("truncated")]
    assert [s.path.relative_to(root).as_posix() for s in cut] == truth["truncated"]
    delayed = next(s for s in truth["series"] if s["phase"] == "delayed")
    assert cut[0].series_uid == delayed["uid"]
    with pytest.raises(FileFormatError, match="truncated"):
        read_ct(root, series_uid=delayed["uid"])


def test_localizer_is_never_scored(pacs_cohort: Path) -> None:
    truth = _truth(pacs_cohort)["exports"]["A_HSP-0001"]
    with pytest.raises(InputError, match="localizer"):
        read_ct(pacs_cohort / "pacs" / "A_HSP-0001", series_uid=truth["localizer_series_uid"])
    with pytest.raises(InputError, match="localizer"):
        read_ct(pacs_cohort / "pacs" / "A_HSP-0001", series_number=1)


def test_several_series_without_choice_is_refused_with_the_list(pacs_cohort: Path) -> None:
    with pytest.raises(InputError) as info:
        read_ct(pacs_cohort / "pacs" / "B_HSP-0002")
    text = str(info.value)
    assert "holds 4 CT series" in text and "门脉期 5mm" in text and "Topogram" not in text


def test_portal_venous_hu_equal_sitk_and_rendered(pacs_cohort: Path) -> None:
    truth = _truth(pacs_cohort)
    for name in ("A_HSP-0001", "B_HSP-0002"):
        entry = truth["exports"][name]
        folder = pacs_cohort / "pacs" / name
        ct = read_ct(folder, series_uid=entry["portal_venous_series_uid"])
        assert ct.meta["series_uid"] == entry["portal_venous_series_uid"]
        rendered = sitk.GetArrayFromImage(
            sitk.ReadImage(str(pacs_cohort / "pacs" / "masks" / entry["recipient"] / "ct_pv.nii.gz"))
        )
        assert np.array_equal(ct.array, rendered.astype(np.float32))
        series_dir = (folder / entry["series"][0]["files"][0]).parent if name == "B_HSP-0002" else None
        pv_dir = (
            folder
            / next(s for s in entry["series"] if s["uid"] == entry["portal_venous_series_uid"])["files"][0]
        ).parent
        assert np.array_equal(ct.array, _sitk_series(pv_dir, entry["portal_venous_series_uid"]))
        assert series_dir is None or series_dir == pv_dir


@pytest.mark.parametrize("syntax_name", ["RLE", "JPEG-LS lossless", "JPEG 2000 lossless"])
def test_lossless_series_decode_to_the_same_hu_as_gdcm(pacs_cohort: Path, syntax_name: str) -> None:
    truth = _truth(pacs_cohort)["exports"]["A_HSP-0001"]
    tree = scan_folder(pacs_cohort / "pacs" / "A_HSP-0001")
    info = next(s for s in tree.candidates() if s.compression == syntax_name)
    if syntax_name == "JPEG 2000 lossless":  # the delayed series lost its truncated last file: read the rest
        files = [str(f) for f in info.files]
        expected = np.stack([pydicom.dcmread(f).pixel_array for f in files]).astype(np.float32)
        gdcm = np.stack([sitk.GetArrayFromImage(sitk.ReadImage(f))[0] for f in files]).astype(np.float32)
        assert np.array_equal(expected, gdcm)
        return
    ct = read_ct(pacs_cohort / "pacs" / "A_HSP-0001", series_uid=info.series_uid)
    assert ct.meta["compression"] == syntax_name and not ct.meta["lossy"]
    assert np.array_equal(ct.array, _sitk_series(info.files[0].parent, info.series_uid))
    assert info.series_uid in {s["uid"] for s in truth["series"]}


def test_lossy_series_is_flagged(pacs_cohort: Path) -> None:
    tree = scan_folder(pacs_cohort / "pacs" / "C_HSP-0003")
    pv = tree.preselected()
    assert pv is not None and pv.lossy and "lossy" in pv.compression
    ct = read_ct(pacs_cohort / "pacs" / "C_HSP-0003", series_uid=pv.series_uid)
    assert ct.meta["lossy"] is True and ct.meta["lossy_ratio"] == "10"


def test_two_patient_export_shows_two_patients_and_preselects_per_patient(pacs_cohort: Path) -> None:
    truth = _truth(pacs_cohort)["exports"]["D_two_patients"]
    tree = scan_folder(pacs_cohort / "pacs" / "D_two_patients")
    assert sorted(p.patient_id for p in tree.patients) == sorted(truth["patient_ids"])
    assert tree.preselected() is None  # which patient? the user must say
    names = {p.patient_id: p.name for p in tree.patients}
    assert names[truth["patient_ids"][1]] == "Wang^Fang=王^芳"  # GB18030 decoded
    for sid, uid in truth["series_uids"].items():
        mrn = _truth(pacs_cohort)["recipients"][sid]["mrn"]
        chosen = tree.preselected(mrn)
        assert chosen is not None and chosen.series_uid == uid


def test_scan_yields_progress_and_partial_tree(pacs_cohort: Path) -> None:
    builder = TreeBuilder(pacs_cohort / "pacs" / "B_HSP-0002")
    gen = scan_export(builder.root, builder)
    seen = []
    while True:
        try:
            p = next(gen)
        except StopIteration as stop:
            tree = stop.value
            break
        seen.append((p.fraction, builder.series_count))
    assert seen[0][0] == 0.0 and seen[-1][0] == 1.0
    assert any(0 < n < 5 for _, n in seen)  # series appear while the scan runs
    assert len(tree.all_series()) == 5


def test_non_dicom_files_are_reported(tmp_path: Path, pacs_cohort: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    src = pacs_cohort / "pacs" / "C_HSP-0003"
    for f in sorted(src.iterdir())[:3]:
        (folder / f.name).write_bytes(f.read_bytes())
    (folder / "README.TXT").write_text("burned by PACS")
    tree = scan_folder(folder)
    assert [(s.path.name, s.reason) for s in tree.skipped] == [("README.TXT", "not DICOM")]


def test_preselection_rule_prefers_original_soft_kernel() -> None:
    from hsp_desktop.importers.dicom import SeriesInfo

    def s(
        n: int, kernel: str, thick: float, derived: bool = False, phase: str = "portal venous"
    ) -> SeriesInfo:
        kind = ("DERIVED", "SECONDARY", "AXIAL") if derived else ("ORIGINAL", "PRIMARY", "AXIAL")
        return SeriesInfo(
            f"1.{n}", "", phase, "CT", 40, n, kernel=kernel, slice_thickness_mm=thick, image_type=kind
        )

    sharp, soft_thick, soft_thin, derived = (
        s(2, "B70f", 1.0),
        s(3, "B30f", 3.0),
        s(4, "B31f", 1.0),
        s(5, "B30f", 0.6, True),
    )
    assert preselect([sharp, soft_thick, soft_thin, derived]) is soft_thin
    assert preselect([s(6, "B30f", 1.0, phase="arterial")]) is None
    assert kernel_is_sharp("B70f") and kernel_is_sharp("BONE") and not kernel_is_sharp("B30f")

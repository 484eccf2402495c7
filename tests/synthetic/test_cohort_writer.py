"""Cohort folder writer: layout, manifest hashes, determinism, atomicity, labels, images, injected errors."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hsp_desktop.clinical.dictionary import validate_record
from hsp_desktop.clinical.outcome import derive_outcome
from hsp_desktop.domain import Progress
from hsp_desktop.errors import CancelledError, GeometryError, InputError
from hsp_desktop.synthetic import generate_cohort
from hsp_desktop.synthetic.clinical import CLINICAL_COLUMNS, REFERENCE_DATE
from hsp_desktop.synthetic.cohort import GROUND_TRUTH_COLUMNS, _render_one
from hsp_desktop.synthetic.followup import FOLLOWUP_COLUMNS


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def all_hashes(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): sha(p) for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def tables(tmp_path_factory) -> Path:
    return generate_cohort(tmp_path_factory.mktemp("c") / "tables", 60, 10, 7, images=False)


def test_layout_and_manifest(tables: Path) -> None:
    names = sorted(p.name for p in tables.iterdir())
    assert names == ["clinical.csv", "followup.csv", "ground_truth.csv", "manifest.json"]
    manifest = json.loads((tables / "manifest.json").read_text())
    assert manifest["seed"] == 7 and manifest["n"] == 60 and manifest["prospective"] == 10
    assert manifest["arguments"]["images"] is False and manifest["outcome_definition"] == "HSP-RH6-v2"
    assert manifest["generator_version"] and manifest["package_version"]
    files = all_hashes(tables)
    files.pop("manifest.json")
    assert manifest["files"] == files
    c = manifest["counts"]
    assert c["recipients"] == 70 and c["events"] + c["non_events"] + c["pending"] + c["competing"] == 70


def test_tables_follow_the_contract(tables: Path) -> None:
    clinical = pd.read_csv(tables / "clinical.csv")
    assert list(clinical.columns) == list(CLINICAL_COLUMNS)
    assert (clinical.cohort == "development").sum() == 60 and (clinical.cohort == "validation").sum() == 10
    fu = pd.read_csv(tables / "followup.csv", keep_default_na=False, na_values=[""])
    assert list(fu.columns) == list(FOLLOWUP_COLUMNS)
    truth = pd.read_csv(tables / "ground_truth.csv")
    assert list(truth.columns) == list(GROUND_TRUTH_COLUMNS)
    assert truth.study_id.tolist() == clinical.study_id.tolist()
    assert not any(c.startswith("_") for c in clinical.columns)
    # every row of the clinical table passes the data dictionary
    records = clinical.to_dict("records")
    problems = [p for r in records for p in validate_record(r).problems]
    assert not problems, problems[:3]


def test_ground_truth_label_equals_derived_outcome(tables: Path) -> None:
    """The product's path: read the CSVs, derive with the default definition, compare with ground truth y."""
    clinical = pd.read_csv(tables / "clinical.csv", dtype={"study_id": str})
    fu = pd.read_csv(tables / "followup.csv", keep_default_na=False, na_values=[""])
    truth = pd.read_csv(tables / "ground_truth.csv").set_index("study_id")
    groups = dict(tuple(fu.groupby("study_id")))
    seen = set()
    for rec in clinical.to_dict("records"):
        sid = rec["study_id"]
        visits = groups[sid].to_dict("records") if sid in groups else []
        res = derive_outcome(rec, visits, rec["transplant_date"], REFERENCE_DATE)
        assert str(res.status) == str(truth.outcome_status[sid])
        expected = truth.y[sid]
        if res.status in (0, 1):
            assert res.status == expected
        else:
            assert np.isnan(expected)
        seen.add(str(res.status))
    assert {"0", "1"} <= seen


def test_same_seed_same_bytes_other_seed_differs(tables: Path, tmp_path: Path) -> None:
    again = generate_cohort(tmp_path / "again", 60, 10, 7, images=False)
    assert all_hashes(again) == all_hashes(tables)
    other = generate_cohort(tmp_path / "other", 60, 10, 8, images=False)
    assert sha(other / "clinical.csv") != sha(tables / "clinical.csv")


def test_refuses_non_empty_folder_and_overwrites_cohort(tmp_path: Path) -> None:
    target = tmp_path / "x"
    target.mkdir()
    (target / "notes.txt").write_text("keep me")
    with pytest.raises(InputError) as info:
        generate_cohort(target, 5, 0, 1, images=False)
    assert "not empty" in str(info.value) and info.value.fix
    with pytest.raises(InputError):  # not a cohort: never replaced
        generate_cohort(target, 5, 0, 1, images=False, overwrite=True)
    assert (target / "notes.txt").read_text() == "keep me"
    cohort = generate_cohort(tmp_path / "y", 5, 0, 1, images=False)
    first = sha(cohort / "clinical.csv")
    generate_cohort(cohort, 6, 0, 2, images=False, overwrite=True)
    assert sha(cohort / "clinical.csv") != first
    empty = tmp_path / "empty"
    empty.mkdir()
    assert generate_cohort(empty, 5, 0, 1, images=False) == empty.absolute()


@pytest.mark.parametrize("kwargs", [{"n": 0}, {"prospective": -1}, {"seed": -3}, {"sites": 0}, {"sites": 99}])
def test_bad_arguments(tmp_path: Path, kwargs: dict) -> None:
    args = {"n": 5, "prospective": 0, "seed": 1, "images": False} | kwargs
    with pytest.raises(InputError):
        generate_cohort(tmp_path / "bad", **args)
    assert not (tmp_path / "bad").exists()


def test_cancel_leaves_nothing(tmp_path: Path) -> None:
    reports: list[Progress] = []

    def progress(p: Progress) -> None:
        reports.append(p)
        if p.stage == "images" and p.fraction > 0.3:
            raise CancelledError("cancelled by the user")

    with pytest.raises(CancelledError):
        generate_cohort(tmp_path / "cancelled", 4, 0, 1, images=True, workers=1, progress=progress)
    assert list(tmp_path.iterdir()) == []  # neither the cohort nor its temporary folder
    assert reports[0].stage == "clinical"


def test_injected_errors_are_labelled_and_caught(tmp_path: Path) -> None:
    out = generate_cohort(tmp_path / "err", 100, 0, 3, images=False, inject_errors=True)
    truth = pd.read_csv(out / "ground_truth.csv", keep_default_na=False).set_index("study_id")
    clinical = pd.read_csv(out / "clinical.csv").set_index("study_id", drop=False)
    injected = truth.injected_error[truth.injected_error != ""]
    assert 6 <= len(injected) <= 10
    assert set(injected) <= {"platelets_per_ul", "bilirubin_mg_dl", "out_of_range", "swapped_dates"}
    assert len(set(injected)) >= 3
    expected_field = {
        "platelets_per_ul": "platelets",
        "bilirubin_mg_dl": "bilirubin",
        "out_of_range": None,
        "swapped_dates": "ct_date",
    }
    for sid, rec in clinical.iterrows():
        res = validate_record(rec.to_dict())
        kind = truth.injected_error[sid]
        if not kind:
            assert res.ok, (sid, res.problems)
            continue
        assert not res.ok, (sid, kind)
        field = expected_field[kind]
        if field:
            assert [p.field for p in res.problems] == [field], (kind, res.problems)
        else:
            assert {p.field for p in res.problems} <= {"haemoglobin", "weight_kg", "bmi", "bsa"}
    unit = [sid for sid, k in injected.items() if k == "platelets_per_ul"]
    fixed = validate_record(clinical.loc[unit[0]].to_dict(), confirm_units=True)
    assert fixed.ok


def test_images_match_clinical_and_are_deterministic(tmp_path: Path) -> None:
    from hsp_desktop.importers import read_ct, read_mask

    serial = generate_cohort(tmp_path / "serial", 3, 1, 11, images=True, workers=1)
    pooled = generate_cohort(tmp_path / "pooled", 3, 1, 11, images=True, workers=2)
    assert all_hashes(serial) == all_hashes(pooled)  # process pool == serial, byte for byte (no time stamps)
    clinical = pd.read_csv(serial / "clinical.csv")
    truth = pd.read_csv(serial / "ground_truth.csv")
    for sid, volume in zip(clinical.study_id, clinical.spleen_volume_ml, strict=True):
        folder = serial / "images" / sid
        ct = read_ct(folder / "ct.nii.gz")
        mask = read_mask(folder / "mask.nii.gz")
        assert abs(mask.volume_ml(1) - volume) <= 0.02 * volume
        assert mask.volume_ml(2) > 0
        assert truth.set_index("study_id").mask_spleen_volume_ml[sid] == pytest.approx(
            mask.volume_ml(1), abs=1e-3
        )
        dicom = read_ct(folder / "dicom")
        np.testing.assert_array_equal(dicom.array, ct.array)
        np.testing.assert_allclose(dicom.spacing, ct.spacing, atol=1e-4)
        np.testing.assert_allclose(dicom.origin, ct.origin, atol=1e-3)
        assert mask.shape == ct.shape
    raw = (serial / "images" / clinical.study_id[0] / "ct.nii.gz").read_bytes()
    assert raw[4:8] == b"\x00\x00\x00\x00"  # gzip header without a modification time


def test_image_error_injection(tmp_path: Path) -> None:
    from hsp_desktop.imaging.geometry import check_geometry
    from hsp_desktop.importers import read_ct, read_mask

    base = {
        "index": 0,
        "study_id": "HSP-0001",
        "anatomy": {
            "spleen_volume_ml": 500.0,
            "spleen_length_cm": 13.0,
            "liver_volume_ml": 1100.0,
            "seed": 5,
        },
        "root": str(tmp_path),
        "ct_date": "2023-01-02",
        "seed": 1,
    }
    missing = _render_one(base | {"folder": str(tmp_path / "a"), "error": "missing_slices"})
    assert len(list((tmp_path / "a" / "dicom").iterdir())) == 47
    assert all(k.startswith("a/") for k in missing["hashes"])
    with pytest.raises(GeometryError) as info:
        read_ct(tmp_path / "a" / "dicom")
    assert "missing" in str(info.value)
    _render_one(base | {"folder": str(tmp_path / "b"), "error": "mask_wrong_grid"})
    ct = read_ct(tmp_path / "b" / "ct.nii.gz")
    with pytest.raises(GeometryError):
        check_geometry(ct, read_mask(tmp_path / "b" / "mask.nii.gz"))


@pytest.mark.slow
def test_full_resolution_case(tmp_path: Path) -> None:
    from hsp_desktop.importers import read_ct, read_mask

    out = generate_cohort(tmp_path / "full", 1, 0, 2, full_res=True, workers=1)
    clinical = pd.read_csv(out / "clinical.csv")
    folder = out / "images" / clinical.study_id[0]
    ct = read_ct(folder / "ct.nii.gz")
    assert ct.shape[1:] == (512, 512) and ct.spacing[0] == pytest.approx(0.75) and ct.spacing[2] <= 2.5
    mask = read_mask(folder / "mask.nii.gz")
    assert abs(mask.volume_ml(1) - clinical.spleen_volume_ml[0]) <= 0.02 * clinical.spleen_volume_ml[0]
    assert len(list((folder / "dicom").iterdir())) == ct.shape[0]


def test_failed_overwrite_keeps_the_previous_cohort(tmp_path: Path) -> None:
    cohort = generate_cohort(tmp_path / "keep", 5, 0, 1, images=False)
    before = all_hashes(cohort)

    def cancel(p: Progress) -> None:
        if p.stage == "writing":
            raise CancelledError("cancelled by the user")

    with pytest.raises(CancelledError):
        generate_cohort(cohort, 6, 0, 2, images=False, overwrite=True, progress=cancel)
    assert all_hashes(cohort) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep"]

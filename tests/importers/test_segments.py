"""Masks as other tools write them (`hsp synth --pacs`): the spleen is found by name, never by position."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk

from hsp_desktop.domain import LabelMap
from hsp_desktop.errors import GeometryError, InputError
from hsp_desktop.importers import read_ct, read_mask
from hsp_desktop.importers.segments import organ_of, resolve_organs


def _truth(cohort: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((cohort / "pacs" / "ground_truth.json").read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize(
    ("name", "organ"),
    [
        ("Spleen", "spleen"),
        ("spleen_1", "spleen"),
        ("SPLEEN", "spleen"),
        ("脾", "spleen"),
        ("脾脏", "spleen"),
        ("Milz (spleen)", "spleen"),
        ("Liver", "liver"),
        ("肝脏", "liver"),
        ("liver and spleen", None),
        ("kidney_right", None),
        ("label 5", None),
    ],
)
def test_organ_names(name: str, organ: str | None) -> None:
    assert organ_of(name) == organ


@pytest.mark.parametrize("recipient", ["HSP-0001", "HSP-0002"])
def test_every_tool_format_yields_the_spleen_by_name(pacs_cohort: Path, recipient: str) -> None:
    truth = _truth(pacs_cohort)
    export = next(e for e in truth["exports"].values() if e.get("recipient") == recipient)
    folder = (
        pacs_cohort / "pacs" / next(k for k, e in truth["exports"].items() if e.get("recipient") == recipient)
    )
    ct = read_ct(folder, series_uid=export["portal_venous_series_uid"])
    masks = pacs_cohort / "pacs" / "masks" / recipient
    # the rendered spleen, read by SimpleITK on its own
    spleen_truth = sitk.GetArrayFromImage(sitk.ReadImage(str(masks / "mask.nii.gz"))) == 1
    for entry in truth["masks"][recipient]:
        if entry["expect"] != "ok":
            continue
        mask = read_mask(masks / entry["file"], reference=ct)
        relabelled, choice = resolve_organs(mask)
        assert choice.spleen_value == entry["spleen_label"], entry["file"]
        if "spleen_segment" in entry:
            assert choice.spleen_name == entry["spleen_segment"]
        spleen = relabelled.array == 1
        dice = 2 * np.count_nonzero(spleen & spleen_truth) / (spleen.sum() + spleen_truth.sum())
        assert dice > (0.95 if entry["kind"] == "RTSTRUCT" else 0.9999), entry["file"]
        if entry.get("liver_label") is not None:
            assert choice.liver_value == entry["liver_label"]


def test_seg_liver_first_segment_labels_as_pydicom_reads_them(pacs_cohort: Path) -> None:
    seg = pacs_cohort / "pacs" / "masks" / "HSP-0002" / "seg_liver_first"
    ds = pydicom.dcmread(seg)
    labels = [str(s.SegmentLabel) for s in ds.SegmentSequence]
    assert labels == ["肝脏", "脾"]  # liver first, Chinese names
    mask = read_mask(seg)
    _, choice = resolve_organs(mask)
    assert (choice.spleen_value, choice.spleen_name) == (2, "脾")


def test_seg_drawn_on_another_series_is_refused(pacs_cohort: Path) -> None:
    truth = _truth(pacs_cohort)["exports"]["A_HSP-0001"]
    ct = read_ct(pacs_cohort / "pacs" / "A_HSP-0001", series_uid=truth["portal_venous_series_uid"])
    with pytest.raises(GeometryError, match="another series") as info:
        read_mask(pacs_cohort / "pacs" / "masks" / "HSP-0001" / "seg_other_patient", reference=ct)
    assert truth["portal_venous_series_uid"] in str(info.value)


def test_ambiguous_or_missing_spleen_lists_the_segments() -> None:
    array = np.zeros((4, 4, 4), dtype=np.uint8)
    array[0], array[1], array[2] = 1, 2, 3
    mask = LabelMap(
        array=array, spacing=(1.0, 1.0, 1.0), labels={1: "Spleen", 2: "spleen_1", 3: "Liver"}, source="x"
    )
    with pytest.raises(InputError, match="Several segments") as info:
        resolve_organs(mask)
    assert (
        "1 'Spleen'" in str(info.value)
        and "3 'Liver'" in str(info.value)
        and "--spleen-label" in str(info.value)
    )
    relabelled, choice = resolve_organs(mask, "spleen_1")
    assert (
        choice.spleen_value == 2
        and choice.chosen_by == "user"
        and relabelled.labels == {1: "spleen", 2: "liver"}
    )
    assert resolve_organs(mask, 1)[1].spleen_name == "Spleen"
    assert resolve_organs(mask, "1")[1].spleen_name == "Spleen"
    none = LabelMap(array=array, spacing=(1.0, 1.0, 1.0), labels={1: "kidney", 2: "aorta", 3: "Liver"})
    with pytest.raises(InputError, match="named as the spleen"):
        resolve_organs(none)
    with pytest.raises(InputError, match="not in the mask"):
        resolve_organs(none, 9)


def test_right_side_mask_is_flagged_by_qc(pacs_cohort: Path) -> None:
    from hsp_desktop.imaging.qc import run_qc

    truth = _truth(pacs_cohort)["exports"]["A_HSP-0001"]
    ct = read_ct(pacs_cohort / "pacs" / "A_HSP-0001", series_uid=truth["portal_venous_series_uid"])
    mask, _ = resolve_organs(
        read_mask(pacs_cohort / "pacs" / "masks" / "HSP-0001" / "right_side.nii.gz", reference=ct)
    )
    report = run_qc(ct, mask, 1)
    assert {c.name: c.status for c in report.checks}["spleen_side"] == "fail"
    good, _ = resolve_organs(
        read_mask(pacs_cohort / "pacs" / "masks" / "HSP-0001" / "mask.nii.gz", reference=ct)
    )
    assert {c.name: c.status for c in run_qc(ct, good, 1).checks}["spleen_side"] == "ok"

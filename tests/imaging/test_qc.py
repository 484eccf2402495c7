"""The imaging QC gate: each check passes on a good synthetic case and fails or warns on the matching defect."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from hsp_desktop.domain import CtVolume, LabelMap, QcReport
from hsp_desktop.errors import QcError
from hsp_desktop.imaging.qc import QcLimits, require_qc, run_qc
from hsp_desktop.synthetic.images import CaseAnatomy, render_case


@pytest.fixture(scope="module")
def case() -> tuple[CtVolume, LabelMap]:
    return render_case(CaseAnatomy(650.0, 13.5, 1200.0, ph=0.5, texture=0.3, seed=44))


def _status(report: QcReport) -> dict[str, str]:
    return {c.name: c.status for c in report.checks}


def _ct(ct: CtVolume, array: np.ndarray | None = None, **kw: object) -> CtVolume:
    return CtVolume(
        array=ct.array if array is None else array,
        spacing=kw.get("spacing", ct.spacing),  # type: ignore[arg-type]
        origin=ct.origin,
        direction=ct.direction,
        source="ct.nii.gz",
    )


def _mask(labels: LabelMap, array: np.ndarray, names: dict[int, str] | None = None) -> LabelMap:
    return LabelMap(
        array=array.astype(np.uint8),
        spacing=labels.spacing,
        origin=labels.origin,
        direction=labels.direction,
        labels=names if names is not None else labels.labels,
        source="mask.nii.gz",
    )


def test_good_case_passes_every_check(case: tuple[CtVolume, LabelMap]) -> None:
    ct, labels = case
    report = run_qc(ct, labels, 1)
    assert report.passed and not report.warnings
    assert set(_status(report)) == {
        "geometry",
        "finite_voxels",
        "slice_thickness",
        "in_plane_spacing",
        "image_hu_range",
        "roi_present",
        "roi_size",
        "roi_extent",
        "roi_mean_hu",
        "connected_components",
        "spleen_volume",
        "spleen_side",
    }
    assert require_qc(report) is report
    liver = run_qc(ct, labels, 2)
    assert liver.passed and "spleen_volume" not in _status(liver) and "spleen_side" not in _status(liver)
    assert report.as_dict()["checks"][0]["name"] == "geometry"


def test_geometry_mismatch_fails_and_blocks(case: tuple[CtVolume, LabelMap]) -> None:
    ct, labels = case
    moved = LabelMap(array=labels.array, spacing=labels.spacing, origin=(0.0, 0.0, 0.0), labels=labels.labels)
    report = run_qc(ct, moved, 1)
    assert _status(report)["geometry"] == "fail"
    with pytest.raises(QcError, match="geometry") as info:
        require_qc(report)
    assert info.value.report is report
    assert "re-export the mask" in str(info.value)


def test_empty_roi_names_the_labels_present(case: tuple[CtVolume, LabelMap]) -> None:
    ct, labels = case
    report = run_qc(ct, labels, 3)
    checks = {c.name: c for c in report.checks}
    assert checks["roi_present"].status == "fail"
    assert "labels present: [1, 2]" in checks["roi_present"].value
    assert checks["roi_size"].status == "fail"
    with pytest.raises(QcError, match="roi_present"):
        require_qc(report)


def test_tiny_and_flat_rois(case: tuple[CtVolume, LabelMap]) -> None:
    ct, labels = case
    tiny = np.zeros(labels.shape, dtype=np.uint8)
    tiny[20, 60:63, 60:63] = 1
    s = _status(run_qc(ct, _mask(labels, tiny), 1))
    assert s["roi_size"] == "fail" and s["roi_extent"] == "fail" and s["spleen_volume"] == "fail"
    small = np.zeros(labels.shape, dtype=np.uint8)
    small[20:24, 60:70, 60:70] = 1
    assert _status(run_qc(ct, _mask(labels, small), 1))["roi_size"] == "warn"


def test_nan_voxels_fail(case: tuple[CtVolume, LabelMap]) -> None:
    ct, labels = case
    array = ct.array.copy()
    array[0, 0, :5] = np.nan
    array[1, 1, 1] = np.inf
    checks = {c.name: c for c in run_qc(_ct(ct, array), labels, 1).checks}
    assert checks["finite_voxels"].status == "fail" and checks["finite_voxels"].value == "6 NaN/inf voxels"


def test_slice_thickness_and_pixel_spacing_ranges(case: tuple[CtVolume, LabelMap]) -> None:
    ct, labels = case
    for sz, status in ((5.0, "ok"), (6.0, "warn"), (10.0, "fail")):
        spacing = (ct.spacing[0], ct.spacing[1], sz)
        mask = LabelMap(array=labels.array, spacing=spacing, origin=labels.origin, labels=labels.labels)
        assert _status(run_qc(_ct(ct, spacing=spacing), mask, 1))["slice_thickness"] == status
    spacing = (4.0, 4.0, ct.spacing[2])
    mask = LabelMap(array=labels.array, spacing=spacing, origin=labels.origin, labels=labels.labels)
    assert _status(run_qc(_ct(ct, spacing=spacing), mask, 1))["in_plane_spacing"] == "warn"


def test_hu_plausibility(case: tuple[CtVolume, LabelMap]) -> None:
    ct, labels = case
    raw = _ct(ct, ct.array + 1024.0)  # rescale not applied
    checks = {c.name: c for c in run_qc(raw, labels, 1).checks}
    assert checks["image_hu_range"].status == "fail" and "rescale" in checks["image_hu_range"].message
    assert checks["roi_mean_hu"].status == "fail"
    unenhanced = ct.array.copy()
    unenhanced[labels.array == 1] -= 60.0  # spleen ~50 HU: non-contrast phase chosen by mistake
    checks = {c.name: c for c in run_qc(_ct(ct, unenhanced), labels, 1).checks}
    assert checks["roi_mean_hu"].status == "warn" and "portal-venous" in checks["roi_mean_hu"].message
    mr_like = _ct(ct, np.clip(ct.array, 0, 800))
    assert _status(run_qc(mr_like, labels, 1))["image_hu_range"] == "fail"
    no_air = _ct(ct, np.maximum(ct.array, -200.0))
    assert _status(run_qc(no_air, labels, 1))["image_hu_range"] == "warn"


def test_components(case: tuple[CtVolume, LabelMap]) -> None:
    ct, labels = case
    two = labels.array.copy()
    two[two == 2] = 1  # liver labelled as spleen too: two large parts
    checks = {c.name: c for c in run_qc(ct, _mask(labels, two), 1).checks}
    assert checks["connected_components"].status == "warn"
    assert "2 large" in checks["connected_components"].value
    frag = (labels.array == 1).astype(np.uint8)
    frag[2, 2, 2] = 1
    checks = {c.name: c for c in run_qc(ct, _mask(labels, frag, {1: "spleen"}), 1).checks}
    assert checks["connected_components"].status == "ok"
    assert "1 small fragment" in checks["connected_components"].value


def test_spleen_volume_sanity_and_custom_limits(case: tuple[CtVolume, LabelMap]) -> None:
    ct, labels = case
    strict = replace(QcLimits(), spleen_volume_ml=(30.0, 500.0))
    report = run_qc(ct, labels, 1, limits=strict)
    check = next(c for c in report.checks if c.name == "spleen_volume")
    assert check.status == "fail" and "650" in check.message
    with pytest.raises(QcError) as info:
        require_qc(report)
    assert "spleen_volume" in str(info.value) and info.value.fix


def test_checks_are_a_list_of_small_functions() -> None:
    from hsp_desktop.imaging.qc import CHECKS

    names = [f.__name__ for f in CHECKS]
    assert names[0] == "check_geometry" and "check_compression" in names and "check_spleen_side" in names


def test_spleen_on_the_right_fails(case: tuple[CtVolume, LabelMap]) -> None:
    ct, labels = case
    flipped = _mask(labels, labels.array[:, :, ::-1])
    report = run_qc(_ct(ct, ct.array[:, :, ::-1].copy()), flipped, 1)
    assert _status(report)["spleen_side"] == "fail" and not report.passed
    assert "right" in next(c.message for c in report.checks if c.name == "spleen_side")
    alone = _mask(labels, (labels.array[:, :, ::-1] == 1), {1: "spleen"})
    assert _status(run_qc(ct, alone, 1))["spleen_side"] == "fail"  # against the image centre


def test_lossy_series_fails_by_default_and_warns_when_set(case: tuple[CtVolume, LabelMap]) -> None:
    import dataclasses

    from hsp_desktop.imaging.qc import QcLimits

    ct, labels = case
    lossy = dataclasses.replace(
        ct,
        meta={
            "lossy": True,
            "compression": "JPEG 2000 (lossy)",
            "lossy_ratio": "10",
            "lossy_method": "ISO_15444_1",
        },
    )
    report = run_qc(lossy, labels, 1)
    assert _status(report)["lossy_compression"] == "fail" and not report.passed
    assert "ratio 10:1" in next(c.value for c in report.checks if c.name == "lossy_compression")
    relaxed = run_qc(lossy, labels, 1, QcLimits(lossy_compression="warn"))
    assert _status(relaxed)["lossy_compression"] == "warn" and relaxed.passed
    lossless = dataclasses.replace(ct, meta={"lossy": False, "compression": "JPEG 2000 lossless"})
    assert _status(run_qc(lossless, labels, 1))["lossy_compression"] == "ok"

"""Grid agreement between a CT and its mask, and nearest-neighbour placement of labels on a CT grid."""

from __future__ import annotations

import numpy as np
import pytest

from hsp_desktop.domain import CtVolume, LabelMap
from hsp_desktop.errors import GeometryError
from hsp_desktop.imaging.geometry import check_geometry, geometry_differences, resample_labels_to


def _ct() -> CtVolume:
    return CtVolume(
        array=np.zeros((6, 10, 12), dtype=np.float32),
        spacing=(0.7, 0.7, 2.5),
        origin=(-5.0, 3.0, 40.0),
        source="ct.nii",
    )


def _mask(**kw: object) -> LabelMap:
    args: dict[str, object] = {
        "array": np.zeros((6, 10, 12), dtype=np.uint8),
        "spacing": (0.7, 0.7, 2.5),
        "origin": (-5.0, 3.0, 40.0),
        "source": "mask.nii",
    }
    args.update(kw)
    return LabelMap(**args)  # type: ignore[arg-type]


def test_same_grid_passes_within_tolerance() -> None:
    check_geometry(_ct(), _mask(origin=(-5.0 + 1e-5, 3.0, 40.0)))
    assert geometry_differences(_ct(), _mask(spacing=(0.70001, 0.7, 2.5))) == []


def test_every_difference_is_listed_with_both_values() -> None:
    mask = _mask(
        array=np.zeros((5, 10, 12), dtype=np.uint8),
        spacing=(0.7, 0.7, 3.0),
        origin=(-5.0, 3.0, 41.0),
        direction=(1.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 1.0),
    )
    with pytest.raises(GeometryError) as info:
        check_geometry(_ct(), mask)
    err = info.value
    text = str(err)
    assert "size: ct 12x10x6 voxels, mask 12x10x5 voxels" in text
    assert "spacing: ct 0.7x0.7x2.5 mm, mask 0.7x0.7x3 mm" in text
    assert "origin: ct (-5, 3, 40) mm, mask (-5, 3, 41) mm" in text
    assert "direction: ct (1, 0, 0, 0, 1, 0, 0, 0, 1), mask (1, 0, 0, 0, -1, 0, 0, 0, 1)" in text
    assert err.field == "mask.nii" and "ct.nii" in err.message
    assert err.fix and "re-export" in err.fix
    assert len(geometry_differences(_ct(), mask)) == 4


def test_resample_labels_nearest_neighbour() -> None:
    ct = _ct()
    fine = np.zeros((12, 20, 24), dtype=np.uint8)
    fine[4:8, 6:14, 8:16] = 2  # coarse centres fall a quarter fine voxel past fine centres: no rounding ties
    mask = LabelMap(
        array=fine, spacing=(0.35, 0.35, 1.25), origin=(-5.0875, 2.9125, 39.6875), labels={2: "liver"}
    )
    out = resample_labels_to(mask, ct)
    assert out.shape == ct.shape and out.spacing == ct.spacing and out.labels == {2: "liver"}
    assert set(np.unique(out.array)) == {0, 2}
    assert np.array_equal(out.array[2:4, 3:7, 4:8], np.full((2, 4, 4), 2, dtype=np.uint8))
    assert int(np.count_nonzero(out.array)) == 2 * 4 * 4


def test_resample_without_overlap_is_an_error() -> None:
    mask = _mask(array=np.ones((6, 10, 12), dtype=np.uint8), origin=(500.0, 500.0, 500.0))
    with pytest.raises(GeometryError, match="does not overlap"):
        resample_labels_to(mask, _ct())

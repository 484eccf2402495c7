from __future__ import annotations

import numpy as np
import pytest
from conftest import deepest_spleen_voxel

from hsp_desktop.domain import CtVolume
from hsp_desktop.errors import GeometryError, InputError
from hsp_desktop.segmentation import agreement, grow_region, segment_semiauto, suggest_window


def test_agreement_of_identical_and_shifted_masks() -> None:
    a = np.zeros((20, 20, 20), dtype=bool)
    a[5:15, 5:15, 5:15] = True
    same = agreement(a, a, (1.0, 1.0, 1.0))
    assert same.dice == 1.0 and same.msd_mm == 0.0 and same.volume_error == 0.0
    b = np.roll(a, 1, axis=2)  # one voxel along x (2 mm)
    shifted = agreement(b, a, (2.0, 1.0, 1.0))
    assert shifted.dice == pytest.approx(0.9)
    # two faces of 100 voxels each are 2 mm off (both directions); every other surface voxel is exact
    assert 0.0 < shifted.msd_mm < 2.0 and shifted.hd95_mm == pytest.approx(2.0)
    with pytest.raises(GeometryError):
        agreement(a[:-1], a, (1.0, 1.0, 1.0))
    with pytest.raises(InputError):
        agreement(np.zeros_like(a), a, (1.0, 1.0, 1.0))


def test_one_click_spleen_matches_ground_truth(case) -> None:
    ct, labels = case
    seed = deepest_spleen_voxel(labels)
    result = grow_region(ct, [seed])
    a = agreement(result.mask, labels.array == 1, ct.spacing)
    assert a.dice >= 0.95 and a.msd_mm <= 1.5 and abs(a.volume_error) <= 0.05
    low, high = result.window
    assert low < float(np.median(ct.array[labels.array == 1])) < high


def test_window_is_suggested_from_the_click_and_can_be_overridden(case) -> None:
    ct, labels = case
    seed = deepest_spleen_voxel(labels)
    low, high = suggest_window(ct, [seed])
    assert low < ct.array[seed[2], seed[1], seed[0]] + 60 and high > low
    # a window that excludes the spleen's HU grows nothing: a typed error that names the window
    with pytest.raises(InputError, match="outside the window"):
        grow_region(ct, [seed], window=(-200.0, -100.0))
    with pytest.raises(InputError, match="lower limit below"):
        grow_region(ct, [seed], window=(100.0, 50.0))


def test_seed_outside_the_ct_and_bad_smoothness_are_refused(case) -> None:
    ct, labels = case
    with pytest.raises(InputError, match="outside the CT") as info:
        grow_region(ct, [(500, 2, 2)])
    assert info.value.field == "seed"
    with pytest.raises(InputError, match="at least one click"):
        grow_region(ct, [])
    with pytest.raises(InputError, match="smoothness"):
        grow_region(ct, [deepest_spleen_voxel(labels)], smoothness_mm=-1.0)


def test_leak_cut_separates_a_thin_bridge() -> None:
    # two 100 HU blocks joined by a 3 x 3 voxel bridge; smoothness cuts it, zero smoothness does not
    array = np.full((30, 30, 60), -100.0, dtype=np.float32)
    array[5:25, 5:25, 5:25] = 100.0
    array[5:25, 5:25, 35:55] = 100.0
    array[14:17, 14:17, 25:35] = 100.0
    ct = CtVolume(array=array, spacing=(1.0, 1.0, 1.0))
    seed = (15, 15, 15)
    joined = grow_region(ct, [seed], window=(50.0, 150.0), smoothness_mm=0.0)
    cut = grow_region(ct, [seed], window=(50.0, 150.0), smoothness_mm=3.0)
    assert joined.mask[:, :, 40].any() and not cut.mask[:, :, 40].any()
    # the clicked block comes back but for its sharp corners and edges (an opening rounds them)
    assert cut.mask[5:25, 5:25, 5:25].sum() >= 0.9 * 20**3
    assert not cut.mask[:, :, 30:].any()


def test_liver_and_spleen_in_one_label_map(case) -> None:
    ct, labels = case
    liver_seed = (31, 62, 40)
    assert labels.array[liver_seed[2], liver_seed[1], liver_seed[0]] == 2
    out, provenance, results = segment_semiauto(
        ct, {"spleen": [deepest_spleen_voxel(labels)], "liver": [liver_seed]}, user="dr.wu"
    )
    assert out.labels == {1: "spleen", 2: "liver"}
    assert agreement(out.array == 2, labels.array == 2, ct.spacing).dice > 0.9
    assert provenance.method == "semi-automatic" and provenance.review is None
    assert provenance.details["organs"]["liver"]["seeds"] == [list(liver_seed)]
    assert set(results) == {"spleen", "liver"}
    with pytest.raises(InputError, match="spleen and the liver"):
        segment_semiauto(ct, {"kidney": [(1, 1, 1)]}, user="x")

"""texture_features_per_slice: IBSI 2D aggregation (features per slice, averaged over slices)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hsp_desktop.errors import InputError
from hsp_desktop.radiomics.texture import TextureSettings, texture_features, texture_features_per_slice


def _volume(seed: int = 0, shape=(4, 7, 8), n_levels: int = 5) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    levels = rng.integers(1, n_levels + 1, shape).astype(np.int32)
    mask = rng.random(shape) < 0.8
    for z in range(shape[0]):  # every slice holds every level, so per-slice Ng is the ROI's
        for level in range(1, n_levels + 1):
            levels[z, 0, level - 1] = level
            mask[z, 0, level - 1] = True
    return levels, mask


@pytest.mark.parametrize("axis", [0, 1, 2])
@pytest.mark.parametrize("norm", [None, "no_weighting"])
def test_equals_the_mean_of_single_slice_features(axis: int, norm: str | None) -> None:
    levels, mask = _volume(axis, shape=(6, 6, 6))
    # move the slice axis (which carries the all-levels row of every slice) to the chosen axis
    levels = np.ascontiguousarray(np.moveaxis(levels, 0, axis))
    mask = np.ascontiguousarray(np.moveaxis(mask, 0, axis))
    cfg = TextureSettings(force2d_dimension=axis, weighting_norm=norm)
    ours = texture_features_per_slice(levels, mask, (1.0, 1.0, 1.0), cfg)
    singles = []
    for index in range(levels.shape[axis]):
        only = np.zeros_like(mask)
        sl = [slice(None)] * 3
        sl[axis] = index
        only[tuple(sl)] = mask[tuple(sl)]
        assert int(levels[only].max()) == int(levels[mask].max())  # same Ng per slice by construction
        singles.append(
            texture_features(
                levels,
                only,
                (1.0, 1.0, 1.0),
                TextureSettings(force2d=True, force2d_dimension=axis, weighting_norm=norm),
            )
        )
    for key, value in ours.items():
        want = [s[key] for s in singles if not math.isnan(s[key])]
        assert value == pytest.approx(np.mean(want), rel=1e-12, abs=1e-15), key


def test_n_levels_sets_ng_of_every_slice() -> None:
    levels, mask = _volume(1)
    base = texture_features_per_slice(levels, mask, (1.0, 1.0, 1.0))
    wider = texture_features_per_slice(levels, mask, (1.0, 1.0, 1.0), n_levels=12)
    assert wider["glcm_Idmn"] != base["glcm_Idmn"] and wider["glcm_Idn"] != base["glcm_Idn"]
    for key in ("glcm_Contrast", "glrlm_RunEntropy", "glszm_ZoneEntropy", "gldm_DependenceEntropy"):
        assert wider[key] == pytest.approx(base[key], rel=1e-12)
    with pytest.raises(InputError) as info:
        texture_features_per_slice(levels, mask, (1.0, 1.0, 1.0), n_levels=3)
    assert info.value.field == "n_levels"


def test_single_voxel_slices_are_skipped_and_all_single_is_refused() -> None:
    levels, mask = _volume(2)
    lone = mask.copy()
    lone[0] = False
    lone[0, 3, 3] = True  # slice 0: one voxel only
    expected = texture_features_per_slice(
        levels, np.where(np.arange(4)[:, None, None] > 0, mask, False), (1, 1, 1)
    )
    assert texture_features_per_slice(levels, lone, (1, 1, 1)) == expected
    column = np.zeros_like(mask)
    column[:, 2, 2] = True
    with pytest.raises(InputError, match="no slice"):
        texture_features_per_slice(levels, column, (1, 1, 1))

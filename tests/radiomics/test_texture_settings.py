"""TextureSettings validation and texture_features input errors."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from hsp_desktop.errors import InputError, SettingsError
from hsp_desktop.radiomics.texture import (
    TEXTURE_CLASSES,
    TextureSettings,
    feature_keys,
    texture_features,
    warm_up,
)


def _case() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    levels = rng.integers(1, 5, (4, 5, 6)).astype(np.int32)
    mask = np.ones((4, 5, 6), dtype=bool)
    return levels, mask


def test_defaults_are_pyradiomics_defaults() -> None:
    cfg = TextureSettings()
    assert cfg.distances == (1,)
    assert cfg.symmetrical_glcm is True
    assert cfg.weighting_norm is None
    assert cfg.gldm_a == 0
    assert cfg.force2d is False
    assert cfg.force2d_dimension == 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.gldm_a = 2  # type: ignore[misc]


def test_settings_are_coerced() -> None:
    cfg = TextureSettings(distances=[2, np.int64(1)], gldm_a=np.int32(1), force2d=np.bool_(True))
    assert cfg.distances == (2, 1)
    assert type(cfg.gldm_a) is int and cfg.force2d is True
    assert TextureSettings(distances=3).distances == (3,)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"distances": ()}, "distances"),
        ({"distances": (0,)}, "distances"),
        ({"distances": (1.5,)}, "distances"),
        ({"distances": (1, 1)}, "distances"),
        ({"distances": "1"}, "distances"),
        ({"distances": (True,)}, "distances"),
        ({"weighting_norm": "chebyshev"}, "weighting_norm"),
        ({"gldm_a": -1}, "gldm_a"),
        ({"gldm_a": 0.5}, "gldm_a"),
        ({"force2d": "yes"}, "force2d"),
        ({"symmetrical_glcm": 1}, "symmetrical_glcm"),
        ({"force2d_dimension": 3}, "force2d_dimension"),
        ({"force2d_dimension": True}, "force2d_dimension"),
    ],
)
def test_invalid_settings_raise_settings_error(kwargs: dict, field: str) -> None:
    with pytest.raises(SettingsError) as info:
        TextureSettings(**kwargs)
    err = info.value
    assert err.field == field
    assert err.expected and err.found and err.fix


def test_unknown_class_is_a_settings_error() -> None:
    levels, mask = _case()
    with pytest.raises(SettingsError, match="glcmm"):
        texture_features(levels, mask, (1, 1, 1), TextureSettings(), ["glcmm"])
    with pytest.raises(SettingsError, match="TextureSettings"):
        texture_features(levels, mask, (1, 1, 1), {"distances": [1]}, ["glcm"])  # type: ignore[arg-type]


def test_feature_keys_and_counts() -> None:
    keys = feature_keys()
    assert len(keys) == 75 and keys[0] == "glcm_Autocorrelation" and keys[-1] == "ngtdm_Strength"
    assert feature_keys("ngtdm") == [
        "ngtdm_Busyness",
        "ngtdm_Coarseness",
        "ngtdm_Complexity",
        "ngtdm_Contrast",
        "ngtdm_Strength",
    ]
    levels, mask = _case()
    values = texture_features(levels, mask, (0.7, 0.7, 2.5), TextureSettings(), TEXTURE_CLASSES)
    assert list(values) == keys
    assert all(isinstance(v, float) and np.isfinite(v) for v in values.values())


@pytest.mark.parametrize(
    ("levels", "mask", "spacing", "field"),
    [
        (np.ones((3, 3), np.int32), np.ones((3, 3), bool), (1, 1, 1), "levels"),
        (np.ones((3, 3, 3)), np.ones((3, 3, 3), bool), (1, 1, 1), "levels"),
        (np.ones((3, 3, 3), np.int32), np.ones((3, 3, 2), bool), (1, 1, 1), "mask"),
        (np.ones((3, 3, 3), np.int32), np.ones((3, 3, 3), np.float64), (1, 1, 1), "mask"),
        (np.ones((3, 3, 3), np.int32), np.zeros((3, 3, 3), bool), (1, 1, 1), "mask"),
        (np.zeros((3, 3, 3), np.int32), np.ones((3, 3, 3), bool), (1, 1, 1), "levels"),
        (np.full((3, 3, 3), 70000, np.int32), np.ones((3, 3, 3), bool), (1, 1, 1), "levels"),
        (np.ones((3, 3, 3), np.int32), np.ones((3, 3, 3), bool), (1, 1), "spacing"),
        (np.ones((3, 3, 3), np.int32), np.ones((3, 3, 3), bool), (1, 0, 1), "spacing"),
        (np.ones((3, 3, 3), np.int32), np.ones((3, 3, 3), bool), (1, float("nan"), 1), "spacing"),
    ],
)
def test_bad_inputs_raise_input_error(levels, mask, spacing, field) -> None:
    with pytest.raises(InputError) as info:
        texture_features(levels, mask, spacing, TextureSettings())
    assert info.value.field == field
    assert info.value.expected and info.value.found and info.value.fix


def test_single_voxel_roi_is_refused() -> None:
    levels = np.ones((3, 3, 3), np.int32)
    mask = np.zeros((3, 3, 3), bool)
    mask[1, 1, 1] = True
    with pytest.raises(InputError, match="single voxel"):
        texture_features(levels, mask, (1, 1, 1), TextureSettings())
    mask[:, 1, 1] = True  # a line along z: fine in 3D, no in-plane direction in 2D
    assert np.isfinite(
        texture_features(levels, mask, (1, 1, 1), TextureSettings(), ["glszm"])["glszm_ZoneEntropy"]
    )
    with pytest.raises(InputError, match="2D plane"):
        texture_features(levels, mask, (1, 1, 1), TextureSettings(force2d=True), ["glszm"])


def test_values_outside_the_mask_and_position_do_not_matter() -> None:
    levels, mask = _case()
    mask[0] = False
    base = texture_features(levels, mask, (1, 1, 2), TextureSettings(weighting_norm="manhattan"))
    moved_levels = np.full((9, 9, 9), -7, np.int32)
    moved_mask = np.zeros((9, 9, 9), bool)
    moved_levels[5:9, 2:7, 3:9] = levels
    moved_mask[5:9, 2:7, 3:9] = mask
    moved = texture_features(moved_levels, moved_mask, (1, 1, 2), TextureSettings(weighting_norm="manhattan"))
    assert moved == base


def test_distances_that_fit_no_pair_are_refused() -> None:
    levels = np.ones((2, 2, 2), np.int32)
    mask = np.ones((2, 2, 2), bool)
    with pytest.raises(InputError, match="distances") as info:
        texture_features(levels, mask, (1, 1, 1), TextureSettings(distances=(2,)), ["glcm"])
    assert info.value.field == "distances"
    # GLRLM and GLSZM always use distance 1
    assert texture_features(levels, mask, (1, 1, 1), TextureSettings(distances=(2,)), ["glszm"])


def test_warm_up_runs() -> None:
    warm_up()

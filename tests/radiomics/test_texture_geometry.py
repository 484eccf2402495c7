"""One texture geometry (ROI-only work) shared by several images gives the per-image results."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hsp_desktop.errors import InputError, SettingsError
from hsp_desktop.radiomics.texture import (
    TextureSettings,
    texture_features,
    texture_features_on,
    texture_geometry,
)


def _case(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    z, y, x = np.mgrid[:9, :14, :12]
    mask = ((z - 4) / 4.2) ** 2 + ((y - 7) / 6.0) ** 2 + ((x - 6) / 5.0) ** 2 < 1.0
    levels = np.zeros(mask.shape, dtype=np.int32)
    return levels, mask & (rng.random(mask.shape) < 0.95)


@pytest.mark.parametrize(
    "cfg", [TextureSettings(), TextureSettings(distances=(1, 2), gldm_a=1), TextureSettings(force2d=True)]
)
def test_shared_geometry_equals_independent_calls(cfg: TextureSettings) -> None:
    levels, mask = _case(1)
    spacing = (0.8, 0.8, 2.0)
    geometry = texture_geometry(mask, spacing, cfg)
    rng = np.random.default_rng(2)
    for n_levels in (1, 3, 9):
        levels[mask] = rng.integers(1, n_levels + 1, int(mask.sum()))
        levels[~mask] = rng.integers(-3, 40, int((~mask).sum()))  # ignored
        ours = texture_features_on(geometry, levels)
        want = texture_features(levels, mask, spacing, cfg)
        assert ours.keys() == want.keys()
        for key, value in want.items():
            assert math.isnan(value) == math.isnan(ours[key]), key
            if not math.isnan(value):
                assert ours[key] == value, key


def test_shared_geometry_checks_the_levels() -> None:
    levels, mask = _case(3)
    geometry = texture_geometry(mask, (1.0, 1.0, 1.0), TextureSettings(), ["glcm"])
    levels[mask] = 2
    with pytest.raises(SettingsError, match="prepared without"):
        texture_features_on(geometry, levels, ["glrlm"])
    with pytest.raises(InputError, match="differ in shape"):
        texture_features_on(geometry, levels[1:])
    bad = levels.copy()
    bad[mask] = 0
    with pytest.raises(InputError, match=">= 1"):
        texture_features_on(geometry, bad)
    with pytest.raises(InputError, match="integer"):
        texture_features_on(geometry, levels.astype(np.float64))
    assert (
        texture_features_on(geometry, levels, ["glcm"]).keys() == texture_features_on(geometry, levels).keys()
    )

"""Texture features against PyRadiomics 3.0.1 run live on the same discretised input.

PyRadiomics' feature classes get a SimpleITK image whose voxel values already are the grey levels, with
``binWidth=1``: its fixed-bin-width discretisation then maps level ``v`` to ``v - min + 1``, i.e. to
itself when level 1 occurs in the ROI (checked on every call).  Like PyRadiomics' extractor, the image
and mask are cropped to the ROI bounding box first.
"""

from __future__ import annotations

import logging
import math
import os
import warnings

import numpy as np
import pytest
import SimpleITK as sitk
from radiomics import glcm, gldm, glrlm, glszm, ngtdm
from scipy import ndimage

from hsp_desktop.radiomics.texture import FEATURE_NAMES, TEXTURE_CLASSES, TextureSettings, texture_features

logging.getLogger("radiomics").setLevel(logging.ERROR)

PYRAD_CLASSES = {
    "glcm": glcm.RadiomicsGLCM,
    "glrlm": glrlm.RadiomicsGLRLM,
    "glszm": glszm.RadiomicsGLSZM,
    "gldm": gldm.RadiomicsGLDM,
    "ngtdm": ngtdm.RadiomicsNGTDM,
}
REL, ABS = 1e-6, 1e-9
#: Large ROIs take tens of seconds in Numba's pure-Python mode; the small cases run the same code paths.
large_roi = pytest.mark.skipif(
    os.environ.get("NUMBA_DISABLE_JIT", "0") not in ("", "0"),
    reason="large ROI is slow without the JIT; small cases cover the same code in pure-Python mode",
)


def _crop(levels: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    box = tuple(
        slice(int(idx[0]), int(idx[-1]) + 1)
        for idx in (np.flatnonzero(mask.any(axis=other)) for other in ((1, 2), (0, 2), (0, 1)))
    )
    return levels[box], mask[box]


def _pyrad_kwargs(cfg: TextureSettings) -> dict:
    return {
        "binWidth": 1,
        "distances": list(cfg.distances),
        "symmetricalGLCM": cfg.symmetrical_glcm,
        "weightingNorm": cfg.weighting_norm,
        "gldm_a": cfg.gldm_a,
        "force2D": cfg.force2d,
        "force2Ddimension": cfg.force2d_dimension,
    }


def pyradiomics_texture(
    levels: np.ndarray,
    mask: np.ndarray,
    spacing,
    cfg: TextureSettings,
    classes=TEXTURE_CLASSES,
    identity=False,
) -> dict[str, float]:
    """PyRadiomics' features; ``identity`` skips its binning (for level sets without level 1)."""
    lv, mk = _crop(levels, mask)
    image = sitk.GetImageFromArray(lv.astype(np.float64))
    image.SetSpacing(tuple(float(s) for s in spacing))
    label = sitk.GetImageFromArray(mk.astype(np.uint8))
    label.CopyInformation(image)
    out: dict[str, float] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for cls in classes:
            base = PYRAD_CLASSES[cls]
            if identity:

                class Unbinned(base):  # type: ignore[valid-type,misc]
                    def _applyBinning(self, matrix):
                        self.coefficients["grayLevels"] = np.unique(matrix[self.maskArray])
                        self.coefficients["Ng"] = int(np.max(self.coefficients["grayLevels"]))
                        return matrix

                feature_class = Unbinned(image, label, **_pyrad_kwargs(cfg))
            else:
                feature_class = base(image, label, **_pyrad_kwargs(cfg))
            # the mapping check: PyRadiomics' discretised image equals our levels inside the ROI
            np.testing.assert_array_equal(feature_class.imageArray[mk], lv[mk])
            feature_class.enableAllFeatures()
            for name, value in feature_class.execute().items():
                out[f"{cls}_{name}"] = float(value)
    return out


def compare(ours: dict[str, float], theirs: dict[str, float]) -> dict[str, float]:
    """Assert agreement; return the largest relative difference per class."""
    assert list(ours) == [k for cls in TEXTURE_CLASSES for k in theirs if k.startswith(cls + "_")]
    worst: dict[str, float] = {}
    for key, want in theirs.items():
        got = ours[key]
        if math.isnan(want):
            assert math.isnan(got), f"{key}: ours {got}, PyRadiomics NaN"
            continue
        diff = abs(got - want)
        assert diff <= max(REL * abs(want), ABS), f"{key}: ours {got!r}, PyRadiomics {want!r}"
        cls = key.split("_", 1)[0]
        rel = diff / abs(want) if want != 0 else diff
        worst[cls] = max(worst.get(cls, 0.0), rel)
    return worst


def random_case(
    seed: int, shape=(9, 13, 12), n_levels=12
) -> tuple[np.ndarray, np.ndarray, tuple[float, ...]]:
    """A blob-shaped ROI over smoothly varying grey levels (1 present), with a random spacing."""
    rng = np.random.default_rng(seed)
    field = ndimage.gaussian_filter(rng.normal(size=shape), 1.2)
    mask = ndimage.gaussian_filter(rng.normal(size=shape), 1.5) > -0.15
    inside = field[mask]
    scaled = (field - inside.min()) / (np.ptp(inside) + 1e-12)
    levels = np.clip((scaled * n_levels).astype(np.int32) + 1, 1, n_levels)
    levels[~mask] = 0
    spacing = tuple(float(s) for s in rng.uniform(0.6, 3.0, 3))
    return levels, mask, spacing


SETTINGS = [
    TextureSettings(),
    TextureSettings(symmetrical_glcm=False),
    TextureSettings(distances=(1, 2)),
    TextureSettings(distances=(1, 2), weighting_norm="manhattan", gldm_a=1),
    TextureSettings(weighting_norm="euclidean"),
    TextureSettings(weighting_norm="infinity", symmetrical_glcm=False),
    TextureSettings(weighting_norm="no_weighting"),
    TextureSettings(gldm_a=1),
    TextureSettings(force2d=True),
    TextureSettings(force2d=True, force2d_dimension=1, weighting_norm="euclidean"),
    TextureSettings(force2d=True, force2d_dimension=2, distances=(1, 2), symmetrical_glcm=False),
]


@pytest.mark.parametrize("index", range(len(SETTINGS)))
def test_random_rois_agree_with_pyradiomics(index: int) -> None:
    cfg = SETTINGS[index]
    levels, mask, spacing = random_case(100 + index)
    compare(texture_features(levels, mask, spacing, cfg), pyradiomics_texture(levels, mask, spacing, cfg))


@pytest.mark.parametrize("seed", range(4))
def test_sparse_random_levels_agree(seed: int) -> None:
    """Noisy levels with gaps (absent middle levels) and a ragged ROI."""
    rng = np.random.default_rng(seed)
    shape = (6, 8, 7)
    levels = rng.choice([1, 2, 4, 7, 8], size=shape).astype(np.int32)
    mask = rng.random(shape) < 0.75
    levels[mask.nonzero()[0][0], mask.nonzero()[1][0], mask.nonzero()[2][0]] = 1
    cfg = SETTINGS[seed * 2 % len(SETTINGS)]
    spacing = (0.8, 0.8, 2.5)
    compare(texture_features(levels, mask, spacing, cfg), pyradiomics_texture(levels, mask, spacing, cfg))


def test_levels_without_level_one_follow_pyradiomics_rules() -> None:
    """IBSI-anchored bins may leave the lowest levels empty: Ng is still the highest level."""
    levels, mask, spacing = random_case(7, n_levels=9)
    levels = levels + 4  # levels 5..13, 1..4 empty
    for cfg in (TextureSettings(), TextureSettings(weighting_norm="manhattan", symmetrical_glcm=False)):
        theirs = pyradiomics_texture(levels, mask, spacing, cfg, identity=True)
        compare(texture_features(levels, mask, spacing, cfg), theirs)


@pytest.mark.parametrize("cfg", [TextureSettings(), TextureSettings(force2d=True, weighting_norm="infinity")])
def test_flat_roi_follows_pyradiomics_conventions(cfg: TextureSettings) -> None:
    mask = np.zeros((5, 6, 6), dtype=bool)
    mask[1:4, 1:5, 1:6] = True
    levels = np.where(mask, 1, 0).astype(np.int32)
    ours = texture_features(levels, mask, (1.0, 1.0, 1.0), cfg)
    compare(ours, pyradiomics_texture(levels, mask, (1.0, 1.0, 1.0), cfg))
    assert ours["glcm_Correlation"] == 1.0
    assert ours["glcm_MCC"] == 1.0
    assert ours["ngtdm_Coarseness"] == 1e6
    assert ours["ngtdm_Contrast"] == 0.0


@pytest.mark.parametrize(
    ("axis", "cfg"),
    [
        (0, TextureSettings()),
        (0, TextureSettings(weighting_norm="manhattan", distances=(1, 2))),
        (2, TextureSettings()),
        (2, TextureSettings(force2d=True, force2d_dimension=2)),
        (1, TextureSettings(force2d=True, force2d_dimension=0, symmetrical_glcm=False)),
    ],
)
def test_one_voxel_thick_roi_agrees(axis: int, cfg: TextureSettings) -> None:
    levels, mask, spacing = random_case(11 + axis, shape=(8, 9, 10))
    thin = np.zeros_like(mask)
    index = [slice(None)] * 3
    index[axis] = 4
    thin[tuple(index)] = mask[tuple(index)]
    levels = np.where(thin, np.maximum(levels, 1), 0).astype(np.int32)
    levels[thin] = levels[thin] - levels[thin].min() + 1
    compare(texture_features(levels, thin, spacing, cfg), pyradiomics_texture(levels, thin, spacing, cfg))


def test_roi_without_neighbouring_pairs_gives_nan_like_pyradiomics() -> None:
    levels = np.ones((1, 1, 5), dtype=np.int32)
    mask = np.zeros((1, 1, 5), dtype=bool)
    mask[0, 0, 0] = mask[0, 0, 4] = True  # two voxels, 3 apart
    cfg = TextureSettings()
    ours = texture_features(levels, mask, (1.0, 1.0, 1.0), cfg)
    theirs = pyradiomics_texture(levels, mask, (1.0, 1.0, 1.0), cfg)
    compare(ours, theirs)
    assert math.isnan(ours["glcm_Contrast"])


def test_class_subset_and_key_order() -> None:
    levels, mask, spacing = random_case(3)
    ours = texture_features(levels, mask, spacing, TextureSettings(), ["ngtdm", "glszm"])
    assert list(ours) == [f"glszm_{n}" for n in FEATURE_NAMES["glszm"]] + [
        f"ngtdm_{n}" for n in FEATURE_NAMES["ngtdm"]
    ]
    theirs = pyradiomics_texture(levels, mask, spacing, TextureSettings(), ["glszm", "ngtdm"])
    compare(ours, theirs)


def test_feature_names_are_pyradiomics_default_enabled_set() -> None:
    for cls, feature_class in PYRAD_CLASSES.items():
        enabled = sorted(
            name for name, deprecated in feature_class.getFeatureNames().items() if not deprecated
        )
        assert list(FEATURE_NAMES[cls]) == enabled
    assert sum(len(v) for v in FEATURE_NAMES.values()) == 75


@pytest.mark.parametrize("seed", range(10))
def test_random_settings_agree(seed: int) -> None:
    rng = np.random.default_rng(1000 + seed)
    cfg = TextureSettings(
        distances=((1,), (1, 2), (2,), (1, 3))[int(rng.integers(4))],
        symmetrical_glcm=bool(rng.integers(2)),
        weighting_norm=(None, "manhattan", "euclidean", "infinity", "no_weighting")[int(rng.integers(5))],
        gldm_a=int(rng.integers(3)),
        force2d=bool(rng.integers(2)),
        force2d_dimension=int(rng.integers(3)),
    )
    shape = tuple(int(s) for s in rng.integers(3, 11, 3))
    levels, mask, spacing = random_case(seed, shape=shape, n_levels=int(rng.integers(2, 20)))
    compare(texture_features(levels, mask, spacing, cfg), pyradiomics_texture(levels, mask, spacing, cfg))


@large_roi
def test_larger_roi_with_many_levels_agrees() -> None:
    levels, mask, spacing = random_case(42, shape=(16, 34, 34), n_levels=60)
    assert mask.sum() > 5000
    for cfg in (TextureSettings(), TextureSettings(weighting_norm="no_weighting", distances=(1, 2))):
        compare(texture_features(levels, mask, spacing, cfg), pyradiomics_texture(levels, mask, spacing, cfg))


@pytest.mark.parametrize("cls", TEXTURE_CLASSES)
def test_single_class_requests_agree(cls: str) -> None:
    """One class alone takes the per-family kernel instead of the fused neighbour pass."""
    levels, mask, spacing = random_case(21)
    cfg = TextureSettings(distances=(1, 2), gldm_a=1, weighting_norm="euclidean")
    ours = texture_features(levels, mask, spacing, cfg, [cls])
    assert list(ours) == [f"{cls}_{n}" for n in FEATURE_NAMES[cls]]
    compare(ours, pyradiomics_texture(levels, mask, spacing, cfg, [cls]))


@large_roi
def test_mcc_with_rare_levels_on_a_large_roi() -> None:
    """Rare grey levels make px*py tiny, where PyRadiomics' eps inside Q matters.

    Dropping eps (an eps-free symmetric form) misses PyRadiomics here by ~1e-9 relative, and by 2e-7 on
    the 178k-voxel benchmark case; keeping it agrees to rounding.
    """
    rng = np.random.default_rng(5)
    shape = (14, 60, 60)
    grid = np.ogrid[tuple(slice(0, n) for n in shape)]
    mask = sum(((g - (n - 1) / 2) / (n / 2)) ** 2 for g, n in zip(grid, shape, strict=True)) <= 1.0
    field = ndimage.gaussian_filter(rng.normal(size=shape), 1.0)
    inside = field[mask]
    levels = np.clip(((field - inside.min()) / np.ptp(inside) * 100).astype(np.int32) + 1, 1, 100)
    flat = levels.ravel()  # a few isolated voxels at the extreme levels
    pick = rng.choice(np.flatnonzero(mask.ravel()), 12, replace=False)
    flat[pick[:4]] = 1
    flat[pick[4:8]] = 100
    flat[pick[8:]] = rng.integers(2, 29, 4)
    assert mask.sum() > 20000
    cfg = TextureSettings(symmetrical_glcm=False, distances=(1, 2))
    ours = texture_features(levels, mask, (0.8, 0.8, 2.0), cfg, ["glcm"])
    theirs = pyradiomics_texture(levels, mask, (0.8, 0.8, 2.0), cfg, ["glcm"])
    compare(ours, theirs)
    assert abs(ours["glcm_MCC"] - theirs["glcm_MCC"]) <= 1e-11 * theirs["glcm_MCC"]


@pytest.mark.parametrize(
    "voxels",
    [
        [(0, 0, 0), (1, 1, 1)],  # two diagonal voxels: one direction holds the only pair
        [(0, 0, 0), (0, 0, 1), (0, 1, 1)],  # an L in one slice
        [(0, 2, 2), (1, 2, 2), (2, 2, 2), (3, 2, 2)],  # a line along z
        [(0, 0, 0), (2, 2, 2), (2, 0, 1)],  # scattered, pairs only at distance 2
    ],
)
@pytest.mark.parametrize(
    "cfg", [TextureSettings(), TextureSettings(distances=(1, 2), weighting_norm="manhattan")]
)
def test_tiny_rois_agree(voxels, cfg: TextureSettings) -> None:
    levels = np.zeros((4, 4, 4), dtype=np.int32)
    mask = np.zeros((4, 4, 4), dtype=bool)
    for n, voxel in enumerate(voxels):
        mask[voxel] = True
        levels[voxel] = 1 + n % 2
    ours = texture_features(levels, mask, (0.7, 0.9, 2.0), cfg)
    compare(ours, pyradiomics_texture(levels, mask, (0.7, 0.9, 2.0), cfg))

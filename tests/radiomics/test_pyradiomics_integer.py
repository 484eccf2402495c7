"""Live agreement with PyRadiomics 3 on integer-typed CT (as scanners store it), with and without resampling.

SimpleITK's resampling keeps the input's pixel type (ITK clamps the interpolated value to the type's range and
truncates it toward zero), so an int16 CT resampled by PyRadiomics holds integers.  The matrix: int16 and uint16
inputs x {sitkBSpline, sitkLinear, sitkNearestNeighbor} x resampling on/off x every image type.  The images hold
what makes the cast matter: a constant region (B-spline values within rounding noise of an integer), values at
the type's limits (clamping of the B-spline overshoot), and a textured ROI.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter

from hsp_desktop.domain import CtVolume, LabelMap
from hsp_desktop.radiomics import extract_features
from tests.radiomics.test_pyradiomics_agreement import ALL_3D, assert_agree, pyradiomics_features

INTERPOLATORS = ("sitkBSpline", "sitkLinear", "sitkNearestNeighbor")
ALL_IMAGE_TYPES: dict[str, Any] = {
    "Original": {},
    "LoG": {"sigma": [1.0, 2.5]},
    "Wavelet": {},
    "Square": {},
    "SquareRoot": {},
    "Logarithm": {},
    "Exponential": {},
    "Gradient": {},
}


def integer_spleen(
    seed: int, dtype: type[np.integer], shape: tuple[int, int, int] = (22, 44, 46)
) -> tuple[CtVolume, LabelMap]:
    """A textured 'spleen' stored as ``dtype`` (uint16: HU + 1024, as some scanners store it)."""
    rng = np.random.default_rng(seed)
    z, y, x = np.mgrid[: shape[0], : shape[1], : shape[2]].astype(float)
    c = np.array(shape) / 2 + rng.normal(0, 1.0, 3)
    r = np.array([shape[0] * 0.33, shape[1] * 0.3, shape[2] * 0.28])
    d = ((z - c[0]) / r[0]) ** 2 + ((y - c[1]) / r[1]) ** 2 + ((x - c[2]) / r[2]) ** 2
    mask = (d < 1).astype(np.uint8)
    hu = -60 + 30 * rng.normal(0, 1, shape)
    inside = mask == 1
    hu[inside] = (
        110 + (gaussian_filter(rng.normal(0, 1, shape), 1.0) * 45)[inside] + rng.normal(0, 5, inside.sum())
    )
    hu[:, :, :6] = -1000.0  # air without noise: B-spline values within rounding noise of an integer
    if dtype == np.int16:
        hu[:, -5:, 10:16] = 32767.0  # saturated metal: the B-spline overshoot is clamped to the type's range
        values = np.rint(hu)
    else:
        hu[:, :, :6] = -1024.0  # stored 0: the undershoot next to it is clamped to 0
        values = np.rint(hu) + 1024
    spacing = (0.74, 0.78, 2.2)
    origin = (-20.3 + seed, 8.5, -3.0)
    return (
        CtVolume(array=values.astype(dtype), spacing=spacing, origin=origin),  # type: ignore[arg-type]
        LabelMap(array=mask, spacing=spacing, origin=origin),
    )


def _params(interpolator: str | None, image_types: dict[str, Any], classes: dict[str, Any]) -> dict[str, Any]:
    setting: dict[str, Any] = {"binWidth": 10}
    if interpolator is not None:
        setting.update({"resampledPixelSpacing": [1, 1, 1], "interpolator": interpolator})
    return {"imageType": image_types, "featureClass": classes, "setting": setting}


FAST = [(dtype, interp) for dtype in (np.int16, np.uint16) for interp in (*INTERPOLATORS, None)]


@pytest.mark.parametrize(
    ("dtype", "interpolator"),
    FAST,
    ids=[f"{np.dtype(d).name}-{i or 'no-resampling'}" for d, i in FAST],
)
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_integer_ct_matches_pyradiomics(dtype: type[np.integer], interpolator: str | None) -> None:
    ct, mask = integer_spleen(1, dtype)
    params = _params(
        interpolator,
        {"Original": {}, "LoG": {"sigma": [1.5]}, "Wavelet": {"binWidth": 5}, "Gradient": {}},
        {"firstorder": [], "glcm": [], "glszm": []},
    )
    ours = extract_features(ct, mask, params, qc=False).values
    assert_agree(ours, pyradiomics_features(ct, mask, params))


def test_resampled_integer_ct_holds_integers() -> None:
    # PyRadiomics' first-order Median of a resampled int16 CT is a whole number (SimpleITK keeps int16)
    ct, mask = integer_spleen(2, np.int16)
    params = _params("sitkBSpline", {"Original": {}}, {"firstorder": ["Median", "Minimum", "Maximum"]})
    values = extract_features(ct, mask, params, qc=False).values
    for name in ("original_firstorder_Median", "original_firstorder_Minimum", "original_firstorder_Maximum"):
        assert values[name] == np.trunc(values[name]), name


@pytest.mark.slow
@pytest.mark.parametrize("dtype", [np.int16, np.uint16], ids=["int16", "uint16"])
@pytest.mark.parametrize("interpolator", [*INTERPOLATORS, None], ids=[*INTERPOLATORS, "no-resampling"])
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_integer_ct_all_image_types_all_classes_slow(
    dtype: type[np.integer], interpolator: str | None
) -> None:
    ct, mask = integer_spleen(3, dtype, shape=(26, 52, 54))
    params = _params(interpolator, ALL_IMAGE_TYPES, ALL_3D)
    ours = extract_features(ct, mask, params, qc=False).values
    assert_agree(ours, pyradiomics_features(ct, mask, params))

"""Voxel-wise filter kernel vs PyRadiomics' image-type generators (run live) and NumPy formulas."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk

from kernels.filters import intensity_filter


@pytest.mark.parametrize("kind", ["square", "squareroot", "logarithm", "exponential"])
def test_matches_pyradiomics(kind: str) -> None:
    from radiomics import imageoperations as io

    rng = np.random.default_rng(7)
    arr = rng.normal(0, 300, (5, 6, 7))
    arr[0, 0, 0] = 0.0
    image = sitk.GetImageFromArray(arr)
    gen = {
        "square": io.getSquareImage,
        "squareroot": io.getSquareRootImage,
        "logarithm": io.getLogarithmImage,
        "exponential": io.getExponentialImage,
    }[kind]
    ref = sitk.GetArrayFromImage(next(gen(image, image))[0])
    got = intensity_filter(arr, kind, float(np.max(np.abs(arr))))
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12)


def test_numpy_formulas() -> None:
    x = np.array([-4.0, 0.0, 9.0])
    m = 9.0
    np.testing.assert_allclose(intensity_filter(x, "square", m), (x / 3.0) ** 2)
    np.testing.assert_allclose(intensity_filter(x, "squareroot", m), np.sign(x) * np.sqrt(np.abs(x) * m))
    np.testing.assert_allclose(
        intensity_filter(x, "logarithm", m), np.sign(x) * np.log1p(np.abs(x)) * m / np.log(m + 1)
    )
    np.testing.assert_allclose(intensity_filter(x, "exponential", m), np.exp(x * np.log(m) / m))


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="kind"):
        intensity_filter(np.ones(3), "cube", 1.0)
    with pytest.raises(ValueError, match="image_max"):
        intensity_filter(np.ones(3), "square", 0.0)

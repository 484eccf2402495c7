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


def _numpy_line(x: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Plain-Python Deriche recursion with edge-value extension (the reference of kernels.filters._line)."""
    n, d, m, bn, bm = k[0:4], k[4:8], k[8:12], k[12:16], k[16:20]
    pad = 4
    ext = np.concatenate([np.full(pad, x[0]), x, np.full(pad, x[-1])])
    ln = len(x)
    causal = np.zeros(ln)
    for i in range(ln):
        acc = sum(n[j] * ext[pad + i - j] for j in range(4))
        for j in range(1, 5):
            prev = causal[i - j] if i - j >= 0 else None
            acc -= d[j - 1] * prev if prev is not None else bn[j - 1] * x[0]
        causal[i] = acc
    anti = np.zeros(ln)
    for i in range(ln - 1, -1, -1):
        acc = sum(m[j - 1] * ext[pad + i + j] for j in range(1, 5))
        for j in range(1, 5):
            nxt = anti[i + j] if i + j < ln else None
            acc -= d[j - 1] * nxt if nxt is not None else bm[j - 1] * x[-1]
        anti[i] = acc
    return causal + anti


def test_recursive_line_matches_numpy_reference() -> None:
    from kernels.filters import _line, deriche_coefficients

    rng = np.random.default_rng(1)
    x = rng.normal(0, 10, 17)
    for order in (0, 2):
        k = deriche_coefficients(1.7, 0.8, order)
        out, tmp = np.empty_like(x), np.empty_like(x)
        _line(x, out, tmp, k)
        np.testing.assert_allclose(out, _numpy_line(x, k), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("spacing", [(1.0, 1.0, 1.0), (0.75, 0.8, 2.5)])
@pytest.mark.parametrize("sigma", [0.8, 2.0, 4.5])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log_equals_simpleitk(spacing: tuple, sigma: float, dtype: type) -> None:
    from kernels.filters import laplacian_of_gaussian

    rng = np.random.default_rng(2)
    arr = rng.normal(0, 100, (9, 12, 11)).astype(dtype)
    image = sitk.GetImageFromArray(arr)
    image.SetSpacing(spacing)
    flt = sitk.LaplacianRecursiveGaussianImageFilter()
    flt.SetSigma(sigma)
    flt.SetNormalizeAcrossScale(True)
    ref = sitk.GetArrayFromImage(flt.Execute(image))
    got = laplacian_of_gaussian(arr, spacing, sigma)
    assert got.dtype == ref.dtype
    np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-6 * np.abs(ref).max())


def test_log_bad_inputs() -> None:
    from kernels.filters import deriche_coefficients, laplacian_of_gaussian

    with pytest.raises(ValueError, match=">= 4"):
        laplacian_of_gaussian(np.zeros((3, 5, 5)), (1, 1, 1), 1.0)
    with pytest.raises(ValueError, match="sigma"):
        laplacian_of_gaussian(np.zeros((5, 5, 5)), (1, 1, 1), 0.0)
    with pytest.raises(ValueError, match="spacing"):
        laplacian_of_gaussian(np.zeros((5, 5, 5)), (1, 0, 1), 1.0)
    with pytest.raises(ValueError, match="order"):
        deriche_coefficients(1.0, 1.0, 1)


@pytest.mark.parametrize(
    "box", [(slice(2, 7), slice(3, 10), slice(1, 9)), (slice(0, 9), slice(5, 6), slice(0, 11))]
)
def test_log_on_a_box_equals_the_cropped_whole(box: tuple[slice, slice, slice]) -> None:
    from kernels.filters import laplacian_of_gaussian

    rng = np.random.default_rng(5)
    arr = rng.normal(0, 100, (9, 12, 11)).astype(np.float32)
    whole = laplacian_of_gaussian(arr, (0.8, 0.9, 2.0), 1.5)
    np.testing.assert_array_equal(laplacian_of_gaussian(arr, (0.8, 0.9, 2.0), 1.5, box), whole[box])
    with pytest.raises(ValueError, match="step 1"):
        laplacian_of_gaussian(arr, (1.0, 1.0, 1.0), 1.0, (slice(0, 9, 2), slice(None), slice(None)))

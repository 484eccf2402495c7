"""Resampling kernel vs SimpleITK's ResampleImageFilter (same grid) and a plain NumPy trilinear reference."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk
from hypothesis import given, settings
from hypothesis import strategies as st

from kernels.resample import LINEAR, NEAREST, image_stats, label_box, resample


def _sitk(arr: np.ndarray, spacing, origin, out_spacing, out_origin, size, interp, pixel=None) -> np.ndarray:
    im = sitk.GetImageFromArray(arr)
    im.SetSpacing(spacing)
    im.SetOrigin(origin)
    rif = sitk.ResampleImageFilter()
    rif.SetOutputSpacing(out_spacing)
    rif.SetOutputOrigin(out_origin)
    rif.SetSize(size)
    rif.SetInterpolator(interp)
    rif.SetOutputPixelType(pixel if pixel is not None else im.GetPixelID())
    return sitk.GetArrayFromImage(rif.Execute(im))


def _numpy_linear(arr: np.ndarray, cidx: np.ndarray) -> np.ndarray:
    """Trilinear interpolation at continuous indices (x, y, z) with clamped upper neighbours."""
    nz, ny, nx = arr.shape
    c = np.clip(cidx, 0, None)
    b = np.floor(c).astype(int)
    d = c - b
    b1 = np.minimum(b + 1, np.array([nx - 1, ny - 1, nz - 1]))
    out = np.zeros(len(c))
    for corner in range(8):
        ix = b1[:, 0] if corner & 1 else b[:, 0]
        iy = b1[:, 1] if corner & 2 else b[:, 1]
        iz = b1[:, 2] if corner & 4 else b[:, 2]
        w = np.ones(len(c))
        for axis, bit in ((0, 1), (1, 2), (2, 4)):
            w *= d[:, axis] if corner & bit else 1 - d[:, axis]
        out += w * arr[iz, iy, ix]
    return out


@settings(max_examples=12, deadline=None)
@given(
    seed=st.integers(0, 1000),
    new=st.sampled_from([(1.0, 1.0, 1.0), (0.5, 0.7, 3.0), (2.0, 2.0, 2.0), (0.75, 0.75, 2.5)]),
    shift=st.floats(-3, 3),
)
def test_linear_and_nearest_equal_simpleitk(seed: int, new: tuple, shift: float) -> None:
    rng = np.random.default_rng(seed)
    arr = rng.normal(0, 100, (9, 14, 13)).astype(np.float32)
    spacing, origin = (0.75, 0.8, 2.5), (-10.3, 4.2, 7.7)
    out_origin = (origin[0] + shift, origin[1] - shift / 2, origin[2] + 0.3)
    size = [12, 11, 9]
    matrix = np.diag(spacing)
    for interp, method in ((sitk.sitkLinear, LINEAR), (sitk.sitkNearestNeighbor, NEAREST)):
        ref = _sitk(arr, spacing, origin, new, out_origin, size, interp)
        got = resample(
            arr,
            in_origin=origin,
            in_matrix=matrix,
            out_origin=out_origin,
            out_matrix=np.diag(new),
            out_size=size,
            method=method,
        )
        assert got.dtype == ref.dtype
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-5)
        block = resample(
            arr,
            in_origin=origin,
            in_matrix=matrix,
            out_origin=out_origin,
            out_matrix=np.diag(new),
            out_size=size,
            block_start=(2, 3, 1),
            block_shape=(5, 4, 6),
            method=method,
        )
        np.testing.assert_array_equal(block, got[1:6, 3:7, 2:8])


def test_nearest_ties_on_pyradiomics_grid_equal_simpleitk() -> None:
    # 0.75 -> 1.0 mm with PyRadiomics' origin shift puts a third of the samples exactly on half indices
    arr = np.arange(20 * 40 * 40, dtype=np.float32).reshape(20, 40, 40)
    spacing, origin, new = (0.75, 0.75, 2.5), (1.1, -2.2, 3.3), (1.0, 1.0, 1.0)
    cidx = 0.5 * (np.array(new) - np.array(spacing)) / np.array(spacing)
    out_origin = tuple(np.array(origin) + cidx * np.array(spacing))
    ref = _sitk(arr, spacing, origin, new, out_origin, [28, 28, 48], sitk.sitkNearestNeighbor)
    got = resample(
        arr,
        in_origin=origin,
        in_matrix=np.diag(spacing),
        out_origin=out_origin,
        out_matrix=np.diag(new),
        out_size=(28, 28, 48),
        method=NEAREST,
    )
    np.testing.assert_array_equal(got, ref)


def test_linear_matches_numpy_reference() -> None:
    rng = np.random.default_rng(3)
    arr = rng.normal(0, 1, (6, 7, 8))
    new = np.diag([0.6, 0.9, 1.3])
    got = resample(
        arr,
        in_origin=(0, 0, 0),
        in_matrix=np.eye(3),
        out_origin=(0.1, 0.2, 0.3),
        out_matrix=new,
        out_size=(10, 6, 3),
        dtype=np.float64,
    )
    zz, yy, xx = np.meshgrid(np.arange(3), np.arange(6), np.arange(10), indexing="ij")
    cidx = np.stack([0.1 + 0.6 * xx.ravel(), 0.2 + 0.9 * yy.ravel(), 0.3 + 1.3 * zz.ravel()], axis=1)
    inside = np.all((cidx >= -0.5) & (cidx < np.array([8, 7, 6]) - 0.5), axis=1)
    ref = np.where(inside, _numpy_linear(arr, cidx), 0.0).reshape(3, 6, 10)
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12)


def test_label_box_and_stats() -> None:
    labels = np.zeros((5, 6, 7), np.uint8)
    labels[1:3, 2:5, 3] = 2
    n, box = label_box(labels, 2)
    assert n == 6 and box.tolist() == [1, 2, 2, 4, 3, 3]
    assert label_box(labels, 1)[0] == 0
    arr = np.array([[[1.0, 2.0, np.inf]]])
    lo, hi, _, _, bad = image_stats(arr)
    assert (lo, bad) == (1.0, 1)
    lo, hi, mean, sd, bad = image_stats(np.array([1.0, 2.0, 3.0, 4.0]))
    assert (lo, hi, mean, bad) == (1.0, 4.0, 2.5, 0) and sd == pytest.approx(np.std([1, 2, 3, 4], ddof=1))


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="3-D"):
        resample(
            np.zeros((3, 3)),
            in_origin=(0, 0, 0),
            in_matrix=np.eye(3),
            out_origin=(0, 0, 0),
            out_matrix=np.eye(3),
            out_size=(2, 2, 2),
        )
    with pytest.raises(ValueError, match="method"):
        resample(
            np.zeros((3, 3, 3)),
            in_origin=(0, 0, 0),
            in_matrix=np.eye(3),
            out_origin=(0, 0, 0),
            out_matrix=np.eye(3),
            out_size=(2, 2, 2),
            method=7,
        )

"""Resampling kernel vs SimpleITK's ResampleImageFilter (same grid) and a plain NumPy trilinear reference."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk
from hypothesis import given, settings
from hypothesis import strategies as st

from kernels.resample import (
    BSPLINE,
    BSPLINE_MARGIN,
    LINEAR,
    NEAREST,
    BlockTooSmall,
    cast_like_itk,
    image_stats,
    label_box,
    resample,
)


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


def _sitk_bspline(arr: np.ndarray, grid_in: tuple, grid_out: tuple, pixel: int) -> np.ndarray:
    (spacing, origin), (new, out_origin, size) = grid_in, grid_out
    return _sitk(arr, spacing, origin, new, out_origin, size, sitk.sitkBSpline, pixel)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), dtype=st.sampled_from(["int16", "uint16", "float32"]))
def test_bspline_equals_simpleitk_bit_for_bit(seed: int, dtype: str) -> None:
    rng = np.random.default_rng(seed)
    shape = tuple(int(v) for v in rng.integers(3, 30, 3))
    arr = rng.normal(300, 400, shape)
    arr[:, : shape[1] // 2] = (
        0 if dtype == "uint16" else -1000
    )  # constant: values within rounding of an integer
    arr = np.clip(arr, 0, None) if dtype == "uint16" else arr
    arr = arr.astype(dtype)
    spacing = tuple(float(v) for v in rng.choice([0.7, 0.75, 1.0, 2.5], 3))
    origin = tuple(float(v) for v in rng.normal(0, 10, 3))
    new = tuple(float(v) for v in rng.choice([0.5, 1.0, 1.3, 2.0], 3))
    out_origin = tuple(o + float(rng.normal(0, 2)) for o in origin)
    size = [max(1, int(n * s / t)) for n, s, t in zip(shape[::-1], spacing, new, strict=True)]
    pixel = {"int16": sitk.sitkInt16, "uint16": sitk.sitkUInt16, "float32": sitk.sitkFloat32}[dtype]
    for out_pixel, out_dtype in ((sitk.sitkFloat64, np.float64), (pixel, arr.dtype)):
        ref = _sitk_bspline(arr, (spacing, origin), (new, out_origin, size), out_pixel)
        got = resample(
            arr,
            in_origin=origin,
            in_matrix=np.diag(spacing),
            out_origin=out_origin,
            out_matrix=np.diag(new),
            out_size=tuple(size),
            method=BSPLINE,
            dtype=out_dtype,
        )
        assert got.dtype == ref.dtype
        np.testing.assert_array_equal(got, ref)


@pytest.mark.parametrize("where", ["middle", "corner", "far-corner", "next-to-constant", "in-constant"])
def test_bspline_on_an_input_block_equals_whole_image_simpleitk(where: str) -> None:
    # the PyRadiomics case: a small output box inside a large image; coefficients only on the block + margin,
    # a larger block where a noise-free run (constant padding) reaches the block's cut edge
    from hsp_desktop.imaging.resample import Grid, pyradiomics_grid, resample_array

    rng = np.random.default_rng(7)
    shape = (70, 200, 210)
    arr = rng.normal(40, 300, shape)
    arr[:, :90] = -1000
    arr = arr.astype(np.int16)
    grid = Grid((shape[2], shape[1], shape[0]), (0.75, 0.75, 2.5), (-12.5, 3.25, 40.0))
    box = {
        "middle": [80, 100, 20, 50, 60, 25],
        "corner": [0, 100, 0, 40, 30, 12],
        "far-corner": [170, 160, 58, 40, 40, 12],
        "next-to-constant": [60, 92, 20, 40, 30, 12],
        "in-constant": [60, 10, 20, 40, 30, 12],
    }[where]
    dst = pyradiomics_grid(grid, box, (1, 1, 1), 5)
    for out_pixel, out_dtype in ((sitk.sitkFloat64, np.float64), (sitk.sitkInt16, np.int16)):
        ref = _sitk_bspline(arr, (grid.spacing, grid.origin), (dst.spacing, dst.origin, dst.size), out_pixel)
        got = resample_array(arr, grid, dst, method="bspline", dtype=out_dtype)
        np.testing.assert_array_equal(got, ref)


def test_bspline_block_margin_refused_when_not_proven_exact() -> None:
    # all-constant lines up to the cut edge: the bracketed recursions never meet, so the kernel says so
    arr = np.full((40, 40, 120), -1000, dtype=np.int16)
    arr[:, :, 60:] = np.random.default_rng(1).normal(0, 100, (40, 40, 60)).astype(np.int16)
    kwargs = {
        "in_origin": (0, 0, 0),
        "in_matrix": np.eye(3),
        "out_origin": (20.2, 10.3, 10.1),
        "out_matrix": np.eye(3),
        "out_size": (10, 10, 10),
        "method": BSPLINE,
        "in_size": (120, 40, 40),
    }
    with pytest.raises(BlockTooSmall):
        resample(arr[:, :, 10:45], in_offset=(10, 0, 0), **kwargs)
    # cut inside the constant run, samples in the noise: the recursions meet in the noise before the samples
    kwargs["out_origin"] = (90.2, 10.3, 10.1)
    whole = resample(arr, **kwargs)
    np.testing.assert_array_equal(resample(arr[:, :, 10:], in_offset=(10, 0, 0), **kwargs), whole)


def test_bspline_margin_is_far_beyond_the_prefilter_reach() -> None:
    # the cubic prefilter's pole is sqrt(3) - 2: its influence after the margin is far below double rounding
    assert abs(np.sqrt(3) - 2) ** BSPLINE_MARGIN < 1e-25


def test_integer_cast_clamps_then_truncates_like_itk() -> None:
    values = np.array([807.9999, -0.5, -1.7, 2.5, 40000.0, -40000.0, 32767.2, -32768.9])
    assert cast_like_itk(values, np.int16).tolist() == [807, 0, -1, 2, 32767, -32768, 32767, -32768]
    assert cast_like_itk(values, np.uint16).tolist() == [807, 0, 0, 2, 40000, 0, 32767, 0]
    # and SimpleITK itself: an undershoot next to an edge is clamped to 0 for uint16, truncated for int16
    step = np.zeros((6, 6, 12))
    step[:, :, 6:] = 1000
    for pixel, dtype in ((sitk.sitkUInt16, np.uint16), (sitk.sitkInt16, np.int16)):
        ref = _sitk_bspline(
            step.astype(dtype), ((1, 1, 1), (0, 0, 0)), ((0.7, 1, 1), (0.1, 0, 0), [16, 6, 6]), pixel
        )
        f64 = _sitk_bspline(
            step.astype(dtype),
            ((1, 1, 1), (0, 0, 0)),
            ((0.7, 1, 1), (0.1, 0, 0), [16, 6, 6]),
            sitk.sitkFloat64,
        )
        assert f64.min() < 0 and np.any(f64 != np.trunc(f64))
        np.testing.assert_array_equal(ref, cast_like_itk(f64, dtype))


@pytest.mark.parametrize("method", [BSPLINE, LINEAR, NEAREST])
def test_threads_give_the_same_numbers(method: int) -> None:
    rng = np.random.default_rng(11)
    arr = rng.normal(0, 200, (30, 40, 50)).astype(np.int16)
    kwargs = {
        "in_origin": (0.3, -1.0, 2.0),
        "in_matrix": np.diag((0.75, 0.75, 2.5)),
        "out_origin": (5.1, 4.2, 9.3),
        "out_matrix": np.eye(3),
        "out_size": (20, 18, 40),
        "method": method,
        "dtype": np.float64,
    }
    one = resample(arr, **kwargs)
    for threads in (2, 3, 64):
        np.testing.assert_array_equal(resample(arr, threads=threads, **kwargs), one)

"""Shape kernels vs PyRadiomics' C shape code (run live) and plain NumPy references."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernels.shape import TRIANGLE_TABLE, axis_eigenvalues, mesh_shape


def _blob(seed: int, shape=(9, 12, 11), keep: float = 0.8) -> np.ndarray:
    rng = np.random.default_rng(seed)
    z, y, x = np.mgrid[: shape[0], : shape[1], : shape[2]]
    c = np.array(shape) / 2
    m = ((z - c[0]) / (shape[0] / 2.5)) ** 2 + ((y - c[1]) / (shape[1] / 2.4)) ** 2 + (
        (x - c[2]) / (shape[2] / 2.3)
    ) ** 2 < 1
    return m & (rng.random(shape) < keep)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), keep=st.sampled_from([1.0, 0.9, 0.6, 0.4]))
def test_mesh_equals_pyradiomics_cshape(seed: int, keep: float) -> None:
    from radiomics import cShape

    mask = _blob(seed, keep=keep)
    if not mask.any():
        return
    spacing = np.array([2.5, 0.7, 0.8])
    area, volume, diameters = cShape.calculate_coefficients(np.pad(mask, 1), spacing)
    got_area, got_volume, got_diam = mesh_shape(mask, tuple(spacing))
    assert got_area == pytest.approx(area, rel=1e-12)
    assert got_volume == pytest.approx(volume, rel=1e-9)
    np.testing.assert_array_equal(got_diam, diameters)


def _numpy_diameters(mask: np.ndarray, spacing: np.ndarray) -> np.ndarray:
    padded = np.pad(mask, 1).astype(int)
    pts = []
    for axis in range(3):
        idx = np.argwhere(np.diff(padded, axis=axis) != 0).astype(float)
        idx[:, axis] += 0.5
        pts.append(idx)
    p = np.concatenate(pts) * spacing
    d2 = ((p[:, None, :] - p[None, :, :]) ** 2).sum(-1)
    out = [np.sqrt(np.max(np.where(p[:, None, a] == p[None, :, a], d2, 0))) for a in range(3)]
    return np.array([*out, np.sqrt(d2.max())])


def test_diameters_match_bruteforce_numpy() -> None:
    mask = _blob(5, shape=(6, 8, 7), keep=0.85)
    spacing = np.array([2.0, 0.9, 0.6])
    _, _, diam = mesh_shape(mask, tuple(spacing))
    np.testing.assert_allclose(diam, _numpy_diameters(mask, spacing), rtol=1e-12)


def test_cube_volume_area_and_axes() -> None:
    mask = np.zeros((6, 6, 6), bool)
    mask[1:5, 1:5, 1:5] = True
    area, volume, _ = mesh_shape(mask, (1.0, 1.0, 1.0))
    # mid-edge vertices: the mesh of a 4^3 voxel cube lies between the 3^3 centre box and the 4^3 voxel box
    assert 27 < volume < 64 and 6 * 9 < area < 6 * 16
    count, ev = axis_eigenvalues(mask, (1.0, 1.0, 1.0))
    coords = np.argwhere(mask).astype(float)
    ref = np.sort(np.linalg.eigvalsh(np.cov(coords.T, bias=True)))
    assert count == 64
    np.testing.assert_allclose(ev, ref, rtol=1e-12)
    assert area > 0


def test_table_is_oriented_and_complete() -> None:
    assert TRIANGLE_TABLE.shape == (128, 16)
    assert (TRIANGLE_TABLE[0] == -1).all() and (TRIANGLE_TABLE[1:, 0] >= 0).all()


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="empty"):
        mesh_shape(np.zeros((2, 2, 2), bool), (1, 1, 1))
    with pytest.raises(ValueError, match="3-D"):
        mesh_shape(np.ones((2, 2), bool), (1, 1, 1))
    with pytest.raises(ValueError, match="spacing"):
        mesh_shape(np.ones((2, 2, 2), bool), (1, 0, 1))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), keep=st.floats(0.2, 1.0))
def test_marching_squares_equals_pyradiomics(seed: int, keep: float) -> None:
    from radiomics import cShape

    from kernels.shape import mesh_shape_2d

    rng = np.random.default_rng(seed)
    mask = rng.random((9, 11)) < keep
    if not mask.any():
        return
    spacing = np.array([0.8, 1.3])
    ref = cShape.calculate_coefficients2D(np.pad(mask, 1), spacing)
    got = mesh_shape_2d(mask, (0.8, 1.3))
    np.testing.assert_allclose(got, ref, rtol=1e-12)


def test_marching_squares_square_and_errors() -> None:
    from kernels.shape import mesh_shape_2d

    mask = np.zeros((5, 5), bool)
    mask[1:4, 1:4] = True
    perimeter, surface, diameter = mesh_shape_2d(mask, (1.0, 1.0))
    # mid-edge contour of a 3x3 block: an octagon of area 9 - 4 * 1/8
    assert surface == pytest.approx(8.5) and perimeter == pytest.approx(8 + 4 * np.sqrt(0.5))
    assert diameter == pytest.approx(np.hypot(3.0, 2.0))
    with pytest.raises(ValueError, match="empty"):
        mesh_shape_2d(np.zeros((3, 3), bool), (1, 1))
    with pytest.raises(ValueError, match="2-D"):
        mesh_shape_2d(np.ones((2, 2, 2), bool), (1, 1))


def test_stable_order_equals_mergesort_argsort() -> None:
    from kernels.shape import _stable_order

    rng = np.random.default_rng(4)
    for _ in range(30):
        keys = rng.integers(0, int(rng.integers(1, 40)), int(rng.integers(1, 400))).astype(np.int64)
        np.testing.assert_array_equal(_stable_order(keys), np.argsort(keys, kind="mergesort"))
    grid = rng.integers(0, 9, (200, 3)).astype(np.int64)
    np.testing.assert_array_equal(_stable_order(grid[:, 1]), np.argsort(grid[:, 1], kind="stable"))

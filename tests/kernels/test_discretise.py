"""Discretisation kernel vs numpy.digitize and PyRadiomics' bin edges."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernels.discretise import bin_edges_fixed_count, bin_edges_fixed_width, digitize_roi, roi_min_max


def _reference_levels(image: np.ndarray, mask: np.ndarray, edges: np.ndarray) -> np.ndarray:
    out = np.zeros(image.shape, dtype=np.int64)
    out[mask] = np.digitize(image[mask], edges)
    return out


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    width=st.sampled_from([0.5, 1.0, 3.0, 25.0]),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_fixed_width_matches_pyradiomics_and_digitize(seed: int, width: float, dtype: type) -> None:
    from radiomics.imageoperations import binImage

    rng = np.random.default_rng(seed)
    image = (rng.normal(40, 60, (4, 5, 6))).astype(dtype)
    mask = rng.random((4, 5, 6)) > 0.3
    mask[0, 0, 0] = True
    vals = image[mask]
    edges = bin_edges_fixed_width(np.min(vals), np.max(vals), width)
    ref_levels, ref_edges = binImage(image.copy(), mask, binWidth=width)
    np.testing.assert_array_equal(edges, np.asarray(ref_edges, dtype=np.float64))
    levels = digitize_roi(image, mask, edges)
    np.testing.assert_array_equal(levels, _reference_levels(image, mask, edges))
    np.testing.assert_array_equal(levels[mask], ref_levels[mask])


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), count=st.integers(1, 64))
def test_fixed_count_matches_pyradiomics(seed: int, count: int) -> None:
    from radiomics.imageoperations import binImage

    rng = np.random.default_rng(seed)
    image = rng.normal(0, 1, (3, 4, 5)).astype(np.float32)
    mask = np.ones(image.shape, dtype=bool)
    vals = image[mask]
    edges = bin_edges_fixed_count(np.min(vals), np.max(vals), count)
    ref_levels, ref_edges = binImage(image.copy(), mask, binCount=count)
    np.testing.assert_array_equal(edges, np.asarray(ref_edges, dtype=np.float64))
    np.testing.assert_array_equal(digitize_roi(image, mask, edges), ref_levels)


def test_flat_region_gives_one_level() -> None:
    image = np.full((2, 3, 4), 7.0)
    mask = np.ones(image.shape, dtype=bool)
    for edges in (bin_edges_fixed_width(7.0, 7.0, 25.0), bin_edges_fixed_count(7.0, 7.0, 16)):
        levels = digitize_roi(image, mask, edges)
        assert np.unique(levels).tolist() == [int(np.digitize(7.0, edges))]


def test_ibsi_anchor_and_min_max() -> None:
    edges = bin_edges_fixed_width(-480.0, 390.0, 25.0, anchor=-500.0)
    assert edges[0] == -500.0 and edges[-1] > 390.0
    image = np.array([[[-500.0, -476.0, -475.0, 399.0]]])
    mask = np.ones(image.shape, dtype=bool)
    assert digitize_roi(image, mask, edges).ravel().tolist() == [1, 1, 2, 36]
    assert roi_min_max(image, mask) == (-500.0, 399.0, 4)
    assert roi_min_max(image, ~mask)[2] == 0


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="shapes differ"):
        digitize_roi(np.zeros((2, 2, 2)), np.ones((2, 2, 3), bool), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="increasing"):
        digitize_roi(np.zeros((2, 2, 2)), np.ones((2, 2, 2), bool), np.array([1.0, 0.0]))
    with pytest.raises(ValueError, match="bin_width"):
        bin_edges_fixed_width(0.0, 1.0, 0.0)
    with pytest.raises(ValueError, match="bin_count"):
        bin_edges_fixed_count(0.0, 1.0, 0)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_edges=st.integers(2, 40),
    uneven=st.floats(0.0, 3.0),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_digitize_equals_numpy_for_any_increasing_edges(
    seed: int, n_edges: int, uneven: float, dtype: type
) -> None:
    """The arithmetic first guess is corrected to numpy.digitize exactly, even for uneven edges and ties."""
    rng = np.random.default_rng(seed)
    steps = 1.0 + uneven * rng.random(n_edges - 1)
    edges = np.concatenate([[rng.normal() * 10], rng.normal() * 10 + np.cumsum(steps)])
    edges.sort()
    edges = np.unique(edges)
    if edges.size < 2:
        return
    image = rng.normal(edges.mean(), np.ptp(edges), (4, 5, 6))
    image.flat[: edges.size] = edges  # values exactly on the edges
    image = image.astype(dtype)
    mask = rng.random(image.shape) < 0.8
    np.testing.assert_array_equal(digitize_roi(image, mask, edges), _reference_levels(image, mask, edges))

"""First-order kernel vs a plain NumPy reference (PyRadiomics' formulas written out)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernels.firstorder import FIRSTORDER_NAMES, firstorder_features


def reference(values: np.ndarray, levels: np.ndarray, voxel_volume: float, shift: float) -> dict[str, float]:
    x = values.astype(np.float64)
    _, counts = np.unique(levels, return_counts=True)
    p = counts / counts.sum()
    mean = x.mean()
    m2 = np.mean((x - mean) ** 2)
    m3 = np.mean((x - mean) ** 3)
    m4 = np.mean((x - mean) ** 4)
    p10, p90 = np.percentile(x, 10), np.percentile(x, 90)
    robust = x[(x >= p10) & (x <= p90)]
    energy = np.sum((x + shift) ** 2)
    return {
        "10Percentile": p10,
        "90Percentile": p90,
        "Energy": energy,
        "Entropy": -np.sum(p * np.log2(p + np.spacing(1))),
        "InterquartileRange": np.percentile(x, 75) - np.percentile(x, 25),
        "Kurtosis": m4 / m2**2 if m2 else 0.0,
        "Maximum": x.max(),
        "Mean": mean,
        "MeanAbsoluteDeviation": np.mean(np.abs(x - mean)),
        "Median": np.median(x),
        "Minimum": x.min(),
        "Range": np.ptp(x),
        "RobustMeanAbsoluteDeviation": np.mean(np.abs(robust - robust.mean())) if robust.size else np.nan,
        "RootMeanSquared": np.sqrt(energy / x.size),
        "Skewness": m3 / m2**1.5 if m2 else 0.0,
        "StandardDeviation": np.std(x),
        "TotalEnergy": energy * voxel_volume,
        "Uniformity": np.sum(p**2),
        "Variance": np.std(x) ** 2,
    }


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 100_000),
    n=st.integers(1, 400),
    shift=st.sampled_from([0.0, 1000.0]),
    flat=st.booleans(),
)
def test_matches_numpy_reference(seed: int, n: int, shift: float, flat: bool) -> None:
    rng = np.random.default_rng(seed)
    values = np.full(n, 42.5) if flat else rng.normal(30, 50, n)
    levels = rng.integers(1, 9, n).astype(np.int32)
    got = firstorder_features(values, levels, 1.7, shift)
    ref = reference(values, levels, 1.7, shift)
    for name, value in zip(FIRSTORDER_NAMES, got, strict=True):
        assert value == pytest.approx(ref[name], rel=1e-9, abs=1e-9, nan_ok=True), name


def test_flat_region_conventions() -> None:
    out = dict(
        zip(FIRSTORDER_NAMES, firstorder_features(np.full(10, 3.0), np.ones(10, np.int32), 1.0), strict=True)
    )
    assert out["Skewness"] == 0.0 and out["Kurtosis"] == 0.0 and out["Variance"] == 0.0
    assert out["Entropy"] == pytest.approx(0.0, abs=1e-12) and out["Uniformity"] == 1.0


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="empty"):
        firstorder_features(np.array([]), np.array([], np.int32), 1.0)
    with pytest.raises(ValueError, match="NaN"):
        firstorder_features(np.array([1.0, np.nan]), np.array([1, 1], np.int32), 1.0)
    with pytest.raises(ValueError, match="length"):
        firstorder_features(np.array([1.0, 2.0]), np.array([1], np.int32), 1.0)

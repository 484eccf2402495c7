"""First-order (intensity histogram and statistics) features of the voxels inside an ROI.

Formulas follow PyRadiomics 3 ``firstorder.py`` (IBSI-1 section 3.3/3.4 codes in brackets).  All of them are
computed from one sorted copy of the ROI intensities and the discretised grey levels in a single compiled pass.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from kernels._jit import njit

__all__ = ["FIRSTORDER_NAMES", "firstorder_features"]

#: Output order of :func:`firstorder_features` (PyRadiomics names; IBSI codes in the docstring).
FIRSTORDER_NAMES: tuple[str, ...] = (
    "10Percentile",  # QG58
    "90Percentile",  # 8DWT
    "Energy",  # N8CA
    "Entropy",  # TLU2 (intensity histogram entropy)
    "InterquartileRange",  # SALO
    "Kurtosis",  # IPH6 (plain; IBSI excess kurtosis = value - 3)
    "Maximum",  # 84IY
    "Mean",  # Q4LE
    "MeanAbsoluteDeviation",  # 4FUA
    "Median",  # Y12H
    "Minimum",  # 1GSF
    "Range",  # 2OJQ
    "RobustMeanAbsoluteDeviation",  # 1128
    "RootMeanSquared",  # 5ZWQ
    "Skewness",  # KE2A
    "StandardDeviation",  # (deprecated in PyRadiomics)
    "TotalEnergy",  # (PyRadiomics only)
    "Uniformity",  # BJ5W
    "Variance",  # ECT3
)

_EPS = float(np.spacing(1))


@njit
def _percentile_sorted(s: npt.NDArray[np.float64], q: float) -> float:
    # numpy's "linear" method: virtual index (n - 1) * q, lerp like numpy's _lerp
    n = s.size
    qq = q / 100.0
    vi = (n - 1) * qq
    lo = np.floor(vi)
    gamma = vi - lo
    i = int(lo)
    if i < 0:
        i = 0
    j = i + 1
    if j > n - 1:
        j = n - 1
    if i > n - 1:
        i = n - 1
    a = float(s[i])
    b = float(s[j])
    diff = b - a
    if gamma >= 0.5:
        return float(b - diff * (1.0 - gamma))
    return float(a + diff * gamma)


@njit
def _firstorder(
    s: npt.NDArray[np.float64],
    levels: npt.NDArray[np.int32],
    voxel_volume: float,
    shift: float,
    out: npt.NDArray[np.float64],
) -> None:
    # s: the ROI intensities sorted ascending (numpy's SIMD sort in the wrapper is ~5x faster than Numba's)
    n = s.size
    total = 0.0
    energy = 0.0
    for k in range(n):
        total += s[k]
        sv = s[k] + shift
        energy += sv * sv
    mean = total / n
    m2 = 0.0
    m3 = 0.0
    m4 = 0.0
    mad = 0.0
    for k in range(n):
        d = s[k] - mean
        d2 = d * d
        m2 += d2
        m3 += d2 * d
        m4 += d2 * d2
        mad += abs(d)
    m2 /= n
    m3 /= n
    m4 /= n
    mad /= n
    p10 = _percentile_sorted(s, 10.0)
    p90 = _percentile_sorted(s, 90.0)
    p25 = _percentile_sorted(s, 25.0)
    p75 = _percentile_sorted(s, 75.0)
    if n % 2 == 1:
        median = s[n // 2]
    else:
        median = (s[n // 2 - 1] + s[n // 2]) / 2.0
    # robust MAD: voxels with p10 <= x <= p90
    # (s is sorted: those voxels are the run s[lo:hi], summed in the same order as a scan with the test)
    lo = np.searchsorted(s, p10, side="left")
    hi = np.searchsorted(s, p90, side="right")
    rsum = 0.0
    rn = 0
    for k in range(lo, hi):
        rsum += s[k]
        rn += 1
    if rn <= 0:
        rmad = np.nan  # no voxel between P10 and P90 (n = 2): PyRadiomics' nanmean of nothing
    else:
        rmean = rsum / rn
        rmad = 0.0
        for k in range(lo, hi):
            rmad += abs(s[k] - rmean)
        rmad /= rn
    # grey-level histogram (levels >= 0: unsigned indices skip Numba's wrap-around test)
    max_level = 0
    for k in range(n):
        max_level = max(max_level, int(levels[k]))
    counts = np.zeros(max_level + 1, dtype=np.int64)
    for k in range(n):
        counts[np.uint64(levels[k])] += 1
    entropy = 0.0
    uniformity = 0.0
    for g in range(max_level + 1):
        if counts[g] > 0:
            p = counts[g] / n
            entropy -= p * np.log2(p + _EPS)
            uniformity += p * p
    if m2 == 0.0:
        skew = 0.0
        kurt = 0.0
    else:
        skew = m3 / m2**1.5
        kurt = m4 / m2**2.0
    out[0] = p10
    out[1] = p90
    out[2] = energy
    out[3] = entropy
    out[4] = p75 - p25
    out[5] = kurt
    out[6] = s[n - 1]
    out[7] = mean
    out[8] = mad
    out[9] = median
    out[10] = s[0]
    out[11] = s[n - 1] - s[0]
    out[12] = rmad
    out[13] = np.sqrt(energy / n)
    out[14] = skew
    out[15] = np.sqrt(m2)
    out[16] = energy * voxel_volume
    out[17] = uniformity
    out[18] = m2


def firstorder_features(
    values: npt.NDArray[np.floating],
    levels: npt.NDArray[np.integer],
    voxel_volume: float,
    shift: float = 0.0,
) -> npt.NDArray[np.float64]:
    """Compute the first-order features of one ROI.

    Parameters
    ----------
    values : ndarray of float, shape (n,)
        Intensities of the ROI voxels (any order), ``n >= 1``, all finite.
    levels : ndarray of int, shape (n,)
        Discretised grey levels (>= 1) of the same voxels, for Entropy and Uniformity.
    voxel_volume : float
        Volume of one voxel in mm^3 (TotalEnergy).
    shift : float
        ``voxelArrayShift`` added before Energy, TotalEnergy and RootMeanSquared.

    Returns
    -------
    ndarray of float64
        Values in the order of :data:`FIRSTORDER_NAMES`.  Flat ROIs give Skewness = Kurtosis = 0
        (PyRadiomics' convention); RobustMeanAbsoluteDeviation is NaN when no voxel lies between the 10th and
        90th percentiles (two voxels), as in PyRadiomics.
    """
    raw = np.asarray(values).ravel()
    if raw.dtype not in (np.float32, np.float64):
        raw = raw.astype(np.float64)
    v = np.sort(raw).astype(np.float64, copy=False)
    g = np.ascontiguousarray(levels, dtype=np.int32).ravel()
    if v.size == 0:
        raise ValueError("the ROI is empty: first-order features need at least one voxel")
    if v.size != g.size:
        raise ValueError(f"values and levels differ in length: {v.size} vs {g.size}")
    if not (np.isfinite(v[0]) and np.isfinite(v[-1])):  # sorted: NaN goes last, -inf first
        raise ValueError("values contain NaN or infinity")
    if g.min() < 0:
        raise ValueError("levels must be >= 0")
    out = np.empty(len(FIRSTORDER_NAMES), dtype=np.float64)
    _firstorder(v, g, float(voxel_volume), float(shift), out)
    return out

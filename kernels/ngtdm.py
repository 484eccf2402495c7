"""Neighbouring grey-tone difference matrix (NGTDM) accumulation, as PyRadiomics 3.0.1 counts it.

For every ROI voxel of level ``i`` the neighbours at the given offsets that lie in the ROI are
averaged; ``n[i-1]`` counts the voxel and ``s[i-1]`` adds ``|i - mean|`` (0 when the voxel has no ROI
neighbour: such a voxel still counts in ``n``, as in PyRadiomics 3.0.1).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from kernels._jit import njit
from kernels.texture_common import check_angles, encode_roi, flat_offsets, reach


def ngtdm_matrix(
    levels: npt.ArrayLike, mask: npt.ArrayLike, n_levels: int, offsets: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Accumulate the NGTDM.

    Parameters
    ----------
    levels : array_like of int, shape (z, y, x)
        Discretised grey levels, ``1..n_levels`` inside the ROI.
    mask : array_like of bool, shape (z, y, x)
        The ROI.
    n_levels : int
        Number of grey levels ``Ng``.
    offsets : array_like of int, shape (Nn, 3)
        Neighbour offsets, both signs (bidirectional :func:`kernels.texture_common.texture_angles`).

    Returns
    -------
    ndarray of float64, shape (Ng, 2)
        Column 0: number of ROI voxels of each level (``n_i``); column 1: sum of ``|i - neighbourhood
        mean|`` over them (``s_i``).
    """
    off = check_angles(offsets)
    coded = encode_roi(levels, mask, n_levels, reach(off))
    out = np.zeros((int(n_levels), 2), dtype=np.float64)
    _ngtdm(coded.ravel(), flat_offsets(off, coded.shape), out)
    return out


@njit
def _ngtdm(
    coded: npt.NDArray[np.uint16], offsets: npt.NDArray[np.int64], out: npt.NDArray[np.float64]
) -> None:
    nn = offsets.shape[0]
    for idx in range(coded.shape[0]):
        gl = np.int64(coded[idx])
        if gl == 0:
            continue
        count = 0
        total = 0
        for a in range(nn):
            other = np.int64(coded[idx + offsets[a]])
            if other != 0:
                count += 1
                total += int(other)
        diff = 0.0
        if count > 0:
            diff = abs(float(gl) - float(total) / float(count))
        out[gl - 1, 0] += 1.0
        out[gl - 1, 1] += diff

"""Grey-level dependence matrix (GLDM) accumulation, as PyRadiomics 3.0.1 counts it.

For every ROI voxel of level ``i`` the neighbours at the given offsets that lie in the ROI with
``|i - level| <= alpha`` are counted (``k`` dependent voxels); ``P[i-1, k]`` is incremented.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from kernels._jit import njit
from kernels.texture_common import check_angles, encode_roi, flat_offsets, reach


def gldm_matrix(
    levels: npt.ArrayLike, mask: npt.ArrayLike, n_levels: int, offsets: npt.ArrayLike, alpha: int = 0
) -> npt.NDArray[np.float64]:
    """Accumulate the GLDM.

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
    alpha : int
        Coarseness: a neighbour is dependent when its level differs by at most ``alpha``.

    Returns
    -------
    ndarray of float64, shape (Ng, Nn + 1)
        ``P[i-1, k]`` = number of ROI voxels of level ``i`` with ``k`` dependent neighbours.

    Raises
    ------
    ValueError
        If ``alpha`` is negative (and on the input checks of
        :func:`kernels.texture_common.encode_roi`).
    """
    if isinstance(alpha, bool) or int(alpha) != alpha or alpha < 0:
        raise ValueError(f"alpha must be a non-negative integer, got {alpha}")
    off = check_angles(offsets)
    coded = encode_roi(levels, mask, n_levels, reach(off))
    out = np.zeros((int(n_levels), off.shape[0] + 1), dtype=np.float64)
    _gldm(coded.ravel(), flat_offsets(off, coded.shape), int(alpha), out)
    return out


@njit
def _gldm(
    coded: npt.NDArray[np.uint16], offsets: npt.NDArray[np.int64], alpha: int, out: npt.NDArray[np.float64]
) -> None:
    nn = offsets.shape[0]
    for idx in range(coded.shape[0]):
        gl = np.int64(coded[idx])
        if gl == 0:
            continue
        dep = 0
        for a in range(nn):
            other = np.int64(coded[idx + offsets[a]])
            if other != 0 and abs(gl - other) <= alpha:
                dep += 1
        out[gl - 1, dep] += 1.0

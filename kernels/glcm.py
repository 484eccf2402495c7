"""Grey-level co-occurrence matrix (GLCM) accumulation, as PyRadiomics 3.0.1's C extension counts it.

For every ROI voxel of level ``i`` and every offset ``a`` whose neighbour lies in the ROI with level
``j``, ``P[a, i-1, j-1]`` is incremented: one raw, asymmetrical count matrix per offset, all offsets in
one pass over the image.  Symmetrisation, empty-level removal, weighting and normalisation are done by
the caller (:mod:`hsp_desktop.radiomics.texture`).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from kernels._jit import njit
from kernels.texture_common import check_angles, encode_roi, flat_offsets, reach


def glcm_matrices(
    levels: npt.ArrayLike, mask: npt.ArrayLike, n_levels: int, angles: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Count grey-level co-occurrences for every offset.

    Parameters
    ----------
    levels : array_like of int, shape (z, y, x)
        Discretised grey levels, ``1..n_levels`` inside the ROI.
    mask : array_like of bool, shape (z, y, x)
        The ROI.
    n_levels : int
        Number of grey levels ``Ng``.
    angles : array_like of int, shape (Na, 3)
        Offsets ``(dz, dy, dx)`` (see :func:`kernels.texture_common.texture_angles`).

    Returns
    -------
    ndarray of float64, shape (Na, Ng, Ng)
        ``P[a, i-1, j-1]`` = number of ROI voxel pairs (level ``i``, neighbour at offset ``a`` of level ``j``).
    """
    ang = check_angles(angles)
    coded = encode_roi(levels, mask, n_levels, reach(ang))
    out = np.zeros((ang.shape[0], int(n_levels), int(n_levels)), dtype=np.float64)
    _glcm(coded.ravel(), flat_offsets(ang, coded.shape), out)
    return out


@njit
def _glcm(
    coded: npt.NDArray[np.uint16], offsets: npt.NDArray[np.int64], out: npt.NDArray[np.float64]
) -> None:
    na = offsets.shape[0]
    for idx in range(coded.shape[0]):
        gl = np.int64(coded[idx])
        if gl == 0:
            continue
        for a in range(na):
            other = np.int64(coded[idx + offsets[a]])
            if other != 0:
                out[a, gl - 1, other - 1] += 1.0

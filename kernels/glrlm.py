"""Grey-level run-length matrix (GLRLM) accumulation, as PyRadiomics 3.0.1's C extension counts it.

A run is a maximal sequence of ROI voxels of equal level along an offset ``a`` (a voxel outside the
ROI ends it).  ``P[a, i-1, r-1]`` counts the runs of level ``i`` and length ``r``.  Each offset takes
one sweep over the image: a voxel starts a run when the voxel before it (at ``-a``) is not an ROI voxel
of the same level, and the run is followed from there.  As in PyRadiomics, an offset along which no line
of the box holds more than one ROI voxel (the ROI is flat in that direction) gets an all-zero matrix,
so that the caller drops it as an empty direction.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from kernels._jit import njit
from kernels.texture_common import check_angles, encode_roi, flat_offsets, reach


def glrlm_matrices(
    levels: npt.ArrayLike, mask: npt.ArrayLike, n_levels: int, angles: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Count grey-level runs for every offset.

    Parameters
    ----------
    levels : array_like of int, shape (z, y, x)
        Discretised grey levels, ``1..n_levels`` inside the ROI.
    mask : array_like of bool, shape (z, y, x)
        The ROI.
    n_levels : int
        Number of grey levels ``Ng``.
    angles : array_like of int, shape (Na, 3)
        Offsets ``(dz, dy, dx)`` (mono-directional :func:`kernels.texture_common.texture_angles`).

    Returns
    -------
    ndarray of float64, shape (Na, Ng, Nr)
        ``P[a, i-1, r-1]`` = number of runs of level ``i`` and length ``r`` along offset ``a``;
        ``Nr`` is the largest size of ``levels`` (runs cannot be longer).
    """
    ang = check_angles(angles)
    n_runs = max(np.shape(levels))
    coded = encode_roi(levels, mask, n_levels, reach(ang))
    out = np.zeros((ang.shape[0], int(n_levels), n_runs), dtype=np.float64)
    _glrlm(coded.ravel(), flat_offsets(ang, coded.shape), out)
    for a in range(ang.shape[0]):
        if not out[a, :, 1:].any() and not _line_holds_two(coded, ang[a]):
            out[a, :, 0] = 0.0
    return out


@njit
def _glrlm(
    coded: npt.NDArray[np.uint16], offsets: npt.NDArray[np.int64], out: npt.NDArray[np.float64]
) -> None:
    na = offsets.shape[0]
    for a in range(na):  # one sweep per direction: two streams through memory, prefetch-friendly
        step = offsets[a]
        for idx in range(coded.shape[0]):
            gl = coded[idx]
            if gl == 0 or coded[idx - step] == gl:
                continue  # outside the ROI, or inside a run that started earlier
            run = 1
            cur = idx + step
            while coded[cur] == gl:
                run += 1
                cur += step
            out[a, np.int64(gl) - 1, run - 1] += 1.0


@njit
def _line_holds_two(coded: npt.NDArray[np.uint16], angle: npt.NDArray[np.int64]) -> bool:
    """Whether some line along ``angle`` holds two ROI voxels (gaps allowed); O(array size)."""
    nz, ny, nx = coded.shape
    dz = angle[0]
    dy = angle[1]
    dx = angle[2]
    for z in range(nz):
        for y in range(ny):
            for x in range(nx):
                if coded[z, y, x] == 0:
                    continue
                cz = z + dz
                cy = y + dy
                cx = x + dx
                while 0 <= cz < nz and 0 <= cy < ny and 0 <= cx < nx:
                    if coded[cz, cy, cx] != 0:
                        return True
                    cz += dz
                    cy += dy
                    cx += dx
    return False

"""Grey-level run-length matrix (GLRLM) accumulation, as PyRadiomics 3.0.1's C extension counts it.

A run is a maximal sequence of ROI voxels of equal level along an offset ``a`` (a voxel outside the
ROI or the box ends it).  ``P[a, i-1, r-1]`` counts the runs of level ``i`` and length ``r``.  All
offsets are handled in one pass: a voxel starts a run when the voxel before it (at ``-a``) is not an
ROI voxel of the same level, and the run is followed from there.  As in PyRadiomics, an offset along
which no line of the box holds more than one ROI voxel (the ROI is flat in that direction) gets an
all-zero matrix, so that the caller drops it as an empty angle.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from kernels._jit import njit
from kernels.texture_common import check_angles, check_levels_mask


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
        ``Nr`` is the largest box size.
    """
    lv, mk = check_levels_mask(levels, mask, n_levels)
    ang = check_angles(angles)
    n_runs = max(lv.shape)
    out = np.zeros((ang.shape[0], int(n_levels), n_runs), dtype=np.float64)
    multi = np.zeros(ang.shape[0], dtype=np.bool_)
    _glrlm(lv, mk, ang, out, multi)
    return out


@njit
def _glrlm(
    levels: npt.NDArray[np.int32],
    mask: npt.NDArray[np.bool_],
    angles: npt.NDArray[np.int64],
    out: npt.NDArray[np.float64],
    multi: npt.NDArray[np.bool_],
) -> None:
    nz, ny, nx = levels.shape
    na = angles.shape[0]
    for z in range(nz):
        for y in range(ny):
            for x in range(nx):
                if not mask[z, y, x]:
                    continue
                gl = levels[z, y, x]
                for a in range(na):
                    dz = angles[a, 0]
                    dy = angles[a, 1]
                    dx = angles[a, 2]
                    pz = z - dz
                    py = y - dy
                    px = x - dx
                    if 0 <= pz < nz and 0 <= py < ny and 0 <= px < nx:
                        if mask[pz, py, px] and levels[pz, py, px] == gl:
                            continue  # inside a run that started earlier
                    run = 1
                    cz = z + dz
                    cy = y + dy
                    cx = x + dx
                    while 0 <= cz < nz and 0 <= cy < ny and 0 <= cx < nx:
                        if not mask[cz, cy, cx] or levels[cz, cy, cx] != gl:
                            break
                        run += 1
                        cz += dz
                        cy += dy
                        cx += dx
                    out[a, gl - 1, run - 1] += 1.0
                    if not multi[a]:
                        if run > 1:
                            multi[a] = True
                        else:
                            # look for another ROI voxel further along this line (gaps allowed)
                            while 0 <= cz < nz and 0 <= cy < ny and 0 <= cx < nx:
                                if mask[cz, cy, cx]:
                                    multi[a] = True
                                    break
                                cz += dz
                                cy += dy
                                cx += dx
    for a in range(na):
        if not multi[a]:
            out[a, :, 0] = 0.0

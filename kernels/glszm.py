"""Grey-level size-zone matrix (GLSZM): connected zones of equal level, as PyRadiomics 3.0.1 finds them.

A zone is a connected set of ROI voxels of one grey level, connectivity given by the neighbour offsets
(26-connectivity in 3D, 8 in 2D for the bidirectional distance-1 offsets).  Zones are found by an
iterative flood fill from each unvisited ROI voxel in raster order; ``P[i-1, s-1]`` counts the zones of
level ``i`` and size ``s`` voxels.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from kernels._jit import njit
from kernels.texture_common import check_angles, check_levels_mask


def glszm_matrix(
    levels: npt.ArrayLike, mask: npt.ArrayLike, n_levels: int, offsets: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Count the zones of each grey level and size.

    Parameters
    ----------
    levels : array_like of int, shape (z, y, x)
        Discretised grey levels, ``1..n_levels`` inside the ROI.
    mask : array_like of bool, shape (z, y, x)
        The ROI.
    n_levels : int
        Number of grey levels ``Ng``.
    offsets : array_like of int, shape (Nn, 3)
        Connectivity offsets, both signs (bidirectional distance-1
        :func:`kernels.texture_common.texture_angles`).

    Returns
    -------
    ndarray of float64, shape (Ng, Ns)
        ``P[i-1, s-1]`` = number of zones of level ``i`` and size ``s``; ``Ns`` is the largest zone size.
    """
    lv, mk = check_levels_mask(levels, mask, n_levels)
    off = check_angles(offsets)
    n_roi = int(np.count_nonzero(mk))
    zone_level = np.empty(n_roi, dtype=np.int64)
    zone_size = np.empty(n_roi, dtype=np.int64)
    todo = mk.copy()
    stack = np.empty(n_roi, dtype=np.int64)
    n_zones = _glszm_zones(lv, todo, off, zone_level, zone_size, stack)
    sizes = zone_size[:n_zones]
    out = np.zeros((int(n_levels), int(sizes.max())), dtype=np.float64)
    np.add.at(out, (zone_level[:n_zones] - 1, sizes - 1), 1.0)
    return out


@njit
def _glszm_zones(
    levels: npt.NDArray[np.int32],
    todo: npt.NDArray[np.bool_],
    offsets: npt.NDArray[np.int64],
    zone_level: npt.NDArray[np.int64],
    zone_size: npt.NDArray[np.int64],
    stack: npt.NDArray[np.int64],
) -> int:
    nz, ny, nx = levels.shape
    plane = ny * nx
    nn = offsets.shape[0]
    n_zones = 0
    for z in range(nz):
        for y in range(ny):
            for x in range(nx):
                if not todo[z, y, x]:
                    continue
                gl = levels[z, y, x]
                todo[z, y, x] = False
                stack[0] = z * plane + y * nx + x
                top = 1
                size = 0
                while top > 0:
                    top -= 1
                    flat = stack[top]
                    size += 1
                    cz = flat // plane
                    cy = (flat - cz * plane) // nx
                    cx = flat - cz * plane - cy * nx
                    for a in range(nn):
                        zz = cz + offsets[a, 0]
                        yy = cy + offsets[a, 1]
                        xx = cx + offsets[a, 2]
                        if zz < 0 or zz >= nz or yy < 0 or yy >= ny or xx < 0 or xx >= nx:
                            continue
                        if todo[zz, yy, xx] and levels[zz, yy, xx] == gl:
                            todo[zz, yy, xx] = False
                            stack[top] = zz * plane + yy * nx + xx
                            top += 1
                zone_level[n_zones] = gl
                zone_size[n_zones] = size
                n_zones += 1
    return n_zones

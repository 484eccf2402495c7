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
from kernels.texture_common import check_angles, check_levels_mask, flat_offsets, reach


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
    off = check_angles(offsets)
    lv, mk = check_levels_mask(levels, mask, n_levels, reach(off))
    todo = mk.ravel().copy()
    n_roi = int(np.count_nonzero(todo))
    zone_level = np.empty(n_roi, dtype=np.int64)
    zone_size = np.empty(n_roi, dtype=np.int64)
    stack = np.empty(n_roi, dtype=np.int64)
    n_zones = _glszm_zones(lv.ravel(), todo, flat_offsets(off, lv.shape), zone_level, zone_size, stack)
    out = np.zeros((int(n_levels), int(zone_size[:n_zones].max())), dtype=np.float64)
    _fill(zone_level[:n_zones], zone_size[:n_zones], out)
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
    nn = offsets.shape[0]
    n_zones = 0
    for start in range(levels.shape[0]):
        if not todo[start]:
            continue
        gl = levels[start]
        todo[start] = False
        stack[0] = start
        top = 1
        size = 0
        while top > 0:
            top -= 1
            cur = stack[top]
            size += 1
            for a in range(nn):
                nb = cur + offsets[a]
                if todo[nb] and levels[nb] == gl:
                    todo[nb] = False
                    stack[top] = nb
                    top += 1
        zone_level[n_zones] = gl
        zone_size[n_zones] = size
        n_zones += 1
    return n_zones


@njit
def _fill(
    zone_level: npt.NDArray[np.int64], zone_size: npt.NDArray[np.int64], out: npt.NDArray[np.float64]
) -> None:
    for z in range(zone_level.shape[0]):
        out[zone_level[z] - 1, zone_size[z] - 1] += 1.0

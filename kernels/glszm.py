"""Grey-level size-zone matrix (GLSZM): connected zones of equal level, as PyRadiomics 3.0.1 finds them.

A zone is a connected set of ROI voxels of one grey level, connectivity given by the neighbour offsets
(26-connectivity in 3D, 8 in 2D for the bidirectional distance-1 offsets).  Zones are labelled by
union-find in one raster pass (each voxel is joined to its already-visited neighbours of the same
level, skipping those already known to be joined through the previous voxel), then counted per level
and size.  Only the zone sizes that occur get a column: PyRadiomics
drops the empty size columns before computing any feature, and a dense matrix would be as wide as the
largest zone (tens of thousands of columns on a smooth image).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from kernels._jit import njit
from kernels.texture_common import check_angles, encode_roi, flat_offsets, reach


def glszm_matrix(
    levels: npt.ArrayLike, mask: npt.ArrayLike, n_levels: int, offsets: npt.ArrayLike
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
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
        :func:`kernels.texture_common.texture_angles`); the set must contain the opposite of each offset.

    Returns
    -------
    matrix : ndarray of float64, shape (Ng, Ns)
        ``matrix[i-1, s]`` = number of zones of level ``i`` whose size is ``sizes[s]``.
    sizes : ndarray of int64, shape (Ns,)
        The zone sizes that occur, ascending.

    Raises
    ------
    ValueError
        If the offsets are not symmetric (and on the input checks of
        :func:`kernels.texture_common.encode_roi`).
    """
    off = check_angles(offsets)
    if {tuple(o) for o in off.tolist()} != {tuple(-v for v in o) for o in off.tolist()}:
        raise ValueError("GLSZM offsets must come in opposite pairs (bidirectional angles)")
    coded = encode_roi(levels, mask, n_levels, reach(off))
    n_roi = int(np.count_nonzero(coded))
    if coded.size > np.iinfo(np.int32).max:
        raise ValueError(
            f"the ROI box has {coded.size} voxels; at most {np.iinfo(np.int32).max} are supported"
        )
    parent = np.empty(coded.size, dtype=np.int32)  # int32 halves the memory traffic of the labelling
    count = np.empty(coded.size, dtype=np.int32)
    zone_level = np.empty(n_roi, dtype=np.int64)
    zone_size = np.empty(n_roi, dtype=np.int64)
    primary, backward, extras = _union_plan(off, flat_offsets(off, coded.shape))
    n_zones = _glszm_zones(coded.ravel(), primary, backward, extras, parent, count, zone_level, zone_size)
    zone_level = zone_level[:n_zones]
    zone_size = zone_size[:n_zones]
    occurring = np.bincount(zone_size) > 0
    sizes = np.flatnonzero(occurring).astype(np.int64)
    column = np.cumsum(occurring) - 1
    out = np.zeros((int(n_levels), sizes.shape[0]), dtype=np.float64)
    _fill(zone_level, column[zone_size], out)
    return out, sizes


def _union_plan(
    offsets: npt.NDArray[np.int64], flat: npt.NDArray[np.int64]
) -> tuple[int, npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Which already-visited neighbours a voxel must look at (the classic labelling shortcut).

    ``primary`` is the closest already-visited neighbour (x - 1 in 3D).  When it has the voxel's level,
    the voxel joins its zone, and a neighbour ``w`` that is also a neighbour of ``primary`` is already in
    that zone if it has the same level (it was joined when ``primary`` or ``w`` was visited), so only the
    ``extras`` (already-visited neighbours of the voxel that are not neighbours of ``primary``) remain to
    be checked; otherwise all the ``backward`` neighbours are checked.
    """
    is_back = flat < 0
    back_offsets = offsets[is_back]
    back_flat = flat[is_back]
    k = int(np.argmax(back_flat))
    known = {tuple(o) for o in offsets.tolist()}
    extras = [
        int(back_flat[i])
        for i, o in enumerate(back_offsets.tolist())
        if i != k and tuple(a - b for a, b in zip(o, back_offsets[k].tolist(), strict=True)) not in known
    ]
    others = [int(v) for i, v in enumerate(back_flat.tolist()) if i != k]
    return int(back_flat[k]), np.array(others, dtype=np.int64), np.array(extras, dtype=np.int64)


@njit
def _find(parent: npt.NDArray[np.int32], idx: int) -> int:
    root = idx
    while parent[root] != root:
        root = parent[root]
    while parent[idx] != root:  # path compression
        nxt = parent[idx]
        parent[idx] = root
        idx = nxt
    return root


@njit
def _glszm_zones(
    coded: npt.NDArray[np.uint16],
    primary: int,
    backward: npt.NDArray[np.int64],
    extras: npt.NDArray[np.int64],
    parent: npt.NDArray[np.int32],
    count: npt.NDArray[np.int32],
    zone_level: npt.NDArray[np.int64],
    zone_size: npt.NDArray[np.int64],
) -> int:
    # 1. join each voxel to its already-visited neighbours of the same level (see _union_plan);
    #    the root of a zone is its first voxel in raster order (unions keep the smaller root)
    for idx in range(coded.shape[0]):
        gl = coded[idx]
        if gl == 0:
            continue
        if coded[idx + primary] == gl:
            root_me = _find(parent, idx + primary)
            steps = extras
        else:
            root_me = -1
            steps = backward
        for a in range(steps.shape[0]):
            nb = idx + steps[a]
            if coded[nb] == gl:
                root_nb = _find(parent, nb)
                if root_me < 0:
                    root_me = root_nb
                elif root_nb < root_me:
                    parent[root_me] = root_nb
                    root_me = root_nb
                elif root_me < root_nb:
                    parent[root_nb] = root_me
        parent[idx] = idx if root_me < 0 else root_me
    # 2. zone sizes at the roots (a root comes before the other voxels of its zone)
    for idx in range(coded.shape[0]):
        if coded[idx] == 0:
            continue
        root = _find(parent, idx)
        if root == idx:
            count[idx] = 0
        count[root] += 1
    # 3. one record per zone, in raster order of the zones' first voxels
    n_zones = 0
    for idx in range(coded.shape[0]):
        if coded[idx] != 0 and parent[idx] == idx:
            zone_level[n_zones] = coded[idx]
            zone_size[n_zones] = count[idx]
            n_zones += 1
    return n_zones


@njit
def _fill(
    zone_level: npt.NDArray[np.int64], column: npt.NDArray[np.int64], out: npt.NDArray[np.float64]
) -> None:
    for z in range(zone_level.shape[0]):
        out[zone_level[z] - 1, column[z]] += 1.0

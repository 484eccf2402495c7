"""Grey-level size-zone matrix (GLSZM): connected zones of equal level, as PyRadiomics 3.0.1 finds them.

A zone is a connected set of ROI voxels of one grey level, connectivity given by the neighbour offsets
(26-connectivity in 3D, 8 in 2D for the bidirectional distance-1 offsets).  Zones are labelled by
union-find in one raster pass over the ROI voxels (each voxel is joined to its already-visited neighbours
of the same level; when the neighbour adjacent to all the others (``z - 1`` in 3D) has the voxel's level one
union is enough, and when the previous voxel has it only the neighbours it does not touch are checked), then
counted per level and size in a second pass that finds every root in one step (a parent always precedes its
child in raster order).  Only the zone sizes that occur get a column: PyRadiomics
drops the empty size columns before computing any feature, and a dense matrix would be as wide as the
largest zone (tens of thousands of columns on a smooth image).  The ROI voxel list depends on the ROI only
and is shared by every image of an extraction (:func:`glszm_from_coded`).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from kernels._jit import njit
from kernels.texture_common import (
    check_angles,
    check_border,
    check_coded,
    encode_roi,
    flat_offsets,
    reach,
    roi_voxels,
)


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
    _check_symmetric(off)
    coded = encode_roi(levels, mask, n_levels, reach(off))
    return glszm_from_coded(coded, roi_voxels(coded), off, n_levels)


def glszm_from_coded(
    coded: npt.NDArray[np.uint16], voxels: npt.ArrayLike, offsets: npt.ArrayLike, n_levels: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Count the zones of each grey level and size of an encoded ROI.

    Parameters
    ----------
    coded : ndarray of uint16, shape (z, y, x)
        Level inside the ROI, 0 outside, with an outside border of at least ``max |offset|`` voxels
        (:func:`kernels.texture_common.encode_roi`).
    voxels : array_like of int, shape (n,)
        Flat (C-order) indices of the ROI voxels of ``coded``, ascending
        (:func:`kernels.texture_common.roi_voxels`); the same for every image of one ROI.
    offsets : array_like of int, shape (Nn, 3)
        Connectivity offsets, both signs.
    n_levels : int
        Number of grey levels ``Ng``.

    Returns
    -------
    matrix, sizes
        As :func:`glszm_matrix`.

    Raises
    ------
    ValueError
        If the offsets are not symmetric, or ``voxels`` are not the ascending ROI voxels of ``coded``.
    """
    off = check_angles(offsets)
    _check_symmetric(off)
    cd = check_coded(coded, n_levels)
    check_border(cd, reach(off))
    vox = np.ascontiguousarray(voxels, dtype=np.int64)
    if vox.ndim != 1:
        raise ValueError("voxels must be a 1-D array of flat indices")
    if cd.size > np.iinfo(np.int32).max:
        raise ValueError(f"the ROI box has {cd.size} voxels; at most {np.iinfo(np.int32).max} are supported")
    if vox.size != int(np.count_nonzero(cd)):
        raise ValueError("voxels must be the ascending flat indices of coded's ROI voxels (roi_voxels)")
    parent = np.empty(cd.size, dtype=np.int32)  # int32 halves the memory traffic of the labelling
    zone_id = np.empty(cd.size, dtype=np.int32)
    zone_level = np.empty(vox.size, dtype=np.int64)
    zone_size = np.empty(vox.size, dtype=np.int64)
    flat = flat_offsets(off, cd.shape)
    primary, backward, extras = _union_plan(off, flat)
    cover = _cover(off, flat)
    limit = int(np.abs(flat).max()) if flat.size else 0
    n_zones = _glszm_zones(
        cd.ravel(), vox, limit, cover, primary, backward, extras, parent, zone_id, zone_level, zone_size
    )
    if n_zones < 0:
        raise ValueError("voxels must be the ascending flat indices of coded's ROI voxels (roi_voxels)")
    zone_level = zone_level[:n_zones]
    zone_size = zone_size[:n_zones]
    occurring = np.bincount(zone_size) > 0
    sizes = np.flatnonzero(occurring).astype(np.int64)
    column = np.cumsum(occurring) - 1
    out = np.zeros((int(n_levels), sizes.shape[0]), dtype=np.float64)
    _fill(zone_level, column[zone_size], out)
    return out, sizes


def _check_symmetric(off: npt.NDArray[np.int64]) -> None:
    if {tuple(o) for o in off.tolist()} != {tuple(-v for v in o) for o in off.tolist()}:
        raise ValueError("GLSZM offsets must come in opposite pairs (bidirectional angles)")


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


def _cover(offsets: npt.NDArray[np.int64], flat: npt.NDArray[np.int64]) -> int:
    """An already-visited neighbour adjacent to all the others (``z - 1`` in 3D), as a flat step; 0 if none.

    When it has the voxel's level, every already-visited neighbour of that level is already in its zone (the later
    of the two was joined to the earlier when it was visited), so one union is enough.
    """
    known = {tuple(o) for o in offsets.tolist()}
    back = [(tuple(o), int(f)) for o, f in zip(offsets.tolist(), flat.tolist(), strict=True) if f < 0]
    for centre, step in back:
        if all(o == centre or tuple(a - b for a, b in zip(o, centre, strict=True)) in known for o, _ in back):
            return step
    return 0


# The labelling indexes with unsigned integers: Numba then skips the negative-index wrap-around test of each load
# and store.  Already-visited neighbours lie before the voxel, so they are reached by subtracting positive steps.


@njit
def _find(parent: npt.NDArray[np.int32], idx: np.uint64) -> np.uint64:
    root = idx
    while np.uint64(parent[root]) != root:
        root = np.uint64(parent[root])
    while np.uint64(parent[idx]) != root:  # path compression
        nxt = np.uint64(parent[idx])
        parent[idx] = root
        idx = nxt
    return root


@njit
def _glszm_zones(
    coded: npt.NDArray[np.uint16],
    voxels: npt.NDArray[np.int64],
    limit: int,
    cover: int,
    primary: int,
    backward: npt.NDArray[np.int64],
    extras: npt.NDArray[np.int64],
    parent: npt.NDArray[np.int32],
    zone_id: npt.NDArray[np.int32],
    zone_level: npt.NDArray[np.int64],
    zone_size: npt.NDArray[np.int64],
) -> int:
    """Label the zones; return their number, or -1 when ``voxels`` are not ascending ROI voxels."""
    size = coded.shape[0]
    last = -1
    for q in range(voxels.shape[0]):  # with the caller's count check: exactly the ROI voxels, ascending
        idx = voxels[q]
        if idx <= last or idx < limit or idx >= size - limit or coded[idx] == 0:
            return -1
        last = idx
    # backward steps as positive distances
    to_cover = np.uint64(-cover)
    to_primary = np.uint64(-primary)
    back = np.empty(backward.shape[0], dtype=np.uint64)
    for a in range(backward.shape[0]):
        back[a] = np.uint64(-backward[a])
    extra = np.empty(extras.shape[0], dtype=np.uint64)
    for a in range(extras.shape[0]):
        extra[a] = np.uint64(-extras[a])
    # 1. join each voxel to its already-visited neighbours of the same level (see _union_plan);
    #    a parent always comes before its child in raster order (unions keep the smaller root)
    for q in range(voxels.shape[0]):
        idx = np.uint64(voxels[q])
        gl = coded[idx]
        if cover != 0 and coded[idx - to_cover] == gl:
            parent[idx] = _find(parent, idx - to_cover)
            continue
        joined = coded[idx - to_primary] == gl
        root_me = idx
        if joined:
            root_me = _find(parent, idx - to_primary)
            steps = extra
        else:
            steps = back
        for a in range(steps.shape[0]):
            nb = idx - steps[np.uint64(a)]
            if coded[nb] == gl:
                root_nb = _find(parent, nb)
                if not joined:
                    root_me = root_nb
                    joined = True
                elif root_nb < root_me:
                    parent[root_me] = root_nb
                    root_me = root_nb
                elif root_me < root_nb:
                    parent[root_nb] = root_me
        parent[idx] = root_me
    # 2. one record per zone, in raster order of the zones' first voxels (its root).  In raster order the
    #    parent p < idx of a voxel already points at its root, so the root is one step away.
    n_zones = 0
    for q in range(voxels.shape[0]):
        idx = np.uint64(voxels[q])
        p = np.uint64(parent[idx])
        if p == idx:
            zone_id[idx] = n_zones
            zone_level[n_zones] = coded[idx]
            zone_size[n_zones] = 1
            n_zones += 1
        else:
            root = np.uint64(parent[p])
            parent[idx] = root
            zone_size[np.uint64(zone_id[root])] += 1
    return n_zones


@njit
def _fill(
    zone_level: npt.NDArray[np.int64], column: npt.NDArray[np.int64], out: npt.NDArray[np.float64]
) -> None:
    for z in range(zone_level.shape[0]):
        out[zone_level[z] - 1, column[z]] += 1.0

"""Shared helpers of the texture kernels: neighbour offsets ("angles") in PyRadiomics 3.0.1 order, input checks.

An angle is an offset ``(dz, dy, dx)`` between a voxel and its neighbour.  For a set of Chebyshev
distances ``D`` the offsets are every non-zero ``(dz, dy, dx)`` whose largest absolute component is in
``D``, limited per axis to what fits in the ROI box (an axis of size ``s`` admits offsets of at most
``s - 1``; an axis of size 1 admits none), and, when the matrix is computed in 2D, with a zero
component along the excluded axis.  Mono-directional sets (GLCM, GLRLM) keep only the offsets whose
first non-zero component is positive (13 in 3D, 4 in 2D for distance 1); bidirectional sets (GLSZM,
GLDM, NGTDM) keep both signs (26 in 3D, 8 in 2D).  Offsets are listed with ``dz`` from high to low,
then ``dy``, then ``dx``, as PyRadiomics' C extension lists them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from kernels._jit import njit


def texture_angles(
    shape: Sequence[int],
    distances: Sequence[int] = (1,),
    *,
    bidirectional: bool = False,
    force2d_dimension: int | None = None,
) -> npt.NDArray[np.int64]:
    """Return the neighbour offsets of a texture matrix.

    Parameters
    ----------
    shape : sequence of 3 int
        Shape ``(z, y, x)`` of the (cropped) ROI box.
    distances : sequence of int
        Distinct positive Chebyshev distances.
    bidirectional : bool
        Keep both signs of every offset (GLSZM, GLDM, NGTDM) instead of one (GLCM, GLRLM).
    force2d_dimension : int or None
        Axis (0 = z, 1 = y, 2 = x) along which no offset is taken (PyRadiomics ``force2D``), or None
        for 3D.

    Returns
    -------
    ndarray of int64, shape (Na, 3)
        The offsets ``(dz, dy, dx)``; ``Na`` may be 0 (a one-voxel box).

    Raises
    ------
    ValueError
        If ``shape`` is not 3 positive sizes, a distance is not a positive integer or repeats, or
        ``force2d_dimension`` is not None, 0, 1 or 2.
    """
    sizes = [int(s) for s in shape]
    if len(sizes) != 3 or min(sizes) < 1:
        raise ValueError(f"shape must be 3 positive sizes (z, y, x), got {tuple(shape)}")
    dist = [int(d) for d in distances]
    if not dist or min(dist) < 1 or len(set(dist)) != len(dist):
        raise ValueError(f"distances must be distinct positive integers, got {tuple(distances)}")
    if force2d_dimension is not None and force2d_dimension not in (0, 1, 2):
        raise ValueError(f"force2d_dimension must be None, 0, 1 or 2, got {force2d_dimension}")
    wanted = set(dist)
    reach = max(dist)
    limits = [0 if axis == force2d_dimension else min(reach, sizes[axis] - 1) for axis in range(3)]
    offsets: list[tuple[int, int, int]] = []
    for dz in range(limits[0], -limits[0] - 1, -1):
        for dy in range(limits[1], -limits[1] - 1, -1):
            for dx in range(limits[2], -limits[2] - 1, -1):
                norm = max(abs(dz), abs(dy), abs(dx))
                if norm == 0 or norm not in wanted:
                    continue
                if not bidirectional:
                    first = dz if dz != 0 else (dy if dy != 0 else dx)
                    if first < 0:
                        continue
                offsets.append((dz, dy, dx))
    return np.array(offsets, dtype=np.int64).reshape(len(offsets), 3)


#: Largest number of grey levels the kernels accept (levels are coded as uint16).
MAX_LEVELS = 65535


def encode_roi(
    levels: npt.ArrayLike, mask: npt.ArrayLike, n_levels: int, margin: int = 1
) -> npt.NDArray[np.uint16]:
    """Validate a discretised image and its ROI and code them as one array for the texture kernels.

    The coded array holds the grey level inside the ROI and 0 outside, so that "neighbour in the ROI
    with level ``j``" is one load.  It has a border of at least ``margin`` outside-ROI voxels (the
    array is padded when the ROI comes closer to a face), so the kernels index neighbours without
    bounds checks; padding changes no count, as neighbours outside the array are never ROI voxels.

    Parameters
    ----------
    levels : array_like of int, shape (z, y, x)
        Grey levels; inside the mask they must lie in ``1..n_levels`` (outside they are ignored).
    mask : array_like of bool, shape (z, y, x)
        The ROI.
    n_levels : int
        Number of grey levels ``Ng`` (rows of the matrices), at most :data:`MAX_LEVELS`.
    margin : int
        Outside-ROI voxels needed between the ROI and each face of the array (>= 1).

    Returns
    -------
    ndarray of uint16, shape (z + 2p, y + 2p, x + 2p) with p = 0 or ``margin``, C-contiguous

    Raises
    ------
    ValueError
        On a wrong dimension, dtype or shape, an empty mask, too many levels, or a level outside
        ``1..n_levels`` in the ROI.
    """
    lv = np.asarray(levels)
    mk = np.asarray(mask)
    if lv.ndim != 3:
        raise ValueError(f"levels must be a 3D array (z, y, x), got {lv.ndim} dimensions")
    if not np.issubdtype(lv.dtype, np.integer):
        raise ValueError(f"levels must hold integer grey levels, got dtype {lv.dtype}")
    if mk.shape != lv.shape:
        raise ValueError(f"mask shape {mk.shape} differs from levels shape {lv.shape}")
    if mk.dtype != np.bool_:
        if not np.issubdtype(mk.dtype, np.integer):
            raise ValueError(f"mask must be boolean (or 0/1 integers), got dtype {mk.dtype}")
        mk = mk != 0
    if not 1 <= int(n_levels) <= MAX_LEVELS:
        raise ValueError(f"n_levels must lie in 1..{MAX_LEVELS}, got {n_levels}")
    if int(margin) < 1:
        raise ValueError(f"margin must be >= 1, got {margin}")
    # two compiled variants only: int32 (what the engine passes) and int64 (anything else)
    lv_c = np.ascontiguousarray(lv) if lv.dtype == np.int32 else np.ascontiguousarray(lv, dtype=np.int64)
    mk = np.ascontiguousarray(mk, dtype=np.bool_)
    pad = 0 if _has_margin(mk, int(margin)) else int(margin)
    coded = np.empty(tuple(n + 2 * pad for n in mk.shape), dtype=np.uint16)
    if pad:
        coded[:pad] = 0
        coded[-pad:] = 0
        coded[:, :pad] = 0
        coded[:, -pad:] = 0
        coded[:, :, :pad] = 0
        coded[:, :, -pad:] = 0
    low, high = _encode(lv_c, mk, int(n_levels), pad, coded)
    if low > high:
        raise ValueError("the mask is empty: no voxel to compute a texture matrix from")
    if low < 1 or high > int(n_levels):
        raise ValueError(f"grey levels inside the mask must lie in 1..{int(n_levels)}, found {low}..{high}")
    return coded


@njit
def _encode(
    levels: npt.NDArray[np.integer[Any]],
    mask: npt.NDArray[np.bool_],
    n_levels: int,
    pad: int,
    out: npt.NDArray[np.uint16],
) -> tuple[int, int]:
    """Write level-inside / 0-outside into ``out`` (offset by ``pad``); return the ROI's level range."""
    low = 9223372036854775807
    high = -9223372036854775807
    nz, ny, nx = levels.shape
    for z in range(nz):
        for y in range(ny):
            for x in range(nx):
                if mask[z, y, x]:
                    value = levels[z, y, x]
                    if value < low:
                        low = value
                    if value > high:
                        high = value
                    out[z + pad, y + pad, x + pad] = value if 1 <= value <= n_levels else 0
                else:
                    out[z + pad, y + pad, x + pad] = 0
    return int(low), int(high)


def _has_margin(mask: npt.NDArray[np.bool_], margin: int) -> bool:
    """Whether the ROI stays ``margin`` voxels away from every face of the array."""
    if min(mask.shape) <= 2 * margin:
        return False
    m = margin
    faces = (mask[:m], mask[-m:], mask[:, :m], mask[:, -m:], mask[:, :, :m], mask[:, :, -m:])
    return not any(bool(face.any()) for face in faces)


def flat_offsets(angles: npt.NDArray[np.int64], shape: tuple[int, ...]) -> npt.NDArray[np.int64]:
    """Offsets ``(dz, dy, dx)`` as steps in the flattened (C-order) array of ``shape``.

    Parameters
    ----------
    angles : ndarray of int64, shape (Na, 3)
        Offsets ``(dz, dy, dx)``.
    shape : tuple of 3 int
        Shape of the array the offsets are used in.

    Returns
    -------
    ndarray of int64, shape (Na,)
    """
    strides = np.array([shape[1] * shape[2], shape[2], 1], dtype=np.int64)
    return np.ascontiguousarray(angles @ strides, dtype=np.int64)


def reach(angles: npt.NDArray[np.int64]) -> int:
    """Largest absolute offset component (the border the kernels need), at least 1."""
    return max(1, int(np.abs(angles).max())) if angles.size else 1


def check_angles(angles: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Validate and coerce neighbour offsets to a C-contiguous ``(Na, 3)`` int64 array.

    Parameters
    ----------
    angles : array_like of int, shape (Na, 3)
        Offsets ``(dz, dy, dx)``, none of them all zero.

    Returns
    -------
    ndarray of int64, shape (Na, 3)

    Raises
    ------
    ValueError
        On a wrong shape or a zero offset.
    """
    arr = np.asarray(angles)
    if arr.ndim != 2 or arr.shape[1] != 3:
        raise ValueError(f"angles must have shape (Na, 3), got {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"angles must be integers, got dtype {arr.dtype}")
    out = np.ascontiguousarray(arr, dtype=np.int64)
    if out.shape[0] and np.any(np.all(out == 0, axis=1)):
        raise ValueError("angles must not contain the zero offset (0, 0, 0)")
    return out


def check_coded(coded: npt.ArrayLike, n_levels: int) -> npt.NDArray[np.uint16]:
    """Validate a coded ROI (:func:`encode_roi`'s output) handed to a kernel that skips the encoding.

    Parameters
    ----------
    coded : ndarray of uint16, shape (z, y, x)
        Level inside the ROI, 0 outside, C-contiguous.
    n_levels : int
        Number of grey levels ``Ng``; no coded value may exceed it.

    Returns
    -------
    ndarray of uint16
        ``coded`` itself.

    Raises
    ------
    ValueError
        On a wrong type, dimension or layout, or a level above ``n_levels``.
    """
    if not isinstance(coded, np.ndarray) or coded.dtype != np.uint16 or coded.ndim != 3:
        raise ValueError("coded must be a 3D uint16 array from encode_roi")
    if not coded.flags.c_contiguous:
        raise ValueError("coded must be C-contiguous (as encode_roi returns it)")
    if not 1 <= int(n_levels) <= MAX_LEVELS:
        raise ValueError(f"n_levels must lie in 1..{MAX_LEVELS}, got {n_levels}")
    if coded.size and int(coded.max()) > int(n_levels):
        raise ValueError(f"coded levels exceed n_levels={n_levels}")
    return coded


def roi_voxels(coded: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Flat (C-order) indices of the ROI voxels (non-zero values) of a coded ROI, ascending.

    Parameters
    ----------
    coded : array_like, shape (z, y, x)
        :func:`encode_roi`'s output (or the padded ROI mask).

    Returns
    -------
    ndarray of int64, shape (n,)
    """
    return np.flatnonzero(np.asarray(coded)).astype(np.int64, copy=False)


def encode_box(
    levels: npt.ArrayLike, roi: npt.ArrayLike, start: Sequence[int], margin: int
) -> tuple[npt.NDArray[np.uint16], int, int, npt.NDArray[np.int64]]:
    """Code the ROI of a box of ``levels`` with an outside border, and count its levels, in one pass.

    Parameters
    ----------
    levels : array_like of int, shape (Z, Y, X)
        Grey levels; only the voxels of ``roi`` are read.
    roi : array_like of bool, shape (z, y, x)
        The ROI on the box of ``levels`` that starts at ``start`` (``z + start[0] <= Z`` etc.).
    start : sequence of 3 int
        Corner of the box in ``levels``.
    margin : int
        Width of the outside border of the result (>= 1).

    Returns
    -------
    coded : ndarray of uint16, shape (z + 2 margin, y + 2 margin, x + 2 margin)
        Level inside the ROI, 0 outside (as :func:`encode_roi`); only valid when ``1 <= low`` and
        ``high <= MAX_LEVELS``.
    low, high : int
        The lowest and highest level in the ROI (``low > high`` for an empty ROI).
    counts : ndarray of int64, shape (high + 1,)
        ``counts[g]`` = number of ROI voxels of level ``g`` (empty unless the levels are valid).

    Raises
    ------
    ValueError
        On a wrong dimension or dtype, a box that does not fit, or ``margin < 1``.
    """
    lv = np.asarray(levels)
    mk = np.asarray(roi)
    if lv.ndim != 3 or mk.ndim != 3:
        raise ValueError("levels and roi must be 3D arrays (z, y, x)")
    if not np.issubdtype(lv.dtype, np.integer):
        raise ValueError(f"levels must hold integer grey levels, got dtype {lv.dtype}")
    if mk.dtype != np.bool_:
        raise ValueError(f"roi must be boolean, got dtype {mk.dtype}")
    first = [int(v) for v in start]
    if (
        len(first) != 3
        or min(first) < 0
        or any(f + n > m for f, n, m in zip(first, mk.shape, lv.shape, strict=True))
    ):
        raise ValueError(
            f"a box of shape {mk.shape} at {tuple(start)} does not fit in levels of shape {lv.shape}"
        )
    if int(margin) < 1:
        raise ValueError(f"margin must be >= 1, got {margin}")
    if lv.dtype != np.int32:
        lv = lv.astype(np.int64)
    m = int(margin)
    coded = np.zeros(tuple(n + 2 * m for n in mk.shape), dtype=np.uint16)
    low, high = _encode_box(lv, mk, first[0], first[1], first[2], m, coded)
    if low < 1 or high > MAX_LEVELS or low > high:
        return coded, int(low), int(high), np.zeros(0, dtype=np.int64)
    counts = np.zeros(int(high) + 1, dtype=np.int64)
    _count_levels(coded.ravel(), counts)
    return coded, int(low), int(high), counts


@njit
def _encode_box(
    levels: npt.NDArray[np.integer[Any]],
    roi: npt.NDArray[np.bool_],
    z0: int,
    y0: int,
    x0: int,
    pad: int,
    out: npt.NDArray[np.uint16],
) -> tuple[int, int]:
    low = 9223372036854775807
    high = -9223372036854775807
    nz, ny, nx = roi.shape
    for z in range(nz):
        for y in range(ny):
            # one row at a time through 1-D views, unsigned indices (no wrap-around tests)
            source = levels[z + z0, y + y0, x0 : x0 + nx]
            inside = roi[z, y]
            target = out[z + pad, y + pad, pad : pad + nx]
            for x in range(nx):
                ux = np.uint64(x)
                if inside[ux]:
                    value = int(source[ux])
                    low = min(low, value)
                    high = max(high, value)
                    target[ux] = value if 1 <= value <= 65535 else 0
    return int(low), int(high)


@njit
def _count_levels(coded: npt.NDArray[np.uint16], counts: npt.NDArray[np.int64]) -> None:
    for idx in range(coded.shape[0]):
        value = coded[idx]
        if value != 0:
            counts[value] += 1


def check_border(roi: npt.NDArray[Any], margin: int) -> None:
    """Check that the ROI (non-zero voxels) keeps ``margin`` outside voxels from every face.

    Parameters
    ----------
    roi : ndarray, shape (z, y, x)
        Coded ROI or mask.
    margin : int
        Border width the kernels index into without bounds checks.

    Raises
    ------
    ValueError
        When an ROI voxel lies in the border (or the array is too small to have one).
    """
    m = int(margin)
    if min(roi.shape) <= 2 * m or not _has_margin(roi, m):
        raise ValueError(f"the ROI must keep {m} outside voxel(s) from every face (pad it)")

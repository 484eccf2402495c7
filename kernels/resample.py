"""Resampling of a 3-D image onto another grid: linear and nearest neighbour, as ITK/SimpleITK do it.

Grids are described the ITK way, in (x, y, z) order: ``origin``, and the index->physical matrix
``M = direction @ diag(spacing)``.  The output may be a sub-block of a larger output grid (``start``): only that
block is computed, so cropping and resampling are one step.  Arrays are indexed (z, y, x).

What is reproduced from ``itk::ResampleImageFilter`` (linear-transform path) so that ties fall the same way:
per scan line the continuous index of the first and one-past-last output voxel of the *whole* output line is
computed (physical point = origin + M @ index, continuous index = Minv @ (point - input origin)) and intermediate
voxels are interpolated between the two; points outside ``[-0.5, size - 0.5)`` get ``default``; linear
interpolation lerps x, then y, then z, clamping the upper neighbour at the border; nearest neighbour rounds
half up (``floor(c + 0.5)``).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from kernels._jit import njit

__all__ = ["LINEAR", "NEAREST", "image_stats", "label_box", "resample"]

NEAREST = 0
LINEAR = 1


@njit
def _cindex(
    idx: npt.NDArray[np.float64],
    o_origin: npt.NDArray[np.float64],
    o_mat: npt.NDArray[np.float64],
    i_origin: npt.NDArray[np.float64],
    i_inv: npt.NDArray[np.float64],
    res: npt.NDArray[np.float64],
) -> None:
    pt = np.empty(3)
    for i in range(3):
        p = o_origin[i]
        for j in range(3):
            p += o_mat[i, j] * idx[j]
        pt[i] = p - i_origin[i]
    for i in range(3):
        c = 0.0
        for j in range(3):
            c += i_inv[i, j] * pt[j]
        res[i] = c


@njit
def _resample(
    image: npt.NDArray[np.floating],
    o_origin: npt.NDArray[np.float64],
    o_mat: npt.NDArray[np.float64],
    line_length: int,
    start: npt.NDArray[np.int64],
    i_origin: npt.NDArray[np.float64],
    i_inv: npt.NDArray[np.float64],
    method: int,
    default: float,
    in_offset: npt.NDArray[np.int64],
    in_size: npt.NDArray[np.int64],
    out: npt.NDArray[np.float64],
) -> None:
    # `image` may be a sub-block (starting at in_offset, x/y/z) of an input grid of in_size voxels
    nx = in_size[0]
    ny = in_size[1]
    nz = in_size[2]
    size = np.array([nx, ny, nz], dtype=np.float64)
    ox0 = in_offset[0]
    oy0 = in_offset[1]
    oz0 = in_offset[2]
    oz, oy, ox = out.shape
    idx = np.zeros(3)
    c0 = np.empty(3)
    c1 = np.empty(3)
    c = np.empty(3)
    for kz in range(oz):
        for ky in range(oy):
            idx[0] = 0.0
            idx[1] = float(start[1] + ky)
            idx[2] = float(start[2] + kz)
            _cindex(idx, o_origin, o_mat, i_origin, i_inv, c0)
            idx[0] = float(line_length)
            _cindex(idx, o_origin, o_mat, i_origin, i_inv, c1)
            for kx in range(ox):
                alpha = (start[0] + kx) / float(line_length)
                inside = True
                for d in range(3):
                    c[d] = c0[d] + alpha * (c1[d] - c0[d])
                    if not (c[d] >= -0.5 and c[d] < size[d] - 0.5):
                        inside = False
                if not inside:
                    out[kz, ky, kx] = default
                    continue
                if method == NEAREST:
                    x = int(np.floor(c[0] + 0.5))
                    y = int(np.floor(c[1] + 0.5))
                    z = int(np.floor(c[2] + 0.5))
                    out[kz, ky, kx] = image[z - oz0, y - oy0, x - ox0]
                    continue
                bx = int(np.floor(c[0]))
                by = int(np.floor(c[1]))
                bz = int(np.floor(c[2]))
                if bx < 0:
                    bx = 0
                if by < 0:
                    by = 0
                if bz < 0:
                    bz = 0
                dx = c[0] - bx
                dy = c[1] - by
                dz = c[2] - bz
                if dx < 0.0:
                    dx = 0.0
                if dy < 0.0:
                    dy = 0.0
                if dz < 0.0:
                    dz = 0.0
                x1 = (bx + 1 if bx + 1 < nx else bx) - ox0
                y1 = (by + 1 if by + 1 < ny else by) - oy0
                z1 = (bz + 1 if bz + 1 < nz else bz) - oz0
                bx -= ox0
                by -= oy0
                bz -= oz0
                v000 = np.float64(image[bz, by, bx])
                v100 = np.float64(image[bz, by, x1])
                v010 = np.float64(image[bz, y1, bx])
                v110 = np.float64(image[bz, y1, x1])
                vx00 = v000 + (v100 - v000) * dx
                vx10 = v010 + (v110 - v010) * dx
                vxy0 = vx00 + (vx10 - vx00) * dy
                if dz <= 0.0:
                    out[kz, ky, kx] = vxy0
                    continue
                v001 = np.float64(image[z1, by, bx])
                v101 = np.float64(image[z1, by, x1])
                v011 = np.float64(image[z1, y1, bx])
                v111 = np.float64(image[z1, y1, x1])
                vx01 = v001 + (v101 - v001) * dx
                vx11 = v011 + (v111 - v011) * dx
                vxy1 = vx01 + (vx11 - vx01) * dy
                out[kz, ky, kx] = vxy0 + (vxy1 - vxy0) * dz


def resample(
    image: npt.NDArray[np.generic],
    *,
    in_origin: npt.ArrayLike,
    in_matrix: npt.ArrayLike,
    out_origin: npt.ArrayLike,
    out_matrix: npt.ArrayLike,
    out_size: tuple[int, int, int],
    block_start: tuple[int, int, int] = (0, 0, 0),
    block_shape: tuple[int, int, int] | None = None,
    method: int = LINEAR,
    default: float = 0.0,
    dtype: npt.DTypeLike | None = None,
    in_offset: tuple[int, int, int] = (0, 0, 0),
    in_size: tuple[int, int, int] | None = None,
) -> npt.NDArray[np.generic]:
    """Resample ``image`` onto an output grid (or a block of it).

    Parameters
    ----------
    image : ndarray, shape (z, y, x)
        Input voxels (any real or integer dtype).
    in_origin, out_origin : array_like, shape (3,)
        Physical position of voxel (0, 0, 0), (x, y, z) order.
    in_matrix, out_matrix : array_like, shape (3, 3)
        ``direction @ diag(spacing)`` of each grid.
    out_size : (sx, sy, sz)
        Size of the whole output grid (x, y, z); defines ITK's scan lines.
    block_start : (x, y, z)
        First output index to compute.
    block_shape : (z, y, x), optional
        Shape of the block to compute; default: the rest of the grid.
    method : int
        :data:`LINEAR` or :data:`NEAREST`.
    default : float
        Value outside the input image.
    dtype : dtype, optional
        Output dtype (default: the input dtype; ITK casts to the input pixel type).
    in_offset, in_size : (x, y, z), optional
        When ``image`` is a block of a larger input grid: the block's first index and the grid's size (the
        continuous indices and the inside-the-image test refer to the whole grid; the block must hold every
        voxel the interpolation reads).

    Returns
    -------
    ndarray, shape ``block_shape``
        The resampled block.
    """
    arr = np.asarray(image)
    if arr.ndim != 3:
        raise ValueError(f"image must be 3-D (z, y, x), got {arr.ndim}-D")
    if arr.dtype == np.bool_:
        arr = arr.astype(np.uint8)
    if method not in (LINEAR, NEAREST):
        raise ValueError(f"method must be LINEAR (1) or NEAREST (0), got {method}")
    i_mat = np.asarray(in_matrix, dtype=np.float64).reshape(3, 3)
    o_mat = np.asarray(out_matrix, dtype=np.float64).reshape(3, 3)
    i_inv: npt.NDArray[np.float64] = np.asarray(np.linalg.inv(i_mat), dtype=np.float64)
    size = tuple(int(s) for s in out_size)
    if any(s < 1 for s in size):
        raise ValueError(f"out_size must be positive, got {out_size}")
    start = np.array([int(b) for b in block_start], dtype=np.int64)
    if block_shape is None:
        block_shape = (size[2] - int(start[2]), size[1] - int(start[1]), size[0] - int(start[0]))
    if any(b < 0 for b in block_shape):
        raise ValueError(f"block outside the output grid: start {block_start}, size {out_size}")
    full = (arr.shape[2], arr.shape[1], arr.shape[0]) if in_size is None else tuple(int(v) for v in in_size)
    offset = np.array([int(v) for v in in_offset], dtype=np.int64)
    out64 = np.empty(tuple(int(b) for b in block_shape), dtype=np.float64)
    _resample(
        arr,
        np.asarray(out_origin, dtype=np.float64).reshape(3),
        o_mat,
        size[0],
        start,
        np.asarray(in_origin, dtype=np.float64).reshape(3),
        i_inv,
        int(method),
        float(default),
        offset,
        np.array(full, dtype=np.int64),
        out64,
    )
    target = np.dtype(dtype) if dtype is not None else arr.dtype
    if np.issubdtype(target, np.integer):
        info = np.iinfo(target)
        return np.clip(out64, info.min, info.max).astype(target)
    return out64.astype(target)


@njit
def _label_box(labels: npt.NDArray[np.integer], label: int, box: npt.NDArray[np.int64]) -> int:
    nz, ny, nx = labels.shape
    n = 0
    box[0] = nz
    box[1] = -1
    box[2] = ny
    box[3] = -1
    box[4] = nx
    box[5] = -1
    for z in range(nz):
        for y in range(ny):
            # count the row first (a branch-free loop the compiler vectorises); most rows miss the label
            row = 0
            for x in range(nx):
                row += labels[z, y, x] == label
            if row == 0:
                continue
            n += row
            first = 0
            while labels[z, y, first] != label:
                first += 1
            last = nx - 1
            while labels[z, y, last] != label:
                last -= 1
            if z < box[0]:
                box[0] = z
            if z > box[1]:
                box[1] = z
            if y < box[2]:
                box[2] = y
            if y > box[3]:
                box[3] = y
            if first < box[4]:
                box[4] = first
            if last > box[5]:
                box[5] = last
    return n


def label_box(labels: npt.NDArray[np.integer], label: int) -> tuple[int, npt.NDArray[np.int64]]:
    """Voxel count and bounding box of one label.

    Parameters
    ----------
    labels : ndarray of int or bool, shape (z, y, x)
        Label map.
    label : int
        The label to find (1 for a boolean mask).

    Returns
    -------
    count : int
        Number of voxels with that label.
    box : ndarray of int64, shape (6,)
        ``z0, z1, y0, y1, x0, x1`` inclusive bounds (meaningless when ``count == 0``).
    """
    arr = np.asarray(labels)
    if arr.ndim != 3:
        raise ValueError(f"labels must be 3-D, got {arr.ndim}-D")
    if arr.dtype == np.bool_:
        arr = arr.view(np.uint8)
    box = np.empty(6, dtype=np.int64)
    n = _label_box(arr, int(label), box)
    return int(n), box


@njit
def _stats(image: npt.NDArray[np.floating]) -> tuple[float, float, float, float, int]:
    flat = image.ravel()
    lo = np.inf
    hi = -np.inf
    total = 0.0
    nonfinite = 0
    for k in range(flat.size):
        v = np.float64(flat[k])
        if not np.isfinite(v):
            nonfinite += 1
            continue
        total += v
        if v < lo:
            lo = v
        if v > hi:
            hi = v
    n = flat.size - nonfinite
    mean = total / n if n > 0 else np.nan
    ss = 0.0
    for k in range(flat.size):
        v = np.float64(flat[k])
        if np.isfinite(v):
            d = v - mean
            ss += d * d
    return lo, hi, mean, ss, nonfinite


def image_stats(image: npt.NDArray[np.floating]) -> tuple[float, float, float, float, int]:
    """Minimum, maximum, mean, sample standard deviation and number of non-finite voxels of a whole image.

    Parameters
    ----------
    image : ndarray of float
        Any shape, at least 2 voxels.

    Returns
    -------
    minimum, maximum, mean, std : float
        Over the finite voxels; ``std`` uses ``n - 1`` (ITK's ``StatisticsImageFilter``, used by
        ``sitk.Normalize``).
    nonfinite : int
        Count of NaN/inf voxels.
    """
    arr = np.asarray(image)
    if arr.size < 2:
        raise ValueError("image_stats needs at least 2 voxels")
    lo, hi, mean, ss, bad = _stats(arr)
    n = arr.size - bad
    sd = float(np.sqrt(ss / (n - 1))) if n > 1 else float("nan")
    return float(lo), float(hi), float(mean), sd, int(bad)

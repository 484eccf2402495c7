"""Resampling of a 3-D image onto another grid: linear, nearest neighbour and cubic B-spline, as ITK/SimpleITK do it.

Grids are described the ITK way, in (x, y, z) order: ``origin``, and the index->physical matrix
``M = direction @ diag(spacing)``.  The output may be a sub-block of a larger output grid (``start``): only that
block is computed, so cropping and resampling are one step.  Arrays are indexed (z, y, x).

What is reproduced from ``itk::ResampleImageFilter`` (linear-transform path) so that ties fall the same way:
per scan line the continuous index of the first and one-past-last output voxel of the *whole* output line is
computed (physical point = origin + M @ index, continuous index = Minv @ (point - input origin)) and intermediate
voxels are interpolated between the two; points outside ``[-0.5, size - 0.5)`` get ``default``; linear
interpolation lerps x, then y, then z, clamping the upper neighbour at the border; nearest neighbour rounds
half up (``floor(c + 0.5)``).

Cubic B-spline (``sitkBSpline``: ``itk::BSplineInterpolateImageFunction`` of order 3 over
``itk::BSplineDecompositionImageFilter`` coefficients, double precision) repeats ITK's operations in ITK's order:
the gain 6, the causal initialisation with mirror boundaries (a horizon of 18 samples, ITK's tolerance 1e-10, or
the full-line formula on lines of 18 samples or fewer), the causal and anti-causal recursions along x, then y,
then z; the support ``floor(float32(c)) - 1 ... + 2``, the weights as ITK writes them, mirror indices at the
borders, and the 64 products summed with x fastest.  ITK computes the coefficients of the whole image; here they
are computed on an input block that reaches :data:`BSPLINE_MARGIN` voxels beyond the samples the interpolation
reads (or to the image edge, where ITK's own initialisation is used).  A recursion started inside the image from
an approximate value differs from ITK's by ``0.268^k`` after ``k`` samples; that falls below one unit in the last
place after about 30 samples, from then on the two recursions meet and run through the same floating-point
operations, so the coefficients the interpolation reads are ITK's, bit for bit.

The output cast is ITK's ``ResampleImageFilter::CastComponentWithBoundsChecking``: to an integer pixel type the
interpolated double is clamped to the type's range and then truncated toward zero (C++ ``static_cast``); to a
floating type it is rounded to nearest.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from kernels._jit import njit

__all__ = [
    "BSPLINE",
    "BSPLINE_MARGIN",
    "LINEAR",
    "NEAREST",
    "BlockTooSmall",
    "bspline_coefficients",
    "cast_like_itk",
    "image_stats",
    "label_box",
    "resample",
]

NEAREST = 0
LINEAR = 1
BSPLINE = 3
#: Input voxels kept beyond the B-spline support on each side (where the block does not reach the image edge).
BSPLINE_MARGIN = 48
_POLE = math.sqrt(3.0) - 2.0
#: ITK's causal horizon: ceil(log(1e-10) / log(|z|)) for the cubic pole.
_HORIZON = math.ceil(math.log(1e-10) / math.log(abs(_POLE)))


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
def _bspline_at(
    coef: npt.NDArray[np.floating],
    c: npt.NDArray[np.float64],
    in_size: npt.NDArray[np.int64],
    in_offset: npt.NDArray[np.int64],
    wts: npt.NDArray[np.float64],
    ev: npt.NDArray[np.int64],
    wxy: npt.NDArray[np.float64],
) -> float:
    """``BSplineInterpolateImageFunction::EvaluateAtContinuousIndexInternal`` (order 3), same operation order."""
    for n in range(3):
        # DetermineRegionOfSupport: floor of the index cast to float (ITK's own quirk), minus splineOrder / 2
        first = int(np.floor(np.float32(c[n]))) - 1
        for k in range(4):
            ev[n, k] = first + k
        w = c[n] - float(ev[n, 1])
        w3 = (1.0 / 6.0) * w * w * w
        w0 = (1.0 / 6.0) + 0.5 * w * (w - 1.0) - w3
        w2 = w + w0 - 2.0 * w3
        wts[n, 3] = w3
        wts[n, 0] = w0
        wts[n, 2] = w2
        wts[n, 1] = 1.0 - w0 - w2 - w3
        # ApplyMirrorBoundaryConditions
        end = in_size[n] - 1
        for k in range(4):
            if in_size[n] == 1:
                ev[n, k] = 0
                continue
            if ev[n, k] < 0:
                ev[n, k] = -ev[n, k]
            if ev[n, k] >= end:
                ev[n, k] = end - (ev[n, k] - end)
    # ITK: w = 1.0 * wx * wy * wz, summed over 64 points with x fastest; wx * wy is the same product for
    # every z, so it is formed once (the same doubles), the sum keeps ITK's order
    x0 = ev[0, 0] - in_offset[0]
    x1 = ev[0, 1] - in_offset[0]
    x2 = ev[0, 2] - in_offset[0]
    x3 = ev[0, 3] - in_offset[0]
    for iy in range(4):
        for ix in range(4):
            wxy[iy, ix] = wts[0, ix] * wts[1, iy]
    total = 0.0
    for iz in range(4):
        z = ev[2, iz] - in_offset[2]
        wz = wts[2, iz]
        for iy in range(4):
            row = coef[z, ev[1, iy] - in_offset[1]]
            total += (wxy[iy, 0] * wz) * row[x0]
            total += (wxy[iy, 1] * wz) * row[x1]
            total += (wxy[iy, 2] * wz) * row[x2]
            total += (wxy[iy, 3] * wz) * row[x3]
    return total


@njit
def _causal_start(first: float, line: npt.NDArray[np.float64], full_length: int) -> float:
    """ITK's mirror-boundary initial causal coefficient (``SetInitialCausalCoefficient``) from a gained line."""
    z = _POLE
    if _HORIZON < full_length:
        total = first
        zn = z
        for i in range(1, _HORIZON):
            total += zn * line[i]
            zn *= z
        return total
    zn = z
    iz = 1.0 / z
    z2n = math.pow(z, float(full_length - 1))
    total = first + z2n * line[full_length - 1]
    z2n *= z2n * iz
    for i in range(1, full_length - 1):
        total += (zn + z2n) * line[i]
        zn *= z
        z2n *= iz
    return float(total / (1.0 - zn * zn))


@njit
def _prefilter(
    data: npt.NDArray[np.float64],
    full_length: int,
    at_start: bool,
    at_end: bool,
    need_lo: int,
    need_hi: int,
    bound: float,
) -> bool:
    """``BSplineDecompositionImageFilter::DataToCoefficients1D`` along axis 0 of ``data`` (length, lines), in place.

    The same operations per value as ITK, with the inner loop over the lines.  ``at_start``/``at_end``: the
    block begins/ends where the image does (ITK's mirror initialisation).  At a cut edge the state ITK carries
    in from outside the block is unknown but within ``+-bound``: the recursion is run from both ends of that
    bracket; each step is monotone in the state, so once the two runs give the same double every start inside
    the bracket -- ITK's among them -- gives that double too.  Returns whether that happened, on every line,
    before ``need_lo`` (causal) and after ``need_hi - 1`` (anti-causal): then rows ``need_lo:need_hi`` are
    ITK's coefficients bit for bit.
    """
    length, cols = data.shape
    if full_length == 1:
        return True
    z = _POLE
    gain = 1.0 * (1.0 - z) * (1.0 - 1.0 / z)
    for i in range(length):
        for j in range(cols):
            data[i, j] *= gain
    low = np.empty(cols)
    high = np.empty(cols)
    exact_from = np.zeros(cols, dtype=np.int64)
    if at_start:
        line = np.empty(min(length, max(full_length, _HORIZON)))
        for j in range(cols):
            for i in range(line.size):
                line[i] = data[i, j]
            data[0, j] = _causal_start(line[0], line, full_length)
        for i in range(1, length):
            for j in range(cols):
                data[i, j] += z * data[i - 1, j]
    else:
        low[:] = -bound
        high[:] = bound
        exact_from[:] = -1
        for i in range(length):
            for j in range(cols):
                if exact_from[j] >= 0:
                    data[i, j] += z * data[i - 1, j]
                    continue
                a = data[i, j] + z * low[j]
                b = data[i, j] + z * high[j]
                data[i, j] = a
                if a == b:
                    exact_from[j] = i
                else:
                    low[j] = a
                    high[j] = b
        for j in range(cols):
            if exact_from[j] < 0 or exact_from[j] > need_lo:
                return False
    if at_end:
        if length < 2:
            return False
        k = z / (z * z - 1.0)
        for j in range(cols):
            data[length - 1, j] = k * (z * data[length - 2, j] + data[length - 1, j])
        for i in range(length - 2, -1, -1):
            for j in range(cols):
                data[i, j] = z * (data[i + 1, j] - data[i, j])
        return True
    low[:] = -bound
    high[:] = bound
    exact_to = np.full(cols, -1, dtype=np.int64)
    for i in range(length - 1, -1, -1):
        for j in range(cols):
            if exact_to[j] >= 0:
                data[i, j] = z * (data[i + 1, j] - data[i, j])
                continue
            a = z * (low[j] - data[i, j])
            b = z * (high[j] - data[i, j])
            data[i, j] = a
            if a == b:
                exact_to[j] = i
            else:
                low[j] = a
                high[j] = b
    for j in range(cols):
        if exact_to[j] < need_hi - 1:
            return False
    return True


@njit
def _line(
    line: npt.NDArray[np.float64],
    full_length: int,
    at_start: bool,
    at_end: bool,
    need_lo: int,
    need_hi: int,
    bound: float,
) -> bool:
    """:func:`_prefilter` on one contiguous line (the same operations, scalars instead of per-line arrays)."""
    length = line.size
    z = _POLE
    gain = 1.0 * (1.0 - z) * (1.0 - 1.0 / z)
    for i in range(length):
        line[i] *= gain
    if at_start:
        line[0] = _causal_start(line[0], line, full_length)
        for i in range(1, length):
            line[i] += z * line[i - 1]
    else:
        low = -bound
        high = bound
        exact_from = -1
        for i in range(length):
            a = line[i] + z * low
            b = line[i] + z * high
            line[i] = a
            if a == b:
                exact_from = i
                break
            low = a
            high = b
        if exact_from < 0 or exact_from > need_lo:
            return False
        for i in range(exact_from + 1, length):
            line[i] += z * line[i - 1]
    if at_end:
        if length < 2:
            return False
        line[length - 1] = (z / (z * z - 1.0)) * (z * line[length - 2] + line[length - 1])
        for i in range(length - 2, -1, -1):
            line[i] = z * (line[i + 1] - line[i])
        return True
    low = -bound
    high = bound
    exact_to = -1
    for i in range(length - 1, -1, -1):
        a = z * (low - line[i])
        b = z * (high - line[i])
        line[i] = a
        if a == b:
            exact_to = i
            break
        low = a
        high = b
    if exact_to < need_hi - 1:
        return False
    for i in range(exact_to - 1, -1, -1):
        line[i] = z * (line[i + 1] - line[i])
    return True


@njit
def _prefilter_x(
    src: npt.NDArray[np.generic],
    dst: npt.NDArray[np.float64],
    full_length: int,
    at_start: bool,
    at_end: bool,
    keep_lo: int,
    keep_hi: int,
    bound: float,
) -> bool:
    """:func:`_prefilter` along x, row by row, from ``src`` (z, y, x) in its stored type.

    The kept columns of the coefficients are written to ``dst`` (z, y, keep_hi - keep_lo): one pass over the
    input, no transposed copy.
    """
    if full_length == 1:
        for zi in range(src.shape[0]):
            for yi in range(src.shape[1]):
                for i in range(keep_lo, keep_hi):
                    dst[zi, yi, i - keep_lo] = np.float64(src[zi, yi, i])
        return True
    nz, ny, nx = src.shape
    line = np.empty(nx)
    for zi in range(nz):
        for yi in range(ny):
            for i in range(nx):
                line[i] = np.float64(src[zi, yi, i])
            if not _line(line, full_length, at_start, at_end, keep_lo, keep_hi, bound):
                return False
            for i in range(keep_lo, keep_hi):
                dst[zi, yi, i - keep_lo] = line[i]
    return True


class BlockTooSmall(ValueError):
    """The input block's margin did not prove the B-spline coefficients exact; retry with a larger block."""


def bspline_coefficients(
    block: npt.NDArray[np.generic],
    in_offset: tuple[int, int, int] = (0, 0, 0),
    in_size: tuple[int, int, int] | None = None,
    keep: tuple[slice, slice, slice] | None = None,
    bound: float | None = None,
    threads: int = 1,
) -> npt.NDArray[np.float64]:
    """Cubic B-spline coefficients of an input block, bit-equal to ITK's for the whole image where kept.

    Parameters
    ----------
    block : ndarray (z, y, x)
        Input voxels: the whole image, or a block of it starting at ``in_offset``.
    in_offset, in_size : (x, y, z)
        The block's first index and the whole image's size (default: the block is the whole image).
    keep : (z, y, x) slices of ``block``, optional
        The coefficients wanted (default: all).  Each pass along an axis runs on every line of the block but
        only on the kept part of the axes already filtered (later passes never mix those lines).
    bound : float, optional
        An upper bound of ``|value|`` over the whole image (needed where the block is cut inside the image;
        default: the largest value of the block's integer type, or of the block itself for floats).
    threads : int
        Threads sharing the x and y passes (slabs of slices; the same numbers for any count).

    Returns
    -------
    ndarray of float64, the shape of ``keep``

    Raises
    ------
    BlockTooSmall
        When the margin between a cut edge and ``keep`` did not prove the kept coefficients exact (a long
        noise-free run, e.g. constant padding, reaching the cut edge): retry with a larger block.
    """
    arr = np.asarray(block)
    if arr.ndim != 3:
        raise ValueError(f"block must be 3-D (z, y, x), got {arr.ndim}-D")
    full = (arr.shape[2], arr.shape[1], arr.shape[0]) if in_size is None else tuple(int(v) for v in in_size)
    if keep is None:
        keep = (slice(0, arr.shape[0]), slice(0, arr.shape[1]), slice(0, arr.shape[2]))
    if bound is None:
        if arr.dtype.kind in "iub":
            info = np.iinfo(arr.dtype)
            bound = float(max(abs(int(info.min)), int(info.max)))
        else:
            bound = float(np.max(np.abs(arr))) if arr.size else 0.0
    # |state| stays below ~75 x |value| through the three passes (causal gain 6 / (1 - |z|), anti-causal
    # |z| / (1 - |z|)): a bracket of 100 x bound holds ITK's state at every cut edge
    bracket = 100.0 * (float(bound) + 1.0)
    passes = []
    for axis in range(3):
        start = int(in_offset[2 - axis])
        stop = start + arr.shape[axis]
        n = int(full[2 - axis])
        if (start > 0 or stop < n) and n <= _HORIZON:
            raise BlockTooSmall(f"a block of a line of {n} <= {_HORIZON} samples must hold the whole line")
        passes.append((n, start == 0, stop == n, keep[axis].start, keep[axis].stop, bracket))
    # x: row by row from the stored values (their cast to double is ITK's coefficient image), kept columns only
    nz, ny = arr.shape[:2]
    kx = keep[2].stop - keep[2].start
    coef = np.empty((nz, ny, kx))
    cuts = [nz * k // max(1, min(threads, nz)) for k in range(max(1, min(threads, nz)) + 1)]

    def x_and_y(z0: int, z1: int) -> bool:
        # slabs of slices are independent for the x and y passes (the same operations per line)
        if not _prefilter_x(arr[z0:z1], coef[z0:z1], *passes[2]):
            return False
        return all(_prefilter(coef[zi], *passes[1]) for zi in range(z0, z1))

    if len(cuts) == 2:
        proven = x_and_y(0, nz)
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=len(cuts) - 1, thread_name_prefix="bspline") as pool:
            parts = [pool.submit(x_and_y, cuts[k], cuts[k + 1]) for k in range(len(cuts) - 1)]
            proven = all([part.result() for part in parts])
    if not proven:
        raise BlockTooSmall("x or y")
    coef = np.ascontiguousarray(coef[:, keep[1], :])
    ky = coef.shape[1]
    if not _prefilter(coef.reshape(nz, ky * kx), *passes[0]):
        raise BlockTooSmall("z")
    return np.ascontiguousarray(coef[keep[0]])


def cast_like_itk(values: npt.NDArray[np.float64], dtype: npt.DTypeLike) -> npt.NDArray[np.generic]:
    """ITK's cast of interpolated values to the output pixel type (``CastComponentWithBoundsChecking``).

    Integer types: clamped to the type's range, then truncated toward zero (``static_cast``: 807.99 -> 807,
    -0.5 -> 0); floating types: rounded to nearest.
    """
    target = np.dtype(dtype)
    if np.issubdtype(target, np.integer):
        info = np.iinfo(target)
        return np.clip(values, info.min, info.max).astype(target)
    return values.astype(target)


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
    wts = np.empty((3, 4))
    wxy = np.empty((4, 4))
    ev = np.empty((3, 4), dtype=np.int64)
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
                if method == BSPLINE:
                    out[kz, ky, kx] = _bspline_at(image, c, in_size, in_offset, wts, ev, wxy)
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
    bound: float | None = None,
    threads: int = 1,
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
        :data:`LINEAR`, :data:`NEAREST` or :data:`BSPLINE` (cubic; ``image`` must then reach
        :data:`BSPLINE_MARGIN` voxels beyond the support of every output sample, or the image edge).
    default : float
        Value outside the input image.
    dtype : dtype, optional
        Output dtype (default: the input dtype, as SimpleITK keeps it), cast by :func:`cast_like_itk`.
    in_offset, in_size : (x, y, z), optional
        When ``image`` is a block of a larger input grid: the block's first index and the grid's size (the
        continuous indices and the inside-the-image test refer to the whole grid; the block must hold every
        voxel the interpolation reads).
    bound : float, optional
        :data:`BSPLINE`: an upper bound of ``|value|`` over the whole input image (see
        :func:`bspline_coefficients`, which raises :class:`BlockTooSmall` when the block's margin is too thin).
    threads : int
        Threads sharing the interpolation (slabs of output slices; the same numbers for any count).

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
    if method not in (LINEAR, NEAREST, BSPLINE):
        raise ValueError(f"method must be LINEAR (1), NEAREST (0) or BSPLINE (3), got {method}")
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
    values = arr
    if method == BSPLINE:
        # only the coefficients the samples read: the continuous-index box of the block's corners, +- 3
        corners = np.array(
            [
                [int(start[0]) + dx, int(start[1]) + dy, int(start[2]) + dz]
                for dz in (0, block_shape[0])
                for dy in (0, block_shape[1])
                for dx in (0, block_shape[2])
            ],
            dtype=np.float64,
        )
        origin_in = np.asarray(in_origin, dtype=np.float64).reshape(3)
        points = np.asarray(out_origin, dtype=np.float64).reshape(3) + corners @ o_mat.T - origin_in
        cidx = points @ i_inv.T
        keep = []
        for axis_xyz in (2, 1, 0):
            lo = int(np.floor(cidx[:, axis_xyz].min())) - 3 - int(offset[axis_xyz])
            hi = int(np.floor(cidx[:, axis_xyz].max())) + 4 - int(offset[axis_xyz])
            n = arr.shape[2 - axis_xyz]
            keep.append(slice(min(max(lo, 0), n), max(min(hi, n), 0)))
        xyz = (int(offset[0]), int(offset[1]), int(offset[2]))
        kept = (keep[0], keep[1], keep[2])
        values = bspline_coefficients(
            arr, xyz, (int(full[0]), int(full[1]), int(full[2])), kept, bound, threads
        )
        offset = offset + np.array([keep[2].start, keep[1].start, keep[0].start], dtype=np.int64)
    o_origin = np.asarray(out_origin, dtype=np.float64).reshape(3)
    i_origin = np.asarray(in_origin, dtype=np.float64).reshape(3)
    full_size = np.array(full, dtype=np.int64)

    def part(z0: int, z1: int) -> None:
        # output slabs are independent: each voxel's scan line and sum are the same as in one call
        first = start + np.array([0, 0, z0], dtype=np.int64)
        _resample(
            values,
            o_origin,
            o_mat,
            size[0],
            first,
            i_origin,
            i_inv,
            int(method),
            float(default),
            offset,
            full_size,
            out64[z0:z1],
        )

    nz = out64.shape[0]
    n_parts = max(1, min(int(threads), nz))
    if n_parts == 1:
        part(0, nz)
    else:
        from concurrent.futures import ThreadPoolExecutor

        cuts = [nz * k // n_parts for k in range(n_parts + 1)]
        with ThreadPoolExecutor(max_workers=n_parts, thread_name_prefix="resample") as pool:
            for future in [pool.submit(part, cuts[k], cuts[k + 1]) for k in range(n_parts)]:
                future.result()
    return cast_like_itk(out64, dtype if dtype is not None else arr.dtype)


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


def image_stats(image: npt.NDArray[np.generic]) -> tuple[float, float, float, float, int]:
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

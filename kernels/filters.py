"""Voxel-wise intensity filters of PyRadiomics' image types Square, SquareRoot, Logarithm and Exponential.

Each transform needs ``image_max = max(|image|)`` over the whole image PyRadiomics filters (the caller knows it
without reading the whole image again) and is applied to the ROI box only.  Formulas (PyRadiomics 3
``imageoperations``), with ``m = image_max``:

* square: ``(x / sqrt(m)) ** 2``;
* square root: ``sign(x) * sqrt(|x| * m)``;
* logarithm: ``sign(x) * log(|x| + 1) * m / log(m + 1)``;
* exponential: ``exp(x * log(m) / m)``.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from kernels._jit import njit

__all__ = ["KINDS", "deriche_coefficients", "intensity_filter", "laplacian_of_gaussian"]

KINDS: dict[str, int] = {"square": 0, "squareroot": 1, "logarithm": 2, "exponential": 3}


@njit
def _apply(values: npt.NDArray[np.float64], kind: int, coeff: float, out: npt.NDArray[np.float64]) -> None:
    flat = values.ravel()
    res = out.ravel()
    for k in range(flat.size):
        x = flat[k]
        if kind == 0:
            y = coeff * x
            res[k] = y * y
        elif kind == 1:
            if x > 0:
                res[k] = np.sqrt(x * coeff)
            elif x < 0:
                res[k] = -np.sqrt(-x * coeff)
            else:
                res[k] = x
        elif kind == 2:
            if x > 0:
                y = np.log(x + 1)
            elif x < 0:
                y = -np.log(-(x - 1))
            else:
                y = x
            res[k] = y * coeff
        else:
            res[k] = np.exp(coeff * x)


def intensity_filter(
    values: npt.NDArray[np.floating], kind: str, image_max: float
) -> npt.NDArray[np.float64]:
    """Apply one of PyRadiomics' voxel-wise filters.

    Parameters
    ----------
    values : ndarray of float
        Intensities (any shape; typically the ROI box).
    kind : {"square", "squareroot", "logarithm", "exponential"}
        The filter.
    image_max : float
        ``max(|image|)`` over the whole image (> 0 and finite).

    Returns
    -------
    ndarray of float64
        Filtered values, same shape.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {sorted(KINDS)}, got {kind!r}")
    m = float(image_max)
    if not (math.isfinite(m) and m > 0):
        raise ValueError(f"image_max must be finite and > 0, got {image_max}")
    arr = np.ascontiguousarray(values, dtype=np.float64)
    if kind == "square":
        coeff = 1 / np.sqrt(m)
    elif kind == "squareroot":
        coeff = m
    elif kind == "logarithm":
        coeff = m / np.log(m + 1)
    else:
        coeff = np.log(m) / m
    out = np.empty_like(arr)
    _apply(arr, KINDS[kind], float(coeff), out)
    return out


# ---------------------------------------------------------------------------------------------------------------
# Laplacian of Gaussian with Deriche's recursive (IIR) Gaussian, composed like ITK's
# LaplacianRecursiveGaussianImageFilter (what PyRadiomics' LoG image type runs): for each axis, the second
# derivative along it, then smoothing along the other axes (float32 intermediates), accumulated with a 1/spacing^2
# weight.  Each 1-D pass is a 4th-order causal + anti-causal recursion whose borders assume the edge value extends
# to infinity.  Coefficients: R. Deriche, "Recursively implementing the Gaussian and its derivatives" (1993).

_DERICHE = {
    # order: (a1, b1, a2, b2); shared exponents (w1, l1, w2, l2)
    0: (1.3530, 1.8151, -0.3531, 0.0902),
    2: (-1.3563, 5.2318, 0.3446, -2.2355),
}
_W1, _L1, _W2, _L2 = 0.6681, -1.3932, 2.0787, -1.3732


def _n_coefficients(sd: float, a1: float, b1: float, a2: float, b2: float) -> tuple[float, ...]:
    s1, s2 = math.sin(_W1 / sd), math.sin(_W2 / sd)
    c1, c2 = math.cos(_W1 / sd), math.cos(_W2 / sd)
    e1, e2 = math.exp(_L1 / sd), math.exp(_L2 / sd)
    n0 = a1 + a2
    n1 = e2 * (b2 * s2 - (a2 + 2 * a1) * c2)
    n1 += e1 * (b1 * s1 - (a1 + 2 * a2) * c1)
    n2 = (a1 + a2) * c2 * c1
    n2 -= b1 * c2 * s1 + b2 * c1 * s2
    n2 *= 2 * e1 * e2
    n2 += a2 * e1 * e1 + a1 * e2 * e2
    n3 = e2 * e1 * e1 * (b2 * s2 - a2 * c2)
    n3 += e1 * e2 * e2 * (b1 * s1 - a1 * c1)
    return n0, n1, n2, n3, n0 + n1 + n2 + n3, n1 + 2 * n2 + 3 * n3, n1 + 4 * n2 + 9 * n3


def deriche_coefficients(
    sigma: float, spacing: float, order: int, normalize: bool = True
) -> npt.NDArray[np.float64]:
    """Coefficients of one recursive Gaussian pass.

    Parameters
    ----------
    sigma : float
        Gaussian sigma in mm.
    spacing : float
        Voxel size along the pass, mm.
    order : {0, 2}
        Smoothing or second derivative.
    normalize : bool
        Scale-normalised derivative (multiply by sigma^2), as PyRadiomics asks.

    Returns
    -------
    ndarray, shape (20,)
        ``N0..N3, D1..D4, M1..M4, BN1..BN4, BM1..BM4``.
    """
    sd = sigma / spacing
    c1, c2 = math.cos(_W1 / sd), math.cos(_W2 / sd)
    e1, e2 = math.exp(_L1 / sd), math.exp(_L2 / sd)
    d4 = e1 * e1 * e2 * e2
    d3 = -2 * c1 * e1 * e2 * e2
    d3 += -2 * c2 * e2 * e1 * e1
    d2 = 4 * c2 * c1 * e1 * e2
    d2 += e1 * e1 + e2 * e2
    d1 = -2 * (e2 * c2 + e1 * c1)
    s_d = 1.0 + d1 + d2 + d3 + d4
    d_d = d1 + 2 * d2 + 3 * d3 + 4 * d4
    e_d = d1 + 4 * d2 + 9 * d3 + 16 * d4
    if order == 0:
        n0, n1, n2, n3, sn, _, _ = _n_coefficients(sd, *_DERICHE[0])
        alpha = 2 * sn / s_d - n0
        scale = 1.0 / alpha
    elif order == 2:
        z = _n_coefficients(sd, *_DERICHE[0])
        t = _n_coefficients(sd, *_DERICHE[2])
        beta = -(2 * t[4] - s_d * t[0]) / (2 * z[4] - s_d * z[0])
        n0, n1, n2, n3 = (t[i] + beta * z[i] for i in range(4))
        sn, dn, en = (t[4 + i] + beta * z[4 + i] for i in range(3))
        alpha = en * s_d * s_d - e_d * sn * s_d - 2 * dn * d_d * s_d + 2 * d_d * d_d * sn
        alpha /= s_d * s_d * s_d
        scale = (sigma * sigma if normalize else 1.0) / alpha
    else:
        raise ValueError(f"order must be 0 or 2, got {order}")
    n0, n1, n2, n3 = n0 * scale, n1 * scale, n2 * scale, n3 * scale
    m1, m2, m3, m4 = n1 - d1 * n0, n2 - d2 * n0, n3 - d3 * n0, -d4 * n0
    sn = n0 + n1 + n2 + n3
    sm = m1 + m2 + m3 + m4
    sd_ = 1.0 + d1 + d2 + d3 + d4
    return np.array(
        [n0, n1, n2, n3, d1, d2, d3, d4, m1, m2, m3, m4]
        + [d * sn / sd_ for d in (d1, d2, d3, d4)]
        + [d * sm / sd_ for d in (d1, d2, d3, d4)],
        dtype=np.float64,
    )


@njit
def _line(
    data: npt.NDArray[np.float64],
    out: npt.NDArray[np.float64],
    tmp: npt.NDArray[np.float64],
    k: npt.NDArray[np.float64],
) -> None:
    n0, n1, n2, n3 = k[0], k[1], k[2], k[3]
    d1, d2, d3, d4 = k[4], k[5], k[6], k[7]
    m1, m2, m3, m4 = k[8], k[9], k[10], k[11]
    bn1, bn2, bn3, bn4 = k[12], k[13], k[14], k[15]
    bm1, bm2, bm3, bm4 = k[16], k[17], k[18], k[19]
    ln = data.size
    v = data[0]
    out[0] = v * n0 + v * n1 + v * n2 + v * n3
    out[1] = data[1] * n0 + v * n1 + v * n2 + v * n3
    out[2] = data[2] * n0 + data[1] * n1 + v * n2 + v * n3
    out[3] = data[3] * n0 + data[2] * n1 + data[1] * n2 + v * n3
    out[0] -= v * bn1 + v * bn2 + v * bn3 + v * bn4
    out[1] -= out[0] * d1 + v * bn2 + v * bn3 + v * bn4
    out[2] -= out[1] * d1 + out[0] * d2 + v * bn3 + v * bn4
    out[3] -= out[2] * d1 + out[1] * d2 + out[0] * d3 + v * bn4
    for i in range(4, ln):
        out[i] = data[i] * n0 + data[i - 1] * n1 + data[i - 2] * n2 + data[i - 3] * n3
        out[i] -= out[i - 1] * d1 + out[i - 2] * d2 + out[i - 3] * d3 + out[i - 4] * d4
    w = data[ln - 1]
    tmp[ln - 1] = w * m1 + w * m2 + w * m3 + w * m4
    tmp[ln - 2] = data[ln - 1] * m1 + w * m2 + w * m3 + w * m4
    tmp[ln - 3] = data[ln - 2] * m1 + data[ln - 1] * m2 + w * m3 + w * m4
    tmp[ln - 4] = data[ln - 3] * m1 + data[ln - 2] * m2 + data[ln - 1] * m3 + w * m4
    tmp[ln - 1] -= w * bm1 + w * bm2 + w * bm3 + w * bm4
    tmp[ln - 2] -= tmp[ln - 1] * d1 + w * bm2 + w * bm3 + w * bm4
    tmp[ln - 3] -= tmp[ln - 2] * d1 + tmp[ln - 1] * d2 + w * bm3 + w * bm4
    tmp[ln - 4] -= tmp[ln - 3] * d1 + tmp[ln - 2] * d2 + tmp[ln - 1] * d3 + w * bm4
    for i in range(ln - 4, 0, -1):
        tmp[i - 1] = data[i] * m1 + data[i + 1] * m2 + data[i + 2] * m3 + data[i + 3] * m4
        tmp[i - 1] -= tmp[i] * d1 + tmp[i + 1] * d2 + tmp[i + 2] * d3 + tmp[i + 3] * d4
    for i in range(ln):
        out[i] += tmp[i]


@njit
def _block(
    data: npt.NDArray[np.float64],
    out: npt.NDArray[np.float64],
    tmp: npt.NDArray[np.float64],
    k: npt.NDArray[np.float64],
    final: npt.NDArray[np.float32],
) -> None:
    # the recursion of _line along axis 0 of a (ln, m) block, for all m columns at once (contiguous inner loop);
    # the causal part goes to `out`, the anti-causal one to `tmp`, and each sum out + tmp straight into `final`
    # (float32, any layout) as soon as its anti-causal term is known: the same operations as _line
    n0, n1, n2, n3 = k[0], k[1], k[2], k[3]
    d1, d2, d3, d4 = k[4], k[5], k[6], k[7]
    m1, m2, m3, m4 = k[8], k[9], k[10], k[11]
    bn1, bn2, bn3, bn4 = k[12], k[13], k[14], k[15]
    bm1, bm2, bm3, bm4 = k[16], k[17], k[18], k[19]
    ln, m = data.shape
    for j in range(m):
        v = data[0, j]
        out[0, j] = v * n0 + v * n1 + v * n2 + v * n3
        out[1, j] = data[1, j] * n0 + v * n1 + v * n2 + v * n3
        out[2, j] = data[2, j] * n0 + data[1, j] * n1 + v * n2 + v * n3
        out[3, j] = data[3, j] * n0 + data[2, j] * n1 + data[1, j] * n2 + v * n3
        out[0, j] -= v * bn1 + v * bn2 + v * bn3 + v * bn4
        out[1, j] -= out[0, j] * d1 + v * bn2 + v * bn3 + v * bn4
        out[2, j] -= out[1, j] * d1 + out[0, j] * d2 + v * bn3 + v * bn4
        out[3, j] -= out[2, j] * d1 + out[1, j] * d2 + out[0, j] * d3 + v * bn4
    for i in range(4, ln):
        for j in range(m):
            o = data[i, j] * n0 + data[i - 1, j] * n1 + data[i - 2, j] * n2 + data[i - 3, j] * n3
            out[i, j] = o - (
                out[i - 1, j] * d1 + out[i - 2, j] * d2 + out[i - 3, j] * d3 + out[i - 4, j] * d4
            )
    for j in range(m):
        w = data[ln - 1, j]
        tmp[ln - 1, j] = w * m1 + w * m2 + w * m3 + w * m4
        tmp[ln - 2, j] = data[ln - 1, j] * m1 + w * m2 + w * m3 + w * m4
        tmp[ln - 3, j] = data[ln - 2, j] * m1 + data[ln - 1, j] * m2 + w * m3 + w * m4
        tmp[ln - 4, j] = data[ln - 3, j] * m1 + data[ln - 2, j] * m2 + data[ln - 1, j] * m3 + w * m4
        tmp[ln - 1, j] -= w * bm1 + w * bm2 + w * bm3 + w * bm4
        tmp[ln - 2, j] -= tmp[ln - 1, j] * d1 + w * bm2 + w * bm3 + w * bm4
        tmp[ln - 3, j] -= tmp[ln - 2, j] * d1 + tmp[ln - 1, j] * d2 + w * bm3 + w * bm4
        tmp[ln - 4, j] -= tmp[ln - 3, j] * d1 + tmp[ln - 2, j] * d2 + tmp[ln - 1, j] * d3 + w * bm4
    for i in range(ln - 1, ln - 4, -1):
        for j in range(m):
            final[i, j] = out[i, j] + tmp[i, j]
    for i in range(ln - 4, 0, -1):
        for j in range(m):
            t = data[i, j] * m1 + data[i + 1, j] * m2 + data[i + 2, j] * m3 + data[i + 3, j] * m4
            tmp[i - 1, j] = t - (
                tmp[i, j] * d1 + tmp[i + 1, j] * d2 + tmp[i + 2, j] * d3 + tmp[i + 3, j] * d4
            )
        for j in range(m):
            final[i, j] = out[i, j] + tmp[i, j]
    for j in range(m):
        final[0, j] = out[0, j] + tmp[0, j]


@njit
def _pass(
    src: npt.NDArray[np.floating], dst: npt.NDArray[np.float32], axis: int, k: npt.NDArray[np.float64]
) -> None:
    nz, ny, nx = src.shape
    if axis == 2:
        # lines along x: transpose each slice so that the recursion runs over all its lines at once
        # (the same operations per line as _line, so the same bits, without its serial dependency chain)
        block = np.empty((nx, ny))
        out2 = np.empty((nx, ny))
        tmp2 = np.empty((nx, ny))
        for z in range(nz):
            for i in range(ny):
                for j in range(nx):
                    block[j, i] = np.float64(src[z, i, j])
            _block(block, out2, tmp2, k, dst[z].T)
    elif axis == 1:
        block = np.empty((ny, nx))
        out2 = np.empty((ny, nx))
        tmp2 = np.empty((ny, nx))
        for z in range(nz):
            for i in range(ny):
                for j in range(nx):
                    block[i, j] = np.float64(src[z, i, j])
            _block(block, out2, tmp2, k, dst[z])
    else:
        block = np.empty((nz, nx))
        out2 = np.empty((nz, nx))
        tmp2 = np.empty((nz, nx))
        for y in range(ny):
            for i in range(nz):
                for j in range(nx):
                    block[i, j] = np.float64(src[i, y, j])
            _block(block, out2, tmp2, k, dst[:, y, :])


@njit
def _accumulate(cum: npt.NDArray[np.float32], part: npt.NDArray[np.float32], weight: float) -> None:
    # `part` may be a strided view (the region of a larger array)
    nz, ny, nx = cum.shape
    for z in range(nz):
        for y in range(ny):
            for x in range(nx):
                cum[z, y, x] = np.float64(cum[z, y, x]) + np.float64(part[z, y, x]) * weight


def laplacian_of_gaussian(
    image: npt.NDArray[np.floating],
    spacing_xyz: tuple[float, float, float],
    sigma: float,
    box: tuple[slice, slice, slice] | None = None,
) -> npt.NDArray[np.float32]:
    """Scale-normalised Laplacian of Gaussian of a 3-D image (PyRadiomics' LoG image type).

    Parameters
    ----------
    image : ndarray (z, y, x), float32 or float64
        Intensities; every axis at least 4 voxels long.
    spacing_xyz : (sx, sy, sz)
        Voxel size in mm.
    sigma : float
        Gaussian sigma in mm (> 0).
    box : tuple of 3 slices, optional
        Return only this region (z, y, x slices with steps of 1) of the result.  The whole image is still
        filtered, but once a pass has run along an axis the later passes, which never mix its lines, run only on
        the lines of the region: the same numbers as cropping the whole result, with less work.

    Returns
    -------
    ndarray of float32 (z, y, x), the shape of ``box`` (default: of ``image``)
        ``sigma^2 * (d2/dx2 + d2/dy2 + d2/dz2)(G_sigma * image)`` (float32 like SimpleITK's output, also for
        float64 input).
    """
    arr = np.asarray(image)
    if arr.ndim != 3 or min(arr.shape) < 4:
        raise ValueError(f"image must be 3-D with every axis >= 4 voxels, got shape {arr.shape}")
    if arr.dtype not in (np.float32, np.float64):
        arr = arr.astype(np.float32)
    if not sigma > 0:
        raise ValueError(f"sigma must be > 0, got {sigma}")
    sp = [float(s) for s in spacing_xyz]
    if len(sp) != 3 or min(sp) <= 0:
        raise ValueError(f"spacing must be 3 positive sizes, got {spacing_xyz}")
    region = _check_box(box, arr.shape)
    cum = np.zeros(tuple(r.stop - r.start for r in region), dtype=np.float32)
    array_axis = (2, 1, 0)  # ITK dimension -> numpy axis
    for dim in range(3):
        # ITK: the second derivative along `dim`, then smoothing along the other dimensions in order
        current = np.empty(arr.shape, dtype=np.float32)
        axis = array_axis[dim]
        _pass(arr, current, axis, deriche_coefficients(sigma, sp[dim], 2))
        for other in range(3):
            if other == dim:
                continue
            # the axis filtered last is not mixed again: keep only the region's lines along it (a view: the
            # pass copies its blocks anyway)
            src = current[_along(region, axis)]
            current = np.empty(src.shape, dtype=np.float32)
            axis = array_axis[other]
            _pass(src, current, axis, deriche_coefficients(sigma, sp[other], 0))
        _accumulate(cum, current[_along(region, axis)], 1.0 / (sp[dim] * sp[dim]))
    return cum


def _check_box(box: tuple[slice, slice, slice] | None, shape: tuple[int, ...]) -> tuple[slice, slice, slice]:
    if box is None:
        return (slice(0, shape[0]), slice(0, shape[1]), slice(0, shape[2]))
    if len(box) != 3:
        raise ValueError(f"box must be 3 slices (z, y, x), got {box!r}")
    out = []
    for b, n in zip(box, shape, strict=True):
        start, stop, step = b.indices(n)
        if step != 1 or stop <= start:
            raise ValueError(f"box must be non-empty slices with step 1 inside shape {shape}, got {box!r}")
        out.append(slice(start, stop))
    return (out[0], out[1], out[2])


def _along(region: tuple[slice, slice, slice], axis: int) -> tuple[slice, ...]:
    return tuple(region[a] if a == axis else slice(None) for a in range(3))

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

__all__ = ["KINDS", "intensity_filter"]

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

"""Grey-level discretisation inside an ROI (fixed bin width / fixed bin count).

The bin edges follow PyRadiomics (``imageoperations.getBinEdges``) in ``pyradiomics`` mode and IBSI-1 in ``ibsi``
mode; the per-voxel work (ROI minimum/maximum and the bin look-up, ``numpy.digitize`` semantics) is compiled.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from kernels._jit import njit

__all__ = ["bin_edges_fixed_count", "bin_edges_fixed_width", "digitize_roi", "roi_min_max"]


@njit
def _roi_min_max(image: npt.NDArray[np.floating], mask: npt.NDArray[np.bool_]) -> tuple[float, float, int]:
    lo = np.inf
    hi = -np.inf
    n = 0
    flat_i = image.ravel()
    flat_m = mask.ravel()
    for k in range(flat_i.size):
        if flat_m[k]:
            v = flat_i[k]
            n += 1
            if v < lo:
                lo = v
            if v > hi:
                hi = v
    return lo, hi, n


def roi_min_max(image: npt.NDArray[np.floating], mask: npt.NDArray[np.bool_]) -> tuple[float, float, int]:
    """Return the minimum, maximum and number of voxels of ``image`` inside ``mask``.

    Parameters
    ----------
    image : ndarray of float
        Intensities, any shape.
    mask : ndarray of bool
        ROI, same shape as ``image``.

    Returns
    -------
    minimum, maximum : float
        ``inf``/``-inf`` when the ROI is empty.
    count : int
        Number of ROI voxels.
    """
    image, mask = _check_pair(image, mask)
    lo, hi, n = _roi_min_max(image, mask)
    return float(lo), float(hi), int(n)


@njit
def _digitize_roi(
    image: npt.NDArray[np.floating],
    mask: npt.NDArray[np.bool_],
    edges: npt.NDArray[np.float64],
    out: npt.NDArray[np.int32],
) -> None:
    flat_i = image.ravel()
    flat_m = mask.ravel()
    flat_o = out.ravel()
    n_edges = edges.size
    first = edges[0]
    # edges are (nearly) evenly spaced: start from the arithmetic guess, then step to the exact answer
    inverse = (n_edges - 1) / (edges[n_edges - 1] - first)
    for k in range(flat_i.size):
        if not flat_m[k]:
            flat_o[k] = 0
            continue
        v = flat_i[k]
        # numpy.digitize(v, edges) for increasing edges == searchsorted(edges, v, side="right"): the index i
        # with edges[i - 1] <= v < edges[i]
        guess = (v - first) * inverse
        i = 0 if not guess > 0.0 else (n_edges if guess >= n_edges else int(guess) + 1)
        while i > 0 and edges[i - 1] > v:
            i -= 1
        while i < n_edges and edges[i] <= v:
            i += 1
        flat_o[k] = i


def digitize_roi(
    image: npt.NDArray[np.floating], mask: npt.NDArray[np.bool_], edges: npt.NDArray[np.float64]
) -> npt.NDArray[np.int32]:
    """Discretise the ROI voxels of ``image`` with ``numpy.digitize`` semantics; 0 outside the ROI.

    Parameters
    ----------
    image : ndarray of float
        Intensities.
    mask : ndarray of bool
        ROI, same shape.
    edges : ndarray of float64
        Strictly increasing bin edges (at least 2).

    Returns
    -------
    ndarray of int32
        Grey level ``i`` such that ``edges[i-1] <= value < edges[i]`` inside the ROI.
    """
    image, mask = _check_pair(image, mask)
    edges = np.ascontiguousarray(edges, dtype=np.float64)
    if edges.ndim != 1 or edges.size < 2 or not np.all(np.diff(edges) > 0):
        raise ValueError(f"edges must be 1-D, strictly increasing, >= 2 values; got {edges!r}")
    out = np.empty(image.shape, dtype=np.int32)
    _digitize_roi(image, mask, edges, out)
    return out


def bin_edges_fixed_width(
    minimum: float, maximum: float, bin_width: float, anchor: float | None = None
) -> npt.NDArray[np.float64]:
    """Fixed-bin-width edges.

    Parameters
    ----------
    minimum, maximum : float or numpy scalar
        ROI intensity range (numpy scalars of the image dtype reproduce PyRadiomics' float32 arithmetic).
    bin_width : float
        Width of a bin (> 0).
    anchor : float, optional
        ``None`` (PyRadiomics): edges anchored at multiples of ``bin_width`` (``min - min % width``), last edge
        ``max + 2 * width`` excluded as in ``numpy.arange``. A number (IBSI-1): edges start at ``anchor`` (the
        re-segmentation lower bound) and the grey level is ``floor((x - anchor) / width) + 1``.

    Returns
    -------
    ndarray of float64
        The bin edges.
    """
    if not bin_width > 0:
        raise ValueError(f"bin_width must be > 0, got {bin_width}")
    if anchor is None:
        # Same numpy scalar arithmetic as PyRadiomics (the scalars keep the image dtype, e.g. float32).
        low = minimum - minimum % bin_width
        high = maximum + 2 * bin_width
        edges = np.arange(low, high, bin_width, dtype=np.float64)
        if len(edges) == 1:
            edges = np.array([edges[0] - 0.5, edges[0] + 0.5])
        return np.asarray(edges, dtype=np.float64)
    n_bins = int(np.floor((maximum - anchor) / bin_width)) + 1
    return anchor + bin_width * np.arange(n_bins + 1, dtype=np.float64)


def bin_edges_fixed_count(minimum: float, maximum: float, bin_count: int) -> npt.NDArray[np.float64]:
    """Fixed-bin-number edges (``numpy.histogram`` edges with the last edge raised by 1, as PyRadiomics does).

    Parameters
    ----------
    minimum, maximum : float
        ROI intensity range.
    bin_count : int
        Number of bins (>= 1).

    Returns
    -------
    ndarray of float64
        ``bin_count + 1`` edges.
    """
    if int(bin_count) < 1:
        raise ValueError(f"bin_count must be >= 1, got {bin_count}")
    values = np.array([minimum, maximum])  # keeps the scalars' dtype, so the edges are numpy's own
    edges = np.histogram_bin_edges(values, int(bin_count))
    edges[-1] += 1
    return np.asarray(edges, dtype=np.float64)


def _check_pair(
    image: npt.NDArray[np.floating], mask: npt.NDArray[np.bool_]
) -> tuple[npt.NDArray[np.floating], npt.NDArray[np.bool_]]:
    image = np.asarray(image)
    mask = np.asarray(mask)
    if image.dtype not in (np.float32, np.float64):
        image = image.astype(np.float64)
    if mask.dtype != np.bool_:
        mask = mask.astype(np.bool_)
    if image.shape != mask.shape:
        raise ValueError(f"image and mask shapes differ: {image.shape} vs {mask.shape}")
    return np.ascontiguousarray(image), np.ascontiguousarray(mask)

"""Grey-level run-length matrix (GLRLM) accumulation, as PyRadiomics 3.0.1's C extension counts it.

A run is a maximal sequence of ROI voxels of equal level along an offset ``a`` (a voxel outside the
ROI ends it).  ``P[a, i-1, r-1]`` counts the runs of level ``i`` and length ``r``.

The work is split in two.  :func:`run_segments` depends on the ROI only: per offset it lists the
maximal ROI segments (start voxel and length) of the lines along the offset, so an extraction that
computes the GLRLM of many images of one ROI (original, wavelet sub-bands, LoG sigmas) finds them once.
:func:`glrlm_from_segments` then walks each segment once and cuts it where the level changes; the cut
is branch-free (run ends are appended to a small buffer and counted in bulk), so noisy images with
short runs cost no more than smooth ones.  As in PyRadiomics, an offset along which no line of the box
holds more than one ROI voxel (the ROI is flat in that direction) gets an all-zero matrix, so that the
caller drops it as an empty direction.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from kernels._jit import njit
from kernels.texture_common import check_angles, check_border, check_coded, encode_roi, flat_offsets, reach

#: Run ends buffered before they are counted (fits in L1 with the matrix of a few levels).
_BUFFER = 4096


def glrlm_matrices(
    levels: npt.ArrayLike, mask: npt.ArrayLike, n_levels: int, angles: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Count grey-level runs for every offset.

    Parameters
    ----------
    levels : array_like of int, shape (z, y, x)
        Discretised grey levels, ``1..n_levels`` inside the ROI.
    mask : array_like of bool, shape (z, y, x)
        The ROI.
    n_levels : int
        Number of grey levels ``Ng``.
    angles : array_like of int, shape (Na, 3)
        Offsets ``(dz, dy, dx)`` (mono-directional :func:`kernels.texture_common.texture_angles`).

    Returns
    -------
    ndarray of float64, shape (Na, Ng, Nr)
        ``P[a, i-1, r-1]`` = number of runs of level ``i`` and length ``r`` along offset ``a``;
        ``Nr`` is the largest size of ``levels`` (runs cannot be longer).
    """
    ang = check_angles(angles)
    n_runs = max(np.shape(levels))
    coded = encode_roi(levels, mask, n_levels, reach(ang))
    segments = run_segments(coded != 0, ang)
    return glrlm_from_segments(coded, ang, segments, n_levels, n_runs)


def run_segments(
    roi: npt.ArrayLike, angles: npt.ArrayLike
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32], npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Find the maximal ROI segments of every line along every offset (depends on the ROI only).

    Parameters
    ----------
    roi : array_like of bool, shape (z, y, x)
        The ROI, with a border of at least ``max |offset|`` outside-ROI voxels on every face (as
        :func:`kernels.texture_common.encode_roi` pads it).
    angles : array_like of int, shape (Na, 3)
        Offsets ``(dz, dy, dx)``.

    Returns
    -------
    starts : ndarray of int64, shape (Ns,)
        Flat (C-order) index of the first voxel of each segment, offset by offset.
    lengths : ndarray of int32, shape (Ns,)
        Number of ROI voxels of each segment.
    bounds : ndarray of int64, shape (Na + 1,)
        Segments of offset ``a`` are ``bounds[a]:bounds[a + 1]``.
    flat : ndarray of bool, shape (Na,)
        Offsets along which no line holds two ROI voxels (gaps allowed): their GLRLM is empty.

    Raises
    ------
    ValueError
        On a wrong dimension, an ROI touching the border, or bad angles.
    """
    ang = check_angles(angles)
    mk = np.ascontiguousarray(roi, dtype=np.bool_)
    if mk.ndim != 3:
        raise ValueError(f"roi must be a 3D array (z, y, x), got {mk.ndim} dimensions")
    check_border(mk, reach(ang))
    offsets = flat_offsets(ang, mk.shape)
    flat_roi = mk.ravel()
    voxels = np.flatnonzero(flat_roi)  # only ROI voxels can start a segment
    bounds = np.zeros(ang.shape[0] + 1, dtype=np.int64)
    _count_segments(flat_roi, voxels, offsets, bounds)
    starts = np.empty(int(bounds[-1]), dtype=np.int64)
    lengths = np.empty(int(bounds[-1]), dtype=np.int32)
    _segments(flat_roi, voxels, offsets, bounds, starts, lengths)
    flat = np.zeros(ang.shape[0], dtype=np.bool_)
    for a in range(ang.shape[0]):
        seg = lengths[bounds[a] : bounds[a + 1]]
        if seg.size == 0 or int(seg.max()) < 2:
            flat[a] = not _line_holds_two(mk, ang[a])
    return starts, lengths, bounds, flat


def glrlm_from_segments(
    coded: npt.NDArray[np.uint16],
    angles: npt.ArrayLike,
    segments: tuple[
        npt.NDArray[np.int64], npt.NDArray[np.int32], npt.NDArray[np.int64], npt.NDArray[np.bool_]
    ],
    n_levels: int,
    n_runs: int,
) -> npt.NDArray[np.float64]:
    """Count grey-level runs along precomputed ROI segments.

    Parameters
    ----------
    coded : ndarray of uint16, shape (z, y, x)
        Level inside the ROI, 0 outside (:func:`kernels.texture_common.encode_roi`).
    angles : array_like of int, shape (Na, 3)
        The offsets the segments were found for.
    segments : tuple
        :func:`run_segments` of ``coded != 0`` and ``angles``.
    n_levels : int
        Number of grey levels ``Ng`` (at least the highest level of ``coded``).
    n_runs : int
        Number of run-length columns ``Nr`` (at least the longest segment).

    Returns
    -------
    ndarray of float64, shape (Na, Ng, Nr)
        As :func:`glrlm_matrices`.

    Raises
    ------
    ValueError
        When the segments do not belong to ``coded``'s ROI (a segment holds or borders on a voxel of the
        wrong kind, or they do not cover the ROI), or on inconsistent sizes.
    """
    ang = check_angles(angles)
    cd = check_coded(coded, n_levels)
    check_border(cd, reach(ang))
    starts, lengths, bounds, flat = segments
    if bounds.shape != (ang.shape[0] + 1,) or flat.shape != (ang.shape[0],) or starts.shape != lengths.shape:
        raise ValueError("segments do not match the angles (use run_segments with the same angles)")
    if lengths.size and (int(lengths.max()) > int(n_runs) or int(lengths.min()) < 1):
        raise ValueError(f"a segment is longer than n_runs={n_runs} or empty")
    counts = np.zeros((ang.shape[0], int(n_levels) + 1, int(n_runs)), dtype=np.int64)
    buffer = np.empty(_BUFFER + int(n_runs) + 1, dtype=np.int64)  # a segment adds <= Nr ends
    n_roi = int(np.count_nonzero(cd))
    offsets = flat_offsets(ang, cd.shape)
    bad = _glrlm(cd.ravel(), offsets, starts, lengths, bounds, n_roi, int(n_runs), counts.ravel(), buffer)
    if bad or counts[:, 0].any():
        raise ValueError("the segments do not belong to this ROI (use run_segments of coded != 0)")
    out = counts[:, 1:].astype(np.float64)
    out[flat] = 0.0
    return out


@njit
def _count_segments(
    roi: npt.NDArray[np.bool_],
    voxels: npt.NDArray[np.int64],
    offsets: npt.NDArray[np.int64],
    bounds: npt.NDArray[np.int64],
) -> None:
    total = 0
    for a in range(offsets.shape[0]):
        step = offsets[a]
        for q in range(voxels.shape[0]):
            total += int(not roi[voxels[q] - step])
        bounds[a + 1] = total


@njit
def _segments(
    roi: npt.NDArray[np.bool_],
    voxels: npt.NDArray[np.int64],
    offsets: npt.NDArray[np.int64],
    bounds: npt.NDArray[np.int64],
    starts: npt.NDArray[np.int64],
    lengths: npt.NDArray[np.int32],
) -> None:
    for a in range(offsets.shape[0]):
        step = offsets[a]
        k = bounds[a]
        for q in range(voxels.shape[0]):
            idx = voxels[q]
            if not roi[idx - step]:
                length = 1
                cur = idx + step
                while roi[cur]:
                    length += 1
                    cur += step
                starts[k] = idx
                lengths[k] = length
                k += 1


@njit
def _glrlm(
    coded: npt.NDArray[np.uint16],
    offsets: npt.NDArray[np.int64],
    starts: npt.NDArray[np.int64],
    lengths: npt.NDArray[np.int32],
    bounds: npt.NDArray[np.int64],
    n_roi: int,
    n_runs: int,
    out: npt.NDArray[np.int64],
    buffer: npt.NDArray[np.int64],
) -> int:
    """Walk every segment; return how many segments do not fit ``coded``'s ROI (0 when consistent).

    ``out`` is (Na, Ng + 1, Nr) flattened: row 0 collects the runs of level 0, which a segment of this ROI never
    holds (the caller checks that it stays empty).  With the count of covered voxels per offset this proves the
    segments are this ROI's: disjoint segments of only ROI voxels that cover as many voxels as the ROI has.
    """
    na = offsets.shape[0]
    size = coded.shape[0]
    per_angle = out.shape[0] // na
    n_rows = per_angle // n_runs
    cell = np.empty(n_rows, dtype=np.int64)
    bad = 0
    for a in range(na):
        step = offsets[a]
        for g in range(n_rows):  # cell of level g and run length r: cell[g] + r
            cell[g] = a * per_angle + g * n_runs - 1
        k = 0
        covered = 0
        for s in range(bounds[a], bounds[a + 1]):
            pos = starts[s]
            length = int(lengths[s])
            before = pos - step
            after = pos + length * step
            if before < 0 or before >= size or after < 0 or after >= size:
                bad += 1
                continue
            covered += length
            # unsigned indices: Numba skips the negative-index wrap-around test of each load and store
            prev = np.uint64(coded[np.uint64(pos)])
            run = 1
            for _ in range(1, length):
                pos += step
                value = np.uint64(coded[np.uint64(pos)])
                same = int(value == prev)
                # the run of `prev` ends here unless `value` continues it: write its cell, keep it only then
                buffer[np.uint64(k)] = cell[prev] + run
                k += 1 - same
                run = (run & -same) + 1  # run + 1 if same else 1, branch-free
                prev = value
            buffer[np.uint64(k)] = cell[prev] + run
            k += 1
            if k >= _BUFFER:
                for j in range(k):
                    out[np.uint64(buffer[j])] += 1
                k = 0
        for j in range(k):
            out[np.uint64(buffer[j])] += 1
        if bounds[a + 1] > bounds[a] and covered != n_roi:
            bad += 1
    return bad


@njit
def _line_holds_two(coded: npt.NDArray[np.bool_], angle: npt.NDArray[np.int64]) -> bool:
    """Whether some line along ``angle`` holds two ROI voxels (gaps allowed); O(array size)."""
    nz, ny, nx = coded.shape
    dz = angle[0]
    dy = angle[1]
    dx = angle[2]
    for z in range(nz):
        for y in range(ny):
            for x in range(nx):
                if not coded[z, y, x]:
                    continue
                cz = z + dz
                cy = y + dy
                cx = x + dx
                while 0 <= cz < nz and 0 <= cy < ny and 0 <= cx < nx:
                    if coded[cz, cy, cx]:
                        return True
                    cz += dz
                    cy += dy
                    cx += dx
    return False

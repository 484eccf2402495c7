"""GLCM, GLDM and NGTDM accumulated together in one pass over the ROI.

The three matrices look at the same neighbours: GLCM at the mono-directional offsets, GLDM and NGTDM
at those offsets and their opposites.  Reading each neighbour once for all three halves the memory
traffic of three separate passes (:mod:`kernels.glcm`, :mod:`kernels.gldm`, :mod:`kernels.ngtdm`,
which give the same numbers and stay as the per-family reference points).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from kernels._jit import njit
from kernels.texture_common import check_angles, check_border, check_coded, encode_roi, flat_offsets, reach


def neighbour_matrices(
    levels: npt.ArrayLike, mask: npt.ArrayLike, n_levels: int, angles: npt.ArrayLike, alpha: int = 0
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Accumulate the GLCM (per offset), the GLDM and the NGTDM in one pass.

    Parameters
    ----------
    levels : array_like of int, shape (z, y, x)
        Discretised grey levels, ``1..n_levels`` inside the ROI.
    mask : array_like of bool, shape (z, y, x)
        The ROI.
    n_levels : int
        Number of grey levels ``Ng``.
    angles : array_like of int, shape (Na, 3)
        Mono-directional offsets (:func:`kernels.texture_common.texture_angles`); GLDM and NGTDM use
        them and their opposites.
    alpha : int
        GLDM coarseness (a neighbour is dependent when its level differs by at most ``alpha``).

    Returns
    -------
    glcm : ndarray of float64, shape (Na, Ng, Ng)
        As :func:`kernels.glcm.glcm_matrices`.
    gldm : ndarray of float64, shape (Ng, 2 Na + 1)
        As :func:`kernels.gldm.gldm_matrix`.
    ngtdm : ndarray of float64, shape (Ng, 2)
        As :func:`kernels.ngtdm.ngtdm_matrix`.

    Raises
    ------
    ValueError
        On a negative ``alpha`` and on the input checks of :func:`kernels.texture_common.encode_roi`.
    """
    ang = check_angles(angles)
    return neighbour_matrices_coded(encode_roi(levels, mask, n_levels, reach(ang)), n_levels, ang, alpha)


def neighbour_matrices_coded(
    coded: npt.NDArray[np.uint16], n_levels: int, angles: npt.ArrayLike, alpha: int = 0
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """:func:`neighbour_matrices` of an ROI already encoded (one encoding shared by all kernels).

    Parameters
    ----------
    coded : ndarray of uint16, shape (z, y, x)
        Level inside the ROI, 0 outside, with an outside border of at least ``max |offset|`` voxels
        (:func:`kernels.texture_common.encode_roi`).
    n_levels : int
        Number of grey levels ``Ng``.
    angles : array_like of int, shape (Na, 3)
        Mono-directional offsets.
    alpha : int
        GLDM coarseness.

    Returns
    -------
    glcm, gldm, ngtdm
        As :func:`neighbour_matrices`.

    Raises
    ------
    ValueError
        On a negative ``alpha``, a level above ``n_levels``, or an ROI closer to a face than the offsets reach.
    """
    if isinstance(alpha, bool) or int(alpha) != alpha or alpha < 0:
        raise ValueError(f"alpha must be a non-negative integer, got {alpha}")
    ang = check_angles(angles)
    coded = check_coded(coded, n_levels)
    check_border(coded, reach(ang))
    ng = int(n_levels)
    gldm = np.zeros((ng, 2 * ang.shape[0] + 1), dtype=np.float64)
    ngtdm = np.zeros((ng, 2), dtype=np.float64)
    offsets = flat_offsets(ang, coded.shape)
    # the kernels step forward by positive offsets: an offset given the other way round counts its opposite,
    # whose GLCM is the transpose (GLDM and NGTDM look both ways anyway)
    backward = offsets < 0
    offsets = np.abs(offsets)
    if alpha == 0:
        # PyRadiomics' default: branch-free counting; row/column 0 of `wide` collect the outside neighbours
        wide = np.zeros((ang.shape[0], ng + 1, ng + 1), dtype=np.float64)
        _neighbours_alpha0(coded.ravel(), offsets, wide, gldm, ngtdm)
        glcm = np.ascontiguousarray(wide[:, 1:, 1:])
    else:
        glcm = np.zeros((ang.shape[0], ng, ng), dtype=np.float64)
        _neighbours(coded.ravel(), offsets, int(alpha), glcm, gldm, ngtdm)
    if backward.any():
        glcm[backward] = glcm[backward].transpose(0, 2, 1)
    return glcm, gldm, ngtdm


# Indices are unsigned in the loops below: Numba then skips the negative-index wrap-around test of every load
# (every voxel reads 26 neighbours), which is ~30% of the kernel's time.  Offsets are positive (the wrapper flips
# the others) and the border keeps ``idx - offset`` >= 0.


@njit
def _neighbours_alpha0(
    coded: npt.NDArray[np.uint16],
    offsets: npt.NDArray[np.int64],
    wide: npt.NDArray[np.float64],
    gldm: npt.NDArray[np.float64],
    ngtdm: npt.NDArray[np.float64],
) -> None:
    # alpha = 0: a dependent neighbour has the voxel's level, which is never 0 (outside), and an outside
    # neighbour adds 0 to the sum of levels, so only the GLCM column and the count look at "outside"
    na = offsets.shape[0]
    steps = np.empty(na, dtype=np.uint64)
    for a in range(na):
        steps[a] = np.uint64(offsets[a])
    one = np.uint64(1)
    for i in range(coded.shape[0]):
        idx = np.uint64(i)
        gl = np.uint64(coded[idx])
        if gl == 0:
            continue
        dep = np.uint64(0)
        count = np.uint64(0)
        total = np.uint64(0)
        for a in range(na):
            ua = np.uint64(a)
            ahead = np.uint64(coded[idx + steps[ua]])
            behind = np.uint64(coded[idx - steps[ua]])
            wide[ua, gl, ahead] += 1.0
            total += ahead + behind
            dep += np.uint64(ahead == gl) + np.uint64(behind == gl)
            count += np.uint64(ahead != 0) + np.uint64(behind != 0)
        row = gl - one
        gldm[row, dep] += 1.0
        diff = 0.0
        if count > 0:
            diff = abs(float(gl) - float(total) / float(count))
        ngtdm[row, np.uint64(0)] += 1.0
        ngtdm[row, one] += diff


@njit
def _neighbours(
    coded: npt.NDArray[np.uint16],
    offsets: npt.NDArray[np.int64],
    alpha: int,
    glcm: npt.NDArray[np.float64],
    gldm: npt.NDArray[np.float64],
    ngtdm: npt.NDArray[np.float64],
) -> None:
    na = offsets.shape[0]
    steps = np.empty(na, dtype=np.uint64)
    for a in range(na):
        steps[a] = np.uint64(offsets[a])
    one = np.uint64(1)
    for i in range(coded.shape[0]):
        idx = np.uint64(i)
        gl = np.int64(coded[idx])  # signed: |gl - other| below (int() of a uint16 is unsigned in Numba)
        if gl == 0:
            continue
        dep = 0
        count = 0
        total = np.int64(0)
        row = np.uint64(gl) - one
        for a in range(na):
            ua = np.uint64(a)
            other = np.int64(coded[idx + steps[ua]])
            if other != 0:
                glcm[ua, row, np.uint64(other) - one] += 1.0
                count += 1
                total += other
                if abs(gl - other) <= alpha:
                    dep += 1
            other = np.int64(coded[idx - steps[ua]])
            if other != 0:
                count += 1
                total += other
                if abs(gl - other) <= alpha:
                    dep += 1
        gldm[row, np.uint64(dep)] += 1.0
        diff = 0.0
        if count > 0:
            diff = abs(float(gl) - float(total) / float(count))
        ngtdm[row, np.uint64(0)] += 1.0
        ngtdm[row, one] += diff

"""Plain NumPy/SciPy references of the texture matrices (slow, obvious, for small volumes only).

Each follows the definition directly, by a different route than the Numba kernels: shifted-array
comparisons (GLCM, GLDM, NGTDM), explicit line walks from the box faces (GLRLM, as PyRadiomics' C code
enumerates lines) and ``scipy.ndimage.label`` per grey level (GLSZM).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def _shift_pairs(shape: tuple[int, ...], offset: np.ndarray) -> tuple[tuple[slice, ...], tuple[slice, ...]]:
    """Slices (source, neighbour) selecting every voxel whose neighbour at ``offset`` is in the array."""
    src, dst = [], []
    for size, d in zip(shape, offset, strict=True):
        d = int(d)
        if d >= 0:
            src.append(slice(0, max(size - d, 0)))
            dst.append(slice(d, size))
        else:
            src.append(slice(-d, size))
            dst.append(slice(0, max(size + d, 0)))
    return tuple(src), tuple(dst)


def glcm_reference(levels: np.ndarray, mask: np.ndarray, n_levels: int, angles: np.ndarray) -> np.ndarray:
    out = np.zeros((len(angles), n_levels, n_levels))
    for a, offset in enumerate(angles):
        src, dst = _shift_pairs(levels.shape, offset)
        both = mask[src] & mask[dst]
        np.add.at(out[a], (levels[src][both] - 1, levels[dst][both] - 1), 1.0)
    return out


def glrlm_reference(levels: np.ndarray, mask: np.ndarray, n_levels: int, angles: np.ndarray) -> np.ndarray:
    shape = levels.shape
    out = np.zeros((len(angles), n_levels, max(shape)))
    for a, offset in enumerate(angles):
        multi = False
        for start in np.ndindex(*shape):
            before = np.array(start) - offset
            if all(0 <= before[k] < shape[k] for k in range(3)):
                continue  # not the first voxel of its line
            pos = np.array(start)
            line = []
            while all(0 <= pos[k] < shape[k] for k in range(3)):
                line.append(tuple(pos))
                pos = pos + offset
            in_roi = [p for p in line if mask[p]]
            multi = multi or len(in_roi) > 1
            run_level, run = -1, 0
            for p in line:
                if mask[p] and levels[p] == run_level:
                    run += 1
                    continue
                if run_level > 0:
                    out[a, run_level - 1, run - 1] += 1
                run_level, run = (int(levels[p]), 1) if mask[p] else (-1, 0)
            if run_level > 0:
                out[a, run_level - 1, run - 1] += 1
        if not multi:
            out[a] = 0.0
    return out


def glszm_reference(levels: np.ndarray, mask: np.ndarray, n_levels: int, offsets: np.ndarray) -> np.ndarray:
    structure = np.zeros((3, 3, 3), dtype=bool)
    structure[1, 1, 1] = True
    for offset in offsets:
        structure[tuple(np.asarray(offset) + 1)] = True
    sizes_per_level = []
    for gl in range(1, n_levels + 1):
        labelled, count = ndimage.label(mask & (levels == gl), structure=structure)
        sizes = np.bincount(labelled.ravel())[1:] if count else np.zeros(0, dtype=int)
        sizes_per_level.append(sizes)
    largest = max(int(s.max()) for s in sizes_per_level if s.size)
    out = np.zeros((n_levels, largest))
    for gl, sizes in enumerate(sizes_per_level):
        np.add.at(out[gl], sizes - 1, 1.0)
    return out


def _neighbour_stack(
    levels: np.ndarray, mask: np.ndarray, offsets: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Arrays (Nn, z, y, x): the neighbour's level and whether the neighbour is an ROI voxel."""
    reach = int(np.abs(offsets).max())
    lv = np.pad(levels, reach)
    mk = np.pad(mask, reach)
    nz, ny, nx = levels.shape
    lv_nb, mk_nb = [], []
    for dz, dy, dx in offsets:
        sl = (
            slice(reach + dz, reach + dz + nz),
            slice(reach + dy, reach + dy + ny),
            slice(reach + dx, reach + dx + nx),
        )
        lv_nb.append(lv[sl])
        mk_nb.append(mk[sl])
    return np.stack(lv_nb), np.stack(mk_nb)


def gldm_reference(
    levels: np.ndarray, mask: np.ndarray, n_levels: int, offsets: np.ndarray, alpha: int
) -> np.ndarray:
    lv_nb, mk_nb = _neighbour_stack(levels, mask, offsets)
    dependent = (mk_nb & (np.abs(lv_nb - levels[None]) <= alpha)).sum(axis=0)
    out = np.zeros((n_levels, len(offsets) + 1))
    np.add.at(out, (levels[mask] - 1, dependent[mask]), 1.0)
    return out


def ngtdm_reference(levels: np.ndarray, mask: np.ndarray, n_levels: int, offsets: np.ndarray) -> np.ndarray:
    lv_nb, mk_nb = _neighbour_stack(levels, mask, offsets)
    count = mk_nb.sum(axis=0)
    total = (lv_nb * mk_nb).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        diff = np.where(count > 0, np.abs(levels - total / np.maximum(count, 1)), 0.0)
    out = np.zeros((n_levels, 2))
    np.add.at(out[:, 0], levels[mask] - 1, 1.0)
    np.add.at(out[:, 1], levels[mask] - 1, diff[mask])
    return out


def angles_reference(
    shape: tuple[int, ...], distances: tuple[int, ...], bidirectional: bool, dim2d: int | None
):
    """Offsets by brute force over the cube (same order: dz, dy, dx descending)."""
    reach = max(distances)
    found = []
    rng = range(reach, -reach - 1, -1)
    for dz in rng:
        for dy in rng:
            for dx in rng:
                off = (dz, dy, dx)
                norm = max(abs(v) for v in off)
                if norm not in distances:
                    continue
                if any(abs(off[k]) > shape[k] - 1 for k in range(3)):
                    continue
                if dim2d is not None and off[dim2d] != 0:
                    continue
                if not bidirectional and next(v for v in off if v != 0) < 0:
                    continue
                found.append(off)
    return np.array(found, dtype=np.int64).reshape(len(found), 3)

"""Resampling of CT volumes and label maps onto new grids (the radiomics engine's helper).

Linear, nearest-neighbour and cubic B-spline resampling run on :mod:`kernels.resample` and give SimpleITK's
``ResampleImageFilter`` numbers bit for bit on the same grid (B-spline from coefficients of an input block that
reaches ``BSPLINE_MARGIN`` voxels beyond the samples, not of the whole image).  Two grid
conventions are offered: PyRadiomics' (``imageoperations.resampleImage``: corner-aligned, cropped to the ROI
bounding box plus ``padDistance``) and IBSI-1's (centres of the old and new grid aligned, size
``ceil(extent / spacing)``).  Only the requested block of the output grid is computed, so crop and resample are
one pass over the ROI box.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from hsp_desktop.domain import CtVolume, LabelMap
from hsp_desktop.errors import InputError
from kernels.resample import BSPLINE, BSPLINE_MARGIN, LINEAR, NEAREST, BlockTooSmall, resample

__all__ = [
    "Grid",
    "ibsi_grid",
    "input_block",
    "pyradiomics_grid",
    "resample_array",
    "resample_ct",
    "resample_mask",
]


@dataclass(frozen=True)
class Grid:
    """A voxel grid: size (x, y, z), spacing (mm, x, y, z), origin (mm) and row-major direction cosines."""

    size: tuple[int, int, int]
    spacing: tuple[float, float, float]
    origin: tuple[float, float, float]
    direction: tuple[float, ...] = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)

    @classmethod
    def of(cls, volume: CtVolume | LabelMap) -> Grid:
        """The grid of a volume."""
        z, y, x = volume.shape
        sx, sy, sz = (float(v) for v in volume.spacing)
        ox, oy, oz = (float(v) for v in volume.origin)
        return cls((x, y, z), (sx, sy, sz), (ox, oy, oz), tuple(map(float, volume.direction)))

    @property
    def matrix(self) -> npt.NDArray[np.float64]:
        """``direction @ diag(spacing)``: index (x, y, z) -> physical offset."""
        return np.asarray(self.direction, dtype=np.float64).reshape(3, 3) @ np.diag(self.spacing)

    @property
    def shape(self) -> tuple[int, int, int]:
        """Array shape (z, y, x)."""
        return (self.size[2], self.size[1], self.size[0])

    def index_to_point(self, index: Sequence[float]) -> tuple[float, float, float]:
        """Physical point of a (continuous) index, with ITK's operation order."""
        m = self.matrix
        point = []
        for i in range(3):
            p = self.origin[i]
            for j in range(3):
                p += m[i, j] * float(index[j])
            point.append(p)
        return (point[0], point[1], point[2])


def pyradiomics_grid(grid: Grid, box: Sequence[int], spacing: Sequence[float], pad: int) -> Grid:
    """PyRadiomics' resampling grid (``imageoperations.resampleImage``).

    Parameters
    ----------
    grid : Grid
        The mask's (= image's) grid.
    box : (x0, y0, z0, nx, ny, nz)
        Bounding box of the label (SimpleITK ``LabelShapeStatistics`` layout).
    spacing : (x, y, z)
        Requested spacing; 0 keeps the original along that axis, and so does an axis where the ROI is one
        voxel thick.
    pad : int
        ``padDistance`` in new voxels.

    Returns
    -------
    Grid
        The output grid (the ROI box plus padding, clipped to the image).
    """
    old = np.asarray(grid.spacing, dtype=np.float64)
    new = np.asarray(spacing, dtype=np.float64)
    new = np.where(new == 0, old, new)
    bb = np.asarray(box, dtype=np.int64)
    new = np.where(bb[3:] != 1, new, old)
    ratio = old / new
    low = np.floor((bb[:3] - 0.5) * ratio - pad)
    up = np.ceil((bb[:3] + bb[3:] - 0.5) * ratio + pad)
    max_up = np.ceil(np.asarray(grid.size) * ratio) - 1
    low = np.where(low < 0, 0, low)
    up = np.where(up > max_up, max_up, up)
    size = np.array(up - low + 1, dtype="int").tolist()
    origin_index = np.array(0.5 * (new - old) / old) + low / ratio
    origin = grid.index_to_point(origin_index.tolist())
    return Grid(
        (size[0], size[1], size[2]), (float(new[0]), float(new[1]), float(new[2])), origin, grid.direction
    )


def ibsi_grid(grid: Grid, spacing: Sequence[float]) -> Grid:
    """IBSI-1 interpolation grid: same centre as ``grid``, size ``ceil(n * old / new)``.

    Parameters
    ----------
    grid : Grid
        The original grid.
    spacing : (x, y, z)
        New spacing; 0 keeps the original along that axis.

    Returns
    -------
    Grid
    """
    old = np.asarray(grid.spacing, dtype=np.float64)
    new = np.asarray(spacing, dtype=np.float64)
    new = np.where(new == 0, old, new)
    n_old = np.asarray(grid.size, dtype=np.float64)
    n_new = np.ceil(np.round(n_old * old / new, 6)).astype(int)
    # index of the new origin in old voxel units: centres aligned
    origin_index = 0.5 * (n_old - 1) - 0.5 * (n_new - 1) * new / old
    origin = grid.index_to_point(origin_index.tolist())
    return Grid(
        (int(n_new[0]), int(n_new[1]), int(n_new[2])),
        (float(new[0]), float(new[1]), float(new[2])),
        origin,
        grid.direction,
    )


def input_block(
    src: Grid, dst: Grid, start: Sequence[int], shape_zyx: Sequence[int], margin: int = 0
) -> tuple[slice, slice, slice]:
    """Input voxels (z, y, x slices) that interpolation of the output block can read, plus ``margin`` each side."""
    inv = np.linalg.inv(src.matrix)
    corners = []
    for dz in (0, shape_zyx[0]):
        for dy in (0, shape_zyx[1]):
            for dx in (0, shape_zyx[2]):
                idx = (start[0] + dx, start[1] + dy, start[2] + dz)
                p = np.asarray(dst.index_to_point(idx)) - np.asarray(src.origin)
                corners.append(inv @ p)
    c = np.asarray(corners)
    lo = np.floor(c.min(axis=0)) - 2 - margin
    hi = np.ceil(c.max(axis=0)) + 2 + margin
    sl = []
    for axis in (2, 1, 0):
        a = int(max(0, lo[axis]))
        b = int(min(src.size[axis], hi[axis] + 1))
        sl.append(slice(a, max(a, b)))
    return sl[0], sl[1], sl[2]


def resample_array(
    array: npt.NDArray[np.generic],
    src: Grid,
    dst: Grid,
    *,
    method: str = "linear",
    block_start: Sequence[int] = (0, 0, 0),
    block_shape: Sequence[int] | None = None,
    dtype: npt.DTypeLike | None = None,
) -> npt.NDArray[np.generic]:
    """Resample ``array`` (on ``src``) onto ``dst`` (or a block of it), SimpleITK-equal.

    Parameters
    ----------
    array : ndarray (z, y, x)
        Values on ``src``.
    src, dst : Grid
        Input and output grids.
    method : {"linear", "nearest", "bspline"}
        Interpolation (cubic B-spline for "bspline", SimpleITK's ``sitkBSpline``).
    block_start : (x, y, z)
        First output index of the block.
    block_shape : (z, y, x), optional
        Block shape; default the whole output grid.
    dtype : dtype, optional
        Output dtype (default: the input's).

    Returns
    -------
    ndarray (z, y, x)
    """
    if block_shape is None:
        block_shape = (
            dst.size[2] - block_start[2],
            dst.size[1] - block_start[1],
            dst.size[0] - block_start[0],
        )
    kind = {"linear": LINEAR, "nearest": NEAREST, "bspline": BSPLINE}.get(method)
    if kind is None:
        raise InputError(
            "unknown interpolation",
            expected="linear, nearest or bspline",
            found=repr(method),
            fix="use sitkLinear",
            field="interpolator",
        )
    bound = None
    if kind == BSPLINE and array.dtype.kind == "f":
        bound = float(np.nanmax(np.abs(array))) if array.size else 0.0
    margin = BSPLINE_MARGIN if kind == BSPLINE else 0
    while True:
        zs, ys, xs = input_block(src, dst, block_start, block_shape, margin)
        view = array[zs, ys, xs]
        if view.size == 0:
            target = np.dtype(dtype) if dtype is not None else array.dtype
            return np.zeros(tuple(block_shape), dtype=target)
        try:
            return resample(
                view,
                in_origin=src.origin,
                in_matrix=src.matrix,
                out_origin=dst.origin,
                out_matrix=dst.matrix,
                out_size=dst.size,
                block_start=(int(block_start[0]), int(block_start[1]), int(block_start[2])),
                block_shape=(int(block_shape[0]), int(block_shape[1]), int(block_shape[2])),
                method=kind,
                dtype=dtype if dtype is not None else array.dtype,
                in_offset=(xs.start, ys.start, zs.start),
                in_size=src.size,
                bound=bound,
            )
        except BlockTooSmall:
            if view.shape == array.shape:
                raise
            margin *= 4  # a noise-free run reaches the block's cut edge: a larger block


def _new_spacing(volume: CtVolume | LabelMap, spacing: Sequence[float]) -> tuple[float, float, float]:
    if len(spacing) != 3 or any((not math.isfinite(float(s))) or float(s) < 0 for s in spacing):
        raise InputError(
            "resampling spacing is invalid",
            expected="3 spacings >= 0 mm (x, y, z)",
            found=repr(tuple(spacing)),
            fix="use e.g. [1, 1, 1]",
            field="resampledPixelSpacing",
        )
    return tuple(float(s) if float(s) > 0 else float(o) for s, o in zip(spacing, volume.spacing, strict=True))  # type: ignore[return-value]


def resample_ct(
    ct: CtVolume,
    spacing: Sequence[float],
    *,
    grid: str = "ibsi",
    interpolator: str = "linear",
    round_hu: bool = False,
) -> CtVolume:
    """Resample a whole CT onto a new spacing.

    Parameters
    ----------
    ct : CtVolume
        The CT.
    spacing : (x, y, z) mm
        New spacing (0 keeps an axis).
    grid : {"ibsi"}
        Grid convention for a whole-image resampling (centre-aligned).
    interpolator : {"linear", "nearest", "bspline"}
        Interpolation.
    round_hu : bool
        Round the interpolated HU to integers (IBSI-1 for CT).

    Returns
    -------
    CtVolume
        Same origin convention, float32 HU.
    """
    if grid != "ibsi":
        raise InputError(
            "unknown grid convention", expected="ibsi", found=repr(grid), fix="use grid='ibsi'", field="grid"
        )
    src = Grid.of(ct)
    dst = ibsi_grid(src, _new_spacing(ct, spacing))
    out = np.asarray(
        resample_array(ct.array, src, dst, method=interpolator, dtype=np.float64), dtype=np.float64
    )
    if round_hu:
        out = np.round(out)
    return CtVolume(
        array=out.astype(np.float32),
        spacing=dst.spacing,
        origin=dst.origin,
        direction=ct.direction,
        source=ct.source,
        meta=dict(ct.meta),
    )


def resample_mask(mask: LabelMap, reference: CtVolume | Grid, *, partial_volume: bool = False) -> LabelMap:
    """Resample a label map onto a reference grid.

    Parameters
    ----------
    mask : LabelMap
        The labels.
    reference : CtVolume or Grid
        Target grid.
    partial_volume : bool
        ``False``: nearest neighbour (PyRadiomics).  ``True``: each label interpolated linearly as a 0/1 map and
        kept where >= 0.5 (IBSI-1).

    Returns
    -------
    LabelMap
    """
    src = Grid.of(mask)
    dst = reference if isinstance(reference, Grid) else Grid.of(reference)
    d = tuple(float(v) for v in dst.direction)
    if not partial_volume:
        out = resample_array(mask.array, src, dst, method="nearest", dtype=np.uint8)
    else:
        out = np.zeros(dst.shape, dtype=np.uint8)
        for label in np.unique(mask.array):
            if label == 0:
                continue
            frac = resample_array((mask.array == label).astype(np.float64), src, dst, method="linear")
            out[np.asarray(frac, dtype=np.float64) >= 0.5] = label
    return LabelMap(
        array=np.asarray(out, dtype=np.uint8),
        spacing=dst.spacing,
        origin=dst.origin,
        direction=(d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8]),
        labels=dict(mask.labels),
        source=mask.source,
    )

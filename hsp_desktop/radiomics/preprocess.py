"""Preprocessing before feature extraction, on the ROI box only.

``pyradiomics`` mode reproduces PyRadiomics 3 ``featureextractor.execute`` step by step (label mask, whole-image
normalisation and outlier clipping, corner-aligned resampling cropped to the ROI box plus ``padDistance``, mask
checks, re-segmentation, bounding box, fixed-bin-width edges anchored at 0 or ``numpy.histogram`` edges for a fixed
bin count).  ``ibsi`` mode follows IBSI-1: centre-aligned grid, interpolated intensities rounded to integers,
mask interpolated linearly and kept where >= 0.5, re-segmentation range then outlier filtering (mean +- n SD of
the ROI), fixed bin width anchored at the re-segmentation lower bound.

Nothing here touches voxels far from the ROI: the whole image is read only for statistics that PyRadiomics takes
over the whole image (normalisation; the maximum used by the Square/SquareRoot/Logarithm/Exponential filters).
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from hsp_desktop.domain import CtVolume, LabelMap
from hsp_desktop.errors import InputError
from hsp_desktop.imaging.resample import Grid, ibsi_grid, input_block, pyradiomics_grid
from hsp_desktop.radiomics.settings import ExtractionSettings
from kernels.discretise import bin_edges_fixed_count, bin_edges_fixed_width, digitize_roi
from kernels.resample import (
    BSPLINE,
    BSPLINE_MARGIN,
    LINEAR,
    NEAREST,
    BlockTooSmall,
    image_stats,
    label_box,
    resample,
)

__all__ = ["ImageSource", "Prepared", "discretise", "prepare"]

#: Largest number of grey levels the texture matrices accept (memory guard: GLCM is Ng x Ng x 13).
MAX_GREY_LEVELS = 4096
#: Largest output grid (voxels) a resampling may produce.
MAX_GRID_VOXELS = 400_000_000

Slices = tuple[slice, slice, slice]


@dataclass
class ImageSource:
    """The image PyRadiomics would hand to its filters ("the whole image"), read by region.

    Either an in-memory array (after resampling it is the ROI box plus padding) or the original CT array with
    the normalisation applied lazily to the regions read.  The array keeps the pixel type the image was stored
    with (int16 CT stays int16, as SimpleITK keeps it for PyRadiomics); regions are converted when read.
    """

    array: npt.NDArray[np.generic]
    spacing: tuple[float, float, float]
    origin: tuple[float, float, float]
    direction: tuple[float, ...]
    norm: tuple[float, float, float | None, float] | None = None  # (shift, scale, outliers, normalizeScale)
    _absmax: float | None = field(default=None, repr=False)

    @property
    def shape(self) -> tuple[int, int, int]:
        """Array shape (z, y, x) of the whole image."""
        z, y, x = self.array.shape
        return int(z), int(y), int(x)

    @property
    def dtype(self) -> np.dtype[np.generic]:
        """Pixel type PyRadiomics would have (the stored type; float64 after normalisation)."""
        return np.dtype(np.float64) if self.norm is not None else self.array.dtype

    def region(self, box: Slices) -> npt.NDArray[np.floating]:
        """Voxel values of a region (z, y, x slices) as floats (integers exactly: float32 up to 16 bits)."""
        values = self.array[box]
        if self.norm is not None:
            return _normalise(values, self.norm)
        return as_float(values)

    def native_region(self, box: Slices) -> npt.NDArray[np.generic]:
        """Voxel values of a region in :attr:`dtype` (what SimpleITK and PyWavelets get from PyRadiomics)."""
        values = self.array[box]
        return values if self.norm is None else _normalise(values, self.norm)

    def abs_max(self) -> float:
        """``max(|image|)`` over the whole image (for Square, SquareRoot, Logarithm, Exponential)."""
        if self._absmax is None:
            if self.array.dtype.kind in "iu":
                ends = np.array([self.array.min(), self.array.max()], dtype=np.float64)
            else:
                lo, hi, _, _, _ = image_stats(self.array)
                ends = np.array([lo, hi], dtype=self.array.dtype)
            if self.norm is not None:
                ends = _normalise(ends, self.norm)
            self._absmax = float(np.max(np.abs(ends)))
        return self._absmax


def as_float(values: npt.NDArray[np.generic]) -> npt.NDArray[np.floating]:
    """Integer voxels as exact floats (float32 up to 16 bits, else float64); float arrays unchanged."""
    if values.dtype.kind in "iub":
        return values.astype(np.float32 if values.dtype.itemsize <= 2 else np.float64)
    return values  # type: ignore[return-value]


def _normalise(
    values: npt.NDArray[np.generic], norm: tuple[float, float, float | None, float]
) -> npt.NDArray[np.float64]:
    shift, scale, outliers, factor = norm
    out = (values.astype(np.float64) + shift) * scale
    if outliers is not None:
        out[out > outliers] = outliers
        out[out < -outliers] = -outliers
    return out * factor


@dataclass
class Prepared:
    """The preprocessed ROI, ready for the feature classes.

    ``box`` is the bounding box of the (re-segmented) ROI in ``source`` coordinates; ``roi`` the ROI in that box;
    ``shape_mask`` the mask used for shape features (the non-re-segmented label, cropped to ``box``, as
    PyRadiomics does).
    """

    source: ImageSource
    box: Slices
    roi: npt.NDArray[np.bool_]
    shape_mask: npt.NDArray[np.bool_]
    settings: ExtractionSettings
    diagnostics: dict[str, object]

    @property
    def spacing(self) -> tuple[float, float, float]:
        """Voxel size (x, y, z) mm of the feature grid."""
        return self.source.spacing


def _fail(message: str, *, expected: str, found: str, fix: str, field: str) -> InputError:
    return InputError(message, expected=expected, found=found, fix=fix, field=field)


def _check_inputs(ct: CtVolume, mask: LabelMap) -> None:
    arr = np.asarray(ct.array)
    if arr.ndim != 3:
        raise _fail(
            "the CT image must be 3-D",
            expected="an array (z, y, x)",
            found=f"{arr.ndim}-D array {arr.shape}",
            fix="pass a volume; a single slice as shape (1, y, x)",
            field="ct",
        )
    if arr.dtype.kind not in "fiu" or arr.dtype == np.bool_:
        raise _fail(
            "the CT image has the wrong data type",
            expected="float32 HU (or an integer type)",
            found=str(arr.dtype),
            fix="read the CT with hsp_desktop.importers.read_ct",
            field="ct",
        )
    marr = np.asarray(mask.array)
    if marr.ndim != 3 or marr.shape != arr.shape:
        raise _fail(
            "mask and CT arrays differ in shape",
            expected=f"mask shape {arr.shape}",
            found=f"{marr.shape}",
            fix="resample the mask onto the CT grid (read_mask(..., reference=ct, resample=True))",
            field="mask",
        )
    if marr.dtype.kind not in "iub":
        raise _fail(
            "the mask has the wrong data type",
            expected="integer labels (uint8)",
            found=str(marr.dtype),
            fix="store the segmentation as a label map",
            field="mask",
        )
    for name, vals in (("spacing", ct.spacing), ("mask spacing", mask.spacing)):
        if len(vals) != 3 or any((not math.isfinite(float(v))) or float(v) <= 0 for v in vals):
            raise _fail(
                f"{name} is invalid",
                expected="3 positive sizes in mm",
                found=repr(tuple(vals)),
                fix="check the image header",
                field=name,
            )


def _check_label(mask: LabelMap, label: int) -> tuple[int, npt.NDArray[np.int64]]:
    n, box = label_box(mask.array, label)
    if n == 0:
        present = [int(v) for v in np.unique(mask.array) if v != 0]
        if not present:
            raise _fail(
                "the mask is empty (nothing is segmented)",
                expected=f"voxels with label {label}",
                found="only 0",
                fix="check the segmentation file",
                field="mask",
            )
        raise _fail(
            f"label {label} is not present in the mask",
            expected=f"label {label}",
            found=f"labels {present}",
            fix="choose one of the present labels with --label",
            field="label",
        )
    return n, box


def _check_roi(n: int, box: npt.NDArray[np.int64], s: ExtractionSettings, what: str) -> None:
    sizes = np.array([box[1] - box[0] + 1, box[3] - box[2] + 1, box[5] - box[4] + 1])
    ndims = int(np.sum(sizes > 1))
    if ndims == 0:
        raise _fail(
            f"the ROI{what} is a single voxel: features cannot be computed",
            expected="an ROI of at least 2 voxels",
            found="1 voxel",
            fix="check the segmentation and the label",
            field="mask",
        )
    if ndims < s.minimum_roi_dimensions:
        raise _fail(
            f"the ROI{what} has too few dimensions",
            expected=f">= {s.minimum_roi_dimensions} dimensions > 1 voxel",
            found=f"{ndims} (bounding box z,y,x {tuple(int(v) for v in sizes)})",
            fix="check the segmentation, or lower minimumROIDimensions",
            field="mask",
        )
    if s.minimum_roi_size is not None and n <= s.minimum_roi_size:
        raise _fail(
            f"the ROI{what} is too small",
            expected=f"more than {s.minimum_roi_size} voxels",
            found=f"{n} voxels",
            fix="check the segmentation, or lower minimumROISize",
            field="mask",
        )


def _box_slices(box: npt.NDArray[np.int64]) -> Slices:
    return (
        slice(int(box[0]), int(box[1]) + 1),
        slice(int(box[2]), int(box[3]) + 1),
        slice(int(box[4]), int(box[5]) + 1),
    )


def _resegment(values: npt.NDArray[np.floating], s: ExtractionSettings) -> npt.NDArray[np.bool_]:
    """Keep-mask over ``values`` (the ROI intensities, C order) after re-segmentation."""
    keep = np.ones(values.shape, dtype=np.bool_)
    if s.mode == "ibsi":
        if s.resegment_range is not None:
            rng = sorted(s.resegment_range)
            keep &= values >= rng[0]
            if len(rng) == 2:
                keep &= values <= rng[1]
        if s.remove_outliers is not None and not s.normalize:
            kept = values[keep].astype(np.float64)
            mu, sd = float(np.mean(kept)), float(np.std(kept))
            keep &= (values >= mu - s.remove_outliers * sd) & (values <= mu + s.remove_outliers * sd)
        return keep
    if s.resegment_range is None:
        return keep
    if s.resegment_mode == "absolute":
        thresholds = sorted(s.resegment_range)
    elif s.resegment_mode == "relative":
        top = np.max(values)
        thresholds = [top * th for th in sorted(s.resegment_range)]
    else:
        mean = np.mean(values)
        sd = np.std(values)
        thresholds = [mean + sd * th for th in sorted(s.resegment_range)]
    keep[keep] = values[keep] >= thresholds[0]
    if len(thresholds) == 2:
        keep[keep] = values[keep] <= thresholds[1]
    return keep


def prepare(
    ct: CtVolume, mask: LabelMap, settings: ExtractionSettings, label: int, threads: int = 1
) -> Prepared:
    """Run the preprocessing of ``settings.mode`` and return the ROI box.

    Parameters
    ----------
    ct : CtVolume
        The CT (HU).
    mask : LabelMap
        The label map on the CT grid.
    settings : ExtractionSettings
        Validated settings.
    label : int
        The ROI label.
    threads : int
        Threads sharing the resampling (the same numbers for any count).

    Returns
    -------
    Prepared

    Raises
    ------
    InputError
        Wrong dimensions or dtype, empty mask, missing label, single-voxel or too-small ROI, NaN/inf in the
        ROI box, an ROI emptied by re-segmentation, or a grid too large.
    """
    s = settings
    _check_inputs(ct, mask)
    n, box = _check_label(mask, label)
    image = np.asarray(ct.array)  # any stored pixel type: nothing here copies the whole volume
    grid = Grid.of(ct)
    diagnostics: dict[str, object] = {"roi_voxels_original": n}
    norm = None
    if s.normalize:
        lo, _hi, mean, sd, bad = image_stats(as_float(image))
        if bad:
            raise _fail(
                "the CT contains NaN or infinite voxels",
                expected="finite HU everywhere (normalisation reads the whole image)",
                found=f"{bad} non-finite voxels",
                fix="re-export the CT; check the importer",
                field="ct",
            )
        if sd == 0:
            raise _fail(
                "the CT is constant: it cannot be normalised",
                expected="an image with some contrast",
                found=f"all voxels {lo}",
                fix="turn normalize off",
                field="normalize",
            )
        norm = (-mean, 1.0 / sd, s.remove_outliers, float(s.normalize_scale))
        bound: float | None = float(np.max(np.abs(_normalise(np.array([lo, _hi]), norm))))
    elif image.dtype.kind == "f" and s.interpolator == "sitkBSpline" and s.resampled_spacing is not None:
        lo, _hi, _, _, _ = image_stats(image)
        bound = max(abs(lo), abs(_hi))
    else:
        bound = None  # integer types: the type's range
    labels = np.asarray(mask.array)
    if s.resampled_spacing is not None:
        source, roi_full = _resample(image, labels, grid, box, s, label, norm, bound, threads)
        n, box = label_box(roi_full, 1)
        if n == 0:
            raise _fail(
                "the ROI vanished when resampled",
                expected="an ROI larger than the new voxel size",
                found=f"0 voxels at spacing {s.resampled_spacing}",
                fix="use a finer resampledPixelSpacing",
                field="mask",
            )
        diagnostics["resampled_grid"] = source.shape
    else:
        sx, sy, sz = (float(v) for v in ct.spacing)
        ox, oy, oz = (float(v) for v in ct.origin)
        source = ImageSource(image, (sx, sy, sz), (ox, oy, oz), tuple(map(float, ct.direction)), norm)
        roi_full = None
    _check_roi(n, box, s, "")
    region = _box_slices(box)
    if roi_full is None:
        roi = labels[region] == label
    else:
        roi = roi_full[region].astype(np.bool_)
    values_box = source.region(region)
    values = values_box[roi]
    if not np.all(np.isfinite(values)):
        raise _fail(
            "the CT has NaN or infinite voxels inside the ROI",
            expected="finite HU",
            found=f"{int(np.sum(~np.isfinite(values)))} non-finite ROI voxels",
            fix="re-export the CT",
            field="ct",
        )
    shape_mask = roi
    keep = _resegment(values, s)
    if not keep.all():
        reseg = roi.copy()
        reseg[roi] = keep
        kept = int(keep.sum())
        if kept <= 1:
            raise _fail(
                "re-segmentation excluded (nearly) every ROI voxel",
                expected="at least 2 voxels in the range",
                found=f"{kept} voxel(s) left of {values.size}",
                fix="widen resegmentRange",
                field="resegmentRange",
            )
        n2, sub = label_box(reseg, 1)
        _check_roi(n2, sub, s, " after re-segmentation")
        inner = _box_slices(sub)
        region = tuple(slice(r.start + i.start, r.start + i.stop) for r, i in zip(region, inner, strict=True))  # type: ignore[assignment]
        roi = reseg[inner]
        if s.resegment_shape:
            shape_mask = roi
        elif s.mode == "pyradiomics":
            shape_mask = shape_mask[inner]  # PyRadiomics crops the shape mask to the re-segmented box
    diagnostics["roi_voxels"] = int(roi.sum())
    return Prepared(
        source, region, np.ascontiguousarray(roi), np.ascontiguousarray(shape_mask), s, diagnostics
    )


def _resample(
    image: npt.NDArray[np.floating],
    labels: npt.NDArray[np.integer],
    grid: Grid,
    box: npt.NDArray[np.int64],
    s: ExtractionSettings,
    label: int,
    norm: tuple[float, float, float | None, float] | None,
    bound: float | None,
    threads: int,
) -> tuple[ImageSource, npt.NDArray[np.uint8]]:
    assert s.resampled_spacing is not None
    bb = [
        int(box[4]),
        int(box[2]),
        int(box[0]),
        int(box[5] - box[4] + 1),
        int(box[3] - box[2] + 1),
        int(box[1] - box[0] + 1),
    ]
    if s.mode == "ibsi":
        whole = ibsi_grid(grid, s.resampled_spacing)
        # only the block around the ROI: ROI box mapped to the new grid plus a margin
        inv = np.linalg.inv(whole.matrix)
        lo_pt = np.asarray(grid.index_to_point([bb[0] - 1, bb[1] - 1, bb[2] - 1])) - np.asarray(whole.origin)
        hi_pt = np.asarray(grid.index_to_point([bb[0] + bb[3], bb[1] + bb[4], bb[2] + bb[5]])) - np.asarray(
            whole.origin
        )
        a, b = inv @ lo_pt, inv @ hi_pt
        pad = s.pad_distance
        start = [max(0, math.floor(min(a[i], b[i])) - pad) for i in range(3)]
        stop = [min(whole.size[i], math.ceil(max(a[i], b[i])) + 1 + pad) for i in range(3)]
        size = (stop[0] - start[0], stop[1] - start[1], stop[2] - start[2])
        dst = Grid(size, whole.spacing, whole.index_to_point(start), whole.direction)
    else:
        old = np.asarray(grid.spacing)
        new = np.where(np.asarray(s.resampled_spacing) == 0, old, np.asarray(s.resampled_spacing))
        new = np.where(np.asarray(bb[3:]) != 1, new, old)
        if np.allclose(old, new):
            # PyRadiomics: same spacing -> only crop to the ROI box plus padDistance
            pad = s.pad_distance
            lo = [max(0, bb[i] - pad) for i in range(3)]
            hi = [min(grid.size[i], bb[i] + bb[3 + i] + pad) for i in range(3)]
            sl = (slice(lo[2], hi[2]), slice(lo[1], hi[1]), slice(lo[0], hi[0]))
            values = image[sl] if norm is None else _normalise(image[sl], norm)
            origin = grid.index_to_point(lo)
            # PyRadiomics' "whole image" is now this cropped box (filters and image maxima use it)
            src = ImageSource(np.ascontiguousarray(values), grid.spacing, origin, grid.direction)
            return src, (labels[sl] == label).astype(np.uint8)
        dst = pyradiomics_grid(grid, bb, s.resampled_spacing, s.pad_distance)
    if dst.size[0] * dst.size[1] * dst.size[2] > MAX_GRID_VOXELS:
        raise _fail(
            "the resampled grid is too large",
            expected=f"at most {MAX_GRID_VOXELS} voxels",
            found=f"{dst.size} voxels (x, y, z)",
            fix="use a coarser resampledPixelSpacing",
            field="resampledPixelSpacing",
        )
    method = {"sitkLinear": LINEAR, "sitkNearestNeighbor": NEAREST, "sitkBSpline": BSPLINE}[s.interpolator]
    zs, ys, xs = input_block(grid, dst, (0, 0, 0), dst.shape)
    lab_region = labels[zs, ys, xs]

    def resample_mask() -> npt.NDArray[np.uint8]:
        if s.mode == "ibsi":
            share = (lab_region == label).astype(np.float64)
            frac = _resample_block(share, LINEAR, np.float64, grid, dst, (zs, ys, xs), None)
            return np.asarray(np.asarray(frac, dtype=np.float64) >= 0.5, dtype=np.uint8)
        labels_out = _resample_block(lab_region, NEAREST, np.uint32, grid, dst, (zs, ys, xs), None)
        return np.asarray(labels_out == label, dtype=np.uint8)

    # the mask is resampled on a second thread while this one resamples the image (the kernels release the GIL)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="radiomics-mask") as pool:
        mask_future = pool.submit(resample_mask)
        resampled = _resample_image(image, grid, dst, s, method, norm, bound, threads)
        roi = mask_future.result()
    return ImageSource(np.ascontiguousarray(resampled), dst.spacing, dst.origin, dst.direction), roi


def _resample_block(
    values: npt.NDArray[np.generic],
    method: int,
    dtype: npt.DTypeLike,
    grid: Grid,
    dst: Grid,
    block: Slices,
    bound: float | None,
    threads: int = 1,
) -> npt.NDArray[np.generic]:
    """``values`` (the input voxels of ``block``) resampled onto the whole of ``dst``."""
    zs, ys, xs = block
    return resample(
        values,
        in_origin=grid.origin,
        in_matrix=grid.matrix,
        out_origin=dst.origin,
        out_matrix=dst.matrix,
        out_size=dst.size,
        method=method,
        dtype=dtype,
        in_offset=(int(xs.start), int(ys.start), int(zs.start)),
        in_size=grid.size,
        bound=bound,
        threads=threads,
    )


def _resample_image(
    image: npt.NDArray[np.generic],
    grid: Grid,
    dst: Grid,
    s: ExtractionSettings,
    method: int,
    norm: tuple[float, float, float | None, float] | None,
    bound: float | None,
    threads: int,
) -> npt.NDArray[np.generic]:
    """The image on ``dst``, read from the block of the input it needs (B-spline: plus a margin).

    ``pyradiomics`` mode: SimpleITK's output keeps the input's pixel type, so an int16 CT comes back as ITK
    casts it (clamped to the type's range, truncated toward zero); a normalised image is float64.  ``ibsi``
    mode: interpolated intensities rounded to integers.
    """
    margin = BSPLINE_MARGIN if method == BSPLINE else 0
    while True:
        block = input_block(grid, dst, (0, 0, 0), dst.shape, margin)
        raw = image[block]
        if norm is not None:
            region: npt.NDArray[np.generic] = _normalise(raw, norm)
        else:
            # B-spline reads the stored type (its coefficients are doubles, as ITK's); the others float32
            region = raw if method == BSPLINE else as_float(raw)
        if region.dtype.kind == "f" and not np.all(np.isfinite(region)):
            raise _fail(
                "the CT has NaN or infinite voxels near the ROI",
                expected="finite HU",
                found=f"{int(np.sum(~np.isfinite(region)))} non-finite voxels",
                fix="re-export the CT",
                field="ct",
            )
        dtype: np.dtype[np.generic] = np.dtype(np.float64)
        if norm is None:
            dtype = as_float(raw[:0]).dtype if s.mode == "ibsi" else image.dtype
        try:
            values = _resample_block(region, method, dtype, grid, dst, block, bound, threads)
        except BlockTooSmall:
            if raw.shape == image.shape:
                raise
            margin *= 4  # a noise-free run (padding) reaches the cut edge: a larger block
            continue
        if s.mode == "ibsi":
            values = np.round(values.astype(np.float64))
        return values


def discretise(
    values_box: npt.NDArray[np.floating], roi: npt.NDArray[np.bool_], s: ExtractionSettings
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float64]]:
    """Discretise the ROI of one (filtered) image; levels are 0 outside the ROI.

    Parameters
    ----------
    values_box : ndarray (z, y, x)
        Intensities on the ROI box.
    roi : ndarray of bool
        The ROI on the same box.
    s : ExtractionSettings
        ``bin_width``/``bin_count``/``mode`` (and the re-segmentation lower bound in ``ibsi`` mode).

    Returns
    -------
    levels : ndarray of int32
    edges : ndarray of float64
    """
    vals = values_box[roi]
    lo = np.min(vals)
    hi = np.max(vals)
    if s.bin_count is not None:
        edges = bin_edges_fixed_count(lo, hi, s.bin_count)
        if s.mode == "ibsi":
            levels = _ibsi_fixed_count(values_box, roi, float(lo), float(hi), s.bin_count)
            return levels, edges
    elif s.mode == "ibsi":
        anchor = float(min(s.resegment_range)) if s.resegment_range is not None else float(lo)
        edges = bin_edges_fixed_width(lo, hi, s.bin_width, anchor=anchor)
    else:
        edges = bin_edges_fixed_width(lo, hi, s.bin_width)
    if len(edges) - 1 > MAX_GREY_LEVELS:
        raise _fail(
            "discretisation gives too many grey levels",
            expected=f"at most {MAX_GREY_LEVELS} bins",
            found=f"{len(edges) - 1} bins (range {float(lo):g}..{float(hi):g}, binWidth {s.bin_width:g})",
            fix="increase binWidth or use binCount",
            field="binWidth",
        )
    return digitize_roi(values_box, roi, edges), edges


def _ibsi_fixed_count(
    values: npt.NDArray[np.floating], roi: npt.NDArray[np.bool_], lo: float, hi: float, n_bins: int
) -> npt.NDArray[np.int32]:
    levels = np.zeros(values.shape, dtype=np.int32)
    v = values[roi].astype(np.float64)
    if hi > lo:
        g = np.floor(n_bins * (v - lo) / (hi - lo)).astype(np.int64) + 1
        g[v >= hi] = n_bins
    else:
        g = np.ones(v.shape, dtype=np.int64)
    levels[roi] = g
    return levels

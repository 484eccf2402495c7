"""Semi-automatic organ segmentation from one or a few clicks inside the organ.

Method (all on the CT grid):

1. **HU window suggested from the clicked region**: median and robust SD (1.4826 x MAD) of the smoothed HU within
   ``probe_mm`` of each seed; the window is ``median +/- k * SD`` (``k`` = :data:`WINDOW_K`).
2. **Edge-preserving smoothing**: a separable 3-point median along x, then y, then z (keeps step edges where they
   are, unlike a Gaussian, so the boundary is not shifted by a voxel); the window applies to the smoothed HU.
3. **Region growing**: the voxels inside the window connected to a seed (face connectivity), holes filled.  With
   a suggested window this is repeated :data:`REFINE_STEPS` times with the window re-estimated from the grown
   organ's own smoothed HU (confidence-connected growing, as ITK's ``ConfidenceConnectedImageFilter``).
4. **Leak cut** (the smoothness control, ``smoothness_mm``): erode by that radius (Euclidean, in mm), keep the
   parts that hold a seed, and restore the grown voxels within that radius of them.  Bridges to neighbouring
   structures thinner than about twice the radius are cut; the organ's own outline comes back.
5. **Boundary voxels**: face neighbours whose unsmoothed HU lie within the window widened by
   :data:`RIM_WIDEN` are added (the median can pull a convex corner voxel outside the window), then holes are
   filled in 3-D and slice by slice (hyperdense foci touching the surface).

The work is done inside a box around the seeds that grows until the region no longer touches its faces, and the
morphology only on the grown region's bounding box, so a 512 x 512 x 300 CT costs about as much as the organ's
neighbourhood.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from hsp_desktop.domain import CtVolume
from hsp_desktop.errors import InputError

__all__ = [
    "PROBE_MM",
    "WINDOW_K",
    "GrowResult",
    "Seed",
    "check_seeds",
    "grow_region",
    "suggest_window",
]

#: A seed in voxel indices of the CT: (i, j, k) = (column/x, row/y, slice/z).
Seed = tuple[int, int, int]

#: Radius (mm) of the region around each click whose HU suggest the window.
PROBE_MM = 8.0
#: Half-width of the suggested HU window in robust SDs of the clicked region.
WINDOW_K = 2.5
#: Smallest robust SD (HU) used for the window, so a very flat region still gets a usable window.
MIN_SD_HU = 4.0
#: The unsmoothed HU of a boundary voxel may lie this fraction of the half-window outside the window.
RIM_WIDEN = 0.5
#: Confidence-connected refinements of a suggested window (re-estimated from the grown organ).
REFINE_STEPS = 2
#: Default leak-cut radius (mm) and its upper limit.
SMOOTHNESS_MM = 5.0
MAX_SMOOTHNESS_MM = 15.0

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class GrowResult:
    """What :func:`grow_region` found.

    Attributes
    ----------
    mask : ndarray of bool, shape (z, y, x)
        The organ on the CT grid.
    window : (low, high)
        The HU window used.
    seeds : tuple of Seed
        The clicks, (i, j, k) voxel indices.
    smoothness_mm : float
        The leak-cut radius, mm.
    seconds : float
        Wall time of the growing.
    """

    mask: BoolArray
    window: tuple[float, float]
    seeds: tuple[Seed, ...]
    smoothness_mm: float
    seconds: float


def check_seeds(ct: CtVolume, seeds: Sequence[Seed]) -> tuple[Seed, ...]:
    """Return the seeds as int triples, or raise :class:`InputError` naming the first one outside the CT."""
    if not seeds:
        raise InputError(
            "Semi-automatic segmentation needs at least one click inside the organ",
            expected="one or more seeds i,j,k",
            found="none",
            fix="click inside the organ (or pass --seed I,J,K)",
            field="seed",
        )
    nz, ny, nx = ct.shape
    out = []
    for seed in seeds:
        i, j, k = (int(v) for v in seed)
        if not (0 <= i < nx and 0 <= j < ny and 0 <= k < nz):
            raise InputError(
                f"The seed {i},{j},{k} lies outside the CT",
                expected=f"0 <= i < {nx}, 0 <= j < {ny}, 0 <= k < {nz} (i column, j row, k slice)",
                found=f"{i},{j},{k}",
                fix="click inside the image, or give the seed in voxel indices of this CT",
                field="seed",
            )
        out.append((i, j, k))
    return tuple(out)


def _probe(ct: CtVolume, seed: Seed, probe_mm: float) -> npt.NDArray[np.float32]:
    """HU of the voxels within ``probe_mm`` of ``seed`` (an ellipsoid in voxels on an anisotropic grid)."""
    i, j, k = seed
    sx, sy, sz = ct.spacing
    rx, ry, rz = (max(1, math.floor(probe_mm / s)) for s in (sx, sy, sz))
    nz, ny, nx = ct.shape
    z0, z1 = max(0, k - rz), min(nz, k + rz + 1)
    y0, y1 = max(0, j - ry), min(ny, j + ry + 1)
    x0, x1 = max(0, i - rx), min(nx, i + rx + 1)
    zz, yy, xx = np.ogrid[z0:z1, y0:y1, x0:x1]
    inside = ((xx - i) * sx) ** 2 + ((yy - j) * sy) ** 2 + ((zz - k) * sz) ** 2 <= probe_mm**2
    # the window applies to smoothed HU: smooth the probe box with one voxel of context
    pz0, py0, px0 = max(0, z0 - 1), max(0, y0 - 1), max(0, x0 - 1)
    padded = np.asarray(ct.array[pz0 : min(nz, z1 + 1), py0 : min(ny, y1 + 1), px0 : min(nx, x1 + 1)])
    smooth = _median3(padded)
    block = smooth[z0 - pz0 : z1 - pz0, y0 - py0 : y1 - py0, x0 - px0 : x1 - px0]
    return np.asarray(block[inside], dtype=np.float32)


def _median3(block: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Separable 3-point median along each axis in turn (edges replicated), float32."""
    out = np.array(block, dtype=np.float32, copy=True)
    for axis in (2, 1, 0):
        if out.shape[axis] < 3:
            continue
        padded = np.concatenate([np.take(out, [0], axis=axis), out, np.take(out, [-1], axis=axis)], axis=axis)
        n = out.shape[axis]
        a = np.take(padded, np.arange(0, n), axis=axis)
        b = np.take(padded, np.arange(1, n + 1), axis=axis)
        c = np.take(padded, np.arange(2, n + 2), axis=axis)
        # median of three = max(min(a, b), min(max(a, b), c))
        out = np.maximum(np.minimum(a, b), np.minimum(np.maximum(a, b), c))
    return out


def suggest_window(
    ct: CtVolume, seeds: Sequence[Seed], *, probe_mm: float = PROBE_MM, k: float = WINDOW_K
) -> tuple[float, float]:
    """HU window suggested by the clicked region: median +/- ``k`` robust SDs of the voxels near the seeds.

    Parameters
    ----------
    ct : CtVolume
        The portal-venous CT.
    seeds : sequence of (i, j, k)
        Clicks inside the organ, voxel indices (column, row, slice).
    probe_mm : float
        Radius around each click whose voxels are used.
    k : float
        Half-width of the window in robust SDs.

    Returns
    -------
    (low, high) : tuple of float
        HU limits, rounded to whole HU.
    """
    seeds = check_seeds(ct, seeds)
    return _window_of(np.concatenate([_probe(ct, s, probe_mm) for s in seeds]), k)


def _box_around(
    seeds: Sequence[Seed], shape: tuple[int, int, int], half: tuple[int, int, int]
) -> tuple[slice, slice, slice]:
    """Index box (z, y, x) covering every seed with ``half`` voxels (x, y, z) of margin, clipped to the CT."""
    arr = np.asarray(seeds)
    lo = arr.min(axis=0) - np.asarray(half)
    hi = arr.max(axis=0) + np.asarray(half) + 1
    nz, ny, nx = shape
    return (
        slice(max(0, int(lo[2])), min(nz, int(hi[2]))),
        slice(max(0, int(lo[1])), min(ny, int(hi[1]))),
        slice(max(0, int(lo[0])), min(nx, int(hi[0]))),
    )


def _seed_component(mask: BoolArray, seeds: Sequence[Seed]) -> BoolArray:
    """The face-connected parts of ``mask`` that hold a seed (empty when no seed lies in the mask)."""
    from scipy import ndimage

    comp, _ = ndimage.label(mask)
    keep = {int(comp[k, j, i]) for i, j, k in seeds} - {0}
    if not keep:
        return np.zeros_like(mask)
    return np.isin(comp, sorted(keep))


def _fill_holes(mask: BoolArray) -> BoolArray:
    """Fill background enclosed in 3-D, then background enclosed within each axial slice."""
    from scipy import ndimage

    background = ~mask
    # 3-D: background not connected to the box's faces
    comp, _ = ndimage.label(background)
    faces = np.concatenate(
        [
            comp[0].ravel(),
            comp[-1].ravel(),
            comp[:, 0].ravel(),
            comp[:, -1].ravel(),
            comp[:, :, 0].ravel(),
            comp[:, :, -1].ravel(),
        ]
    )
    filled = mask | (background & ~np.isin(comp, np.unique(faces)))
    # 2-D per slice: label the background with in-slice connectivity only
    structure = np.zeros((3, 3, 3), dtype=bool)
    structure[1] = ndimage.generate_binary_structure(2, 1)
    comp, _ = ndimage.label(~filled, structure=structure)
    edges = np.concatenate(
        [comp[:, 0].ravel(), comp[:, -1].ravel(), comp[:, :, 0].ravel(), comp[:, :, -1].ravel()]
    )
    return np.asarray(filled | (~filled & ~np.isin(comp, np.unique(edges))), dtype=bool)


def _distance(
    mask: BoolArray, spacing: tuple[float, float, float], *, inside: bool
) -> npt.NDArray[np.float32]:
    """Signed Euclidean distance (mm) to the mask's surface voxels; positive inside when ``inside``."""
    import SimpleITK as sitk

    image = sitk.GetImageFromArray(mask.astype(np.uint8))
    image.SetSpacing(spacing)  # type: ignore[no-untyped-call]
    distance = sitk.SignedMaurerDistanceMap(  # type: ignore[no-untyped-call]
        image, insideIsPositive=inside, squaredDistance=False, useImageSpacing=True
    )
    return np.asarray(sitk.GetArrayFromImage(distance), dtype=np.float32)


def _grow_in_box(
    block: npt.NDArray[np.float32],
    smooth: npt.NDArray[np.float32],
    local_seeds: Sequence[Seed],
    window: tuple[float, float],
    smoothness_mm: float,
    spacing: tuple[float, float, float],
) -> BoolArray:
    """Steps 3-5 of the module docstring on one box of the CT."""
    from scipy import ndimage

    grown = _seed_component((smooth >= window[0]) & (smooth <= window[1]), local_seeds)
    out = np.zeros(block.shape, dtype=bool)
    if not grown.any():
        return out
    # work on the grown region's bounding box with room for the leak cut and the rim
    pad = [math.ceil(smoothness_mm / s) + 2 for s in (spacing[2], spacing[1], spacing[0])]
    found = ndimage.find_objects(grown.astype(np.uint8))[0]
    crop = tuple(
        slice(max(0, sl.start - p), min(n, sl.stop + p))
        for sl, p, n in zip(found, pad, block.shape, strict=True)
    )
    offset = (crop[2].start, crop[1].start, crop[0].start)
    seeds = [(i - offset[0], j - offset[1], k - offset[2]) for i, j, k in local_seeds]
    region = _fill_holes(grown[crop])
    if smoothness_mm > 0:
        # erosion by r: deeper than r inside the region
        core = _seed_component(_distance(region, spacing, inside=True) > smoothness_mm, seeds)
        if core.any():
            near = _distance(core, spacing, inside=False)
            # Maurer distances run between voxel centres of the two surfaces: a surface voxel of the region lies
            # one voxel farther from the core than the erosion radius
            region = _seed_component(region & (near <= smoothness_mm + max(spacing) + 1e-3), seeds)
    face = ndimage.generate_binary_structure(3, 1)
    rim = ndimage.binary_dilation(region, structure=face) & ~region
    low, high = _widen(window)
    raw = block[crop]
    region |= rim & (raw >= low) & (raw <= high)
    out[crop] = _fill_holes(region)
    return out


def _widen(window: tuple[float, float]) -> tuple[float, float]:
    pad = RIM_WIDEN * (window[1] - window[0]) / 2.0
    return window[0] - pad, window[1] + pad


def _window_of(values: npt.NDArray[np.float32], k: float) -> tuple[float, float]:
    median = float(np.median(values))
    sd = max(1.4826 * float(np.median(np.abs(values - median))), MIN_SD_HU)
    return float(round(median - k * sd)), float(round(median + k * sd))


def grow_region(
    ct: CtVolume,
    seeds: Sequence[Seed],
    *,
    window: tuple[float, float] | None = None,
    smoothness_mm: float = SMOOTHNESS_MM,
    margin_mm: float = 80.0,
    k: float = WINDOW_K,
) -> GrowResult:
    """Segment the organ around one or a few clicks (see the module docstring for the method).

    Parameters
    ----------
    ct : CtVolume
        The portal-venous CT.
    seeds : sequence of (i, j, k)
        Clicks inside the organ in voxel indices: i along x (columns), j along y (rows), k along slices.
    window : (low, high), optional
        HU limits; suggested from the clicked region (:func:`suggest_window`) when omitted.
    smoothness_mm : float
        Leak-cut radius in mm, 0-15 (0 = none; larger cuts thicker bridges to neighbours and rounds thin tips).
    margin_mm : float
        Initial half-size of the working box around the seeds; it grows until the organ fits.

    Returns
    -------
    GrowResult
        The mask on the CT grid with the window, seeds and smoothness used.

    Raises
    ------
    InputError
        No seed, a seed outside the CT, a window with low >= high, a seed outside the window, or a negative
        smoothness.
    """
    import time

    start = time.perf_counter()
    seeds = check_seeds(ct, seeds)
    if not 0.0 <= smoothness_mm <= MAX_SMOOTHNESS_MM:
        raise InputError(
            "The smoothness (leak-cut radius) is out of range",
            expected=f"0-{MAX_SMOOTHNESS_MM:g} mm",
            found=repr(smoothness_mm),
            fix="choose a smaller smoothness",
            field="smoothness",
        )
    refine = 0
    if window is None:
        window = suggest_window(ct, seeds, k=k)
        refine = REFINE_STEPS
    low, high = float(window[0]), float(window[1])
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise InputError(
            "The HU window must have a lower limit below its upper limit",
            expected="low < high (HU)",
            found=f"{low:g}..{high:g}",
            fix="widen the window",
            field="window",
        )
    nz, ny, nx = ct.shape
    half = [max(4, math.ceil(margin_mm / s)) for s in ct.spacing]
    while True:
        box = _box_around(seeds, ct.shape, (half[0], half[1], half[2]))
        block = np.ascontiguousarray(ct.array[box], dtype=np.float32)
        origin = (box[2].start, box[1].start, box[0].start)
        local = [(i - origin[0], j - origin[1], k - origin[2]) for i, j, k in seeds]
        smooth = _median3(block)
        win = (low, high)
        for _ in range(refine):
            # confidence-connected refinement: the window from the grown organ's own smoothed HU
            grown = _grow_in_box(block, smooth, local, win, smoothness_mm, ct.spacing)
            if grown.any():
                win = _window_of(smooth[grown], k)
        mask = _grow_in_box(block, smooth, local, win, smoothness_mm, ct.spacing)
        if not mask.any():
            raise InputError(
                "Nothing grew from the clicked point: its HU lie outside the window",
                expected=f"a click on tissue within {low:g}..{high:g} HU",
                found="an empty region",
                fix="click well inside the organ, or widen the window",
                field="seed",
            )
        touches = []
        for axis, (sl, n) in enumerate(zip(box, (nz, ny, nx), strict=True)):
            first = np.take(mask, 0, axis=axis).any() and sl.start > 0
            last = np.take(mask, -1, axis=axis).any() and sl.stop < n
            touches.append(first or last)
        if not any(touches):
            break
        # the organ reaches a face of the box that is not the CT's edge: enlarge along those axes and redo
        for axis, t in enumerate(touches):
            if t:
                half[2 - axis] *= 2
    full = np.zeros(ct.shape, dtype=bool)
    full[box] = mask
    return GrowResult(
        mask=full,
        window=win,
        seeds=seeds,
        smoothness_mm=smoothness_mm,
        seconds=time.perf_counter() - start,
    )

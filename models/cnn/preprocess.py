"""The one preprocessing function shared by CNN training and inference (NumPy only, no torch).

A spleen-centred cube is resampled onto a fixed isotropic grid and turned into a three-channel array:

==========  ==============================================================================================
channel     content
==========  ==============================================================================================
``ct``      HU clipped to ``hu_window`` *before* resampling, then mapped linearly onto [-1, 1]
``spleen``  fraction of each output voxel covered by the spleen label (0..1)
``liver``   fraction of each output voxel covered by the liver label (0..1; the context of the crop)
==========  ==============================================================================================

Resampling is separable and axis-aligned.  Along each axis the output sample at input-index coordinate ``c``
takes the tent-weighted mean of input voxels ``i`` with weights ``max(0, 1 - |i - c| / f)``, where
``f = max(1, out_spacing / in_spacing)``: plain linear interpolation when the input is coarser than the grid,
and an anti-aliasing average over the output voxel's footprint when it is finer (so a 0.7 mm and a 3 mm
acquisition give comparable arrays).  Everything is computed in float32 with element-wise gathers and sums
in a fixed order (no BLAS reductions whose order depends on the thread count), so the same inputs give the
same bits on every call, in training and in inference alike.

Space outside the scanned volume reads as air (``-1000 HU``, clipped to the window) and background labels.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from hsp_desktop.errors import GeometryError, InputError, SettingsError

#: Name and version of the preprocessing recorded in every CNN manifest; bump the version on any change
#: that alters the output array.
PREPROCESS_NAME = "spleen_centred_crop"
PREPROCESS_VERSION = "1.1.0"
CHANNELS: tuple[str, ...] = ("ct", "spleen", "liver")
AIR_HU = -1000.0

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class PreprocessSpec:
    """Parameters of :func:`preprocess_case` (frozen; validated once on construction).

    Attributes
    ----------
    grid : int
        Edge of the output cube in voxels (the CNN input is ``(3, grid, grid, grid)``).
    spacing_mm : float
        Isotropic output voxel size in mm; ``grid * spacing_mm`` is the field of view.
    hu_window : (float, float)
        HU range kept; values outside are clipped before resampling.
    spleen_label, liver_label : int
        Label values of spleen and liver in the label map.
    """

    grid: int = 48
    spacing_mm: float = 4.0
    hu_window: tuple[float, float] = (-150.0, 250.0)
    spleen_label: int = 1
    liver_label: int = 2

    def __post_init__(self) -> None:
        problems = []
        if not isinstance(self.grid, int) or isinstance(self.grid, bool) or not 8 <= self.grid <= 256:
            problems.append(("grid", "an integer in 8..256", repr(self.grid)))
        if not isinstance(self.spacing_mm, int | float) or not 0.25 <= float(self.spacing_mm) <= 20.0:
            problems.append(("spacing_mm", "a number in 0.25..20 mm", repr(self.spacing_mm)))
        lo_hi = tuple(self.hu_window)
        if len(lo_hi) != 2 or not all(isinstance(v, int | float) for v in lo_hi) or not lo_hi[0] < lo_hi[1]:
            problems.append(("hu_window", "two numbers (low, high) with low < high", repr(self.hu_window)))
        for name in ("spleen_label", "liver_label"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 255:
                problems.append((name, "an integer label in 1..255", repr(value)))
        if not problems and self.spleen_label == self.liver_label:
            problems.append(("liver_label", "a label different from spleen_label", repr(self.liver_label)))
        if problems:
            name, expected, found = problems[0]
            raise SettingsError(
                f"invalid CNN preprocessing setting '{name}'",
                expected=expected,
                found=found,
                fix="correct the value in the CNN preprocessing settings or the model manifest",
                field=name,
            )

    @property
    def input_shape(self) -> tuple[int, int, int, int]:
        """Shape of one preprocessed case, ``(channels, grid, grid, grid)``."""
        return (len(CHANNELS), self.grid, self.grid, self.grid)

    def as_dict(self) -> dict[str, Any]:
        """Return the manifest record: name, version, channels and every parameter."""
        params = asdict(self)
        params["hu_window"] = [float(self.hu_window[0]), float(self.hu_window[1])]
        params["spacing_mm"] = float(self.spacing_mm)
        return {
            "name": PREPROCESS_NAME,
            "version": PREPROCESS_VERSION,
            "function": "models.cnn.preprocess.preprocess_case",
            "channels": list(CHANNELS),
            "parameters": params,
        }

    @classmethod
    def from_dict(cls, record: Mapping[str, Any]) -> PreprocessSpec:
        """Rebuild a spec from a manifest record, refusing another preprocessing name or version.

        Raises
        ------
        SettingsError
            When the record names another preprocessing, version or has unknown/missing parameters.
        """
        name = record.get("name")
        version = record.get("version")
        if name != PREPROCESS_NAME or version != PREPROCESS_VERSION:
            raise SettingsError(
                "the model was built with another CNN preprocessing",
                expected=f"{PREPROCESS_NAME} {PREPROCESS_VERSION}",
                found=f"{name} {version}",
                fix="install a model exported by this version of HSP Desktop, or update HSP Desktop",
                field="preprocessing",
            )
        params = record.get("parameters")
        known = {"grid", "spacing_mm", "hu_window", "spleen_label", "liver_label"}
        if not isinstance(params, Mapping) or set(params) != known:
            found = sorted(params) if isinstance(params, Mapping) else repr(params)
            raise SettingsError(
                "the CNN preprocessing parameters in the manifest are incomplete or unknown",
                expected=f"exactly {sorted(known)}",
                found=str(found),
                fix="re-export the model; do not edit manifest.json by hand",
                field="preprocessing.parameters",
            )
        window = params["hu_window"]
        return cls(
            grid=params["grid"],
            spacing_mm=params["spacing_mm"],
            hu_window=(window[0], window[1]) if isinstance(window, Sequence) and len(window) == 2 else window,
            spleen_label=params["spleen_label"],
            liver_label=params["liver_label"],
        )


def _axis_permutation(direction: Sequence[float]) -> tuple[tuple[int, ...], tuple[bool, ...]]:
    """Return how to reorder/flip a (z, y, x) array so that it is in identity (LPS) orientation.

    Only signed permutation matrices (axis-aligned scans) are accepted.
    """
    d = np.asarray(direction, dtype=np.float64)
    if d.shape != (9,) or not np.all(np.isfinite(d)):
        raise GeometryError(
            "the image direction must be 9 finite numbers",
            expected="a 3x3 row-major direction cosine matrix",
            found=repr(tuple(direction)),
            fix="re-export the CT with valid orientation metadata",
            field="direction",
        )
    m = d.reshape(3, 3)  # columns: physical direction of image axes x, y, z
    rounded = np.round(m)
    if not np.allclose(m, rounded, atol=1e-3) or not np.allclose(np.abs(rounded).sum(axis=0), 1.0):
        raise GeometryError(
            "the CT is not axis-aligned (oblique or tilted acquisition)",
            expected="an axial scan whose direction matrix is a signed permutation",
            found=repr(tuple(float(v) for v in d)),
            fix="resample the CT and mask onto an axial grid before scoring",
            field="direction",
        )
    # image axis k (x=0,y=1,z=2) runs along physical axis phys[k] with sign sgn[k]
    phys = [int(np.argmax(np.abs(rounded[:, k]))) for k in range(3)]
    sgn = [bool(rounded[phys[k], k] < 0) for k in range(3)]
    # array axis a (z=0,y=1,x=2) is image axis 2-a; the output array axis b is physical axis 2-b
    order = tuple(2 - phys.index(2 - b) for b in range(3))
    flips = tuple(sgn[2 - order[b]] for b in range(3))
    return order, flips


def _tent_weights(start: float, step: float, n_out: int) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Gather indices and weights along one axis (indices relative to the padded range ``lo..hi``)."""
    centres = start + step * np.arange(n_out, dtype=np.float64)
    f = max(1.0, step)
    half = int(np.ceil(f))
    base = np.floor(centres).astype(np.int64)
    offsets = np.arange(-half, half + 2, dtype=np.int64)
    idx = base[:, None] + offsets[None, :]
    w = np.maximum(0.0, 1.0 - np.abs(idx.astype(np.float64) - centres[:, None]) / f)
    w /= w.sum(axis=1, keepdims=True)
    used = np.any(w > 0.0, axis=0)  # drop tap columns that are zero for every output sample
    idx, w = idx[:, used], w[:, used]
    lo = int(idx.min())
    hi = int(idx.max()) + 1
    return idx - lo, w, lo, hi


def _crop_padded(
    array: npt.NDArray[Any], ranges: Sequence[tuple[int, int]], fill: float, dtype: type[np.generic]
) -> npt.NDArray[Any]:
    """Return ``array[lo:hi, ...]`` for each axis as ``dtype``, padding with ``fill`` outside the array."""
    out = np.full(tuple(hi - lo for lo, hi in ranges), fill, dtype=dtype)
    src = []
    dst = []
    for (lo, hi), n in zip(ranges, array.shape, strict=True):
        a, b = max(lo, 0), min(hi, n)
        if a >= b:
            return out
        src.append(slice(a, b))
        dst.append(slice(a - lo, b - lo))
    out[tuple(dst)] = array[tuple(src)]
    return out


def _axis_order(shape: Sequence[int], gathers: Sequence[tuple[np.ndarray, np.ndarray]]) -> tuple[int, ...]:
    """The order of the three per-axis passes that needs the fewest multiply-adds (ties: lowest order first).

    A deterministic function of the shapes alone, so equal inputs always take the same path.
    """
    best: tuple[int, tuple[int, ...]] | None = None
    for order in itertools.permutations(range(3)):
        dims = list(shape)
        cost = 0
        for axis in order:
            n_out, taps = gathers[axis][0].shape
            dims[axis] = n_out
            cost += taps * int(np.prod(dims))
        if best is None or cost < best[0]:
            best = (cost, order)
    assert best is not None
    return best[1]


def _resample(
    sub: npt.NDArray[np.float32], gathers: Sequence[tuple[np.ndarray, np.ndarray]]
) -> npt.NDArray[np.float32]:
    """Apply the per-axis gathers to a padded sub-volume by element-wise weighted sums.

    The axes are processed in the cheapest order (:func:`_axis_order`); each output element is accumulated
    tap by tap in a fixed order, so the result does not depend on threads or memory layout.
    """
    out = sub
    for axis in _axis_order(sub.shape, gathers):
        idx, w = gathers[axis]
        shape = [1, 1, 1]
        shape[axis] = idx.shape[0]
        acc = np.take(out, idx[:, 0], axis=axis)
        acc *= w[:, 0].reshape(shape)
        for k in range(1, idx.shape[1]):
            term = np.take(out, idx[:, k], axis=axis)
            term *= w[:, k].reshape(shape)
            acc += term
        out = acc
    return out


def _centre_of_mass(spleen: npt.NDArray[np.bool_]) -> npt.NDArray[np.float64]:
    """Exact voxel-index centre of mass (z, y, x) of a boolean mask, from integer projections."""
    pz = np.count_nonzero(spleen, axis=(1, 2))
    z_nonzero = np.flatnonzero(pz)
    z0, z1 = int(z_nonzero[0]), int(z_nonzero[-1]) + 1
    band = spleen[z0:z1]
    py = np.count_nonzero(band, axis=(0, 2))
    px = np.count_nonzero(band, axis=(0, 1))
    total = float(pz.sum())
    return np.array(
        [
            float(np.dot(np.arange(pz.size, dtype=np.int64), pz)) / total,
            float(np.dot(np.arange(py.size, dtype=np.int64), py)) / total,
            float(np.dot(np.arange(px.size, dtype=np.int64), px)) / total,
        ]
    )


def preprocess_case(
    ct: npt.ArrayLike,
    mask: npt.ArrayLike,
    spacing: Sequence[float],
    spec: PreprocessSpec | None = None,
    *,
    direction: Sequence[float] | None = None,
) -> FloatArray:
    """Turn one CT and its label map into the CNN input array.

    Parameters
    ----------
    ct : array_like, shape (z, y, x)
        CT in Hounsfield units (any real dtype).
    mask : array_like, shape (z, y, x)
        Integer label map on the same grid (``spec.spleen_label``, ``spec.liver_label``).
    spacing : (sx, sy, sz)
        Voxel size in mm, SimpleITK (x, y, z) order.
    spec : PreprocessSpec, optional
        Grid, spacing, HU window and labels (defaults: 48^3 at 4 mm, window -150..250 HU).
    direction : 9 floats, optional
        Row-major direction matrix; axis-aligned flips/permutations are undone so that every case reaches
        the CNN in the same (LPS) orientation.  Oblique scans are refused.

    Returns
    -------
    ndarray, float32, shape (3, grid, grid, grid)
        Channels ``ct`` (window mapped to [-1, 1]), ``spleen`` and ``liver`` (voxel fractions), centred on the
        spleen's centre of mass, C-contiguous.

    Raises
    ------
    InputError
        Wrong dimensions, non-finite HU or spacing, or a mask without spleen voxels.
    GeometryError
        CT and mask shapes differ, or the scan is oblique.
    """
    spec = spec or PreprocessSpec()
    ct_arr = np.asarray(ct)
    mask_arr = np.asarray(mask)
    if ct_arr.ndim != 3:
        raise InputError(
            "the CT must be a 3-D volume",
            expected="an array of shape (z, y, x)",
            found=f"{ct_arr.ndim} dimensions {ct_arr.shape}",
            fix="pass the whole CT series, not a single slice or a 4-D series",
            field="ct",
        )
    if not (np.issubdtype(ct_arr.dtype, np.integer) or np.issubdtype(ct_arr.dtype, np.floating)):
        raise InputError(
            "the CT must hold numbers (HU)",
            expected="an integer or floating array",
            found=str(ct_arr.dtype),
            fix="read the CT with hsp_desktop.importers.read_ct",
            field="ct",
        )
    if mask_arr.shape != ct_arr.shape:
        raise GeometryError(
            "CT and mask have different grids",
            expected=f"mask shape {ct_arr.shape} (the CT's)",
            found=f"mask shape {mask_arr.shape}",
            fix="re-export the mask from the same CT series",
            field="mask",
        )
    if not np.issubdtype(mask_arr.dtype, np.integer) and not np.issubdtype(mask_arr.dtype, np.bool_):
        raise InputError(
            "the mask must be an integer label map",
            expected="integer labels (1 = spleen, 2 = liver)",
            found=str(mask_arr.dtype),
            fix="export the segmentation as a label map, not a probability map",
            field="mask",
        )
    sp = np.asarray(spacing, dtype=np.float64)
    if sp.shape != (3,) or not np.all(np.isfinite(sp)) or not np.all(sp > 0):
        raise InputError(
            "the voxel spacing must be three positive numbers (x, y, z) in mm",
            expected="e.g. (0.7, 0.7, 2.5)",
            found=repr(tuple(spacing)),
            fix="check the image header",
            field="spacing",
        )
    if np.issubdtype(ct_arr.dtype, np.floating) and not np.all(np.isfinite(ct_arr)):
        raise InputError(
            "the CT contains NaN or infinite values",
            expected="finite HU values",
            found=f"{int(np.count_nonzero(~np.isfinite(ct_arr)))} non-finite voxels",
            fix="re-export the CT; check the rescale slope/intercept",
            field="ct",
        )

    spacing_zyx = sp[::-1].copy()
    if direction is not None:
        order, flips = _axis_permutation(direction)
        ct_arr = np.transpose(ct_arr, order)
        mask_arr = np.transpose(mask_arr, order)
        spacing_zyx = spacing_zyx[list(order)]
        flip_axes = tuple(a for a in range(3) if flips[a])
        if flip_axes:
            ct_arr = np.flip(ct_arr, axis=flip_axes)
            mask_arr = np.flip(mask_arr, axis=flip_axes)

    spleen = mask_arr == spec.spleen_label
    if not spleen.any():
        raise InputError(
            "the mask has no spleen voxels",
            expected=f"label {spec.spleen_label} (spleen) present",
            found=f"labels {sorted(int(v) for v in np.unique(mask_arr))}",
            fix="segment the spleen (label 1) on this CT",
            field="mask",
        )
    centre = _centre_of_mass(spleen)  # array index space (z, y, x)

    n_out = spec.grid
    step = float(spec.spacing_mm) / spacing_zyx  # input voxels per output voxel, per axis
    starts = centre - step * (n_out - 1) / 2.0
    gathers = []
    ranges = []
    for axis in range(3):
        idx, w, lo, hi = _tent_weights(float(starts[axis]), float(step[axis]), n_out)
        gathers.append((idx, w.astype(np.float32)))
        ranges.append((lo, hi))

    lo_hu, hi_hu = float(spec.hu_window[0]), float(spec.hu_window[1])
    ct_sub = _crop_padded(ct_arr, ranges, AIR_HU, np.float32)
    np.clip(ct_sub, lo_hu, hi_hu, out=ct_sub)
    labels_sub = _crop_padded(mask_arr, ranges, 0, mask_arr.dtype.type)

    out = np.empty(spec.input_shape, dtype=np.float32)
    ct_res = _resample(ct_sub, gathers)
    out[0] = (ct_res - np.float32((lo_hu + hi_hu) / 2.0)) / np.float32((hi_hu - lo_hu) / 2.0)
    out[1] = _resample((labels_sub == spec.spleen_label).astype(np.float32), gathers)
    out[2] = _resample((labels_sub == spec.liver_label).astype(np.float32), gathers)
    return out


def preprocess_batch(
    cases: Sequence[tuple[npt.ArrayLike, npt.ArrayLike, Sequence[float], Sequence[float] | None]],
    spec: PreprocessSpec | None = None,
) -> FloatArray:
    """Stack :func:`preprocess_case` over ``(ct, mask, spacing, direction)`` tuples into ``(N, 3, g, g, g)``."""
    spec = spec or PreprocessSpec()
    out = np.empty((len(cases), *spec.input_shape), dtype=np.float32)
    for i, (ct, mask, spacing, direction) in enumerate(cases):
        out[i] = preprocess_case(ct, mask, spacing, spec, direction=direction)
    return out

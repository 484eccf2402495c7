"""Editing a label map: pure functions on label arrays, and an undo/redo history that records every edit.

Every tool takes a label array (z, y, x) and returns a new one; it changes only voxels of the chosen label and
background, never another organ's voxels.  Brush tools work in one plane of the CT:

* ``"axial"``: a slice ``k`` (z), brush centre (row j, column i);
* ``"coronal"``: a row ``j`` (y), brush centre (slice k, column i);
* ``"sagittal"``: a column ``i`` (x), brush centre (slice k, row j).

The brush is a disc of ``radius_mm`` in physical millimetres (so it is round on anisotropic voxels).
:class:`EditHistory` applies tools, keeps the changed voxels of each step for undo/redo, and records each edit
(who, when, which tool) in the mask's :class:`~hsp_desktop.segmentation.provenance.MaskProvenance`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from hsp_desktop.errors import InputError
from hsp_desktop.segmentation.provenance import EditRecord, MaskProvenance, now_utc

__all__ = [
    "PLANES",
    "EditHistory",
    "Plane",
    "erase",
    "fill_holes",
    "keep_largest",
    "paint",
    "replace_label",
    "smooth",
    "threshold_paint",
]

Plane = Literal["axial", "coronal", "sagittal"]
PLANES: tuple[Plane, ...] = ("axial", "coronal", "sagittal")
LabelArray = npt.NDArray[np.uint8]
Spacing = tuple[float, float, float]


def _check_plane(plane: str) -> Plane:
    if plane not in PLANES:
        raise InputError(
            f"Unknown plane {plane!r}",
            expected=", ".join(PLANES),
            found=repr(plane),
            fix="choose one of the three planes",
            field="plane",
        )
    return plane  # type: ignore[return-value]


def _check_label(label: int) -> int:
    if not 1 <= int(label) <= 255:
        raise InputError(
            "Edits need an organ label",
            expected="a label 1-255 (1 spleen, 2 liver)",
            found=repr(label),
            fix="choose the organ to edit",
            field="label",
        )
    return int(label)


def _disc(
    shape: tuple[int, int, int],
    spacing: Spacing,
    plane: Plane,
    index: int,
    centre: tuple[int, int],
    radius_mm: float,
) -> tuple[tuple[slice | int, ...], npt.NDArray[np.bool_]]:
    """Index of the plane box and the disc inside it."""
    nz, ny, nx = shape
    sx, sy, sz = spacing
    if plane == "axial":
        dims, steps, limit = (ny, nx), (sy, sx), nz
    elif plane == "coronal":
        dims, steps, limit = (nz, nx), (sz, sx), ny
    else:
        dims, steps, limit = (nz, ny), (sz, sy), nx
    if not 0 <= index < limit:
        raise InputError(
            f"The {plane} slice {index} is outside the CT",
            expected=f"0-{limit - 1}",
            found=str(index),
            fix="paint on a slice of the image",
            field="index",
        )
    if not (radius_mm > 0):
        raise InputError(
            "The brush radius must be positive",
            expected="radius > 0 mm",
            found=repr(radius_mm),
            fix="choose a larger brush",
            field="radius_mm",
        )
    ru = max(0, int(radius_mm / steps[0]))
    rv = max(0, int(radius_mm / steps[1]))
    u0, v0 = int(centre[0]), int(centre[1])
    ulo, uhi = max(0, u0 - ru), min(dims[0], u0 + ru + 1)
    vlo, vhi = max(0, v0 - rv), min(dims[1], v0 + rv + 1)
    uu = (np.arange(ulo, uhi) - u0)[:, None] * steps[0]
    vv = (np.arange(vlo, vhi) - v0)[None, :] * steps[1]
    disc = uu**2 + vv**2 <= radius_mm**2 + 1e-9
    if plane == "axial":
        return (index, slice(ulo, uhi), slice(vlo, vhi)), disc
    if plane == "coronal":
        return (slice(ulo, uhi), index, slice(vlo, vhi)), disc
    return (slice(ulo, uhi), slice(vlo, vhi), index), disc


def paint(
    array: LabelArray,
    spacing: Spacing,
    plane: str,
    index: int,
    centre: tuple[int, int],
    radius_mm: float,
    label: int,
) -> LabelArray:
    """Paint a disc of ``label`` on one slice of a plane (background and ``label`` voxels only)."""
    label = _check_label(label)
    box, disc = _disc(array.shape, spacing, _check_plane(plane), index, centre, radius_mm)
    out = array.copy()
    view = out[box]
    view[disc & (view == 0)] = label
    return out


def erase(
    array: LabelArray,
    spacing: Spacing,
    plane: str,
    index: int,
    centre: tuple[int, int],
    radius_mm: float,
    label: int,
) -> LabelArray:
    """Erase ``label`` inside a disc on one slice of a plane (other labels untouched)."""
    label = _check_label(label)
    box, disc = _disc(array.shape, spacing, _check_plane(plane), index, centre, radius_mm)
    out = array.copy()
    view = out[box]
    view[disc & (view == label)] = 0
    return out


def threshold_paint(
    array: LabelArray,
    ct: npt.NDArray[np.float32],
    spacing: Spacing,
    plane: str,
    index: int,
    centre: tuple[int, int],
    radius_mm: float,
    label: int,
    window: tuple[float, float],
) -> LabelArray:
    """Paint ``label`` inside a disc only where the CT's HU lie within ``window`` (low, high)."""
    label = _check_label(label)
    if ct.shape != array.shape:
        raise InputError(
            "Threshold painting needs the CT the mask is drawn on",
            expected=f"a CT of shape {array.shape}",
            found=f"shape {ct.shape}",
            fix="open the mask with its own CT",
            field="ct",
        )
    box, disc = _disc(array.shape, spacing, _check_plane(plane), index, centre, radius_mm)
    out = array.copy()
    view = out[box]
    hu = ct[box]
    view[disc & (view == 0) & (hu >= window[0]) & (hu <= window[1])] = label
    return out


def fill_holes(array: LabelArray, label: int) -> LabelArray:
    """Fill the background holes enclosed by ``label`` (3-D, then slice by slice for holes open at the ends)."""
    from scipy import ndimage

    label = _check_label(label)
    mask = array == label
    filled = ndimage.binary_fill_holes(mask)
    for z in range(filled.shape[0]):
        if filled[z].any():
            filled[z] = ndimage.binary_fill_holes(filled[z])
    out = array.copy()
    out[filled & (array == 0)] = label
    return out


def keep_largest(array: LabelArray, label: int) -> LabelArray:
    """Keep only the largest face-connected island of ``label``."""
    from scipy import ndimage

    label = _check_label(label)
    mask = array == label
    comp, n = ndimage.label(mask)
    out = array.copy()
    if n > 1:
        sizes = np.bincount(comp.ravel())
        sizes[0] = 0
        out[mask & (comp != int(np.argmax(sizes)))] = 0
    return out


def smooth(array: LabelArray, spacing: Spacing, label: int, sigma_mm: float = 1.5) -> LabelArray:
    """Smooth the outline of ``label``: Gaussian of the mask (``sigma_mm``) cut at one half."""
    from scipy import ndimage

    label = _check_label(label)
    if not (sigma_mm > 0):
        raise InputError(
            "The smoothing width must be positive",
            expected="sigma > 0 mm",
            found=repr(sigma_mm),
            fix="choose a positive width",
            field="sigma_mm",
        )
    sigma = (sigma_mm / spacing[2], sigma_mm / spacing[1], sigma_mm / spacing[0])
    mask = array == label
    soft = ndimage.gaussian_filter(mask.astype(np.float32), sigma=sigma, mode="constant")
    new = soft >= 0.5
    out = array.copy()
    out[mask & ~new] = 0
    out[new & (array == 0)] = label
    return out


def replace_label(array: LabelArray, mask: npt.NDArray[np.bool_], label: int) -> LabelArray:
    """Make ``label`` exactly ``mask`` (e.g. a new semi-automatic result), leaving other labels' voxels alone."""
    label = _check_label(label)
    if mask.shape != array.shape:
        raise InputError(
            "The new organ mask is on another grid than the label map",
            expected=f"shape {array.shape}",
            found=f"shape {mask.shape}",
            fix="segment on the CT the mask belongs to",
            field="mask",
        )
    out = array.copy()
    out[out == label] = 0
    out[mask & (out == 0)] = label
    return out


@dataclass(frozen=True)
class _Step:
    flat: npt.NDArray[np.intp]
    before: LabelArray
    after: LabelArray
    record: EditRecord


class EditHistory:
    """A label array being edited, with undo/redo and the provenance of every edit.

    Parameters
    ----------
    array : ndarray of uint8
        The starting labels (copied).
    provenance : MaskProvenance
        How the starting labels were made; every applied edit is appended, an undo removes it.
    spacing : (sx, sy, sz)
        Voxel size, mm (for volumes and brushes).
    """

    def __init__(self, array: LabelArray, provenance: MaskProvenance, spacing: Spacing) -> None:
        self._array = np.array(array, dtype=np.uint8, copy=True)
        self.provenance = provenance
        self.spacing = spacing
        self._undo: list[_Step] = []
        self._redo: list[_Step] = []

    @property
    def array(self) -> LabelArray:
        """The current labels (read-only view)."""
        view = self._array.view()
        view.flags.writeable = False
        return view

    def volume_ml(self, label: int) -> float:
        """Volume of ``label`` in millilitres."""
        sx, sy, sz = self.spacing
        return int(np.count_nonzero(self._array == label)) * sx * sy * sz / 1000.0

    @property
    def can_undo(self) -> bool:
        """True when there is an edit to undo."""
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        """True when there is an undone edit to redo."""
        return bool(self._redo)

    def apply(
        self,
        tool: str,
        function: Callable[..., LabelArray],
        *args: Any,
        user: str,
        label: int,
        params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> int:
        """Apply ``function(array, *args, **kwargs)`` as one edit; return the number of voxels changed.

        An edit that changes nothing is not recorded.  Applying an edit clears the redo list.
        """
        new = function(self._array, *args, **kwargs)
        changed = np.flatnonzero(new.ravel() != self._array.ravel())
        if changed.size == 0:
            return 0
        record = EditRecord(
            user=user,
            time=now_utc(),
            tool=tool,
            label=int(label),
            params=dict(params or {}),
            voxels_changed=int(changed.size),
        )
        step = _Step(changed, self._array.ravel()[changed].copy(), new.ravel()[changed].copy(), record)
        self._array.ravel()[changed] = step.after
        self._undo.append(step)
        self._redo.clear()
        self.provenance = self.provenance.with_edit(record)
        return int(changed.size)

    def undo(self) -> bool:
        """Undo the last edit; False when there is none."""
        if not self._undo:
            return False
        step = self._undo.pop()
        self._array.ravel()[step.flat] = step.before
        self._redo.append(step)
        self.provenance = self.provenance.without_last_edit()
        return True

    def redo(self) -> bool:
        """Redo the last undone edit; False when there is none."""
        if not self._redo:
            return False
        step = self._redo.pop()
        self._array.ravel()[step.flat] = step.after
        self._undo.append(step)
        self.provenance = self.provenance.with_edit(step.record)
        return True

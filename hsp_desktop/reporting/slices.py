"""CT key slices through the spleen with its outline, as PNG images for the patient report.

The axial slice is the one with the largest spleen cross-section; the coronal slice passes through the spleen's
centroid.  Display follows the radiological convention (patient's left on the viewer's right, anterior up on axial,
superior up on coronal) for volumes whose direction matrix is diagonal, which is what the importers produce.
"""

from __future__ import annotations

import io

import numpy as np
import numpy.typing as npt

from hsp_desktop.domain import CtVolume, LabelMap
from hsp_desktop.errors import GeometryError, InputError
from hsp_desktop.reporting.inputs import KeySlices, SliceImage

#: Soft-tissue window (level 40 HU, width 400 HU).
WINDOW_LEVEL = 40.0
WINDOW_WIDTH = 400.0
OUTLINE_RGB = (255, 215, 0)


def key_slices(ct: CtVolume, mask: LabelMap, label: int = 1) -> KeySlices:
    """Return the axial and coronal key slices of ``label`` (default spleen) on ``ct``.

    Raises
    ------
    GeometryError
        When the mask is not on the CT grid.
    InputError
        When the mask holds no voxel of ``label``.
    """
    if ct.shape != mask.shape:
        raise GeometryError(
            "CT and mask grids differ",
            expected=f"mask shape {ct.shape} (z, y, x)",
            found=f"{mask.shape}",
            fix="export the mask from the same CT series",
            field="mask",
        )
    roi = mask.array == label
    if not roi.any():
        raise InputError(
            f"The mask holds no voxel with label {label}",
            expected=f"label {label} ({mask.labels.get(label, 'spleen')})",
            found=f"labels {sorted(int(v) for v in np.unique(mask.array))}",
            fix="check the segmentation or the label number",
            field="mask",
        )
    sx, sy, sz = (float(s) for s in ct.spacing)
    flip_x = ct.direction[0] < 0
    flip_y = ct.direction[4] < 0
    flip_z = ct.direction[8] < 0
    z_area = roi.sum(axis=(1, 2))
    z = int(np.argmax(z_area))
    y = round(float(np.nonzero(roi)[1].mean()))

    axial_hu = ct.array[z]
    axial_mask = roi[z]
    if flip_y:
        axial_hu, axial_mask = axial_hu[::-1], axial_mask[::-1]
    if flip_x:
        axial_hu, axial_mask = axial_hu[:, ::-1], axial_mask[:, ::-1]

    coronal_hu = ct.array[:, y, :]
    coronal_mask = roi[:, y, :]
    if not flip_z:  # index 0 is inferior: put superior on top
        coronal_hu, coronal_mask = coronal_hu[::-1], coronal_mask[::-1]
    if flip_x:
        coronal_hu, coronal_mask = coronal_hu[:, ::-1], coronal_mask[:, ::-1]

    z_mm = ct.origin[2] + z * sz * (1.0 if not flip_z else -1.0)
    return KeySlices(
        axial=SliceImage(
            np.ascontiguousarray(axial_hu, dtype=np.float32),
            np.ascontiguousarray(axial_mask),
            row_mm=sy,
            col_mm=sx,
            position=f"z = {z_mm:.1f} mm (slice {z + 1}/{ct.shape[0]})",
        ),
        coronal=SliceImage(
            np.ascontiguousarray(coronal_hu, dtype=np.float32),
            np.ascontiguousarray(coronal_mask),
            row_mm=sz,
            col_mm=sx,
            position=f"row {y + 1}/{ct.shape[1]}",
        ),
    )


def _outline(mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """Boundary pixels of a binary mask (4-neighbour erosion), thickened by one pixel."""
    inner = mask.copy()
    inner[1:, :] &= mask[:-1, :]
    inner[:-1, :] &= mask[1:, :]
    inner[:, 1:] &= mask[:, :-1]
    inner[:, :-1] &= mask[:, 1:]
    edge = mask & ~inner
    thick = edge.copy()
    thick[1:, :] |= edge[:-1, :]
    thick[:, 1:] |= edge[:, :-1]
    return thick


def _crop_box(image: SliceImage, margin: int = 8) -> tuple[slice, slice]:
    """Bounding box of the body (HU > -500), so the spleen is not lost in air."""
    body = image.hu > -500.0
    if not body.any():
        return slice(None), slice(None)
    rows = np.nonzero(body.any(axis=1))[0]
    cols = np.nonzero(body.any(axis=0))[0]
    r0, r1 = max(int(rows[0]) - margin, 0), min(int(rows[-1]) + margin + 1, body.shape[0])
    c0, c1 = max(int(cols[0]) - margin, 0), min(int(cols[-1]) + margin + 1, body.shape[1])
    return slice(r0, r1), slice(c0, c1)


def slice_png(image: SliceImage) -> tuple[bytes, float, float]:
    """Render a slice in the soft-tissue window with the spleen outline.

    Returns
    -------
    png : bytes
        The PNG image.
    width_mm, height_mm : float
        Physical size of the (cropped) image, to draw it with the true aspect ratio.
    """
    from PIL import Image

    rows, cols = _crop_box(image)
    hu = image.hu[rows, cols]
    mask = image.mask[rows, cols]
    lo = WINDOW_LEVEL - WINDOW_WIDTH / 2.0
    grey = np.clip((hu - lo) / WINDOW_WIDTH, 0.0, 1.0)
    grey8 = (grey * 255.0 + 0.5).astype(np.uint8)
    rgb = np.repeat(grey8[:, :, None], 3, axis=2)
    rgb[_outline(mask)] = OUTLINE_RGB
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG", compress_level=1)
    height_mm = hu.shape[0] * image.row_mm
    width_mm = hu.shape[1] * image.col_mm
    return buffer.getvalue(), width_mm, height_mm

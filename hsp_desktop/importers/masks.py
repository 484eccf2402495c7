"""Masks: label-map files (NIfTI/NRRD/MHA), DICOM SEG (highdicom) and RTSTRUCT (contours rasterised on the CT grid)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hsp_desktop.domain import CtVolume, LabelMap
from hsp_desktop.errors import FileFormatError, GeometryError, InputError
from hsp_desktop.imaging.geometry import check_geometry, geometry_differences, resample_labels_to
from hsp_desktop.importers.dicom import dicom_files
from hsp_desktop.importers.files import image_suffix, read_sitk

__all__ = [
    "LabelSelection",
    "rasterise_rtstruct",
    "read_label_file",
    "read_mask",
    "read_seg",
    "select_labels",
]

LabelSelection = int | str | Sequence[int | str] | Mapping[int | str, int] | None

_SEG_SOP = "1.2.840.10008.5.1.4.1.1.66.4"
_RTSTRUCT_SOP = "1.2.840.10008.5.1.4.1.1.481.3"
_DEFAULT_NAMES = {1: "spleen", 2: "liver"}


def _geometry(image: Any) -> dict[str, Any]:
    return {
        "spacing": tuple(float(v) for v in image.GetSpacing()),
        "origin": tuple(float(v) for v in image.GetOrigin()),
        "direction": tuple(float(v) for v in image.GetDirection()),
    }


def select_labels(mask: LabelMap, labels: LabelSelection) -> LabelMap:
    """Keep only the chosen labels of ``mask``.

    Parameters
    ----------
    mask : LabelMap
        The label map.
    labels : int, str, sequence, mapping or None
        None keeps every label; an int or a structure name keeps that label; a sequence keeps several; a mapping
        ``{old: new}`` keeps and renumbers (``{"GTV-1": 1}`` for named structures).

    Returns
    -------
    LabelMap
        A new label map (uint8); the chosen labels keep their names.

    Raises
    ------
    InputError
        When a chosen label is not in the mask, listing the labels that are.
    """
    if labels is None:
        return mask
    if isinstance(labels, int | str):
        mapping: dict[int | str, int] = {labels: _as_value(mask, labels)}
    elif isinstance(labels, Mapping):
        mapping = dict(labels)
    else:
        mapping = {item: _as_value(mask, item) for item in labels}
    present = {int(v) for v in np.unique(mask.array) if v != 0}
    out = np.zeros(mask.array.shape, dtype=np.uint8)
    names: dict[int, str] = {}
    for key, new in mapping.items():
        old = _as_value(mask, key)
        if old not in present:
            available = ", ".join(f"{v} ({mask.labels.get(v, 'unnamed')})" for v in sorted(present)) or "none"
            raise InputError(
                f"Label {key!r} is not in the mask {mask.source or '(in memory)'}",
                expected=f"one of the labels present: {available}",
                found=repr(key),
                fix="choose a label that the mask contains (1 = spleen, 2 = liver in HSP exports)",
                field="label",
            )
        if not 1 <= int(new) <= 255:
            raise InputError(
                "A new label value must be 1-255",
                expected="1-255",
                found=repr(new),
                fix="renumber the labels",
                field="label",
            )
        out[mask.array == old] = int(new)
        names[int(new)] = mask.labels.get(old, str(key) if isinstance(key, str) else f"label {old}")
    return LabelMap(
        array=out,
        spacing=mask.spacing,
        origin=mask.origin,
        direction=mask.direction,
        labels=names,
        source=mask.source,
    )


def _as_value(mask: LabelMap, key: int | str) -> int:
    if isinstance(key, str):
        for value, name in mask.labels.items():
            if name.lower() == key.lower():
                return int(value)
        raise InputError(
            f"No structure named {key!r} in the mask {mask.source or '(in memory)'}",
            expected="one of: " + ", ".join(f"{n!r}" for n in mask.labels.values()),
            found=repr(key),
            fix="choose a structure name from the list",
            field="label",
        )
    return int(key)


def read_label_file(path: Path) -> LabelMap:
    """Read a NIfTI/NRRD/MHA label map; values must be whole numbers 0-255.

    Raises
    ------
    FileFormatError
        Unreadable file, or values that are not labels (fractions, negative, > 255: a probability map or a CT).
    """
    import SimpleITK as sitk

    image = read_sitk(path, "mask")
    array = sitk.GetArrayFromImage(image)
    if array.size == 0:
        raise FileFormatError(
            f"The mask {path.name} is empty", expected="a 3-D label map", found="0 voxels", fix="export again"
        )
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise FileFormatError(
            f"The mask {path.name} contains NaN or infinite values",
            expected="integer labels 0-255",
            found="NaN/inf voxels",
            fix="export the mask as an integer label map",
            field=str(path),
        )
    lo, hi = float(array.min()), float(array.max())
    whole = array.dtype.kind in "iub" or np.array_equal(array, np.rint(array))
    if lo < 0 or hi > 255 or not whole:
        raise FileFormatError(
            f"The file {path.name} is not a label map",
            expected="integer labels 0-255 (0 = background)",
            found=f"values {lo:g}..{hi:g}" + ("" if whole else " with fractions"),
            fix="export the segmentation as a label map (threshold probability maps first; do not pass the CT)",
            field=str(path),
        )
    if array.dtype.kind in "iub" and hi <= 16:
        # a few labels: one comparison pass each is several times faster than np.unique over the volume
        values = [v for v in range(1, int(hi) + 1) if (array == v).any()]
    else:
        values = [int(v) for v in np.unique(array) if v != 0]
    from hsp_desktop.importers.segments import label_table

    table, _ = label_table(path, image)
    return LabelMap(
        array=array.astype(np.uint8, copy=False),
        labels={v: table.get(v, f"label {v}") for v in values}
        if table
        else {v: _DEFAULT_NAMES.get(v, f"label {v}") for v in values},
        source=str(path),
        **_geometry(image),
    )


def check_seg_reference(path: Path, reference: CtVolume) -> None:
    """Refuse a SEG drawn on another series or frame of reference than the DICOM CT ``reference``.

    Raises
    ------
    GeometryError
        Naming the series the SEG references and the CT's series.
    """
    import pydicom

    ct_series = str(reference.meta.get("series_uid", "") or "")
    ct_for = str(reference.meta.get("frame_of_reference_uid", "") or "")
    if not ct_series and not ct_for:
        return  # a NIfTI/NRRD CT carries no UIDs: the grid check decides
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    refs = {str(item.SeriesInstanceUID) for item in getattr(ds, "ReferencedSeriesSequence", []) or []}
    seg_for = str(getattr(ds, "FrameOfReferenceUID", "") or "")
    if (ct_series and refs and ct_series not in refs) or (ct_for and seg_for and ct_for != seg_for):
        raise GeometryError(
            f"The segmentation {path.name} was drawn on another series than the CT {reference.source}",
            expected=f"a SEG referencing series {ct_series or '?'} (frame of reference {ct_for or '?'})",
            found=f"series {', '.join(sorted(refs)) or '?'} (frame of reference {seg_for or '?'})",
            fix="load the SEG exported with this CT series (or choose the series the SEG was drawn on)",
            field=str(path),
        )


def read_seg(path: Path) -> LabelMap:
    """Read a DICOM Segmentation (binary or fractional) into a label map (label = segment number).

    Raises
    ------
    FileFormatError
        When highdicom cannot read it or the segments do not form a regular 3-D volume.
    """
    import highdicom as hd

    try:
        seg = hd.seg.segread(str(path))
        numbers = [int(n) for n in seg.segment_numbers]
        volume = seg.get_volume(combine_segments=True, skip_overlap_checks=False)
    except Exception as exc:  # highdicom raises ValueError/RuntimeError/AttributeError for bad files
        raise FileFormatError(
            f"The DICOM SEG {path.name} cannot be read as a 3-D segmentation",
            expected="a DICOM Segmentation of regularly spaced, non-overlapping segments",
            found=f"{type(exc).__name__}: {str(exc)[:160]}",
            fix="export the segmentation again (or as NIfTI label map)",
            field=str(path),
        ) from exc
    array = np.asarray(volume.array)
    if array.ndim == 4:  # a trailing channel axis of size 1
        array = array[..., 0]
    # highdicom's affine maps (slice, row, column) indices to LPS mm; columns are x, rows y, slices z.
    affine = np.asarray(volume.affine, dtype=np.float64)
    axes = [affine[:3, 2], affine[:3, 1], affine[:3, 0]]
    spacing = tuple(float(np.linalg.norm(a)) for a in axes)
    direction = np.column_stack([a / n for a, n in zip(axes, spacing, strict=True)])
    origin = tuple(float(v) for v in affine[:3, 3])
    cosines = tuple(float(v) for v in direction.ravel())
    names = {}
    for n in numbers:
        desc = seg.get_segment_description(n)
        names[n] = str(getattr(desc, "SegmentLabel", "") or f"segment {n}")
    return LabelMap(
        array=array.astype(np.uint8),
        spacing=spacing,  # type: ignore[arg-type]
        origin=origin,  # type: ignore[arg-type]
        direction=cosines,  # type: ignore[arg-type]
        labels=names,
        source=str(path),
    )


def _contour_planes(reference: CtVolume) -> tuple[np.ndarray, np.ndarray]:
    """Matrix mapping physical points to continuous (x, y, z) indices, and the origin."""
    d = np.asarray(reference.direction, dtype=np.float64).reshape(3, 3)
    m = d @ np.diag(np.asarray(reference.spacing, dtype=np.float64))
    return np.linalg.inv(m), np.asarray(reference.origin, dtype=np.float64)


def _fill_polygon(cols: np.ndarray, rows: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Even-odd fill of one closed polygon given in continuous pixel indices; pixel centres inside are True."""
    ny, nx = shape
    out = np.zeros(shape, dtype=bool)
    x0, y0 = cols, rows
    x1, y1 = np.roll(cols, -1), np.roll(rows, -1)
    r_lo = max(int(np.ceil(rows.min())), 0)
    r_hi = min(int(np.floor(rows.max())), ny - 1)
    if r_hi < r_lo:
        return out
    centres = np.arange(nx, dtype=np.float64)
    for r in range(r_lo, r_hi + 1):
        # half-open rule on edges: counts an edge when r lies in [min(y0,y1), max(y0,y1))
        crosses = ((y0 <= r) & (y1 > r)) | ((y1 <= r) & (y0 > r))
        if not crosses.any():
            continue
        t = (r - y0[crosses]) / (y1[crosses] - y0[crosses])
        xs = np.sort(x0[crosses] + t * (x1[crosses] - x0[crosses]))
        inside = (np.searchsorted(xs, centres, side="right") % 2) == 1
        out[r] = inside
    return out


def rasterise_rtstruct(path: Path, reference: CtVolume) -> LabelMap:
    """Rasterise the closed planar contours of an RTSTRUCT onto the grid of ``reference``.

    Each structure (ROI) becomes one label, numbered 1, 2, ... in the order of the Structure Set ROI Sequence.
    Contours on the same slice are combined with the even-odd rule (so holes stay holes); a voxel is inside when
    its centre is.

    Raises
    ------
    FileFormatError
        Not an RTSTRUCT, or no closed planar contour.
    GeometryError
        Contours in another frame of reference, or off the reference slices.
    """
    import pydicom

    try:
        ds = pydicom.dcmread(path)
    except Exception as exc:
        raise FileFormatError(
            f"{path.name} cannot be read as DICOM",
            expected="a DICOM RTSTRUCT file",
            found=f"{type(exc).__name__}: {str(exc)[:120]}",
            fix="export the structure set again",
            field=str(path),
        ) from exc
    if str(getattr(ds, "Modality", "")) != "RTSTRUCT" or "ROIContourSequence" not in ds:
        raise FileFormatError(
            f"{path.name} is not an RT structure set",
            expected="Modality RTSTRUCT with contours",
            found=f"Modality {getattr(ds, 'Modality', '?')}",
            fix="choose the RTSTRUCT file of the segmentation",
            field=str(path),
        )
    ref_for = str(reference.meta.get("frame_of_reference_uid", "") or "")
    rs_for = {
        str(item.FrameOfReferenceUID)
        for item in getattr(ds, "ReferencedFrameOfReferenceSequence", [])
        if "FrameOfReferenceUID" in item
    }
    if ref_for and rs_for and ref_for not in rs_for:
        raise GeometryError(
            f"The structure set {path.name} belongs to another scan than the CT {reference.source}",
            expected=f"frame of reference {ref_for}",
            found=", ".join(sorted(rs_for)),
            fix="load the RTSTRUCT exported with this CT series",
            field=str(path),
        )
    names = {
        int(r.ROINumber): str(getattr(r, "ROIName", "") or f"ROI {r.ROINumber}")
        for r in ds.StructureSetROISequence
    }
    order = list(names)
    inv, origin = _contour_planes(reference)
    nz, ny, nx = reference.shape
    out = np.zeros(reference.shape, dtype=np.uint8)
    labels: dict[int, str] = {}
    off_plane = 0
    drawn = 0
    for roi in ds.ROIContourSequence:
        number = int(roi.ReferencedROINumber)
        value = order.index(number) + 1 if number in names else len(order) + 1
        layer = np.zeros(reference.shape, dtype=bool)
        for contour in getattr(roi, "ContourSequence", []):
            kind = str(getattr(contour, "ContourGeometricType", "CLOSED_PLANAR"))
            if kind != "CLOSED_PLANAR":
                continue
            points = np.asarray([float(v) for v in contour.ContourData], dtype=np.float64).reshape(-1, 3)
            if len(points) < 3:
                continue
            idx = (points - origin) @ inv.T  # continuous (x, y, z) indices
            k_cont = float(np.mean(idx[:, 2]))
            k = int(np.rint(k_cont))
            if abs(k_cont - k) > 0.25 or not 0 <= k < nz or np.ptp(idx[:, 2]) > 0.25:
                off_plane += 1
                continue
            layer[k] ^= _fill_polygon(idx[:, 0], idx[:, 1], (ny, nx))
            drawn += 1
        if layer.any():
            out[layer] = value
            labels[value] = names.get(number, f"ROI {number}")
    if drawn == 0:
        raise GeometryError(
            f"No contour of {path.name} lies on a slice of the CT {reference.source}",
            expected="closed planar contours on the CT's slices",
            found=f"{off_plane} contour(s) between or outside the slices",
            fix="load the RTSTRUCT with the CT series it was drawn on",
            field=str(path),
        )
    return LabelMap(
        array=out,
        spacing=reference.spacing,
        origin=reference.origin,
        direction=reference.direction,
        labels=labels,
        source=str(path),
    )


def _dicom_kind(path: Path) -> str | None:
    """Return SEG, RTSTRUCT, another modality name, or None when the file is not DICOM."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=["Modality", "SOPClassUID"])
    except (InvalidDicomError, EOFError, OSError, ValueError, TypeError, KeyError, AttributeError):
        return None
    sop = str(getattr(ds, "SOPClassUID", ""))
    if sop == _SEG_SOP:
        return "SEG"
    if sop == _RTSTRUCT_SOP:
        return "RTSTRUCT"
    return str(getattr(ds, "Modality", "") or "DICOM")


def read_mask(
    path: Path | str,
    *,
    reference: CtVolume | None = None,
    labels: LabelSelection = None,
    resample: bool = False,
) -> LabelMap:
    """Read a mask: NIfTI/NRRD/MHA label map, DICOM SEG, or RTSTRUCT rasterised onto ``reference``.

    Parameters
    ----------
    path : Path or str
        A label-map file, a SEG or RTSTRUCT file, or a folder holding exactly one SEG/RTSTRUCT.
    reference : CtVolume, optional
        The CT the mask belongs to; required for RTSTRUCT.  When given, the mask must be on its grid.
    labels : int, str, sequence, mapping or None
        Which labels to keep (see :func:`select_labels`); e.g. ``1`` for the spleen, ``"GTV-1"`` by name.
    resample : bool
        Put a mask on another grid onto the CT grid (nearest neighbour) instead of raising.

    Returns
    -------
    LabelMap
        uint8 labels; on ``reference``'s grid when one was given.

    Raises
    ------
    FileFormatError
        Unreadable or non-mask files.
    GeometryError
        A mask on another grid than ``reference`` (each difference listed) when ``resample`` is False.
    InputError
        RTSTRUCT without reference, unknown label, folder without a single mask object.
    """
    path = Path(path)
    kind: str | None
    if path.is_dir():
        found = [(p, _dicom_kind(p)) for p in dicom_files(path)]
        masks = [(p, k) for p, k in found if k in ("SEG", "RTSTRUCT")]
        if len(masks) != 1:
            raise InputError(
                f"The folder {path} holds {len(masks)} segmentation objects",
                expected="exactly one DICOM SEG or RTSTRUCT file",
                found=", ".join(p.name for p, _ in masks) or "none",
                fix="pass the segmentation file itself",
                field=str(path),
            )
        path, kind = masks[0]
    elif not path.is_file():
        raise FileFormatError(
            f"The mask file {path} does not exist",
            expected="a NIfTI/NRRD/MHA label map, DICOM SEG or RTSTRUCT",
            found="no such file",
            fix="check the path",
            field=str(path),
        )
    else:
        kind = None if image_suffix(path) else _dicom_kind(path)

    if kind == "RTSTRUCT":
        if reference is None:
            raise InputError(
                f"The RTSTRUCT {path.name} needs its CT to be rasterised",
                expected="reference=the CT volume",
                found="no reference CT",
                fix="read the CT first and pass it as reference",
                field=str(path),
            )
        mask = rasterise_rtstruct(path, reference)
    elif kind == "SEG":
        if reference is not None:
            check_seg_reference(path, reference)
        mask = read_seg(path)
    elif kind is not None:
        raise FileFormatError(
            f"{path.name} is a DICOM {kind} object, not a segmentation",
            expected="a DICOM SEG or RTSTRUCT (or a NIfTI/NRRD/MHA label map)",
            found=f"DICOM {kind}",
            fix="choose the segmentation file, not an image of the series",
            field=str(path),
        )
    else:
        mask = read_label_file(path)

    if reference is not None and kind != "RTSTRUCT":
        diffs = geometry_differences(reference, mask)
        if diffs:
            if resample or (kind == "SEG" and _on_lattice(mask, reference)):
                # A SEG usually stores only the frames that contain segments: placing it on the CT grid is exact.
                mask = resample_labels_to(mask, reference)
            else:
                check_geometry(reference, mask)
    mask = select_labels(mask, labels)
    if not mask.array.any():
        raise InputError(
            f"The mask {path.name} is empty",
            expected="at least one labelled voxel",
            found="0 labelled voxels" + (f" for label {labels!r}" if labels is not None else ""),
            fix="check that the segmentation was saved (or choose another label)",
            field=str(path),
        )
    return mask


def _on_lattice(mask: LabelMap, reference: CtVolume, tol: float = 1e-3) -> bool:
    """True when every mask voxel centre falls exactly on a reference voxel centre (axes may be permuted/flipped)."""
    inv, origin = _contour_planes(reference)
    d = np.asarray(mask.direction, dtype=np.float64).reshape(3, 3) @ np.diag(
        np.asarray(mask.spacing, dtype=float)
    )
    steps = inv @ d  # reference index change per mask index step
    offset = (np.asarray(mask.origin, dtype=np.float64) - origin) @ inv.T
    return bool(
        np.abs(steps - np.rint(steps)).max() < tol
        and np.all(np.abs(np.rint(steps)).sum(axis=0) == 1)
        and np.abs(offset - np.rint(offset)).max() < 0.01
    )

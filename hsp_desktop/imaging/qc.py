"""The imaging QC gate that runs before any feature is computed.

`run_qc` measures; `require_qc` blocks.  Each check has a status (ok / warn / fail), the measured value, the limit
it was held to and a sentence a clinician can act on.  The limits are module constants (`QcLimits`), so a site can
see exactly what was applied; the report is kept with the features it allowed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from hsp_desktop.domain import CtVolume, LabelMap, QcCheck, QcReport
from hsp_desktop.domain.imaging import QcStatus
from hsp_desktop.errors import QcError
from hsp_desktop.imaging.geometry import geometry_differences

__all__ = ["DEFAULT_LIMITS", "QcLimits", "require_qc", "run_qc"]


@dataclass(frozen=True)
class QcLimits:
    """Limits of the QC gate (defaults for portal-venous abdominal CT and a spleen ROI)."""

    geometry_tolerance: float = 1e-3
    min_roi_voxels: int = 27
    warn_roi_voxels: int = 500
    min_roi_extent_voxels: int = 2
    slice_thickness_mm: tuple[float, float] = (0.5, 5.0)
    slice_thickness_fail_mm: tuple[float, float] = (0.2, 8.0)
    in_plane_mm: tuple[float, float] = (0.3, 3.0)
    in_plane_fail_mm: tuple[float, float] = (0.1, 6.0)
    roi_mean_hu: tuple[float, float] = (-100.0, 300.0)
    spleen_portal_venous_hu: tuple[float, float] = (70.0, 200.0)
    image_min_hu: tuple[float, float] = (-3100.0, -500.0)
    image_max_hu: tuple[float, float] = (100.0, 33000.0)
    large_component_fraction: float = 0.05
    large_component_ml: float = 1.0
    spleen_volume_ml: tuple[float, float] = (30.0, 5000.0)


DEFAULT_LIMITS = QcLimits()


def _r(lo_hi: tuple[float, float], unit: str = "") -> str:
    return f"{lo_hi[0]:g}-{lo_hi[1]:g}{(' ' + unit) if unit else ''}"


def run_qc(ct: CtVolume, mask: LabelMap, label: int = 1, limits: QcLimits = DEFAULT_LIMITS) -> QcReport:
    """Check a CT and its mask before feature extraction.

    Parameters
    ----------
    ct : CtVolume
        The CT in HU.
    mask : LabelMap
        Its label map.
    label : int
        The ROI label (1 = spleen in HSP exports; the spleen checks apply when the label is named "spleen").
    limits : QcLimits
        The limits applied.

    Returns
    -------
    QcReport
        Checks: geometry, finite_voxels, roi_present, roi_size, roi_extent, slice_thickness, in_plane_spacing,
        image_hu_range, roi_mean_hu, connected_components and (spleen only) spleen_volume.  Checks that cannot be
        evaluated because an earlier one failed are reported as failed with the reason.
    """
    checks: list[QcCheck] = []
    status: QcStatus
    msg: str
    name = mask.labels.get(label, f"label {label}")
    is_spleen = name.lower() == "spleen" or (label == 1 and not mask.labels)

    # geometry -----------------------------------------------------------------------------------------------
    diffs = geometry_differences(ct, mask, limits.geometry_tolerance)
    if diffs:
        checks.append(
            QcCheck(
                "geometry",
                "fail",
                "; ".join(diffs),
                f"same grid within {limits.geometry_tolerance:g}",
                "The mask is not on the CT's grid: re-export the mask from the same CT series, or import it with "
                "resampling onto the CT grid.",
            )
        )
    else:
        checks.append(
            QcCheck(
                "geometry", "ok", "same grid", f"within {limits.geometry_tolerance:g}", "Mask on CT grid."
            )
        )

    # finite voxels ------------------------------------------------------------------------------------------
    finite = np.isfinite(ct.array)
    bad = int(finite.size - np.count_nonzero(finite))
    if bad:
        checks.append(
            QcCheck(
                "finite_voxels",
                "fail",
                f"{bad} NaN/inf voxels",
                "0",
                "The CT contains NaN or infinite values: re-export it from the scanner or PACS (the file is damaged "
                "or was converted wrongly).",
            )
        )
    else:
        checks.append(QcCheck("finite_voxels", "ok", "0 NaN/inf voxels", "0", "All CT voxels are numbers."))

    # spacing ------------------------------------------------------------------------------------------------
    sz = float(ct.spacing[2])
    lo, hi = limits.slice_thickness_mm
    flo, fhi = limits.slice_thickness_fail_mm
    status = "ok" if lo <= sz <= hi else ("warn" if flo <= sz <= fhi else "fail")
    thickness = ct.meta.get("slice_thickness_mm")
    value = f"{sz:g} mm spacing" + (f", {float(thickness):g} mm thickness" if thickness else "")
    msg = {
        "ok": "Slice spacing suitable for texture analysis.",
        "warn": f"Slice spacing {sz:g} mm is outside the usual {_r(limits.slice_thickness_mm, 'mm')}: texture "
        "features are less comparable; prefer a thinner reconstruction.",
        "fail": f"Slice spacing {sz:g} mm is unusable for 3-D texture: load a reconstruction with "
        f"{_r(limits.slice_thickness_mm, 'mm')} slices.",
    }[status]
    checks.append(QcCheck("slice_thickness", status, value, _r(limits.slice_thickness_mm, "mm"), msg))
    inplane = (float(ct.spacing[0]), float(ct.spacing[1]))
    lo, hi = limits.in_plane_mm
    flo, fhi = limits.in_plane_fail_mm
    worst = max(inplane)
    status = (
        "ok"
        if lo <= min(inplane) and worst <= hi
        else ("warn" if flo <= min(inplane) and worst <= fhi else "fail")
    )
    msg = {
        "ok": "Pixel spacing suitable.",
        "warn": f"Pixel spacing {inplane[0]:g}x{inplane[1]:g} mm is coarse: prefer the standard 512x512 "
        "reconstruction.",
        "fail": f"Pixel spacing {inplane[0]:g}x{inplane[1]:g} mm is not a diagnostic CT reconstruction: load the "
        "original series.",
    }[status]
    checks.append(
        QcCheck(
            "in_plane_spacing", status, f"{inplane[0]:g}x{inplane[1]:g} mm", _r(limits.in_plane_mm, "mm"), msg
        )
    )

    # image HU range -----------------------------------------------------------------------------------------
    if finite.any():
        # nanmin/nanmax do not copy the whole volume (boolean indexing would); inf is handled by the check above
        values = ct.array if not bad else np.where(finite, ct.array, np.nan)
        vmin = float(np.nanmin(values))
        vmax = float(np.nanmax(values))
        if vmin >= 0.0 and vmax > 1000.0:
            status, msg = (
                "fail",
                f"Values {vmin:g}..{vmax:g} look like raw stored pixel values, not HU: the rescale slope/intercept "
                "was not applied; re-export the CT (or import the DICOM series directly).",
            )
        elif (
            vmin >= 0.0
            or vmin < limits.image_min_hu[0]
            or vmax > limits.image_max_hu[1]
            or vmax < limits.image_max_hu[0]
        ):
            status, msg = (
                "fail",
                f"Values {vmin:g}..{vmax:g} are not plausible CT numbers in HU (an abdominal CT always holds fat "
                "below 0 HU): check that this is a CT (not MR, a mask or a derived map) exported in HU.",
            )
        elif vmin > limits.image_min_hu[1]:
            status, msg = (
                "warn",
                f"No air in the image (minimum {vmin:g} HU): the field of view may be cropped or the values "
                "shifted; check the export.",
            )
        else:
            status, msg = "ok", "CT numbers in a plausible HU range."
        checks.append(
            QcCheck(
                "image_hu_range",
                status,
                f"{vmin:g}..{vmax:g} HU",
                f"min {_r(limits.image_min_hu)}, max {_r(limits.image_max_hu)} HU",
                msg,
            )
        )
    else:
        checks.append(
            QcCheck("image_hu_range", "fail", "no finite voxel", "CT in HU", "The CT holds no numbers.")
        )

    # ROI ----------------------------------------------------------------------------------------------------
    same_shape = ct.shape == mask.shape
    roi = (mask.array == label) if same_shape else np.zeros(ct.shape, dtype=bool)
    count = int(np.count_nonzero(roi))
    # every ROI measure below works on the ROI's bounding box (a few % of a full-resolution CT)
    box: tuple[slice, ...] = (slice(0, 0),) * 3
    if count:
        bounds = [np.flatnonzero(roi.any(axis=tuple(a for a in range(3) if a != k))) for k in range(3)]
        box = tuple(slice(int(b[0]), int(b[-1]) + 1) for b in bounds)
    roi_box = roi[box]
    if not same_shape:
        checks.append(
            QcCheck(
                "roi_present",
                "fail",
                "not evaluated",
                "mask on the CT grid",
                "The ROI cannot be checked because the mask is not on the CT grid (see geometry).",
            )
        )
    elif count == 0:
        present = [int(v) for v in np.unique(mask.array) if v != 0]  # only on this failure path (a full sort)
        checks.append(
            QcCheck(
                "roi_present",
                "fail",
                f"0 voxels of label {label} ({name}); labels present: {present or 'none'}",
                "at least 1 voxel",
                f"The mask has no {name}: choose the right label (1 = spleen, 2 = liver) or segment the {name}.",
            )
        )
    else:
        checks.append(
            QcCheck(
                "roi_present",
                "ok",
                f"label {label} ({name}) present",
                "at least 1 voxel",
                f"The {name} is segmented.",
            )
        )

    if count:
        voxel_ml = ct.voxel_volume_ml
        volume_ml = count * voxel_ml
        status = (
            "ok"
            if count >= limits.warn_roi_voxels
            else ("warn" if count >= limits.min_roi_voxels else "fail")
        )
        msg = {
            "ok": f"ROI of {count} voxels ({volume_ml:.1f} ml).",
            "warn": f"Small ROI ({count} voxels): texture features are unstable; check the segmentation.",
            "fail": f"The ROI has only {count} voxels: too small for radiomics; check the segmentation and label.",
        }[status]
        checks.append(
            QcCheck(
                "roi_size",
                status,
                f"{count} voxels, {volume_ml:.1f} ml",
                f">= {limits.min_roi_voxels} voxels (warn < {limits.warn_roi_voxels})",
                msg,
            )
        )
        zz, yy, xx = np.nonzero(roi_box)
        extent = (int(xx.max() - xx.min() + 1), int(yy.max() - yy.min() + 1), int(zz.max() - zz.min() + 1))
        ok = min(extent) >= limits.min_roi_extent_voxels
        checks.append(
            QcCheck(
                "roi_extent",
                "ok" if ok else "fail",
                f"{extent[0]}x{extent[1]}x{extent[2]} voxels (x, y, z)",
                f">= {limits.min_roi_extent_voxels} voxels in every direction",
                "ROI is three-dimensional."
                if ok
                else "The ROI is flat (a single slice, row or column): 3-D features are undefined; segment the whole "
                "organ on every slice.",
            )
        )
        # mean HU
        if finite.any():
            inside = roi_box & finite[box]
            mean_hu = float(np.mean(ct.array[box][inside])) if np.any(inside) else float("nan")
            lo, hi = limits.roi_mean_hu
            if not (lo <= mean_hu <= hi):
                status, msg = (
                    "fail",
                    f"Mean {name} attenuation {mean_hu:.0f} HU is not soft tissue: the mask may be misplaced, the "
                    "label wrong, or the CT not in HU.",
                )
            elif is_spleen and not (
                limits.spleen_portal_venous_hu[0] <= mean_hu <= limits.spleen_portal_venous_hu[1]
            ):
                status, msg = (
                    "warn",
                    f"Mean spleen attenuation {mean_hu:.0f} HU is unusual for the portal-venous phase "
                    f"({_r(limits.spleen_portal_venous_hu, 'HU')}): check that the portal-venous series was chosen "
                    "(unenhanced spleen is 40-60 HU).",
                )
            else:
                status, msg = "ok", f"Mean {name} attenuation {mean_hu:.0f} HU."
            checks.append(
                QcCheck("roi_mean_hu", status, f"{mean_hu:.1f} HU", _r(limits.roi_mean_hu, "HU"), msg)
            )
        # connected components (26-connectivity)
        comp, n = ndimage.label(roi_box, structure=np.ones((3, 3, 3), dtype=bool))
        sizes = np.bincount(comp.ravel())[1:] if n else np.zeros(0, dtype=np.int64)
        large_min = max(limits.large_component_fraction * count, limits.large_component_ml / voxel_ml)
        large = int(np.count_nonzero(sizes >= large_min))
        small = int(n - large)
        value = f"{n} component(s), {large} large" + (f", {small} small fragment(s)" if small else "")
        if large > 1:
            status, msg = (
                "warn",
                f"The {name} ROI has {large} separate large parts: check for a splenule or a mislabelled "
                "neighbouring organ; features describe all parts together.",
            )
        elif small:
            status, msg = (
                "warn" if small > 10 else "ok",
                f"{small} small fragment(s) besides the main {name}; consider cleaning the segmentation.",
            )
        else:
            status, msg = "ok", f"The {name} ROI is one connected piece."
        checks.append(
            QcCheck(
                "connected_components",
                status,
                value,
                f"1 large component (large = >= {limits.large_component_fraction:.0%} of ROI and "
                f">= {limits.large_component_ml:g} ml)",
                msg,
            )
        )
        if is_spleen:
            lo, hi = limits.spleen_volume_ml
            ok = lo <= volume_ml <= hi
            checks.append(
                QcCheck(
                    "spleen_volume",
                    "ok" if ok else "fail",
                    f"{volume_ml:.1f} ml",
                    _r(limits.spleen_volume_ml, "ml"),
                    f"Spleen volume {volume_ml:.0f} ml."
                    if ok
                    else f"Spleen volume {volume_ml:.0f} ml is outside {_r(limits.spleen_volume_ml, 'ml')}: the mask "
                    "is probably not the spleen (wrong label or organ) or the spacing is wrong.",
                )
            )
    elif same_shape:
        for check in ("roi_size", "roi_extent", "roi_mean_hu", "connected_components"):
            checks.append(
                QcCheck(
                    check, "fail", "not evaluated", "a non-empty ROI", "No ROI to measure (see roi_present)."
                )
            )

    return QcReport(checks=tuple(checks), ct_source=ct.source, mask_source=mask.source)


def require_qc(report: QcReport) -> QcReport:
    """Return ``report`` when it passed; raise :class:`QcError` naming every failed check and its fix otherwise.

    Raises
    ------
    QcError
        With ``.report`` set to the report.
    """
    if report.passed:
        return report
    failed = report.failures
    lines = "; ".join(f"{c.name}: {c.message}" for c in failed)
    raise QcError(
        f"Imaging QC failed for {report.ct_source or 'the CT'} ({len(failed)} check(s)): {lines}",
        report=report,
        expected="; ".join(f"{c.name} {c.limit}" for c in failed),
        found="; ".join(f"{c.name} {c.value}" for c in failed),
        fix="correct the CT or mask as described for each failed check, then run the extraction again",
        field=report.mask_source or report.ct_source or None,
    )

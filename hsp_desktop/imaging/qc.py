"""The imaging QC gate that runs before any feature is computed.

`run_qc` measures; `require_qc` blocks.  Each check has a status (ok / warn / fail), the measured value, the limit
it was held to and a sentence a clinician can act on.  The limits are module constants (`QcLimits`), so a site can
see exactly what was applied; the report is kept with the features it allowed.

`run_qc` runs the small check functions of :data:`CHECKS` in order over one shared :class:`QcInputs`; each
returns its :class:`QcCheck` rows.  A new check is a new function appended to that list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from hsp_desktop.domain import CtVolume, LabelMap, QcCheck, QcReport
from hsp_desktop.domain.imaging import QcStatus
from hsp_desktop.errors import QcError
from hsp_desktop.imaging.geometry import geometry_differences

__all__ = ["CHECKS", "DEFAULT_LIMITS", "QcInputs", "QcLimits", "require_qc", "run_qc"]


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
    #: "fail" (default) or "warn": a lossy-compressed series (LossyImageCompression 01 or a lossy transfer syntax).
    lossy_compression: str = "fail"


DEFAULT_LIMITS = QcLimits()


def _r(lo_hi: tuple[float, float], unit: str = "") -> str:
    return f"{lo_hi[0]:g}-{lo_hi[1]:g}{(' ' + unit) if unit else ''}"


@dataclass
class QcInputs:
    """What every check looks at: the CT, the mask, the ROI label and the limits, plus shared measurements."""

    ct: CtVolume
    mask: LabelMap
    label: int
    limits: QcLimits
    name: str = ""
    is_spleen: bool = False
    finite: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    bad: int = 0
    same_shape: bool = False
    roi: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    count: int = 0
    box: tuple[slice, ...] = (slice(0, 0),) * 3

    def __post_init__(self) -> None:
        self.name = self.mask.labels.get(self.label, f"label {self.label}")
        self.is_spleen = self.name.lower() == "spleen" or (self.label == 1 and not self.mask.labels)
        self.finite = np.isfinite(self.ct.array)
        self.bad = int(self.finite.size - np.count_nonzero(self.finite))
        self.same_shape = self.ct.shape == self.mask.shape
        self.roi = (self.mask.array == self.label) if self.same_shape else np.zeros(self.ct.shape, dtype=bool)
        self.count = int(np.count_nonzero(self.roi))
        # every ROI measure works on the ROI's bounding box (a few % of a full-resolution CT)
        if self.count:
            bounds = [
                np.flatnonzero(self.roi.any(axis=tuple(a for a in range(3) if a != k))) for k in range(3)
            ]
            self.box = tuple(slice(int(b[0]), int(b[-1]) + 1) for b in bounds)

    @property
    def roi_box(self) -> np.ndarray:
        """The ROI cut to its bounding box."""
        return self.roi[self.box]


def check_geometry(q: QcInputs) -> list[QcCheck]:
    """The mask lies on the CT's grid."""
    diffs = geometry_differences(q.ct, q.mask, q.limits.geometry_tolerance)
    if diffs:
        return [
            QcCheck(
                "geometry",
                "fail",
                "; ".join(diffs),
                f"same grid within {q.limits.geometry_tolerance:g}",
                "The mask is not on the CT's grid: re-export the mask from the same CT series, or import it with "
                "resampling onto the CT grid.",
            )
        ]
    return [
        QcCheck("geometry", "ok", "same grid", f"within {q.limits.geometry_tolerance:g}", "Mask on CT grid.")
    ]


def check_finite(q: QcInputs) -> list[QcCheck]:
    """Every CT voxel is a number."""
    if q.bad:
        return [
            QcCheck(
                "finite_voxels",
                "fail",
                f"{q.bad} NaN/inf voxels",
                "0",
                "The CT contains NaN or infinite values: re-export it from the scanner or PACS (the file is damaged "
                "or was converted wrongly).",
            )
        ]
    return [QcCheck("finite_voxels", "ok", "0 NaN/inf voxels", "0", "All CT voxels are numbers.")]


def check_slice_thickness(q: QcInputs) -> list[QcCheck]:
    """Slice spacing inside the usual range for texture analysis."""
    ct, limits = q.ct, q.limits
    status: QcStatus
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
    return [QcCheck("slice_thickness", status, value, _r(limits.slice_thickness_mm, "mm"), msg)]


def check_in_plane(q: QcInputs) -> list[QcCheck]:
    """Pixel spacing of a diagnostic reconstruction."""
    ct, limits = q.ct, q.limits
    status: QcStatus
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
    return [
        QcCheck(
            "in_plane_spacing", status, f"{inplane[0]:g}x{inplane[1]:g} mm", _r(limits.in_plane_mm, "mm"), msg
        )
    ]


def check_image_hu(q: QcInputs) -> list[QcCheck]:
    """CT numbers look like HU of an abdominal CT."""
    ct, limits = q.ct, q.limits
    status: QcStatus
    msg: str
    if not q.finite.any():
        return [QcCheck("image_hu_range", "fail", "no finite voxel", "CT in HU", "The CT holds no numbers.")]
    # nanmin/nanmax do not copy the whole volume (boolean indexing would); inf is handled by check_finite
    values = ct.array if not q.bad else np.where(q.finite, ct.array, np.nan)
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
    return [
        QcCheck(
            "image_hu_range",
            status,
            f"{vmin:g}..{vmax:g} HU",
            f"min {_r(limits.image_min_hu)}, max {_r(limits.image_max_hu)} HU",
            msg,
        )
    ]


def check_compression(q: QcInputs) -> list[QcCheck]:
    """No lossy compression in the series' history (LossyImageCompression 01 or a lossy transfer syntax)."""
    meta = q.ct.meta
    if "lossy" not in meta:
        return []  # not a DICOM series: nothing recorded
    compression = str(meta.get("compression") or "none")
    if not meta.get("lossy"):
        return [
            QcCheck("lossy_compression", "ok", compression, "lossless", "Pixel data never lossy-compressed.")
        ]
    ratio = str(meta.get("lossy_ratio") or "")
    value = (
        compression
        + (f", ratio {ratio}:1" if ratio else "")
        + (f", method {meta.get('lossy_method')}" if meta.get("lossy_method") else "")
    )
    status: QcStatus = "warn" if q.limits.lossy_compression == "warn" else "fail"
    return [
        QcCheck(
            "lossy_compression",
            status,
            value,
            "lossless (LossyImageCompression absent or 00)",
            "The series was lossy-compressed (e.g. a JPEG 2000 archive copy): radiomic texture changes by orders "
            "of magnitude; retrieve the original (uncompressed or lossless) series from PACS.",
        )
    ]


def check_roi(q: QcInputs) -> list[QcCheck]:
    """The ROI exists, is large and three-dimensional enough, soft tissue, one piece, a plausible spleen."""
    ct, limits, name, label, count = q.ct, q.limits, q.name, q.label, q.count
    status: QcStatus
    msg: str
    checks: list[QcCheck] = []
    roi_box = q.roi_box
    box = q.box
    if not q.same_shape:
        return [
            QcCheck(
                "roi_present",
                "fail",
                "not evaluated",
                "mask on the CT grid",
                "The ROI cannot be checked because the mask is not on the CT grid (see geometry).",
            )
        ]
    if count == 0:
        present = [
            int(v) for v in np.unique(q.mask.array) if v != 0
        ]  # only on this failure path (a full sort)
        checks.append(
            QcCheck(
                "roi_present",
                "fail",
                f"0 voxels of label {label} ({name}); labels present: {present or 'none'}",
                "at least 1 voxel",
                f"The mask has no {name}: choose the right label (1 = spleen, 2 = liver) or segment the {name}.",
            )
        )
        for check in ("roi_size", "roi_extent", "roi_mean_hu", "connected_components"):
            checks.append(
                QcCheck(
                    check, "fail", "not evaluated", "a non-empty ROI", "No ROI to measure (see roi_present)."
                )
            )
        return checks
    checks.append(
        QcCheck(
            "roi_present",
            "ok",
            f"label {label} ({name}) present",
            "at least 1 voxel",
            f"The {name} is segmented.",
        )
    )
    voxel_ml = ct.voxel_volume_ml
    volume_ml = count * voxel_ml
    status = (
        "ok" if count >= limits.warn_roi_voxels else ("warn" if count >= limits.min_roi_voxels else "fail")
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
    if q.finite.any():
        inside = roi_box & q.finite[box]
        mean_hu = float(np.mean(ct.array[box][inside])) if np.any(inside) else float("nan")
        lo, hi = limits.roi_mean_hu
        if not (lo <= mean_hu <= hi):
            status, msg = (
                "fail",
                f"Mean {name} attenuation {mean_hu:.0f} HU is not soft tissue: the mask may be misplaced, the "
                "label wrong, or the CT not in HU.",
            )
        elif q.is_spleen and not (
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
        checks.append(QcCheck("roi_mean_hu", status, f"{mean_hu:.1f} HU", _r(limits.roi_mean_hu, "HU"), msg))
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
    if q.is_spleen:
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
    return checks


def check_spleen_side(q: QcInputs) -> list[QcCheck]:
    """The spleen lies on the patient's left (LPS +x), left of the liver when the mask has one."""
    if not (q.is_spleen and q.same_shape and q.count):
        return []

    d = np.asarray(q.ct.direction, dtype=np.float64).reshape(3, 3)
    spacing = np.asarray(q.ct.spacing, dtype=np.float64)
    origin = np.asarray(q.ct.origin, dtype=np.float64)

    def physical_x(index_xyz: np.ndarray) -> float:
        return float((origin + d @ (index_xyz * spacing))[0])

    def centre_x(region: np.ndarray) -> float:
        return physical_x(np.array([float(np.mean(a)) for a in np.nonzero(region)][::-1]))

    spleen_x = centre_x(q.roi)
    liver_values = [v for v, n in q.mask.labels.items() if n.lower() == "liver"]
    liver = (q.mask.array == liver_values[0]) if liver_values else None
    if liver is not None and liver.any():
        ref_x, against = centre_x(liver), "the liver"
    else:
        middle = (np.asarray(q.ct.shape[::-1], dtype=np.float64) - 1.0) / 2.0
        ref_x, against = physical_x(middle), "the image centre"
    if spleen_x > ref_x:
        return [
            QcCheck(
                "spleen_side",
                "ok",
                f"spleen centre x {spleen_x:.0f} mm, {against} {ref_x:.0f} mm",
                "spleen on the patient's left",
                "The spleen is on the patient's left.",
            )
        ]
    return [
        QcCheck(
            "spleen_side",
            "fail",
            f"spleen centre x {spleen_x:.0f} mm, {against} {ref_x:.0f} mm",
            "spleen on the patient's left (larger LPS x than " + against + ")",
            "The mask's spleen lies on the patient's right: the mask was flipped left-right on export, or a "
            "wrong segment was chosen; export the mask again from the same CT.",
        )
    ]


def check_skipped_files(q: QcInputs) -> list[QcCheck]:
    """Files of the export that could not be read are reported (they are never silently dropped)."""
    skipped = list(q.ct.meta.get("skipped_files") or [])
    if not skipped:
        return []
    return [
        QcCheck(
            "skipped_files",
            "warn",
            f"{len(skipped)} file(s): " + "; ".join(skipped[:5]) + (" ..." if len(skipped) > 5 else ""),
            "every file readable",
            "Some files of the export could not be read (truncated or not DICOM); the chosen series itself is "
            "complete. Copy the export again if another series is needed.",
        )
    ]


#: The QC checks, in report order; each takes the shared inputs and returns its rows.
CHECKS: tuple[Callable[[QcInputs], list[QcCheck]], ...] = (
    check_geometry,
    check_finite,
    check_slice_thickness,
    check_in_plane,
    check_image_hu,
    check_compression,
    check_roi,
    check_spleen_side,
    check_skipped_files,
)


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
        Checks: geometry, finite_voxels, slice_thickness, in_plane_spacing, image_hu_range, lossy_compression
        (DICOM), roi_present, roi_size, roi_extent, roi_mean_hu, connected_components, (spleen only)
        spleen_volume and spleen_side, and skipped_files when files of the export were unreadable.  Checks that
        cannot be evaluated because an earlier one failed are reported as failed with the reason.
    """
    q = QcInputs(ct, mask, label, limits)
    checks = [row for check in CHECKS for row in check(q)]
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

"""Making, saving, loading and reviewing app-made masks (what the CLI and the GUI both call)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hsp_desktop.domain import CtVolume, LabelMap
from hsp_desktop.errors import InputError
from hsp_desktop.segmentation.provenance import (
    APP_MADE_DESCRIPTION,
    MaskProvenance,
    now_utc,
    read_provenance,
    sidecar_path,
)
from hsp_desktop.segmentation.semiauto import GrowResult, Seed, grow_region

__all__ = ["ORGANS", "load_mask", "provenance_line", "review_mask", "save_mask", "segment_semiauto"]

#: Organ name -> label value of the label maps the app writes.
ORGANS: dict[str, int] = {"spleen": 1, "liver": 2}


def segment_semiauto(
    ct: CtVolume,
    seeds: Mapping[str, Sequence[Seed]],
    *,
    user: str,
    windows: Mapping[str, tuple[float, float]] | None = None,
    smoothness_mm: float = 5.0,
) -> tuple[LabelMap, MaskProvenance, dict[str, GrowResult]]:
    """Grow each organ from its clicks and return the label map (1 spleen, 2 liver) with its provenance.

    Parameters
    ----------
    ct : CtVolume
        The portal-venous CT.
    seeds : mapping
        Organ name (``"spleen"``, ``"liver"``) -> clicks (i, j, k).
    user : str
        Who made the mask (recorded).
    windows : mapping, optional
        Organ -> HU window; suggested from the clicks when absent.
    smoothness_mm : float
        Leak-cut radius in mm (see :func:`~hsp_desktop.segmentation.semiauto.grow_region`).

    Returns
    -------
    labels : LabelMap
        On the CT grid; the spleen wins a voxel claimed by both organs.
    provenance : MaskProvenance
        Method ``semi-automatic`` with seeds, windows and smoothness per organ; not reviewed.
    results : dict
        Organ -> :class:`GrowResult` (timings, windows).
    """
    unknown = sorted(set(seeds) - set(ORGANS))
    if unknown or not seeds:
        raise InputError(
            "Semi-automatic segmentation is for the spleen and the liver",
            expected="seeds for " + " and/or ".join(ORGANS),
            found=", ".join(unknown) or "no organ",
            fix="click inside the spleen (and the liver)",
            field="organ",
        )
    out = np.zeros(ct.shape, dtype=np.uint8)
    results: dict[str, GrowResult] = {}
    # the liver first, so the spleen overwrites a voxel both claim
    for organ in sorted(seeds, key=lambda o: -ORGANS[o]):
        window = (windows or {}).get(organ)
        result = grow_region(ct, seeds[organ], window=window, smoothness_mm=smoothness_mm)
        out[result.mask] = ORGANS[organ]
        results[organ] = result
    labels = LabelMap(
        array=out,
        spacing=ct.spacing,
        origin=ct.origin,
        direction=ct.direction,
        labels={ORGANS[o]: o for o in sorted(seeds, key=lambda o: ORGANS[o])},
        source="semi-automatic",
    )
    provenance = MaskProvenance(
        method="semi-automatic",
        created_by=user,
        created_at=now_utc(),
        ct_source=ct.source,
        labels=dict(labels.labels),
        details={
            "organs": {
                organ: {
                    "seeds": [list(s) for s in r.seeds],
                    "window_hu": list(r.window),
                    "smoothness_mm": r.smoothness_mm,
                }
                for organ, r in results.items()
            }
        },
    )
    return labels, provenance, results


def save_mask(labels: LabelMap, provenance: MaskProvenance, path: Path | str) -> Path:
    """Write the label map as NIfTI (header marked app-made) and its provenance sidecar beside it.

    Raises
    ------
    InputError
        A path that is not ``.nii.gz``/``.nii``.
    """
    import SimpleITK as sitk

    path = Path(path)
    if not path.name.endswith((".nii.gz", ".nii")):
        raise InputError(
            f"App-made masks are saved as NIfTI, not {path.name}",
            expected="a name ending in .nii.gz or .nii",
            found=repr(path.name),
            fix="choose a .nii.gz name",
            field=str(path),
        )
    image = sitk.GetImageFromArray(np.ascontiguousarray(labels.array, dtype=np.uint8))
    image.SetSpacing(tuple(float(v) for v in labels.spacing))  # type: ignore[no-untyped-call]
    image.SetOrigin(tuple(float(v) for v in labels.origin))  # type: ignore[no-untyped-call]
    image.SetDirection(tuple(float(v) for v in labels.direction))  # type: ignore[no-untyped-call]
    # ITK writes its file notes into the NIfTI header's descrip field
    image.SetMetaData("ITK_FileNotes", APP_MADE_DESCRIPTION)  # type: ignore[no-untyped-call]
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = ".nii.gz" if path.name.endswith(".nii.gz") else ".nii"
    tmp = path.with_name(f".{path.name[: -len(suffix)]}.part{suffix}")
    side = sidecar_path(path)
    side_tmp = side.with_name(f".{side.name}.part")
    try:
        sitk.WriteImage(image, str(tmp), useCompression=suffix == ".nii.gz")
        side_tmp.write_text(json.dumps(provenance.as_dict(), indent=2, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)
        os.replace(side_tmp, side)
    finally:
        tmp.unlink(missing_ok=True)
        side_tmp.unlink(missing_ok=True)
    return path


def load_mask(path: Path | str, reference: CtVolume | None = None) -> tuple[LabelMap, MaskProvenance | None]:
    """Read a mask and its provenance sidecar (None for a mask made outside the app)."""
    from hsp_desktop.importers import read_mask

    mask = read_mask(path, reference=reference)
    return mask, read_provenance(path)


def review_mask(path: Path | str, reviewer: str, note: str = "") -> MaskProvenance:
    """Record that ``reviewer`` confirmed the app-made mask at ``path``; return the reviewed provenance.

    Raises
    ------
    InputError
        A mask without provenance (not made in the app: nothing to review here), or an empty reviewer.
    """
    path = Path(path)
    mask, provenance = load_mask(path)
    if provenance is None:
        raise InputError(
            f"The mask {path.name} was not made in HSP Desktop",
            expected=f"{sidecar_path(path).name} beside the mask",
            found="no provenance file",
            fix="masks made elsewhere are scored as they are; review applies to app-made masks",
            field=str(path),
        )
    reviewed = provenance.reviewed(reviewer, mask.array, note)
    save_mask(mask, reviewed, path)
    return reviewed


def provenance_line(provenance: MaskProvenance | None) -> dict[str, Any]:
    """What a prediction records about its mask: the one-line summary and the reviewer (empty when external)."""
    if provenance is None:
        return {}
    return {
        "mask_provenance": provenance.summary(),
        "mask_reviewer": provenance.review.reviewer if provenance.review else "",
    }

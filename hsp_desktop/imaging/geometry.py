"""Image grids: compare a mask's grid with its CT's, and place a label map onto a CT grid.

A grid is size (x, y, z voxels), spacing (mm), origin (mm, LPS, first voxel centre) and direction cosines.  Two
grids agree when sizes are equal and spacing, origin and direction agree within a tolerance (relative to the
spacing, as SimpleITK and PyRadiomics' ``geometryTolerance`` do).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from hsp_desktop.domain import CtVolume, LabelMap
from hsp_desktop.errors import GeometryError

__all__ = ["GridLike", "check_geometry", "geometry_differences", "resample_labels_to"]


#: Anything with an array and its geometry.
GridLike = CtVolume | LabelMap


def _num(value: float, digits: int) -> str:
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _fmt(values: Iterable[float], digits: int = 3, sep: str = "x") -> str:
    return sep.join(_num(float(v), digits) for v in values)


def geometry_differences(ct: GridLike, mask: GridLike, tolerance: float = 1e-3) -> list[str]:
    """List how the grids of ``ct`` and ``mask`` differ (empty when they agree).

    Parameters
    ----------
    ct, mask : CtVolume or LabelMap
        The two images.
    tolerance : float
        Spacing: relative tolerance; origin: tolerance in units of the CT's smallest spacing; direction:
        absolute tolerance on each cosine.

    Returns
    -------
    list of str
        One line per differing property, naming both values, e.g.
        ``"spacing: ct 0.70x0.70x2.5 mm, mask 0.70x0.70x3 mm"``.
    """
    out: list[str] = []
    ct_size = tuple(reversed(ct.shape))
    mask_size = tuple(reversed(mask.shape))
    if ct_size != mask_size:
        out.append(
            f"size: ct {'x'.join(map(str, ct_size))} voxels, mask {'x'.join(map(str, mask_size))} voxels"
        )
    cs = np.asarray(ct.spacing, dtype=float)
    ms = np.asarray(mask.spacing, dtype=float)
    if np.any(np.abs(cs - ms) > tolerance * np.abs(cs)):
        out.append(f"spacing: ct {_fmt(cs)} mm, mask {_fmt(ms)} mm")
    co = np.asarray(ct.origin, dtype=float)
    mo = np.asarray(mask.origin, dtype=float)
    if np.any(np.abs(co - mo) > tolerance * float(cs.min())):
        out.append(f"origin: ct ({_fmt(co, 2, ', ')}) mm, mask ({_fmt(mo, 2, ', ')}) mm")
    cd = np.asarray(ct.direction, dtype=float)
    md = np.asarray(mask.direction, dtype=float)
    if np.any(np.abs(cd - md) > tolerance):
        out.append(f"direction: ct ({_fmt(cd, 3, ', ')}), mask ({_fmt(md, 3, ', ')})")
    return out


def check_geometry(ct: GridLike, mask: GridLike, tolerance: float = 1e-3) -> None:
    """Raise :class:`GeometryError` unless ``mask`` lies on the grid of ``ct``.

    Parameters
    ----------
    ct, mask : CtVolume or LabelMap
        Image and mask to compare.
    tolerance : float
        As in :func:`geometry_differences`.

    Raises
    ------
    GeometryError
        Listing every difference with both values, and the fix.
    """
    diffs = geometry_differences(ct, mask, tolerance)
    if diffs:
        raise GeometryError(
            f"The mask {mask.source or '(in memory)'} is not on the grid of the CT {ct.source or '(in memory)'}",
            expected="the same size, spacing, origin and direction as the CT",
            found="; ".join(diffs),
            fix="re-export the mask from the same CT series, or load it with resampling of the mask "
            "onto the CT grid (nearest neighbour)",
            field=mask.source or "mask",
        )


def resample_labels_to(mask: LabelMap, reference: CtVolume | LabelMap) -> LabelMap:
    """Place ``mask`` on the grid of ``reference`` with nearest-neighbour interpolation (SimpleITK).

    Parameters
    ----------
    mask : LabelMap
        Label map on any grid overlapping the reference.
    reference : CtVolume or LabelMap
        The grid to put it on.

    Returns
    -------
    LabelMap
        Same labels, reference geometry; voxels outside the mask's field of view are 0.

    Raises
    ------
    GeometryError
        When no labelled voxel lands on the reference grid.
    """
    import SimpleITK as sitk

    def _image(obj: CtVolume | LabelMap, array: np.ndarray) -> sitk.Image:
        img = sitk.GetImageFromArray(array)
        img.SetSpacing(tuple(float(v) for v in obj.spacing))
        img.SetOrigin(tuple(float(v) for v in obj.origin))
        img.SetDirection(tuple(float(v) for v in obj.direction))
        return img

    moving = _image(mask, np.ascontiguousarray(mask.array, dtype=np.uint8))
    ref = _image(reference, np.zeros(reference.shape, dtype=np.uint8))
    out = sitk.Resample(moving, ref, sitk.Transform(), sitk.sitkNearestNeighbor, 0, sitk.sitkUInt8)
    array = sitk.GetArrayFromImage(out).astype(np.uint8)
    if mask.array.any() and not array.any():
        raise GeometryError(
            f"The mask {mask.source or '(in memory)'} does not overlap the CT {reference.source or '(in memory)'}",
            expected="a mask inside the CT's field of view",
            found="no labelled voxel on the CT grid after resampling",
            fix="check that the mask belongs to this CT (same patient, same frame of reference)",
            field=mask.source or "mask",
        )
    return LabelMap(
        array=array,
        spacing=tuple(float(v) for v in reference.spacing),  # type: ignore[arg-type]
        origin=tuple(float(v) for v in reference.origin),  # type: ignore[arg-type]
        direction=tuple(float(v) for v in reference.direction),  # type: ignore[arg-type]
        labels=dict(mask.labels),
        source=mask.source,
    )

"""Shape features (3-D) of the ROI: marching-cubes mesh and PCA axes, PyRadiomics 3 names and formulas."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from kernels.shape import axis_eigenvalues, mesh_shape, mesh_shape_2d

__all__ = [
    "DEFAULT_SHAPE",
    "DEFAULT_SHAPE2D",
    "SHAPE2D_NAMES",
    "SHAPE_NAMES",
    "shape2d_features",
    "shape_features",
]

#: All 3-D shape features (IBSI codes: MeshVolume RNU0, VoxelVolume YEKZ, SurfaceArea C0JK, SurfaceVolumeRatio
#: 2PR5, Sphericity QCFX, Compactness1 SKGS, Compactness2 BQWJ, SphericalDisproportion KRCK, Maximum3DDiameter
#: L0JK, MajorAxisLength TDIC, MinorAxisLength P9VJ, LeastAxisLength 7J51, Elongation Q3CK, Flatness N17B).
SHAPE_NAMES: tuple[str, ...] = (
    "Compactness1",
    "Compactness2",
    "Elongation",
    "Flatness",
    "LeastAxisLength",
    "MajorAxisLength",
    "Maximum2DDiameterColumn",
    "Maximum2DDiameterRow",
    "Maximum2DDiameterSlice",
    "Maximum3DDiameter",
    "MeshVolume",
    "MinorAxisLength",
    "SphericalDisproportion",
    "Sphericity",
    "SurfaceArea",
    "SurfaceVolumeRatio",
    "VoxelVolume",
)
_DEPRECATED = ("Compactness1", "Compactness2", "SphericalDisproportion")
DEFAULT_SHAPE: tuple[str, ...] = tuple(n for n in SHAPE_NAMES if n not in _DEPRECATED)
#: 2-D shape features (``shape2D``, ROI of one slice with ``force2D``).
SHAPE2D_NAMES: tuple[str, ...] = (
    "Elongation",
    "MajorAxisLength",
    "MaximumDiameter",
    "MeshSurface",
    "MinorAxisLength",
    "Perimeter",
    "PerimeterSurfaceRatio",
    "PixelSurface",
    "SphericalDisproportion",
    "Sphericity",
)
DEFAULT_SHAPE2D: tuple[str, ...] = tuple(n for n in SHAPE2D_NAMES if n != "SphericalDisproportion")


def shape_features(
    mask: npt.NDArray[np.bool_],
    spacing: tuple[float, float, float],
    names: tuple[str, ...] = (),
    *,
    ibsi: bool = False,
) -> dict[str, float]:
    """Compute 3-D shape features.

    Parameters
    ----------
    mask : ndarray of bool (z, y, x)
        The ROI cropped to its bounding box.
    spacing : (x, y, z)
        Voxel size in mm.
    names : tuple of str
        Features to return (empty: PyRadiomics' default set).
    ibsi : bool
        IBSI-1 convention for the axis lengths (coordinate covariance divided by N - 1; PyRadiomics: N).

    Returns
    -------
    dict
        ``{"shape_<Name>": value}``.
    """
    sp_zyx = (float(spacing[2]), float(spacing[1]), float(spacing[0]))
    area, volume, diam = mesh_shape(mask, sp_zyx)
    count, ev = axis_eigenvalues(mask, sp_zyx, ddof=1 if ibsi else 0)
    voxel_volume = count * (sp_zyx[0] * sp_zyx[2] * sp_zyx[1])

    def axis(e: float) -> float:
        return math.sqrt(e) * 4 if e >= 0 else math.nan

    def ratio(a: float, b: float) -> float:
        if a < 0 or b < 0:
            return math.nan
        return math.sqrt(a / b) if b > 0 else math.nan

    sph_denominator = (36 * math.pi * volume**2) ** (1.0 / 3.0)
    values = {
        "MeshVolume": volume,
        "VoxelVolume": voxel_volume,
        "SurfaceArea": area,
        "SurfaceVolumeRatio": area / volume if volume else math.nan,
        "Sphericity": sph_denominator / area,
        "Compactness1": volume / (area ** (3.0 / 2.0) * math.sqrt(math.pi)),
        "Compactness2": 36.0 * math.pi * volume**2.0 / area**3.0,
        "SphericalDisproportion": area / sph_denominator if sph_denominator else math.nan,
        "Maximum3DDiameter": float(diam[3]),
        "Maximum2DDiameterSlice": float(diam[0]),
        "Maximum2DDiameterColumn": float(diam[1]),
        "Maximum2DDiameterRow": float(diam[2]),
        "MajorAxisLength": axis(float(ev[2])),
        "MinorAxisLength": axis(float(ev[1])),
        "LeastAxisLength": axis(float(ev[0])),
        "Elongation": ratio(float(ev[1]), float(ev[2])),
        "Flatness": ratio(float(ev[0]), float(ev[2])),
    }
    wanted = names or DEFAULT_SHAPE
    return {f"shape_{n}": float(values[n]) for n in SHAPE_NAMES if n in wanted}


def shape2d_features(
    mask: npt.NDArray[np.bool_], spacing: tuple[float, float], names: tuple[str, ...] = ()
) -> dict[str, float]:
    """Compute PyRadiomics' 2-D shape features of a one-slice ROI.

    Parameters
    ----------
    mask : ndarray of bool (rows, columns)
        The ROI slice.
    spacing : (rows, columns)
        Pixel size in mm, array order.
    names : tuple of str
        Features to return (empty: PyRadiomics' default set).

    Returns
    -------
    dict
        ``{"shape2D_<Name>": value}``.
    """
    perimeter, surface, diameter = mesh_shape_2d(mask, spacing)
    coords = np.argwhere(mask).astype(np.float64) * np.asarray(spacing, dtype=np.float64)
    count = coords.shape[0]
    centred = (coords - coords.mean(axis=0)) / math.sqrt(count)
    ev = np.sort(np.linalg.eigvalsh(centred.T @ centred))
    ev = np.where((ev < 0) & (ev > -1e-10), 0.0, ev)
    sphericity = 2 * math.sqrt(math.pi * surface) / perimeter
    values = {
        "MeshSurface": surface,
        "PixelSurface": count * float(spacing[0] * spacing[1]),
        "Perimeter": perimeter,
        "PerimeterSurfaceRatio": perimeter / surface if surface else math.nan,
        "Sphericity": sphericity,
        "SphericalDisproportion": 1.0 / sphericity,
        "MaximumDiameter": diameter,
        "MajorAxisLength": math.sqrt(ev[1]) * 4 if ev[1] >= 0 else math.nan,
        "MinorAxisLength": math.sqrt(ev[0]) * 4 if ev[0] >= 0 else math.nan,
        "Elongation": math.sqrt(ev[0] / ev[1]) if ev[0] >= 0 and ev[1] > 0 else math.nan,
    }
    wanted = names or DEFAULT_SHAPE2D
    return {f"shape2D_{n}": float(values[n]) for n in SHAPE2D_NAMES if n in wanted}

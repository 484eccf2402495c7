"""First-order features of one (filtered) image inside the ROI (PyRadiomics names, IBSI codes in the kernel)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from kernels.firstorder import FIRSTORDER_NAMES, firstorder_features

__all__ = ["DEFAULT_FIRSTORDER", "FIRSTORDER_NAMES", "firstorder"]

#: Features PyRadiomics enables by default (StandardDeviation is deprecated there).
DEFAULT_FIRSTORDER: tuple[str, ...] = tuple(n for n in FIRSTORDER_NAMES if n != "StandardDeviation")


def firstorder(
    values_box: npt.NDArray[np.floating],
    levels_box: npt.NDArray[np.int32],
    roi: npt.NDArray[np.bool_],
    spacing: tuple[float, float, float],
    *,
    shift: float = 0.0,
    names: tuple[str, ...] = (),
    excess_kurtosis: bool = False,
) -> dict[str, float]:
    """Compute first-order features.

    Parameters
    ----------
    values_box, levels_box : ndarray (z, y, x)
        Intensities and discretised grey levels on the ROI box.
    roi : ndarray of bool
        The ROI.
    spacing : (x, y, z)
        Voxel size in mm (TotalEnergy).
    shift : float
        ``voxelArrayShift``.
    names : tuple of str
        Features to return (empty: PyRadiomics' default set).
    excess_kurtosis : bool
        Report IBSI's excess kurtosis (``ibsi`` mode) instead of PyRadiomics' plain kurtosis.

    Returns
    -------
    dict
        ``{"firstorder_<Name>": value}``.
    """
    vals = values_box[roi]
    levels = levels_box[roi]
    voxel_volume = float(np.multiply.reduce(np.asarray(spacing, dtype=np.float64)))
    out = firstorder_features(vals, levels, voxel_volume, shift)
    wanted = names or DEFAULT_FIRSTORDER
    result = {}
    for name, value in zip(FIRSTORDER_NAMES, out, strict=True):
        if name in wanted:
            if name == "Kurtosis" and excess_kurtosis:
                value -= 3.0
            result[f"firstorder_{name}"] = float(value)
    return result

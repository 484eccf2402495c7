"""Agreement of a segmentation with a reference: Dice, surface distances, volume difference.

Surface voxels are the mask voxels with at least one face neighbour outside the mask.  The mean surface distance
is symmetric: the distances (mm, Euclidean on the voxel grid) from every surface voxel of each mask to the nearest
surface voxel of the other, averaged over both sets together (as in ``SimpleITK``'s Hausdorff filter family and
``surface-distance``).  Identical masks have MSD 0.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from hsp_desktop.errors import GeometryError, InputError

__all__ = ["Agreement", "agreement"]

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Agreement:
    """Overlap and boundary agreement of a test mask with a reference mask.

    Attributes
    ----------
    dice : float
        2 |A and B| / (|A| + |B|).
    msd_mm : float
        Symmetric mean surface distance, mm.
    hd95_mm : float
        95th percentile of the symmetric surface distances, mm.
    volume_ml, reference_ml : float
        Volumes of the test and reference masks.
    volume_error : float
        (volume - reference) / reference.
    """

    dice: float
    msd_mm: float
    hd95_mm: float
    volume_ml: float
    reference_ml: float
    volume_error: float

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable form."""
        return asdict(self)


def _surface(mask: BoolArray) -> BoolArray:
    from scipy import ndimage

    inner = ndimage.binary_erosion(mask, structure=ndimage.generate_binary_structure(3, 1), border_value=0)
    return np.asarray(mask & ~inner, dtype=bool)


def agreement(test: BoolArray, reference: BoolArray, spacing: tuple[float, float, float]) -> Agreement:
    """Dice, mean and 95th-percentile surface distance and volume error of ``test`` against ``reference``.

    Parameters
    ----------
    test, reference : ndarray of bool, shape (z, y, x)
        Masks on the same grid.
    spacing : (sx, sy, sz)
        Voxel size in mm (x, y, z order).

    Returns
    -------
    Agreement

    Raises
    ------
    GeometryError
        Masks of different shapes.
    InputError
        An empty mask (distances are undefined).
    """
    from scipy import ndimage

    test = np.asarray(test, dtype=bool)
    reference = np.asarray(reference, dtype=bool)
    if test.shape != reference.shape:
        raise GeometryError(
            "The masks to compare are on different grids",
            expected=f"shape {reference.shape}",
            found=f"shape {test.shape}",
            fix="resample the test mask onto the reference grid",
            field="mask",
        )
    if not test.any() or not reference.any():
        raise InputError(
            "Surface distances need two non-empty masks",
            expected="labelled voxels in both masks",
            found=f"test {int(test.sum())} voxels, reference {int(reference.sum())} voxels",
            fix="check the label chosen",
            field="mask",
        )
    both = test | reference
    box = tuple(
        slice(max(0, s.start - 2), s.stop + 2) for s in ndimage.find_objects(both.astype(np.uint8))[0]
    )
    a, b = test[box], reference[box]
    sampling = (spacing[2], spacing[1], spacing[0])
    sa, sb = _surface(a), _surface(b)
    da = ndimage.distance_transform_edt(~sb, sampling=sampling)[sa]
    db = ndimage.distance_transform_edt(~sa, sampling=sampling)[sb]
    distances = np.concatenate([da, db])
    voxel_ml = spacing[0] * spacing[1] * spacing[2] / 1000.0
    n_a, n_b = int(a.sum()), int(b.sum())
    return Agreement(
        dice=float(2.0 * np.count_nonzero(a & b) / (n_a + n_b)),
        msd_mm=float(distances.mean()),
        hd95_mm=float(np.percentile(distances, 95)),
        volume_ml=n_a * voxel_ml,
        reference_ml=n_b * voxel_ml,
        volume_error=(n_a - n_b) / n_b,
    )

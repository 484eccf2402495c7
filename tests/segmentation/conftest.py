"""Synthetic cases for the segmentation tests (rendered once per session on the default grid)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from hsp_desktop.domain import CtVolume, LabelMap
from hsp_desktop.synthetic.images import CaseAnatomy, render_case


def deepest_spleen_voxel(labels: LabelMap) -> tuple[int, int, int]:
    """The spleen voxel farthest from its surface, as (i, j, k) = (column, row, slice)."""
    spleen = labels.array == 1
    sx, sy, sz = labels.spacing
    edt = ndimage.distance_transform_edt(spleen, sampling=(sz, sy, sx))
    k, j, i = np.unravel_index(int(np.argmax(edt)), spleen.shape)
    return int(i), int(j), int(k)


@pytest.fixture(scope="session")
def case() -> tuple[CtVolume, LabelMap]:
    """One synthetic recipient (128 x 128 x 48 at 2.9 x 2.9 x 5 mm) with its ground-truth labels."""
    return render_case(
        CaseAnatomy(spleen_volume_ml=420.0, spleen_length_cm=12.5, liver_volume_ml=1700.0, seed=11)
    )

from __future__ import annotations

import numpy as np
import pytest

from hsp_desktop.errors import InputError
from hsp_desktop.segmentation.editing import (
    EditHistory,
    erase,
    fill_holes,
    keep_largest,
    paint,
    smooth,
    threshold_paint,
)
from hsp_desktop.segmentation.provenance import MaskProvenance

SPACING = (1.0, 1.0, 2.0)


def _blank() -> np.ndarray:
    return np.zeros((10, 40, 40), dtype=np.uint8)


def test_paint_is_a_round_disc_in_each_plane_and_spares_other_labels() -> None:
    a = _blank()
    a[5, 20, 22] = 2  # a liver voxel inside the brush
    axial = paint(a, SPACING, "axial", 5, (20, 20), 3.0, 1)
    assert axial is not a and a[5, 20, 20] == 0  # pure: the input is untouched
    assert np.count_nonzero(axial == 1) == 28  # 29 voxels within 3 mm of the centre, minus the liver voxel
    assert axial[5, 20, 22] == 2 and not axial[4].any()
    coronal = paint(a, SPACING, "coronal", 20, (5, 20), 4.0, 1)  # (slice, column); 2 mm slices
    assert set(np.flatnonzero(coronal.any(axis=(1, 2)))) == {3, 4, 5, 6, 7}
    sagittal = paint(a, SPACING, "sagittal", 20, (5, 20), 1.0, 1)
    assert np.count_nonzero(sagittal == 1) == 3  # one slice (2 mm) by three rows (1 mm)
    with pytest.raises(InputError, match="outside the CT"):
        paint(a, SPACING, "axial", 10, (0, 0), 2.0, 1)
    with pytest.raises(InputError, match="Unknown plane"):
        paint(a, SPACING, "oblique", 1, (0, 0), 2.0, 1)
    with pytest.raises(InputError, match="organ label"):
        paint(a, SPACING, "axial", 1, (0, 0), 2.0, 0)


def test_erase_threshold_paint_fill_keep_largest_smooth() -> None:
    a = _blank()
    a[2:8, 10:30, 10:30] = 1
    a[2:8, 18:22, 18:22] = 0  # a hole through the middle slices
    a[0, 0:2, 0:2] = 1  # an island
    a[2:8, 10:12, 30:32] = 2  # liver next to it
    erased = erase(a, SPACING, "axial", 4, (10, 10), 2.0, 1)
    assert erased[4, 10, 10] == 0 and erased[4, 10, 31] == 2
    ct = np.zeros(a.shape, dtype=np.float32)
    ct[:, :, 35:] = 200.0
    tp = threshold_paint(a, ct, SPACING, "axial", 1, (20, 34), 3.0, 1, (100.0, 300.0))
    new = (tp == 1) & (a != 1)
    assert new.any() and (ct[new] >= 100).all()
    filled = fill_holes(a, 1)
    assert (filled[2:8, 18:22, 18:22] == 1).all()
    largest = keep_largest(a, 1)
    assert largest[0, 0, 0] == 0 and largest[4, 15, 15] == 1
    rough = a.copy()
    rough[4, 9, 15] = 1  # a one-voxel bump
    smoothed = smooth(rough, SPACING, 1, 1.5)
    assert smoothed[4, 9, 15] == 0 and (smoothed == 2).sum() == (a == 2).sum()
    with pytest.raises(InputError, match="needs the CT"):
        threshold_paint(a, ct[:-1], SPACING, "axial", 1, (20, 34), 3.0, 1, (100.0, 300.0))


def test_history_undo_redo_records_every_edit_and_voids_the_review() -> None:
    a = _blank()
    a[2:8, 10:30, 10:30] = 1
    provenance = MaskProvenance(
        method="semi-automatic",
        created_by="dr.wu",
        created_at="2026-01-01T00:00:00+00:00",
        ct_source="ct.nii.gz",
        labels={1: "spleen"},
    ).reviewed("dr.li", a)
    history = EditHistory(a, provenance, SPACING)
    before = history.volume_ml(1)
    assert history.volume_ml(1) == pytest.approx(6 * 20 * 20 * 2 / 1000)
    n = history.apply(
        "paint",
        paint,
        SPACING,
        "axial",
        5,
        (20, 35),
        3.0,
        1,
        user="dr.wu",
        label=1,
        params={"plane": "axial", "slice": 5},
    )
    assert n > 0 and history.volume_ml(1) > before
    assert history.provenance.review is None  # an edit voids the review
    assert history.provenance.edits[-1].tool == "paint" and history.provenance.edits[-1].user == "dr.wu"
    assert history.provenance.edits[-1].voxels_changed == n
    history.apply("erase", erase, SPACING, "axial", 5, (20, 20), 4.0, 1, user="dr.wu", label=1)
    assert len(history.provenance.edits) == 2
    # an edit that changes nothing is not recorded
    assert history.apply("erase", erase, SPACING, "axial", 0, (0, 0), 1.0, 1, user="dr.wu", label=1) == 0
    assert history.undo() and len(history.provenance.edits) == 1
    assert history.undo() and history.volume_ml(1) == before and np.array_equal(history.array, a)
    assert not history.undo() and history.can_redo
    assert history.redo() and history.provenance.edits[-1].tool == "paint"
    assert history.volume_ml(1) > before
    with pytest.raises(ValueError):
        history.array[0, 0, 0] = 1  # the current labels are read-only outside the history

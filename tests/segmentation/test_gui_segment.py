"""The Segment screen in the real main window: click, segment, edit (paint/erase/undo), review, score.

Mouse clicks and drags go to the viewer panes' viewports through ``qtbot`` (real Qt mouse events).  Screenshots of
each step are written to ``HSP_SCREENSHOT_DIR`` when it is set (under Xvfb: ``DISPLAY=:NN``), else to the test's
temporary folder.
"""

from __future__ import annotations

import copy
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import deepest_spleen_voxel
from PySide6.QtCore import QPoint, QPointF, Qt

from hsp_desktop.modelstore import SHIPPED

pytestmark = pytest.mark.gui

PIPELINE = Path(__file__).resolve().parents[1] / "pipeline"
REPORTING = Path(__file__).resolve().parents[1] / "reporting"


def _pane_point(editor: Any, orientation: str, voxel: tuple[int, int, int]) -> QPoint:
    """Move the pane to the voxel's slice and return the viewport point over the voxel (z, y, x)."""
    from hsp_desktop.gui.widgets.slice_viewer import AXIS, pixel_size

    viewer = editor.viewer
    z, y, x = voxel
    index = voxel[AXIS[orientation]]
    viewer.step_slice(orientation, index - viewer.slice_index(orientation))
    pane = viewer.panes[orientation]
    nz = editor.ct.shape[0]
    col, row = {"Axial": (x, y), "Coronal": (x, nz - 1 - z), "Sagittal": (y, nz - 1 - z)}[orientation]
    px_w, px_h = pixel_size(editor.ct.spacing, orientation)
    rect = pane.image_rect()
    scene = QPointF(rect.left() + (col + 0.5) * px_w, rect.top() + (row + 0.5) * px_h)
    return pane.mapFromScene(scene)


def _shot(window: Any, folder: Path, name: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    assert window.grab().save(str(folder / f"{name}.png"))


@pytest.mark.skipif(
    not (SHIPPED / "hsp-demo-1" / "manifest.json").is_file(), reason="the shipped demo model is not built"
)
def test_click_segment_edit_review_score(qtbot, tmp_path: Path, case) -> None:
    from hsp_desktop.gui.context import AppContext
    from hsp_desktop.gui.mainwindow import MainWindow
    from hsp_desktop.gui.workers import active_workers
    from hsp_desktop.importers import write_image
    from hsp_desktop.registry import Registry
    from hsp_desktop.registry.passwords import TEST_PARAMS
    from hsp_desktop.segmentation import agreement, read_provenance

    for folder in (PIPELINE, REPORTING):
        if str(folder) not in sys.path:
            sys.path.insert(0, str(folder))
    from report_helpers import pdf_pages_text
    from test_run_case_registry import RECORD

    shots = Path(os.environ.get("HSP_SCREENSHOT_DIR") or tmp_path / "shots")
    ct, truth = case
    ct_path = write_image(ct, tmp_path / "ct.nii.gz")
    registry = Registry.open(tmp_path / "registry.sqlite", argon2_params=TEST_PARAMS)
    try:
        admin = registry.add_user("dr.li", "correct horse battery", "admin", by=None)
        record = copy.deepcopy(RECORD)
        record["spleen_volume_ml"] = 420
        sid = registry.add_recipient(record, by=admin)
        ctx = AppContext(registry=registry, user=admin, data_dir=tmp_path / "data")
        window = MainWindow(ctx)
        qtbot.addWidget(window)
        window.resize(1600, 1000)
        window.show()
        ctx.select(sid)

        imaging = window.show_page("imaging")
        imaging.open_ct_file(ct_path)
        qtbot.waitUntil(lambda: ctx.ct_volume is not None, timeout=60_000)

        page = window.show_page("segment")
        page.refresh()
        qtbot.mouseClick(page.load_button, Qt.MouseButton.LeftButton)
        editor = page.editor
        assert editor.history is not None and not editor.history.array.any()
        assert not page.segment_button.isEnabled()  # nothing to grow from yet

        # -- one click inside the spleen, then Segment ------------------------------------------------------
        i, j, k = deepest_spleen_voxel(truth)
        point = _pane_point(editor, "Axial", (k, j, i))
        qtbot.mouseClick(editor.viewer.panes["Axial"].viewport(), Qt.MouseButton.LeftButton, pos=point)
        assert page.seeds["spleen"] == [(i, j, k)]
        assert editor.low.value() < float(ct.array[k, j, i]) < editor.high.value()  # window from the click
        _shot(window, shots, "1-seed")
        qtbot.mouseClick(page.segment_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: bool(editor.history.array.any()) and not page.worker.running, timeout=60_000)
        spleen = editor.history.array == 1
        assert agreement(spleen, truth.array == 1, ct.spacing).dice > 0.95
        assert "Spleen 4" in editor.volume.text()  # live volume, about 420 ml
        _shot(window, shots, "2-segmented")

        # -- edit: paint a disc beside the spleen, erase inside it, undo the erase ---------------------------------
        grown = float(editor.history.volume_ml(1))
        editor.set_edit_tool("paint")
        _zs, ys, xs = np.nonzero(spleen[k : k + 1])
        outside = (
            k,
            int(ys.min()) - 4,
            int(xs[np.argmin(ys)]),
        )  # 4 rows anterior of the spleen on this slice
        viewport = editor.viewer.panes["Axial"].viewport()
        start = _pane_point(editor, "Axial", outside)
        qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=start)
        qtbot.mouseMove(viewport, start + QPoint(6, 0))
        qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=start + QPoint(6, 0))
        painted = float(editor.history.volume_ml(1))
        assert painted > grown
        assert editor.history.provenance.edits[-1].tool == "paint"
        assert editor.history.provenance.edits[-1].user == "dr.li"
        editor.set_edit_tool("erase")
        centre = _pane_point(editor, "Axial", (k, j, i))
        qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=centre)
        assert editor.history.volume_ml(1) < painted and editor.history.array[k, j, i] == 0
        _shot(window, shots, "3-erased")
        qtbot.mouseClick(editor.undo_button, Qt.MouseButton.LeftButton)
        assert editor.history.volume_ml(1) == pytest.approx(painted) and editor.history.array[k, j, i] == 1
        assert [e.tool for e in editor.history.provenance.edits] == ["grow", "paint"]

        # -- the liver from a click in the coronal plane (the demo model uses liver features too) ----------------
        editor.organ.setCurrentIndex(editor.organ.findData("liver"))
        editor.set_edit_tool("seed")
        liver = np.argwhere(truth.array == 2)
        lz, ly, lx = (int(v) for v in liver[len(liver) // 2])
        point = _pane_point(editor, "Coronal", (lz, ly, lx))
        qtbot.mouseClick(editor.viewer.panes["Coronal"].viewport(), Qt.MouseButton.LeftButton, pos=point)
        assert page.seeds["liver"] == [(lx, ly, lz)]
        qtbot.mouseClick(page.segment_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(
            lambda: bool((editor.history.array == 2).any()) and not page.worker.running, timeout=60_000
        )
        assert agreement(editor.history.array == 2, truth.array == 2, ct.spacing).dice > 0.9

        # -- review: needs the check box; saves the mask with provenance and hands it to scoring ------------------
        assert not page.review_button.isEnabled()
        page.reviewed_box.setChecked(True)
        qtbot.mouseClick(page.review_button, Qt.MouseButton.LeftButton)
        assert ctx.mask_path is not None and ctx.mask_path.is_file() and page.score_button.isEnabled()
        provenance = read_provenance(ctx.mask_path)
        assert provenance is not None and provenance.review is not None
        assert provenance.review.reviewer == "dr.li" and len(provenance.edits) == 3
        assert provenance.details["organs"]["spleen"]["seeds"] == [[i, j, k]]
        _shot(window, shots, "4-reviewed")

        # -- score with the reviewed mask; the PDF names its provenance ---------------------------------------------
        from hsp_desktop.gui.app import warm_kernels

        warm_kernels()
        qtbot.mouseClick(page.score_button, Qt.MouseButton.LeftButton)
        score = window.pages["score"]
        assert window.stack.currentWidget() is not None
        score.start()
        qtbot.waitUntil(
            lambda: score.result is not None or not score.cancel_button.isEnabled(), timeout=300_000
        )
        assert score.result is not None, score.stage.text()
        assert "reviewed by dr.li" in score.result.risk.extra["mask_provenance"]
        _shot(window, shots, "5-scored")
        text = " ".join(pdf_pages_text(score.report_path()))
        assert "Spleen mask (made in the app)" in text and "reviewed by dr.li" in text
        window.close()
        assert not active_workers()
    finally:
        registry.close()

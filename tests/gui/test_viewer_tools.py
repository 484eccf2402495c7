"""The viewer as a radiologist uses it: window/level drag, linked crosshair, HU readout, letters, ruler."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest

from hsp_desktop.domain import CtVolume, LabelMap
from hsp_desktop.gui.widgets.slice_viewer import SliceViewer, orientation_letters, take_slice, voxel_at


def _volume() -> tuple[CtVolume, LabelMap]:
    z, y, x = np.mgrid[0:20, 0:40, 0:50]
    ct = (40 + 100 * ((x - 25) ** 2 + (y - 20) ** 2 < 150)).astype(np.float32) + x  # HU rises with x
    labels = (((x - 25) ** 2 + (y - 20) ** 2 + (z - 10) ** 2) < 50).astype(np.uint8)
    return CtVolume(ct, (0.8, 0.8, 2.5)), LabelMap(labels, (0.8, 0.8, 2.5))


@pytest.fixture
def viewer(qtbot) -> SliceViewer:
    ct, mask = _volume()
    v = SliceViewer()
    qtbot.addWidget(v)
    v.resize(1200, 520)
    v.show()
    qtbot.waitExposed(v)
    v.set_volume(ct, mask)
    return v


def _at(pane, scene: QPointF) -> QPoint:
    return pane.mapFromScene(scene)


def test_voxel_at_inverts_take_slice() -> None:
    arr = np.arange(4 * 5 * 6).reshape(4, 5, 6)
    for name, index in (("Axial", 2), ("Coronal", 3), ("Sagittal", 4)):
        sl = take_slice(arr, name, index)
        for row, col in ((0, 0), (1, 2), (sl.shape[0] - 1, sl.shape[1] - 1)):
            assert arr[voxel_at(arr.shape, name, index, row, col)] == sl[row, col]


def test_orientation_letters_follow_the_direction_cosines() -> None:
    identity = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)
    assert orientation_letters(identity, "Axial") == {"left": "R", "right": "L", "top": "A", "bottom": "P"}
    assert orientation_letters(identity, "Coronal") == {"left": "R", "right": "L", "top": "S", "bottom": "I"}
    assert orientation_letters(identity, "Sagittal") == {"left": "A", "right": "P", "top": "S", "bottom": "I"}
    flipped_x = (-1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)
    assert orientation_letters(flipped_x, "Axial")["left"] == "L"


def test_window_level_drag_and_presets(qtbot, viewer: SliceViewer) -> None:
    pane = viewer.panes["Axial"]
    w0, l0 = viewer.window_width, viewer.window_level
    centre = pane.viewport().rect().center()
    QTest.mousePress(pane.viewport(), Qt.MouseButton.RightButton, Qt.KeyboardModifier.NoModifier, centre)
    QTest.mouseMove(pane.viewport(), centre + QPoint(30, -10))
    QTest.mouseRelease(
        pane.viewport(), Qt.MouseButton.RightButton, Qt.KeyboardModifier.NoModifier, centre + QPoint(30, -10)
    )
    assert viewer.window_width > w0 and viewer.window_level > l0
    assert f"W {viewer.window_width:.0f}" in viewer.wl_label.text()
    pane.setFocus()
    QTest.keyClick(pane, Qt.Key.Key_4)  # bone preset
    assert (viewer.window_width, viewer.window_level) == (1800.0, 400.0)


def test_keys_scroll_and_crosshair_links_the_planes(qtbot, viewer: SliceViewer) -> None:
    pane = viewer.panes["Axial"]
    z0 = viewer.slice_index("Axial")
    QTest.keyClick(pane, Qt.Key.Key_PageUp)
    assert viewer.slice_index("Axial") == min(19, z0 + 10)
    QTest.keyClick(pane, Qt.Key.Key_Home)
    assert viewer.slice_index("Axial") == 0
    QTest.keyClick(pane, Qt.Key.Key_Up)
    assert viewer.slice_index("Axial") == 1
    viewer.set_tool("crosshair")
    rect = pane.image_rect()
    target = QPointF(rect.left() + 10.5 * 0.8, rect.top() + 30.5 * 0.8)  # pixel col 10, row 30
    QTest.mouseClick(
        pane.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, _at(pane, target)
    )
    assert viewer.crosshair() == (1, 30, 10)
    assert viewer.slice_index("Coronal") == 30 and viewer.slice_index("Sagittal") == 10
    coronal = viewer.panes["Coronal"]
    assert coronal.cross_v.line().x1() == pytest.approx(coronal.image_rect().left() + 10.5 * 0.8)


def test_hu_readout_under_the_cursor(qtbot, viewer: SliceViewer) -> None:
    pane = viewer.panes["Axial"]
    rect = pane.image_rect()
    z = viewer.slice_index("Axial")
    QTest.mouseMove(pane.viewport(), _at(pane, QPointF(rect.left() + 3.5 * 0.8, rect.top() + 2.5 * 0.8)))
    assert f"voxel x 3, y 2, z {z}" in viewer.readout.text() and "43 HU" in viewer.readout.text()


def test_zoom_pan_and_maximise(qtbot, viewer: SliceViewer) -> None:
    pane = viewer.panes["Sagittal"]
    scale = pane.transform().m11()
    pane.set_zoom(2.0)
    assert pane.transform().m11() == pytest.approx(2 * scale, rel=1e-3)
    centre = pane.viewport().rect().center()
    before = pane.mapToScene(centre)
    QTest.mousePress(pane.viewport(), Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier, centre)
    QTest.mouseMove(pane.viewport(), centre + QPoint(40, 0))
    QTest.mouseRelease(
        pane.viewport(), Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier, centre + QPoint(40, 0)
    )
    assert pane.mapToScene(centre).x() < before.x()
    QTest.keyClick(pane, Qt.Key.Key_R)
    assert pane.zoom == 1.0
    viewer.toggle_maximise("Sagittal")
    assert viewer.panes["Axial"].isHidden() and not pane.isHidden()
    QTest.keyClick(pane, Qt.Key.Key_M)
    assert not viewer.panes["Axial"].isHidden()


def test_ruler_measures_in_millimetres_and_sends_with_provenance(qtbot, viewer: SliceViewer) -> None:
    viewer.user = "dr.wang"
    viewer.set_tool("ruler")
    pane = viewer.panes["Coronal"]  # pixels 0.8 mm wide, 2.5 mm high
    rect = pane.image_rect()
    start = QPointF(rect.left() + 5 * 0.8, rect.top() + 2 * 2.5)
    end = QPointF(rect.left() + 45 * 0.8, rect.top() + 2 * 2.5 + 30.0)  # 32 mm across, 30 mm down
    m = viewer.measure("Coronal", start, end)
    assert m is not None and m.length_mm == pytest.approx(np.hypot(32.0, 30.0))
    assert m.start[1] == m.end[1] == viewer.slice_index("Coronal")
    got: list[tuple[str, float, dict]] = []
    viewer.measurement_recorded.connect(lambda f, v, p: got.append((f, v, p)))
    viewer.measure_field.setCurrentIndex(viewer.measure_field.findData("spleen_length_cm"))
    viewer.send_measurement()
    field, value, prov = got[-1]
    assert field == "spleen_length_cm" and value == pytest.approx(round(np.hypot(32.0, 30.0) / 10, 1))
    assert prov["plane"] == "coronal" and prov["by"] == "dr.wang" and prov["slice"].endswith("/40")
    assert prov["at"].endswith("Z")
    QTest.keyClick(pane, Qt.Key.Key_Escape)
    assert viewer.measurement is None and not viewer.send_button.isEnabled()


def test_ruler_by_mouse_drag(qtbot, viewer: SliceViewer) -> None:
    viewer.set_tool("ruler")
    pane = viewer.panes["Axial"]
    rect = pane.image_rect()
    a = _at(pane, QPointF(rect.left() + 5, rect.top() + 5))
    b = _at(pane, QPointF(rect.left() + 25, rect.top() + 5))
    QTest.mousePress(pane.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, a)
    QTest.mouseMove(pane.viewport(), b)
    QTest.mouseRelease(pane.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, b)
    assert viewer.measurement is not None
    assert viewer.measurement.length_mm == pytest.approx(20.0, abs=2 / pane.transform().m11() + 0.01)
    assert pane.ruler.isVisible()

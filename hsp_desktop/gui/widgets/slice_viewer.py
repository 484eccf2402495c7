"""Axial / coronal / sagittal CT views that behave like a PACS viewer, with a ruler (caliper).

Built on Qt's own ``QGraphicsView`` rather than pyqtgraph: the three panes need only an image item, two crosshair
lines and a ruler line, which ``QGraphicsView`` gives with zoom/pan transforms and exact scene coordinates in
millimetres (the pixmap item is scaled by the voxel spacing, so a ruler's scene length *is* its length in mm).
pyqtgraph's ImageView would add a dependency (and its OpenGL/colour-map machinery, its own untranslated context
menus and its histogram widget) to the frozen ward bundle for no feature we use.

Mouse: left button acts with the chosen tool (window/level, pan, zoom, ruler, crosshair), the middle button pans,
the right button adjusts window/level, the wheel scrolls slices, Ctrl+wheel zooms, a double-click maximises a pane.
Keys (pane focused): Up/Down or arrows one slice, PgUp/PgDn ten, Home/End first/last, 1-4 presets, R reset,
M maximise, Esc removes the ruler.  :data:`SHORTCUTS` lists them for Help.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QCoreApplication, QEvent, QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPen,
    QPixmap,
    QResizeEvent,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QGraphicsLineItem,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from hsp_desktop.domain import CtVolume, LabelMap
from hsp_desktop.gui.noop import QT_TRANSLATE_NOOP

#: (window, level) in HU.
PRESETS: dict[str, tuple[float, float]] = {
    QT_TRANSLATE_NOOP("SliceViewer", "Abdomen"): (400.0, 50.0),
    QT_TRANSLATE_NOOP("SliceViewer", "Liver"): (150.0, 90.0),
    QT_TRANSLATE_NOOP("SliceViewer", "Soft tissue"): (350.0, 40.0),
    QT_TRANSLATE_NOOP("SliceViewer", "Bone"): (1800.0, 400.0),
}
LABEL_COLOURS = {1: (255, 80, 40), 2: (60, 160, 255)}
ORIENTATIONS = (
    QT_TRANSLATE_NOOP("SliceViewer", "Axial"),
    QT_TRANSLATE_NOOP("SliceViewer", "Coronal"),
    QT_TRANSLATE_NOOP("SliceViewer", "Sagittal"),
)
#: Which array axis of (z, y, x) each view slices through.
AXIS = {"Axial": 0, "Coronal": 1, "Sagittal": 2}
TOOLS = (
    ("window", QT_TRANSLATE_NOOP("SliceViewer", "Window/level")),
    ("pan", QT_TRANSLATE_NOOP("SliceViewer", "Pan")),
    ("zoom", QT_TRANSLATE_NOOP("SliceViewer", "Zoom")),
    ("ruler", QT_TRANSLATE_NOOP("SliceViewer", "Ruler")),
    ("crosshair", QT_TRANSLATE_NOOP("SliceViewer", "Crosshair")),
)
#: Pre-operative fields a ruler measurement can fill: (field, label, unit, factor from mm).
CALIPER_FIELDS = (
    ("spleen_length_cm", QT_TRANSLATE_NOOP("SliceViewer", "Spleen length"), "cm", 0.1),
    ("portal_vein_mm", QT_TRANSLATE_NOOP("SliceViewer", "Portal vein diameter"), "mm", 1.0),
    ("splenic_vein_mm", QT_TRANSLATE_NOOP("SliceViewer", "Splenic vein diameter"), "mm", 1.0),
)
#: Keyboard and mouse shortcuts (shown in Help).
SHORTCUTS = (
    (QT_TRANSLATE_NOOP("SliceViewer", "Mouse wheel, Up/Down"), QT_TRANSLATE_NOOP("SliceViewer", "next/previous slice")),
    (QT_TRANSLATE_NOOP("SliceViewer", "Page Up/Page Down"), QT_TRANSLATE_NOOP("SliceViewer", "ten slices")),
    (QT_TRANSLATE_NOOP("SliceViewer", "Home/End"), QT_TRANSLATE_NOOP("SliceViewer", "first/last slice")),
    (QT_TRANSLATE_NOOP("SliceViewer", "Ctrl+wheel"), QT_TRANSLATE_NOOP("SliceViewer", "zoom")),
    (QT_TRANSLATE_NOOP("SliceViewer", "Right drag"), QT_TRANSLATE_NOOP("SliceViewer", "window (left/right) and level (up/down)")),
    (QT_TRANSLATE_NOOP("SliceViewer", "Middle drag"), QT_TRANSLATE_NOOP("SliceViewer", "pan")),
    (QT_TRANSLATE_NOOP("SliceViewer", "Left drag"), QT_TRANSLATE_NOOP("SliceViewer", "the chosen tool (window/level, pan, zoom, ruler, crosshair)")),
    (QT_TRANSLATE_NOOP("SliceViewer", "Double-click, M"), QT_TRANSLATE_NOOP("SliceViewer", "maximise the pane / show all three")),
    (QT_TRANSLATE_NOOP("SliceViewer", "1, 2, 3, 4"), QT_TRANSLATE_NOOP("SliceViewer", "abdomen, liver, soft-tissue, bone window")),
    (QT_TRANSLATE_NOOP("SliceViewer", "R"), QT_TRANSLATE_NOOP("SliceViewer", "reset zoom and pan")),
    (QT_TRANSLATE_NOOP("SliceViewer", "Esc"), QT_TRANSLATE_NOOP("SliceViewer", "remove the ruler")),
)  # fmt: skip


def window_to_rgb(slice_hu: np.ndarray, window: float, level: float) -> np.ndarray:
    """Map HU to grey 0-255 with the given window/level; returns (h, w, 3) uint8."""
    lo = level - window / 2.0
    grey = np.clip((slice_hu.astype(np.float32) - lo) / max(window, 1.0) * 255.0, 0, 255).astype(np.uint8)
    return np.repeat(grey[:, :, None], 3, axis=2)


def blend_labels(rgb: np.ndarray, labels: np.ndarray, opacity: float) -> np.ndarray:
    """Blend coloured labels over an RGB slice with the given opacity (0-1)."""
    out = rgb.astype(np.float32)
    for value, colour in LABEL_COLOURS.items():
        sel = labels == value
        if np.any(sel):
            out[sel] = (1 - opacity) * out[sel] + opacity * np.asarray(colour, np.float32)
    return out.astype(np.uint8)


def take_slice(array: np.ndarray, orientation: str, index: int) -> np.ndarray:
    """Return one 2D slice of a (z, y, x) array, oriented for display (head up for coronal/sagittal)."""
    out: np.ndarray
    if orientation == "Axial":
        out = array[index]
    elif orientation == "Coronal":
        out = array[::-1, index, :]
    else:
        out = array[::-1, :, index]
    return out


def voxel_at(
    shape: tuple[int, int, int], orientation: str, index: int, row: int, col: int
) -> tuple[int, int, int]:
    """The (z, y, x) voxel shown at (row, col) of a view's slice ``index`` (inverse of :func:`take_slice`)."""
    z = shape[0]
    if orientation == "Axial":
        return index, row, col
    if orientation == "Coronal":
        return z - 1 - row, index, col
    return z - 1 - row, col, index


def pixel_size(spacing: tuple[float, float, float], orientation: str) -> tuple[float, float]:
    """(column width, row height) in mm of a view's pixels; ``spacing`` is (x, y, z)."""
    sx, sy, sz = spacing
    return {"Axial": (sx, sy), "Coronal": (sx, sz), "Sagittal": (sy, sz)}[orientation]


_LPS = ("L", "P", "S")
_OPPOSITE = {"L": "R", "R": "L", "P": "A", "A": "P", "S": "I", "I": "S"}


def _letter(vector: Sequence[float]) -> str:
    k = int(np.argmax(np.abs(vector)))
    return _LPS[k] if vector[k] > 0 else _OPPOSITE[_LPS[k]]


def orientation_letters(direction: tuple[float, ...], orientation: str) -> dict[str, str]:
    """Patient-direction letters at the edges of a view (``left``, ``right``, ``top``, ``bottom``).

    ``direction`` is the row-major direction-cosine matrix (SimpleITK, LPS patient coordinates): column ``j`` is the
    patient direction of array index ``j`` (x, y, z).
    """
    d = np.asarray(direction, dtype=float).reshape(3, 3)
    axis_dir = {a: tuple(float(v) for v in d[:, j]) for j, a in enumerate("xyz")}
    right_axis, down_axis, down_sign = {
        "Axial": ("x", "y", 1.0),
        "Coronal": ("x", "z", -1.0),
        "Sagittal": ("y", "z", -1.0),
    }[orientation]
    right = _letter(axis_dir[right_axis])
    down_vec = tuple(down_sign * v for v in axis_dir[down_axis])
    bottom = _letter(down_vec)
    return {"right": right, "left": _OPPOSITE[right], "bottom": bottom, "top": _OPPOSITE[bottom]}


@dataclass(frozen=True)
class Measurement:
    """A ruler measurement on one slice, with what is needed to trace it back to the images."""

    orientation: str
    slice_index: int
    slice_count: int
    start: tuple[int, int, int]  # (z, y, x) voxel
    end: tuple[int, int, int]
    length_mm: float
    series: str

    def provenance(self, who: str, when: dt.datetime | None = None) -> dict[str, Any]:
        """Series, slice, who and when, as stored with the value it fills."""
        return {
            "series": self.series,
            "plane": self.orientation.lower(),
            "slice": f"{self.slice_index + 1}/{self.slice_count}",
            "from_voxel": list(self.start),
            "to_voxel": list(self.end),
            "length_mm": round(self.length_mm, 1),
            "by": who,
            "at": (when or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }


class _SlicePane(QGraphicsView):
    """One view: the slice image in millimetre scene coordinates, a crosshair, a ruler, edge letters."""

    def __init__(self, viewer: SliceViewer, name: str) -> None:
        super().__init__()
        self.viewer = viewer
        self.name = name
        self.setObjectName(f"pane{name}")
        self.setScene(QGraphicsScene(self))
        self.scene().setSceneRect(QRectF(-1e5, -1e5, 2e5, 2e5))
        self.setBackgroundBrush(QBrush(QColor("black")))
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(140, 140)
        self.image = QGraphicsPixmapItem()
        self.image.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.scene().addItem(self.image)
        pen = QPen(QColor(80, 220, 80, 170), 0)
        self.cross_h = QGraphicsLineItem()
        self.cross_v = QGraphicsLineItem()
        for line in (self.cross_h, self.cross_v):
            line.setPen(pen)
            self.scene().addItem(line)
        self.ruler = QGraphicsLineItem()
        self.ruler.setPen(QPen(QColor(255, 230, 0), 0))
        self.ruler_text = QGraphicsSimpleTextItem()
        self.ruler_text.setBrush(QBrush(QColor(255, 230, 0)))
        self.ruler_text.setFlag(QGraphicsSimpleTextItem.GraphicsItemFlag.ItemIgnoresTransformations)
        for item in (self.ruler, self.ruler_text):
            item.hide()
            self.scene().addItem(item)
        self.zoom = 1.0
        self.centre: QPointF | None = None
        self.letters: dict[str, str] = {}
        self._press: QPoint | None = None
        self._last: QPoint | None = None
        self._button = Qt.MouseButton.NoButton
        self._ruler_start: QPointF | None = None
        self._ruler_slice = -1

    # -- geometry -----------------------------------------------------------------------------------------------
    def pixmap(self) -> QPixmap:
        """The slice image as shown (before zoom)."""
        return self.image.pixmap()

    def image_rect(self) -> QRectF:
        """The slice's extent in scene millimetres."""
        return self.image.sceneBoundingRect()

    def fit(self) -> None:
        """Scale so the whole slice fits the pane, times the pane's zoom, centred on its pan centre."""
        rect = self.image_rect()
        if rect.isEmpty():
            return
        view = self.viewport().rect()
        scale = min(view.width() / rect.width(), view.height() / rect.height()) * self.zoom
        self.setTransform(QTransform.fromScale(scale, scale))
        self.centerOn(self.centre if self.centre is not None else rect.center())

    def scene_to_pixel(self, point: QPointF) -> tuple[int, int] | None:
        """(row, col) of the slice pixel under a scene point, or None outside the image."""
        local = self.image.mapFromScene(point)
        pm = self.image.pixmap()
        col, row = math.floor(local.x()), math.floor(local.y())
        if 0 <= row < pm.height() and 0 <= col < pm.width():
            return row, col
        return None

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit()

    # -- mouse --------------------------------------------------------------------------------------------------
    def _action(self, button: Qt.MouseButton) -> str:
        if button == Qt.MouseButton.MiddleButton:
            return "pan"
        if button == Qt.MouseButton.RightButton:
            return "window"
        return self.viewer.tool

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.setFocus()
        self._press = self._last = event.position().toPoint()
        self._button = event.button()
        action = self._action(event.button())
        scene = self.mapToScene(self._press)
        if action == "ruler":
            self._ruler_start = scene
            self._ruler_slice = self.viewer.slice_index(self.name)
            self.ruler.setLine(scene.x(), scene.y(), scene.x(), scene.y())
            self.ruler.show()
        elif action == "crosshair":
            self.viewer.point_at(self.name, scene)
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position().toPoint()
        scene = self.mapToScene(pos)
        self.viewer.hover(self.name, scene)
        if self._last is None:
            return
        dx, dy = pos.x() - self._last.x(), pos.y() - self._last.y()
        self._last = pos
        action = self._action(self._button)
        if action == "window":
            self.viewer.adjust_window(dx, dy)
        elif action == "pan":
            scale = self.transform().m11() or 1.0
            centre = self.mapToScene(self.viewport().rect().center())
            self.centre = QPointF(centre.x() - dx / scale, centre.y() - dy / scale)
            self.centerOn(self.centre)
        elif action == "zoom":
            self.set_zoom(self.zoom * (1.01 ** (-dy)))
        elif action == "ruler" and self._ruler_start is not None:
            self._draw_ruler(self._ruler_start, scene)
        elif action == "crosshair":
            self.viewer.point_at(self.name, scene)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        action = self._action(self._button)
        if action == "ruler" and self._ruler_start is not None:
            end = self.mapToScene(event.position().toPoint())
            self.viewer.measure(self.name, self._ruler_start, end)
        self._press = self._last = None
        self._button = Qt.MouseButton.NoButton
        event.accept()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.viewer.toggle_maximise(self.name)

    def wheelEvent(self, event: QWheelEvent) -> None:
        step = 1 if event.angleDelta().y() > 0 else -1
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.set_zoom(self.zoom * (1.25 if step > 0 else 0.8))
        else:
            self.viewer.step_slice(self.name, step)
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        steps = {
            Qt.Key.Key_Up: 1,
            Qt.Key.Key_Right: 1,
            Qt.Key.Key_Down: -1,
            Qt.Key.Key_Left: -1,
            Qt.Key.Key_PageUp: 10,
            Qt.Key.Key_PageDown: -10,
            Qt.Key.Key_End: 100_000,
            Qt.Key.Key_Home: -100_000,
        }
        presets = {Qt.Key.Key_1: 0, Qt.Key.Key_2: 1, Qt.Key.Key_3: 2, Qt.Key.Key_4: 3}
        if key in steps:
            self.viewer.step_slice(self.name, steps[Qt.Key(key)])
        elif key in presets:
            self.viewer.preset.setCurrentIndex(presets[Qt.Key(key)])
        elif key == Qt.Key.Key_R:
            self.reset_view()
        elif key == Qt.Key.Key_M:
            self.viewer.toggle_maximise(self.name)
        elif key == Qt.Key.Key_Escape:
            self.viewer.clear_measurement()
        else:
            super().keyPressEvent(event)

    # -- view state ---------------------------------------------------------------------------------------------
    def set_zoom(self, zoom: float) -> None:
        """Zoom relative to fitting the slice (0.5x to 16x), keeping the centre."""
        self.centre = self.mapToScene(self.viewport().rect().center())
        self.zoom = float(np.clip(zoom, 0.5, 16.0))
        self.fit()

    def reset_view(self) -> None:
        """Fit the slice again (no zoom, no pan)."""
        self.zoom, self.centre = 1.0, None
        self.fit()

    def _draw_ruler(self, start: QPointF, end: QPointF) -> None:
        self.ruler.setLine(start.x(), start.y(), end.x(), end.y())
        length = math.hypot(end.x() - start.x(), end.y() - start.y())
        self.ruler_text.setText(f"{length:.1f} mm")
        self.ruler_text.setPos(end)
        self.ruler.show()
        self.ruler_text.show()

    def show_ruler_for(self, index: int) -> None:
        """Rulers belong to the slice they were drawn on."""
        visible = self._ruler_start is not None and index == self._ruler_slice
        self.ruler.setVisible(visible)
        self.ruler_text.setVisible(visible)

    def clear_ruler(self) -> None:
        """Remove the ruler."""
        self._ruler_start = None
        self._ruler_slice = -1
        self.ruler.hide()
        self.ruler_text.hide()

    def drawForeground(self, painter: QPainter, rect: QRectF | Any) -> None:
        """Orientation letters at the four edges (in viewport coordinates)."""
        if not self.letters:
            return
        painter.save()
        painter.resetTransform()
        font = QFont(painter.font())
        font.setBold(True)
        font.setPointSize(max(9, font.pointSize()))
        painter.setFont(font)
        painter.setPen(QColor(255, 210, 80))
        box = self.viewport().rect().adjusted(6, 4, -6, -4)
        align = Qt.AlignmentFlag
        painter.drawText(box, align.AlignLeft | align.AlignVCenter, self.letters["left"])
        painter.drawText(box, align.AlignRight | align.AlignVCenter, self.letters["right"])
        painter.drawText(box, align.AlignTop | align.AlignHCenter, self.letters["top"])
        painter.drawText(box, align.AlignBottom | align.AlignHCenter, self.letters["bottom"])
        painter.restore()


class SliceViewer(QWidget):
    """Three orthogonal views of a CT with an optional label overlay, linked by a crosshair.

    ``measurement_recorded(field, value, provenance)`` is emitted when the user sends a ruler measurement to the
    pre-operative form (``spleen_length_cm``, ``portal_vein_mm`` or ``splenic_vein_mm``).
    """

    measurement_recorded = Signal(str, float, dict)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ct: CtVolume | None = None
        self._mask: LabelMap | None = None
        self._index = {"Axial": 0, "Coronal": 0, "Sagittal": 0}
        self.window_width, self.window_level = PRESETS["Abdomen"]
        self.tool = "window"
        self.measurement: Measurement | None = None
        self.maximised: str | None = None
        self.user = ""

        self.preset = QComboBox()
        self.preset.setObjectName("windowPreset")
        for name in PRESETS:
            self.preset.addItem(self.tr(name), name)
        self.preset.setAccessibleName(self.tr("Window/level preset"))
        self.preset.currentIndexChanged.connect(self._on_preset)
        self.wl_label = QLabel()
        self.wl_label.setObjectName("windowLevel")
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(40)
        self.opacity.setMaximumWidth(140)
        self.opacity.setAccessibleName(self.tr("Mask opacity"))
        self.opacity.valueChanged.connect(self.refresh)
        self.tools = QButtonGroup(self)
        self.tools.setExclusive(True)
        controls = QHBoxLayout()
        for key, label in TOOLS:
            button = QToolButton()
            button.setObjectName(f"tool_{key}")
            button.setText(self.tr(label))
            button.setCheckable(True)
            button.setChecked(key == self.tool)
            button.clicked.connect(lambda _c=False, k=key: self.set_tool(k))
            self.tools.addButton(button)
            controls.addWidget(button)
        controls.addSpacing(12)
        controls.addWidget(QLabel(self.tr("Window")))
        controls.addWidget(self.preset)
        controls.addWidget(self.wl_label)
        controls.addStretch(1)

        self.measure_label = QLabel(self.tr("Ruler: choose the Ruler tool and drag across the structure."))
        self.measure_label.setWordWrap(True)
        self.measure_label.setObjectName("measurement")
        self.measure_field = QComboBox()
        self.measure_field.setObjectName("measureField")
        for field, label, unit, _f in CALIPER_FIELDS:
            self.measure_field.addItem(f"{self.tr(label)} ({unit})", field)
        self.send_button = QPushButton(self.tr("Send to pre-operative form"))
        self.send_button.setObjectName("sendMeasurement")
        self.send_button.setEnabled(False)
        self.send_button.clicked.connect(self.send_measurement)
        ruler_row = QHBoxLayout()
        ruler_row.addWidget(QLabel(self.tr("Mask opacity")))
        ruler_row.addWidget(self.opacity)
        ruler_row.addSpacing(12)
        ruler_row.addWidget(self.measure_label, 1)
        ruler_row.addWidget(self.measure_field)
        ruler_row.addWidget(self.send_button)

        self.grid = QGridLayout()
        self.panes: dict[str, _SlicePane] = {}
        self.captions: dict[str, QLabel] = {}
        for col, name in enumerate(ORIENTATIONS):
            pane = _SlicePane(self, name)
            caption = QLabel(self.tr(name))
            caption.setObjectName(f"caption{name}")
            self.panes[name] = pane
            self.captions[name] = caption
            self.grid.addWidget(caption, 0, col)
            self.grid.addWidget(pane, 1, col)
        self.readout = QLabel(" ")
        self.readout.setObjectName("huReadout")
        self.info = QLabel(self.tr("No CT loaded"))
        self.info.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addLayout(self.grid, 1)
        layout.addWidget(self.readout)
        layout.addLayout(ruler_row)
        layout.addWidget(self.info)
        self._show_wl()

    # -- data ---------------------------------------------------------------------------------------------------
    def set_volume(self, ct: CtVolume, mask: LabelMap | None = None) -> None:
        """Show a CT (and mask); slices start at the spleen's centre when a mask is given."""
        self._ct = ct
        self._mask = mask if mask is not None and mask.shape == ct.shape else None
        z, y, x = ct.shape
        centre = (z // 2, y // 2, x // 2)
        if self._mask is not None and np.any(self._mask.array == 1):
            idx = np.argwhere(self._mask.array == 1)
            centre = tuple(int(v) for v in idx.mean(axis=0))  # type: ignore[assignment]
        self._index = {"Axial": centre[0], "Coronal": centre[1], "Sagittal": centre[2]}
        self.clear_measurement()
        text = self.tr("CT {0} x {1} x {2} voxels, spacing {3:.2f} x {4:.2f} x {5:.2f} mm").format(
            x, y, z, *ct.spacing
        )
        if self._mask is not None:
            text += "  |  " + self.tr("Spleen (orange) volume {0:.0f} ml").format(self._mask.volume_ml(1))
            if np.any(self._mask.array == 2):
                text += "  |  " + self.tr("Liver (blue) volume {0:.0f} ml").format(self._mask.volume_ml(2))
        self.info.setText(text)
        for name, pane in self.panes.items():
            pane.letters = orientation_letters(tuple(ct.direction), name)
            pane.reset_view()
        self.refresh()
        for pane in self.panes.values():
            pane.fit()

    def spleen_volume_ml(self) -> float | None:
        """Spleen volume of the shown mask, or None."""
        return None if self._mask is None else self._mask.volume_ml(1)

    def series(self) -> str:
        """What identifies the shown CT series (its series UID when known, else its source)."""
        if self._ct is None:
            return ""
        meta = self._ct.meta or {}
        return str(meta.get("series_uid") or meta.get("SeriesInstanceUID") or self._ct.source or "CT")

    # -- window/level, tools --------------------------------------------------------------------------------------
    def _on_preset(self, index: int) -> None:
        name = self.preset.itemData(index)
        self.window_width, self.window_level = PRESETS[str(name)]
        self._show_wl()
        self.refresh()

    def _show_wl(self) -> None:
        self.wl_label.setText(self.tr("W {0:.0f}  L {1:.0f}").format(self.window_width, self.window_level))

    def adjust_window(self, dx: int, dy: int) -> None:
        """Drag right widens the window, drag up raises the level (2 HU per pixel)."""
        self.window_width = float(max(1.0, self.window_width + 2.0 * dx))
        self.window_level = float(self.window_level - 2.0 * dy)
        self._show_wl()
        self.refresh()

    def set_tool(self, tool: str) -> None:
        """Choose what the left mouse button does."""
        self.tool = tool
        for button in self.tools.buttons():
            button.setChecked(button.objectName() == f"tool_{tool}")

    # -- slices and crosshair ---------------------------------------------------------------------------------------
    def step_slice(self, orientation: str, step: int) -> None:
        """Move one view by ``step`` slices."""
        if self._ct is None:
            return
        size = self._ct.shape[AXIS[orientation]]
        self._index[orientation] = int(np.clip(self._index[orientation] + step, 0, size - 1))
        self.refresh()

    def slice_index(self, orientation: str) -> int:
        """Current slice index of one view."""
        return self._index[orientation]

    def crosshair(self) -> tuple[int, int, int]:
        """The (z, y, x) voxel where the three views meet."""
        return self._index["Axial"], self._index["Coronal"], self._index["Sagittal"]

    def point_at(self, orientation: str, scene: QPointF) -> None:
        """Move the other two views to the voxel under a point of one view (linked crosshair)."""
        if self._ct is None:
            return
        pixel = self.panes[orientation].scene_to_pixel(scene)
        if pixel is None:
            return
        z, y, x = voxel_at(self._ct.shape, orientation, self._index[orientation], *pixel)
        self._index = {"Axial": z, "Coronal": y, "Sagittal": x}
        self.refresh()

    def hover(self, orientation: str, scene: QPointF) -> None:
        """Show the voxel and its HU under the cursor."""
        if self._ct is None:
            return
        pixel = self.panes[orientation].scene_to_pixel(scene)
        if pixel is None:
            self.readout.setText(" ")
            return
        z, y, x = voxel_at(self._ct.shape, orientation, self._index[orientation], *pixel)
        hu = float(self._ct.array[z, y, x])
        text = self.tr("{0}: voxel x {1}, y {2}, z {3}   {4:.0f} HU").format(
            self.tr(orientation), x, y, z, hu
        )
        if self._mask is not None:
            label = int(self._mask.array[z, y, x])
            if label:
                from hsp_desktop.gui.domain_text import tr_code

                text += "   " + tr_code(self._mask.labels.get(label, str(label)))
        self.readout.setText(text)

    def toggle_maximise(self, orientation: str) -> None:
        """Show one pane alone, or all three again."""
        self.maximised = None if self.maximised == orientation else orientation
        for name, pane in self.panes.items():
            visible = self.maximised is None or name == self.maximised
            pane.setVisible(visible)
            self.captions[name].setVisible(visible)

    # -- ruler --------------------------------------------------------------------------------------------------
    def measure(self, orientation: str, start: QPointF, end: QPointF) -> Measurement | None:
        """Finish a ruler from ``start`` to ``end`` (scene millimetres) on the current slice of a view."""
        if self._ct is None:
            return None
        pane = self.panes[orientation]
        a, b = pane.scene_to_pixel(start), pane.scene_to_pixel(end)
        length = math.hypot(end.x() - start.x(), end.y() - start.y())
        if a is None or b is None or length <= 0.0:
            pane.clear_ruler()
            self.measurement = None
            self.send_button.setEnabled(False)
            self.measure_label.setText(self.tr("Ruler: both ends must lie on the image."))
            return None
        index = self._index[orientation]
        pane._draw_ruler(start, end)
        self.measurement = Measurement(
            orientation,
            index,
            self._ct.shape[AXIS[orientation]],
            voxel_at(self._ct.shape, orientation, index, *a),
            voxel_at(self._ct.shape, orientation, index, *b),
            length,
            self.series(),
        )
        for name, other in self.panes.items():
            if name != orientation:
                other.clear_ruler()
        self.measure_label.setText(
            self.tr("Ruler: {0:.1f} mm on {1} slice {2}/{3}").format(
                length, self.tr(orientation).lower(), index + 1, self.measurement.slice_count
            )
        )
        self.send_button.setEnabled(True)
        return self.measurement

    def clear_measurement(self) -> None:
        """Remove the ruler from every view."""
        self.measurement = None
        for pane in self.panes.values():
            pane.clear_ruler()
        self.send_button.setEnabled(False)

    def send_measurement(self) -> None:
        """Emit the measurement for the chosen pre-operative field, converted to that field's unit."""
        if self.measurement is None:
            return
        field = str(self.measure_field.currentData())
        factor = next(f for name, _l, _u, f in CALIPER_FIELDS if name == field)
        value = round(self.measurement.length_mm * factor, 1)
        self.measurement_recorded.emit(field, value, self.measurement.provenance(self.user))
        self.measure_label.setText(
            self.tr("Sent {0} = {1:g} to the pre-operative form.").format(
                self.measure_field.currentText(), value
            )
        )

    # -- drawing ------------------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Redraw the three views, their crosshair lines and captions."""
        if self._ct is None:
            return
        for name, pane in self.panes.items():
            index = self._index[name]
            rgb = window_to_rgb(take_slice(self._ct.array, name, index), self.window_width, self.window_level)
            if self._mask is not None:
                labels = take_slice(self._mask.array, name, index)
                rgb = blend_labels(rgb, labels, self.opacity.value() / 100.0)
            rgb = np.ascontiguousarray(rgb)
            h, w, _ = rgb.shape
            image = QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
            first = pane.image.pixmap().isNull()
            pane.image.setPixmap(QPixmap.fromImage(image))
            px_w, px_h = pixel_size(self._ct.spacing, name)
            pane.image.setTransform(QTransform.fromScale(px_w, px_h))
            self._draw_crosshair(name)
            pane.show_ruler_for(index)
            if first:
                pane.fit()
            pane.viewport().update()
            self.captions[name].setText(f"{self.tr(name)}  {index + 1}/{self._ct.shape[AXIS[name]]}")

    def _draw_crosshair(self, name: str) -> None:
        assert self._ct is not None
        z, y, x = self.crosshair()
        zs = self._ct.shape[0]
        col, row = {"Axial": (x, y), "Coronal": (x, zs - 1 - z), "Sagittal": (y, zs - 1 - z)}[name]
        pane = self.panes[name]
        rect = pane.image_rect()
        px_w, px_h = pixel_size(self._ct.spacing, name)
        cx, cy = rect.left() + (col + 0.5) * px_w, rect.top() + (row + 0.5) * px_h
        pane.cross_v.setLine(cx, rect.top(), cx, rect.bottom())
        pane.cross_h.setLine(rect.left(), cy, rect.right(), cy)

    def changeEvent(self, event: QEvent) -> None:
        """Re-translate the controls when the interface language changes."""
        if event.type() == QEvent.Type.LanguageChange:
            for i in range(self.preset.count()):
                self.preset.setItemText(i, self.tr(str(self.preset.itemData(i))))
            for button, (_key, label) in zip(self.tools.buttons(), TOOLS, strict=True):
                button.setText(self.tr(label))
            for i, (_f, label, unit, _x) in enumerate(CALIPER_FIELDS):
                self.measure_field.setItemText(i, f"{self.tr(label)} ({unit})")
            self.send_button.setText(self.tr("Send to pre-operative form"))
            self._show_wl()
            self.refresh()
        super().changeEvent(event)


def shortcut_rows() -> list[tuple[str, str]]:
    """The viewer's shortcuts in the interface language (for Help)."""
    return [
        (QCoreApplication.translate("SliceViewer", keys), QCoreApplication.translate("SliceViewer", action))
        for keys, action in SHORTCUTS
    ]

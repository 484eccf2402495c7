"""Mask editing over the three-plane viewer: seed clicks, paint, erase, threshold paint, undo/redo, live volume.

The viewer (:class:`~hsp_desktop.gui.widgets.slice_viewer.SliceViewer`) is used as it is; this widget listens to
the mouse on its panes (an event filter) only while an editing tool is chosen, and otherwise leaves the viewer's
own tools (window/level, pan, zoom, ruler, crosshair) alone.  Every edit is one call of a pure function of
:mod:`hsp_desktop.segmentation.editing` through an :class:`~hsp_desktop.segmentation.editing.EditHistory`, which
records who did what; a brush stroke (press, drag, release) is one edit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from hsp_desktop.domain import CtVolume, LabelMap
from hsp_desktop.gui.noop import QT_TRANSLATE_NOOP
from hsp_desktop.gui.widgets.slice_viewer import SliceViewer, voxel_at

#: Editing tools: (key, label).  "seed" adds a click for the semi-automatic growing.
EDIT_TOOLS = (
    ("seed", QT_TRANSLATE_NOOP("MaskEditor", "Click seed")),
    ("paint", QT_TRANSLATE_NOOP("MaskEditor", "Paint")),
    ("erase", QT_TRANSLATE_NOOP("MaskEditor", "Erase")),
    ("threshold", QT_TRANSLATE_NOOP("MaskEditor", "Threshold paint")),
)
ORGANS = (
    ("spleen", QT_TRANSLATE_NOOP("MaskEditor", "Spleen")),
    ("liver", QT_TRANSLATE_NOOP("MaskEditor", "Liver")),
)
LABELS = {"spleen": 1, "liver": 2}
#: Viewer orientation -> editing plane.
PLANE = {"Axial": "axial", "Coronal": "coronal", "Sagittal": "sagittal"}


class MaskEditor(QWidget):
    """A :class:`SliceViewer` with mask-editing tools and an undo/redo history."""

    seed_added = Signal(str, tuple)
    labels_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.viewer = SliceViewer()
        self.ct: CtVolume | None = None
        self.history: Any = None  # EditHistory once a CT is loaded
        self.user = ""
        self.edit_tool: str | None = None
        self._stroke: Any = None  # labels being painted during one drag
        self._stroke_points = 0

        self.organ = QComboBox()
        self.organ.setObjectName("organ")
        for key, label in ORGANS:
            self.organ.addItem(self.tr(label), key)
        self.organ.currentIndexChanged.connect(lambda _i: self._show_volume())
        self.tools = QButtonGroup(self)
        self.tools.setExclusive(False)
        tool_row = QHBoxLayout()
        tool_row.addWidget(QLabel(self.tr("Organ")))
        tool_row.addWidget(self.organ)
        for key, label in EDIT_TOOLS:
            button = QToolButton()
            button.setObjectName(f"edit_{key}")
            button.setText(self.tr(label))
            button.setCheckable(True)
            button.clicked.connect(lambda checked=False, k=key: self.set_edit_tool(k if checked else None))
            self.tools.addButton(button)
            tool_row.addWidget(button)
        self.radius = QDoubleSpinBox()
        self.radius.setObjectName("brushRadius")
        self.radius.setRange(1.0, 50.0)
        self.radius.setValue(6.0)
        self.radius.setSuffix(" mm")
        self.radius.setAccessibleName(self.tr("Brush radius"))
        tool_row.addWidget(QLabel(self.tr("Brush")))
        tool_row.addWidget(self.radius)
        self.low = QDoubleSpinBox()
        self.high = QDoubleSpinBox()
        for spin, name, value in ((self.low, "windowLow", 80.0), (self.high, "windowHigh", 160.0)):
            spin.setObjectName(name)
            spin.setRange(-1024.0, 3071.0)
            spin.setDecimals(0)
            spin.setValue(value)
            spin.setSuffix(" HU")
        self.low.setAccessibleName(self.tr("Lower HU limit"))
        self.high.setAccessibleName(self.tr("Upper HU limit"))
        tool_row.addWidget(QLabel(self.tr("HU window")))
        tool_row.addWidget(self.low)
        tool_row.addWidget(self.high)
        tool_row.addStretch(1)

        ops_row = QHBoxLayout()
        self.fill_button = QPushButton(self.tr("Fill holes"))
        self.largest_button = QPushButton(self.tr("Keep largest island"))
        self.smooth_button = QPushButton(self.tr("Smooth"))
        self.undo_button = QPushButton(self.tr("Undo"))
        self.redo_button = QPushButton(self.tr("Redo"))
        self.fill_button.setObjectName("fillHoles")
        self.largest_button.setObjectName("keepLargest")
        self.smooth_button.setObjectName("smoothMask")
        self.undo_button.setObjectName("undo")
        self.redo_button.setObjectName("redo")
        self.undo_button.setShortcut("Ctrl+Z")
        self.redo_button.setShortcut("Ctrl+Y")
        self.fill_button.clicked.connect(lambda: self.apply_operation("fill_holes"))
        self.largest_button.clicked.connect(lambda: self.apply_operation("keep_largest"))
        self.smooth_button.clicked.connect(lambda: self.apply_operation("smooth"))
        self.undo_button.clicked.connect(self.undo)
        self.redo_button.clicked.connect(self.redo)
        for b in (
            self.fill_button,
            self.largest_button,
            self.smooth_button,
            self.undo_button,
            self.redo_button,
        ):
            ops_row.addWidget(b)
        self.volume = QLabel(" ")
        self.volume.setObjectName("liveVolume")
        ops_row.addSpacing(16)
        ops_row.addWidget(self.volume)
        ops_row.addStretch(1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(tool_row)
        layout.addLayout(ops_row)
        layout.addWidget(self.viewer, 1)
        for pane in self.viewer.panes.values():
            pane.viewport().installEventFilter(self)
        self._update_buttons()

    # -- data ---------------------------------------------------------------------------------------------------
    @property
    def current_organ(self) -> str:
        """The organ being segmented or edited (``"spleen"`` or ``"liver"``)."""
        return str(self.organ.currentData())

    def set_case(self, ct: CtVolume, history: Any) -> None:
        """Show ``ct`` and edit the labels of ``history`` (an :class:`EditHistory` on the CT's grid)."""
        self.ct = ct
        self.history = history
        self.viewer.set_volume(ct, self._labelmap())
        self._show_labels()

    def labels(self) -> LabelMap | None:
        """The current labels as a label map on the CT grid (a copy), or None before a CT is loaded."""
        if self.ct is None or self.history is None:
            return None
        lm = self._labelmap()
        return LabelMap(
            array=np.array(lm.array, copy=True),
            spacing=lm.spacing,
            origin=lm.origin,
            direction=lm.direction,
            labels=lm.labels,
            source=lm.source,
        )

    def _labelmap(self) -> LabelMap:
        assert self.ct is not None and self.history is not None
        present = {v: k for k, v in LABELS.items() if np.any(self.history.array == v)}
        return LabelMap(
            array=self.history.array,
            spacing=self.ct.spacing,
            origin=self.ct.origin,
            direction=self.ct.direction,
            labels=present or {1: "spleen"},
            source="HSP Desktop",
        )

    def _show_labels(self) -> None:
        """Redraw the overlay without moving the viewer's slices or zoom."""
        if self.ct is None or self.history is None:
            return
        # SliceViewer has no public way to swap the overlay without resetting its slices and zoom; set_volume
        # would jump away from the slice being edited.  Kept to this one line until the viewer offers set_mask.
        self.viewer._mask = self._labelmap()
        self.viewer.refresh()
        self._show_volume()
        self._update_buttons()
        self.labels_changed.emit()

    def _show_volume(self) -> None:
        if self.history is None:
            self.volume.setText(" ")
            return
        parts = []
        for key, label in ORGANS:
            parts.append(
                self.tr("{0} {1:.1f} ml").format(self.tr(label), self.history.volume_ml(LABELS[key]))
            )
        self.volume.setText("  |  ".join(parts))

    def _update_buttons(self) -> None:
        ready = self.history is not None
        for b in (self.fill_button, self.largest_button, self.smooth_button):
            b.setEnabled(ready)
        self.undo_button.setEnabled(ready and self.history.can_undo)
        self.redo_button.setEnabled(ready and self.history.can_redo)

    # -- tools --------------------------------------------------------------------------------------------------
    def set_edit_tool(self, tool: str | None) -> None:
        """Choose an editing tool (None gives the left mouse button back to the viewer's own tool)."""
        self.edit_tool = tool
        for button in self.tools.buttons():
            button.setChecked(button.objectName() == f"edit_{tool}")

    def apply_operation(self, operation: str) -> int:
        """Fill holes, keep the largest island or smooth the current organ; returns the voxels changed."""
        from hsp_desktop.segmentation import editing

        if self.history is None or self.ct is None:
            return 0
        label = LABELS[self.current_organ]
        if operation == "smooth":
            n = int(
                self.history.apply(
                    "smooth", editing.smooth, self.ct.spacing, label, 1.5, user=self.user, label=label,
                    params={"sigma_mm": 1.5},
                )
            )  # fmt: skip
        elif operation == "fill_holes":
            n = int(self.history.apply("fill_holes", editing.fill_holes, label, user=self.user, label=label))
        else:
            n = int(
                self.history.apply("keep_largest", editing.keep_largest, label, user=self.user, label=label)
            )
        self._show_labels()
        return n

    def replace_organ(self, organ: str, mask: np.ndarray, params: dict[str, Any]) -> int:
        """Make ``organ`` the given mask (a semi-automatic or model result) as one undoable edit."""
        from hsp_desktop.segmentation import editing

        label = LABELS[organ]
        n = int(
            self.history.apply(
                "grow", editing.replace_label, mask, label, user=self.user, label=label, params=params
            )
        )
        self._show_labels()
        return n

    def undo(self) -> None:
        """Undo the last edit."""
        if self.history is not None and self.history.undo():
            self._show_labels()

    def redo(self) -> None:
        """Redo the last undone edit."""
        if self.history is not None and self.history.redo():
            self._show_labels()

    # -- mouse on the viewer's panes ----------------------------------------------------------------------------
    def _voxel(self, watched: QObject, event: QMouseEvent) -> tuple[str, tuple[int, int, int]] | None:
        """The pane orientation and (z, y, x) voxel under the mouse, or None outside the image."""
        if self.ct is None:
            return None
        for name, pane in self.viewer.panes.items():
            if pane.viewport() is watched:
                pixel = pane.scene_to_pixel(pane.mapToScene(event.position().toPoint()))
                if pixel is None:
                    return None
                return name, voxel_at(self.ct.shape, name, self.viewer.slice_index(name), *pixel)
        return None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self.edit_tool is None or self.history is None:
            return False
        kind = event.type()
        if kind not in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove, QEvent.Type.MouseButtonRelease):
            return False
        assert isinstance(event, QMouseEvent)
        if kind == QEvent.Type.MouseButtonPress and event.button() != Qt.MouseButton.LeftButton:
            return False  # middle/right keep panning and window/level
        if kind == QEvent.Type.MouseMove and not event.buttons() & Qt.MouseButton.LeftButton:
            return False
        hit = self._voxel(watched, event)
        if kind == QEvent.Type.MouseButtonRelease:
            if event.button() == Qt.MouseButton.LeftButton:
                self.finish_stroke()
                return True
            return False
        if hit is None:
            return True
        orientation, voxel = hit
        if self.edit_tool == "seed":
            if kind == QEvent.Type.MouseButtonPress:
                z, y, x = voxel
                self.seed_added.emit(self.current_organ, (x, y, z))
            return True
        self.brush(orientation, voxel)
        return True

    def brush(self, orientation: str, voxel: tuple[int, int, int]) -> None:
        """Apply the current brush tool at a (z, y, x) voxel of a pane (part of the current stroke)."""
        from hsp_desktop.segmentation import editing

        assert self.ct is not None and self.history is not None
        z, y, x = voxel
        plane = PLANE[orientation]
        index, centre = {"axial": (z, (y, x)), "coronal": (y, (z, x)), "sagittal": (x, (z, y))}[plane]
        label = LABELS[self.current_organ]
        if self._stroke is None:
            self._stroke = {"array": np.array(self.history.array, copy=True), "plane": plane, "index": index}
            self._stroke_points = 0
        current = self._stroke["array"]
        radius = float(self.radius.value())
        if self.edit_tool == "paint":
            current = editing.paint(current, self.ct.spacing, plane, index, centre, radius, label)
        elif self.edit_tool == "erase":
            current = editing.erase(current, self.ct.spacing, plane, index, centre, radius, label)
        else:
            window = (float(self.low.value()), float(self.high.value()))
            current = editing.threshold_paint(
                current, self.ct.array, self.ct.spacing, plane, index, centre, radius, label, window
            )
        self._stroke["array"] = current
        self._stroke_points += 1
        # show the stroke as it is drawn; it enters the history when the button is released
        self.viewer._mask = LabelMap(
            array=current, spacing=self.ct.spacing, origin=self.ct.origin, direction=self.ct.direction
        )
        self.viewer.refresh()

    def finish_stroke(self) -> int:
        """Record the current brush stroke as one edit; returns the voxels changed."""
        if self._stroke is None or self.history is None:
            return 0
        stroke, self._stroke = self._stroke, None
        label = LABELS[self.current_organ]
        params: dict[str, Any] = {
            "plane": stroke["plane"],
            "slice": int(stroke["index"]),
            "radius_mm": float(self.radius.value()),
            "points": self._stroke_points,
        }
        if self.edit_tool == "threshold":
            params["window_hu"] = [float(self.low.value()), float(self.high.value())]
        tool = {"paint": "paint", "erase": "erase", "threshold": "threshold_paint"}[str(self.edit_tool)]
        n = int(
            self.history.apply(tool, lambda _a: stroke["array"], user=self.user, label=label, params=params)
        )
        self._show_labels()
        return n

    def changeEvent(self, event: QEvent) -> None:
        """Re-translate the controls when the interface language changes."""
        if event.type() == QEvent.Type.LanguageChange:
            for i, (_k, label) in enumerate(ORGANS):
                self.organ.setItemText(i, self.tr(label))
            for button, (_k, label) in zip(self.tools.buttons(), EDIT_TOOLS, strict=True):
                button.setText(self.tr(label))
            self.fill_button.setText(self.tr("Fill holes"))
            self.largest_button.setText(self.tr("Keep largest island"))
            self.smooth_button.setText(self.tr("Smooth"))
            self.undo_button.setText(self.tr("Undo"))
            self.redo_button.setText(self.tr("Redo"))
            self._show_volume()
        super().changeEvent(event)

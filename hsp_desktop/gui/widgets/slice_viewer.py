"""Axial / coronal / sagittal CT slices with window/level presets and a label overlay."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QT_TRANSLATE_NOOP, QEvent, Qt, Signal
from PySide6.QtGui import QImage, QPixmap, QWheelEvent
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from hsp_desktop.domain import CtVolume, LabelMap

#: (window, level) in HU.
PRESETS: dict[str, tuple[float, float]] = {
    "Abdomen": (400.0, 50.0),
    "Liver": (150.0, 90.0),
    "Soft tissue": (350.0, 40.0),
    "Bone": (1800.0, 400.0),
}
LABEL_COLOURS = {1: (255, 80, 40), 2: (60, 160, 255)}
ORIENTATIONS = (
    QT_TRANSLATE_NOOP("SliceViewer", "Axial"),
    QT_TRANSLATE_NOOP("SliceViewer", "Coronal"),
    QT_TRANSLATE_NOOP("SliceViewer", "Sagittal"),
)


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
    if orientation == "Axial":
        return array[index]
    if orientation == "Coronal":
        return array[::-1, index, :]
    return array[::-1, :, index]


class _SlicePane(QLabel):
    wheel = Signal(int, bool)

    def __init__(self) -> None:
        super().__init__()
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(220, 220)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setStyleSheet("background: black; color: #ccc;")

    def wheelEvent(self, event: QWheelEvent) -> None:
        step = 1 if event.angleDelta().y() > 0 else -1
        self.wheel.emit(step, bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier))


class SliceViewer(QWidget):
    """Three orthogonal views of a CT with an optional label overlay.

    Mouse wheel scrolls slices, Ctrl+wheel zooms; presets set window/level; the slider sets overlay opacity.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ct: CtVolume | None = None
        self._mask: LabelMap | None = None
        self._index = {"Axial": 0, "Coronal": 0, "Sagittal": 0}
        self._zoom = 1.0
        self.window_width, self.window_level = PRESETS["Abdomen"]

        self.preset = QComboBox()
        self.preset.addItems(list(PRESETS))
        self.preset.setAccessibleName(self.tr("Window/level preset"))
        self.preset.currentTextChanged.connect(self._on_preset)
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(40)
        self.opacity.setAccessibleName(self.tr("Mask opacity"))
        self.opacity.valueChanged.connect(self.refresh)
        self.info = QLabel(self.tr("No CT loaded"))
        self.info.setWordWrap(True)

        controls = QHBoxLayout()
        controls.addWidget(QLabel(self.tr("Window")))
        controls.addWidget(self.preset)
        controls.addWidget(QLabel(self.tr("Mask opacity")))
        controls.addWidget(self.opacity)
        controls.addStretch(1)

        grid = QGridLayout()
        self.panes: dict[str, _SlicePane] = {}
        self.captions: dict[str, QLabel] = {}
        for col, name in enumerate(ORIENTATIONS):
            pane = _SlicePane()
            pane.wheel.connect(lambda step, zoom, n=name: self._on_wheel(n, step, zoom))
            caption = QLabel(self.tr(name))
            self.panes[name] = pane
            self.captions[name] = caption
            grid.addWidget(caption, 0, col)
            grid.addWidget(pane, 1, col)

        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addLayout(grid, 1)
        layout.addWidget(self.info)

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
        text = self.tr("CT {0} x {1} x {2} voxels, spacing {3:.2f} x {4:.2f} x {5:.2f} mm").format(
            x, y, z, *ct.spacing
        )
        if self._mask is not None:
            text += "  |  " + self.tr("Spleen (orange) volume {0:.0f} ml").format(self._mask.volume_ml(1))
            if np.any(self._mask.array == 2):
                text += "  |  " + self.tr("Liver (blue) volume {0:.0f} ml").format(self._mask.volume_ml(2))
        self.info.setText(text)
        self.refresh()

    def spleen_volume_ml(self) -> float | None:
        """Spleen volume of the shown mask, or None."""
        return None if self._mask is None else self._mask.volume_ml(1)

    def _on_preset(self, name: str) -> None:
        self.window_width, self.window_level = PRESETS[name]
        self.refresh()

    def _on_wheel(self, name: str, step: int, zoom: bool) -> None:
        if zoom:
            self._zoom = float(np.clip(self._zoom * (1.25 if step > 0 else 0.8), 0.5, 8.0))
        else:
            self.scroll(name, step)
            return
        self.refresh()

    def scroll(self, orientation: str, step: int) -> None:
        """Move one view by ``step`` slices."""
        if self._ct is None:
            return
        limit = {"Axial": 0, "Coronal": 1, "Sagittal": 2}[orientation]
        size = self._ct.shape[limit]
        self._index[orientation] = int(np.clip(self._index[orientation] + step, 0, size - 1))
        self.refresh()

    def slice_index(self, orientation: str) -> int:
        """Current slice index of one view."""
        return self._index[orientation]

    def refresh(self) -> None:
        """Redraw the three views."""
        if self._ct is None:
            for pane in self.panes.values():
                pane.setText(self.tr("No CT loaded"))
            return
        sx, sy, sz = self._ct.spacing
        aspect = {"Axial": (sx, sy), "Coronal": (sx, sz), "Sagittal": (sy, sz)}
        for name, pane in self.panes.items():
            index = self._index[name]
            rgb = window_to_rgb(take_slice(self._ct.array, name, index), self.window_width, self.window_level)
            if self._mask is not None:
                labels = take_slice(self._mask.array, name, index)
                rgb = blend_labels(rgb, labels, self.opacity.value() / 100.0)
            rgb = np.ascontiguousarray(rgb)
            h, w, _ = rgb.shape
            image = QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
            px_w, px_h = aspect[name]
            phys_w, phys_h = w * px_w, h * px_h
            box = pane.size()
            scale = min(box.width() / phys_w, box.height() / phys_h) * self._zoom
            pixmap = QPixmap.fromImage(image).scaled(
                max(1, int(phys_w * scale)),
                max(1, int(phys_h * scale)),
                Qt.AspectRatioMode.IgnoreAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
            pane.setPixmap(pixmap)
            self.captions[name].setText(f"{self.tr(name)}  {index + 1}/{self._slice_count(name)}")

    def _slice_count(self, name: str) -> int:
        assert self._ct is not None
        z, y, x = self._ct.shape
        return {"Axial": z, "Coronal": y, "Sagittal": x}[name]

    def resizeEvent(self, event: QEvent) -> None:  # type: ignore[override]
        super().resizeEvent(event)  # type: ignore[arg-type]
        self.refresh()

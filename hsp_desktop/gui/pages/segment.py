"""Segment screen: make the spleen (and liver) mask in the app, edit it, review it, and hand it to scoring.

The CT is the one loaded on the Imaging screen.  A click with "Click seed" inside the organ suggests the HU window
from the clicked region; "Segment" grows the organ in a worker thread (the same
:func:`~hsp_desktop.segmentation.grow_region` as ``hsp segment``).  An installed ONNX segmentation model can make
the first draft instead.  Edits go through the mask editor's undo/redo history.  "Confirm review" saves the mask
with its provenance and records the signed-in user as reviewer; only then is it used for scoring.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hsp_desktop.domain import Progress
from hsp_desktop.errors import HspError
from hsp_desktop.gui.context import AppContext
from hsp_desktop.gui.widgets.mask_editor import MaskEditor
from hsp_desktop.gui.workers import Worker


def grow_job(
    ct: Any, seeds: list[tuple[int, int, int]], window: tuple[float, float] | None, smoothness_mm: float
) -> Callable[[Callable[[], bool]], Generator[Progress, None, Any]]:
    """Worker job: grow one organ from its clicks (a window of None is suggested from the clicks)."""

    def job(cancelled: Callable[[], bool]) -> Generator[Progress, None, Any]:
        from hsp_desktop.segmentation import grow_region

        yield Progress("segment", 0.0, f"{len(seeds)} click(s)")
        return grow_region(ct, seeds, window=window, smoothness_mm=smoothness_mm)

    return job


def model_job(ct: Any, folder: Path) -> Callable[[Callable[[], bool]], Generator[Progress, None, Any]]:
    """Worker job: run an installed ONNX segmentation model on the CT."""

    def job(cancelled: Callable[[], bool]) -> Generator[Progress, None, Any]:
        from hsp_desktop.segmentation.onnx_model import load_seg_model, predict_labels

        yield Progress("model", 0.0, str(folder))
        model = load_seg_model(folder)
        yield Progress("model", 0.3, model.manifest.name)
        return model, predict_labels(model, ct)

    return job


class SegmentPage(QWidget):
    """Make, edit and review the mask of the current recipient's CT."""

    def __init__(self, ctx: AppContext, window: Any) -> None:
        super().__init__()
        self.ctx = ctx
        self.window_ = window
        self.worker: Worker | None = None
        self.seeds: dict[str, list[tuple[int, int, int]]] = {"spleen": [], "liver": []}
        self.saved_path: Path | None = None
        self._suggested: tuple[float, float] | None = None

        self.header = QLabel()
        self.header.setObjectName("segmentHeader")
        self.header.setWordWrap(True)
        self.load_button = QPushButton(self.tr("Use the CT from the Imaging screen"))
        self.load_button.setObjectName("useImagingCt")
        self.load_button.clicked.connect(self.load_from_imaging)
        self.smoothness = QDoubleSpinBox()
        self.smoothness.setObjectName("smoothness")
        self.smoothness.setRange(0.0, 15.0)
        self.smoothness.setValue(5.0)
        self.smoothness.setSuffix(" mm")
        self.smoothness.setAccessibleName(self.tr("Leak cut (smoothness)"))
        self.segment_button = QPushButton(self.tr("&Segment from the clicks"))
        self.segment_button.setObjectName("segment")
        self.segment_button.clicked.connect(self.segment)
        self.model_button = QPushButton(self.tr("Auto-segment with a model..."))
        self.model_button.setObjectName("autoSegment")
        self.model_button.clicked.connect(self._choose_model)
        top = QHBoxLayout()
        for w in (self.load_button, QLabel(self.tr("Leak cut")), self.smoothness, self.segment_button):
            top.addWidget(w)
        top.addWidget(self.model_button)
        top.addStretch(1)

        self.editor = MaskEditor()
        self.editor.seed_added.connect(self.add_seed)
        self.editor.labels_changed.connect(self._on_labels_changed)

        self.reviewed_box = QCheckBox(self.tr("I have checked the mask on every slice that shows the organ"))
        self.reviewed_box.setObjectName("reviewedCheck")
        self.reviewed_box.toggled.connect(lambda _c: self._update_buttons())
        self.review_button = QPushButton(self.tr("Confirm &review and use for scoring"))
        self.review_button.setObjectName("confirmReview")
        self.review_button.clicked.connect(self.confirm_review)
        self.score_button = QPushButton(self.tr("Continue to s&coring"))
        self.score_button.setObjectName("segmentToScore")
        self.score_button.clicked.connect(lambda: self.window_.show_page("score"))
        bottom = QHBoxLayout()
        bottom.addWidget(self.reviewed_box)
        bottom.addWidget(self.review_button)
        bottom.addWidget(self.score_button)
        bottom.addStretch(1)
        self.status = QLabel(" ")
        self.status.setObjectName("segmentStatus")
        self.status.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addLayout(top)
        layout.addWidget(self.editor, 1)
        layout.addLayout(bottom)
        layout.addWidget(self.status)
        ctx.events.recipient_selected.connect(lambda _s: self.refresh())
        self.refresh()

    # -- state --------------------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Say which CT the mask is for and what to do next."""
        sid = self.ctx.current_study_id
        if self.ctx.ct_volume is None:
            self.header.setText(self.tr("Load the recipient's CT on the Imaging screen first."))
        else:
            self.header.setText(
                self.tr("Recipient {0}: click inside the spleen with 'Click seed', then 'Segment'.").format(
                    sid or "-"
                )
            )
        self._update_buttons()

    def _update_buttons(self) -> None:
        loaded = self.editor.history is not None
        busy = self.worker is not None and self.worker.running
        write = self.ctx.can_write()
        self.load_button.setEnabled(self.ctx.ct_volume is not None and not busy)
        self.segment_button.setEnabled(loaded and not busy and bool(self.seeds[self.editor.current_organ]))
        self.model_button.setEnabled(loaded and not busy)
        has_mask = loaded and bool(self.editor.history.array.any())
        self.review_button.setEnabled(has_mask and write and self.reviewed_box.isChecked() and not busy)
        self.score_button.setEnabled(self.saved_path is not None and self.ctx.mask_path == self.saved_path)

    def _user(self) -> str:
        return str(getattr(self.ctx.user, "username", "") or "")

    def load_from_imaging(self) -> None:
        """Start a new mask on the Imaging screen's CT (its mask, if any, is the starting point)."""
        import numpy as np

        from hsp_desktop.segmentation.editing import EditHistory
        from hsp_desktop.segmentation.provenance import MaskProvenance, now_utc, read_provenance

        ct = self.ctx.ct_volume
        if ct is None:
            return
        start = np.zeros(ct.shape, dtype=np.uint8)
        provenance = None
        mask = self.ctx.mask_volume
        if mask is not None and mask.shape == ct.shape:
            start = np.asarray(mask.array, dtype=np.uint8)
            if self.ctx.mask_path is not None:
                provenance = read_provenance(self.ctx.mask_path)
            if provenance is None:
                provenance = MaskProvenance(
                    method="imported",
                    created_by=self._user(),
                    created_at=now_utc(),
                    ct_source=str(self.ctx.ct_path or ct.source),
                    labels=dict(mask.labels),
                    details={"source_file": str(self.ctx.mask_path or mask.source)},
                )
        if provenance is None:
            provenance = MaskProvenance(
                method="semi-automatic",
                created_by=self._user(),
                created_at=now_utc(),
                ct_source=str(self.ctx.ct_path or ct.source),
                labels={1: "spleen"},
                details={"organs": {}},
            )
        self.seeds = {"spleen": [], "liver": []}
        self.saved_path = None
        self.editor.user = self._user()
        self.editor.set_case(ct, EditHistory(start, provenance, ct.spacing))
        self.editor.set_edit_tool("seed")
        self.status.setText(self.tr("Click inside the organ with 'Click seed'."))
        self._update_buttons()

    # -- semi-automatic -----------------------------------------------------------------------------------------
    def add_seed(self, organ: str, seed: tuple[int, int, int]) -> None:
        """Record a click inside ``organ`` and suggest the HU window from the clicked region."""
        from hsp_desktop.segmentation import suggest_window

        self.seeds[organ].append(seed)
        ct = self.ctx.ct_volume
        low, high = suggest_window(ct, self.seeds[organ])
        self._suggested = (low, high)
        self.editor.low.setValue(low)
        self.editor.high.setValue(high)
        self.status.setText(
            self.tr("{0} click(s) in the {1}; suggested window {2:.0f} to {3:.0f} HU.").format(
                len(self.seeds[organ]), self.editor.organ.currentText().lower(), low, high
            )
        )
        self._update_buttons()

    def segment(self) -> None:
        """Grow the current organ from its clicks in a worker thread."""
        organ = self.editor.current_organ
        if not self.seeds[organ] or self.ctx.ct_volume is None:
            return
        # a suggested window is refined from the grown organ; a window the user changed is used as it is
        chosen = (float(self.editor.low.value()), float(self.editor.high.value()))
        window = None if chosen == self._suggested else chosen
        job = grow_job(self.ctx.ct_volume, list(self.seeds[organ]), window, float(self.smoothness.value()))
        self._run(job, lambda result: self._grown(organ, result))
        self.status.setText(self.tr("Segmenting..."))

    def _grown(self, organ: str, result: Any) -> None:
        params = {
            "method": "semi-automatic",
            "seeds": [list(s) for s in result.seeds],
            "window_hu": list(result.window),
            "smoothness_mm": result.smoothness_mm,
        }
        self.editor.replace_organ(organ, result.mask, params)
        self._record_details(organ, params)
        self.editor.low.setValue(result.window[0])
        self.editor.high.setValue(result.window[1])
        self._suggested = None  # a second run uses the refined window as it is
        self.status.setText(
            self.tr(
                "Segmented in {0:.1f} s (window {1:.0f} to {2:.0f} HU). Check it, edit it, review it."
            ).format(result.seconds, *result.window)
        )

    def _record_details(self, organ: str, params: dict[str, Any]) -> None:
        from dataclasses import replace

        history = self.editor.history
        details = dict(history.provenance.details)
        organs = dict(details.get("organs", {}))
        organs[organ] = params
        details["organs"] = organs
        labels = dict(history.provenance.labels)
        labels[{"spleen": 1, "liver": 2}[organ]] = organ
        history.provenance = replace(history.provenance, details=details, labels=labels)

    # -- ONNX model ---------------------------------------------------------------------------------------------
    def _choose_model(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Choose the segmentation model folder"))
        if folder:
            self.run_model(Path(folder))

    def run_model(self, folder: Path) -> None:
        """Make the first draft with an installed ONNX segmentation model (in a worker thread)."""
        self.status.setText(self.tr("Running the segmentation model..."))
        self._run(model_job(self.ctx.ct_volume, folder), self._model_done)

    def _model_done(self, result: Any) -> None:
        import numpy as np

        model, labels = result
        for organ, value in (("spleen", 1), ("liver", 2)):
            if value in model.manifest.labels:
                self.editor.replace_organ(
                    organ, labels == value, {"method": "onnx-model", "model_sha256": model.sha256}
                )
        from dataclasses import replace

        history = self.editor.history
        details = {**model.provenance_details(), "organs": history.provenance.details.get("organs", {})}
        present = {int(v): n for v, n in model.manifest.labels.items() if np.any(labels == v)}
        history.provenance = replace(history.provenance, method="onnx-model", details=details, labels=present)
        self.status.setText(
            self.tr("Model {0}: {1}. Check it, edit it, review it.").format(
                model.manifest.name, model.manifest.intended_use
            )
        )

    # -- review -------------------------------------------------------------------------------------------------
    def confirm_review(self) -> Path | None:
        """Save the mask with its provenance, record the signed-in user as reviewer, and use it for scoring."""
        from hsp_desktop.segmentation import review_mask, save_mask

        labels = self.editor.labels()
        if labels is None:
            return None
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
        folder = self.ctx.data_dir / "masks"
        path = folder / f"{self.ctx.current_study_id or 'case'}-{stamp}.nii.gz"
        try:
            save_mask(labels, self.editor.history.provenance, path)
            reviewed = review_mask(path, self._user())
        except (HspError, OSError) as exc:
            self.window_.show_error(exc)
            return None
        self.editor.history.provenance = reviewed
        self.saved_path = path
        self.ctx.mask_path = path
        self.ctx.mask_volume = labels
        self.reviewed_box.setChecked(False)
        self.status.setText(self.tr("Reviewed by {0}; saved as {1}. It will be used for scoring.").format(
            reviewed.review.reviewer if reviewed.review else "", path.name
        ))  # fmt: skip
        self._update_buttons()
        return path

    def _on_labels_changed(self) -> None:
        # any change after the review needs a new review before scoring
        if self.saved_path is not None and self.editor.history.provenance.review is None:
            if self.ctx.mask_path == self.saved_path:
                self.ctx.mask_path = None
                self.ctx.mask_volume = None
            self.saved_path = None
            self.status.setText(self.tr("The mask changed after the review: review it again before scoring."))
        self._update_buttons()

    # -- worker -------------------------------------------------------------------------------------------------
    def _run(self, job: Any, done: Callable[[Any], None]) -> None:
        self.worker = Worker(job, self)
        self.worker.progress.connect(lambda p: self.status.setText(f"{p.stage}... {p.message}"))
        self.worker.finished.connect(lambda result: self._done(done, result))
        self.worker.failed.connect(self._failed)
        self.worker.start()
        self._update_buttons()

    def _done(self, done: Callable[[Any], None], result: Any) -> None:
        done(result)
        self._update_buttons()

    def _failed(self, exc: BaseException) -> None:
        self.status.setText(self.tr("Segmentation failed."))
        self._update_buttons()
        self.window_.show_error(exc)

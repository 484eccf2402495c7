"""Imaging: pick the pre-operative CT (DICOM series or file) and the mask, view them, see the QC report."""

from __future__ import annotations

from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hsp_desktop.domain import Progress
from hsp_desktop.gui.context import AppContext
from hsp_desktop.gui.domain_text import tr_code
from hsp_desktop.gui.widgets.slice_viewer import SliceViewer
from hsp_desktop.gui.workers import Worker

STATUS_COLOURS = {"ok": "#1b7f3b", "warn": "#a86b00", "fail": "#b00020"}


def load_images(
    ct_path: Path, mask_path: Path | None, series_uid: str | None
) -> Callable[[Callable[[], bool]], Generator[Progress, None, dict[str, Any]]]:
    """A worker job that reads the CT (and mask) and runs the QC gate, as the scoring pipeline will."""

    def job(cancelled: Callable[[], bool]) -> Generator[Progress, None, dict[str, Any]]:
        from hsp_desktop.imaging.qc import run_qc
        from hsp_desktop.importers import read_ct, read_mask

        yield Progress("read CT", 0.0, str(ct_path))
        ct = read_ct(ct_path, series_uid=series_uid)
        mask = qc = None
        if mask_path is not None:
            yield Progress("read mask", 0.5, str(mask_path))
            mask = read_mask(mask_path, reference=ct)
            yield Progress("quality check", 0.8, "")
            qc = run_qc(ct, mask, label=1)
        yield Progress("done", 1.0, "")
        return {"ct": ct, "mask": mask, "qc": qc}

    return job


class ImagingPage(QWidget):
    """CT and mask import with a viewer and the QC report."""

    def __init__(self, ctx: AppContext, window: Any) -> None:
        super().__init__()
        self.ctx = ctx
        self.window_ = window
        self.worker: Worker | None = None
        self.series_uid: str | None = None
        self.ct_path: Path | None = None
        self.mask_path: Path | None = None

        self.header = QLabel()
        self.header.setObjectName("imagingHeader")
        self.dicom_button = QPushButton(self.tr("Choose &DICOM folder..."))
        self.dicom_button.clicked.connect(self._choose_dicom)
        self.file_button = QPushButton(self.tr("Choose CT &file (NIfTI/NRRD/MHA)..."))
        self.file_button.clicked.connect(self._choose_ct_file)
        self.mask_button = QPushButton(self.tr("Choose &mask..."))
        self.mask_button.clicked.connect(self._choose_mask)
        buttons = QHBoxLayout()
        for b in (self.dicom_button, self.file_button, self.mask_button):
            buttons.addWidget(b)
        buttons.addStretch(1)

        self.series = QTableWidget(0, 4)
        self.series.setObjectName("seriesTable")
        self.series.setHorizontalHeaderLabels(
            [self.tr("Series description"), self.tr("Phase"), self.tr("Slices"), self.tr("Series UID")]
        )
        self.series.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.series.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.series.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.series.horizontalHeader().setStretchLastSection(True)
        self.series.setMaximumHeight(96)
        self.series.itemSelectionChanged.connect(self._on_series)

        self.viewer = SliceViewer()
        self.qc = QTableWidget(0, 3)
        self.qc.setObjectName("qcTable")
        self.qc.setHorizontalHeaderLabels([self.tr("Check"), self.tr("Result"), self.tr("Detail")])
        self.qc.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.qc.horizontalHeader().setStretchLastSection(True)
        self.qc.setWordWrap(True)
        self.qc.verticalHeader().setVisible(False)
        self.qc_summary = QLabel(self.tr("QC: no mask loaded"))
        self.qc_summary.setObjectName("qcSummary")
        self.qc_summary.setWordWrap(True)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.addWidget(QLabel(self.tr("Quality control")))
        side_layout.addWidget(self.qc_summary)
        side_layout.addWidget(self.qc, 1)
        self.score_button = QPushButton(self.tr("Continue to &scoring"))
        self.score_button.setEnabled(False)
        self.score_button.clicked.connect(lambda: self.window_.show_page("score"))
        side_layout.addWidget(self.score_button)

        splitter = QSplitter()
        splitter.addWidget(self.viewer)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        side.setMinimumWidth(420)
        self.status = QLabel("")
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addLayout(buttons)
        layout.addWidget(self.series)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.status)
        ctx.events.recipient_selected.connect(lambda _s: self.refresh())

    def refresh(self) -> None:
        """Show which recipient the images are for."""
        sid = self.ctx.current_study_id
        self.header.setText(
            self.tr(
                "Recipient {0}: choose the pre-operative portal-venous CT and the spleen/liver mask."
            ).format(sid)
            if sid
            else self.tr("Select a recipient on the Worklist first.")
        )
        enabled = sid is not None
        for b in (self.dicom_button, self.file_button, self.mask_button):
            b.setEnabled(enabled)

    # -- choosing files -----------------------------------------------------------------------------------------
    def _choose_dicom(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("DICOM folder of the CT"))
        if folder:
            self.open_dicom_folder(Path(folder))

    def open_dicom_folder(self, folder: Path) -> None:
        """List the series in a DICOM folder; the first CT series is selected."""
        from hsp_desktop.importers import list_dicom_series

        try:
            series = list_dicom_series(folder)
        except Exception as exc:  # noqa: BLE001 - shown by show_error (an unexpected fault with its traceback)
            self.window_.show_error(exc)
            return
        self.ct_path = folder
        self.series.setRowCount(len(series))
        for r, info in enumerate(series):
            values = (
                getattr(info, "description", ""),
                getattr(info, "phase", ""),
                getattr(info, "n_slices", getattr(info, "slice_count", "")),
                getattr(info, "series_uid", getattr(info, "uid", "")),
            )
            for c, v in enumerate(values):
                self.series.setItem(r, c, QTableWidgetItem(str(v or "")))
        if series:
            self.series.selectRow(0)

    def _on_series(self) -> None:
        items = self.series.selectedItems()
        if not items or self.ct_path is None:
            return
        self.series_uid = self.series.item(items[0].row(), 3).text() or None
        self._load()

    def _choose_ct_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("CT image"), "", self.tr("Images (*.nii *.nii.gz *.nrrd *.mha *.mhd)")
        )
        if path:
            self.open_ct_file(Path(path))

    def open_ct_file(self, path: Path) -> None:
        """Use an image file as the CT."""
        self.series.setRowCount(0)
        self.series_uid = None
        self.ct_path = path
        self._load()

    def _choose_mask(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            self.tr("Mask (label map or DICOM SEG/RTSTRUCT)"),
            "",
            self.tr("Masks (*.nii *.nii.gz *.nrrd *.mha *.dcm)"),
        )
        if path:
            self.open_mask(Path(path))

    def open_mask(self, path: Path) -> None:
        """Use a label map (1 = spleen, 2 = liver) as the mask and run QC."""
        self.mask_path = path
        self._load()

    # -- loading in a worker -------------------------------------------------------------------------------------
    def _load(self) -> None:
        if self.ct_path is None:
            return
        if self.worker is not None and self.worker.running:
            self.worker.cancel()
            self.worker.wait()
        self.status.setText(self.tr("Reading images..."))
        self.worker = Worker(load_images(self.ct_path, self.mask_path, self.series_uid), self)
        self.worker.progress.connect(lambda p: self.status.setText(f"{p.stage}... {p.message}"))
        self.worker.finished.connect(self._loaded)
        self.worker.failed.connect(self._failed)
        self.worker.start()

    def _failed(self, exc: BaseException) -> None:
        self.status.setText(self.tr("Could not read the images."))
        self.score_button.setEnabled(False)
        self.window_.show_error(exc)

    def _loaded(self, result: dict[str, Any]) -> None:
        self.viewer.set_volume(result["ct"], result["mask"])
        self.ctx.ct_path = self.ct_path
        self.ctx.mask_path = self.mask_path
        self.ctx.ct_volume = result["ct"]
        self.ctx.mask_volume = result["mask"]
        qc = result["qc"]
        self.status.setText(self.tr("Images loaded."))
        if qc is None:
            self.qc.setRowCount(0)
            self.qc_summary.setText(self.tr("QC: choose the mask to run the quality checks."))
            self.score_button.setEnabled(False)
            return
        self.qc.setRowCount(len(qc.checks))
        for r, check in enumerate(qc.checks):
            name = QTableWidgetItem(tr_code(check.name))
            name.setToolTip(check.name)
            status = QTableWidgetItem(tr_code(check.status).upper())
            status.setForeground(_colour(check.status))
            detail = QTableWidgetItem(check.value)
            detail.setToolTip(check.message)
            self.qc.setItem(r, 0, name)
            self.qc.setItem(r, 1, status)
            self.qc.setItem(r, 2, detail)
        self.qc.resizeColumnToContents(0)
        self.qc.resizeColumnToContents(1)
        if qc.passed:
            self.qc_summary.setText(
                self.tr("QC passed ({0} warnings). The CT can be scored.").format(len(qc.warnings))
            )
        else:
            self.qc_summary.setText(
                self.tr("QC failed: {0}. Fix the images before scoring.").format(
                    ", ".join(tr_code(c.name) for c in qc.failures)
                )
            )
        self.score_button.setEnabled(qc.passed and self.ctx.can_write())


def _colour(status: str) -> Any:
    from PySide6.QtGui import QColor

    return QColor(STATUS_COLOURS.get(status, "#000000"))

"""Study browser: a PACS/CD export as a patient -> study -> series tree, scanned in a worker thread.

A thin view over :class:`hsp_desktop.importers.study.StudyTree` (plain data, also fed by C-FIND): the scan is the
same ``scan_export`` generator the command line uses, run by a :class:`~hsp_desktop.gui.workers.Worker`; the tree
is refreshed from the :class:`~hsp_desktop.importers.study.TreeBuilder` while files are read, so the first series
appears long before a large export is complete.  The series the documented rule preselects is selected when the
scan ends; a localizer is shown greyed out and cannot be selected.  Selecting a series shows its middle slice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hsp_desktop.domain import Progress
from hsp_desktop.gui.workers import Worker
from hsp_desktop.importers.dicom import SeriesInfo
from hsp_desktop.importers.study import StudyTree, TreeBuilder, scan_export

_UID_ROLE = Qt.ItemDataRole.UserRole + 1


def scan_job(
    folder: Path, builder: TreeBuilder
) -> Callable[[Callable[[], bool]], Generator[Progress, None, StudyTree]]:
    """The worker job: ``scan_export`` feeding ``builder`` (read by the GUI thread while the scan runs)."""

    def job(cancelled: Callable[[], bool]) -> Generator[Progress, None, StudyTree]:
        tree = yield from scan_export(folder, builder, cancelled)
        return tree

    return job


def middle_slice_png(info: SeriesInfo, size: int = 160) -> QImage | None:
    """The series' middle image in a soft-tissue window (W400/L50), or None when it has no pixel data."""
    import pydicom

    if not info.files:
        return None
    ds = pydicom.dcmread(info.files[len(info.files) // 2])
    if "PixelData" not in ds or info.modality not in ("CT", "MR"):
        return None
    pixels = ds.pixel_array.astype(np.float64)
    if pixels.ndim != 2:
        return None
    hu = pixels * float(getattr(ds, "RescaleSlope", 1) or 1) + float(getattr(ds, "RescaleIntercept", 0) or 0)
    grey = np.clip((hu - (50 - 200)) / 400 * 255, 0, 255).astype(np.uint8)
    grey = np.ascontiguousarray(grey)
    image = QImage(grey.data, grey.shape[1], grey.shape[0], grey.shape[1], QImage.Format.Format_Grayscale8)
    return image.copy().scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio)


class StudyBrowser(QWidget):
    """Patient/study/series tree with progress, skipped files and a thumbnail.

    Signals
    -------
    series_chosen(object)
        A scoreable :class:`SeriesInfo` was selected (by the user or by the preselection rule).
    scan_finished(object)
        The complete :class:`StudyTree`.
    """

    series_chosen = Signal(object)
    scan_finished = Signal(object)

    def __init__(self, parent: QWidget | None = None, *, show_names: bool = True) -> None:
        super().__init__(parent)
        self.show_names = show_names
        self.patient_hint: str | None = None
        self.tree_data: StudyTree | None = None
        self.worker: Worker | None = None
        self.builder: TreeBuilder | None = None
        self.first_series_s: float | None = None
        self._started = 0.0
        self._shown = 0

        self.tree = QTreeWidget()
        self.tree.setObjectName("studyTree")
        self.tree.setHeaderLabels(
            [
                self.tr("Patient / study / series"),
                self.tr("Date"),
                self.tr("Phase"),
                self.tr("Slices"),
                self.tr("Thickness"),
                self.tr("Kernel"),
                self.tr("Compression"),
            ]
        )
        self.tree.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.tree.itemSelectionChanged.connect(self._on_selection)
        self.progress = QProgressBar()
        self.progress.setObjectName("scanProgress")
        self.progress.setRange(0, 1000)
        self.status = QLabel("")
        self.status.setObjectName("scanStatus")
        self.status.setWordWrap(True)
        self.rule = QLabel(
            self.tr(
                "Preselected: the portal-venous CT series (never a localizer); among several, ORIGINAL before "
                "DERIVED, soft-tissue kernel before sharp, slice thickness 0.5-5 mm, then the thinnest, then the "
                "lowest series number. Without a portal-venous series nothing is preselected."
            )
        )
        self.rule.setWordWrap(True)
        self.rule.setStyleSheet("color: #555;")
        self.thumbnail = QLabel()
        self.thumbnail.setObjectName("seriesThumbnail")
        self.thumbnail.setFixedSize(170, 170)
        self.thumbnail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.thumbnail.setStyleSheet("background: black; color: #ccc;")
        top = QHBoxLayout()
        top.addWidget(self.tree, 1)
        top.addWidget(self.thumbnail)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.rule)

    # -- scanning -----------------------------------------------------------------------------------------------
    def scan(self, folder: Path, patient_hint: str | None = None) -> None:
        """Scan ``folder`` in a worker thread; ``patient_hint`` (a PatientID) picks the patient to preselect for."""
        self.cancel()
        self.patient_hint = patient_hint
        self.tree.clear()
        self.tree_data = None
        self.first_series_s = None
        self._shown = 0
        self.builder = TreeBuilder(folder)
        self._started = time.perf_counter()
        self.status.setText(self.tr("Scanning {0}...").format(str(folder)))
        self.progress.setValue(0)
        self.worker = Worker(scan_job(Path(folder), self.builder), self)
        self.worker.progress.connect(self._on_progress)
        self.worker.finished.connect(self._on_finished)
        self.worker.failed.connect(self._on_failed)
        self.worker.start()

    def cancel(self) -> None:
        """Stop a running scan and wait for its thread."""
        if self.worker is not None and self.worker.running:
            self.worker.cancel()
            self.worker.wait()

    @property
    def scanning(self) -> bool:
        """True while a scan runs."""
        return self.worker is not None and self.worker.running

    def _on_progress(self, p: Progress) -> None:
        self.progress.setValue(int(1000 * p.fraction))
        self.status.setText(self.tr("Scanning: {0}").format(p.message))
        if self.builder is not None and self.builder.series_count != self._shown:
            self.show_tree(self.builder.snapshot())

    def _on_finished(self, tree: StudyTree) -> None:
        self.progress.setValue(1000)
        self.show_tree(tree)
        self.tree_data = tree
        skipped = ", ".join(f"{s.path.name} ({s.reason})" for s in tree.skipped[:5])
        more = "" if len(tree.skipped) <= 5 else f" +{len(tree.skipped) - 5}"
        text = self.tr("{0} patient(s), {1} series, {2} files{3}.").format(
            len(tree.patients),
            len(tree.all_series()),
            tree.files_seen,
            self.tr(" (DICOMDIR)") if tree.dicomdir else "",
        )
        if tree.skipped:
            text += " " + self.tr("Skipped {0} file(s): {1}").format(len(tree.skipped), skipped + more)
        self.status.setText(text)
        chosen = tree.preselected(self.patient_hint) if self.patient_hint else tree.preselected()
        if chosen is None and self.patient_hint and len(tree.patients) == 1:
            chosen = tree.preselected()
        if chosen is not None:
            self.select_series(chosen.series_uid)
        elif len(tree.patients) > 1:
            self.status.setText(text + " " + self.tr("Several patients: choose the recipient's series."))
        self.scan_finished.emit(tree)

    def _on_failed(self, exc: BaseException) -> None:
        self.status.setText(self.tr("The scan failed: {0}").format(str(exc)))
        window = self.window()
        show = getattr(window, "show_error", None)
        if callable(show):
            show(exc)

    # -- the tree -----------------------------------------------------------------------------------------------
    def show_tree(self, tree: StudyTree) -> None:
        """Show ``tree`` (kept selection by series UID)."""
        selected = self.selected_uid()
        self.tree.clear()
        count = 0
        for patient in tree.patients:
            name = patient.name if self.show_names and patient.name else "—"
            p_item = QTreeWidgetItem(
                [self.tr("{0}  {1}  born {2}").format(patient.patient_id, name, patient.birth_date or "?")]
            )
            p_item.setFlags(p_item.flags() & ~Qt.ItemFlag.ItemIsSelectable)
            self.tree.addTopLevelItem(p_item)
            for study in patient.studies:
                s_item = QTreeWidgetItem(
                    [
                        self.tr("Study {0} (accession {1})").format(
                            study.description or study.study_uid[-8:], study.accession or "-"
                        ),
                        study.study_date,
                    ]
                )
                s_item.setFlags(s_item.flags() & ~Qt.ItemFlag.ItemIsSelectable)
                p_item.addChild(s_item)
                for info in study.series:
                    count += 1
                    thickness = f"{info.slice_thickness_mm:g} mm" if info.slice_thickness_mm else ""
                    description = info.description or self.tr("(no description)")
                    label = f"#{info.series_number} {description}"
                    if info.is_localizer:
                        label += " " + self.tr("[localizer: not scored]")
                    elif info.modality != "CT":
                        label += f" [{info.modality}]"
                    item = QTreeWidgetItem(
                        [
                            label,
                            info.study_date,
                            info.phase,
                            str(info.slice_count),
                            thickness,
                            info.kernel,
                            info.compression,
                        ]
                    )
                    item.setData(0, _UID_ROLE, info.series_uid)
                    item.setToolTip(0, info.series_uid)
                    if not info.scoreable:
                        item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsSelectable)
                        item.setForeground(0, Qt.GlobalColor.gray)
                    s_item.addChild(item)
        self.tree.expandAll()
        if count and self.first_series_s is None:
            self.first_series_s = time.perf_counter() - self._started
        self._shown = count
        if selected:
            self.select_series(selected, emit=False)

    def _items(self) -> list[QTreeWidgetItem]:
        out: list[QTreeWidgetItem] = []
        for i in range(self.tree.topLevelItemCount()):
            p_item = self.tree.topLevelItem(i)
            if p_item is None:
                continue
            for j in range(p_item.childCount()):
                s_item = p_item.child(j)
                if s_item is None:
                    continue
                out += [c for c in (s_item.child(k) for k in range(s_item.childCount())) if c is not None]
        return out

    def select_series(self, uid: str, *, emit: bool = True) -> bool:
        """Select the series with this UID (False when absent or not scoreable)."""
        for item in self._items():
            if item.data(0, _UID_ROLE) == uid and item.flags() & Qt.ItemFlag.ItemIsSelectable:
                if not emit:
                    self.tree.blockSignals(True)
                self.tree.setCurrentItem(item)
                item.setSelected(True)
                self.tree.blockSignals(False)
                return True
        return False

    def selected_uid(self) -> str | None:
        """The selected series' UID."""
        items = self.tree.selectedItems()
        uid = items[0].data(0, _UID_ROLE) if items else None
        return str(uid) if uid else None

    def series_info(self, uid: str) -> SeriesInfo | None:
        """The series with this UID in the latest tree."""
        tree = self.tree_data or (self.builder.snapshot() if self.builder else None)
        return tree.find(uid) if tree else None

    def _on_selection(self) -> None:
        uid = self.selected_uid()
        info = self.series_info(uid) if uid else None
        if info is None:
            return
        image = middle_slice_png(info)
        if image is None:
            self.thumbnail.setText(self.tr("no image"))
        else:
            self.thumbnail.setPixmap(QPixmap.fromImage(image))
        if info.scoreable:
            self.series_chosen.emit(info)

    def selected_series(self) -> Any:
        """The selected :class:`SeriesInfo` or None."""
        uid = self.selected_uid()
        return self.series_info(uid) if uid else None

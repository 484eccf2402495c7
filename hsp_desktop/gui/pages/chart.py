"""Recipient chart: everything registered for one recipient on one screen.

The registered CT and mask (with their hashes and QC), every prediction with its model, the CT series and mask
segment it was computed on, the identity verdict and its PDF (open, or print through a print dialog), and the
follow-up visits.  Everything is read from the registry through its public methods; nothing is computed here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QImage, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hsp_desktop.gui.context import AppContext


def print_pdf(pdf: Path, printer: Any) -> int:
    """Print every page of ``pdf`` on ``printer`` (a configured ``QPrinter``); returns the pages printed.

    Pages are rendered with PDFium at the printer's resolution and scaled to its page, keeping the aspect ratio.
    """
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    painter = QPainter()
    if not painter.begin(printer):
        doc.close()
        return 0
    try:
        dpi = max(printer.resolution(), 72)
        area = printer.pageLayout().paintRectPixels(printer.resolution())
        for i in range(len(doc)):
            if i:
                printer.newPage()
            bitmap = doc[i].render(scale=min(dpi, 300) / 72)
            pil = bitmap.to_pil().convert("RGB")
            data = pil.tobytes("raw", "RGB")
            image = QImage(data, pil.width, pil.height, pil.width * 3, QImage.Format.Format_RGB888).copy()
            scaled = image.scaled(area.width(), area.height(), aspectMode=_keep_aspect())
            painter.drawImage(0, 0, scaled)
        return len(doc)
    finally:
        painter.end()
        doc.close()


def _keep_aspect() -> Any:
    from PySide6.QtCore import Qt

    return Qt.AspectRatioMode.KeepAspectRatio


def _table(headers: list[str], name: str) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    table.verticalHeader().setVisible(False)
    return table


def _fill(table: QTableWidget, rows: list[list[str]]) -> None:
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.setItem(r, c, QTableWidgetItem(value))


class ChartPage(QWidget):
    """One recipient's registered imaging, predictions (with PDFs) and visits."""

    def __init__(self, ctx: AppContext, window: Any) -> None:
        super().__init__()
        self.ctx = ctx
        self.window_ = window
        self.pdf_paths: list[Path | None] = []
        self.header = QLabel()
        self.header.setObjectName("chartHeader")
        self.header.setStyleSheet("font-size: 14pt; font-weight: bold;")
        self.imaging = _table(
            [self.tr("Registered"), self.tr("CT"), self.tr("Mask"), self.tr("CT SHA-256"), self.tr("QC")],
            "chartImaging",
        )
        self.predictions = _table(
            [
                self.tr("#"),
                self.tr("Date"),
                self.tr("Model"),
                self.tr("Risk"),
                self.tr("Band"),
                self.tr("CT series"),
                self.tr("Spleen segment"),
                self.tr("Identity"),
                self.tr("By"),
                self.tr("PDF"),
            ],
            "chartPredictions",
        )
        self.predictions.itemSelectionChanged.connect(self._on_prediction)
        self.visits = _table(
            [self.tr("Date"), self.tr("Day"), self.tr("Platelets"), self.tr("WBC"), self.tr("Haemoglobin")],
            "chartVisits",
        )
        self.open_button = QPushButton(self.tr("&Open PDF"))
        self.open_button.setObjectName("chartOpenPdf")
        self.open_button.clicked.connect(self.open_selected)
        self.print_button = QPushButton(self.tr("&Print PDF..."))
        self.print_button.setObjectName("chartPrintPdf")
        self.print_button.clicked.connect(self.print_selected)
        self.imaging_button = QPushButton(self.tr("Show on the &Imaging screen"))
        self.imaging_button.clicked.connect(lambda: self.window_.show_page("imaging"))
        for b in (self.open_button, self.print_button):
            b.setEnabled(False)
        buttons = QHBoxLayout()
        for b in (self.open_button, self.print_button, self.imaging_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        for title, widget in (
            (self.tr("Registered CT and mask"), self.imaging),
            (self.tr("Predictions"), self.predictions),
            (self.tr("Follow-up visits"), self.visits),
        ):
            box = QGroupBox(title)
            QVBoxLayout(box).addWidget(widget)
            layout.addWidget(box, 2 if widget is self.predictions else 1)
        layout.addLayout(buttons)
        # read only while shown: a hidden chart costs the GUI thread nothing when a prediction is saved
        for signal in (
            ctx.events.recipient_selected,
            ctx.events.prediction_saved,
            ctx.events.followup_changed,
        ):
            signal.connect(lambda _s: self.refresh() if self.isVisible() else None)

    def showEvent(self, event: Any) -> None:
        """Read the chart each time the screen is shown."""
        super().showEvent(event)
        self.refresh()

    def refresh(self) -> None:
        """Read the current recipient's chart from the registry."""
        sid = self.ctx.current_study_id
        if sid is None:
            self.header.setText(self.tr("Select a recipient on the Worklist first."))
            for table in (self.imaging, self.predictions, self.visits):
                table.setRowCount(0)
            return
        reg = self.ctx.registry
        record = reg.get_recipient(sid)
        self.header.setText(
            self.tr("Recipient {0} - CT {1}, transplant {2}, status {3}").format(
                sid,
                record.get("ct_date") or "-",
                record.get("transplant_date") or "-",
                record.get("status") or "-",
            )
        )
        studies = reg.imaging_studies(sid)
        _fill(
            self.imaging,
            [
                [
                    str(s["created_at"])[:16],
                    str(s["ct_path"]),
                    str(s["mask_path"] or ""),
                    str(s["ct_sha256"])[:16],
                    self.tr("passed") if (s["qc_report"] or {}).get("passed", True) else self.tr("FAILED"),
                ]
                for s in studies
            ],
        )
        rows, self.pdf_paths = [], []
        for pred in reg.predictions(sid):
            out = pred["output"]
            src = out.get("imaging_source") or {}
            series = (
                f"#{src.get('series_number')} {src.get('series_description') or ''}"
                if src.get("series_uid")
                else "-"
            )
            identity = (out.get("identity") or {}).get("status", "-")
            if identity == "overridden":
                identity += f": {(out.get('identity') or {}).get('override_reason')}"
            pdf = self._pdf_path(out.get("report"))
            self.pdf_paths.append(pdf)
            rows.append(
                [
                    str(pred["id"]),
                    str(pred["created_at"])[:16],
                    str(pred["model_id"]),
                    f"{float(pred['probability']):.1%}",
                    str(pred["band"] or ""),
                    series,
                    str(src.get("spleen_segment") or "-"),
                    identity,
                    str(pred["created_by"] or ""),
                    pdf.name if pdf else self.tr("(none)"),
                ]
            )
        _fill(self.predictions, rows)
        for r, pred in enumerate(reg.predictions(sid)):
            uid = ((pred["output"].get("imaging_source") or {}).get("series_uid")) or ""
            cell = self.predictions.item(r, 5)
            if cell is not None:
                cell.setToolTip(uid)
        _fill(
            self.visits,
            [
                [
                    str(v.get("date") or ""),
                    str(v.get("day") or ""),
                    _num(v.get("platelets")),
                    _num(v.get("wbc")),
                    _num(v.get("haemoglobin")),
                ]
                for v in reg.followups(sid)
            ],
        )
        if rows:
            self.predictions.selectRow(len(rows) - 1)

    def _pdf_path(self, name: Any) -> Path | None:
        if not name:
            return None
        folders = [self.ctx.data_dir / "reports"]
        db = str(getattr(self.ctx.registry, "path", "") or "")
        if db and db != ":memory:":
            folders.append(Path(db).resolve().parent / "reports")  # where `hsp score` writes by default
        for folder in folders:
            if (folder / str(name)).is_file():
                return folder / str(name)
        return None

    def selected_pdf(self) -> Path | None:
        """The PDF of the selected prediction (None when absent)."""
        rows = {i.row() for i in self.predictions.selectedItems()}
        if len(rows) != 1:
            return None
        row = rows.pop()
        return self.pdf_paths[row] if row < len(self.pdf_paths) else None

    def _on_prediction(self) -> None:
        has = self.selected_pdf() is not None
        self.open_button.setEnabled(has)
        self.print_button.setEnabled(has)

    def open_selected(self) -> None:
        """Open the selected prediction's PDF in the system viewer."""
        pdf = self.selected_pdf()
        if pdf is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(pdf)))

    def print_selected(self) -> int:
        """Print the selected prediction's PDF through the print dialog; returns the pages printed."""
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        pdf = self.selected_pdf()
        if pdf is None:
            return 0
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle(self.tr("Print {0}").format(pdf.name))
        if dialog.exec() != QPrintDialog.DialogCode.Accepted:
            return 0
        return print_pdf(pdf, printer)


def _num(value: Any) -> str:
    if value is None or value == "":
        return ""
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError):
        return str(value)

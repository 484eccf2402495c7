"""Score: run the scoring pipeline in a worker thread, with progress per stage and Cancel; show the result."""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hsp_desktop.domain import Progress
from hsp_desktop.gui.context import AppContext
from hsp_desktop.gui.domain_text import factor_label, tr_code
from hsp_desktop.gui.workers import Worker

BAND_COLOURS = {"low": "#1b7f3b", "intermediate": "#a86b00", "high": "#b00020"}


def scoring_job(
    ctx: AppContext, rescore_reason: str | None = None
) -> Callable[[Callable[[], bool]], Generator[Progress, None, Any]]:
    """The worker job: the same ``pipeline.run_case`` generator the CLI runs, then the key slices."""
    from hsp_desktop.modelstore import active_model_dir

    registry, user = ctx.registry, ctx.user
    study_id, ct_path, mask_path = ctx.current_study_id, ctx.ct_path, ctx.mask_path
    model = active_model_dir(registry, ctx.data_dir)
    report_dir = ctx.data_dir / "reports"
    ct, mask = ctx.ct_volume, ctx.mask_volume
    series_uid, spleen_label, override = ctx.series_uid, ctx.spleen_label, ctx.identity_override

    def job(cancelled: Callable[[], bool]) -> Generator[Progress, None, Any]:
        from hsp_desktop.pipeline import run_case  # imported in the worker: ~0.1-0.4 s off the GUI thread

        result = yield from run_case(
            registry,
            study_id,
            ct_path,
            mask_path,
            user=user,
            model=model,
            cancel=cancelled,
            report_dir=report_dir,
            series_uid=series_uid,
            spleen_label=spleen_label,
            override_identity=override,
            rescore_reason=rescore_reason,
        )
        return ScoreOutcome(result, key_slice_pngs(ct, mask))

    return job


@dataclass(frozen=True)
class ScoreOutcome:
    """The pipeline's result and the key slices (PNG bytes) shown beside it."""

    result: Any
    slices: tuple[bytes, ...]


def key_slice_pngs(ct: Any, mask: Any) -> tuple[bytes, ...]:
    """Axial and coronal key slices with the spleen outline, as the PDF report shows them."""
    if ct is None or mask is None:
        return ()
    from hsp_desktop.reporting.slices import key_slices, slice_png

    keys = key_slices(ct, mask)
    return tuple(slice_png(image)[0] for image in (keys.axial, keys.coronal))


class ScorePage(QWidget):
    """Runs the locked model for the current recipient and shows risk, CI, band and contributions."""

    def __init__(self, ctx: AppContext, window: Any) -> None:
        super().__init__()
        self.ctx = ctx
        self.window_ = window
        self.worker: Worker | None = None
        self.result: Any = None
        self.stages_seen: list[str] = []

        self.header = QLabel()
        self.header.setWordWrap(True)
        self.run_button = QPushButton(self.tr("&Score this recipient"))
        self.run_button.setObjectName("runScore")
        self.run_button.clicked.connect(self.start)
        self.cancel_button = QPushButton(self.tr("&Cancel"))
        self.cancel_button.setObjectName("cancelScore")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setObjectName("scoreProgress")
        self.progress.setRange(0, 1000)
        self.stage = QLabel(self.tr("Ready."))
        self.stage.setObjectName("stageLabel")
        controls = QHBoxLayout()
        controls.addWidget(self.run_button)
        controls.addWidget(self.cancel_button)
        controls.addWidget(self.progress, 1)

        self.risk = QLabel("")
        self.risk.setObjectName("riskLabel")
        self.risk.setStyleSheet("font-size: 20pt; font-weight: bold;")
        self.risk.setWordWrap(True)
        self.details = QLabel("")
        self.details.setObjectName("riskDetails")
        self.details.setWordWrap(True)
        self.contributions = QTableWidget(0, 3)
        self.contributions.setObjectName("contributions")
        self.contributions.setHorizontalHeaderLabels(
            [self.tr("Factor"), self.tr("Value"), self.tr("Contribution (log-odds)")]
        )
        self.contributions.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.contributions.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.contributions.verticalHeader().setVisible(False)
        self.slices = [QLabel(), QLabel()]
        for label in self.slices:
            label.setMinimumSize(260, 260)
            label.setStyleSheet("background: black;")
        self.open_pdf = QPushButton(self.tr("Open / print &PDF report"))
        self.open_pdf.setObjectName("openPdf")
        self.open_pdf.setEnabled(False)
        self.open_pdf.clicked.connect(self._open_pdf)
        result_box = QGroupBox(self.tr("Result"))
        rl = QVBoxLayout(result_box)
        rl.addWidget(self.risk)
        rl.addWidget(self.details)
        rl.addWidget(QLabel(self.tr("Top contributing factors")))
        middle = QHBoxLayout()
        middle.addWidget(self.contributions, 3)
        slice_box = QVBoxLayout()
        slice_box.addWidget(QLabel(self.tr("Key slices (spleen outlined)")))
        for label in self.slices:
            slice_box.addWidget(label, 1)
        middle.addLayout(slice_box, 2)
        rl.addLayout(middle, 1)
        rl.addWidget(self.open_pdf)

        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addLayout(controls)
        layout.addWidget(self.stage)
        layout.addWidget(result_box, 1)
        ctx.events.recipient_selected.connect(lambda _s: self.refresh())

    def refresh(self) -> None:
        """Say what will be scored and whether it can be."""
        ctx = self.ctx
        if ctx.current_study_id is None:
            text, ok = self.tr("Select a recipient on the Worklist first."), False
        elif ctx.ct_path is None or ctx.mask_path is None:
            text, ok = (
                self.tr("Recipient {0}: choose the CT and the mask on the Imaging screen first.").format(
                    ctx.current_study_id
                ),
                False,
            )
        else:
            text = self.tr("Recipient {0}. CT: {1}. Mask: {2}.").format(
                ctx.current_study_id, _short(ctx.ct_path), _short(ctx.mask_path)
            )
            ok = ctx.can_write()
        self.header.setText(text)
        busy = self.worker is not None and self.worker.running
        self.run_button.setEnabled(ok and not busy)

    def start(self) -> None:
        """Run the scoring pipeline in a worker thread."""
        self.result = None
        self.stages_seen = []
        self.risk.setText("")
        self.details.setText("")
        self.contributions.setRowCount(0)
        self.open_pdf.setEnabled(False)
        self.progress.setValue(0)
        rescore_reason = None
        if self.ctx.current_study_id and self.ctx.registry.predictions(self.ctx.current_study_id):
            from PySide6.QtWidgets import QInputDialog

            rescore_reason, ok = QInputDialog.getText(
                self,
                self.tr("Score again"),
                self.tr("{0} already has a prediction. Why score again? (kept in the audit trail)").format(
                    self.ctx.current_study_id
                ),
            )
            if not ok or not rescore_reason.strip():
                self.stage.setText(self.tr("Not scored: a reason is needed to score again."))
                return
        self.worker = Worker(scoring_job(self.ctx, rescore_reason), self)
        self.worker.progress.connect(self._on_progress)
        self.worker.finished.connect(self._on_finished)
        self.worker.failed.connect(self._on_failed)
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.worker.start()

    def cancel(self) -> None:
        """Stop at the next stage boundary; nothing is saved."""
        if self.worker is not None:
            self.worker.cancel()
            self.stage.setText(self.tr("Cancelling at the next stage..."))

    def _on_progress(self, p: Progress) -> None:
        if not self.stages_seen or self.stages_seen[-1] != p.stage:
            self.stages_seen.append(p.stage)
        self.progress.setValue(int(1000 * max(0.0, min(1.0, p.fraction))))
        from hsp_desktop.gui.messages import STAGES

        stage = QCoreApplication.translate("messages", STAGES.get(p.stage, p.stage))
        self.stage.setText(f"{stage}: {p.message}" if p.message else stage)

    def _on_failed(self, exc: BaseException) -> None:
        self.cancel_button.setEnabled(False)
        self.stage.setText(self.tr("Stopped. Nothing was saved."))
        self.refresh()
        self.window_.show_error(exc)

    def _on_finished(self, outcome: ScoreOutcome) -> None:
        self.cancel_button.setEnabled(False)
        self.progress.setValue(1000)
        self.stage.setText(self.tr("Done. The prediction is saved in the registry."))
        self.result = outcome.result
        self.show_result(outcome.result)
        self.show_slices(outcome.slices)
        self.refresh()
        if self.ctx.current_study_id:
            self.ctx.events.prediction_saved.emit(self.ctx.current_study_id)

    def show_result(self, result: Any) -> None:
        """Display risk with CI, band and contributions of a pipeline result."""
        risk = getattr(result, "risk", result)
        band = str(risk.band)
        colour = BAND_COLOURS.get(band, "#000000")
        self.risk.setText(
            self.tr("Risk of refractory hypersplenism at 6 months: {0:.1%} (95% CI {1:.1%}-{2:.1%})").format(
                risk.probability, risk.ci_low, risk.ci_high
            )
        )
        self.risk.setStyleSheet(f"font-size: 18pt; font-weight: bold; color: {colour};")
        lo, hi = risk.band_thresholds
        self.details.setText(
            self.tr(
                "Band: {0} (low < {1:.0%} <= intermediate < {2:.0%} <= high). Model {3} v{4}, sha256 {5}."
            ).format(tr_code(band).upper(), lo, hi, risk.model_id, risk.model_version, risk.model_sha256[:12])
        )
        top = sorted(risk.contributions, key=lambda c: abs(c.contribution), reverse=True)[:8]
        self.contributions.setRowCount(len(top))
        for r, c in enumerate(top):
            value = (
                f"{c.value:.4g}"
                if isinstance(c.value, float)
                else str(c.value if c.value is not None else "")
            )
            self.contributions.setItem(r, 0, QTableWidgetItem(factor_label(c.feature, c.label)))
            self.contributions.setItem(r, 1, QTableWidgetItem(value))
            shown = 0.0 if abs(c.contribution) < 0.005 else c.contribution  # no "-0.00"
            self.contributions.setItem(r, 2, QTableWidgetItem(f"{shown:+.2f}"))
        self.open_pdf.setEnabled(self.report_path() is not None)

    def show_slices(self, pngs: tuple[bytes, ...]) -> None:
        """Show the key slices next to the contributions."""
        from PySide6.QtGui import QPixmap

        for label, png in zip(self.slices, pngs, strict=False):
            pixmap = QPixmap()
            pixmap.loadFromData(png)
            label.setPixmap(pixmap.scaled(label.size(), Qt.AspectRatioMode.KeepAspectRatio))

    def report_path(self) -> Path | None:
        """The PDF written for the last result, if any."""
        path = getattr(self.result, "report_path", None)
        return Path(path) if path else None

    def _open_pdf(self) -> None:
        path = self.report_path()
        if path is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def _short(path: Path) -> str:
    """The last two parts of a path (``HSP-0201/dicom``), enough to recognise it."""
    return "/".join(path.parts[-2:])

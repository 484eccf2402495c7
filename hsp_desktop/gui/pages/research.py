"""Research: develop a locked model on a cohort folder (the same code as ``hsp develop``) and see its figures."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from hsp_desktop.domain import Progress
from hsp_desktop.errors import HspError
from hsp_desktop.gui.context import AppContext
from hsp_desktop.gui.workers import Worker, callback_job


def development_run(
    cohort: Path, out: Path, *, n_boot: int, n_repeats: int, seed: int, deep: Path | None = None
) -> Callable[[Callable[[Progress], None], Callable[[], bool]], Any]:
    """The job: the same :func:`~hsp_desktop.development.run.develop_bundle` as ``hsp develop``."""
    from hsp_desktop.development.run import DevelopmentRun

    run = DevelopmentRun(
        cohort=cohort, out=out, seed=seed, n_boot=n_boot, n_repeats=n_repeats, deep=deep
    )  # validated now

    def job(report: Callable[[Progress], None], cancelled: Callable[[], bool]) -> Any:
        from hsp_desktop.development.cli import summary_text
        from hsp_desktop.development.run import develop_bundle

        folder, result = develop_bundle(
            run,
            extraction_progress=lambda d, t, sid: report(Progress("radiomics features", d / max(t, 1), sid)),
            stage_progress=lambda name, d, t: report(Progress(name, d / max(t, 1), f"{d}/{t}")),
            cancelled=cancelled,
        )
        return folder, summary_text(result)

    return job


class ResearchPage(QWidget):
    """Model development for the study team (administrators and clinicians)."""

    def __init__(self, ctx: AppContext, window: Any) -> None:
        super().__init__()
        self.ctx = ctx
        self.window_ = window
        self.worker: Worker | None = None
        self.cohort = QLineEdit()
        self.cohort.setObjectName("cohortFolder")
        self.cohort.setPlaceholderText(self.tr("folder with clinical.csv, followup.csv and images/"))
        browse = QPushButton(self.tr("Browse..."))
        browse.clicked.connect(self._browse)
        self.out = QLineEdit()
        self.out.setObjectName("bundleFolder")
        self.out.setPlaceholderText(str(ctx.data_dir / "models" / "my-model-1"))
        self.deep = QLineEdit()
        self.deep.setObjectName("cnnArtefact")
        self.deep.setPlaceholderText(self.tr("empty: no DL-score; e.g. models/artifacts/cnn-demo-1"))
        browse_deep = QPushButton(self.tr("Browse..."))
        browse_deep.clicked.connect(self._browse_deep)
        self.n_boot = QSpinBox()
        self.n_boot.setRange(10, 2000)
        self.n_boot.setValue(200)
        self.n_repeats = QSpinBox()
        self.n_repeats.setRange(1, 20)
        self.n_repeats.setValue(5)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setValue(20260101)
        form_box = QGroupBox(self.tr("Develop a model"))
        form = QFormLayout(form_box)
        row = QHBoxLayout()
        row.addWidget(self.cohort, 1)
        row.addWidget(browse)
        form.addRow(self.tr("Cohort folder"), row)
        form.addRow(self.tr("Output bundle folder"), self.out)
        deep_row = QHBoxLayout()
        deep_row.addWidget(self.deep, 1)
        deep_row.addWidget(browse_deep)
        form.addRow(self.tr("CNN artefact (DL-score)"), deep_row)
        form.addRow(self.tr("Bootstrap resamples (optimism)"), self.n_boot)
        form.addRow(self.tr("Repeats of 5-fold nested CV"), self.n_repeats)
        form.addRow(self.tr("Random seed"), self.seed)
        self.run_button = QPushButton(self.tr("&Run development"))
        self.run_button.setObjectName("runDevelopment")
        self.run_button.clicked.connect(self.start)
        self.run_button.setEnabled(ctx.role in ("admin", "clinician"))
        self.cancel_button = QPushButton(self.tr("&Cancel"))
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(lambda: self.worker.cancel() if self.worker else None)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.stage = QLabel("")
        controls = QHBoxLayout()
        controls.addWidget(self.run_button)
        controls.addWidget(self.cancel_button)
        controls.addWidget(self.progress, 1)
        self.summary = QPlainTextEdit()
        self.summary.setObjectName("developmentSummary")
        self.summary.setReadOnly(True)
        self.figures = QWidget()
        self.figures_layout = QHBoxLayout(self.figures)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.figures)
        scroll.setMinimumHeight(300)
        layout = QVBoxLayout(self)
        layout.addWidget(form_box)
        layout.addLayout(controls)
        layout.addWidget(self.stage)
        layout.addWidget(self.summary, 1)
        layout.addWidget(scroll, 2)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Cohort folder"))
        if folder:
            self.cohort.setText(folder)

    def _browse_deep(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("CNN artefact (DL-score)"))
        if folder:
            self.deep.setText(folder)

    def start(self) -> None:
        """Run development in a worker thread."""
        cohort = Path(self.cohort.text().strip())
        out = Path(self.out.text().strip() or self.out.placeholderText())
        try:
            job = development_run(
                cohort,
                out,
                n_boot=self.n_boot.value(),
                n_repeats=self.n_repeats.value(),
                seed=self.seed.value(),
                deep=Path(self.deep.text().strip()) if self.deep.text().strip() else None,
            )
        except HspError as exc:  # bad folder or sizes: said before any work starts
            self.window_.show_error(exc)
            return
        self.worker = Worker(callback_job(job), self)
        self.worker.progress.connect(self._on_progress)
        self.worker.finished.connect(self._on_finished)
        self.worker.failed.connect(self._on_failed)
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.summary.setPlainText(self.tr("Running..."))
        self.worker.start()

    def _on_progress(self, p: Progress) -> None:
        self.progress.setValue(int(1000 * p.fraction))
        self.stage.setText(f"{p.stage}: {p.message}")

    def _on_failed(self, exc: BaseException) -> None:
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.summary.setPlainText(self.tr("Stopped: {0}").format(exc))
        self.window_.show_error(exc)

    def _on_finished(self, result: Any) -> None:
        folder, text = result
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.progress.setValue(1000)
        self.summary.setPlainText(f"{text}\n\n" + self.tr("Locked bundle written to {0}").format(folder))
        self.show_figures(Path(folder))

    def show_figures(self, folder: Path) -> None:
        """Show the bundle's ROC, calibration and decision-curve figures."""
        while self.figures_layout.count():
            item = self.figures_layout.takeAt(0)
            if item is not None and item.widget() is not None:
                item.widget().deleteLater()
        for png in sorted(folder.rglob("*.png")):
            label = QLabel()
            pixmap = QPixmap(str(png))
            label.setPixmap(pixmap.scaledToHeight(280))
            label.setToolTip(png.name)
            self.figures_layout.addWidget(label)

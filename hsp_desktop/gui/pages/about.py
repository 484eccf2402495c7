"""About: versions, build, intended use, third-party components (SOUP), and the self-test."""

from __future__ import annotations

import platform
from importlib import metadata
from typing import Any

from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hsp_desktop.gui.context import AppContext
from hsp_desktop.gui.workers import Worker

#: The runtime dependencies of pyproject.toml, both ONNX Runtime flavours (one is installed) and flwr
#: (tests/packaging/test_dependencies.py keeps this list equal to pyproject.toml's).
SOUP = (
    "numpy",
    "scipy",
    "pandas",
    "SimpleITK",
    "PyWavelets",
    "numba",
    "scikit-learn",
    "joblib",
    "threadpoolctl",
    "onnxruntime",
    "onnxruntime-gpu",
    "sqlite-utils",
    "argon2-cffi",
    "cryptography",
    "reportlab",
    "matplotlib",
    "PySide6-Essentials",
    "pydicom",
    "highdicom",
    "pylibjpeg",
    "pylibjpeg-openjpeg",
    "pyjpegls",
    "pynetdicom",
    "pillow",
    "pypdfium2",
    "fhir.resources",
    "PyYAML",
    "tqdm",
    "flwr",
)


def soup_versions() -> list[tuple[str, str]]:
    """Installed versions of the third-party components (IEC 62304 SOUP list)."""
    rows = []
    for name in SOUP:
        try:
            rows.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            rows.append((name, "not installed"))
    return rows


class AboutPage(QWidget):
    """Product identity and the on-demand self-test."""

    def __init__(self, ctx: AppContext, window: Any) -> None:
        super().__init__()
        from hsp_desktop import INTENDED_USE, __version__

        self.ctx = ctx
        self.window_ = window
        self.worker: Worker | None = None
        import sqlite3

        title = QLabel(f"<h2>HSP Desktop {__version__}</h2>")
        build = QLabel(
            self.tr("Build {0}. Python {1}, SQLite {2}, {3}.").format(
                _build_id(), platform.python_version(), sqlite3.sqlite_version, platform.platform()
            )
        )
        build.setWordWrap(True)
        use = QLabel(self.tr("Intended use: ") + INTENDED_USE)
        use.setObjectName("intendedUse")
        use.setWordWrap(True)
        self.soup = soup = QTableWidget(0, 2)
        soup.setObjectName("soup")
        soup.setHorizontalHeaderLabels([self.tr("Component"), self.tr("Version")])
        soup.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        soup.verticalHeader().setVisible(False)
        self.selftest_button = QPushButton(self.tr("Run &self-test"))
        self.selftest_button.setObjectName("runSelftest")
        self.selftest_button.clicked.connect(self.run_selftest)
        self.selftest_output = QPlainTextEdit()
        self.selftest_output.setObjectName("selftestOutput")
        self.selftest_output.setReadOnly(True)
        self.selftest_output.setMaximumHeight(180)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(build)
        layout.addWidget(use)
        layout.addWidget(QLabel(self.tr("Third-party components")))
        layout.addWidget(soup, 1)
        layout.addWidget(self.selftest_button)
        layout.addWidget(self.selftest_output)

    def refresh(self) -> None:
        """List the installed third-party versions (read when the screen is first shown: ~0.2 s of metadata)."""
        if self.soup.rowCount():
            return
        rows = soup_versions()
        self.soup.setRowCount(len(rows))
        for r, (name, version) in enumerate(rows):
            self.soup.setItem(r, 0, QTableWidgetItem(name))
            self.soup.setItem(r, 1, QTableWidgetItem(version))

    def run_selftest(self, job: Any = None) -> None:
        """Run ``hsp selftest`` (or the given self-test job) in a worker thread and show its checks."""
        from hsp_desktop.selftest import selftest_job

        self.selftest_button.setEnabled(False)
        self.selftest_output.setPlainText(self.tr("Running self-test..."))
        self.worker = Worker(job or selftest_job(), self)
        self.worker.progress.connect(
            lambda p: self.selftest_output.appendPlainText(f"{p.stage}: {p.message}")
        )
        self.worker.finished.connect(self._done)
        self.worker.failed.connect(self._failed)
        self.worker.start()

    def _done(self, report: Any) -> None:
        from hsp_desktop.selftest import record_selftest

        self.selftest_button.setEnabled(True)
        for check in getattr(report, "checks", []):
            self.selftest_output.appendPlainText(
                f"{'PASS' if check.passed else 'FAIL'}  {check.name}: {check.detail}"
            )
        self.selftest_output.appendPlainText(
            self.tr("ONNX Runtime provider: {0}").format(getattr(report, "provider", ""))
        )
        record_selftest(report)
        self.selftest_output.appendPlainText(
            self.tr("Self-test PASSED") if getattr(report, "passed", False) else self.tr("Self-test FAILED")
        )

    def _failed(self, exc: BaseException) -> None:
        self.selftest_button.setEnabled(True)
        self.selftest_output.appendPlainText(self.tr("Self-test could not run: {0}").format(exc))


def _build_id() -> str:
    from hsp_desktop import build_id

    return build_id()

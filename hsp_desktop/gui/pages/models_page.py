"""Models: installed bundles with manifest details and hash check; choose the active model; install a bundle."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
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


class ModelsPage(QWidget):
    """Lists locked model bundles; every action goes through the same strict loader the scoring uses."""

    def __init__(self, ctx: AppContext, window: Any) -> None:
        super().__init__()
        self.ctx = ctx
        self.window_ = window
        self.table = QTableWidget(0, 5)
        self.table.setObjectName("modelTable")
        self.table.setHorizontalHeaderLabels(
            [
                self.tr("Model"),
                self.tr("Version"),
                self.tr("Development AUC (nested CV)"),
                self.tr("Active"),
                self.tr("Folder"),
            ]
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        self.table.itemSelectionChanged.connect(self._show_manifest)
        self.verify_button = QPushButton(self.tr("&Verify hashes"))
        self.verify_button.setObjectName("verifyModel")
        self.verify_button.clicked.connect(self.verify_selected)
        self.activate_button = QPushButton(self.tr("Make &active"))
        self.activate_button.setObjectName("activateModel")
        self.activate_button.clicked.connect(self.activate_selected)
        self.install_button = QPushButton(self.tr("&Install bundle..."))
        self.install_button.clicked.connect(self._choose_install)
        admin = ctx.role == "admin"
        self.activate_button.setEnabled(admin)
        self.install_button.setEnabled(admin)
        buttons = QHBoxLayout()
        for b in (self.verify_button, self.activate_button, self.install_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        self.verdict = QLabel("")
        self.verdict.setObjectName("modelVerdict")
        self.verdict.setWordWrap(True)
        self.manifest = QPlainTextEdit()
        self.manifest.setObjectName("manifestView")
        self.manifest.setReadOnly(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.verdict)
        layout.addWidget(QLabel(self.tr("Manifest")))
        layout.addWidget(self.manifest, 2)
        self._folders: list[Path] = []

    def refresh(self) -> None:
        """List the shipped and installed bundles."""
        from hsp_desktop.modelstore import active_model_dir, list_model_dirs

        self._folders = list_model_dirs(self.ctx.data_dir)
        active = active_model_dir(self.ctx.registry, self.ctx.data_dir)
        self.table.setRowCount(len(self._folders))
        for r, folder in enumerate(self._folders):
            manifest = _read_manifest(folder)
            # nested-CV out-of-fold AUC: the honest development figure (Harrell's bootstrap is optimistic here)
            auc = manifest.get("metrics", {}).get("auc")
            values = (
                manifest.get("name", folder.name),
                manifest.get("version", ""),
                f"{auc:.3f}" if isinstance(auc, float) else "",
                self.tr("yes") if active is not None and folder.resolve() == active.resolve() else "",
                str(folder),
            )
            for c, v in enumerate(values):
                self.table.setItem(r, c, QTableWidgetItem(str(v)))

    def selected(self) -> Path | None:
        """The folder of the selected bundle."""
        rows = {i.row() for i in self.table.selectedItems()}
        return self._folders[rows.pop()] if rows else None

    def _show_manifest(self) -> None:
        folder = self.selected()
        self.verdict.setText("")
        self.manifest.setPlainText("" if folder is None else json.dumps(_read_manifest(folder), indent=2))

    def verify_selected(self) -> bool:
        """Load the selected bundle with the strict loader (hashes, versions, feature list)."""
        from hsp_desktop.errors import HspError
        from models.bundle import load_bundle

        folder = self.selected()
        if folder is None:
            return False
        try:
            model = load_bundle(folder)
        except HspError as exc:
            self.verdict.setText(self.tr("REFUSED: {0}").format(exc))
            self.verdict.setStyleSheet("color: #b00020; font-weight: bold;")
            return False
        self.verdict.setText(
            self.tr("Verified: every file matches its SHA-256 in the manifest ({0}).").format(
                model.sha256[:16]
            )
        )
        self.verdict.setStyleSheet("color: #1b7f3b; font-weight: bold;")
        return True

    def activate_selected(self) -> None:
        """Make the selected (verified) bundle the one scoring uses."""
        from hsp_desktop.modelstore import set_active_model

        folder = self.selected()
        if folder is None or not self.verify_selected():
            return
        try:
            set_active_model(self.ctx.registry, folder, by=self.ctx.user)
        except Exception as exc:  # noqa: BLE001 - shown by show_error (an unexpected fault with its traceback)
            self.window_.show_error(exc)
            return
        self.refresh()
        self.ctx.events.model_changed.emit()

    def _choose_install(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Model bundle folder (with manifest.json)"))
        if folder:
            self.install(Path(folder))

    def install(self, folder: Path) -> None:
        """Verify a bundle and copy it into the workstation's model folder; an altered bundle is refused."""
        from hsp_desktop.modelstore import install_bundle

        try:
            target = install_bundle(folder, self.ctx.data_dir)
        except Exception as exc:  # noqa: BLE001 - fails closed: any fault refuses the bundle, shown
            self.verdict.setText(self.tr("REFUSED: {0}").format(exc))
            self.verdict.setStyleSheet("color: #b00020; font-weight: bold;")
            return
        self.refresh()
        self.verdict.setText(self.tr("Installed and verified: {0}").format(target))
        self.verdict.setStyleSheet("color: #1b7f3b; font-weight: bold;")


def _read_manifest(folder: Path) -> dict[str, Any]:
    try:
        data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}

"""Settings: site, languages, the outcome definition's thresholds, backups (administrators change them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from hsp_desktop.errors import HspError
from hsp_desktop.gui.context import AppContext
from hsp_desktop.gui.workers import Worker, single_step


class SettingsPage(QWidget):
    """Edits registry settings (audited) and this workstation's interface language."""

    def __init__(self, ctx: AppContext, window: Any) -> None:
        super().__init__()
        self.ctx = ctx
        self.window_ = window
        self.worker: Worker | None = None
        admin = ctx.role == "admin"

        self.site = QLineEdit()
        self.site.setObjectName("siteName")
        self.report_language = QComboBox()
        self.report_language.setObjectName("reportLanguage")
        self.report_language.addItem("English", "en")
        self.report_language.addItem("简体中文", "zh")
        self.ui_language = QComboBox()
        self.ui_language.setObjectName("uiLanguage")
        self.ui_language.addItem("English", "en")
        self.ui_language.addItem("简体中文", "zh_CN")
        general = QGroupBox(self.tr("Site and language"))
        gf = QFormLayout(general)
        gf.addRow(self.tr("Site name (on reports)"), self.site)
        gf.addRow(self.tr("Report language"), self.report_language)
        gf.addRow(self.tr("Interface language (this workstation)"), self.ui_language)
        self.ui_language.activated.connect(self._language_chosen)

        self.backup_folder = QLineEdit()
        self.backup_folder.setObjectName("backupFolder")
        browse = QPushButton(self.tr("Browse..."))
        browse.clicked.connect(self._browse_backup)
        self.keep = QSpinBox()
        self.keep.setRange(1, 365)
        self.backup_button = QPushButton(self.tr("&Back up now"))
        self.backup_button.setObjectName("backupNow")
        self.backup_button.clicked.connect(self.backup_now)
        self.restore_button = QPushButton(self.tr("&Restore from backup..."))
        self.restore_button.clicked.connect(self._choose_restore)
        self.backup_status = QLabel()
        self.backup_status.setObjectName("backupStatus")
        self.backup_status.setWordWrap(True)
        backup = QGroupBox(self.tr("Backups"))
        bf = QFormLayout(backup)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.backup_folder, 1)
        folder_row.addWidget(browse)
        bf.addRow(self.tr("Backup folder"), folder_row)
        bf.addRow(self.tr("Backups kept"), self.keep)
        actions = QHBoxLayout()
        actions.addWidget(self.backup_button)
        actions.addWidget(self.restore_button)
        actions.addStretch(1)
        bf.addRow(actions)
        bf.addRow(self.backup_status)

        self.save_button = QPushButton(self.tr("&Save settings"))
        self.save_button.setObjectName("saveSettings")
        self.save_button.clicked.connect(self.save)
        self.save_button.setEnabled(admin)
        self.restore_button.setEnabled(admin)
        self.note = QLabel(
            ""
            if admin
            else self.tr("Only administrators can change registry settings; the interface language is yours.")
        )
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        left = QVBoxLayout()
        left.addWidget(general)
        left.addWidget(backup)
        left.addStretch(1)
        top.addLayout(left, 1)
        outcome_note = QLabel(self.tr("The outcome definition has its own screen (Outcome definition)."))
        outcome_note.setWordWrap(True)
        left.insertWidget(2, outcome_note)
        layout.addLayout(top)
        layout.addWidget(self.note)
        layout.addWidget(self.save_button)
        layout.addStretch(1)

    def refresh(self) -> None:
        """Show the current settings."""
        reg = self.ctx.registry
        self.site.setText(str(reg.get_setting("site_name") or ""))
        self.report_language.setCurrentIndex(
            max(0, self.report_language.findData(reg.get_setting("language")))
        )
        ui = QSettings("HSP", "HSP Desktop").value("ui/language") or "en"
        self.ui_language.setCurrentIndex(max(0, self.ui_language.findData(ui)))
        self.backup_folder.setText(
            str(QSettings("HSP", "HSP Desktop").value("backup/folder") or self.ctx.data_dir / "backups")
        )
        self.keep.setValue(int(reg.get_setting("backup_keep")))

    def save(self) -> None:
        """Store the site's settings (audited); the interface language applies at once when chosen."""
        reg, user = self.ctx.registry, self.ctx.user
        QSettings("HSP", "HSP Desktop").setValue("backup/folder", self.backup_folder.text().strip())
        try:
            wanted = {
                "site_name": self.site.text().strip(),
                "language": self.report_language.currentData(),
                "backup_keep": self.keep.value(),
            }
            for key, value in wanted.items():
                if reg.get_setting(key) != value:
                    reg.set_setting(key, value, by=user)
        except HspError as exc:
            self.window_.show_error(exc)
            return
        self.refresh()
        QMessageBox.information(self, self.tr("Settings saved"), self.tr("Settings saved."))

    def _language_chosen(self, _index: int) -> None:
        """Switch the interface language now (the window is rebuilt in the new language)."""
        code = str(self.ui_language.currentData())
        switch = getattr(self.window_, "set_language", None)
        if callable(switch):
            switch(code)

    def _browse_backup(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Backup folder"))
        if folder:
            self.backup_folder.setText(folder)

    def backup_now(self) -> None:
        """Write a checked backup in a worker thread."""
        folder = Path(self.backup_folder.text().strip() or self.ctx.data_dir / "backups")
        registry = self.ctx.registry
        self.backup_button.setEnabled(False)
        self.backup_status.setText(self.tr("Backing up..."))
        self.worker = Worker(
            single_step(lambda: registry.backup(folder, keep=self.keep.value()), "backup"), self
        )
        self.worker.finished.connect(self._backup_done)
        self.worker.failed.connect(self._backup_failed)
        self.worker.start()

    def _backup_done(self, path: Any) -> None:
        self.backup_button.setEnabled(True)
        self.backup_status.setText(self.tr("Backup written and checked: {0}").format(path))

    def _backup_failed(self, exc: BaseException) -> None:
        self.backup_button.setEnabled(True)
        self.backup_status.setText(self.tr("Backup failed."))
        self.window_.show_error(exc)

    def _choose_restore(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Backup to restore"), self.backup_folder.text())
        if not path:
            return
        answer = QMessageBox.warning(
            self,
            self.tr("Restore backup"),
            self.tr(
                "Replace the registry with this backup? The application closes afterwards; data entered after the "
                "backup are lost unless they are in a newer backup."
            ),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.restore(Path(path))

    def restore(self, backup: Path) -> None:
        """Check the backup and replace the registry with it, then close the window."""
        registry = self.ctx.registry
        target = Path(registry.path)
        registry.close()
        try:
            type(registry).restore(backup, target, by=self.ctx.user)  # an administrator's act, checked there
        except HspError as exc:
            self.ctx.registry = type(registry).open(target)  # the old registry is untouched: keep working
            self.window_.show_error(exc)
            return
        self.ctx.registry = type(registry).open(target)
        self.window_.close()

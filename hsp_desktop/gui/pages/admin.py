"""Administration: user accounts, CSV import/export (REDCap layout) — the same registry calls as ``hsp registry``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hsp_desktop.errors import HspError
from hsp_desktop.gui.context import AppContext
from hsp_desktop.gui.folders import remember_folder, remembered_folder
from hsp_desktop.gui.noop import QT_TRANSLATE_NOOP

ROLES = (
    ("clinician", QT_TRANSLATE_NOOP("AdminPage", "clinician")),
    ("coordinator", QT_TRANSLATE_NOOP("AdminPage", "study coordinator")),
    ("readonly", QT_TRANSLATE_NOOP("AdminPage", "read-only")),
    ("admin", QT_TRANSLATE_NOOP("AdminPage", "administrator")),
)
USER_HEADERS = (
    QT_TRANSLATE_NOOP("AdminPage", "User"),
    QT_TRANSLATE_NOOP("AdminPage", "Role"),
    QT_TRANSLATE_NOOP("AdminPage", "Active"),
    QT_TRANSLATE_NOOP("AdminPage", "Locked until"),
    QT_TRANSLATE_NOOP("AdminPage", "Last sign-in"),
)


class AdminPage(QWidget):
    """Users and data exchange for administrators (other roles do not see this screen)."""

    def __init__(self, ctx: AppContext, window: Any) -> None:
        super().__init__()
        self.ctx = ctx
        self.window_ = window
        self.users = QTableWidget(0, len(USER_HEADERS))
        self.users.setObjectName("users")
        self.users.setHorizontalHeaderLabels([self.tr(h) for h in USER_HEADERS])
        self.users.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.users.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.users.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.users.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.users.verticalHeader().setVisible(False)
        self.new_name = QLineEdit()
        self.new_name.setObjectName("newUserName")
        self.new_role = QComboBox()
        self.new_role.setObjectName("newUserRole")
        for value, label in ROLES:
            self.new_role.addItem(self.tr(label), value)
        self.new_password = QLineEdit()
        self.new_password.setObjectName("newUserPassword")
        self.new_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.add_button = QPushButton(self.tr("&Add user"))
        self.add_button.setObjectName("addUser")
        self.add_button.clicked.connect(self.add_user)
        self.unlock_button = QPushButton(self.tr("Unlock"))
        self.unlock_button.clicked.connect(self.unlock_selected)
        self.deactivate_button = QPushButton(self.tr("Deactivate..."))
        self.deactivate_button.clicked.connect(self.deactivate_selected)
        users_box = QGroupBox(self.tr("User accounts"))
        ul = QVBoxLayout(users_box)
        ul.addWidget(self.users, 1)
        row = QHBoxLayout()
        row.addWidget(self.unlock_button)
        row.addWidget(self.deactivate_button)
        row.addStretch(1)
        ul.addLayout(row)
        add = QFormLayout()
        add.addRow(self.tr("User name"), self.new_name)
        add.addRow(self.tr("Role"), self.new_role)
        add.addRow(self.tr("Initial password"), self.new_password)
        add.addRow("", self.add_button)
        ul.addLayout(add)

        self.confirm_units = QCheckBox(self.tr("Convert suspected unit traps (each is listed in the report)"))
        self.import_button = QPushButton(self.tr("&Import clinical.csv..."))
        self.import_button.setObjectName("importCsv")
        self.import_button.clicked.connect(self._choose_import)
        self.followup_button = QPushButton(self.tr("Import &followup.csv..."))
        self.followup_button.clicked.connect(self._choose_followup)
        self.identified = QCheckBox(self.tr("Include names, MRNs and dates (identified export)"))
        self.export_button = QPushButton(self.tr("&Export (REDCap layout)..."))
        self.export_button.setObjectName("exportCsv")
        self.export_button.clicked.connect(self._choose_export)
        self.report = QPlainTextEdit()
        self.report.setObjectName("importReport")
        self.report.setReadOnly(True)
        data_box = QGroupBox(self.tr("Import and export"))
        dl = QVBoxLayout(data_box)
        dl.addWidget(QLabel(self.tr("Imports are all-or-nothing: one bad row and nothing is imported.")))
        dl.addWidget(self.confirm_units)
        buttons = QHBoxLayout()
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.followup_button)
        buttons.addStretch(1)
        dl.addLayout(buttons)
        dl.addWidget(self.identified)
        dl.addWidget(self.export_button, 0, Qt.AlignmentFlag.AlignLeft)
        dl.addWidget(self.report, 1)

        layout = QHBoxLayout(self)
        layout.addWidget(users_box, 1)
        layout.addWidget(data_box, 1)

    def refresh(self) -> None:
        """Reload the user list."""
        users = self.ctx.registry.users()
        self.users.setRowCount(len(users))
        roles = dict(ROLES)
        for r, u in enumerate(users):
            cells = (
                u["username"],
                self.tr(roles.get(u["role"], u["role"])),
                self.tr("yes") if u["active"] else self.tr("no"),
                u.get("locked_until") or "",
                u.get("last_login") or "",
            )
            for c, text in enumerate(cells):
                item = QTableWidgetItem(str(text))
                item.setData(Qt.ItemDataRole.UserRole, u["username"])
                self.users.setItem(r, c, item)

    def _selected(self) -> str | None:
        items = self.users.selectedItems()
        return None if not items else str(items[0].data(Qt.ItemDataRole.UserRole))

    def add_user(self) -> None:
        """Create an account with the chosen role (the registry checks the password policy)."""
        try:
            self.ctx.registry.add_user(
                self.new_name.text().strip(),
                self.new_password.text(),
                str(self.new_role.currentData()),
                by=self.ctx.user,
            )
        except HspError as exc:
            self.window_.show_error(exc)
            return
        self.new_name.clear()
        self.new_password.clear()
        self.refresh()

    def unlock_selected(self) -> None:
        """Unlock an account locked after failed sign-ins."""
        name = self._selected()
        if name is None:
            return
        try:
            self.ctx.registry.unlock_user(name, by=self.ctx.user)
        except HspError as exc:
            self.window_.show_error(exc)
        self.refresh()

    def deactivate_selected(self) -> None:
        """Deactivate an account (kept for the audit trail), with a reason."""
        name = self._selected()
        if name is None:
            return
        reason, ok = QInputDialog.getText(
            self, self.tr("Deactivate account"), self.tr("Why is {0}'s account deactivated?").format(name)
        )
        if not ok or not reason.strip():
            return
        try:
            self.ctx.registry.set_user_active(name, False, by=self.ctx.user, reason=reason.strip())
        except HspError as exc:
            self.window_.show_error(exc)
        self.refresh()

    # -- data exchange -------------------------------------------------------------------------------------------
    def _choose_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("clinical.csv to import"), remembered_folder("import", Path.home()), "CSV (*.csv)"
        )
        if path:
            remember_folder("import", path)
            self.import_csv(Path(path))

    def _choose_followup(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("followup.csv to import"), remembered_folder("import", Path.home()), "CSV (*.csv)"
        )
        if path:
            remember_folder("import", path)
            self.import_csv(Path(path), followup=True)

    def import_csv(self, path: Path, *, followup: bool = False) -> bool:
        """Import a CSV all-or-nothing and show the report; True when imported."""
        registry = self.ctx.registry
        do = registry.import_followup_csv if followup else registry.import_csv
        try:
            report = do(path, by=self.ctx.user, confirm_units=self.confirm_units.isChecked())
        except HspError as exc:
            self.window_.show_error(exc)
            return False
        self.report.setPlainText(report.summary())
        if report.ok:
            self.ctx.events.recipients_changed.emit()
        return bool(report.ok)

    def _choose_export(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, self.tr("Export folder"), remembered_folder("export", self.ctx.data_dir)
        )
        if folder:
            remember_folder("export", folder)
            self.export(Path(folder))

    def export(self, folder: Path) -> list[Path]:
        """Export data and data dictionary (de-identified unless asked otherwise)."""
        try:
            paths = self.ctx.registry.export(
                folder, deidentified=not self.identified.isChecked(), by=self.ctx.user
            )
        except HspError as exc:
            self.window_.show_error(exc)
            return []
        self.report.setPlainText(self.tr("Written:") + "\n" + "\n".join(str(p) for p in paths))
        return list(paths)

"""Sign-in (and idle-lock) dialog; the first start offers to create the administrator account."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from hsp_desktop.errors import HspError


class SignInDialog(QDialog):
    """Ask for user name and password and authenticate against the registry.

    With ``locked_user`` set it is the idle lock: only that user can unlock.  On an empty registry it creates
    the first administrator instead (password typed twice).
    """

    def __init__(
        self,
        registry: Any,
        *,
        locked_user: str | None = None,
        first_admin: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.registry = registry
        self.user: Any = None
        self.first_admin = first_admin
        self.locked_user = locked_user
        self.language = QComboBox()
        self.language.setObjectName("signinLanguage")
        from hsp_desktop.gui.app import LANGUAGES, ui_language

        for code, name in LANGUAGES.items():
            self.language.addItem(name, code)
        self.language.setCurrentIndex(max(0, self.language.findData(ui_language())))
        self.language.currentIndexChanged.connect(self._language_chosen)

        self.username = QLineEdit(locked_user or "")
        self.username.setObjectName("username")
        self.username.setReadOnly(bool(locked_user))
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat = QLineEdit()
        self.repeat.setObjectName("repeat")
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = QLabel("")
        self.error.setObjectName("error")
        self.error.setStyleSheet("color: #b00020;")
        self.error.setWordWrap(True)
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.form = QFormLayout()
        self.form.addRow("", self.language)
        self.form.addRow("", self.username)
        self.form.addRow("", self.password)
        if first_admin:
            self.form.addRow("", self.repeat)
        else:
            self.repeat.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.try_accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self._retranslate()
        (self.password if locked_user else self.username).setFocus()
        self.setMinimumWidth(420)

    def _retranslate(self) -> None:
        if self.first_admin:
            self.setWindowTitle(self.tr("HSP Desktop - create the administrator account"))
        elif self.locked_user:
            self.setWindowTitle(self.tr("HSP Desktop - locked"))
        else:
            self.setWindowTitle(self.tr("HSP Desktop - sign in"))
        self.intro.setText(
            self.tr("The screen was locked after inactivity. Enter your password to continue.")
            if self.locked_user
            else self.tr("No account exists yet. Create the administrator account for this workstation.")
            if self.first_admin
            else self.tr("Sign in with your registry account.")
        )
        labels = [self.tr("Language"), self.tr("User name"), self.tr("Password")]
        if self.first_admin:
            labels.append(self.tr("Repeat password"))
        for row, text in enumerate(labels):
            item = self.form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            label = item.widget() if item is not None else None
            if isinstance(label, QLabel):
                label.setText(text)

    def _language_chosen(self, _index: int) -> None:
        """Switch the interface language now (and remember it for this workstation)."""
        from hsp_desktop.gui.app import install_language, save_language

        app = QApplication.instance()
        code = str(self.language.currentData())
        if isinstance(app, QApplication) and install_language(app, code):
            save_language(code)

    def changeEvent(self, event: QEvent) -> None:
        """Re-translate when the language changes."""
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

    def try_accept(self) -> None:
        """Authenticate (or create the first admin); stay open with the reason on failure."""
        name = self.username.text().strip()
        password = self.password.text()
        if not name or not password:
            self.error.setText(self.tr("Enter user name and password."))
            return
        try:
            if self.first_admin:
                if password != self.repeat.text():
                    self.error.setText(self.tr("The two passwords differ."))
                    return
                self.registry.add_user(name, password, "admin", by=None)
            self.user = self.registry.authenticate(name, password)
        except HspError as exc:
            self.error.setText(str(exc))
            self.password.clear()
            return
        self.accept()

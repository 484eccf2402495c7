"""Sign-in (and idle-lock) dialog; the first start offers to create the administrator account."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
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
        if first_admin:
            self.setWindowTitle(self.tr("HSP Desktop - create the administrator account"))
        elif locked_user:
            self.setWindowTitle(self.tr("HSP Desktop - locked"))
        else:
            self.setWindowTitle(self.tr("HSP Desktop - sign in"))

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

        intro = QLabel(
            self.tr("The screen was locked after inactivity. Enter your password to continue.")
            if locked_user
            else self.tr("No account exists yet. Create the administrator account for this workstation.")
            if first_admin
            else self.tr("Sign in with your registry account.")
        )
        intro.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.tr("User name"), self.username)
        form.addRow(self.tr("Password"), self.password)
        if first_admin:
            form.addRow(self.tr("Repeat password"), self.repeat)
        else:
            self.repeat.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.try_accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        (self.password if locked_user else self.username).setFocus()
        self.setMinimumWidth(420)

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

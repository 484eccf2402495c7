"""Audit log viewer and the registry's integrity check."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
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

AUDIT_COLUMNS = (
    QT_TRANSLATE_NOOP("AuditPage", "No."),
    QT_TRANSLATE_NOOP("AuditPage", "Time"),
    QT_TRANSLATE_NOOP("AuditPage", "User"),
    QT_TRANSLATE_NOOP("AuditPage", "Action"),
    QT_TRANSLATE_NOOP("AuditPage", "Table"),
    QT_TRANSLATE_NOOP("AuditPage", "Row"),
    QT_TRANSLATE_NOOP("AuditPage", "Reason"),
    QT_TRANSLATE_NOOP("AuditPage", "Change"),
)


def _change(entry: dict[str, Any]) -> str:
    old, new = entry.get("old"), entry.get("new")
    if isinstance(old, str):
        old = json.loads(old) if old.startswith("{") else old
    if isinstance(new, str):
        new = json.loads(new) if new.startswith("{") else new
    if isinstance(old, dict) and isinstance(new, dict):
        diff = [
            f"{k}: {old.get(k)!r} -> {new.get(k)!r}"
            for k in sorted(set(old) | set(new))
            if old.get(k) != new.get(k)
        ]
        return "; ".join(diff)
    return str(new if new is not None else old)


class AuditPage(QWidget):
    """Who changed what, when and why; and the hash-chain verification."""

    def __init__(self, ctx: AppContext, window: Any) -> None:
        super().__init__()
        self.ctx = ctx
        self.window_ = window
        self.table_filter = QComboBox()
        self.table_filter.addItem(self.tr("All tables"), None)
        for name in (
            "recipients",
            "enrolment",
            "preop",
            "imaging_studies",
            "feature_vectors",
            "predictions",
            "followups",
            "outcomes",
            "users",
            "settings",
            "export_log",
            "federation_messages",
        ):
            self.table_filter.addItem(name, name)
        self.table_filter.currentIndexChanged.connect(self.refresh)
        self.verify_button = QPushButton(self.tr("&Verify audit chain"))
        self.verify_button.setObjectName("verifyAudit")
        self.verify_button.clicked.connect(self.verify)
        self.result = QLabel("")
        self.result.setObjectName("verifyResult")
        self.result.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Table")))
        top.addWidget(self.table_filter)
        top.addStretch(1)
        top.addWidget(self.verify_button)
        self.log = QTableWidget(0, len(AUDIT_COLUMNS))
        self.log.setObjectName("auditLog")
        self.log.setHorizontalHeaderLabels([self.tr(c) for c in AUDIT_COLUMNS])
        self.log.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.log.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.log.horizontalHeader().setStretchLastSection(True)
        self.log.verticalHeader().setVisible(False)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.result)
        layout.addWidget(self.log, 1)

    def refresh(self) -> None:
        """Reload the newest audit entries."""
        entries = self.ctx.registry.audit_log(limit=500, table=self.table_filter.currentData())
        self.log.setRowCount(len(entries))
        for r, e in enumerate(entries):
            values = (
                e.get("id"),
                e.get("time", e.get("ts")),
                e.get("user", e.get("username")),
                e.get("action", e.get("op")),
                e.get("table", e.get("table_name")),
                e.get("row_key", e.get("row_id")),
                e.get("reason"),
                _change(e),
            )
            for c, v in enumerate(values):
                self.log.setItem(r, c, QTableWidgetItem("" if v is None else str(v)))

    def verify(self) -> None:
        """Run the registry's verification and show the verdict."""
        try:
            report = self.ctx.registry.verify()
        except Exception as exc:  # noqa: BLE001 - fails closed: any fault is a failed verification, shown
            self.result.setText(self.tr("Verification FAILED: {0}").format(exc))
            self.result.setStyleSheet("color: #b00020; font-weight: bold;")
            return
        ok = bool(getattr(report, "ok", report.get("ok") if isinstance(report, dict) else report))
        problems = getattr(report, "problems", report.get("problems") if isinstance(report, dict) else [])
        if ok:
            self.result.setText(self.tr("Audit chain verified: no edit or deletion outside the application."))
            self.result.setStyleSheet("color: #1b7f3b; font-weight: bold;")
        else:
            self.result.setText(
                self.tr("Audit chain BROKEN: {0}").format("; ".join(map(str, problems or [])))
            )
            self.result.setStyleSheet("color: #b00020; font-weight: bold;")

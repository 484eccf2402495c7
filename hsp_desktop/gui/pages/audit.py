"""Audit log viewer (readable changes, local time, filters) and the registry's integrity check."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from PySide6.QtCore import QDate, QLocale
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hsp_desktop.gui.context import AppContext
from hsp_desktop.gui.noop import QT_TRANSLATE_NOOP

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
ACTIONS = {
    "insert": QT_TRANSLATE_NOOP("AuditPage", "added"),
    "update": QT_TRANSLATE_NOOP("AuditPage", "changed"),
    "delete": QT_TRANSLATE_NOOP("AuditPage", "deleted"),
}
TABLES = {
    "recipients": QT_TRANSLATE_NOOP("AuditPage", "recipient"),
    "enrolment": QT_TRANSLATE_NOOP("AuditPage", "enrolment"),
    "preop": QT_TRANSLATE_NOOP("AuditPage", "pre-operative form"),
    "imaging_studies": QT_TRANSLATE_NOOP("AuditPage", "imaging study"),
    "feature_vectors": QT_TRANSLATE_NOOP("AuditPage", "radiomics features"),
    "predictions": QT_TRANSLATE_NOOP("AuditPage", "prediction"),
    "followups": QT_TRANSLATE_NOOP("AuditPage", "follow-up visit"),
    "outcomes": QT_TRANSLATE_NOOP("AuditPage", "outcome"),
    "users": QT_TRANSLATE_NOOP("AuditPage", "user account"),
    "settings": QT_TRANSLATE_NOOP("AuditPage", "setting"),
    "export_log": QT_TRANSLATE_NOOP("AuditPage", "export"),
    "federation_messages": QT_TRANSLATE_NOOP("AuditPage", "federation message"),
    "dicom_transfers": QT_TRANSLATE_NOOP("AuditPage", "DICOM transfer"),
}
#: Bookkeeping columns not worth showing in a change.
HIDDEN = frozenset({"id", "created_at", "updated_at", "row_hash", "password_hash"})


def local_time(ts: str | None, tz: dt.tzinfo | None = None) -> str:
    """An audit timestamp (UTC, ISO 8601) in the workstation's time zone, e.g. ``2026-12-08 08:29:31 (UTC+08:00)``."""
    if not ts:
        return ""
    try:
        when = dt.datetime.fromisoformat(ts.replace("Z", "+00:00"))
    except ValueError:
        return ts
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    local = when.astimezone(tz)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M:%S} (UTC{offset[:3]}:{offset[3:]})"


def _label(field: str) -> str:
    from hsp_desktop.clinical.dictionary import FOLLOWUP_VARIABLES, VARIABLES

    var = VARIABLES.get(field) or FOLLOWUP_VARIABLES.get(field)
    if var is None:
        return field.replace("_", " ")
    chinese = QLocale().language() == QLocale.Language.Chinese  # install_language sets the default locale
    return str(var.label_zh if chinese else var.label_en)


def _value(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, str) and value.startswith(("[", "{")):
        try:
            parsed = json.loads(value)
        except ValueError:
            return value
        return _value(parsed)
    if isinstance(value, list):
        return ", ".join(_value(v) for v in value) or "—"
    if isinstance(value, dict):
        shown = [f"{k} {_value(v)}" for k, v in value.items() if v not in (None, "", [], {})]
        return "(" + ", ".join(shown) + ")" if shown else "—"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def describe_change(entry: dict[str, Any]) -> str:
    """``Platelets: 60 → 65; WBC: — → 3.1`` (labels from the data dictionary, bookkeeping columns left out)."""
    old, new = entry.get("old"), entry.get("new")
    old = old if isinstance(old, dict) else {}
    new = new if isinstance(new, dict) else {}
    keys = [k for k in dict.fromkeys([*old, *new]) if k not in HIDDEN and k != "study_id"]
    if old and new:
        parts = [
            f"{_label(k)}: {_value(old.get(k))} → {_value(new.get(k))}"
            for k in keys
            if old.get(k) != new.get(k)
        ]
    else:
        row = new or old
        parts = [f"{_label(k)} = {_value(row.get(k))}" for k in keys if row.get(k) not in (None, "")]
    return "; ".join(parts)


class AuditPage(QWidget):
    """Who changed what, when and why (filter by table, user, recipient and dates); the hash-chain check."""

    def __init__(self, ctx: AppContext, window: Any) -> None:
        super().__init__()
        from hsp_desktop.registry.audit import audited_tables

        self.ctx = ctx
        self.window_ = window
        self.table_filter = QComboBox()
        self.table_filter.setObjectName("auditTable")
        self.table_filter.addItem(self.tr("All tables"), None)
        for name in audited_tables(ctx.registry._conn):
            self.table_filter.addItem(self.tr(TABLES.get(name, name)), name)
        self.user_filter = QComboBox()
        self.user_filter.setObjectName("auditUser")
        self.recipient_filter = QLineEdit()
        self.recipient_filter.setObjectName("auditRecipient")
        self.recipient_filter.setPlaceholderText(self.tr("study ID"))
        self.recipient_filter.setClearButtonEnabled(True)
        self.date_from = QDateEdit(QDate.currentDate().addYears(-1))
        self.date_to = QDateEdit(QDate.currentDate())
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.table_filter.currentIndexChanged.connect(self.refresh)
        self.user_filter.currentIndexChanged.connect(self.refresh)
        self.recipient_filter.editingFinished.connect(self.refresh)
        self.date_from.dateChanged.connect(self.refresh)
        self.date_to.dateChanged.connect(self.refresh)
        self.verify_button = QPushButton(self.tr("&Verify audit chain"))
        self.verify_button.setObjectName("verifyAudit")
        self.verify_button.clicked.connect(self.verify)
        self.result = QLabel("")
        self.result.setObjectName("verifyResult")
        self.result.setWordWrap(True)
        top = QHBoxLayout()
        for label, widget in (
            (self.tr("Table"), self.table_filter),
            (self.tr("User"), self.user_filter),
            (self.tr("Recipient"), self.recipient_filter),
            (self.tr("From"), self.date_from),
            (self.tr("to"), self.date_to),
        ):
            top.addWidget(QLabel(label))
            top.addWidget(widget)
        top.addStretch(1)
        top.addWidget(self.verify_button)
        self.log = QTableWidget(0, len(AUDIT_COLUMNS))
        self.log.setObjectName("auditLog")
        self.log.setHorizontalHeaderLabels([self.tr(c) for c in AUDIT_COLUMNS])
        self.log.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.log.setWordWrap(True)
        self.log.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.log.horizontalHeader().setStretchLastSection(True)
        self.log.verticalHeader().setVisible(False)
        self.count = QLabel()
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.result)
        layout.addWidget(self.log, 1)
        layout.addWidget(self.count)
        self._fill_users()

    def _fill_users(self) -> None:
        current = self.user_filter.currentData()
        self.user_filter.blockSignals(True)
        self.user_filter.clear()
        self.user_filter.addItem(self.tr("All users"), None)
        for u in self.ctx.registry.users():
            self.user_filter.addItem(u["username"], u["username"])
        self.user_filter.setCurrentIndex(max(0, self.user_filter.findData(current)))
        self.user_filter.blockSignals(False)

    def entries(self) -> list[dict[str, Any]]:
        """The audit entries matching the filters, newest first."""
        recipient = self.recipient_filter.text().strip() or None
        rows = self.ctx.registry.audit_log(
            limit=2000, table=self.table_filter.currentData(), row_key=recipient
        )
        user = self.user_filter.currentData()
        first = self.date_from.date().toString("yyyy-MM-dd")
        last = self.date_to.date().toString("yyyy-MM-dd")
        out = []
        for e in rows:
            day = local_time(e.get("ts"))[:10]
            if user and e.get("username") != user:
                continue
            if day and not first <= day <= last:
                continue
            out.append(e)
        return out

    def refresh(self) -> None:
        """Reload the entries matching the filters."""
        self._fill_users()
        entries = self.entries()[:500]
        self.log.setRowCount(len(entries))
        for r, e in enumerate(entries):
            values = (
                e.get("id"),
                local_time(e.get("ts")),
                e.get("username"),
                self.tr(ACTIONS.get(str(e.get("action")), str(e.get("action")))),
                self.tr(TABLES.get(str(e.get("table")), str(e.get("table")))),
                e.get("row_key"),
                e.get("reason"),
                describe_change(e),
            )
            for c, v in enumerate(values):
                item = QTableWidgetItem("" if v is None else str(v))
                if c == 7:
                    item.setToolTip(item.text().replace("; ", "\n"))
                self.log.setItem(r, c, item)
        self.count.setText(
            self.tr("{0} entries shown (times in this workstation's time zone)").format(len(entries))
        )

    def verify(self) -> None:
        """Run the registry's verification and show the verdict."""
        from hsp_desktop.errors import HspError

        try:
            report = self.ctx.registry.verify()
        except HspError as exc:
            self.result.setText(self.tr("Verification FAILED: {0}").format(exc))
            self.result.setStyleSheet("color: #b00020; font-weight: bold;")
            return
        if report.ok:
            self.result.setText(self.tr("Audit chain verified: no edit or deletion outside the application."))
            self.result.setStyleSheet("color: #1b7f3b; font-weight: bold;")
        else:
            self.result.setText(
                self.tr("Audit chain BROKEN: {0}").format("; ".join(map(str, report.problems)))
            )
            self.result.setStyleSheet("color: #b00020; font-weight: bold;")

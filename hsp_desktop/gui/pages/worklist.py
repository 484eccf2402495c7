"""Worklist: every recipient with status, latest risk, next follow-up and outcome; search, filter, sort."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
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

COLUMNS: tuple[tuple[str, str], ...] = (
    ("study_id", QT_TRANSLATE_NOOP("WorklistPage", "Study ID")),
    ("site", QT_TRANSLATE_NOOP("WorklistPage", "Site")),
    ("status", QT_TRANSLATE_NOOP("WorklistPage", "Status")),
    ("transplant_date", QT_TRANSLATE_NOOP("WorklistPage", "Transplant date")),
    ("risk", QT_TRANSLATE_NOOP("WorklistPage", "Latest risk")),
    ("band", QT_TRANSLATE_NOOP("WorklistPage", "Band")),
    ("next_visit", QT_TRANSLATE_NOOP("WorklistPage", "Next follow-up")),
    ("outcome", QT_TRANSLATE_NOOP("WorklistPage", "6-month outcome")),
)
#: The registry's recipient statuses ("" = all).
STATUSES = (
    "",
    QT_TRANSLATE_NOOP("WorklistPage", "enrolled"),
    QT_TRANSLATE_NOOP("WorklistPage", "scored"),
    QT_TRANSLATE_NOOP("WorklistPage", "outcome"),
    QT_TRANSLATE_NOOP("WorklistPage", "competing"),
    QT_TRANSLATE_NOOP("WorklistPage", "excluded"),
)
OUTCOME_TEXT: dict[Any, str] = {
    1: QT_TRANSLATE_NOOP("WorklistPage", "refractory HSP"),
    0: QT_TRANSLATE_NOOP("WorklistPage", "no refractory HSP"),
    "pending": QT_TRANSLATE_NOOP("WorklistPage", "pending"),
    "competing": QT_TRANSLATE_NOOP("WorklistPage", "competing event"),
}


def _cell(value: Any, key: str = "") -> str:
    if value is None:
        return ""
    if key == "next_visit" and isinstance(value, dict):
        from hsp_desktop.gui.pages.followup import state_text, visit_label

        return QCoreApplication.translate("WorklistPage", "{0} ({1}, window {2} .. {3})").format(
            visit_label(int(value["day"])), state_text(value), value["window_start"], value["window_end"]
        )
    if key in ("status", "band"):
        from hsp_desktop.gui.domain_text import tr_code

        return tr_code(str(value))
    if key == "outcome":
        text = OUTCOME_TEXT.get(value)
        return QCoreApplication.translate("WorklistPage", text) if text else str(value)
    if isinstance(value, float):
        return f"{value:.1%}" if 0.0 <= value <= 1.0 else f"{value:g}"
    return str(value)


class _SortItem(QTableWidgetItem):
    """Sorts numbers as numbers."""

    def __init__(self, text: str, key: Any) -> None:
        super().__init__(text)
        self._key = key

    def __lt__(self, other: QTableWidgetItem) -> bool:
        okey = getattr(other, "_key", other.text())
        try:
            return bool(self._key < okey)
        except TypeError:
            return str(self._key) < str(okey)


class WorklistPage(QWidget):
    """The coordinator's list of recipients."""

    def __init__(self, ctx: AppContext, window: Any) -> None:
        super().__init__()
        self.ctx = ctx
        self.window_ = window
        self.search = QLineEdit()
        self.search.setObjectName("search")
        self.search.setPlaceholderText(self.tr("Search by study ID"))
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.refresh)
        self.status = QComboBox()
        self.status.setObjectName("statusFilter")
        for s in STATUSES:
            self.status.addItem(self.tr(s) if s else self.tr("All statuses"), s)
        self.status.currentIndexChanged.connect(self.refresh)
        self.new_button = QPushButton(self.tr("&New recipient"))
        self.new_button.setObjectName("newRecipient")
        self.new_button.clicked.connect(self.new_recipient)
        self.new_button.setEnabled(ctx.can_write())
        self.open_button = QPushButton(self.tr("&Open"))
        self.open_button.clicked.connect(self.open_selected)
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Search")))
        top.addWidget(self.search, 2)
        top.addWidget(QLabel(self.tr(QT_TRANSLATE_NOOP("WorklistPage", "Status"))))
        top.addWidget(self.status, 1)
        top.addStretch(1)
        top.addWidget(self.open_button)
        top.addWidget(self.new_button)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("worklist")
        self.table.setHorizontalHeaderLabels([self.tr(title) for _, title in COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.doubleClicked.connect(lambda _i: self.open_selected())
        self.count = QLabel()
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.count)
        ctx.events.recipients_changed.connect(self._data_changed)
        ctx.events.prediction_saved.connect(self._data_changed)
        ctx.events.followup_changed.connect(self._data_changed)

    def _data_changed(self, *_args: object) -> None:
        # screens not on show are refreshed when the user opens them (MainWindow calls refresh)
        if self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        """Reload the list from the registry with the current search and filter."""
        rows = self.ctx.registry.worklist(
            search=self.search.text().strip() or None, status=self.status.currentData() or None
        )
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, (key, _title) in enumerate(COLUMNS):
                value = row.get(key)
                sort_key = value.get("day", 0) if isinstance(value, dict) else value
                item = _SortItem(_cell(value, key), sort_key if sort_key is not None else "")
                item.setData(Qt.ItemDataRole.UserRole, row.get("study_id"))
                self.table.setItem(r, c, item)
        self.table.setSortingEnabled(True)
        self.count.setText(self.tr("{0} recipients").format(len(rows)))

    def selected_study_id(self) -> str | None:
        """Study ID of the selected row."""
        items = self.table.selectedItems()
        return None if not items else str(items[0].data(Qt.ItemDataRole.UserRole))

    def open_selected(self) -> None:
        """Open the selected recipient on the Recipient screen."""
        study_id = self.selected_study_id()
        confirm = getattr(self.window_, "confirm_discard", None)
        if study_id and study_id != self.ctx.current_study_id and callable(confirm) and not confirm():
            return
        if study_id:
            self.ctx.select(study_id)
            self.window_.show_page("recipient")

    def new_recipient(self) -> None:
        """Start an empty enrolment form (after asking about unsaved edits)."""
        confirm = getattr(self.window_, "confirm_discard", None)
        if callable(confirm) and not confirm():
            return
        page = self.window_.show_page("recipient")
        page.start_new()

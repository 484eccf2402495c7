"""Follow-up: dated visits to 6 months and the outcome derived by the protocol's definition."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, QDate, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hsp_desktop.errors import HspError
from hsp_desktop.gui.context import AppContext
from hsp_desktop.gui.noop import QT_TRANSLATE_NOOP

#: Visit measurements: (field, label, unit, maximum, decimals).
MEASURES: tuple[tuple[str, str, str, float, int], ...] = (
    ("platelets", QT_TRANSLATE_NOOP("FollowUpPage", "Platelets"), "x10^9/L", 1500.0, 0),
    ("wbc", QT_TRANSLATE_NOOP("FollowUpPage", "WBC"), "x10^9/L", 100.0, 1),
    ("haemoglobin", QT_TRANSLATE_NOOP("FollowUpPage", "Haemoglobin"), "g/L", 220.0, 0),
    ("spleen_volume_ml", QT_TRANSLATE_NOOP("FollowUpPage", "Spleen volume"), "ml", 5000.0, 0),
    ("spleen_length_cm", QT_TRANSLATE_NOOP("FollowUpPage", "Spleen length"), "cm", 35.0, 1),
)
FLAGS: tuple[tuple[str, str], ...] = (
    ("pv_complication", QT_TRANSLATE_NOOP("FollowUpPage", "Portal-vein stenosis/thrombosis")),
    ("ha_thrombosis", QT_TRANSLATE_NOOP("FollowUpPage", "Hepatic-artery thrombosis")),
    ("rejection_or_graft_dysfunction", QT_TRANSLATE_NOOP("FollowUpPage", "Rejection or graft dysfunction")),
    ("infection", QT_TRANSLATE_NOOP("FollowUpPage", "CMV/EBV infection or sepsis")),
    (
        "myelotoxic_drugs",
        QT_TRANSLATE_NOOP("FollowUpPage", "Myelotoxic drugs (MMF, valganciclovir, TMP-SMX, mTOR)"),
    ),
    ("bleeding", QT_TRANSLATE_NOOP("FollowUpPage", "Bleeding")),
)
INTERVENTIONS = (
    ("", QT_TRANSLATE_NOOP("FollowUpPage", "None")),
    ("pse", QT_TRANSLATE_NOOP("FollowUpPage", "Partial splenic embolisation")),
    ("splenectomy", QT_TRANSLATE_NOOP("FollowUpPage", "Splenectomy")),
    ("tpo_agonist", QT_TRANSLATE_NOOP("FollowUpPage", "TPO-receptor agonist")),
)
EVENTS = (
    ("", QT_TRANSLATE_NOOP("FollowUpPage", "None")),
    ("death", QT_TRANSLATE_NOOP("FollowUpPage", "Death")),
    ("retransplant", QT_TRANSLATE_NOOP("FollowUpPage", "Re-transplantation")),
)
#: Secondary (splenic function recovery) measures shown under the outcome: (key, label, unit).
SECONDARY = (
    ("pct_change_plt", QT_TRANSLATE_NOOP("FollowUpPage", "platelet change"), " %"),
    ("pct_change_wbc", QT_TRANSLATE_NOOP("FollowUpPage", "WBC change"), " %"),
    ("sv_ratio", QT_TRANSLATE_NOOP("FollowUpPage", "spleen volume 6 months / before transplant"), ""),
    ("days_to_plt_100", QT_TRANSLATE_NOOP("FollowUpPage", "days to platelets >= 100"), ""),
    ("recovery_grade", QT_TRANSLATE_NOOP("FollowUpPage", "recovery grade"), ""),
)
VISIT_COLUMNS = (
    "date",
    "day",
    "platelets",
    "wbc",
    "haemoglobin",
    "spleen_volume_ml",
    "spleen_length_cm",
    "intervention",
    "event",
)
VISIT_HEADERS = (
    QT_TRANSLATE_NOOP("FollowUpPage", "Date"),
    QT_TRANSLATE_NOOP("FollowUpPage", "Day"),
    QT_TRANSLATE_NOOP("FollowUpPage", "Platelets"),
    QT_TRANSLATE_NOOP("FollowUpPage", "WBC"),
    QT_TRANSLATE_NOOP("FollowUpPage", "Haemoglobin"),
    QT_TRANSLATE_NOOP("FollowUpPage", "Spleen volume"),
    QT_TRANSLATE_NOOP("FollowUpPage", "Spleen length"),
    QT_TRANSLATE_NOOP("FollowUpPage", "Treatment"),
    QT_TRANSLATE_NOOP("FollowUpPage", "Event"),
)


SCHEDULE_HEADERS = (
    QT_TRANSLATE_NOOP("FollowUpPage", "Visit"),
    QT_TRANSLATE_NOOP("FollowUpPage", "Target date"),
    QT_TRANSLATE_NOOP("FollowUpPage", "Window"),
    QT_TRANSLATE_NOOP("FollowUpPage", "Measurements"),
    QT_TRANSLATE_NOOP("FollowUpPage", "State"),
)
DUE_HEADERS = (
    QT_TRANSLATE_NOOP("FollowUpPage", "Study ID"),
    QT_TRANSLATE_NOOP("FollowUpPage", "Visit"),
    QT_TRANSLATE_NOOP("FollowUpPage", "Window"),
    QT_TRANSLATE_NOOP("FollowUpPage", "State"),
)
#: Visit states as the schedule names them.
STATES = {
    "done": QT_TRANSLATE_NOOP("FollowUpPage", "done"),
    "upcoming": QT_TRANSLATE_NOOP("FollowUpPage", "upcoming"),
    "due": QT_TRANSLATE_NOOP("FollowUpPage", "due"),
    "overdue": QT_TRANSLATE_NOOP("FollowUpPage", "overdue"),
    "missed": QT_TRANSLATE_NOOP("FollowUpPage", "missed"),
}
#: The empty visit date (shown blank): the user must pick the date, it never defaults to today.
NO_DATE = QDate(1900, 1, 1)


def state_text(state: dict[str, Any]) -> str:
    """``overdue (12 days)`` / ``due`` ... in the interface language."""
    text = QCoreApplication.translate("FollowUpPage", STATES.get(state["state"], state["state"]))
    if state["state"] == "overdue" and state.get("days_overdue"):
        text = QCoreApplication.translate("FollowUpPage", "overdue ({0} days)").format(state["days_overdue"])
    return text


def visit_label(day: int) -> str:
    """``day 30`` in the interface language."""
    return QCoreApplication.translate("FollowUpPage", "day {0}").format(day)


class FollowUpPage(QWidget):
    """Enter, correct and delete dated follow-up visits; the schedule, the due list and the derived outcome."""

    def __init__(self, ctx: AppContext, window: Any) -> None:
        super().__init__()
        self.ctx = ctx
        self.window_ = window
        #: The visit being corrected (None: the form records a new visit).
        self.editing: int | None = None
        self.header = QLabel()
        self.header.setWordWrap(True)
        self.header.setStyleSheet("font-weight: bold;")
        self.visits = QTableWidget(0, len(VISIT_COLUMNS))
        self.visits.setObjectName("visits")
        self.visits.setHorizontalHeaderLabels([self.tr(h) for h in VISIT_HEADERS])
        self.visits.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.visits.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.visits.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.visits.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.visits.verticalHeader().setVisible(False)
        self.visits.doubleClicked.connect(lambda _i: self.edit_selected())
        self.edit_button = QPushButton(self.tr("&Correct selected visit"))
        self.edit_button.setObjectName("editVisit")
        self.edit_button.clicked.connect(self.edit_selected)
        self.delete_button = QPushButton(self.tr("&Delete selected visit..."))
        self.delete_button.setObjectName("deleteVisit")
        self.delete_button.clicked.connect(self.delete_selected)
        visit_buttons = QHBoxLayout()
        visit_buttons.addStretch(1)
        visit_buttons.addWidget(self.edit_button)
        visit_buttons.addWidget(self.delete_button)

        self.schedule = QTableWidget(0, len(SCHEDULE_HEADERS))
        self.schedule.setObjectName("schedule")
        self.schedule.setHorizontalHeaderLabels([self.tr(h) for h in SCHEDULE_HEADERS])
        self.schedule.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.schedule.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.schedule.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.schedule.verticalHeader().setVisible(False)
        self.schedule.setToolTip(self.tr("Double-click a visit to put its target date in the form"))
        self.schedule.doubleClicked.connect(lambda i: self._use_target(i.row()))
        self.due = QTableWidget(0, len(DUE_HEADERS))
        self.due.setObjectName("dueVisits")
        self.due.setHorizontalHeaderLabels([self.tr(h) for h in DUE_HEADERS])
        self.due.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.due.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.due.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.due.verticalHeader().setVisible(False)
        self.due.setToolTip(self.tr("Double-click a row to open that recipient's follow-up"))
        self.due.doubleClicked.connect(lambda i: self.open_due(i.row()))
        schedule_box = QGroupBox(self.tr("Schedule of this recipient (target day and window)"))
        QVBoxLayout(schedule_box).addWidget(self.schedule)
        due_box = QGroupBox(self.tr("Visits due or overdue (all recipients)"))
        QVBoxLayout(due_box).addWidget(self.due)
        plan = QHBoxLayout()
        plan.addWidget(schedule_box, 3)
        plan.addWidget(due_box, 2)

        self.form_box = QGroupBox(self.tr("New visit"))
        grid = QGridLayout(self.form_box)
        self.date = QDateEdit()
        self.date.setObjectName("visitDate")
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("yyyy-MM-dd")
        self.date.setMinimumDate(NO_DATE)
        self.date.setSpecialValueText(self.tr("choose the date"))
        self.date.setDate(NO_DATE)
        self.day_label = QLabel()
        self.day_label.setObjectName("visitDay")
        self.date.dateChanged.connect(self._show_day)
        grid.addWidget(QLabel(self.tr("Visit date")), 0, 0)
        grid.addWidget(self.date, 0, 1)
        grid.addWidget(self.day_label, 0, 2, 1, 2)
        self.measures: dict[str, QLineEdit] = {}
        for i, (field, label, unit, _mx, _dec) in enumerate(MEASURES):
            edit = QLineEdit()
            edit.setObjectName(field)
            edit.setPlaceholderText(self.tr("not measured"))
            self.measures[field] = edit
            row, col = 1 + i // 2, (i % 2) * 2
            grid.addWidget(QLabel(f"{self.tr(label)} ({unit})"), row, col)
            grid.addWidget(edit, row, col + 1)
        flags_box = QGroupBox(self.tr("Adjudication (other causes of cytopenia) and events"))
        flags_layout = QFormLayout(flags_box)
        self.flags: dict[str, QCheckBox] = {}
        for field, label in FLAGS:
            box = QCheckBox(self.tr(label))
            box.setObjectName(field)
            self.flags[field] = box
            flags_layout.addRow(box)
        self.intervention = QComboBox()
        self.intervention.setObjectName("intervention")
        for value, label in INTERVENTIONS:
            self.intervention.addItem(self.tr(label), value)
        self.event_choice = QComboBox()
        self.event_choice.setObjectName("event")
        for value, label in EVENTS:
            self.event_choice.addItem(self.tr(label), value)
        flags_layout.addRow(self.tr("Treatment for hypersplenism"), self.intervention)
        flags_layout.addRow(self.tr("Event"), self.event_choice)
        self.save_button = QPushButton(self.tr("&Save visit"))
        self.save_button.setObjectName("saveVisit")
        self.save_button.clicked.connect(lambda: self.save_visit())
        self.cancel_edit_button = QPushButton(self.tr("Cancel correction"))
        self.cancel_edit_button.setObjectName("cancelCorrection")
        self.cancel_edit_button.clicked.connect(self.clear_form)
        self.cancel_edit_button.hide()

        self.outcome = QLabel()
        self.outcome.setObjectName("outcomeLabel")
        self.outcome.setWordWrap(True)
        outcome_box = QGroupBox(self.tr("Derived outcome (protocol definition)"))
        outcome_box_layout = QVBoxLayout(outcome_box)
        outcome_box_layout.addWidget(self.outcome)

        entry = QHBoxLayout()
        entry.addWidget(self.form_box, 3)
        entry.addWidget(flags_box, 2)
        save_row = QHBoxLayout()
        save_row.addWidget(self.save_button)
        save_row.addWidget(self.cancel_edit_button)
        save_row.addStretch(1)
        inner = QWidget()
        layout = QVBoxLayout(inner)
        layout.addWidget(self.header)
        layout.addLayout(plan)
        layout.addWidget(self.visits, 1)
        layout.addLayout(visit_buttons)
        layout.addLayout(entry)
        layout.addLayout(save_row)
        layout.addWidget(outcome_box)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(inner)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        ctx.events.recipient_selected.connect(lambda _s: self.refresh())

    # -- showing --------------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Reload visits, schedule, the due list and the derived outcome of the current recipient."""
        self._show_due()
        sid = self.ctx.current_study_id
        writable = sid is not None and self.ctx.can_write()
        for button in (self.save_button, self.edit_button, self.delete_button):
            button.setEnabled(writable)
        if sid is None:
            self.header.setText(self.tr("Select a recipient on the Worklist or in the list of due visits."))
            self.visits.setRowCount(0)
            self.schedule.setRowCount(0)
            self.outcome.setText("")
            return
        self._transplant = QDate.fromString(
            str(self.ctx.registry.get_recipient(sid).get("transplant_date") or ""), "yyyy-MM-dd"
        )
        self.header.setText(
            self.tr("Recipient {0}: follow-up visits (transplant {1}).").format(
                sid, self._transplant.toString("yyyy-MM-dd") if self._transplant.isValid() else "?"
            )
        )
        visits = self.ctx.registry.followups(sid)
        self.visits.setRowCount(len(visits))
        for r, visit in enumerate(visits):
            for c, key in enumerate(VISIT_COLUMNS):
                value = visit.get(key)
                item = QTableWidgetItem("" if value is None else self._cell(key, value))
                item.setData(Qt.ItemDataRole.UserRole, visit["id"])
                self.visits.setItem(r, c, item)
        states = self.ctx.registry.schedule(sid)
        self.schedule.setRowCount(len(states))
        for r, st in enumerate(states):
            target = self._transplant.addDays(int(st["day"])).toString("yyyy-MM-dd")
            cells = (
                visit_label(int(st["day"])),
                target,
                f"{st['window_start']} .. {st['window_end']}",
                str(st["measurements"]),
                state_text(st),
            )
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, target)
                self.schedule.setItem(r, c, item)
        self._show_day()
        self.show_outcome(self.ctx.registry.outcome(sid))

    def _cell(self, key: str, value: Any) -> str:
        if key == "intervention":
            return self.tr(dict(INTERVENTIONS).get(value, str(value)))
        if key == "event":
            return self.tr(dict(EVENTS).get(value, str(value)))
        return _fmt(value) if isinstance(value, float) else str(value)

    def _show_due(self) -> None:
        due = self.ctx.registry.followups_due()
        self.due.setRowCount(len(due))
        for r, d in enumerate(due):
            cells = (d["study_id"], visit_label(int(d["day"])), f"{d['window_start']} .. {d['window_end']}")
            for c, text in enumerate((*cells, state_text(d))):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, d["study_id"])
                self.due.setItem(r, c, item)

    def _show_day(self) -> None:
        date = self.date.date()
        transplant = getattr(self, "_transplant", QDate())
        if date == NO_DATE or not transplant.isValid():
            self.day_label.setText("")
            return
        self.day_label.setText(self.tr("day {0} after transplant").format(transplant.daysTo(date)))

    def _use_target(self, row: int) -> None:
        item = self.schedule.item(row, 1)
        if item is not None:
            self.date.setDate(QDate.fromString(str(item.data(Qt.ItemDataRole.UserRole)), "yyyy-MM-dd"))

    def open_due(self, row: int) -> None:
        """Make the recipient of a due visit the current one (its schedule and visits show here)."""
        item = self.due.item(row, 0)
        confirm = getattr(self.window_, "confirm_discard", None) or self.confirm_discard
        if item is None or not confirm():
            return
        self.clear_form()
        self.ctx.select(str(item.data(Qt.ItemDataRole.UserRole)))

    def show_outcome(self, outcome: dict[str, Any]) -> None:
        """Render the derived outcome and the recovery measures."""
        from hsp_desktop.gui.domain_text import tr_domain

        status = outcome.get("status")
        text = {
            1: self.tr("Refractory hypersplenism at 6 months: YES"),
            0: self.tr("Refractory hypersplenism at 6 months: no"),
            "pending": self.tr("Outcome pending"),
            "competing": self.tr("Competing event (death or re-transplantation): outcome not assessable"),
        }.get(status, self.tr("Outcome: {0}").format(tr_domain(str(status))))
        lines = [f"<b>{text}</b>"]
        for reason in outcome.get("reasons", []) or []:
            lines.append(f"- {tr_domain(str(reason))}")
        flags = outcome.get("flags") or []
        if flags:
            lines.append(self.tr("Flags: {0}").format(", ".join(tr_domain(str(f)) for f in flags)))
        secondary = outcome.get("secondary") or {}
        parts = [
            f"{self.tr(label)}: {tr_domain(str(secondary[key])) if key == 'recovery_grade' else _fmt(secondary[key])}{unit}"
            for key, label, unit in SECONDARY
            if secondary.get(key) is not None
        ]
        if parts:
            lines.append(self.tr("Recovery: {0}").format("; ".join(parts)))
        if outcome.get("definition_id"):
            lines.append(self.tr("Definition {0}").format(outcome["definition_id"]))
        self.outcome.setText("<br>".join(lines))

    # -- the form --------------------------------------------------------------------------------------------
    def is_dirty(self) -> bool:
        """True when the form holds something not saved."""
        return (
            self.date.date() != NO_DATE
            or any(e.text().strip() for e in self.measures.values())
            or any(b.isChecked() for b in self.flags.values())
            or self.intervention.currentIndex() > 0
            or self.event_choice.currentIndex() > 0
        )

    def confirm_discard(self) -> bool:
        """Ask before an unsaved visit is thrown away; True when it may be."""
        if not self.is_dirty():
            return True
        answer = QMessageBox.question(
            self,
            self.tr("Unsaved visit"),
            self.tr("The visit in the form is not saved. Discard it?"),
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Discard

    def clear_form(self) -> None:
        """Empty the form and leave correction mode."""
        self.editing = None
        self.date.setDate(NO_DATE)
        for edit in self.measures.values():
            edit.clear()
        for box in self.flags.values():
            box.setChecked(False)
        self.intervention.setCurrentIndex(0)
        self.event_choice.setCurrentIndex(0)
        self.form_box.setTitle(self.tr("New visit"))
        self.save_button.setText(self.tr("&Save visit"))
        self.cancel_edit_button.hide()

    def selected_visit(self) -> int | None:
        """Id of the visit selected in the table."""
        items = self.visits.selectedItems()
        return None if not items else int(items[0].data(Qt.ItemDataRole.UserRole))

    def edit_selected(self) -> None:
        """Load the selected visit into the form for correction."""
        vid = self.selected_visit()
        if vid is None or self.ctx.current_study_id is None:
            return
        visit = next(v for v in self.ctx.registry.followups(self.ctx.current_study_id) if v["id"] == vid)
        self.clear_form()
        self.editing = vid
        self.date.setDate(QDate.fromString(str(visit["date"]), "yyyy-MM-dd"))
        for field, edit in self.measures.items():
            value = visit.get(field)
            edit.setText("" if value is None else _fmt_exact(value))
        for field, box in self.flags.items():
            box.setChecked(bool(visit.get(field)))
        self.intervention.setCurrentIndex(max(0, self.intervention.findData(visit.get("intervention") or "")))
        self.event_choice.setCurrentIndex(max(0, self.event_choice.findData(visit.get("event") or "")))
        self.form_box.setTitle(self.tr("Correcting the visit of {0}").format(visit["date"]))
        self.save_button.setText(self.tr("&Save correction..."))
        self.cancel_edit_button.show()

    def delete_selected(self) -> None:
        """Delete the selected visit after asking why (the reason is audited)."""
        vid = self.selected_visit()
        sid = self.ctx.current_study_id
        if vid is None or sid is None:
            return
        reason = self._ask_reason(self.tr("Delete visit"), self.tr("Why is this visit deleted?"))
        if reason is None:
            return
        try:
            self.ctx.registry.delete_followup(vid, by=self.ctx.user, reason=reason)
        except HspError as exc:
            self.window_.show_error(exc)
            return
        if self.editing == vid:
            self.clear_form()
        self.refresh()
        self.ctx.events.followup_changed.emit(sid)

    def _ask_reason(self, title: str, prompt: str) -> str | None:
        text, ok = QInputDialog.getText(self, title, prompt)
        return text.strip() if ok and text.strip() else None

    def visit_values(self) -> dict[str, Any]:
        """The visit as typed (numbers parsed; empty fields omitted; no date when none was chosen)."""
        visit: dict[str, Any] = {}
        if self.date.date() != NO_DATE:
            visit["date"] = self.date.date().toString("yyyy-MM-dd")
        for field, edit in self.measures.items():
            text = edit.text().strip().replace(",", ".")
            if text:
                try:
                    visit[field] = float(text)
                except ValueError:
                    visit[field] = text  # the registry's validation names the field and the fix
        for field, box in self.flags.items():
            visit[field] = int(box.isChecked())
        visit["intervention"] = self.intervention.currentData()
        visit["event"] = self.event_choice.currentData()
        return visit

    def offer_conversions(self) -> bool:
        """Offer **Convert** for values that look typed in another unit; False when the user goes back to edit."""
        from hsp_desktop.clinical.dictionary import validate_visit

        values = self.visit_values()
        traps = [c for c in validate_visit(values, confirm_units=True).conversions if c.confirmed]
        if not traps:
            return True
        box = QMessageBox(self)
        box.setObjectName("unitTrapBox")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(self.tr("Check the unit"))
        lines = [
            self.tr("{0}: {1:g} looks like {2}; convert to {3:g} {4}?").format(
                self.tr(dict((m[0], m[1]) for m in MEASURES).get(c.field, c.field)),
                c.value,
                c.unit,
                c.canonical,
                c.canonical_unit,
            )
            for c in traps
        ]
        box.setText("\n".join(lines))
        convert = box.addButton(self.tr("Convert"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(self.tr("Edit the value"), QMessageBox.ButtonRole.RejectRole)
        box.exec()
        if box.clickedButton() is not convert:
            return False
        for c in traps:
            self.measures[c.field].setText(_fmt_exact(c.canonical))
        return True

    def save_visit(self, *, reason: str | None = None) -> bool:
        """Save the new visit or the correction; returns True when saved."""
        sid = self.ctx.current_study_id
        if sid is None:
            return False
        if self.date.date() == NO_DATE:
            QMessageBox.warning(self, self.tr("Visit date"), self.tr("Choose the date of the visit first."))
            self.date.setFocus()
            return False
        if not self.offer_conversions():
            return False
        try:
            if self.editing is not None:
                if reason is None:
                    reason = self._ask_reason(
                        self.tr("Reason for change"), self.tr("Why is this visit corrected?")
                    )
                    if reason is None:
                        return False
                self.ctx.registry.update_followup(
                    self.editing, self.visit_values(), by=self.ctx.user, reason=reason
                )
            else:
                self.ctx.registry.add_followup(sid, self.visit_values(), by=self.ctx.user, reason=reason)
        except HspError as exc:
            if getattr(exc, "field", None) == "reason" and reason is None:
                text = self._ask_reason(
                    self.tr("Reason for change"),
                    self.tr("This recipient's data are locked. Reason for the change:"),
                )
                return self.save_visit(reason=text) if text else False
            self.window_.show_error(exc)
            return False
        self.clear_form()
        self.refresh()
        self.ctx.events.followup_changed.emit(sid)
        return True


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}" if abs(value) < 10 else f"{value:.0f}"
    return str(value)


def _fmt_exact(value: Any) -> str:
    """A stored number as the user would type it (no rounding, no trailing .0)."""
    return f"{value:g}" if isinstance(value, float) else str(value)

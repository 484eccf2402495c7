"""Follow-up: dated visits to 6 months and the outcome derived by the protocol's definition."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QDate
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
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hsp_desktop.errors import HspError
from hsp_desktop.gui.context import AppContext

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


class FollowUpPage(QWidget):
    """Enter dated follow-up visits; the derived outcome updates after every save."""

    def __init__(self, ctx: AppContext, window: Any) -> None:
        super().__init__()
        self.ctx = ctx
        self.window_ = window
        self.header = QLabel()
        self.header.setWordWrap(True)
        self.visits = QTableWidget(0, len(VISIT_COLUMNS))
        self.visits.setObjectName("visits")
        self.visits.setHorizontalHeaderLabels([self.tr(h) for h in VISIT_HEADERS])
        self.visits.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.visits.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.visits.verticalHeader().setVisible(False)

        form_box = QGroupBox(self.tr("New visit"))
        grid = QGridLayout(form_box)
        self.date = QDateEdit(QDate.currentDate())
        self.date.setObjectName("visitDate")
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("yyyy-MM-dd")
        grid.addWidget(QLabel(self.tr("Visit date")), 0, 0)
        grid.addWidget(self.date, 0, 1)
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
        self.save_button.clicked.connect(self.save_visit)

        self.outcome = QLabel()
        self.outcome.setObjectName("outcomeLabel")
        self.outcome.setWordWrap(True)
        self.outcome.setStyleSheet("font-size: 12pt;")
        outcome_box = QGroupBox(self.tr("Derived outcome (protocol definition)"))
        outcome_box_layout = QVBoxLayout(outcome_box)
        outcome_box_layout.addWidget(self.outcome)

        entry = QHBoxLayout()
        entry.addWidget(form_box, 3)
        entry.addWidget(flags_box, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addWidget(self.visits, 1)
        layout.addLayout(entry)
        layout.addWidget(self.save_button)
        layout.addWidget(outcome_box)
        ctx.events.recipient_selected.connect(lambda _s: self.refresh())

    def refresh(self) -> None:
        """Reload visits and the derived outcome of the current recipient."""
        sid = self.ctx.current_study_id
        self.save_button.setEnabled(sid is not None and self.ctx.can_write())
        if sid is None:
            self.header.setText(self.tr("Select a recipient on the Worklist first."))
            self.visits.setRowCount(0)
            self.outcome.setText("")
            return
        self.header.setText(
            self.tr("Recipient {0}: follow-up visits (day 30, 90 and 180 windows).").format(sid)
        )
        visits = self.ctx.registry.followups(sid)
        self.visits.setRowCount(len(visits))
        for r, visit in enumerate(visits):
            for c, key in enumerate(VISIT_COLUMNS):
                value = visit.get(key)
                self.visits.setItem(r, c, QTableWidgetItem("" if value is None else f"{value}"))
        self.show_outcome(self.ctx.registry.outcome(sid))

    def show_outcome(self, outcome: dict[str, Any]) -> None:
        """Render the derived outcome and the recovery measures."""
        status = outcome.get("status")
        text = {
            1: self.tr("Refractory hypersplenism at 6 months: YES"),
            0: self.tr("Refractory hypersplenism at 6 months: no"),
            "pending": self.tr("Outcome pending"),
            "competing": self.tr("Competing event (death or re-transplantation): outcome not assessable"),
        }.get(status, self.tr("Outcome: {0}").format(status))
        lines = [f"<b>{text}</b>"]
        for reason in outcome.get("reasons", []) or []:
            lines.append(f"- {reason}")
        flags = outcome.get("flags") or []
        if flags:
            lines.append(self.tr("Flags: {0}").format(", ".join(map(str, flags))))
        secondary = outcome.get("secondary") or {}
        parts = [
            f"{self.tr(label)}: {_fmt(secondary[key])}{unit}"
            for key, label, unit in SECONDARY
            if secondary.get(key) is not None
        ]
        if parts:
            lines.append(self.tr("Recovery: {0}").format("; ".join(parts)))
        if outcome.get("definition_id"):
            lines.append(self.tr("Definition {0}").format(outcome["definition_id"]))
        self.outcome.setText("<br>".join(lines))

    def visit_values(self) -> dict[str, Any]:
        """The visit as typed (numbers parsed; empty fields omitted)."""
        visit: dict[str, Any] = {"date": self.date.date().toString("yyyy-MM-dd")}
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

    def save_visit(self, *, reason: str | None = None) -> None:
        """Save the visit; asks for a reason for change when the registry requires one."""
        sid = self.ctx.current_study_id
        if sid is None:
            return
        try:
            self.ctx.registry.add_followup(sid, self.visit_values(), by=self.ctx.user, reason=reason)
        except HspError as exc:
            if getattr(exc, "field", None) == "reason" and reason is None:
                text, ok = QInputDialog.getText(
                    self,
                    self.tr("Reason for change"),
                    self.tr("This recipient's data are locked. Reason for the change:"),
                )
                if ok and text.strip():
                    self.save_visit(reason=text.strip())
                return
            self.window_.show_error(exc)
            return
        for edit in self.measures.values():
            edit.clear()
        for box in self.flags.values():
            box.setChecked(False)
        self.intervention.setCurrentIndex(0)
        self.event_choice.setCurrentIndex(0)
        self.refresh()
        self.ctx.events.followup_changed.emit(sid)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}" if abs(value) < 10 else f"{value:.0f}"
    return str(value)

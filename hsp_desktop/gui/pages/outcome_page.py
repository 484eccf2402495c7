"""The outcome definition (refractory hypersplenism at 6 months): its own screen, its own confirmed Save."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from hsp_desktop.errors import HspError
from hsp_desktop.gui.context import AppContext
from hsp_desktop.gui.noop import QT_TRANSLATE_NOOP

CRITERIA = (
    ("volume_bsa", QT_TRANSLATE_NOOP("OutcomePage", "Spleen volume / BSA > threshold")),
    ("volume", QT_TRANSLATE_NOOP("OutcomePage", "Spleen volume > threshold")),
    ("length", QT_TRANSLATE_NOOP("OutcomePage", "Craniocaudal length >= threshold")),
)


class OutcomePage(QWidget):
    """Administrators change the protocol's outcome definition; every outcome is then re-derived (audited)."""

    def __init__(self, ctx: AppContext, window: Any) -> None:
        super().__init__()
        self.ctx = ctx
        self.window_ = window
        self.plt = QComboBox()
        self.plt.setObjectName("pltThreshold")
        for v in (50, 75, 100, 150):
            self.plt.addItem(f"{v} x10^9/L", float(v))
        self.wbc = QComboBox()
        self.wbc.setObjectName("wbcThreshold")
        for w in (2.0, 3.0, 4.0):
            self.wbc.addItem(f"{w:g} x10^9/L", w)
        self.rule = QComboBox()
        self.rule.setObjectName("cytopeniaRule")
        self.rule.addItem(self.tr("platelets and/or WBC below threshold"), "or")
        self.rule.addItem(self.tr("platelets and WBC both below threshold"), "and")
        self.aggregate = QComboBox()
        self.aggregate.addItem(self.tr("mean of the measurements"), "mean")
        self.aggregate.addItem(self.tr("lowest measurement"), "lowest")
        self.window_start = QSpinBox()
        self.window_start.setRange(90, 240)
        self.window_end = QSpinBox()
        self.window_end.setRange(120, 365)
        self.criteria: dict[str, QCheckBox] = {}
        box = QGroupBox(self.tr("Outcome definition (refractory hypersplenism at 6 months)"))
        form = QFormLayout(box)
        form.addRow(self.tr("Platelet threshold"), self.plt)
        form.addRow(self.tr("WBC threshold"), self.wbc)
        form.addRow(self.tr("Cytopenia rule"), self.rule)
        form.addRow(self.tr("Measurements"), self.aggregate)
        window_row = QHBoxLayout()
        window_row.addWidget(self.window_start)
        window_row.addWidget(QLabel(self.tr("to")))
        window_row.addWidget(self.window_end)
        window_row.addWidget(QLabel(self.tr("days after transplant")))
        window_row.addStretch(1)
        form.addRow(self.tr("Assessment window"), window_row)
        for key, label in CRITERIA:
            check = QCheckBox(self.tr(label))
            check.setObjectName(f"criterion_{key}")
            self.criteria[key] = check
            form.addRow("", check)
        self.definition_id = QLabel()
        self.definition_id.setObjectName("definitionId")
        form.addRow(self.tr("Definition id"), self.definition_id)
        self.save_button = QPushButton(self.tr("&Save outcome definition..."))
        self.save_button.setObjectName("saveOutcomeDefinition")
        self.save_button.clicked.connect(lambda: self.save())
        admin = ctx.role == "admin"
        self.save_button.setEnabled(admin)
        note = QLabel(
            self.tr(
                "The study protocol's definition is the default. A change re-derives every recipient's "
                "outcome and is recorded in the audit log with its reason."
            )
            + ("" if admin else "\n" + self.tr("Only administrators can change it."))
        )
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(box)
        layout.addWidget(note)
        layout.addWidget(self.save_button)
        layout.addStretch(1)

    def refresh(self) -> None:
        """Show the definition in force."""
        from hsp_desktop.clinical.outcome import OutcomeDefinition

        d = OutcomeDefinition(**(self.ctx.registry.get_setting("outcome_definition") or {}))
        self.plt.setCurrentIndex(max(0, self.plt.findData(float(d.plt_threshold))))
        self.wbc.setCurrentIndex(max(0, self.wbc.findData(float(d.wbc_threshold))))
        self.rule.setCurrentIndex(max(0, self.rule.findData(d.cytopenia_rule)))
        self.aggregate.setCurrentIndex(max(0, self.aggregate.findData(d.aggregate)))
        self.window_start.setValue(int(d.window[0]))
        self.window_end.setValue(int(d.window[1]))
        for key, check in self.criteria.items():
            check.setChecked(key in d.splenomegaly_criteria)
        self.definition_id.setText(str(d.definition_id))

    def chosen(self) -> dict[str, Any]:
        """The definition as chosen (only the fields that differ from the protocol default are stored)."""
        from hsp_desktop.clinical.outcome import OutcomeDefinition

        chosen: dict[str, Any] = {
            "plt_threshold": self.plt.currentData(),
            "wbc_threshold": self.wbc.currentData(),
            "cytopenia_rule": self.rule.currentData(),
            "aggregate": self.aggregate.currentData(),
            "window": [self.window_start.value(), self.window_end.value()],
            "splenomegaly_criteria": [k for k, c in self.criteria.items() if c.isChecked()],
        }
        default = OutcomeDefinition()
        out = {}
        for key, value in chosen.items():
            current = getattr(default, key)
            if (list(current) if isinstance(current, tuple) else current) != value:
                out[key] = value
        return out

    def save(self, *, reason: str | None = None) -> bool:
        """Confirm how many outcomes are re-derived, ask why, then store the definition; True when saved."""
        registry = self.ctx.registry
        wanted = self.chosen()
        if (registry.get_setting("outcome_definition") or {}) == wanted:
            QMessageBox.information(self, self.tr("Outcome definition"), self.tr("Nothing changed."))
            return False
        n = registry.count()
        answer = QMessageBox.question(
            self,
            self.tr("Re-derive outcomes"),
            self.tr(
                "Changing the outcome definition re-derives the 6-month outcome of all {0} recipients in the "
                "registry. Continue?"
            ).format(n),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return False
        if reason is None:
            text, ok = QInputDialog.getText(
                self, self.tr("Reason for change"), self.tr("Why does the outcome definition change?")
            )
            if not ok or not text.strip():
                return False
            reason = text.strip()
        try:
            registry.set_setting("outcome_definition", wanted, by=self.ctx.user, reason=reason)
        except HspError as exc:
            self.window_.show_error(exc)
            return False
        self.refresh()
        self.ctx.events.followup_changed.emit(self.ctx.current_study_id or "")
        return True

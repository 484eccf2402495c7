"""Recipient: enrolment with the eligibility check and the pre-operative form from the data dictionary."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from hsp_desktop.errors import HspError, ValidationError
from hsp_desktop.gui.context import AppContext
from hsp_desktop.gui.widgets.record_form import RecordForm


def unit_trap_conversions(record: dict[str, Any]) -> list[Any]:
    """The conversions the dictionary would apply only on confirmation (suspected unit traps)."""
    from hsp_desktop.clinical.dictionary import validate_record

    return [c for c in validate_record(record, confirm_units=True).conversions if c.confirmed]


class RecipientPage(QWidget):
    """Enrol a new recipient or edit one; every problem is listed at once, unit traps need confirmation."""

    def __init__(self, ctx: AppContext, window: Any) -> None:
        super().__init__()
        from hsp_desktop.clinical.dictionary import VARIABLES

        self.ctx = ctx
        self.window_ = window
        self.study_id: str | None = None
        self.title = QLabel()
        self.title.setObjectName("recipientTitle")
        self.title.setStyleSheet("font-size: 14pt; font-weight: bold;")
        self.eligibility = QLabel()
        self.eligibility.setObjectName("eligibility")
        self.eligibility.setWordWrap(True)
        language = "zh" if _ui_is_chinese() else "en"
        self.form = RecordForm([v for v in VARIABLES.values()], language=language)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form)
        self.problems = QListWidget()
        self.problems.setObjectName("problems")
        self.problems.setMaximumHeight(120)
        self.problems.hide()
        self.check_button = QPushButton(self.tr("&Check"))
        self.check_button.clicked.connect(self.check)
        self.save_button = QPushButton(self.tr("&Save"))
        self.save_button.setObjectName("saveRecipient")
        self.save_button.clicked.connect(self.save)
        self.measured = QLabel()
        self.measured.setObjectName("caliperProvenance")
        self.measured.setWordWrap(True)
        self.measured.hide()
        #: Caliper values taken on the CT and not yet saved: field -> provenance (series, slice, who, when).
        self.measurements: dict[str, dict[str, Any]] = {}
        self._saved_values: dict[str, Any] = {}
        self._record: dict[str, Any] = {}
        self.imaging_button = QPushButton(self.tr("Continue to &imaging"))
        self.imaging_button.clicked.connect(lambda: self.window_.show_page("imaging"))
        buttons = QHBoxLayout()
        buttons.addWidget(self.check_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.imaging_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.eligibility)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.problems)
        layout.addWidget(self.measured)
        layout.addLayout(buttons)
        ctx.events.recipient_selected.connect(self.load)
        self.start_new()

    # -- loading ------------------------------------------------------------------------------------------------
    def start_new(self) -> None:
        """An empty form for a new recipient (the registry assigns the study id when it is left empty)."""
        self.study_id = None
        self.form.clear()
        self.form.set_read_only("study_id", False)
        self.form.mark_problems(())
        self.problems.clear()
        self.problems.hide()
        self.title.setText(self.tr("New recipient"))
        self.eligibility.setText(self.tr("Eligibility is checked when you save."))
        self.eligibility.setStyleSheet("")
        self.imaging_button.setEnabled(False)
        self.save_button.setEnabled(self.ctx.can_write())
        self._record = {}
        self._forget_measurements()
        self._saved_values = self.form.values()

    def is_dirty(self) -> bool:
        """True when the form holds edits (or caliper values) that are not saved."""
        return bool(self.measurements) or self.form.values() != self._saved_values

    def load(self, study_id: str) -> None:
        """Fill the form with a registered recipient."""
        record = self.ctx.registry.get_recipient(study_id)
        self.study_id = study_id
        self.form.clear()
        self.form.set_values({k: v for k, v in record.items() if k in self.form.widgets})
        self.form.set_read_only("study_id", True)  # the pseudonymous id is permanent
        self.form.mark_problems(())
        self.problems.clear()
        self.problems.hide()
        from hsp_desktop.gui.domain_text import tr_code

        state = self.tr("locked") if record.get("locked") else tr_code(str(record.get("status", "")))
        self.title.setText(self.tr("Recipient {0} ({1})").format(study_id, state))
        self._show_eligibility(bool(record.get("eligible")), record.get("exclusion_reasons") or [])
        self.imaging_button.setEnabled(bool(record.get("eligible")))
        self.save_button.setEnabled(self.ctx.can_write())
        self._record = dict(record)
        self._forget_measurements()
        self._saved_values = self.form.values()

    def refresh(self) -> None:
        """Reload the current recipient (another screen may have changed it), unless the form holds edits."""
        if self.study_id is not None and not self.is_dirty():
            self.load(self.study_id)

    # -- caliper values from the viewer -----------------------------------------------------------------------
    def apply_measurement(self, field: str, value: float, provenance: dict[str, Any]) -> None:
        """Put a ruler measurement into its field and keep where it came from (saved into the audit trail)."""
        if field not in self.form.widgets:
            return
        self.form.set_value(field, value)
        self.measurements[field] = dict(provenance)
        widget = self.form.widgets[field]
        widget.setStyleSheet("background: #e3f2fd;")
        widget.setToolTip(self._provenance_text(field, value, provenance))
        self._show_measurements()

    def _provenance_text(self, field: str, value: Any, p: dict[str, Any]) -> str:
        var = self.form.variables[field]
        return self.tr("{0} = {1} {2}: CT ruler on {3} slice {4}, series {5}, by {6} at {7} (UTC)").format(
            var.label_en if not _ui_is_chinese() else var.label_zh, value, var.unit, QCoreApplication.translate("SliceViewer", str(p.get("plane", "")).capitalize()),
            p.get("slice"), p.get("series"), p.get("by"), p.get("at"),
        )  # fmt: skip

    def _show_measurements(self) -> None:
        values = self.form.values()
        lines = [self._provenance_text(f, values.get(f), p) for f, p in self.measurements.items()]
        self.measured.setText(self.tr("Measured on the CT (not yet saved):") + "\n" + "\n".join(lines))
        self.measured.setVisible(bool(lines))

    def _forget_measurements(self) -> None:
        for field in self.measurements:
            self.form.widgets[field].setStyleSheet("")
        self.measurements.clear()
        self.measured.hide()

    def caliper_note(self) -> str:
        """The audit note for caliper values: field, value, series, slice, who and when."""
        values = self.form.values()
        return "; ".join(
            f"CT caliper {f}={values.get(f)} (series {p.get('series')}, {p.get('plane')} slice {p.get('slice')}, "
            f"by {p.get('by')} at {p.get('at')})"
            for f, p in self.measurements.items()
        )

    def _show_eligibility(self, eligible: bool, reasons: list[str]) -> None:
        if eligible:
            self.eligibility.setText(self.tr("Eligible for the study."))
            self.eligibility.setStyleSheet("color: #1b7f3b; font-weight: bold;")
        else:
            self.eligibility.setText(self.tr("NOT eligible: {0}").format("; ".join(reasons)))
            self.eligibility.setStyleSheet("color: #b00020; font-weight: bold;")

    # -- checking and saving --------------------------------------------------------------------------------------
    def check(self) -> bool:
        """Validate the form with the data dictionary and show every problem; returns True when none."""
        from hsp_desktop.clinical.dictionary import validate_record
        from hsp_desktop.clinical.eligibility import check_eligibility

        record = self.form.values()
        result = validate_record(record)
        self._show_problems(result.problems)
        eligible, reasons = check_eligibility(result.values)
        self._show_eligibility(eligible, reasons)
        return result.ok

    def _show_problems(self, problems: list[Any]) -> None:
        self.problems.clear()
        for p in problems:
            self.problems.addItem(f"{p.field}: {p.reason} - {p.fix}")
        self.problems.setVisible(bool(problems))
        self.form.mark_problems(p.field for p in problems)

    def save(self, *, reason: str | None = None) -> str | None:
        """Save through the registry; unit traps are converted only after the user confirms each."""
        record = self.form.values()
        traps = unit_trap_conversions(record)
        confirm = False
        if traps:
            text = "\n".join(str(c) for c in traps)
            answer = QMessageBox.question(
                self,
                self.tr("Confirm unit conversion"),
                self.tr(
                    "These values look like they were entered in another unit:\n\n{0}\n\nConvert them?"
                ).format(text),
            )
            if answer != QMessageBox.StandardButton.Yes:
                self.check()
                return None
            confirm = True
        note = self.caliper_note()
        if note and reason is None and self.study_id is not None and self._needs_reason():
            reason = self._ask_reason()
            if reason is None:
                return None
        try:
            if self.study_id is None:
                sid = self.ctx.registry.add_recipient(record, by=self.ctx.user, confirm_units=confirm)
                if note:  # the measured values again, so the audit trail carries their provenance
                    measured = {f: record[f] for f in self.measurements}
                    self.ctx.registry.update_preop(sid, measured, by=self.ctx.user, reason=note)
            else:
                sid = self.study_id
                changes = {k: v for k, v in record.items() if k != "study_id"}
                full = "; ".join(x for x in (reason, note) if x) or None
                self.ctx.registry.update_preop(
                    sid, changes, by=self.ctx.user, reason=full, confirm_units=confirm
                )
        except ValidationError as exc:
            if exc.field == "reason" and reason is None:
                asked = self._ask_reason()
                return self.save(reason=asked) if asked else None
            self._show_problems(exc.problems)
            return None
        except HspError as exc:
            self.window_.show_error(exc)
            return None
        self._forget_measurements()
        self._saved_values = self.form.values()
        self.ctx.events.recipients_changed.emit()
        self.ctx.select(str(sid))
        self.load(str(sid))
        return str(sid)

    def _needs_reason(self) -> bool:
        """A registered recipient that is locked or already scored needs a reason for any change."""
        return bool(self._record.get("locked")) or self._record.get("status") not in (
            None,
            "enrolled",
            "excluded",
        )

    def _ask_reason(self) -> str | None:
        text, ok = QInputDialog.getText(
            self,
            self.tr("Reason for change"),
            self.tr("This recipient is locked or already scored. Reason for the change:"),
        )
        return text.strip() if ok and text.strip() else None


def _ui_is_chinese() -> bool:
    from PySide6.QtCore import QSettings

    return bool(QSettings("HSP", "HSP Desktop").value("ui/language") == "zh_CN")

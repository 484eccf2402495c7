"""A form generated from the data dictionary: one field per variable, units shown, problems marked."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from hsp_desktop.gui.noop import QT_TRANSLATE_NOOP
from hsp_desktop.reporting.i18n import unit_text

GROUP_TITLES = {
    "identity": QT_TRANSLATE_NOOP("RecordForm", "Identity and dates"),
    "eligibility": QT_TRANSLATE_NOOP("RecordForm", "Enrolment and exclusion criteria"),
    "demographics": QT_TRANSLATE_NOOP("RecordForm", "Demographics"),
    "liver": QT_TRANSLATE_NOOP("RecordForm", "Liver disease and graft"),
    "labs": QT_TRANSLATE_NOOP("RecordForm", "Laboratory (pre-operative)"),
    "portal_hypertension": QT_TRANSLATE_NOOP("RecordForm", "Portal hypertension"),
    "imaging": QT_TRANSLATE_NOOP("RecordForm", "CT measurements"),
}
GROUP_ORDER = ("identity", "eligibility", "demographics", "liver", "labs", "portal_hypertension", "imaging")
ERROR_STYLE = "border: 2px solid #b00020;"
#: English display names of category codes (the dictionary keeps the codes; Chinese labels come from it).
CHOICE_LABELS_EN = {
    "M": "Male",
    "F": "Female",
    "hbv": "HBV",
    "hcv": "HCV",
    "alcohol": "Alcohol",
    "autoimmune": "Autoimmune / PBC / PSC",
    "masld": "MASLD / cryptogenic",
    "other": "Other",
    "deceased_whole": "Deceased donor, whole graft",
    "living": "Living donor",
    "split": "Split graft",
    "development": "Development (retrospective)",
    "validation": "Validation (prospective)",
}


def _label(var: Any, language: str) -> str:
    return str(var.label_zh if language == "zh" and var.label_zh else var.label_en)


class RecordForm(QWidget):
    """Editable fields for the dictionary variables given, grouped by the dictionary's form sections.

    ``values()`` returns what was typed (text, with any unit the user wrote); validation is the dictionary's
    ``validate_record`` — the form only shows its problems (``mark_problems``).
    """

    def __init__(self, variables: Iterable[Any], *, language: str = "en", columns: int = 2) -> None:
        super().__init__()
        self.widgets: dict[str, QWidget] = {}
        self.variables = {v.name: v for v in variables}
        groups: dict[str, list[Any]] = {}
        for var in self.variables.values():
            groups.setdefault(var.group or "other", []).append(var)
        layout = QGridLayout(self)
        order = [g for g in GROUP_ORDER if g in groups] + [g for g in groups if g not in GROUP_ORDER]
        for i, group in enumerate(order):
            box = QGroupBox(self.tr(GROUP_TITLES.get(group, group.replace("_", " ").capitalize())))
            form = QFormLayout(box)
            for var in groups[group]:
                widget = self._make_widget(var, language)
                self.widgets[var.name] = widget
                row = QHBoxLayout()
                row.addWidget(widget, 1)
                if var.unit:  # the reports' unit table: "years" -> 岁, "points" -> 分
                    row.addWidget(QLabel(unit_text(var.unit, "zh" if language == "zh" else "en")))
                label = _label(var, language) + (" *" if var.required else "")
                form.addRow(label, row)
            layout.addWidget(box, i // columns, i % columns)

    def _make_widget(self, var: Any, language: str) -> QWidget:
        tip = var.help_en or ""
        if var.range is not None:
            accepted = self.tr("Accepted range")
            tip += f"\n{accepted}: {var.range[0]:g}-{var.range[1]:g} {var.unit}".rstrip()
        if var.alt_units:
            tip += (
                "\n" + self.tr("Also accepted with its unit: ") + ", ".join(u.symbol for u in var.alt_units)
            )
        if var.derived:
            tip += "\n" + self.tr("Computed automatically when left empty.")
        widget: QWidget
        if var.type in ("binary", "category"):
            combo = QComboBox()
            combo.addItem("", None)
            if var.type == "binary":
                combo.addItem(self.tr("No") if language != "zh" else "否", 0)
                combo.addItem(self.tr("Yes") if language != "zh" else "是", 1)
            else:
                if language == "zh" and var.choice_labels_zh:
                    labels = var.choice_labels_zh
                else:
                    labels = tuple(CHOICE_LABELS_EN.get(c, str(c)) for c in var.choices or ())
                for value, text in zip(var.choices or (), labels or (), strict=False):
                    combo.addItem(str(text), value)
            widget = combo
        else:
            edit = QLineEdit()
            if var.type == "date":
                edit.setPlaceholderText("YYYY-MM-DD")
            elif var.derived:
                edit.setPlaceholderText(self.tr("auto"))
            edit.setClearButtonEnabled(True)
            widget = edit
        widget.setObjectName(var.name)
        widget.setToolTip(tip.strip())
        widget.setAccessibleName(var.label_en)
        return widget

    def values(self) -> dict[str, Any]:
        """Field name -> typed value (None when empty)."""
        out: dict[str, Any] = {}
        for name, widget in self.widgets.items():
            if isinstance(widget, QComboBox):
                out[name] = widget.currentData()
            elif isinstance(widget, QLineEdit):
                text = widget.text().strip()
                out[name] = text or None
        return out

    def set_values(self, values: Mapping[str, Any]) -> None:
        """Fill the fields (missing keys clear nothing)."""
        for name, value in values.items():
            widget = self.widgets.get(name)
            if isinstance(widget, QComboBox):
                index = widget.findData(value)
                if index < 0 and value is not None:
                    index = widget.findData(int(value)) if isinstance(value, float | bool) else -1
                widget.setCurrentIndex(max(index, 0))
            elif isinstance(widget, QLineEdit):
                widget.setText("" if value is None else _format(value, self.variables[name]))

    def set_value(self, name: str, value: Any) -> None:
        """Fill one field."""
        self.set_values({name: value})

    def set_read_only(self, name: str, read_only: bool) -> None:
        """Lock one field (e.g. the permanent study id of a registered recipient)."""
        widget = self.widgets.get(name)
        if isinstance(widget, QLineEdit):
            widget.setReadOnly(read_only)
        elif widget is not None:
            widget.setEnabled(not read_only)

    def clear(self) -> None:
        """Empty every field."""
        self.set_values(dict.fromkeys(self.widgets))

    def mark_problems(self, fields: Iterable[str]) -> None:
        """Outline the fields that have problems; clear the others."""
        bad = set(fields)
        for name, widget in self.widgets.items():
            widget.setStyleSheet(ERROR_STYLE if name in bad else "")


def _format(value: Any, var: Any) -> str:
    if isinstance(value, float):
        if var.decimals is not None:
            return f"{value:.{var.decimals}f}"
        return f"{value:g}"
    return str(value)

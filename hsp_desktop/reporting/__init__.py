"""PDF reports: the patient risk report for the surgical chart and the TRIPOD+AI model validation report.

Public API (ReportLab is imported only when a report is rendered):

- :class:`~hsp_desktop.reporting.inputs.PatientReportInputs` (alias ``ReportInputs``) and
  :func:`~hsp_desktop.reporting.patient.render_patient_report`;
- :class:`~hsp_desktop.reporting.inputs.ValidationReportInputs` and
  :func:`~hsp_desktop.reporting.validation.render_validation_report`;
- :mod:`~hsp_desktop.reporting.build`: the inputs from the registry and a model bundle.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from hsp_desktop.reporting.inputs import PatientReportInputs, ValidationReportInputs

if TYPE_CHECKING:
    from hsp_desktop.reporting.patient import render_patient_report
    from hsp_desktop.reporting.validation import render_validation_report

ReportInputs = PatientReportInputs

#: Public name -> the module that defines it (imported on first access: ReportLab is heavy).
_EXPORTS = {
    "render_patient_report": "hsp_desktop.reporting.patient",
    "render_validation_report": "hsp_desktop.reporting.validation",
}

__all__ = [
    "PatientReportInputs",
    "ReportInputs",
    "ValidationReportInputs",
    "render_patient_report",
    "render_validation_report",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'hsp_desktop.reporting' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})

"""PDF reports: the patient risk report for the surgical chart and the TRIPOD+AI model validation report.

Public API (ReportLab is imported only when a report is rendered):

- :class:`~hsp_desktop.reporting.inputs.PatientReportInputs` (alias ``ReportInputs``) and
  :func:`~hsp_desktop.reporting.patient.render_patient_report`;
- :class:`~hsp_desktop.reporting.inputs.ValidationReportInputs` and
  :func:`~hsp_desktop.reporting.validation.render_validation_report`;
- :mod:`~hsp_desktop.reporting.build`: the inputs from the registry and a model bundle.
"""

from __future__ import annotations

from typing import Any

from hsp_desktop.reporting.inputs import PatientReportInputs, ValidationReportInputs

ReportInputs = PatientReportInputs

__all__ = [
    "PatientReportInputs",
    "ReportInputs",
    "ValidationReportInputs",
    "render_patient_report",
    "render_validation_report",
]


def __getattr__(name: str) -> Any:
    if name == "render_patient_report":
        from hsp_desktop.reporting.patient import render_patient_report

        return render_patient_report
    if name == "render_validation_report":
        from hsp_desktop.reporting.validation import render_validation_report

        return render_validation_report
    raise AttributeError(f"module 'hsp_desktop.reporting' has no attribute {name!r}")

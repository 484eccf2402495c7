"""Prospective validation of the locked model as 6-month outcomes accrue: monitoring, drift, updating."""

from hsp_desktop.validation.monitor import monitor, monitor_records, monitor_registry, records_from_registry
from hsp_desktop.validation.prospective import ProspectiveSummary, summarise, summarise_registry

__all__ = [
    "ProspectiveSummary",
    "monitor",
    "monitor_records",
    "monitor_registry",
    "records_from_registry",
    "summarise",
    "summarise_registry",
]

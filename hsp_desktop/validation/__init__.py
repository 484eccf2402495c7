"""Prospective validation of the locked model as 6-month outcomes accrue."""

from hsp_desktop.validation.prospective import ProspectiveSummary, summarise, summarise_registry

__all__ = ["ProspectiveSummary", "summarise", "summarise_registry"]

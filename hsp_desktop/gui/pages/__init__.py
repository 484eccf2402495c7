"""The screens of the main window, in navigation order."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QWidget

from hsp_desktop.gui.context import AppContext


def build_pages(ctx: AppContext, window: Any) -> list[tuple[str, str, QWidget]]:
    """Create every screen: ``(key, translated title, widget)``."""
    from hsp_desktop.gui.pages.about import AboutPage
    from hsp_desktop.gui.pages.admin import AdminPage
    from hsp_desktop.gui.pages.audit import AuditPage
    from hsp_desktop.gui.pages.chart import ChartPage
    from hsp_desktop.gui.pages.dashboard import DashboardPage
    from hsp_desktop.gui.pages.federation import FederationPage
    from hsp_desktop.gui.pages.followup import FollowUpPage
    from hsp_desktop.gui.pages.help import HelpPage
    from hsp_desktop.gui.pages.imaging import ImagingPage
    from hsp_desktop.gui.pages.models_page import ModelsPage
    from hsp_desktop.gui.pages.outcome_page import OutcomePage
    from hsp_desktop.gui.pages.pacs import PacsPage
    from hsp_desktop.gui.pages.recipient import RecipientPage
    from hsp_desktop.gui.pages.research import ResearchPage
    from hsp_desktop.gui.pages.score import ScorePage
    from hsp_desktop.gui.pages.segment import SegmentPage
    from hsp_desktop.gui.pages.settings_page import SettingsPage
    from hsp_desktop.gui.pages.start import StartPage
    from hsp_desktop.gui.pages.worklist import WorklistPage

    screens: list[tuple[str, str, type[QWidget]]] = [
        ("start", QCoreApplication.translate("pages", "Getting started"), StartPage),
        ("worklist", QCoreApplication.translate("pages", "Worklist"), WorklistPage),
        ("recipient", QCoreApplication.translate("pages", "Recipient"), RecipientPage),
        ("chart", QCoreApplication.translate("pages", "Recipient chart"), ChartPage),
        ("pacs", QCoreApplication.translate("pages", "PACS"), PacsPage),
        ("imaging", QCoreApplication.translate("pages", "Imaging"), ImagingPage),
        ("segment", QCoreApplication.translate("pages", "Segment"), SegmentPage),
        ("score", QCoreApplication.translate("pages", "Score"), ScorePage),
        ("followup", QCoreApplication.translate("pages", "Follow-up"), FollowUpPage),
        ("dashboard", QCoreApplication.translate("pages", "Validation dashboard"), DashboardPage),
        ("models", QCoreApplication.translate("pages", "Models"), ModelsPage),
        ("research", QCoreApplication.translate("pages", "Research"), ResearchPage),
        ("federation", QCoreApplication.translate("pages", "Federation"), FederationPage),
        ("outcome", QCoreApplication.translate("pages", "Outcome definition"), OutcomePage),
        ("admin", QCoreApplication.translate("pages", "Administration"), AdminPage),
        ("settings", QCoreApplication.translate("pages", "Settings"), SettingsPage),
        ("audit", QCoreApplication.translate("pages", "Audit log"), AuditPage),
        ("help", QCoreApplication.translate("pages", "Help"), HelpPage),
        ("about", QCoreApplication.translate("pages", "About"), AboutPage),
    ]
    return [(key, title, cls(ctx, window)) for key, title, cls in screens]  # type: ignore[arg-type]

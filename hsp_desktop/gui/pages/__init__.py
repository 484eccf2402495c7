"""The screens of the main window, in navigation order."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QWidget

from hsp_desktop.gui.context import AppContext


def build_pages(ctx: AppContext, window: Any) -> list[tuple[str, str, QWidget]]:
    """Create every screen: ``(key, translated title, widget)``."""
    from hsp_desktop.gui.pages.about import AboutPage
    from hsp_desktop.gui.pages.audit import AuditPage
    from hsp_desktop.gui.pages.dashboard import DashboardPage
    from hsp_desktop.gui.pages.federation import FederationPage
    from hsp_desktop.gui.pages.followup import FollowUpPage
    from hsp_desktop.gui.pages.imaging import ImagingPage
    from hsp_desktop.gui.pages.models_page import ModelsPage
    from hsp_desktop.gui.pages.recipient import RecipientPage
    from hsp_desktop.gui.pages.research import ResearchPage
    from hsp_desktop.gui.pages.score import ScorePage
    from hsp_desktop.gui.pages.settings_page import SettingsPage
    from hsp_desktop.gui.pages.worklist import WorklistPage

    tr = QCoreApplication.translate
    screens: list[tuple[str, str, type[QWidget]]] = [
        ("worklist", tr("pages", "Worklist"), WorklistPage),
        ("recipient", tr("pages", "Recipient"), RecipientPage),
        ("imaging", tr("pages", "Imaging"), ImagingPage),
        ("score", tr("pages", "Score"), ScorePage),
        ("followup", tr("pages", "Follow-up"), FollowUpPage),
        ("dashboard", tr("pages", "Validation dashboard"), DashboardPage),
        ("models", tr("pages", "Models"), ModelsPage),
        ("research", tr("pages", "Research"), ResearchPage),
        ("federation", tr("pages", "Federation"), FederationPage),
        ("settings", tr("pages", "Settings"), SettingsPage),
        ("audit", tr("pages", "Audit log"), AuditPage),
        ("about", tr("pages", "About"), AboutPage),
    ]
    return [(key, title, cls(ctx, window)) for key, title, cls in screens]  # type: ignore[call-arg]

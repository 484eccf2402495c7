"""First-run checklist: what a new installation needs before the ward can use it, each with a button to do it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import QGridLayout, QGroupBox, QLabel, QPushButton, QVBoxLayout, QWidget

from hsp_desktop.gui.context import AppContext
from hsp_desktop.gui.noop import QT_TRANSLATE_NOOP


@dataclass(frozen=True)
class Step:
    """One checklist item: how to tell it is done, and the screen where it is done."""

    key: str
    title: str
    how: str
    screen: str


STEPS = (
    Step(
        "users",
        QT_TRANSLATE_NOOP("StartPage", "Create the ward's user accounts"),
        QT_TRANSLATE_NOOP(
            "StartPage",
            "One account per person (clinician, coordinator, read-only); nobody shares the administrator account.",
        ),
        "admin",
    ),
    Step(
        "site_key",
        QT_TRANSLATE_NOOP("StartPage", "Site key for names and MRNs"),
        QT_TRANSLATE_NOOP(
            "StartPage",
            "Without a site key the registry stores study IDs only. IT creates it once with `hsp registry init` and "
            "keeps a copy outside this PC.",
        ),
        "admin",
    ),
    Step(
        "recipients",
        QT_TRANSLATE_NOOP("StartPage", "Import or enrol recipients"),
        QT_TRANSLATE_NOOP(
            "StartPage", "Import clinical.csv (Administration) or enrol one recipient at a time (Recipient)."
        ),
        "admin",
    ),
    Step(
        "model",
        QT_TRANSLATE_NOOP("StartPage", "Install the centre's locked model bundle"),
        QT_TRANSLATE_NOOP(
            "StartPage",
            "The shipped demo model is trained on synthetic data; install and activate the centre's own.",
        ),
        "models",
    ),
    Step(
        "selftest",
        QT_TRANSLATE_NOOP("StartPage", "Run the self-test"),
        QT_TRANSLATE_NOOP(
            "StartPage",
            "Checks the radiomics engine, the model hashes, a known recipient and the registry backup.",
        ),
        "about",
    ),
)


def checklist(ctx: AppContext) -> dict[str, bool]:
    """Which first-run steps are done on this installation."""
    from hsp_desktop.modelstore import SETTING
    from hsp_desktop.selftest import first_start_selftest_due

    registry = ctx.registry
    return {
        "users": len(registry.users()) > 1,
        "site_key": bool(registry.has_site_key),
        "recipients": registry.count() > 0,
        "model": bool(registry.get_setting(SETTING)),
        "selftest": not first_start_selftest_due(frozen_only=False),
    }


class StartPage(QWidget):
    """The first-run checklist; each step shows done or to do, with a button to the screen that does it."""

    def __init__(self, ctx: AppContext, window: Any) -> None:
        super().__init__()
        self.ctx = ctx
        self.window_ = window
        title = QLabel(self.tr("Getting started"))
        title.setStyleSheet("font-size: 14pt; font-weight: bold;")
        intro = QLabel(
            self.tr(
                "Before the ward uses this workstation, complete these steps. The list updates as you go; "
                "Help explains the daily workflow."
            )
        )
        intro.setWordWrap(True)
        box = QGroupBox(self.tr("Checklist"))
        grid = QGridLayout(box)
        self.states: dict[str, QLabel] = {}
        self.buttons: dict[str, QPushButton] = {}
        for row, step in enumerate(STEPS):
            state = QLabel()
            state.setObjectName(f"step_{step.key}")
            text = QLabel(f"<b>{self.tr(step.title)}</b><br>{self.tr(step.how)}")
            text.setWordWrap(True)
            button = QPushButton(self.tr("Open"))
            button.setObjectName(f"go_{step.key}")
            button.clicked.connect(self._go(step.screen))
            self.states[step.key] = state
            self.buttons[step.key] = button
            grid.addWidget(state, row, 0)
            grid.addWidget(text, row, 1)
            grid.addWidget(button, row, 2)
        grid.setColumnStretch(1, 1)
        self.summary = QLabel()
        self.summary.setObjectName("checklistSummary")
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addWidget(box)
        layout.addWidget(self.summary)
        layout.addStretch(1)

    def _go(self, screen: str) -> Callable[[], None]:
        return lambda: self.window_.show_page(screen)

    def refresh(self) -> None:
        """Re-check every step."""
        done = checklist(self.ctx)
        for key, label in self.states.items():
            label.setText("✔ " + self.tr("done") if done[key] else "○ " + self.tr("to do"))
            label.setStyleSheet("color: #1b7f3b; font-weight: bold;" if done[key] else "color: #b26a00;")
        left = sum(1 for v in done.values() if not v)
        self.summary.setText(
            self.tr("All steps done: the workstation is ready.")
            if left == 0
            else self.tr("{0} of {1} steps still to do.").format(left, len(done))
        )

    def complete(self) -> bool:
        """True when every step is done (the app then opens on the Worklist)."""
        return all(checklist(self.ctx).values())

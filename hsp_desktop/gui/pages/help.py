"""Help: the ward's workflow step by step, and every keyboard and mouse shortcut (nothing points at unshipped docs)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from hsp_desktop.gui.context import AppContext
from hsp_desktop.gui.noop import QT_TRANSLATE_NOOP

WORKFLOW = (
    QT_TRANSLATE_NOOP(
        "HelpPage",
        "Worklist: find the recipient (search by study ID) or start a new one; double-click opens it.",
    ),
    QT_TRANSLATE_NOOP(
        "HelpPage",
        "Recipient: enrol (eligibility is checked on saving) and complete the pre-operative form; values that look "
        "typed in another unit are offered for conversion.",
    ),
    QT_TRANSLATE_NOOP(
        "HelpPage",
        "Imaging: choose the pre-operative portal-venous CT (DICOM folder or file, or drop it on the screen) and the "
        "spleen/liver mask; read the quality-control table. Measure spleen length and portal / splenic vein "
        "diameters with the Ruler and send them to the pre-operative form.",
    ),
    QT_TRANSLATE_NOOP(
        "HelpPage",
        "Score: runs QC, radiomics, the CNN and the locked model in the background (Cancel stops it, nothing "
        "half-done is saved) and writes the PDF report for the chart.",
    ),
    QT_TRANSLATE_NOOP(
        "HelpPage",
        "Follow-up: record visits at days 30, 90 and 180 (targets and windows are shown); correct or delete a "
        "visit with a reason. The 6-month outcome is derived by the protocol's definition.",
    ),
    QT_TRANSLATE_NOOP(
        "HelpPage",
        "Validation dashboard: how the locked model performs on the prospective recipients whose outcome is known.",
    ),
    QT_TRANSLATE_NOOP(
        "HelpPage",
        "Administrators: user accounts and CSV import/export (Administration), backups (Settings), the outcome "
        "definition (its own screen) and the audit log.",
    ),
)
GLOBAL_SHORTCUTS = (
    (
        QT_TRANSLATE_NOOP("HelpPage", "Ctrl+1 ... Ctrl+9"),
        QT_TRANSLATE_NOOP("HelpPage", "go to the n-th screen"),
    ),
    (QT_TRANSLATE_NOOP("HelpPage", "Ctrl+L"), QT_TRANSLATE_NOOP("HelpPage", "lock the screen")),
    (QT_TRANSLATE_NOOP("HelpPage", "F1"), QT_TRANSLATE_NOOP("HelpPage", "this help")),
    (
        QT_TRANSLATE_NOOP("HelpPage", "Ctrl+Q"),
        QT_TRANSLATE_NOOP("HelpPage", "quit (asks first if work is unsaved)"),
    ),
)


class HelpPage(QWidget):
    """The workflow and the shortcuts, in the interface language."""

    def __init__(self, ctx: AppContext, window: Any) -> None:
        super().__init__()
        from hsp_desktop.gui.widgets.slice_viewer import shortcut_rows

        self.ctx = ctx
        self.window_ = window
        steps = "".join(f"<li>{self.tr(s)}</li>" for s in WORKFLOW)
        heading = self.tr("The workflow")
        workflow = QLabel(f"<h3>{heading}</h3><ol>{steps}</ol>")
        workflow.setObjectName("workflowHelp")
        workflow.setWordWrap(True)
        rows = [(self.tr(k), self.tr(a)) for k, a in GLOBAL_SHORTCUTS] + shortcut_rows()
        self.shortcuts = QTableWidget(len(rows), 2)
        self.shortcuts.setObjectName("shortcuts")
        self.shortcuts.setHorizontalHeaderLabels([self.tr("Keys / mouse"), self.tr("Action")])
        self.shortcuts.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.shortcuts.horizontalHeader().setStretchLastSection(True)
        self.shortcuts.verticalHeader().setVisible(False)
        for r, (keys, action) in enumerate(rows):
            self.shortcuts.setItem(r, 0, QTableWidgetItem(keys))
            self.shortcuts.setItem(r, 1, QTableWidgetItem(action))
        more = QLabel(
            self.tr(
                "On the command line, `hsp --help` lists every command and `hsp registry --help` the registry's; "
                "the About screen runs the self-test."
            )
        )
        more.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(workflow)
        keys_heading = self.tr("Keyboard and mouse")
        layout.addWidget(QLabel(f"<h3>{keys_heading}</h3>"))
        layout.addWidget(self.shortcuts, 1)
        layout.addWidget(more)

"""Prospective validation dashboard: the locked model's AUC with CI, calibration, bands, overdue follow-ups."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QGroupBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hsp_desktop.gui.context import AppContext


class DashboardPage(QWidget):
    """Figures recomputed from the registry every time the screen is shown or an outcome changes."""

    def __init__(self, ctx: AppContext, window: Any) -> None:
        super().__init__()
        self.ctx = ctx
        self.window_ = window
        self.counts = QLabel()
        self.counts.setObjectName("dashboardCounts")
        self.counts.setWordWrap(True)
        self.auc = QLabel()
        self.auc.setObjectName("dashboardAuc")
        self.auc.setStyleSheet("font-size: 14pt; font-weight: bold;")
        self.auc.setWordWrap(True)
        self.notes = QLabel()
        self.notes.setWordWrap(True)
        self.plot = QLabel()
        self.plot.setObjectName("calibrationPlot")
        self.plot.setMinimumSize(320, 320)
        self.bands = QTableWidget(0, 5)
        self.bands.setObjectName("bandTable")
        self.bands.setHorizontalHeaderLabels(
            [
                self.tr("Band"),
                self.tr("Recipients"),
                self.tr("Events"),
                self.tr("Mean predicted"),
                self.tr("Observed"),
            ]
        )
        self.bands.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.bands.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.bands.verticalHeader().setVisible(False)
        self.bands.setMaximumHeight(140)
        self.overdue = QTableWidget(0, 3)
        self.overdue.setObjectName("overdueTable")
        self.overdue.setHorizontalHeaderLabels([self.tr("Study ID"), self.tr("Visit"), self.tr("Status")])
        self.overdue.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.overdue.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.overdue.verticalHeader().setVisible(False)

        figures = QGroupBox(self.tr("Locked model on recipients with a known 6-month outcome"))
        grid = QGridLayout(figures)
        grid.addWidget(self.counts, 0, 0)
        grid.addWidget(self.auc, 1, 0)
        grid.addWidget(self.notes, 2, 0)
        grid.addWidget(QLabel(self.tr("Observed vs predicted by risk band")), 3, 0)
        grid.addWidget(self.bands, 4, 0)
        grid.addWidget(self.plot, 0, 1, 6, 1)
        grid.setRowStretch(5, 1)
        follow = QGroupBox(self.tr("Follow-up visits due or overdue"))
        follow_layout = QVBoxLayout(follow)
        follow_layout.addWidget(self.overdue)
        layout = QVBoxLayout(self)
        layout.addWidget(figures, 2)
        layout.addWidget(follow, 1)
        ctx.events.followup_changed.connect(self._data_changed)
        ctx.events.prediction_saved.connect(self._data_changed)

    def _data_changed(self, *_args: object) -> None:
        # screens not on show are refreshed when the user opens them (MainWindow calls refresh)
        if self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        """Recompute every figure from the registry."""
        from hsp_desktop.validation.prospective import calibration_png, summarise_registry

        s = summarise_registry(self.ctx.registry)
        self.counts.setText(
            self.tr("{0} scored, {1} with outcome ({2} events), {3} pending, {4} competing events.").format(
                s.n_scored, s.n_outcome, s.n_events, s.n_pending, s.n_competing
            )
        )
        if s.auc is not None and s.auc_ci is not None:
            self.auc.setText(
                self.tr(
                    "AUC {0:.3f} (95% CI {1:.3f}-{2:.3f}); calibration slope {3:.2f}, intercept {4:.2f}; Brier {5:.3f}"
                ).format(
                    s.auc, s.auc_ci[0], s.auc_ci[1], s.calibration_slope, s.calibration_intercept, s.brier
                )
            )
        else:
            self.auc.setText(self.tr("AUC not yet available"))
        self.notes.setText("\n".join(s.notes))
        self.bands.setRowCount(len(s.bands))
        for r, b in enumerate(s.bands):
            for c, v in enumerate((b.band, b.n, b.events, f"{b.mean_predicted:.0%}", f"{b.observed:.0%}")):
                self.bands.setItem(r, c, QTableWidgetItem(str(v)))
        pixmap = QPixmap()
        pixmap.loadFromData(calibration_png(s))
        self.plot.setPixmap(pixmap)
        due = self.ctx.registry.followups_due(dt.date.today())
        self.overdue.setRowCount(len(due))
        for r, row in enumerate(due):
            late = row.get("days_overdue") or 0
            state = (
                self.tr("{0} days overdue").format(late) if row.get("state") == "overdue" else self.tr("due")
            )
            values = (row.get("study_id"), self.tr("day {0}").format(row.get("day")), state)
            for c, v in enumerate(values):
                self.overdue.setItem(r, c, QTableWidgetItem("" if v is None else str(v)))

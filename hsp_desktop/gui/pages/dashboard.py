"""Prospective validation dashboard: per locked bundle calibration, CUSUM, drift, competing risks, alarms.

The numbers are the monitoring report of :mod:`hsp_desktop.validation.monitor`: the same mapping
``hsp monitor --json`` prints.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hsp_desktop.gui.context import AppContext

log = logging.getLogger(__name__)


def _table(name: str, headers: list[str]) -> QTableWidget:
    t = QTableWidget(0, len(headers))
    t.setObjectName(name)
    t.setHorizontalHeaderLabels(headers)
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    t.verticalHeader().setVisible(False)
    return t


def _fill(table: QTableWidget, rows: list[tuple[Any, ...]]) -> None:
    table.setRowCount(len(rows))
    for r, values in enumerate(rows):
        for c, v in enumerate(values):
            table.setItem(r, c, QTableWidgetItem("" if v is None else str(v)))


class DashboardPage(QWidget):
    """Figures recomputed from the registry every time the screen is shown or an outcome changes."""

    def __init__(self, ctx: AppContext, window: Any) -> None:
        super().__init__()
        self.ctx = ctx
        self.window_ = window
        self.report: dict[str, Any] | None = None
        self.worker: Any = None
        self._pending = False
        #: charts computed with the report (key -> PNG bytes): drawn off the GUI thread
        self._charts: dict[str, bytes] = {}
        self.counts = QLabel()
        self.counts.setObjectName("dashboardCounts")
        self.counts.setWordWrap(True)
        self.bundle = QComboBox()
        self.bundle.setObjectName("bundleChoice")
        self.bundle.currentIndexChanged.connect(self._show_bundle)
        self.alarms = QLabel()
        self.alarms.setObjectName("dashboardAlarms")
        self.alarms.setWordWrap(True)
        self.identity = QLabel()
        self.identity.setObjectName("bundleIdentity")
        self.identity.setWordWrap(True)
        self.auc = QLabel()
        self.auc.setObjectName("dashboardAuc")
        self.auc.setStyleSheet("font-size: 12pt; font-weight: bold;")
        self.auc.setWordWrap(True)
        self.notes = QLabel()
        self.notes.setObjectName("dashboardNotes")
        self.notes.setWordWrap(True)
        self.competing = QLabel()
        self.competing.setObjectName("competingRisks")
        self.competing.setWordWrap(True)
        self.secondary = QLabel()
        self.secondary.setObjectName("secondaryOutcomes")
        self.secondary.setWordWrap(True)
        self.plot = QLabel()
        self.plot.setObjectName("calibrationPlot")
        self.plot.setMinimumSize(300, 300)
        self.cusum = QLabel()
        self.cusum.setObjectName("cusumPlot")
        self.cusum.setMinimumSize(420, 250)
        self.trajectories = QLabel()
        self.trajectories.setObjectName("trajectoryPlot")
        self.bands = _table(
            "bandTable",
            [
                self.tr("Band"),
                self.tr("Recipients"),
                self.tr("Events"),
                self.tr("Mean predicted"),
                self.tr("Observed"),
            ],
        )
        self.bands.setMaximumHeight(130)
        self.drift = _table(
            "driftTable",
            [
                self.tr("Input"),
                self.tr("Outside development range"),
                self.tr("PSI"),
                self.tr("p"),
                self.tr("Alarm"),
            ],
        )
        self.drift.setMaximumHeight(170)
        self.overdue = _table("overdueTable", [self.tr("Study ID"), self.tr("Visit"), self.tr("Status")])

        top = QHBoxLayout()
        top.addWidget(self.counts, 1)
        top.addWidget(QLabel(self.tr("Locked model:")))
        top.addWidget(self.bundle)
        figures = QGroupBox(self.tr("Locked model on recipients scored before transplantation"))
        grid = QGridLayout(figures)
        grid.addWidget(self.identity, 0, 0)
        grid.addWidget(self.auc, 1, 0)
        grid.addWidget(self.notes, 2, 0)
        grid.addWidget(QLabel(self.tr("Observed vs predicted by risk band")), 3, 0)
        grid.addWidget(self.bands, 4, 0)
        grid.addWidget(QLabel(self.tr("Input drift against the development cohort")), 5, 0)
        grid.addWidget(self.drift, 6, 0)
        grid.addWidget(self.competing, 7, 0)
        grid.addWidget(self.secondary, 8, 0)
        grid.addWidget(self.trajectories, 9, 0, 1, 2)
        grid.addWidget(self.cusum, 0, 1, 5, 1)
        grid.addWidget(self.plot, 5, 1, 4, 1)
        follow = QGroupBox(self.tr("Follow-up visits due or overdue"))
        follow_layout = QVBoxLayout(follow)
        follow_layout.addWidget(self.overdue)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addLayout(top)
        layout.addWidget(self.alarms)
        layout.addWidget(figures, 3)
        layout.addWidget(follow, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        ctx.events.followup_changed.connect(self._data_changed)
        ctx.events.prediction_saved.connect(self._data_changed)

    def _data_changed(self, *_args: object) -> None:
        # screens not on show are refreshed when the user opens them (MainWindow calls refresh)
        if self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        """Recompute the monitoring report from the registry in a worker thread and show it when ready.

        The report (CUSUM limits simulated, DICOM headers read) and its charts are computed off the GUI thread;
        the first opening also imports SciPy, pydicom and Matplotlib there.  A refresh asked for while one runs
        is done once it ends.
        """
        from hsp_desktop.gui.workers import Worker, single_step

        if self.worker is not None:
            self._pending = True
            return
        registry, data_dir = self.ctx.registry, self.ctx.data_dir
        self.counts.setText(self.tr("Computing the monitoring report..."))
        self.worker = Worker(single_step(lambda: _report_and_charts(registry, data_dir), "monitor"), self)
        self.worker.finished.connect(self._computed)
        self.worker.failed.connect(self._failed)
        self.worker.start()

    def _computed(self, result: tuple[dict[str, Any], dict[str, bytes]]) -> None:
        self.worker = None
        report, charts = result
        self._charts = charts
        self.show_report(report)
        self._show_due()
        if self._pending:
            self._pending = False
            self.refresh()

    def _failed(self, exc: BaseException) -> None:
        self.worker = None
        self._pending = False
        log.error("validation dashboard: the monitoring report failed", exc_info=exc)
        self.counts.setText(self.tr("The monitoring report could not be computed: {0}").format(exc))
        if self.window_ is not None:
            self.window_.show_error(exc)

    def _show_due(self) -> None:
        due = self.ctx.registry.followups_due(dt.date.today())
        rows = []
        for row in due:
            late = row.get("days_overdue") or 0
            state = (
                self.tr("{0} days overdue").format(late) if row.get("state") == "overdue" else self.tr("due")
            )
            rows.append((row.get("study_id"), self.tr("day {0}").format(row.get("day")), state))
        _fill(self.overdue, rows)

    def show_report(self, report: object) -> None:
        """Show a monitoring report (the mapping ``hsp monitor --json`` prints)."""
        assert isinstance(report, dict)
        self.report = report
        c = report["counts"]
        self.counts.setText(
            self.tr("{0} scored, {1} with outcome ({2} events), {3} pending, {4} competing events.").format(
                c["scored"], c["with_outcome"], c["events"], c["pending"], c["competing"]
            )
        )
        alarms = report["alarms"]
        if alarms:
            kinds = {
                "calibration": self.tr("calibration"),
                "drift": self.tr("input drift"),
                "scanner": self.tr("new scanner/protocol"),
            }
            self.alarms.setText(
                self.tr("{0} alarm(s):").format(len(alarms))
                + "\n"
                + "\n".join(
                    f"[{kinds.get(a['kind'], a['kind'])}] {a['bundle']}: {a['message']}" for a in alarms
                )
            )
            self.alarms.setStyleSheet("color: white; background: #b00020; padding: 6px; font-weight: bold;")
        else:
            self.alarms.setText(self.tr("No alarm."))
            self.alarms.setStyleSheet("color: #1b5e20; padding: 6px;")
        current = self.bundle.currentData()
        self.bundle.blockSignals(True)
        self.bundle.clear()
        for b in report["bundles"]:
            self.bundle.addItem(
                f"{b['name']} {b['version']} ({b['manifest_sha256'][:12]})", b["manifest_sha256"]
            )
        index = max(0, self.bundle.findData(current)) if current else 0
        self.bundle.setCurrentIndex(index)
        self.bundle.blockSignals(False)
        self._show_bundle()
        s = report["trajectories"]["summaries"]
        grades = report["trajectories"]["recovery_grades"]
        parts = []
        for key, label in (
            ("pct_change_plt", self.tr("platelets % change")),
            ("pct_change_wbc", self.tr("WBC % change")),
            ("sv_ratio", self.tr("spleen volume ratio SV6/SV0")),
        ):
            if s[key]["n"]:
                parts.append(
                    self.tr("{0}: median {1:.2f} (IQR {2:.2f} to {3:.2f}, n {4})").format(
                        label, s[key]["median"], s[key]["q1"], s[key]["q3"], s[key]["n"]
                    )
                )
        if grades:
            parts.append(
                self.tr("recovery: {0}").format(", ".join(f"{k} {v}" for k, v in sorted(grades.items())))
            )
        self.secondary.setText(
            self.tr("Secondary outcomes: {0}").format("; ".join(parts) if parts else self.tr("none yet"))
        )
        from hsp_desktop.validation.plots import trajectories_png

        png = self._charts.get("trajectories") or trajectories_png(
            report["trajectories"], width_in=9.0, height_in=2.4
        )
        pixmap = QPixmap()
        pixmap.loadFromData(png)
        self.trajectories.setPixmap(pixmap)

    def bundle_entry(self) -> dict[str, Any] | None:
        """The monitoring entry of the bundle chosen in the selector."""
        if not self.report:
            return None
        sha = self.bundle.currentData()
        return next((b for b in self.report["bundles"] if b["manifest_sha256"] == sha), None)

    def _show_bundle(self, *_args: object) -> None:
        from hsp_desktop.validation.plots import calibration_png, cusum_png

        b = self.bundle_entry()
        if b is None:
            self.identity.setText(self.tr("No recipient has been scored yet."))
            for w in (self.auc, self.notes, self.competing):
                w.setText("")
            _fill(self.bands, [])
            _fill(self.drift, [])
            self.plot.clear()
            self.cusum.clear()
            return
        k = b["counts"]
        ident = self.tr(
            "{0} scored before transplantation, {1} with outcome ({2} events); excluded predictions made on or "
            "after the transplant date: {3}."
        ).format(k["scored_before_transplant"], k["with_outcome"], k["events"], k["excluded_predictions"])
        if b.get("parent_sha256"):
            ident += " " + self.tr("Updated from {0} by {1}.").format(
                b["parent_sha256"][:12], b["update_method"]
            )
        self.identity.setText(ident)
        perf = b["performance"]
        lines = []
        if "observed_expected" in perf:
            oe = perf["observed_expected"]
            lines.append(
                self.tr("O/E {0:.2f} (exact 95% CI {1:.2f}-{2:.2f})").format(
                    oe["ratio"], oe["ci_low"], oe["ci_high"]
                )
            )
        if "auc" in perf:
            a, cal = perf["auc"], perf["calibration"]
            lines.append(
                self.tr("AUC {0:.3f} (95% CI {1:.3f}-{2:.3f}); Brier {3:.3f}").format(
                    a["auc"], a["ci"][0], a["ci"][1], perf["brier"]
                )
            )
            lines.append(
                self.tr(
                    "calibration intercept {0:.2f} ({1:.2f} to {2:.2f}), slope {3:.2f} ({4:.2f} to {5:.2f})"
                ).format(cal["intercept"], *cal["intercept_ci"], cal["slope"], *cal["slope_ci"])
            )
            nb = "; ".join(
                self.tr("net benefit at {0:.0%}: {1:.3f} (treat all {2:.3f})").format(
                    n["threshold"], n["model"], n["treat_all"]
                )
                for n in perf.get("net_benefit", [])
            )
            if nb:
                lines.append(nb)
        else:
            lines.append(self.tr("AUC not yet available"))
        self.auc.setText("\n".join(lines))
        self.notes.setText("\n".join(perf["notes"]))
        _fill(
            self.bands,
            [
                (x["band"], x["n"], x["events"], f"{x['mean_predicted']:.0%}", f"{x['observed']:.0%}")
                for x in b["bands"]
            ],
        )
        psi = {d["input"]: d for d in b["drift"]["psi"]}
        rows = []
        for d in b["drift"]["out_of_range"]:
            q = psi.get(d["input"], {})
            alarm = d["alarm"] or q.get("alarm", False)
            rows.append(
                (
                    d["input"],
                    f"{d['outside']}/{d['n']} ({d['share']:.0%})",
                    "" if q.get("psi") is None else f"{q['psi']:.2f}",
                    "" if q.get("p_value") is None else f"{q['p_value']:.2g}",
                    self.tr("ALARM") if alarm else "",
                )
            )
        for a in b["drift"]["new_acquisition"]:
            rows.append(
                (
                    a["field"],
                    self.tr("new since development: {0}").format(a["value"]),
                    "",
                    "",
                    self.tr("ALARM"),
                )
            )
        _fill(self.drift, rows)
        cr = b["competing_risks"]
        if "cif_at_horizon" in cr:
            text = self.tr(
                "Cumulative incidence at day {0} (death / re-transplant competing): {1:.1%} ({2} events, {3} "
                "competing, {4} censored)"
            ).format(cr["horizon_days"], cr["cif_at_horizon"], cr["events"], cr["competing"], cr["censored"])
            if cr["by_band"]:
                text += "; " + ", ".join(f"{x['band']} {x['cif_at_horizon']:.1%}" for x in cr["by_band"])
            if "ipcw" in cr:
                text += "\n" + self.tr("IPCW 6-month AUC {0:.3f}, Brier {1:.3f}").format(
                    cr["ipcw"]["auc"], cr["ipcw"]["brier"]
                )
            self.competing.setText(text)
        else:
            self.competing.setText(str(cr.get("note", "")))
        sha = b["manifest_sha256"]
        calibration = self._charts.get(f"calibration:{sha}") or calibration_png(b)
        cusum = self._charts.get(f"cusum:{sha}") or cusum_png(b)
        for label, png in ((self.plot, calibration), (self.cusum, cusum)):
            pixmap = QPixmap()
            pixmap.loadFromData(png)
            label.setPixmap(pixmap)


def _report_and_charts(registry: Any, data_dir: Any) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The monitoring report and every chart the screen shows (runs in the worker thread)."""
    from hsp_desktop.validation.monitor import monitor_registry
    from hsp_desktop.validation.plots import calibration_png, cusum_png, trajectories_png

    report = monitor_registry(registry, data_dir)
    charts = {"trajectories": trajectories_png(report["trajectories"], width_in=9.0, height_in=2.4)}
    for b in report["bundles"]:
        charts[f"calibration:{b['manifest_sha256']}"] = calibration_png(b)
        charts[f"cusum:{b['manifest_sha256']}"] = cusum_png(b)
    return report, charts

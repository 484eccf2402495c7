"""Federation: join a federation as a site, review and approve the coordinator's plan, watch rounds, see results.

A thin view: every action calls the functions ``hsp federated`` uses (:mod:`hsp_desktop.federated.service`,
:mod:`hsp_desktop.federated.site`, :mod:`hsp_desktop.federated.deploy`); long runs go through a
:class:`~hsp_desktop.gui.workers.Worker`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hsp_desktop.gui.context import AppContext


class FederationPage(QWidget):
    """The Federation screen (site side, with a demonstration run on this computer)."""

    def __init__(self, ctx: AppContext, window: Any) -> None:
        super().__init__()
        self.ctx = ctx
        self.window_ = window
        self.plan: Any = None
        self.result: dict[str, Any] | None = None
        self.worker: Any = None
        self._fed: Any = None
        self._proc: Any = None

        # --- join
        self.address = QLineEdit("127.0.0.1:9200")
        self.address.setObjectName("fedAddress")
        self.site_dir = QLineEdit()
        self.site_dir.setObjectName("fedSiteDir")
        self.site_dir.setPlaceholderText(self.tr("folder from the coordinator with ca.crt and node.key"))
        self.data_path = QLineEdit()
        self.data_path.setObjectName("fedDataPath")
        self.data_path.setPlaceholderText(self.tr("this centre's registry (.db) or a cohort folder"))
        self.site_name = QLineEdit(self._default_site_name())
        self.site_name.setObjectName("fedSiteName")
        browse_site = QPushButton(self.tr("Browse..."))
        browse_site.clicked.connect(lambda: self._browse_dir(self.site_dir))
        browse_data = QPushButton(self.tr("Browse..."))
        browse_data.clicked.connect(lambda: self._browse_dir(self.data_path))
        self.join_button = QPushButton(self.tr("&Join (start this site)"))
        self.join_button.setObjectName("fedJoin")
        self.join_button.clicked.connect(self.join)
        self.leave_button = QPushButton(self.tr("&Leave"))
        self.leave_button.setObjectName("fedLeave")
        self.leave_button.clicked.connect(self.leave)
        self.leave_button.setEnabled(False)
        self.site_status = QLabel(self.tr("Not connected."))
        self.site_status.setObjectName("fedSiteStatus")
        self.site_status.setWordWrap(True)
        join_box = QGroupBox(self.tr("Join a federation"))
        form = QFormLayout(join_box)
        form.addRow(self.tr("Coordinator address"), self.address)
        form.addRow(self.tr("Certificates folder"), _row(self.site_dir, browse_site))
        form.addRow(self.tr("Site data"), _row(self.data_path, browse_data))
        form.addRow(self.tr("Site name"), self.site_name)
        form.addRow(_row(self.join_button, self.leave_button))
        form.addRow(self.site_status)

        # --- plan
        self.open_plan_button = QPushButton(self.tr("Open &plan..."))
        self.open_plan_button.clicked.connect(self._choose_plan)
        self.approve_button = QPushButton(self.tr("&Approve this plan for this site"))
        self.approve_button.setObjectName("fedApprove")
        self.approve_button.clicked.connect(self.approve)
        self.approve_button.setEnabled(False)
        self.plan_view = QPlainTextEdit()
        self.plan_view.setObjectName("fedPlanView")
        self.plan_view.setReadOnly(True)
        self.plan_status = QLabel("")
        self.plan_status.setObjectName("fedPlanStatus")
        self.plan_status.setWordWrap(True)
        plan_box = QGroupBox(self.tr("Coordinator's plan"))
        pl = QVBoxLayout(plan_box)
        pl.addWidget(_row(self.open_plan_button, self.approve_button))
        pl.addWidget(self.plan_view, 1)
        pl.addWidget(self.plan_status)

        # --- rounds
        self.progress = QProgressBar()
        self.progress.setObjectName("fedProgress")
        self.progress.setRange(0, 100)
        self.progress_label = QLabel("")
        self.progress_label.setObjectName("fedProgressLabel")
        self.messages = QTableWidget(0, 5)
        self.messages.setObjectName("fedMessages")
        self.messages.setHorizontalHeaderLabels(
            [self.tr("Time"), self.tr("Run"), self.tr("Round"), self.tr("Message"), self.tr("Bytes")]
        )
        self.messages.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.messages.horizontalHeader().setStretchLastSection(True)
        self.messages.verticalHeader().setVisible(False)
        self.chain_label = QLabel("")
        self.chain_label.setObjectName("fedChain")
        rounds_box = QGroupBox(self.tr("Rounds and every message this site sent"))
        rl = QVBoxLayout(rounds_box)
        rl.addWidget(self.progress)
        rl.addWidget(self.progress_label)
        rl.addWidget(self.messages, 1)
        rl.addWidget(self.chain_label)

        # --- results
        self.open_result_button = QPushButton(self.tr("Open &results..."))
        self.open_result_button.clicked.connect(self._choose_result)
        self.demo_button = QPushButton(self.tr("Run a &demonstration (3 synthetic centres on this computer)"))
        self.demo_button.setObjectName("fedDemo")
        self.demo_button.clicked.connect(self.run_demo)
        self.in_process = QCheckBox(self.tr("without network processes (dry run)"))
        self.in_process.setObjectName("fedInProcess")
        self.with_radiomics = QCheckBox(self.tr("with the Rad-score feature election (CT images)"))
        self.with_radiomics.setObjectName("fedWithRadiomics")
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.result_view = QPlainTextEdit()
        self.result_view.setObjectName("fedResultView")
        self.result_view.setReadOnly(True)
        self.election_label = QLabel("")
        self.election_label.setObjectName("fedElection")
        self.election_label.setWordWrap(True)
        self.election_table = QTableWidget(0, 3)
        self.election_table.setObjectName("fedElectionTable")
        self.election_table.setHorizontalHeaderLabels(
            [self.tr("Radiomics feature"), self.tr("Votes"), self.tr("Elected")]
        )
        self.election_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.election_table.horizontalHeader().setStretchLastSection(True)
        self.election_table.verticalHeader().setVisible(False)
        self.election_table.setVisible(False)
        res_box = QGroupBox(self.tr("Results"))
        rs = QVBoxLayout(res_box)
        rs.addWidget(_row(self.open_result_button, self.demo_button, self.cancel_button))
        rs.addWidget(_row(self.in_process, self.with_radiomics))
        rs.addWidget(self.result_view, 1)
        rs.addWidget(self.election_label)
        rs.addWidget(self.election_table, 1)

        top = QHBoxLayout()
        top.addWidget(join_box, 1)
        top.addWidget(plan_box, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(rounds_box, 1)
        bottom.addWidget(res_box, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top, 1)
        layout.addLayout(bottom, 1)

        self.timer = QTimer(self)
        self.timer.setInterval(2000)
        self.timer.timeout.connect(self.refresh_messages)

    # ------------------------------------------------------------------------------------------ helpers
    def _default_site_name(self) -> str:
        return str(self.ctx.registry.get_setting("site_name") or "")

    def _browse_dir(self, target: QLineEdit) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Choose a folder"))
        if folder:
            target.setText(folder)
            self.refresh_messages()

    def _choose_plan(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Plan from the coordinator"), "", "Plan (*.json)")
        if path:
            self.load_plan(Path(path))

    def _choose_result(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Federated results"), "", "Results (*.json)")
        if path:
            try:
                self.show_result(json.loads(Path(path).read_text(encoding="utf-8")))
            except Exception as exc:  # noqa: BLE001 - shown by show_error (an unexpected fault with its traceback)
                self.window_.show_error(exc)

    def _site_dir(self) -> Path | None:
        text = self.site_dir.text().strip()
        return Path(text) if text else None

    # ------------------------------------------------------------------------------------------ actions
    def load_plan(self, path: Path) -> None:
        """Show a plan (what runs, what is sent) and whether this site approved it."""
        from hsp_desktop.federated.service import plan_summary, read_plan

        try:
            self.plan = read_plan(path)
        except Exception as exc:  # noqa: BLE001 - shown by show_error (an unexpected fault with its traceback)
            self.window_.show_error(exc)
            return
        self.plan_view.setPlainText(plan_summary(self.plan))
        self._show_approval()

    def _show_approval(self) -> None:
        from hsp_desktop.federated.site import approvals

        site_dir = self._site_dir()
        if self.plan is None:
            return
        record = approvals(site_dir).get(self.plan.sha256) if site_dir else None
        if record:
            self.plan_status.setText(self.tr("Approved by {0} at {1}.").format(record["by"], record["at"]))
            self.plan_status.setStyleSheet("color: #1b7f3b; font-weight: bold;")
        else:
            self.plan_status.setText(self.tr("Not approved: this site will refuse to take part."))
            self.plan_status.setStyleSheet("color: #b00020; font-weight: bold;")
        self.approve_button.setEnabled(not record and site_dir is not None and self.ctx.can_write())

    def approve(self) -> None:
        """Record this site's approval of the shown plan (signed-in user named)."""
        from hsp_desktop.federated.site import approve_plan

        site_dir = self._site_dir()
        if self.plan is None or site_dir is None:
            return
        by = f"{getattr(self.ctx.user, 'username', 'unknown')} ({self.ctx.role})"
        try:
            approve_plan(site_dir, self.plan, by=by)
        except Exception as exc:  # noqa: BLE001 - shown by show_error (an unexpected fault with its traceback)
            self.window_.show_error(exc)
            return
        self._show_approval()

    def join(self) -> None:
        """Start this site's SuperNode (outbound connection to the coordinator only)."""
        from hsp_desktop.federated.deploy import Federation

        site_dir, data = self._site_dir(), self.data_path.text().strip()
        if site_dir is None or not data or not self.site_name.text().strip():
            self.site_status.setText(
                self.tr("Fill in the certificates folder, the site data and the site name.")
            )
            return
        try:
            self._fed = Federation(site_dir)
            self._proc = self._fed.start_site(
                site_dir, Path(data), self.site_name.text().strip(), superlink=self.address.text().strip()
            )
        except Exception as exc:  # noqa: BLE001 - shown by show_error (an unexpected fault with its traceback)
            self._fed = None
            self.window_.show_error(exc)
            return
        self.join_button.setEnabled(False)
        self.leave_button.setEnabled(True)
        self.site_status.setText(self.tr("Site running; connecting to {0}.").format(self.address.text()))
        self.timer.start()

    def leave(self) -> None:
        """Stop this site's SuperNode."""
        if self._fed is not None:
            self._fed.stop()
        self._fed = self._proc = None
        self.join_button.setEnabled(True)
        self.leave_button.setEnabled(False)
        self.site_status.setText(self.tr("Not connected."))
        self.timer.stop()

    def refresh_messages(self) -> None:
        """Show the site's outbox (every message sent) and the round progress of the latest run."""
        from hsp_desktop.federated.site import outbox, verify_outbox

        site_dir = self._site_dir()
        if self._proc is not None and not self._proc.alive:
            why = self._proc.diagnose() or self._proc.tail(4)
            self.site_status.setText(self.tr("The site stopped: {0}").format(why))
            self.leave()
        if site_dir is None:
            return
        log = outbox(site_dir)
        self.messages.setRowCount(len(log))
        for r, e in enumerate(reversed(log)):
            for c, v in enumerate(
                (e["ts"][11:19], e.get("run", ""), e.get("round", ""), e["type"], e["bytes"])
            ):
                self.messages.setItem(r, c, QTableWidgetItem(str(v)))
        self.chain_label.setText(
            self.tr("Outbox hash chain intact.")
            if verify_outbox(site_dir)
            else self.tr("OUTBOX LOG WAS EDITED.")
        )
        if self.plan is not None and log:
            run = log[-1].get("run")
            kinds = ("vote", "moments", "radtrain", "train", "evaluate")
            done = sum(1 for e in log if e.get("run") == run and e["type"] in kinds)
            total = len(self.plan.schedule())
            self.progress.setValue(int(100 * min(done, total) / total))
            self.progress_label.setText(self.tr("Run {0}: {1} of {2} rounds sent").format(run, done, total))
        self._show_approval()

    def run_demo(self) -> None:
        """Run a demonstration federation in a worker thread, watching its rounds."""
        from hsp_desktop.federated.service import run_demo
        from hsp_desktop.gui.workers import Worker, callback_job

        engine = "in-process" if self.in_process.isChecked() else "flower"
        radiomics = self.with_radiomics.isChecked()
        folder = Path(self.ctx.data_dir) / "federation"

        def job(report: Any, cancelled: Any) -> dict[str, Any]:
            return run_demo(folder, engine=engine, radiomics=radiomics, report=report, cancelled=cancelled)

        self.worker = Worker(callback_job(job), self)
        self.worker.progress.connect(self._on_progress)
        self.worker.finished.connect(self._on_finished)
        self.worker.failed.connect(self._on_failed)
        self.demo_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setValue(0)
        self.worker.start()

    def cancel(self) -> None:
        """Ask the running demonstration to stop."""
        if self.worker is not None:
            self.worker.cancel()

    def _on_progress(self, p: Any) -> None:
        self.progress.setValue(int(100 * p.fraction))
        self.progress_label.setText(p.message)

    def _on_finished(self, result: dict[str, Any]) -> None:
        self.demo_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.worker = None
        self.show_result(result)

    def _on_failed(self, exc: BaseException) -> None:
        self.demo_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.worker = None
        self.window_.show_error(exc)

    def show_result(self, result: dict[str, Any]) -> None:
        """Show pooled, per-site and leave-one-site-out results with heterogeneity."""
        from hsp_desktop.federated.service import result_summary

        self.result = result
        try:
            self.result_view.setPlainText(result_summary(result))
        except (KeyError, TypeError) as exc:
            self.result_view.setPlainText(self.tr("Not a federated result file ({0}).").format(exc))
        self.show_election(result.get("election") if isinstance(result, dict) else None)

    def show_election(self, election: dict[str, Any] | None) -> None:
        """Candidate count, votes per feature (most first) and the elected list of a Rad-score election."""
        if not election:
            self.election_label.setText("")
            self.election_table.setRowCount(0)
            self.election_table.setVisible(False)
            return
        elected = set(election["elected"])
        self.election_label.setText(
            self.tr(
                "Rad-score feature election: {0} candidates, {1} sites voted, quorum {2}; {3} elected."
            ).format(len(election["candidates"]), election["voters"], election["quorum"], len(elected))
        )
        rows = sorted(election["votes"].items(), key=lambda kv: (-kv[1], kv[0]))
        self.election_table.setRowCount(len(rows))
        for r, (name, votes) in enumerate(rows):
            cells = (name.removeprefix("spleen__"), str(votes), self.tr("yes") if name in elected else "")
            for c, text in enumerate(cells):
                self.election_table.setItem(r, c, QTableWidgetItem(text))
        self.election_table.setVisible(True)

    def closeEvent(self, event: Any) -> None:
        """Stop the site process and any running demonstration."""
        self.leave()
        if self.worker is not None:
            self.worker.cancel()
            self.worker.wait()
        super().closeEvent(event)


def _row(*widgets: QWidget) -> QWidget:
    box = QWidget()
    lay = QHBoxLayout(box)
    lay.setContentsMargins(0, 0, 0, 0)
    for w in widgets:
        lay.addWidget(w)
    return box

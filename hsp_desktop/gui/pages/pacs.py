"""PACS screen: test a node, find the current recipient's CT studies, retrieve a series, send results back.

A thin view over :mod:`hsp_desktop.pacs.service` (the same functions ``hsp pacs`` runs); every network call runs
in a worker thread with progress and cancel, and is recorded in the audit trail by the service.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hsp_desktop.domain import Progress
from hsp_desktop.errors import HspError
from hsp_desktop.gui.context import AppContext
from hsp_desktop.gui.workers import Worker, single_step

_SERIES_ROLE = int(Qt.ItemDataRole.UserRole)


class PacsPage(QWidget):
    """Nodes, query/retrieve for the current recipient, and sending the latest prediction back."""

    def __init__(self, ctx: AppContext, window: Any) -> None:
        super().__init__()
        self.ctx = ctx
        self.window_ = window
        self.worker: Worker | None = None
        self.nodes: list[Any] = []

        # -- nodes -------------------------------------------------------------------------------------------
        self.node_box = QComboBox()
        self.node_box.setObjectName("pacsNode")
        self.echo_button = QPushButton(self.tr("&Test connection"))
        self.echo_button.setObjectName("pacsEcho")
        self.echo_button.clicked.connect(self.test_connection)
        self.status = QLabel()
        self.status.setObjectName("pacsStatus")
        self.status.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("PACS node:")))
        top.addWidget(self.node_box, 1)
        top.addWidget(self.echo_button)

        self.node_table = QTableWidget(0, 5)
        self.node_table.setObjectName("pacsNodeTable")
        self.node_table.setHorizontalHeaderLabels(
            [self.tr("Name"), self.tr("AE title"), self.tr("Host"), self.tr("Port"), self.tr("TLS")]
        )
        self.node_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.node_table.verticalHeader().setVisible(False)
        self.node_table.setMaximumHeight(130)
        self.new_name, self.new_ae, self.new_host = QLineEdit(), QLineEdit(), QLineEdit()
        self.new_name.setPlaceholderText(self.tr("Radiology PACS"))
        self.new_ae.setPlaceholderText("ORTHANC")
        self.new_host.setPlaceholderText("pacs.hospital.local")
        self.new_port = QSpinBox()
        self.new_port.setRange(1, 65535)
        self.new_port.setValue(104)
        self.new_tls = QCheckBox(self.tr("TLS"))
        self.add_button = QPushButton(self.tr("&Add node"))
        self.add_button.setObjectName("pacsAddNode")
        self.add_button.clicked.connect(self.add_node)
        self.remove_button = QPushButton(self.tr("&Remove selected"))
        self.remove_button.clicked.connect(self.remove_node)
        self.local_ae = QLineEdit()
        self.local_ae.setObjectName("pacsLocalAe")
        self.local_ae_button = QPushButton(self.tr("Set"))
        self.local_ae_button.clicked.connect(self.set_local_ae)
        add_row = QHBoxLayout()
        for w in (self.new_name, self.new_ae, self.new_host, self.new_port, self.new_tls, self.add_button):
            add_row.addWidget(w)
        local_row = QHBoxLayout()
        local_row.addWidget(QLabel(self.tr("This workstation's AE title:")))
        local_row.addWidget(self.local_ae)
        local_row.addWidget(self.local_ae_button)
        local_row.addStretch(1)
        local_row.addWidget(self.remove_button)
        self.admin_box = QGroupBox(self.tr("Nodes (administrators)"))
        admin_layout = QVBoxLayout(self.admin_box)
        admin_layout.addWidget(self.node_table)
        admin_layout.addLayout(add_row)
        admin_layout.addLayout(local_row)

        # -- query / retrieve --------------------------------------------------------------------------------
        self.recipient_label = QLabel()
        self.recipient_label.setObjectName("pacsRecipient")
        self.date_from, self.date_to = QLineEdit(), QLineEdit()
        for w in (self.date_from, self.date_to):
            w.setPlaceholderText("YYYY-MM-DD")
            w.setMaximumWidth(130)
        self.query_button = QPushButton(self.tr("&Find CT studies"))
        self.query_button.setObjectName("pacsQuery")
        self.query_button.clicked.connect(self.query)
        form = QFormLayout()
        form.addRow(self.tr("Recipient:"), self.recipient_label)
        dates = QHBoxLayout()
        dates.addWidget(self.date_from)
        dates.addWidget(QLabel(self.tr("to")))
        dates.addWidget(self.date_to)
        dates.addStretch(1)
        dates.addWidget(self.query_button)
        form.addRow(self.tr("Study dates:"), dates)
        self.tree = QTreeWidget()
        self.tree.setObjectName("pacsResults")
        self.tree.setColumnCount(6)
        self.tree.setHeaderLabels(
            [
                self.tr("Study date / series"),
                self.tr("Modality"),
                self.tr("Images"),
                self.tr("Description"),
                self.tr("Phase"),
                "UID",
            ]
        )
        self.tree.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.tree.itemSelectionChanged.connect(self._selection_changed)
        self.retrieve_button = QPushButton(self.tr("&Retrieve series and open in Imaging"))
        self.retrieve_button.setObjectName("pacsRetrieve")
        self.retrieve_button.setEnabled(False)
        self.retrieve_button.clicked.connect(self.retrieve)
        self.cancel_button = QPushButton(self.tr("&Cancel"))
        self.cancel_button.setObjectName("pacsCancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setObjectName("pacsProgress")
        self.progress.setRange(0, 1000)
        run_row = QHBoxLayout()
        run_row.addWidget(self.retrieve_button)
        run_row.addWidget(self.progress, 1)
        run_row.addWidget(self.cancel_button)

        # -- send back / FHIR --------------------------------------------------------------------------------
        self.send_button = QPushButton(self.tr("&Send latest report, mask and SR to PACS"))
        self.send_button.setObjectName("pacsSend")
        self.send_button.clicked.connect(self.send)
        self.fhir_button = QPushButton(self.tr("Export &FHIR..."))
        self.fhir_button.setObjectName("pacsFhir")
        self.fhir_button.clicked.connect(self.export_fhir)
        send_row = QHBoxLayout()
        send_row.addWidget(self.send_button)
        send_row.addWidget(self.fhir_button)
        send_row.addStretch(1)
        ports = QLabel(
            self.tr(
                "This workstation connects only to the nodes listed here, on their DICOM port; it opens no "
                "listening port (images come back on the same connection, C-GET)."
            )
        )
        ports.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(self.admin_box)
        layout.addLayout(form)
        layout.addWidget(self.tree, 1)
        layout.addLayout(run_row)
        layout.addLayout(send_row)
        layout.addWidget(ports)
        ctx.events.recipient_selected.connect(lambda _sid: self.refresh())
        self.refresh()

    # -------------------------------------------------------------------------------------------------- state
    def refresh(self) -> None:
        """Reload the nodes and the current recipient."""
        from hsp_desktop.pacs.nodes import load_nodes, local_ae_title

        self.nodes = load_nodes(self.ctx.registry)
        current = self.node_box.currentText()
        self.node_box.clear()
        for node in self.nodes:
            self.node_box.addItem(node.describe(), node.name)
        index = self.node_box.findText(current)
        if index >= 0:
            self.node_box.setCurrentIndex(index)
        self.node_table.setRowCount(len(self.nodes))
        for r, n in enumerate(self.nodes):
            for c, value in enumerate(
                (n.name, n.ae_title, n.host, str(n.port), self.tr("yes") if n.tls else "")
            ):
                self.node_table.setItem(r, c, QTableWidgetItem(value))
        self.local_ae.setText(local_ae_title(self.ctx.registry))
        is_admin = self.ctx.role == "admin"
        self.admin_box.setVisible(is_admin)
        sid = self.ctx.current_study_id
        self.recipient_label.setText(sid or self.tr("none selected (choose one on the Worklist)"))
        idle = self.worker is None
        can = self.ctx.can_write() and bool(self.nodes) and idle
        self.echo_button.setEnabled(bool(self.nodes) and idle)
        self.query_button.setEnabled(can and sid is not None)
        self.send_button.setEnabled(can and sid is not None)
        self.fhir_button.setEnabled(sid is not None and idle)
        if not self.nodes:
            self.status.setText(self.tr("No PACS node is configured: an administrator adds one below."))

    def _node(self) -> Any:
        from hsp_desktop.pacs.nodes import find_node

        return find_node(self.nodes, str(self.node_box.currentData()))

    def _selected_series(self) -> Any:
        items = self.tree.selectedItems()
        return items[0].data(0, _SERIES_ROLE) if items else None

    def _selection_changed(self) -> None:
        series = self._selected_series()
        ok = series is not None and series.as_series_info().scoreable and self.worker is None
        self.retrieve_button.setEnabled(ok)

    # ---------------------------------------------------------------------------------------------- workers
    def _run(
        self, job: Callable[[Callable[[], bool]], Generator[Progress, None, Any]], done: Callable[[Any], None]
    ) -> None:
        self.worker = Worker(job, self)
        self.worker.progress.connect(self._on_progress)
        self.worker.finished.connect(lambda result: self._finish(done, result))
        self.worker.failed.connect(self._failed)
        self.progress.setValue(0)
        self.cancel_button.setEnabled(True)
        self.refresh()
        self.retrieve_button.setEnabled(False)
        self.worker.start()

    def _on_progress(self, p: Progress) -> None:
        self.progress.setValue(int(1000 * p.fraction))
        if p.message:
            self.status.setText(p.message)

    def _finish(self, done: Callable[[Any], None], result: Any) -> None:
        self.worker = None
        self.cancel_button.setEnabled(False)
        self.progress.setValue(1000)
        self.refresh()
        self._selection_changed()
        done(result)

    def _failed(self, exc: BaseException) -> None:
        self.worker = None
        self.cancel_button.setEnabled(False)
        self.progress.setValue(0)
        self.refresh()
        self._selection_changed()
        self.status.setText(str(exc).splitlines()[0])
        self.window_.show_error(exc)

    def cancel(self) -> None:
        """Stop the running retrieve (the partial download is deleted)."""
        if self.worker is not None:
            self.worker.cancel()

    # ---------------------------------------------------------------------------------------------- actions
    def test_connection(self) -> None:
        """C-ECHO the chosen node."""
        from hsp_desktop.pacs.service import test_connection

        node = self._node()
        self.status.setText(self.tr("Testing {0}...").format(node.describe()))
        self._run(
            single_step(lambda: test_connection(self.ctx.registry, self.ctx.user, node), "echo"),
            lambda s: self.status.setText(
                self.tr("{0} answered in {1} ms").format(node.name, f"{1000 * s:.0f}")
            ),
        )

    def query(self) -> None:
        """Find the current recipient's studies and series on the chosen node."""
        from hsp_desktop.pacs.service import query_recipient

        node, sid = self._node(), self.ctx.current_study_id
        date_from, date_to = self.date_from.text().strip() or None, self.date_to.text().strip() or None
        self.tree.clear()
        self.status.setText(self.tr("Querying {0}...").format(node.describe()))
        self._run(
            single_step(
                lambda: query_recipient(
                    self.ctx.registry, self.ctx.user, node, str(sid), date_from=date_from, date_to=date_to
                ),
                "query",
            ),
            self._show_results,
        )

    def _phase(self, phase: str) -> str:
        names = {
            "portal venous": self.tr("portal venous"),
            "arterial": self.tr("arterial"),
            "venous": self.tr("venous"),
            "delayed": self.tr("delayed"),
            "non-contrast": self.tr("non-contrast"),
            "localizer": self.tr("localizer"),
            "contrast (phase unknown)": self.tr("contrast (phase unknown)"),
            "unknown": self.tr("unknown"),
        }
        return names.get(phase, phase)

    def _show_results(self, result: Any) -> None:
        from hsp_desktop.pacs.network import preselect_series

        self.tree.clear()
        chosen: QTreeWidgetItem | None = None
        for study in result.studies:
            top = QTreeWidgetItem(
                [
                    study.study_date,
                    study.modalities,
                    str(study.n_instances or ""),
                    study.description,
                    "",
                    study.study_uid,
                ]
            )
            self.tree.addTopLevelItem(top)
            series = result.series[study.study_uid]
            best = preselect_series(series)
            for s in series:
                child = QTreeWidgetItem(
                    [
                        f"#{s.series_number}",
                        s.modality,
                        str(s.n_instances or ""),
                        s.description,
                        s.phase,
                        s.series_uid,
                    ]
                )
                child.setData(0, _SERIES_ROLE, s)
                if not s.as_series_info().scoreable:
                    child.setDisabled(
                        True
                    )  # a localizer, a SEG or a single image is never retrieved to score
                top.addChild(child)
                if best is not None and s.series_uid == best.series_uid and chosen is None:
                    chosen = child
            top.setExpanded(True)
        if chosen is not None:
            self.tree.setCurrentItem(chosen)
        n = sum(len(v) for v in result.series.values())
        self.status.setText(self.tr("{0} studies, {1} series").format(len(result.studies), n))

    def retrieve(self) -> None:
        """Retrieve the selected CT series, then open it on the Imaging screen."""
        from hsp_desktop.pacs.service import retrieve

        node, sid, series = self._node(), str(self.ctx.current_study_id), self._selected_series()
        inbox = Path(self.ctx.data_dir) / "pacs-inbox"

        def job(cancelled: Callable[[], bool]) -> Generator[Progress, None, Any]:
            return (
                yield from retrieve(
                    self.ctx.registry, self.ctx.user, node, sid, series, inbox, cancelled=cancelled
                )
            )

        self._run(job, self._retrieved)

    def _retrieved(self, result: Any) -> None:
        self.status.setText(
            self.tr("{0} images retrieved in {1} s: {2}").format(
                result.n_files, f"{result.seconds:.1f}", result.folder
            )
        )
        imaging = self.window_.show_page("imaging")
        opener = getattr(imaging, "open_dicom_folder", None)
        if callable(opener):
            opener(result.folder)

    def send(self) -> None:
        """Send the latest prediction's PDF, mask and SR to the chosen node (after a confirmation)."""
        from hsp_desktop.pacs.service import send_prediction

        node, sid = self._node(), str(self.ctx.current_study_id)
        answer = QMessageBox.question(
            self,
            self.tr("Send to PACS"),
            self.tr("Send the latest risk report, its mask and a structured report for {0} to {1}?").format(
                sid, node.describe()
            ),
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        self._run(
            single_step(lambda: send_prediction(self.ctx.registry, self.ctx.user, node, sid), "send"),
            lambda results: self.status.setText(
                self.tr("{0} objects stored on {1}").format(len(results), node.name)
            ),
        )

    def export_fhir(self, folder: str | None = None) -> None:
        """Write the latest prediction as a FHIR bundle into a chosen folder."""
        from hsp_desktop.pacs.fhir import export_fhir

        target = folder or QFileDialog.getExistingDirectory(self, self.tr("Folder for the FHIR bundle"))
        if not target:
            return
        sid = str(self.ctx.current_study_id)
        self._run(
            single_step(lambda: export_fhir(self.ctx.registry, self.ctx.user, sid, target), "fhir"),
            lambda path: self.status.setText(self.tr("FHIR bundle written: {0}").format(path)),
        )

    # ------------------------------------------------------------------------------------------- node admin
    def add_node(self) -> None:
        """Add the node typed in the row (administrators)."""
        from hsp_desktop.pacs.nodes import node_from_dict, save_nodes

        raw = {
            "name": self.new_name.text().strip(),
            "ae_title": self.new_ae.text().strip(),
            "host": self.new_host.text().strip(),
            "port": self.new_port.value(),
            "tls": self.new_tls.isChecked(),
        }
        try:
            node = node_from_dict(raw, len(self.nodes))
            save_nodes(
                self.ctx.registry,
                [*self.nodes, node],
                by=self.ctx.user,
                reason=f"PACS node {node.name} added",
            )
        except HspError as exc:  # shown to the user; nothing was saved
            self.window_.show_error(exc)
            return
        for w in (self.new_name, self.new_ae, self.new_host):
            w.clear()
        self.refresh()
        self.node_box.setCurrentIndex(self.node_box.count() - 1)

    def remove_node(self) -> None:
        """Remove the node selected in the table (administrators)."""
        from hsp_desktop.pacs.nodes import save_nodes

        row = self.node_table.currentRow()
        if row < 0 or row >= len(self.nodes):
            return
        gone = self.nodes[row]
        kept = [n for i, n in enumerate(self.nodes) if i != row]
        try:
            save_nodes(self.ctx.registry, kept, by=self.ctx.user, reason=f"PACS node {gone.name} removed")
        except HspError as exc:  # shown to the user; nothing was saved
            self.window_.show_error(exc)
            return
        self.refresh()

    def set_local_ae(self) -> None:
        """Change this workstation's AE title (administrators)."""
        from hsp_desktop.errors import ValidationError
        from hsp_desktop.pacs.nodes import check_ae_title

        value = self.local_ae.text().strip()
        try:
            problems = check_ae_title(value, "pacs_local_ae")
            if problems:
                raise ValidationError("This workstation's AE title is not valid", problems=problems)
            self.ctx.registry.set_setting("pacs_local_ae", value, by=self.ctx.user)
        except HspError as exc:  # shown to the user; nothing was saved
            self.window_.show_error(exc)
        self.refresh()

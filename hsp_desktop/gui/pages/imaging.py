"""Imaging: pick the pre-operative CT (a series of a PACS export, or a file) and the mask, view them, see QC.

A DICOM folder is scanned in a worker by the study browser (patient -> study -> series, the portal-venous series
preselected by the documented rule, localizers never selectable); the chosen series, the spleen segment (asked
for when the mask's names are ambiguous) and an identity override (with its reason, for roles that may) are
handed to the Score screen through the context, exactly as ``hsp score --series/--spleen-label/
--override-identity`` pass them.  A recipient with a registered prediction gets its CT, series and mask restored.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hsp_desktop.domain import Progress
from hsp_desktop.gui.context import AppContext
from hsp_desktop.gui.domain_text import tr_code
from hsp_desktop.gui.folders import choose_file, choose_folder
from hsp_desktop.gui.widgets.slice_viewer import SliceViewer
from hsp_desktop.gui.widgets.study_browser import StudyBrowser
from hsp_desktop.gui.workers import Worker

STATUS_COLOURS = {"ok": "#1b7f3b", "warn": "#a86b00", "fail": "#b00020"}


def load_images(
    ct_path: Path,
    mask_path: Path | None,
    series_uid: str | None,
    *,
    registry: Any = None,
    study_id: str | None = None,
    spleen_label: int | str | None = None,
    lossy: str = "fail",
) -> Callable[[Callable[[], bool]], Generator[Progress, None, dict[str, Any]]]:
    """A worker job that reads the CT (and mask) and runs the identity guard and the QC gate as scoring will."""

    def job(cancelled: Callable[[], bool]) -> Generator[Progress, None, dict[str, Any]]:
        from hsp_desktop.errors import InputError
        from hsp_desktop.imaging.qc import QcLimits, run_qc
        from hsp_desktop.importers import read_ct, read_mask
        from hsp_desktop.importers.segments import resolve_organs
        from hsp_desktop.pipeline.identity import check_identity

        yield Progress("read CT", 0.0, str(ct_path))
        ct = read_ct(ct_path, series_uid=series_uid)
        identity = None
        if registry is not None and study_id is not None:
            identity = check_identity(registry, study_id, registry.get_recipient(study_id), dict(ct.meta))
        mask = qc = organs = None
        if mask_path is not None:
            yield Progress("read mask", 0.5, str(mask_path))
            raw = read_mask(mask_path, reference=ct)
            try:
                mask, organs = resolve_organs(raw, spleen_label)
            except InputError as exc:
                if exc.field != "spleen_label":
                    raise
                # the names do not say which segment is the spleen: the page asks the user
                return {"ct": ct, "identity": identity, "ask": exc, "segments": dict(raw.labels)}
            yield Progress("quality check", 0.8, "")
            qc = run_qc(ct, mask, label=1, limits=QcLimits(lossy_compression=lossy))
        yield Progress("done", 1.0, "")
        return {"ct": ct, "mask": mask, "qc": qc, "identity": identity, "organs": organs}

    return job


class ImagingPage(QWidget):
    """CT and mask import with a viewer and the QC report."""

    def __init__(self, ctx: AppContext, window: Any) -> None:
        super().__init__()
        self.ctx = ctx
        self.window_ = window
        self.worker: Worker | None = None
        self.series_uid: str | None = None
        self.ct_path: Path | None = None
        self.mask_path: Path | None = None

        self.header = QLabel()
        self.header.setObjectName("imagingHeader")
        self.dicom_button = QPushButton(self.tr("Choose &DICOM folder..."))
        self.dicom_button.clicked.connect(self._choose_dicom)
        self.file_button = QPushButton(self.tr("Choose CT &file (NIfTI/NRRD/MHA)..."))
        self.file_button.clicked.connect(self._choose_ct_file)
        self.mask_button = QPushButton(self.tr("Choose &mask..."))
        self.mask_button.clicked.connect(self._choose_mask)
        buttons = QHBoxLayout()
        for b in (self.dicom_button, self.file_button, self.mask_button):
            buttons.addWidget(b)
        buttons.addStretch(1)

        self.browser = StudyBrowser(show_names=_names_allowed(ctx))
        self.browser.setObjectName("studyBrowser")
        self.browser.setMaximumHeight(300)
        self.browser.series_chosen.connect(self._on_series)
        self.identity = QLabel("")
        self.identity.setObjectName("identityLabel")
        self.identity.setWordWrap(True)
        self.override_button = QPushButton(self.tr("&Override identity check..."))
        self.override_button.setObjectName("overrideIdentity")
        self.override_button.setVisible(False)
        self.override_button.clicked.connect(self._override_identity)
        identity_row = QHBoxLayout()
        identity_row.addWidget(self.identity, 1)
        identity_row.addWidget(self.override_button)

        self.viewer = SliceViewer()
        self.qc = QTableWidget(0, 3)
        self.qc.setObjectName("qcTable")
        self.qc.setHorizontalHeaderLabels([self.tr("Check"), self.tr("Result"), self.tr("Detail")])
        self.qc.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.qc.horizontalHeader().setStretchLastSection(True)
        self.qc.setWordWrap(True)
        self.qc.verticalHeader().setVisible(False)
        self.qc_summary = QLabel(self.tr("QC: no mask loaded"))
        self.qc_summary.setObjectName("qcSummary")
        self.qc_summary.setWordWrap(True)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.addWidget(QLabel(self.tr("Quality control")))
        side_layout.addWidget(self.qc_summary)
        side_layout.addWidget(self.qc, 1)
        self.score_button = QPushButton(self.tr("Continue to &scoring"))
        self.score_button.setEnabled(False)
        self.score_button.clicked.connect(lambda: self.window_.show_page("score"))
        side_layout.addWidget(self.score_button)

        splitter = QSplitter()
        splitter.addWidget(self.viewer)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        side.setMinimumWidth(420)
        self.status = QLabel("")
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addLayout(buttons)
        layout.addWidget(self.browser)
        layout.addLayout(identity_row)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.status)
        ctx.events.recipient_selected.connect(lambda _s: self.refresh())

    def refresh(self) -> None:
        """Show which recipient the images are for."""
        sid = self.ctx.current_study_id
        self.header.setText(
            self.tr(
                "Recipient {0}: choose the pre-operative portal-venous CT and the spleen/liver mask."
            ).format(sid)
            if sid
            else self.tr("Select a recipient on the Worklist first.")
        )
        enabled = sid is not None
        for b in (self.dicom_button, self.file_button, self.mask_button):
            b.setEnabled(enabled)
        if sid is not None and self.ctx.ct_path is None:
            self.restore_registered()

    def restore_registered(self) -> bool:
        """Load the CT series and mask of the recipient's latest prediction (True when there was one)."""
        sid = self.ctx.current_study_id
        if sid is None:
            return False
        predictions = self.ctx.registry.predictions(sid)
        source = (predictions[-1]["output"].get("imaging_source") or {}) if predictions else {}
        ct, mask = source.get("ct_path"), source.get("mask_path")
        if not ct or not mask or not Path(ct).exists() or not Path(mask).exists():
            return False
        self.ctx.series_uid = self.series_uid = source.get("series_uid")
        self.ctx.spleen_label = source.get("spleen_value") if source.get("chosen_by") == "user" else None
        self.mask_path = Path(mask)
        self.status.setText(
            self.tr("Restored the registered CT and mask of prediction #{0}.").format(predictions[-1]["id"])
        )
        if Path(ct).is_dir():
            self.ct_path = Path(ct)
            self.browser.scan(Path(ct), self._patient_hint())
        else:
            self.ct_path = Path(ct)
            self._load()
        return True

    def _patient_hint(self) -> str | None:
        sid = self.ctx.current_study_id
        if sid is None:
            return None
        record = self.ctx.registry.get_recipient(sid)
        return str(record.get("mrn") or sid)

    # -- choosing files -----------------------------------------------------------------------------------------
    def _choose_dicom(self) -> None:
        folder = choose_folder(self, self.tr("DICOM folder of the CT"), "dicom")
        if folder:
            self.open_dicom_folder(folder)

    def open_dicom_folder(self, folder: Path) -> None:
        """Scan a DICOM folder (PACS/CD export) in the study browser; the portal-venous series is preselected."""
        self.ct_path = Path(folder)
        self.series_uid = None
        self.ctx.identity_override = None
        self.browser.scan(Path(folder), self._patient_hint())

    def _on_series(self, info: Any) -> None:
        if self.ct_path is None:
            return
        if info.series_uid != self.series_uid:
            self.ctx.identity_override = None
        self.series_uid = info.series_uid
        self._load()

    def _choose_ct_file(self) -> None:
        path = choose_file(
            self, self.tr("CT image"), "ct", self.tr("Images (*.nii *.nii.gz *.nrrd *.mha *.mhd)")
        )
        if path:
            self.open_ct_file(path)

    def open_ct_file(self, path: Path) -> None:
        """Use an image file as the CT."""
        self.browser.cancel()
        self.browser.tree.clear()
        self.series_uid = None
        self.ct_path = path
        self._load()

    def _choose_mask(self) -> None:
        path = choose_file(
            self,
            self.tr("Mask (label map or DICOM SEG/RTSTRUCT)"),
            "mask",
            self.tr(
                "Masks (*.nii *.nii.gz *.nrrd *.mha *.dcm);;All files, e.g. a DICOM SEG without extension (*)"
            ),
        )
        if path:
            self.open_mask(path)

    def open_mask(self, path: Path) -> None:
        """Use a mask (label map, SEG, RTSTRUCT, ...; the spleen found by segment name) and run QC."""
        self.mask_path = path
        self.ctx.spleen_label = None
        self._load()

    # -- loading in a worker -------------------------------------------------------------------------------------
    def _load(self) -> None:
        if self.ct_path is None:
            return
        if self.worker is not None and self.worker.running:
            self.worker.cancel()
            self.worker.wait()
        self.status.setText(self.tr("Reading images..."))
        self._clear_verdicts(self.tr("Identity: checking..."))
        from hsp_desktop.pipeline.model_info import registry_setting

        lossy = str(registry_setting(self.ctx.registry, "qc_lossy_compression", "fail") or "fail")
        job = load_images(
            self.ct_path,
            self.mask_path,
            self.series_uid,
            registry=self.ctx.registry,
            study_id=self.ctx.current_study_id,
            spleen_label=self.ctx.spleen_label,
            lossy=lossy,
        )
        self.worker = Worker(job, self)
        self.worker.progress.connect(lambda p: self.status.setText(f"{p.stage}... {p.message}"))
        self.worker.finished.connect(self._loaded)
        self.worker.failed.connect(self._failed)
        self.worker.start()

    def _clear_verdicts(self, identity: str) -> None:
        """Forget the previous series' identity verdict and QC report (never shown for other images)."""
        self.identity.setText(identity)
        self.identity.setStyleSheet("")
        self.override_button.setVisible(False)
        self.qc.setRowCount(0)
        self.qc_summary.setText(self.tr("QC: not run yet."))
        self.score_button.setEnabled(False)

    def _failed(self, exc: BaseException) -> None:
        self.status.setText(self.tr("Could not read the images."))
        self._clear_verdicts(self.tr("Identity: not checked (the images could not be read)."))
        self.window_.show_error(exc)

    def ask_spleen_segment(self, exc: BaseException, segments: dict[int, str]) -> bool:
        """The mask's names do not say which segment is the spleen: ask, then load again (False if cancelled)."""
        items = [f"{v}: {n}" for v, n in sorted(segments.items())]
        choice, ok = QInputDialog.getItem(
            self,
            self.tr("Which segment is the spleen?"),
            self.tr("The mask's segment names do not say which one is the spleen: {0}").format(str(exc)),
            items,
            0,
            False,
        )
        if not ok:
            self.status.setText(self.tr("Choose the spleen segment to continue."))
            return False
        self.ctx.spleen_label = int(choice.split(":")[0])
        self._load()
        return True

    def _override_identity(self) -> None:
        """Ask for the reason of an identity override (kept with the prediction, audited, on the report)."""
        reason, ok = QInputDialog.getText(
            self,
            self.tr("Override the identity check"),
            self.tr("Why does this CT belong to recipient {0}? (audited, printed on the report)").format(
                self.ctx.current_study_id
            ),
        )
        if ok and reason.strip():
            self.ctx.identity_override = reason.strip()
            self.identity.setText(
                self.identity.text() + " " + self.tr("Override: {0}").format(reason.strip())
            )
            self.override_button.setEnabled(False)
            self.score_button.setEnabled(self._qc_passed and self.ctx.can_write())

    def _show_identity(self, report: Any) -> None:
        from hsp_desktop.pipeline.identity import OVERRIDE_ROLES

        if report is None or not report.applicable:
            self.identity.setText(self.tr("Identity: not checked (the CT file carries no DICOM identity)."))
            self.override_button.setVisible(False)
            return
        blocking = report.blocking
        if not blocking:
            self.identity.setText(self.tr("Identity: the CT matches recipient {0}.").format(report.study_id))
            self.identity.setStyleSheet("color: #1b7f3b;")
            self.override_button.setVisible(False)
            return
        details = "; ".join(f"{c.item}: {c.detail}" for c in blocking)
        self.identity.setText(
            self.tr("Identity MISMATCH: this CT may belong to another patient ({0}).").format(details)
        )
        self.identity.setStyleSheet("color: #b00020; font-weight: bold;")
        self.override_button.setVisible(True)
        self.override_button.setEnabled(self.ctx.role in OVERRIDE_ROLES and not self.ctx.identity_override)

    def _loaded(self, result: dict[str, Any]) -> None:
        self._qc_passed = False
        if "ask" in result:  # the CT was read; the spleen segment must be chosen before the mask is used
            self._show_identity(result.get("identity"))
            self.ask_spleen_segment(result["ask"], result["segments"])
            return
        self.viewer.set_volume(result["ct"], result["mask"])
        self.ctx.ct_path = self.ct_path
        self.ctx.mask_path = self.mask_path
        self.ctx.ct_volume = result["ct"]
        self.ctx.mask_volume = result["mask"]
        self.ctx.series_uid = self.series_uid
        self._show_identity(result.get("identity"))
        identity_ok = result.get("identity") is None or not result["identity"].blocking
        qc = result["qc"]
        self.status.setText(self.tr("Images loaded."))
        if qc is None:
            self.qc.setRowCount(0)
            self.qc_summary.setText(self.tr("QC: choose the mask to run the quality checks."))
            self.score_button.setEnabled(False)
            return
        self.qc.setRowCount(len(qc.checks))
        for r, check in enumerate(qc.checks):
            name = QTableWidgetItem(tr_code(check.name))
            name.setToolTip(check.name)
            status = QTableWidgetItem(tr_code(check.status).upper())
            status.setForeground(_colour(check.status))
            detail = QTableWidgetItem(check.value)
            detail.setToolTip(check.message)
            self.qc.setItem(r, 0, name)
            self.qc.setItem(r, 1, status)
            self.qc.setItem(r, 2, detail)
        self.qc.resizeColumnToContents(0)
        self.qc.resizeColumnToContents(1)
        if qc.passed:
            self.qc_summary.setText(
                self.tr("QC passed ({0} warnings). The CT can be scored.").format(len(qc.warnings))
            )
        else:
            self.qc_summary.setText(
                self.tr("QC failed: {0}. Fix the images before scoring.").format(
                    ", ".join(tr_code(c.name) for c in qc.failures)
                )
            )
        self._qc_passed = qc.passed
        if qc.passed and not identity_ok and not self.ctx.identity_override:
            self.qc_summary.setText(self.tr("QC passed, but the identity check blocks scoring (see above)."))
        self.score_button.setEnabled(
            qc.passed and self.ctx.can_write() and (identity_ok or bool(self.ctx.identity_override))
        )


def _names_allowed(ctx: AppContext) -> bool:
    """Patient names are shown only to roles that may see identity (admin, clinician; as on the report)."""
    return ctx.role in ("admin", "clinician")


def _colour(status: str) -> Any:
    from PySide6.QtGui import QColor

    return QColor(STATUS_COLOURS.get(status, "#000000"))

"""The main window as a ward uses it: role-based screens, unsaved-changes guard, live language, 150 % fit,
first-run checklist, administration, outcome definition, readable audit log, help, drag-and-drop."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDate, QSettings
from PySide6.QtWidgets import QApplication, QInputDialog, QMessageBox

from hsp_desktop.gui.context import AppContext
from hsp_desktop.registry import Registry
from hsp_desktop.registry.passwords import TEST_PARAMS
from tests.gui.test_pages import RECORD


@pytest.fixture
def registry(tmp_path: Path) -> Any:
    reg = Registry.open(tmp_path / "registry.sqlite", argon2_params=TEST_PARAMS)
    reg.add_user("boss", "correct horse 1", "admin", by=None)
    yield reg
    reg.close()


def _window(
    qtbot: Any, registry: Any, tmp_path: Path, user: str = "boss", password: str = "correct horse 1"
) -> Any:
    from hsp_desktop.gui.mainwindow import MainWindow

    ctx = AppContext(registry=registry, user=registry.authenticate(user, password), data_dir=tmp_path)
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    return window


def _visible(window: Any) -> set[str]:
    keys = list(window.pages)
    return {keys[r] for r in range(window.nav.count()) if not window.nav.item(r).isHidden()}


def test_screens_follow_the_role(qtbot, registry: Any, tmp_path: Path) -> None:
    boss = registry.authenticate("boss", "correct horse 1")
    registry.add_user("reader", "reader pass 1", "readonly", by=boss)
    registry.add_user("nurse", "nurse pass 12", "coordinator", by=boss)
    admin = _window(qtbot, registry, tmp_path)
    assert {"admin", "audit", "federation", "start"} <= _visible(admin)
    assert admin.current_key() == "start"  # first run: the checklist comes first
    reader = _window(qtbot, registry, tmp_path, "reader", "reader pass 1")
    assert _visible(reader).isdisjoint({"admin", "audit", "federation", "score", "start", "research"})
    assert {"worklist", "recipient", "followup", "help"} <= _visible(reader)
    assert reader.current_key() == "worklist"
    nurse = _window(qtbot, registry, tmp_path, "nurse", "nurse pass 12")
    assert "score" in _visible(nurse) and "admin" not in _visible(nurse)


def test_opening_another_recipient_asks_about_unsaved_edits(
    qtbot, registry: Any, tmp_path: Path, monkeypatch
) -> None:
    window = _window(qtbot, registry, tmp_path)
    boss = window.ctx.user
    first = registry.add_recipient(RECORD, by=boss)
    second = registry.add_recipient(dict(RECORD, age=60), by=boss)
    window.ctx.select(first)
    recipient = window.pages["recipient"]
    recipient.form.widgets["meld"].setText("22")
    assert window.dirty_screens() == ["Recipient"]
    worklist = window.show_page("worklist")
    worklist.refresh()
    row = next(r for r in range(worklist.table.rowCount()) if worklist.table.item(r, 0).text() == second)
    worklist.table.selectRow(row)
    asked: list[str] = []

    def answer(button: QMessageBox.StandardButton) -> Any:
        return lambda *a, **k: asked.append(a[2]) or button

    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Cancel))
    worklist.open_selected()
    assert window.ctx.current_study_id == first and recipient.form.values()["meld"] == "22" and asked
    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Discard))
    worklist.open_selected()
    assert window.ctx.current_study_id == second and recipient.study_id == second
    assert not window.dirty_screens()


def test_language_switches_live_with_qt_own_buttons(qtbot, registry: Any, tmp_path: Path) -> None:
    from hsp_desktop.gui.app import install_language

    window = _window(qtbot, registry, tmp_path)
    sid = registry.add_recipient(RECORD, by=window.ctx.user)
    window.ctx.select(sid)
    window.show_page("followup")
    try:
        assert window.set_language("zh_CN")
        assert window.nav.item(list(window.pages).index("worklist")).text() == "工作列表"
        assert (
            window.current_key() == "followup"
            and window.pages["followup"].schedule.item(0, 0).text() == "第 30 天"
        )
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "t",
            "x",
            QMessageBox.StandardButton.Ok | QMessageBox.StandardButton.Cancel,
        )
        texts = {b.text() for b in box.buttons()}
        assert "取消" in texts and ("确定" in texts or "好" in texts), texts  # Qt's own translations
        assert QSettings("HSP", "HSP Desktop").value("ui/language") == "zh_CN"
        assert window.set_language("en")
        assert window.nav.item(list(window.pages).index("worklist")).text() == "Worklist"
    finally:
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        install_language(app, "en")


def test_window_fits_the_available_screen(qtbot, registry: Any, tmp_path: Path) -> None:
    window = _window(qtbot, registry, tmp_path)
    window.resize(3000, 2000)
    window.fit_to_screen()
    area = window.screen().availableGeometry()
    assert window.frameGeometry().width() <= area.width() and window.frameGeometry().height() <= area.height()
    # every screen scrolls inside the window instead of pushing buttons off it
    window.resize(800, 560)
    for key, container in window._containers.items():
        assert container.widgetResizable(), key
    assert window.minimumSizeHint().width() <= 800 and window.minimumSizeHint().height() <= 600


def test_first_run_checklist(qtbot, registry: Any, tmp_path: Path, monkeypatch) -> None:
    window = _window(qtbot, registry, tmp_path)
    start = window.pages["start"]
    start.refresh()
    assert start.states["users"].text().endswith("to do") and "5 of 5" in start.summary.text()
    admin = window.pages["admin"]
    start.buttons["users"].click()
    assert window.current_key() == "admin"
    admin.new_name.setText("dr.li")
    admin.new_password.setText("a long pass 1")
    admin.new_role.setCurrentIndex(admin.new_role.findData("clinician"))
    admin.add_user()
    assert {u["username"] for u in registry.users()} == {"boss", "dr.li"}
    start.refresh()
    assert start.states["users"].text().endswith("done") and "4 of 5" in start.summary.text()


def test_admin_imports_and_exports_csv(qtbot, registry: Any, tmp_path: Path) -> None:
    import csv

    from tests.registry.conftest import BASE_RECORD, make_record

    window = _window(qtbot, registry, tmp_path)
    admin = window.show_page("admin")
    clinical = tmp_path / "clinical.csv"
    with open(clinical, "w", newline="") as fh:
        w = csv.DictWriter(fh, list(BASE_RECORD))
        w.writeheader()
        w.writerow(make_record("HSP-0101"))
    window.open_dropped([clinical])  # drag-and-drop of a CSV imports it
    assert registry.count() == 1 and "imported 1 of 1" in admin.report.toPlainText()
    paths = admin.export(tmp_path / "export")
    assert any(p.name == "records.csv" for p in paths)


def test_outcome_definition_confirms_how_many_are_rederived(
    qtbot, registry: Any, tmp_path: Path, monkeypatch
) -> None:
    window = _window(qtbot, registry, tmp_path)
    for age in (50, 51, 52):
        registry.add_recipient(dict(RECORD, age=age), by=window.ctx.user)
    page = window.show_page("outcome")
    page.plt.setCurrentIndex(page.plt.findData(75.0))
    asked: list[str] = []
    monkeypatch.setattr(
        QMessageBox, "question", lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.Cancel
    )
    assert page.save() is False and "all 3 recipients" in asked[0]
    assert registry.get_setting("outcome_definition") == {}
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("protocol amendment 2", True))
    assert page.save()
    assert registry.get_setting("outcome_definition") == {"plt_threshold": 75.0}
    assert any(e["reason"] == "protocol amendment 2" for e in registry.audit_log(table="settings"))


def test_audit_log_is_readable_filterable_and_in_local_time(qtbot, registry: Any, tmp_path: Path) -> None:
    from hsp_desktop.gui.pages.audit import describe_change, local_time

    shanghai = dt.timezone(dt.timedelta(hours=8))
    assert local_time("2026-12-08T00:29:31.678Z", shanghai) == "2026-12-08 08:29:31 (UTC+08:00)"
    change = describe_change(
        {"old": {"platelets": 60.0, "wbc": None, "id": 3}, "new": {"platelets": 65.0, "wbc": 3.1, "id": 3}}
    )
    assert change == "Platelet count: 60 → 65; White-cell count: — → 3.1"
    window = _window(qtbot, registry, tmp_path)
    boss = window.ctx.user
    registry.add_user("nurse", "nurse pass 12", "coordinator", by=boss)
    nurse = registry.authenticate("nurse", "nurse pass 12")
    a = registry.add_recipient(RECORD, by=boss)
    b = registry.add_recipient(dict(RECORD, age=61), by=nurse)
    page = window.show_page("audit")
    page.refresh()
    page.recipient_filter.setText(b)
    page.refresh()
    assert page.log.rowCount() > 0 and {page.log.item(r, 5).text() for r in range(page.log.rowCount())} == {b}
    page.recipient_filter.setText("")
    page.user_filter.setCurrentIndex(page.user_filter.findData("nurse"))
    users = {page.log.item(r, 2).text() for r in range(page.log.rowCount())}
    assert users == {"nurse"}
    assert all("{" not in page.log.item(r, 7).text() for r in range(page.log.rowCount()))
    assert "UTC" in page.log.item(0, 1).text()
    page.date_to.setDate(QDate.currentDate().addDays(-400))
    page.date_from.setDate(QDate.currentDate().addDays(-800))
    assert page.log.rowCount() == 0
    assert a


def test_help_lists_the_workflow_and_viewer_shortcuts(qtbot, registry: Any, tmp_path: Path) -> None:
    window = _window(qtbot, registry, tmp_path)
    page = window.show_page("help")
    keys = [page.shortcuts.item(r, 0).text() for r in range(page.shortcuts.rowCount())]
    assert "Page Up/Page Down" in keys and "Ctrl+L" in keys
    from PySide6.QtWidgets import QLabel

    workflow = page.findChild(QLabel, "workflowHelp")
    assert workflow is not None and "Follow-up" in workflow.text() and "Ruler" in workflow.text()
    assert "CONTRACTS" not in workflow.text()


def test_error_titles_name_what_went_wrong() -> None:
    from hsp_desktop import errors
    from hsp_desktop.gui.messages import describe

    mask = errors.GeometryError("The mask m.nii is not on the grid of the CT ct.nii", field="mask")
    assert describe(mask)[0] == "CT and mask do not match"
    other = errors.GeometryError("Slices are not evenly spaced", field="ct")
    assert describe(other)[0] == "Image geometry problem"
    try:
        try:
            raise errors.QcError("QC failed: slice_thickness", field="ct")
        except errors.QcError as cause:
            raise errors.PipelineError("Imaging quality control failed", stage="qc") from cause
    except errors.PipelineError as exc:
        title, text, details = describe(exc)
    assert title == "Scoring stopped at imaging quality control: Image quality check failed"
    assert "Nothing was saved" in text and not details


def test_screenshot_script_never_touches_real_settings(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("screenshots", Path("packaging/screenshots.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.isolate_settings(tmp_path / "shots")
    assert QSettings("HSP", "HSP Desktop").fileName().startswith(str(tmp_path / "shots"))


def test_dropped_dicom_folder_and_mask_go_to_imaging(
    qtbot, registry: Any, tmp_path: Path, monkeypatch
) -> None:
    window = _window(qtbot, registry, tmp_path)
    imaging = window.pages["imaging"]
    opened: list[tuple[str, Path]] = []
    monkeypatch.setattr(imaging, "open_dicom_folder", lambda p: opened.append(("dicom", p)))
    monkeypatch.setattr(imaging, "open_mask", lambda p: opened.append(("mask", p)))
    monkeypatch.setattr(imaging, "open_ct_file", lambda p: opened.append(("ct", p)))
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: opened.append(("refused", Path(a[2]))))
    folder = tmp_path / "dicom"
    folder.mkdir()
    window.open_dropped([folder])
    assert opened[-1][0] == "refused"  # no recipient selected yet
    window.ctx.select(registry.add_recipient(RECORD, by=window.ctx.user))
    window.open_dropped([folder, tmp_path / "spleen_mask.nii.gz", tmp_path / "ct.nrrd"])
    assert [k for k, _ in opened[1:]] == ["dicom", "mask", "ct"] and window.current_key() == "imaging"


def test_file_dialogs_remember_their_folder(qtbot, tmp_path: Path, monkeypatch) -> None:
    from PySide6.QtWidgets import QFileDialog, QWidget

    from hsp_desktop.gui.folders import choose_file, choose_folder

    parent = QWidget()
    qtbot.addWidget(parent)
    cd = tmp_path / "cd-export" / "DICOM"
    cd.mkdir(parents=True)
    starts: list[str] = []
    monkeypatch.setattr(
        QFileDialog, "getExistingDirectory", lambda _p, _t, start: starts.append(start) or str(cd)
    )
    assert choose_folder(parent, "DICOM", "dicom-test") == cd
    choose_folder(parent, "DICOM", "dicom-test")
    assert starts[-1] == str(cd)
    mask = tmp_path / "masks" / "m.nii.gz"
    mask.parent.mkdir()
    mask.touch()
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", lambda _p, _t, start, _f: (starts.append(start), (str(mask), ""))[1]
    )
    assert choose_file(parent, "Mask", "mask-test", "*.nii.gz") == mask
    choose_file(parent, "Mask", "mask-test", "*.nii.gz")
    assert starts[-1] == str(mask.parent)


def test_a_cancellation_is_not_an_error_dialog(qtbot, registry: Any, tmp_path: Path) -> None:
    from hsp_desktop.errors import CancelledError

    window = _window(qtbot, registry, tmp_path)
    window.show_error(CancelledError("Loading cancelled by the user; nothing was saved"))
    assert window.findChild(QMessageBox, "errorBox") is None
    assert "cancelled" in window.statusBar().currentMessage()

"""Screens driven against a real registry (tmp folder, cheap password hashing)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QComboBox, QLineEdit, QMessageBox

from hsp_desktop.gui.context import AppContext
from hsp_desktop.registry import Registry
from hsp_desktop.registry.passwords import TEST_PARAMS

RECORD: dict[str, Any] = {
    "site": "site1", "cohort": "validation", "transplant_date": "2025-01-10", "ct_date": "2025-01-01",
    "consent": 1, "prior_splenectomy": 0, "prior_splenic_embolisation": 0, "splenic_artery_ligation": 0,
    "post_lt_splenic_embolisation": 0, "tips_or_portal_surgery": 0, "perioperative_death": 0,
    "haematological_disease": 0, "age": 50, "sex": "M", "height_cm": 170, "weight_kg": 70, "aetiology": "hbv",
    "hcc": 0, "graft_type": "deceased_whole", "meld": 15, "platelets": 66, "wbc": 4.3, "haemoglobin": 108,
    "bilirubin": 35, "albumin": 33, "inr": 1.4, "creatinine": 70, "sodium": 137, "alt": 30, "ast": 45,
    "ascites": 1, "varices": 1, "variceal_bleed": 0, "encephalopathy": 0, "pvt_partial": 0,
    "splenorenal_shunt": 0, "spleen_volume_ml": 700, "spleen_length_cm": 14.5, "portal_vein_mm": 13.5,
    "splenic_vein_mm": 10.5, "splenic_artery_mm": 6, "liver_volume_ml": 1150,
}  # fmt: skip


class FakeWindow:
    """Stands in for MainWindow's navigation (records which screen was asked for and any error shown)."""

    def __init__(self) -> None:
        self.pages: list[str] = []
        self.errors: list[BaseException] = []
        self.page_objects: dict[str, Any] = {}

    def show_page(self, key: str) -> Any:
        self.pages.append(key)
        return self.page_objects.get(key)

    def show_error(self, exc: BaseException) -> None:
        self.errors.append(exc)


@pytest.fixture
def ctx(tmp_path: Path) -> Any:
    registry = Registry.open(tmp_path / "registry.sqlite", argon2_params=TEST_PARAMS)
    admin = registry.add_user("admin", "correct horse 1", "admin", by=None)
    user = registry.authenticate("admin", "correct horse 1")
    assert admin is not None
    yield AppContext(registry=registry, user=user, data_dir=tmp_path)
    registry.close()


def fill(form: Any, values: dict[str, Any]) -> None:
    for name, value in values.items():
        w = form.widgets[name]
        if isinstance(w, QComboBox):
            w.setCurrentIndex(w.findData(value))
            assert w.currentData() == value, name
        else:
            assert isinstance(w, QLineEdit)
            w.setText(str(value))


def test_sign_in_creates_first_admin_then_authenticates(qtbot, tmp_path: Path) -> None:
    from hsp_desktop.gui.signin import SignInDialog

    registry = Registry.open(tmp_path / "r.sqlite", argon2_params=TEST_PARAMS)
    try:
        first = SignInDialog(registry, first_admin=True)
        qtbot.addWidget(first)
        first.username.setText("chief")
        first.password.setText("s3cret-pass")
        first.repeat.setText("different")
        first.try_accept()
        assert "differ" in first.error.text() and first.user is None
        first.repeat.setText("s3cret-pass")
        first.try_accept()
        assert first.user is not None and first.user.role == "admin"

        again = SignInDialog(registry)
        qtbot.addWidget(again)
        again.username.setText("chief")
        again.password.setText("wrong")
        again.try_accept()
        assert again.user is None and again.error.text()
        again.password.setText("s3cret-pass")
        again.try_accept()
        assert again.user is not None
    finally:
        registry.close()


def test_recipient_form_lists_every_problem_and_converts_unit_traps(qtbot, ctx: Any, monkeypatch) -> None:
    from hsp_desktop.gui.pages.recipient import RecipientPage
    from hsp_desktop.gui.pages.worklist import WorklistPage

    window = FakeWindow()
    page = RecipientPage(ctx, window)
    worklist = WorklistPage(ctx, window)
    qtbot.addWidget(page)
    qtbot.addWidget(worklist)
    window.page_objects["recipient"] = page
    record = copy.deepcopy(RECORD)
    record["platelets"] = 66000  # typed per µL: a unit trap
    record["age"] = 82  # out of range
    fill(page.form, record)

    answers = iter([QMessageBox.StandardButton.Yes])
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: next(answers))
    assert page.save() is None  # the age problem blocks saving even after the conversion is confirmed
    problems = [page.problems.item(i).text() for i in range(page.problems.count())]
    assert any(p.startswith("age:") for p in problems), problems
    assert "border" in page.form.widgets["age"].styleSheet()
    assert ctx.registry.count() == 0

    page.form.widgets["age"].setText("52")  # type: ignore[attr-defined]
    answers = iter([QMessageBox.StandardButton.Yes])
    sid = page.save()
    assert sid is not None
    saved = ctx.registry.get_recipient(sid)
    assert saved["platelets"] == pytest.approx(66.0)
    assert saved["age"] == 52 and saved["eligible"]

    worklist.refresh()
    assert worklist.table.rowCount() == 1
    worklist.search.setText("nomatch")
    assert worklist.table.rowCount() == 0


def test_declined_unit_conversion_saves_nothing(qtbot, ctx: Any, monkeypatch) -> None:
    from hsp_desktop.gui.pages.recipient import RecipientPage

    page = RecipientPage(ctx, FakeWindow())
    qtbot.addWidget(page)
    record = copy.deepcopy(RECORD)
    record["bilirubin"] = "2.0"  # mg/dL typed without a unit
    fill(page.form, record)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    assert page.save() is None
    assert ctx.registry.count() == 0
    assert page.problems.count() >= 1


def test_followup_visits_derive_the_outcome(qtbot, ctx: Any) -> None:
    from PySide6.QtCore import QDate

    from hsp_desktop.gui.pages.followup import FollowUpPage

    sid = ctx.registry.add_recipient(RECORD, by=ctx.user)
    ctx.select(sid)
    page = FollowUpPage(ctx, FakeWindow())
    qtbot.addWidget(page)
    page.refresh()
    assert "pending" in page.outcome.text().lower()
    for day, plt in ((170, 60), (185, 62)):
        page.date.setDate(QDate(2025, 1, 10).addDays(day))
        page.measures["platelets"].setText(str(plt))
        page.measures["wbc"].setText("3.1")
        if day == 185:
            page.measures["spleen_volume_ml"].setText("640")
            page.measures["spleen_length_cm"].setText("14.0")
        page.save_visit()
    assert page.visits.rowCount() == 2
    outcome = ctx.registry.outcome(sid)
    assert outcome["status"] == 1
    assert "YES" in page.outcome.text()


def test_audit_screen_filters_on_every_audited_table(qtbot, ctx: Any) -> None:
    from hsp_desktop.gui.pages.audit import AuditPage
    from hsp_desktop.registry.audit import audited_tables

    page = AuditPage(ctx, FakeWindow())
    qtbot.addWidget(page)
    offered = {page.table_filter.itemData(i) for i in range(1, page.table_filter.count())}
    assert offered == set(audited_tables(ctx.registry._conn))
    ctx.registry.add_recipient(RECORD, by=ctx.user)
    page.table_filter.setCurrentIndex(page.table_filter.findData("recipients"))
    assert page.log.rowCount() >= 1
    cells = [page.log.item(0, c).text() for c in range(page.log.columnCount())]
    assert all(cells[:6]), cells  # number, time, user, action, table, row are all shown
    page.verify()
    assert "verified" in page.result.text()


def test_research_screen_refuses_bad_folders_before_any_work(qtbot, ctx: Any, tmp_path: Path) -> None:
    from hsp_desktop.errors import InputError, ModelArtefactError
    from hsp_desktop.gui.pages.research import ResearchPage

    window = FakeWindow()
    page = ResearchPage(ctx, window)
    qtbot.addWidget(page)
    page.cohort.setText(str(tmp_path / "nowhere"))
    page.start()
    assert isinstance(window.errors[-1], InputError) and window.errors[-1].field == "cohort"
    cohort = tmp_path / "cohort"
    cohort.mkdir()
    (cohort / "clinical.csv").write_text("study_id\n", encoding="utf-8")
    existing = tmp_path / "bundle"
    existing.mkdir()
    page.cohort.setText(str(cohort))
    page.out.setText(str(existing))
    page.start()
    assert isinstance(window.errors[-1], ModelArtefactError) and window.errors[-1].field == "out"
    page.out.setText(str(tmp_path / "new-bundle"))
    page.deep.setText(str(tmp_path / "no-cnn-here"))
    page.start()
    assert isinstance(window.errors[-1], InputError) and window.errors[-1].field == "deep"
    assert page.worker is None and page.run_button.isEnabled()

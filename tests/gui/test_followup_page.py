"""Follow-up screen: no silent date, target windows, correction and deletion with a reason, Convert for unit traps."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDate
from PySide6.QtWidgets import QInputDialog, QMessageBox

from hsp_desktop.gui.context import AppContext
from hsp_desktop.registry import Registry
from hsp_desktop.registry.passwords import TEST_PARAMS
from tests.gui.test_pages import RECORD, FakeWindow


@pytest.fixture
def ctx(tmp_path: Path) -> Any:
    registry = Registry.open(tmp_path / "registry.sqlite", argon2_params=TEST_PARAMS)
    registry.add_user("admin", "correct horse 1", "admin", by=None)
    yield AppContext(
        registry=registry, user=registry.authenticate("admin", "correct horse 1"), data_dir=tmp_path
    )
    registry.close()


def _page(ctx: Any, qtbot: Any) -> Any:
    from hsp_desktop.gui.pages.followup import FollowUpPage

    page = FollowUpPage(ctx, FakeWindow())
    qtbot.addWidget(page)
    return page


def test_visit_date_never_defaults_to_today(qtbot, ctx: Any, monkeypatch) -> None:
    sid = ctx.registry.add_recipient(RECORD, by=ctx.user)
    ctx.select(sid)
    page = _page(ctx, qtbot)
    page.refresh()
    assert "date" not in page.visit_values()
    warned: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: warned.append(a[2]))
    page.measures["platelets"].setText("70")
    assert page.save_visit() is False and warned
    assert ctx.registry.followups(sid) == []


def test_schedule_shows_target_dates_and_windows(qtbot, ctx: Any) -> None:
    sid = ctx.registry.add_recipient(RECORD, by=ctx.user)  # transplant 2025-01-10
    ctx.select(sid)
    page = _page(ctx, qtbot)
    page.refresh()
    assert page.schedule.rowCount() == 3
    assert page.schedule.item(0, 1).text() == "2025-02-09"  # day 30
    assert page.schedule.item(2, 2).text() == "2025-06-09 .. 2025-08-08"  # day 180 +/- 30
    page._use_target(1)
    assert page.date.date() == QDate(2025, 4, 10)  # day 90
    assert "day 90" in page.day_label.text()


def test_correct_and_delete_a_visit_with_a_reason(qtbot, ctx: Any, monkeypatch) -> None:
    sid = ctx.registry.add_recipient(RECORD, by=ctx.user)
    ctx.select(sid)
    page = _page(ctx, qtbot)
    page.refresh()
    page.date.setDate(QDate(2025, 7, 12))
    page.measures["platelets"].setText("60")
    assert page.save_visit()
    assert page.visits.rowCount() == 1
    page.visits.selectRow(0)
    page.edit_selected()
    assert page.editing is not None and page.measures["platelets"].text() == "60"
    page.measures["platelets"].setText("65")
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("typing error", True))
    assert page.save_visit()
    visit = ctx.registry.followups(sid)[0]
    assert visit["platelets"] == 65
    entries = ctx.registry.audit_log(table="followups")
    assert any(e["reason"] == "typing error" and e["action"] == "update" for e in entries), entries[:2]

    page.visits.selectRow(0)
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("", False))  # cancelled: nothing deleted
    page.delete_selected()
    assert len(ctx.registry.followups(sid)) == 1
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("wrong recipient", True))
    page.delete_selected()
    assert ctx.registry.followups(sid) == [] and page.visits.rowCount() == 0
    assert any(e["reason"] == "wrong recipient" for e in ctx.registry.audit_log(table="followups"))


def test_unit_trap_offers_convert(qtbot, ctx: Any, monkeypatch) -> None:
    sid = ctx.registry.add_recipient(RECORD, by=ctx.user)
    ctx.select(sid)
    page = _page(ctx, qtbot)
    page.refresh()
    page.date.setDate(QDate(2025, 7, 12))
    page.measures["platelets"].setText("88000")
    shown: list[str] = []

    def click(box: QMessageBox, label: str) -> None:
        shown.append(box.text())
        button = next(b for b in box.buttons() if b.text() == label)
        box.setProperty("_clicked", label)
        monkeypatch.setattr(box, "clickedButton", lambda: button)

    monkeypatch.setattr(QMessageBox, "exec", lambda self: click(self, "Edit the value"))
    assert page.save_visit() is False
    assert page.measures["platelets"].text() == "88000" and ctx.registry.followups(sid) == []
    assert "confirm_units" not in shown[0] and "88000" in shown[0]
    monkeypatch.setattr(QMessageBox, "exec", lambda self: click(self, "Convert"))
    assert page.save_visit()
    assert ctx.registry.followups(sid)[0]["platelets"] == 88


def test_due_list_opens_the_recipient_and_next_visit_after_day_183(qtbot, ctx: Any) -> None:
    from hsp_desktop.gui.pages.worklist import WorklistPage

    record = dict(RECORD, transplant_date=(dt.date.today() - dt.timedelta(days=190)).isoformat())
    record["ct_date"] = (dt.date.today() - dt.timedelta(days=200)).isoformat()
    sid = ctx.registry.add_recipient(record, by=ctx.user)
    page = _page(ctx, qtbot)
    page.refresh()
    assert page.due.rowCount() == 3  # day 30 and 90 overdue (nothing recorded yet), day 180 due
    page.open_due(0)
    assert ctx.current_study_id == sid and sid in page.header.text()
    page.date.setDate(QDate.currentDate().addDays(-7))  # day 183
    page.measures["platelets"].setText("70")
    assert page.save_visit()
    worklist = WorklistPage(ctx, FakeWindow())
    qtbot.addWidget(worklist)
    worklist.refresh()
    text = worklist.table.item(0, 6).text()
    assert text.startswith("day 180 (due"), text
    states = [page.schedule.item(r, 4).text() for r in range(3)]
    assert states == ["missed", "missed", "due"]

"""A ruler measurement on the CT fills the pre-operative form; saving keeps its provenance in the audit trail."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPointF

from hsp_desktop.gui.context import AppContext
from hsp_desktop.registry import Registry
from hsp_desktop.registry.passwords import TEST_PARAMS
from tests.gui.test_pages import RECORD, FakeWindow
from tests.gui.test_viewer_tools import _volume


@pytest.fixture
def ctx(tmp_path: Path) -> Any:
    registry = Registry.open(tmp_path / "registry.sqlite", argon2_params=TEST_PARAMS)
    registry.add_user("admin", "correct horse 1", "admin", by=None)
    yield AppContext(
        registry=registry, user=registry.authenticate("admin", "correct horse 1"), data_dir=tmp_path
    )
    registry.close()


def test_caliper_value_flows_into_the_form_with_provenance(qtbot, ctx: Any) -> None:
    from hsp_desktop.gui.pages.recipient import RecipientPage
    from hsp_desktop.gui.widgets.slice_viewer import SliceViewer

    sid = ctx.registry.add_recipient(RECORD, by=ctx.user)
    page = RecipientPage(ctx, FakeWindow())
    qtbot.addWidget(page)
    ctx.select(sid)
    assert page.study_id == sid and not page.is_dirty()

    viewer = SliceViewer()
    qtbot.addWidget(viewer)
    viewer.resize(1200, 500)
    viewer.show()
    ct, mask = _volume()
    viewer.set_volume(ct, mask)
    viewer.user = "admin"
    viewer.measurement_recorded.connect(page.apply_measurement)
    rect = viewer.panes["Coronal"].image_rect()
    m = viewer.measure(
        "Coronal", QPointF(rect.left() + 2, rect.top() + 3), QPointF(rect.left() + 2, rect.top() + 41)
    )
    assert m is not None
    viewer.measure_field.setCurrentIndex(viewer.measure_field.findData("spleen_length_cm"))
    viewer.send_measurement()
    assert page.form.values()["spleen_length_cm"] == "3.8"
    assert page.is_dirty() and "coronal" in page.measured.text().lower() and "admin" in page.measured.text()
    page.refresh()  # coming back to the screen must not wipe the unsaved measurement
    assert page.form.values()["spleen_length_cm"] == "3.8"

    assert page.save() == sid
    assert ctx.registry.get_recipient(sid)["spleen_length_cm"] == pytest.approx(3.8)
    assert not page.is_dirty() and page.measured.isHidden()
    notes = [e["reason"] or "" for e in ctx.registry.audit_log(row_key=sid)]
    note = next(n for n in notes if "CT caliper" in n)
    assert "spleen_length_cm=3.8" in note and "coronal slice" in note and "by admin" in note

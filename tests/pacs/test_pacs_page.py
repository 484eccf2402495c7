"""The PACS screen in a real (offscreen) main window: add a node, test it, find studies, retrieve into Imaging."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pacs_servers import MiniPacs
from PySide6.QtCore import Qt

pytestmark = pytest.mark.gui


def test_pacs_screen_finds_retrieves_and_opens_the_series(
    qtbot: Any, registry: Any, mini_pacs: MiniPacs, tmp_path: Path
) -> None:
    from hsp_desktop.gui.context import AppContext
    from hsp_desktop.gui.mainwindow import MainWindow
    from hsp_desktop.gui.workers import active_workers

    reg, admin = registry
    ctx = AppContext(registry=reg, user=admin, data_dir=tmp_path)
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    page = window.show_page("pacs")
    assert not page.query_button.isEnabled()  # no node yet
    assert "No PACS node" in page.status.text()

    page.new_name.setText("Mini")
    page.new_ae.setText(mini_pacs.ae_title)
    page.new_host.setText("127.0.0.1")
    page.new_port.setValue(mini_pacs.port)
    page.add_button.click()
    assert page.node_box.count() == 1 and "MINIPACS@127.0.0.1" in page.node_box.currentText()

    page.echo_button.click()
    qtbot.waitUntil(lambda: page.worker is None, timeout=20_000)
    assert "answered in" in page.status.text()

    ctx.select("HSP-0001")
    assert page.recipient_label.text() == "HSP-0001" and page.query_button.isEnabled()
    page.query_button.click()
    qtbot.waitUntil(lambda: page.worker is None, timeout=20_000)
    assert page.tree.topLevelItemCount() == 1
    series_item = page.tree.topLevelItem(0).child(0)
    assert series_item.text(1) == "CT"
    page.tree.setCurrentItem(series_item)
    assert page.retrieve_button.isEnabled()
    page.retrieve_button.click()
    qtbot.waitUntil(lambda: page.worker is None, timeout=60_000)
    series = series_item.data(0, int(Qt.ItemDataRole.UserRole))
    folder = tmp_path / "pacs-inbox" / series.series_uid
    assert len(list(folder.iterdir())) == series.n_instances
    imaging = window.pages["imaging"]
    assert imaging.isVisible() and imaging.ct_path == folder
    qtbot.waitUntil(lambda: not active_workers(), timeout=60_000)
    assert [t["direction"] for t in reg.dicom_transfers("HSP-0001")] == ["query", "retrieve"]
    window.close()

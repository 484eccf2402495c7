"""Federation screen: review and approve a plan, run a dry-run federation with progress, see results and the outbox."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hsp_desktop.gui.context import AppContext
from hsp_desktop.registry import Registry
from hsp_desktop.registry.passwords import TEST_PARAMS


class FakeWindow:
    def __init__(self) -> None:
        self.errors: list[BaseException] = []

    def show_page(self, key: str) -> None:
        return None

    def show_error(self, exc: BaseException) -> None:
        self.errors.append(exc)


@pytest.fixture
def ctx(tmp_path: Path) -> Any:
    registry = Registry.open(tmp_path / "registry.sqlite", argon2_params=TEST_PARAMS)
    registry.add_user("admin", "correct horse 1", "admin", by=None)
    user = registry.authenticate("admin", "correct horse 1")
    yield AppContext(registry=registry, user=user, data_dir=tmp_path)
    registry.close()


def test_plan_is_shown_and_approved_by_the_signed_in_user(qtbot, ctx: Any, tmp_path: Path) -> None:
    from hsp_desktop.federated.service import make_plan
    from hsp_desktop.federated.site import approvals
    from hsp_desktop.gui.pages.federation import FederationPage

    plan = make_plan(("site1", "site2", "site3"), rounds=3, strategy="fedprox")
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan.to_dict()))
    window = FakeWindow()
    page = FederationPage(ctx, window)
    qtbot.addWidget(page)
    site_dir = tmp_path / "site1"
    page.site_dir.setText(str(site_dir))
    page.load_plan(path)
    text = page.plan_view.toPlainText()
    assert plan.app_sha256 in text and "What this site sends" in text and "fedprox (mu = 0.1)" in text
    assert "Not approved" in page.plan_status.text()
    assert page.approve_button.isEnabled()
    page.approve_button.click()
    assert plan.sha256 in approvals(site_dir)
    assert approvals(site_dir)[plan.sha256]["by"].startswith("admin")
    assert "Approved by admin" in page.plan_status.text()
    assert not page.approve_button.isEnabled()
    # a damaged plan file is reported, not shown
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    page.load_plan(bad)
    assert window.errors and "plan" in str(window.errors[-1]).lower()


def test_dry_run_federation_with_progress_results_and_outbox(qtbot, ctx: Any) -> None:
    from hsp_desktop.gui.pages.federation import FederationPage

    page = FederationPage(ctx, FakeWindow())
    qtbot.addWidget(page)
    page.in_process.setChecked(True)
    seen: list[float] = []
    page.demo_button.click()
    page.worker.progress.connect(lambda p: seen.append(p.fraction))
    qtbot.waitUntil(lambda: page.worker is None, timeout=120_000)
    assert page.result is not None
    text = page.result_view.toPlainText()
    assert "Pooled: AUC" in text and "leave-site1-out" in text and "Heterogeneity" in text
    assert page.progress.value() == 100 and seen and max(seen) == 1.0
    # the outbox of one of the demo's sites: every message listed, chain intact
    page.site_dir.setText(str(Path(page.result["run_dir"]) / "sites" / "site1"))
    page.refresh_messages()
    assert page.messages.rowCount() == 1 + 1 + page.result["rounds"] + 1
    assert "intact" in page.chain_label.text()


def test_join_needs_the_fields_and_leave_stops_the_site(qtbot, ctx: Any, tmp_path: Path) -> None:
    from hsp_desktop.federated.deploy import free_port, init_coordinator
    from hsp_desktop.gui.pages.federation import FederationPage

    page = FederationPage(ctx, FakeWindow())
    qtbot.addWidget(page)
    page.join()
    assert "Fill in" in page.site_status.text()
    init_coordinator(tmp_path / "coord", ["site1"], port=free_port())
    page.site_dir.setText(str(tmp_path / "coord" / "sites" / "site1"))
    page.data_path.setText(str(tmp_path))
    page.site_name.setText("site1")
    page.address.setText(f"127.0.0.1:{free_port()}")  # nobody listens: the site keeps retrying
    page.join()
    proc = page._proc
    assert proc is not None and page.leave_button.isEnabled()
    page.leave()
    assert not proc.alive and page.join_button.isEnabled()

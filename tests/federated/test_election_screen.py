"""The Federation screen shows a run's Rad-score election: candidate count, votes per feature, the elected list."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.gui


class _Window:
    def __init__(self) -> None:
        self.errors: list[BaseException] = []

    def show_error(self, exc: BaseException) -> None:
        self.errors.append(exc)


@pytest.fixture
def ctx(tmp_path: Path) -> Any:
    from hsp_desktop.gui.context import AppContext
    from hsp_desktop.registry import Registry
    from hsp_desktop.registry.passwords import TEST_PARAMS

    registry = Registry.open(tmp_path / "registry.sqlite", argon2_params=TEST_PARAMS)
    registry.add_user("admin", "correct horse 1", "admin", by=None)
    user = registry.authenticate("admin", "correct horse 1")
    yield AppContext(registry=registry, user=user, data_dir=tmp_path)
    registry.close()


def test_election_result_is_shown(qtbot: Any, ctx: Any) -> None:
    from hsp_desktop.gui.pages.federation import FederationPage

    page = FederationPage(ctx, _Window())
    qtbot.addWidget(page)
    el = {
        "candidates": ["spleen__a", "spleen__b", "spleen__c"],
        "quorum": 0.5,
        "selection": "lasso",
        "voters": 3,
        "votes": {"spleen__a": 1, "spleen__b": 3, "spleen__c": 0},
        "elected": ["spleen__b"],
        "fallback": [],
    }
    page.show_election(el)
    assert "3 candidates, 3 sites voted, quorum 0.5; 1 elected" in page.election_label.text()
    table = page.election_table
    rows = [[table.item(r, c).text() for c in range(3)] for r in range(table.rowCount())]
    assert rows == [["b", "3", "yes"], ["a", "1", ""], ["c", "0", ""]]
    assert not table.isHidden()
    page.show_election(None)  # a run without election hides the table
    assert table.isHidden() and page.election_label.text() == ""

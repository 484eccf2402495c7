"""GUI fixtures: every test here is marked ``gui`` and fails if it leaves a worker thread running."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/gui" in str(item.fspath):
            item.add_marker(pytest.mark.gui)


@pytest.fixture(autouse=True)
def _no_leaked_workers(qtbot: object) -> Iterator[None]:
    from hsp_desktop.gui.workers import active_workers

    yield
    leaked = active_workers()
    for w in leaked:
        w.cancel()
        w.wait(10_000)
    assert not leaked, f"test left {len(leaked)} worker thread(s) running"

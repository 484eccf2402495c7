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
    """Fail a test that leaves a worker running; collect Qt garbage on the GUI thread (as the app does)."""
    import gc

    from hsp_desktop.gui.workers import active_workers

    gc.collect()  # a wrapper of a previous test's widget must never be freed by a worker thread's GC pass
    gc.disable()  # as the app does (gc_guard): cyclic garbage is collected on the GUI thread only
    try:
        yield
    finally:
        gc.enable()
    leaked = active_workers()
    for w in leaked:
        w.cancel()
        w.wait(10_000)
    assert not leaked, f"test left {len(leaked)} worker thread(s) running"
    gc.collect()

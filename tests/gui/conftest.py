"""GUI fixtures: every test here is marked ``gui`` and fails if it leaves a worker thread running."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/gui" in str(item.fspath):
            item.add_marker(pytest.mark.gui)


@pytest.fixture(autouse=True, scope="session")
def _settings_in_a_temporary_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The GUI tests never read or write the real user's settings (window geometry, language, folders)."""
    from PySide6.QtCore import QSettings

    folder = tmp_path_factory.mktemp("qsettings")
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(folder))
    yield


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

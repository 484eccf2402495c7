"""Application start: the background Numba warm-up really runs (it was once silently skipped by a bad import)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from hsp_desktop.gui import app as app_module


class _SignedIn:
    """Stands in for the sign-in dialog: accepted at once."""

    def __init__(self, registry: object, first_admin: bool = False) -> None:
        self.user = {"username": "tester", "role": "admin"}

    def exec(self) -> int:
        return 1


class _Window:
    """Stands in for the main window (the start sequence is under test, not the window)."""

    def __init__(self, ctx: object) -> None:
        self.ctx = ctx

    def show(self) -> None:
        pass


def _start_app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[threading.Thread]:
    """Run ``run_app`` with the dialog, window and event loop stubbed; return the threads it started."""
    monkeypatch.setenv("HSP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "numba"))
    monkeypatch.setattr("hsp_desktop.gui.signin.SignInDialog", _SignedIn)
    monkeypatch.setattr("hsp_desktop.gui.mainwindow.MainWindow", _Window)
    monkeypatch.setattr("hsp_desktop.selftest.first_start_selftest_due", lambda: False)
    monkeypatch.setattr(QApplication, "exec", lambda self: 0)
    started: list[threading.Thread] = []
    real_start = app_module.start_background_warmup

    def recording_start() -> threading.Thread:
        thread = real_start()
        started.append(thread)
        return thread

    monkeypatch.setattr(app_module, "start_background_warmup", recording_start)
    assert app_module.run_app(["hsp-gui"]) == 0
    for thread in started:
        thread.join(timeout=30)
        assert not thread.is_alive()
    return started


def test_app_start_runs_the_numba_warm_up(
    qtbot: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[str] = []

    def fake_warm_up() -> float:
        calls.append(threading.current_thread().name)
        return 0.0

    # Patched where the engine defines it: the app must reach it through the package's public name.
    monkeypatch.setattr("hsp_desktop.radiomics.extractor.warm_up", fake_warm_up)
    started = _start_app(monkeypatch, tmp_path)
    assert len(started) == 1
    assert calls == ["numba-warmup"], "the warm-up did not run, or ran on the GUI thread"


def test_a_failed_warm_up_is_logged_not_swallowed(
    qtbot: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def broken_warm_up() -> float:
        raise RuntimeError("no compiler today")

    monkeypatch.setattr("hsp_desktop.radiomics.extractor.warm_up", broken_warm_up)
    with caplog.at_level(logging.ERROR, logger="hsp_desktop.gui.app"):
        _start_app(monkeypatch, tmp_path)
    [record] = [r for r in caplog.records if r.name == "hsp_desktop.gui.app"]
    assert "warm-up failed" in record.getMessage()
    assert record.exc_info is not None and "no compiler today" in str(record.exc_info[1])


def test_the_warm_up_name_the_app_imports_exists() -> None:
    # The name the app imports exists on the package and is the engine's function (the original bug).
    from hsp_desktop import radiomics
    from hsp_desktop.radiomics import extractor

    assert radiomics.warm_up is extractor.warm_up

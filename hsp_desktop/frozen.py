"""Entry point of the installed (frozen) application and its first-start self-test hook.

One executable serves both faces of the product::

    hsp-desktop                  the desktop application (also ``hsp-desktop gui [Qt options]``)
    hsp-desktop selftest         any other first argument runs the ``hsp`` command line
    hsp selftest                 the same executable started through a link named ``hsp``

The installed folder is read-only, so Numba's compiled kernels are cached in the per-user data folder
(:func:`hsp_desktop.cli.use_per_user_numba_cache`), set before anything imports Numba.

First start: the self-test runs once per build on each workstation account. The GUI asks
:func:`first_start_selftest_due` after the main window is shown and, when it is due, runs
:func:`first_start_selftest_job` in a worker (the same job as Help -> Self-test, which also records the
result); ``hsp selftest`` from the installed command line records its result the same way.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Generator, Sequence
from pathlib import Path
from typing import Any

from hsp_desktop import build_id
from hsp_desktop.domain import Progress

#: First argument that selects the desktop application explicitly (Qt options may follow).
GUI_COMMAND = "gui"
#: Executable names that always mean the command line.
CLI_NAMES = frozenset({"hsp", "hsp.exe"})


def is_frozen() -> bool:
    """Return True when running from the PyInstaller bundle rather than the source tree."""
    return bool(getattr(sys, "frozen", False))


def wants_cli(argv: Sequence[str]) -> bool:
    """Decide whether ``argv`` asks for the ``hsp`` command line (True) or the desktop application (False).

    Parameters
    ----------
    argv : sequence of str
        The process arguments, ``argv[0]`` being the executable as it was started.

    Returns
    -------
    bool
        True for a link named ``hsp`` or any first argument other than ``gui``; False with no arguments.
    """
    if argv and Path(argv[0]).name.lower() in CLI_NAMES:
        return True
    return len(argv) > 1 and argv[1] != GUI_COMMAND


def selftest_marker() -> Path:
    """Return the file that records this build's self-test on this account (under the per-user data folder)."""
    from hsp_desktop.pipeline.paths import user_data_dir

    safe = "".join(c if c.isalnum() or c in "-._" else "_" for c in build_id())
    return user_data_dir() / "selftest" / f"{safe}.json"


def first_start_selftest_due(*, frozen_only: bool = True) -> bool:
    """Return True when this build has not yet recorded a passed self-test on this account.

    Parameters
    ----------
    frozen_only : bool, default True
        In a source checkout the self-test is never due on start (developers run ``hsp selftest``).

    Returns
    -------
    bool
        True when the GUI should run :func:`first_start_selftest_job` now.
    """
    if frozen_only and not is_frozen():
        return False
    marker = selftest_marker()
    if not marker.is_file():
        return True
    try:
        return not bool(json.loads(marker.read_text(encoding="utf-8")).get("passed"))
    except (OSError, ValueError):
        return True


def record_selftest(report: Any, *, via: str = "gui") -> Path:
    """Record a self-test result for this build (``report`` is a SelfTestReport or a plain dict).

    Parameters
    ----------
    report : SelfTestReport or dict
        The finished self-test; a dict needs at least ``"passed"``.
    via : str, default "gui"
        Where it ran (``"gui"`` or ``"cli"``), kept in the record.

    Returns
    -------
    pathlib.Path
        The marker file written (atomically: a temporary file renamed into place).
    """
    data = dict(report) if isinstance(report, dict) else dict(report.as_dict())
    data.update(
        {"build": build_id(), "via": via, "recorded_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    )
    marker = selftest_marker()
    marker.parent.mkdir(parents=True, exist_ok=True)
    tmp = marker.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, marker)
    return marker


def first_start_selftest_job() -> Callable[[Callable[[], bool]], Generator[Progress, None, Any]]:
    """Return the self-test as a GUI worker job that also records its result for this build.

    Returns
    -------
    callable
        ``job(cancelled) -> generator of Progress`` returning the SelfTestReport, the shape
        :class:`hsp_desktop.gui.workers.Worker` runs.
    """
    from hsp_desktop.selftest import run_selftest

    def job(cancelled: Callable[[], bool]) -> Generator[Progress, None, Any]:
        report = yield from run_selftest()
        record_selftest(report, via="gui")
        return report

    return job


def main(argv: Sequence[str] | None = None) -> int:
    """Run the desktop application or the ``hsp`` command line, as :func:`wants_cli` decides."""
    multiprocessing.freeze_support()
    args = list(sys.argv if argv is None else argv)
    from hsp_desktop.cli import use_per_user_numba_cache

    use_per_user_numba_cache()
    if wants_cli(args):
        from hsp_desktop import cli

        rest = args[1:]
        code = cli.main(rest)
        if rest[:1] == ["selftest"] and "--write-reference" not in rest and is_frozen():
            record_selftest({"passed": code == 0}, via="cli")
        return code
    from hsp_desktop.gui.app import run_app

    qt_args = [args[0], *args[2:]] if len(args) > 1 and args[1] == GUI_COMMAND else args[:1]
    smoke = os.environ.get(SMOKE_ENV)
    if smoke:
        _schedule_gui_smoke(qt_args, int(smoke))
    return run_app(qt_args)


#: Packaging check: ``HSP_GUI_SMOKE_MS=N hsp-desktop`` prints the visible windows after N ms, then closes them.
SMOKE_ENV = "HSP_GUI_SMOKE_MS"


def _schedule_gui_smoke(qt_args: list[str], msecs: int) -> None:
    """Create the QApplication and, after ``msecs``, print every visible top-level window and close them all."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(qt_args)

    def report_and_close() -> None:
        for widget in QApplication.topLevelWidgets():
            if widget.isVisible():
                print(f"gui-smoke: visible {type(widget).__name__} {widget.windowTitle()!r}", flush=True)
        print(f"gui-smoke: platform {QApplication.platformName()}", flush=True)
        QApplication.closeAllWindows()

    QTimer.singleShot(msecs, app, report_and_close)


if __name__ == "__main__":
    sys.exit(main())

"""Entry point of the installed (frozen) application and its first-start self-test hook.

One executable serves both faces of the product::

    hsp-desktop                  the desktop application (also ``hsp-desktop gui [Qt options]``)
    hsp-desktop selftest         any other first argument runs the ``hsp`` command line
    hsp selftest                 the same executable started through a link named ``hsp``

The installed folder is read-only, so Numba's compiled kernels are cached in the per-user data folder
(:func:`hsp_desktop.cli.use_per_user_numba_cache`), set before anything imports Numba.

First start: the self-test runs once per build on each workstation account. The GUI asks
:func:`hsp_desktop.selftest.first_start_selftest_due` after the main window is shown and, when it is due, runs
:func:`hsp_desktop.selftest.first_start_selftest_job` in a worker (the same job as Help -> Self-test, which also records the
result); ``hsp selftest`` from the installed command line records its result the same way.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from hsp_desktop.selftest import is_frozen, record_selftest

__all__ = ["CLI_NAMES", "GUI_COMMAND", "SMOKE_ENV", "is_frozen", "main", "wants_cli"]

#: First argument that selects the desktop application explicitly (Qt options may follow).
GUI_COMMAND = "gui"
#: Executable names that always mean the command line.
CLI_NAMES = frozenset({"hsp", "hsp.exe"})


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

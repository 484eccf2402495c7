"""Where HSP Desktop keeps its per-user data: the one definition (registry, reports, demo cohort, Numba cache).

A module of its own, importing nothing of the application, so that every layer (``synthetic``, ``pipeline``,
``gui``, the command line) can ask it without pulling in anything else.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def user_data_dir() -> Path:
    r"""The per-user data folder: ``HSP_DATA_DIR`` if set, else the platform's usual place (not created here).

    ``~/.local/share/hsp-desktop`` on Linux (``$XDG_DATA_HOME`` respected), ``%LOCALAPPDATA%\hsp-desktop`` on
    Windows, ``~/Library/Application Support/hsp-desktop`` on macOS.

    Returns
    -------
    Path
        The folder (it may not exist yet).
    """
    env = os.environ.get("HSP_DATA_DIR")
    if env:
        return Path(env).expanduser()
    if sys.platform.startswith("win"):
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "hsp-desktop"

"""Where the application keeps its per-user data (demo registry, reports) and the shipped model artefacts."""

from __future__ import annotations

import os
import sys
from pathlib import Path

DEMO_MODEL = "hsp-demo-1"


def user_data_dir() -> Path:
    """The per-user data folder: ``HSP_DATA_DIR`` if set, else the platform's usual place (not created here).

    Same folder as the demo cohort cache (:mod:`hsp_desktop.synthetic.demo`).
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


def artifacts_dir() -> Path:
    """The folder of shipped model artefacts (``models/artifacts``)."""
    import models

    return Path(models.__file__).resolve().parent / "artifacts"


def demo_model_path() -> Path:
    """The shipped demo model bundle."""
    return artifacts_dir() / DEMO_MODEL

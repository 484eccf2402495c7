"""Where the application keeps its per-user data (demo registry, reports) and the shipped model artefacts."""

from __future__ import annotations

from pathlib import Path

from hsp_desktop.datadir import user_data_dir

__all__ = ["DEMO_MODEL", "artifacts_dir", "demo_model_path", "user_data_dir"]

DEMO_MODEL = "hsp-demo-1"


def artifacts_dir() -> Path:
    """The folder of shipped model artefacts (``models/artifacts``)."""
    import models

    return Path(models.__file__).resolve().parent / "artifacts"


def demo_model_path() -> Path:
    """The shipped demo model bundle."""
    return artifacts_dir() / DEMO_MODEL

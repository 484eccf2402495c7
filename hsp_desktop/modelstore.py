"""Where locked model bundles live on a workstation, and which one is active.

Shipped bundles are in ``models/artifacts/`` (read-only in the installed app); bundles a site installs are
copied, after verification, into ``<data dir>/models/``.  The active model's folder is a registry setting, so
the choice is audited like every other change.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from hsp_desktop.errors import ModelArtefactError

SHIPPED = Path(__file__).resolve().parent.parent / "models" / "artifacts"
DEFAULT_MODEL = "hsp-demo-1"
SETTING = "active_model"


def list_model_dirs(data_dir: Path) -> list[Path]:
    """Every folder holding a risk-model bundle (``manifest.json`` with a feature list), shipped first."""
    found = []
    for base in (SHIPPED, data_dir / "models"):
        if base.is_dir():
            for folder in sorted(base.iterdir()):
                if (folder / "manifest.json").is_file() and _is_risk_model(folder):
                    found.append(folder)
    return found


def _is_risk_model(folder: Path) -> bool:
    import json

    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(manifest, dict)
        and manifest.get("kind", "risk-model") == "risk-model"
        and "features" in manifest
    )


def _get_setting(registry: Any, key: str) -> Any:
    getter = getattr(registry, "get_setting", None)
    return getter(key) if callable(getter) else None


def active_model_dir(registry: Any, data_dir: Path) -> Path | None:
    """The active bundle's folder: the registry setting, else the shipped demo model if present."""
    value = _get_setting(registry, SETTING)
    if value:
        path = Path(str(value))
        return path if path.is_dir() else None
    default = SHIPPED / DEFAULT_MODEL
    return default if default.is_dir() else None


def set_active_model(registry: Any, folder: Path, *, by: Any) -> None:
    """Verify ``folder`` (strict loader, Ed25519 signature) and make it the active model, pinning its manifest.

    See :func:`hsp_desktop.registry.bundles.activate` (both settings are audited).
    """
    from hsp_desktop.registry.bundles import activate

    activate(registry, folder, by=by)


def install_bundle(source: Path, data_dir: Path) -> Path:
    """Verify a bundle and copy it to ``<data dir>/models/<name>``; refuse altered or clashing bundles."""
    from models.bundle import load_bundle

    model = load_bundle(source)
    name = str(model.manifest.get("name") or source.name)
    target = data_dir / "models" / name
    if target.exists():
        raise ModelArtefactError(
            f"a model named {name!r} is already installed",
            found=str(target),
            fix="give the new bundle another name or version, or remove the installed one first",
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        staged = Path(tmp) / name
        shutil.copytree(source, staged)
        load_bundle(staged)  # the copy must verify too
        staged.rename(target)
    return target

"""Remembered folders: each kind of file dialog opens where the user was last time (per workstation user)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QWidget


def remembered_folder(key: str, fallback: Path | None = None) -> str:
    """The folder last used for ``key`` (``dicom``, ``mask``, ``import``...), else ``fallback`` or home."""
    value = QSettings("HSP", "HSP Desktop").value(f"folders/{key}")
    if isinstance(value, str) and Path(value).is_dir():
        return value
    return str(fallback or Path.home())


def remember_folder(key: str, path: str | Path) -> None:
    """Remember the folder of a chosen file, or the chosen folder itself."""
    p = Path(path)
    QSettings("HSP", "HSP Desktop").setValue(f"folders/{key}", str(p if p.is_dir() else p.parent))


def choose_folder(parent: QWidget, title: str, key: str, fallback: Path | None = None) -> Path | None:
    """A folder dialog that starts in the remembered folder and remembers the choice."""
    folder = QFileDialog.getExistingDirectory(parent, title, remembered_folder(key, fallback))
    if not folder:
        return None
    remember_folder(key, folder)
    return Path(folder)


def choose_file(
    parent: QWidget, title: str, key: str, filters: str, fallback: Path | None = None
) -> Path | None:
    """A file dialog that starts in the remembered folder and remembers the choice."""
    path, _ = QFileDialog.getOpenFileName(parent, title, remembered_folder(key, fallback), filters)
    if not path:
        return None
    remember_folder(key, path)
    return Path(path)

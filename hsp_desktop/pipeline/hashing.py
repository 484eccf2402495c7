"""SHA-256 of the inputs of a prediction: image files or DICOM folders, and the feature row fed to the model."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

_CHUNK = 1 << 20


def sha256_path(path: Path | str) -> str:
    """SHA-256 of a file, or of a folder's files (relative names and contents, in sorted order)."""
    p = Path(path)
    h = hashlib.sha256()
    if p.is_dir():
        for f in sorted(x for x in p.rglob("*") if x.is_file()):
            h.update(f.relative_to(p).as_posix().encode("utf-8") + b"\0")
            _update_file(h, f)
            h.update(b"\0")
        return h.hexdigest()
    _update_file(h, p)
    return h.hexdigest()


def sha256_files(files: list[Path] | list[str], root: Path | str) -> str:
    """SHA-256 of some files of a folder (one DICOM series of an export), as :func:`sha256_path` hashes folders."""
    base = Path(root)
    h = hashlib.sha256()
    for f in sorted(Path(x) for x in files):
        name = f.relative_to(base).as_posix() if f.is_relative_to(base) else f.name
        h.update(name.encode("utf-8") + b"\0")
        _update_file(h, f)
        h.update(b"\0")
    return h.hexdigest()


def _update_file(h: Any, f: Path) -> None:
    with f.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)


def _canonical(value: Any) -> Any:
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return float(repr(value)) if math.isfinite(value) else str(value)
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        return _canonical(value.item())
    return value


def sha256_inputs(values: Mapping[str, Any]) -> str:
    """SHA-256 of a canonical JSON form (sorted keys, NaN as null) of the model's inputs and their sources."""
    text = json.dumps(_canonical(values), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()

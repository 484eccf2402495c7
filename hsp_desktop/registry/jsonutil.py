"""Plain-data helpers shared by the registry layers: UTC timestamps, dates and canonical JSON."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any


def now() -> str:
    """The current UTC time as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def today() -> dt.date:
    """Today's local date."""
    return dt.date.today()


def as_date(value: str | dt.date | None) -> dt.date | None:
    """A date from a ``YYYY-MM-DD`` string or a date (None stays None)."""
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def plain(obj: Any) -> Any:
    """Convert dataclasses, numpy scalars, tuples and paths into JSON-safe plain data."""
    if obj is None or isinstance(obj, str | bool | int):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: plain(getattr(obj, f.name)) for f in fields(obj)}
    if hasattr(obj, "as_dict") and callable(obj.as_dict):
        return plain(obj.as_dict())
    if isinstance(obj, Mapping):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [plain(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, dt.date):
        return obj.isoformat()
    if hasattr(obj, "item") and callable(obj.item):  # numpy scalar
        return obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def _json_default(obj: Any) -> Any:
    """``json.dumps`` hook for what it cannot encode itself (dataclasses, numpy scalars, paths, dates)."""
    value = plain(obj)
    if value is obj:
        raise TypeError(f"{type(obj).__name__} is not JSON serialisable")
    return value


def dumps(obj: Any) -> str:
    """Canonical JSON (sorted keys, no spaces); non-finite floats become null."""
    try:
        return json.dumps(
            obj,
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
            allow_nan=False,
            default=_json_default,
        )
    except ValueError:  # NaN/inf somewhere: take the slow path that maps them to None
        return json.dumps(plain(obj), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def sha256_json(obj: Any) -> str:
    """SHA-256 (hex) of the canonical JSON of ``obj``."""
    return hashlib.sha256(dumps(obj).encode("utf-8")).hexdigest()


def is_sha256(value: object) -> bool:
    """Whether ``value`` is 64 lower-case hexadecimal characters."""
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)

"""The audit chain's head, anchored outside the database, so that rolling back the chain's tail is detected.

Inside one SQLite file the chain cannot prove its own length: someone with the ``sqlite3`` module can drop the
triggers, delete the last N audit rows, undo what they recorded and recreate the triggers, and what remains is an
unbroken chain whose every row matches.  So after every committed write the registry also writes the chain's head
(``registry_id``, last audit id, its hash) to a small file *outside* the database, next to the site key by default
(``<key file>.audit-head``) or next to the database when there is no key file (``<db>.audit-head``).  The file is
sealed with an HMAC under the audit key (derived from the site key), so it cannot be edited without the key.
:func:`check` compares it with the database: the anchored entry must still be in the chain with the same hash.

The head is also written beside every backup (``<backup>.audit-head``), restored with it, and printed on reports
(:meth:`Registry.audit_head`), so a rollback of *both* the database and the anchor file to an older pair is still
visible against a later backup or a printed report.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sqlite3
from dataclasses import asdict, dataclass
from pathlib import Path

from hsp_desktop.errors import RegistryError

SUFFIX = ".audit-head"


@dataclass(frozen=True)
class Head:
    """The chain's head: the registry it belongs to, the last audit id and that row's hash."""

    registry_id: str
    audit_id: int
    hash: str

    def short(self) -> str:
        """A line for printed reports: ``audit #<id> <first 16 hex of the hash>``."""
        return f"audit #{self.audit_id} {self.hash[:16]}"


def current(conn: sqlite3.Connection, registry_id: str) -> Head:
    """The head of the chain in the database (id 0 and an empty hash for an empty chain)."""
    row = conn.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    return Head(registry_id, int(row[0]), str(row[1])) if row else Head(registry_id, 0, "")


def _mac(head: Head, key: bytes | None) -> str | None:
    if key is None:
        return None
    msg = json.dumps([head.registry_id, head.audit_id, head.hash], separators=(",", ":")).encode()
    return hmac.new(key, b"hsp-audit-head|" + msg, hashlib.sha256).hexdigest()


def write(path: Path, head: Head, key: bytes | None, *, durable: bool = False) -> None:
    """Atomically replace ``path`` with ``head`` (0600, written to a temporary file and renamed).

    After each commit the file is not fsynced (``durable=False``): losing the newest anchor in a power cut only
    leaves an older head, which still bounds a rollback; backups and restores write it durably.
    """
    data = json.dumps({**asdict(head), "mac": _mac(head, key)}, indent=1).encode()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise RegistryError(
            f"The audit head could not be written to {path}",
            expected="a writable folder beside the site key",
            found=f"{type(exc).__name__}: {exc.strerror or exc}",
            fix="free disk space or fix the folder's permissions; then run `hsp registry verify`",
            field="audit_head",
        ) from exc


def read(path: Path, key: bytes | None) -> tuple[Head | None, str | None]:
    """Read an anchor file: ``(head, None)``, ``(None, None)`` when absent, ``(None, problem)`` when unusable."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        head = Head(str(raw["registry_id"]), int(raw["audit_id"]), str(raw["hash"]))
    except FileNotFoundError:
        return None, None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return None, f"the audit head file {path} cannot be read ({type(exc).__name__})"
    mac = raw.get("mac")
    if key is not None and (not isinstance(mac, str) or not hmac.compare_digest(mac, _mac(head, key) or "")):
        return None, f"the audit head file {path} was altered (its seal does not match the site key)"
    return head, None


def check(conn: sqlite3.Connection, path: Path, key: bytes | None, registry_id: str) -> list[str]:
    """Compare the anchored head in ``path`` with the chain in the database; returns the problems found."""
    head, problem = read(path, key)
    if problem:
        return [problem]
    if head is None:
        return []
    if head.registry_id != registry_id:
        return [f"the audit head file {path} belongs to another registry ({head.registry_id[:8]}...)"]
    if head.audit_id == 0:
        return []
    last = current(conn, registry_id)
    if last.audit_id < head.audit_id:
        return [
            f"the audit chain ends at entry {last.audit_id} but entry {head.audit_id} was anchored outside the "
            f"database: entries {last.audit_id + 1}..{head.audit_id} were removed (the registry was rolled back)"
        ]
    row = conn.execute("SELECT hash FROM audit WHERE id = ?", (head.audit_id,)).fetchone()
    if row is None or row[0] != head.hash:
        return [
            f"audit entry {head.audit_id} differs from the head anchored outside the database: the chain was "
            "rewritten from there on"
        ]
    return []

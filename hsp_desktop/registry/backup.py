"""Online backup (SQLite backup API, one step) with integrity checks and rotation, and a checked, atomic restore.

A step-by-step backup under continuous writes restarts whenever the source changes and may never finish; a
single-step copy (``Connection.backup(target, pages=-1)``) reads one consistent snapshot.  Each copy is written to a
``.partial`` file, switched to a self-contained rollback journal, checked (``integrity_check``,
``foreign_key_check``), fsynced and only then renamed to ``<stem>-<UTC time>.sqlite`` next to a ``.sha256`` file.
The site key is *not* in the backup: keep its file backed up separately.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from hsp_desktop.errors import RegistryError, TamperError
from hsp_desktop.registry.connection import InterProcessLock

if TYPE_CHECKING:
    from hsp_desktop.registry.core import Registry

_NAME = re.compile(r"^(?P<stem>.+)-(?P<ts>\d{8}T\d{6}\d{6}Z)\.sqlite$")


def _stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")


def _fsync_dir(folder: Path) -> None:
    if os.name == "nt":  # pragma: no cover - directories cannot be fsynced on Windows
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_database(conn: sqlite3.Connection, what: str) -> None:
    """Raise :class:`RegistryError` unless ``integrity_check`` is ok and no foreign key is broken."""
    result = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    fk = conn.execute("PRAGMA foreign_key_check").fetchall()
    if result != ["ok"] or fk:
        raise RegistryError(
            f"The {what} failed its integrity check",
            expected="integrity_check ok and no broken foreign keys",
            found="; ".join(result[:3]) + (f"; {len(fk)} broken foreign keys" if fk else ""),
            fix="use another backup; run `hsp registry verify`",
        )


def _copy(src: sqlite3.Connection, partial: Path) -> None:
    check_database(src, "registry")
    dst = sqlite3.connect(partial, isolation_level=None)
    try:
        src.backup(dst, pages=-1)
        dst.execute("PRAGMA journal_mode=DELETE")
        check_database(dst, "backup copy")
    except BaseException:
        dst.close()
        partial.unlink(missing_ok=True)
        raise
    dst.close()


def backup(reg: Registry, folder: Path, *, keep: int | None = None) -> Path:
    """Write a checked, timestamped copy of the registry into ``folder`` and keep the newest ``keep`` copies.

    Parameters
    ----------
    reg : Registry
        The open registry (writes from other programs may continue during the backup).
    folder : Path
        Destination folder (created when absent); use another disk than the registry's.
    keep : int, optional
        How many backups to keep (default: the ``backup_keep`` setting, 30).

    Returns
    -------
    Path
        The new backup file.
    """
    folder.mkdir(parents=True, exist_ok=True)
    keep = int(keep if keep is not None else reg.get_setting("backup_keep"))
    if keep < 1:
        raise RegistryError("keep must be at least 1", found=str(keep), field="keep")
    stem = Path(reg.path).stem if reg.path != ":memory:" else "registry"
    final = folder / f"{stem}-{_stamp()}.sqlite"
    partial = final.with_name(final.name + ".partial")
    if reg.path == ":memory:":
        with reg._db.read() as conn:
            _copy(conn, partial)
    else:
        # a separate read connection: the registry's own connection stays free for the GUI during the copy
        # (WAL readers see one consistent snapshot while other programs keep writing)
        src = sqlite3.connect(Path(reg.path).resolve().as_uri() + "?mode=ro", uri=True, isolation_level=None)
        try:
            _copy(src, partial)
        finally:
            src.close()
    _fsync_file(partial)
    digest = _sha256(partial)
    os.replace(partial, final)
    final.with_name(final.name + ".sha256").write_text(f"{digest}  {final.name}\n", encoding="ascii")
    _fsync_dir(folder)
    rotate(folder, stem, keep)
    return final


def list_backups(folder: Path, stem: str | None = None) -> list[Path]:
    """Return the backups in ``folder`` (optionally of one registry ``stem``), oldest first."""
    out = []
    for p in folder.glob("*.sqlite"):
        m = _NAME.match(p.name)
        if m and (stem is None or m.group("stem") == stem):
            out.append(p)
    return sorted(out, key=lambda p: _NAME.match(p.name).group("ts"))  # type: ignore[union-attr]


def rotate(folder: Path, stem: str, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups of ``stem``; returns the deleted files."""
    old = list_backups(folder, stem)[:-keep]
    for p in old:
        p.unlink()
        p.with_name(p.name + ".sha256").unlink(missing_ok=True)
    return old


def restore(backup_file: Path, target: Path, *, site_key: bytes | None = None) -> Path:
    """Check a backup thoroughly, then atomically replace ``target`` with it.

    Checks, in order: the ``.sha256`` file (when present) matches; the copy opens as an HSP Desktop registry;
    ``integrity_check`` and ``foreign_key_check`` pass; the site key matches; the audit chain and every row verify.
    Only then is the live registry (checkpointed first; refused while another program holds it) moved aside to
    ``<name>.pre-restore-<UTC time>`` and the checked copy renamed into place (an atomic rename on one file system).
    Close every HSP Desktop window using ``target`` first.

    Parameters
    ----------
    backup_file : Path
        A backup made by :func:`backup`.
    target : Path
        The registry file to replace (or create).
    site_key : bytes, optional
        The site key of the registry the backup was made from.

    Returns
    -------
    Path
        ``target``.
    """
    from hsp_desktop.registry.core import Registry

    if not backup_file.is_file():
        raise RegistryError(
            f"No backup file at {backup_file}", expected="a .sqlite backup", found="nothing", field="backup"
        )
    sidecar = backup_file.with_name(backup_file.name + ".sha256")
    if sidecar.is_file():
        expected = sidecar.read_text(encoding="ascii").split()[0]
        if _sha256(backup_file) != expected:
            raise TamperError(
                f"The backup {backup_file.name} does not match its checksum",
                expected=expected[:16] + "...",
                found="a different file",
                fix="use another backup",
                field="backup",
            )
    target = target.resolve() if target.exists() else target.absolute()
    tmp = target.with_name(f".{target.name}.restore-{_stamp()}.tmp")
    src = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
    try:
        try:
            check_database(src, "backup")
        except sqlite3.DatabaseError as exc:
            raise RegistryError(
                f"{backup_file.name} is not a readable database", found=str(exc), fix="use another backup"
            ) from exc
        dst = sqlite3.connect(tmp, isolation_level=None)
        try:
            src.backup(dst, pages=-1)
        finally:
            dst.close()
    finally:
        src.close()
    try:
        reg = Registry.open(tmp, site_key=site_key)
        try:
            report = reg.verify()
            reg.checkpoint("TRUNCATE")
        finally:
            reg.close()
        if not report.ok:
            raise TamperError(
                f"The backup {backup_file.name} failed verification; the registry was not replaced",
                expected="an unbroken audit chain",
                found="; ".join(report.problems[:3]),
                fix="use an older backup",
                field="backup",
            )
        _fsync_file(tmp)
        with InterProcessLock(Path(str(target) + ".lock")).hold(timeout=10):
            if target.exists():
                live = sqlite3.connect(target, isolation_level=None)
                try:
                    busy = live.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
                finally:
                    live.close()
                if busy:
                    raise RegistryError(
                        "The registry is in use by another program; it was not replaced",
                        expected="no other program using the registry",
                        found="open connections",
                        fix="close every HSP Desktop window and try again",
                        field="target",
                    )
                aside = target.with_name(f"{target.name}.pre-restore-{_stamp()}")
                os.replace(target, aside)
            for suffix in ("-wal", "-shm"):
                Path(str(target) + suffix).unlink(missing_ok=True)
            os.replace(tmp, target)
            for suffix in ("-wal", "-shm"):
                Path(str(tmp) + suffix).unlink(missing_ok=True)
            _fsync_dir(target.parent)
    except BaseException:
        for p in (tmp, Path(str(tmp) + "-wal"), Path(str(tmp) + "-shm"), Path(str(tmp) + ".lock")):
            p.unlink(missing_ok=True)
        raise
    Path(str(tmp) + ".lock").unlink(missing_ok=True)
    return target

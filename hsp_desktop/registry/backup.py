"""Online backup (SQLite backup API, one step) with integrity checks and rotation, and a checked, atomic restore.

A step-by-step backup under continuous writes restarts whenever the source changes and may never finish; a
single-step copy (``Connection.backup(target, pages=-1)``) reads one consistent snapshot.  Each copy is written to a
``.partial`` file, switched to a self-contained rollback journal, checked (``integrity_check``,
``foreign_key_check``), fsynced and only then renamed to ``<stem>-<UTC time>.sqlite`` next to a ``.sha256`` file and an ``.audit-head`` file (the chain's head, sealed with
the site key: see :mod:`hsp_desktop.registry.anchor`).  Backups are readable by their owner only (0600).  The site
key is *not* in the backup: keep its file backed up separately.

Restore needs an administrator's sign-in and refuses what is not this registry: an empty file, a database that is
not an HSP Desktop registry or has no users, another site's registry (its registry id differs from the live one,
or its site key check from the key given), a backup whose checksum, integrity check, audit chain or anchored head
fails.  The restore itself is written to the restored registry's audit trail (setting ``last_restore``), and the
anchored head is reset to the restored chain.  Every failure is a typed error with the fix.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import os
import re
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from hsp_desktop.errors import AuthError, RegistryError, TamperError
from hsp_desktop.registry import anchor
from hsp_desktop.registry.connection import InterProcessLock
from hsp_desktop.registry.crypto import SiteKey
from hsp_desktop.registry.models import ADMIN_ROLES, User
from hsp_desktop.registry.passwords import Argon2Params

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


def _private_file(path: Path) -> None:
    """Create an empty file readable by its owner only (SQLite keeps the mode of an existing file)."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))


def _ro_uri(path: Path) -> str:
    return path.resolve().as_uri() + "?mode=ro"  # as_uri percent-encodes, so '%', '?' and '#' in paths work


def _disk_error(exc: BaseException, where: Path, what: str) -> RegistryError:
    text = str(exc)
    full = (isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)) or "full" in text
    return RegistryError(
        f"The {what} could not be written to {where}" + (": the disk is full" if full else ""),
        expected="a writable local folder with free space",
        found=f"{type(exc).__name__}: {text}",
        fix="free disk space or choose another folder, then try again"
        if full
        else "check the folder and retry",
        field="folder",
    )


def _copy(src: sqlite3.Connection, partial: Path) -> None:
    check_database(src, "registry")
    _private_file(partial)
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
        The new backup file (beside it: ``.sha256`` and ``.audit-head``).
    """
    keep = int(keep if keep is not None else reg.get_setting("backup_keep"))
    if keep < 1:
        raise RegistryError("keep must be at least 1", found=str(keep), field="keep")
    stem = Path(reg.path).stem if reg.path != ":memory:" else "registry"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _disk_error(exc, folder, "backup") from exc
    final = folder / f"{stem}-{_stamp()}.sqlite"
    partial = final.with_name(final.name + ".partial")
    try:
        if reg.path == ":memory:":
            with reg._db.read() as conn:
                _copy(conn, partial)
        else:
            # a separate read connection: the registry's own connection stays free for the GUI during the copy
            # (WAL readers see one consistent snapshot while other programs keep writing)
            src = sqlite3.connect(_ro_uri(Path(reg.path)), uri=True, isolation_level=None)
            try:
                _copy(src, partial)
            finally:
                src.close()
        _fsync_file(partial)
        digest = _sha256(partial)
        copy = sqlite3.connect(_ro_uri(partial), uri=True)
        try:
            head = anchor.current(copy, reg._db.registry_id)
        finally:
            copy.close()
        os.replace(partial, final)
        final.with_name(final.name + ".sha256").write_text(f"{digest}  {final.name}\n", encoding="ascii")
        anchor.write(final.with_name(final.name + anchor.SUFFIX), head, reg._db.audit_key, durable=True)
        _fsync_dir(folder)
    except (OSError, sqlite3.OperationalError) as exc:
        partial.unlink(missing_ok=True)
        raise _disk_error(exc, folder, "backup") from exc
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
        p.with_name(p.name + anchor.SUFFIX).unlink(missing_ok=True)
    return old


def _damaged(backup_file: Path, exc: BaseException) -> RegistryError:
    return RegistryError(
        f"The backup {backup_file.name} is damaged and cannot be read",
        expected="an intact HSP Desktop registry backup",
        found=f"{type(exc).__name__}: {exc}",
        fix="use another (older) backup",
        field="backup",
    )


def _describe(backup_file: Path) -> tuple[str | None, int]:
    """Check that ``backup_file`` is a non-empty registry with users; returns (registry id or None, users)."""
    if backup_file.stat().st_size == 0:
        raise RegistryError(
            f"The backup {backup_file.name} is empty",
            expected="a registry backup made by `hsp registry backup`",
            found="0 bytes",
            fix="use another backup; an empty file would replace the registry with nothing",
            field="backup",
        )
    try:
        src = sqlite3.connect(_ro_uri(backup_file), uri=True)
    except sqlite3.DatabaseError as exc:
        raise _damaged(backup_file, exc) from exc
    try:
        tables = {r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not {"_sqlite_migrations", "users", "settings", "audit"} <= tables:
            raise RegistryError(
                f"{backup_file.name} is not an HSP Desktop registry",
                expected="a registry backup (users, settings, audit tables)",
                found=f"tables {sorted(tables)[:5]}" if tables else "an empty database",
                fix="choose a backup made by `hsp registry backup`",
                field="backup",
            )
        users = int(src.execute("SELECT COUNT(*) FROM users").fetchone()[0])
        row = src.execute("SELECT value FROM settings WHERE key = 'registry_id'").fetchone()
        check_database(src, "backup")
    except sqlite3.DatabaseError as exc:
        raise _damaged(backup_file, exc) from exc
    finally:
        src.close()
    if users == 0:
        raise RegistryError(
            f"The backup {backup_file.name} has no users",
            expected="a registry with at least its administrator",
            found="no users",
            fix="use another backup",
            field="backup",
        )
    return (json.loads(row[0]) if row else None), users


def restore(
    backup_file: Path,
    target: Path,
    *,
    site_key: bytes | None = None,
    by: User | None = None,
    username: str | None = None,
    password: str | None = None,
    anchor_file: Path | None = None,
    argon2_params: Argon2Params | None = None,
) -> Path:
    """Check a backup thoroughly, then atomically replace ``target`` with it (an administrator's act, audited).

    Checks, in order: the backup is not empty, is an HSP Desktop registry with users, matches its ``.sha256``;
    ``integrity_check`` and ``foreign_key_check`` pass; ``by`` is a signed-in administrator of the live registry
    (or, when ``target`` does not exist, ``username``/``password`` of an administrator in the backup); the backup
    has the live registry's id (else another site's registry) and the site key fits; the audit chain, every row
    and the backup's anchored head verify.  Only then is the live registry (checkpointed first; refused while
    another program holds it) moved aside to ``<name>.pre-restore-<UTC time>`` and the checked copy renamed into
    place.  Close every HSP Desktop window using ``target`` first.

    Parameters
    ----------
    backup_file : Path
        A backup made by :func:`backup`.
    target : Path
        The registry file to replace (or create).
    site_key : bytes, optional
        The site key of the registry.
    by : User, optional
        An administrator signed in to the live registry ``target``.
    username, password : str, optional
        An administrator's credentials, checked against the backup, when ``target`` does not exist.
    anchor_file : Path, optional
        The live registry's anchored head (beside the site key); reset to the restored chain's head.
    argon2_params : Argon2Params, optional
        Password-hash parameters for that sign-in (tests).

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
    backup_id, _users = _describe(backup_file)
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
    live_id = _authorise(target, site_key, by, anchor_file, argon2_params)
    if live_id is not None and backup_id is not None and backup_id != live_id:
        raise RegistryError(
            f"The backup {backup_file.name} belongs to another registry; the registry was not replaced",
            expected=f"a backup of registry {live_id[:8]}...",
            found=f"registry {backup_id[:8]}...",
            fix="choose a backup of this ward's registry",
            field="backup",
        )
    if backup_id is None and site_key is None:
        raise RegistryError(
            f"The backup {backup_file.name} has no registry id and cannot be matched to this registry",
            expected="a backup made by this version, or the site key of the registry it came from",
            found="no registry id, no site key",
            fix="pass the site key file, or use a newer backup",
            field="backup",
        )
    tmp = target.with_name(f".{target.name}.restore-{_stamp()}.tmp")
    tmp_head = Path(str(tmp) + anchor.SUFFIX)
    try:
        _private_file(tmp)
        src = sqlite3.connect(_ro_uri(backup_file), uri=True)
        dst = sqlite3.connect(tmp, isolation_level=None)
        try:
            src.backup(dst, pages=-1)
        finally:
            dst.close()
            src.close()
        head_file = backup_file.with_name(backup_file.name + anchor.SUFFIX)
        if head_file.is_file():
            tmp_head.write_bytes(head_file.read_bytes())
        reg = Registry.open(tmp, site_key=site_key, argon2_params=argon2_params, anchor_file=tmp_head)
        try:
            if live_id is not None and backup_id is None:
                with reg._db.system_tx("system:restore", "registry id of a legacy backup"):
                    reg._db.put_setting("registry_id", live_id)
                reg._db.registry_id = live_id
            if by is None:
                if username is None or password is None:
                    raise AuthError(
                        "Restoring a registry needs an administrator's sign-in",
                        expected="an administrator's user name and password",
                        found="none",
                        fix="sign in as an administrator (hsp: --user and the password)",
                        field="user",
                    )
                by = reg.authenticate(username, password)
            reg._db.check_user(by, ADMIN_ROLES)
            report = reg.verify()
            if not report.ok:
                raise TamperError(
                    f"The backup {backup_file.name} failed verification; the registry was not replaced",
                    expected="an unbroken audit chain",
                    found="; ".join(report.problems[:3]),
                    fix="use an older backup",
                    field="backup",
                )
            with reg._db.system_tx(f"system:restore:{by.username}", f"restored from {backup_file.name}"):
                reg._db.put_setting(
                    "last_restore", {"from": backup_file.name, "by": by.username, "at": _stamp()}
                )
            head = reg.audit_head()
            reg.checkpoint("TRUNCATE")
        finally:
            reg.close()
        _fsync_file(tmp)
        _replace(tmp, target)
    except sqlite3.DatabaseError as exc:
        _cleanup(tmp)
        raise _damaged(backup_file, exc) from exc
    except OSError as exc:
        _cleanup(tmp)
        raise _disk_error(exc, target.parent, "restored registry") from exc
    except BaseException:
        _cleanup(tmp)
        raise
    _cleanup(tmp)
    key = SiteKey(site_key).audit_key if site_key else None
    for path in {Path(str(target) + anchor.SUFFIX), *([anchor_file] if anchor_file else [])}:
        anchor.write(path, head, key, durable=True)
    return target


def _authorise(
    target: Path,
    site_key: bytes | None,
    by: User | None,
    anchor_file: Path | None,
    argon2_params: Argon2Params | None,
) -> str | None:
    """Check ``by`` is an administrator of the live registry; returns its registry id (None when there is none)."""
    from hsp_desktop.registry.core import Registry

    if not target.exists():
        for path in (anchor_file, Path(str(target) + anchor.SUFFIX)):
            if path is not None and path.is_file():
                head, _problem = anchor.read(path, None)
                if head is not None:
                    return head.registry_id
        return None
    if by is None:
        raise AuthError(
            "Restoring the registry needs an administrator's sign-in",
            expected="an administrator signed in to the registry being replaced",
            found="no user",
            fix="sign in as an administrator, then restore",
            field="user",
        )
    with Registry.open(
        target, site_key=site_key, argon2_params=argon2_params, anchor_file=anchor_file
    ) as live:
        live._db.check_user(by, ADMIN_ROLES)
        return live._db.registry_id


def _replace(tmp: Path, target: Path) -> None:
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
        _fsync_dir(target.parent)


def _cleanup(tmp: Path) -> None:
    for suffix in ("", "-wal", "-shm", ".lock", anchor.SUFFIX):
        Path(str(tmp) + suffix).unlink(missing_ok=True)

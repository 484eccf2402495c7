"""The registry's database layer: one connection, one writer, transactions with user and reason, settings rows.

One :class:`Database` owns one SQLite connection, used for reading and as the single writer; a thread lock
serialises its use (the GUI's worker threads share it).  Every write runs in one ``BEGIN IMMEDIATE`` transaction
under the cross-process write lock (:mod:`hsp_desktop.registry.connection`), with the signed-in user and the reason
for change made visible to the audit triggers (``hsp_user_id()``, ``hsp_username()``, ``hsp_reason()``).  A write
made inside another joins it in a savepoint, so a multi-row write is all-or-nothing.

The layers above (:mod:`~hsp_desktop.registry.users`, :mod:`~hsp_desktop.registry.recipients`,
:mod:`~hsp_desktop.registry.scoring`, :mod:`~hsp_desktop.registry.followup`, :mod:`~hsp_desktop.registry.outcomes`,
:mod:`~hsp_desktop.registry.settings`) hold a :class:`Database` and reach it through :class:`Layer`.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hsp_desktop import __version__
from hsp_desktop.errors import AuthError, RegistryError, SettingsError
from hsp_desktop.registry import anchor, sessions, versions
from hsp_desktop.registry import audit as audit_mod
from hsp_desktop.registry.connection import (
    CHECKPOINT_PAGES,
    InterProcessLock,
    connect,
    sqlite_version_status,
)
from hsp_desktop.registry.crypto import SiteKey
from hsp_desktop.registry.jsonutil import dumps, now
from hsp_desktop.registry.models import WRITE_ROLES, User
from hsp_desktop.registry.passwords import Argon2Params

log = logging.getLogger(__name__)

_WARNED = False  # the WAL-reset warning is logged once per process


class Database:
    """The connection, the write lock, transactions with user and reason, and raw settings rows.

    Parameters
    ----------
    conn : sqlite3.Connection
        The connection (made by :meth:`open`).
    path : str
        The database path (``":memory:"`` for tests).
    site_key : SiteKey or None
        The site key, when configured.
    argon2_params : Argon2Params
        Password-hash parameters.
    """

    def __init__(
        self, conn: sqlite3.Connection, path: str, site_key: SiteKey | None, argon2_params: Argon2Params
    ) -> None:
        self.conn = conn
        self.path = path
        self.key = site_key
        self.argon2 = argon2_params
        self.lock = threading.RLock()
        self.iplock = InterProcessLock(Path(path + ".lock")) if path != ":memory:" else None
        self.ctx: tuple[int | None, str | None, str | None] = (None, None, None)
        self.depth = 0
        self.closed = False
        self.read_only = False
        self.registry_id = ""
        self.anchor_path: Path | None = None if path == ":memory:" else Path(path + anchor.SUFFIX)
        self.anchor_problems: list[str] = []
        self.sqlite_version = sqlite3.sqlite_version
        self.sqlite_affected, self.sqlite_message = sqlite_version_status()

    # ------------------------------------------------------------------------------------------------ open/close
    @classmethod
    def open(
        cls,
        path: Path | str,
        *,
        site_key: bytes | None = None,
        argon2_params: Argon2Params | None = None,
        quick_check: bool = False,
        read_only: bool = False,
        anchor_file: Path | str | None = None,
    ) -> Database:
        """Open (creating and migrating when needed) the database at ``path`` (see :meth:`Registry.open`)."""
        target = str(path)
        if target != ":memory:":
            parent = Path(target).parent
            if not parent.is_dir():
                raise RegistryError(
                    f"The folder for the registry does not exist: {parent}",
                    expected="an existing local folder",
                    found="no such folder",
                    fix="create the folder or choose another --db path",
                    field="db",
                )
        key = SiteKey(site_key) if site_key is not None else None
        conn = connect(target, read_only=read_only)
        db = cls(conn, target, key, argon2_params or Argon2Params())
        db.read_only = read_only
        if anchor_file is not None:
            db.anchor_path = Path(anchor_file)
        try:
            if quick_check:
                try:
                    result = db.quick_check()
                except sqlite3.DatabaseError as exc:
                    result = [str(exc)]
                if result != ["ok"]:
                    raise RegistryError(
                        f"The registry {target} is damaged",
                        expected="quick_check ok",
                        found="; ".join(result[:3]),
                        fix="restore the latest backup with `hsp registry restore`",
                        field="db",
                    )
            db._bootstrap()
            if "settings" in {
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }:
                db.registry_id = str(db.get_setting_raw("registry_id") or "")
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise RegistryError(
                f"The registry {target} is damaged and cannot be opened",
                expected="an intact HSP Desktop registry",
                found=str(exc),
                fix="restore the latest good backup with `hsp registry restore`",
                field="db",
            ) from exc
        except BaseException:
            conn.close()
            raise
        return db

    def _bootstrap(self) -> None:
        conn = self.conn
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        except sqlite3.DatabaseError as exc:
            raise RegistryError(
                f"{self.path} is not a readable SQLite database",
                expected="an HSP Desktop registry",
                found=str(exc),
                fix="choose the registry file, or restore the latest backup",
                field="db",
            ) from exc
        if tables and "_sqlite_migrations" not in tables:
            raise RegistryError(
                f"{self.path} is a SQLite database but not an HSP Desktop registry",
                expected="a registry made by `hsp registry init`",
                found=f"tables {sorted(tables)[:5]}",
                fix="choose the registry file, or a new path to create one",
                field="db",
            )
        if "settings" in tables:
            row = conn.execute("SELECT value FROM settings WHERE key = 'site_key_check'").fetchone()
            stored_check = json.loads(row[0]) if row else None
            if stored_check and self.key is None:
                raise RegistryError(
                    "This registry was created with a site key and cannot be opened without it",
                    expected="the site key file of this registry",
                    found="no site key",
                    fix="pass --site-key-file (or set HSP_SITE_KEY_FILE) to the key file made at `hsp registry init`",
                    field="site_key",
                )
            if self.key is not None and stored_check != self.key.check_value():
                raise RegistryError(
                    "The site key does not belong to this registry",
                    expected="the key file made when this registry was created"
                    if stored_check
                    else "no site key (this registry was created without one)",
                    found="another key",
                    fix="use this registry's own key file",
                    field="site_key",
                )
        self._register_functions()
        known = list(versions.KNOWN_MIGRATIONS)
        if "_sqlite_migrations" in tables:
            unknown = [m for m in versions.applied_migrations(conn) if m not in known]
            if unknown:
                raise RegistryError(
                    "The registry was upgraded by a newer HSP Desktop",
                    expected=f"migrations up to {known[-1]}",
                    found=f"unknown migrations {unknown}",
                    fix="install the newer HSP Desktop version on this computer",
                    field="db",
                )
        pending = [m for m in known if m not in versions.applied_migrations(conn)]
        if self.read_only:
            if pending:
                raise RegistryError(
                    "The registry needs an upgrade and cannot be opened read-only",
                    expected="a registry at the current schema",
                    found=f"pending migrations {pending}",
                    fix="open it once for writing (it is upgraded automatically)",
                    field="db",
                )
            return
        with self.system_tx("system:migrate"):
            applied: list[str] = []
            if pending:  # sqlite-utils (and with it pandas) is imported only when a migration must run
                from hsp_desktop.registry import schema

                applied = schema.apply_migrations(conn)
            if "0001_core" in applied:
                self.put_setting("site_key_check", self.key.check_value() if self.key else None)
                self.put_setting("created_with", {"app": __version__, "sqlite": sqlite3.sqlite_version})
            if self.get_setting_raw("registry_id") is None:
                import uuid

                self.put_setting("registry_id", str(uuid.uuid4()))
            self.registry_id = str(self.get_setting_raw("registry_id"))
            if self.anchor_path is not None:
                # a head anchored beyond the chain is evidence of a rollback: keep it (never overwrite it) and
                # let verify report it until the registry is restored
                self.anchor_problems = anchor.check(conn, self.anchor_path, self.audit_key, self.registry_id)
                if self.anchor_problems:
                    log.error("registry %s: %s", self.path, self.anchor_problems[0])
            seen = self.get_setting_raw("sqlite_versions") or []
            if sqlite3.sqlite_version not in seen:
                self.put_setting("sqlite_versions", [*seen, sqlite3.sqlite_version])
        global _WARNED
        if self.sqlite_affected and not _WARNED:
            # recorded in the database (setting sqlite_versions) and in every verify report; writes and checkpoints
            # are serialised by the cross-process lock, so this is information, not a warning on every command
            _WARNED = True
            log.info(self.sqlite_message)

    def _register_functions(self) -> None:
        conn = self.conn
        conn.create_function("hsp_user_id", 0, lambda: self.ctx[0])
        conn.create_function("hsp_username", 0, lambda: self.ctx[1])
        conn.create_function("hsp_reason", 0, lambda: self.ctx[2])
        conn.create_function("hsp_chain", 11, audit_mod.make_chain_function(self.audit_key))

    @property
    def audit_key(self) -> bytes | None:
        """The audit-chain HMAC key (None for a registry without a site key)."""
        return self.key.audit_key if self.key else None

    def close(self) -> None:
        """Checkpoint the write-ahead log (under the write lock) and close the connection."""
        with self.lock:
            if self.closed:
                return
            self.closed = True
            try:
                if self.iplock is not None and not self.read_only:
                    with self.iplock.hold():
                        self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                        self.conn.close()
                else:
                    self.conn.close()
            except sqlite3.Error:
                self.conn.close()

    # ------------------------------------------------------------------------------------------- transactions
    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """Hold the connection for reading (refused once closed)."""
        with self.lock:
            if self.closed:
                raise RegistryError("The registry is closed", fix="open it again with Registry.open")
            yield self.conn

    @contextmanager
    def system_tx(self, who: str, reason: str | None = None) -> Iterator[sqlite3.Connection]:
        """A write transaction attributed to the application itself (``who`` = ``system:...``)."""
        with self.tx_ctx(None, who, reason) as conn:
            yield conn

    @contextmanager
    def tx(
        self, by: User | None, reason: str | None = None, *, roles: frozenset[str] = WRITE_ROLES
    ) -> Iterator[sqlite3.Connection]:
        """A write transaction by the signed-in user ``by``, whose current role must be one of ``roles``."""
        with self.lock:
            user = self.check_user(by, roles)
            with self.tx_ctx(user.id, user.username, reason) as conn:
                yield conn

    @contextmanager
    def tx_ctx(self, uid: int | None, uname: str, reason: str | None) -> Iterator[sqlite3.Connection]:
        """A write transaction with an explicit audit context (nested calls join it in a savepoint)."""
        reason = reason.strip() if isinstance(reason, str) and reason.strip() else None
        with self.lock:
            if self.closed:
                raise RegistryError("The registry is closed", fix="open it again with Registry.open")
            if self.read_only:
                raise RegistryError(
                    "The registry was opened read-only",
                    expected="a registry opened for writing",
                    found="read_only=True",
                    fix="open it without read_only to change it",
                )
            if self.depth:
                # a nested write joins the outer transaction inside a savepoint: if it fails, its own partial
                # changes are undone even when the caller catches the error and carries on
                saved = self.ctx
                self.ctx = (uid, uname, reason or saved[2])
                self.depth += 1
                name = f"hsp_sp_{self.depth}"
                self.conn.execute(f"SAVEPOINT {name}")
                try:
                    yield self.conn
                except BaseException:
                    if self.conn.in_transaction:
                        self.conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                        self.conn.execute(f"RELEASE SAVEPOINT {name}")
                    raise
                else:
                    self.conn.execute(f"RELEASE SAVEPOINT {name}")
                finally:
                    self.depth -= 1
                    self.ctx = saved
                return
            lock = self.iplock.hold() if self.iplock is not None else _null()
            with lock:
                self.ctx = (uid, uname, reason)
                self.depth = 1
                try:
                    self._begin()
                    try:
                        yield self.conn
                    except BaseException:
                        if self.conn.in_transaction:
                            self.conn.execute("ROLLBACK")
                        raise
                    self._commit()
                finally:
                    self.depth = 0
                    self.ctx = (None, None, None)
                self._after_commit()

    def _begin(self) -> None:
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise busy_error(exc) from exc

    def _commit(self) -> None:
        try:
            self.conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise busy_error(exc) from exc

    def _after_commit(self) -> None:
        """Runs under the write lock after each top-level commit: anchor the chain's head; checkpoint if needed."""
        if self.anchor_path is not None and self.registry_id and not self.anchor_problems:
            anchor.write(self.anchor_path, anchor.current(self.conn, self.registry_id), self.audit_key)
        if self.iplock is None:
            return
        try:
            size = Path(self.path + "-wal").stat().st_size
        except OSError:
            return
        page = self.conn.execute("PRAGMA page_size").fetchone()[0]
        if size > CHECKPOINT_PAGES * page:
            self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def checkpoint(self, mode: str = "PASSIVE") -> tuple[int, int, int]:
        """Run a WAL checkpoint under the write lock; returns SQLite's (busy, log pages, checkpointed pages)."""
        if mode not in ("PASSIVE", "FULL", "RESTART", "TRUNCATE"):
            raise SettingsError(
                "Unknown checkpoint mode", expected="PASSIVE/FULL/RESTART/TRUNCATE", found=mode
            )
        with self.lock:
            lock = self.iplock.hold() if self.iplock is not None else _null()
            with lock:
                row = self.conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
        return int(row[0]), int(row[1]), int(row[2])

    def quick_check(self) -> list[str]:
        """Run ``PRAGMA quick_check``."""
        with self.read() as conn:
            return [r[0] for r in conn.execute("PRAGMA quick_check")]

    # ------------------------------------------------------------------------------------------------ users
    def check_user(self, by: User | None, roles: frozenset[str]) -> User:
        """Return ``by`` re-read from the database, or raise :class:`AuthError` (no user, unknown, role too low)."""
        if by is None:
            raise AuthError(
                "Sign in first: every change is attributed to a user",
                expected="a signed-in user",
                found="no user",
                fix="sign in (hsp: --user and HSP_PASSWORD or the prompt)",
                field="user",
            )
        if not self.registry_id or not sessions.valid(getattr(by, "session", None), self.registry_id, by.id):
            raise AuthError(
                "Sign in again: this user was not issued by sign-in on this registry",
                expected="the User returned by sign-in (Registry.authenticate)",
                found=f"a User for {getattr(by, 'username', by)!r} without a valid session",
                fix="sign in (hsp: --user and HSP_PASSWORD or the prompt)",
                field="user",
            )
        row = self.conn.execute(
            "SELECT username, role, active, locked_until FROM users WHERE id = ?", (by.id,)
        ).fetchone()
        if row is None or row[0] != by.username:
            raise AuthError("Unknown user", found=by.username, fix="sign in again", field="user")
        username, role, active, locked_until = row
        if not active:
            raise AuthError(
                f"The account {username} is deactivated", fix="ask an administrator", field="user"
            )
        if locked_until and locked_until > now():
            raise AuthError(f"The account {username} is locked", fix="ask an administrator to unlock it")
        if role not in roles:
            raise AuthError(
                f"The role {role} of {username} does not permit this action",
                expected=" or ".join(sorted(roles)),
                found=role,
                fix="ask a user with the required role",
                field="role",
            )
        return User(by.id, username, role, by.session)

    # --------------------------------------------------------------------------------------------- settings
    def get_setting_raw(self, key: str) -> Any:
        """The stored value of a settings row (None when absent); any key, no defaults."""
        row = self.conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def put_setting(self, key: str, value: Any) -> None:
        """Write a settings row inside the caller's transaction."""
        self.conn.execute(
            "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            (key, dumps(value), now()),
        )


class Layer:
    """Base of the registry's layers: reaches the :class:`Database` under the names the layers' code uses."""

    def __init__(self, db: Database) -> None:
        self._db = db

    @property
    def _conn(self) -> sqlite3.Connection:
        return self._db.conn

    @property
    def _key(self) -> SiteKey | None:
        return self._db.key

    @property
    def _lock(self) -> threading.RLock:
        return self._db.lock

    def _read(self) -> Any:
        return self._db.read()

    def _tx(self, by: User | None, reason: str | None = None, *, roles: frozenset[str] = WRITE_ROLES) -> Any:
        return self._db.tx(by, reason, roles=roles)

    def _system_tx(self, who: str, reason: str | None = None) -> Any:
        return self._db.system_tx(who, reason)

    def _get_setting(self, key: str) -> Any:
        return self._db.get_setting_raw(key)

    def _put_setting(self, key: str, value: Any) -> None:
        self._db.put_setting(key, value)


@contextmanager
def _null() -> Iterator[None]:
    yield


def exists(conn: sqlite3.Connection, study_id: str) -> None:
    """Raise :func:`not_found` unless ``study_id`` is registered."""
    if conn.execute("SELECT 1 FROM recipients WHERE study_id = ?", (study_id,)).fetchone() is None:
        raise not_found(study_id)


def not_found(study_id: str) -> RegistryError:
    """The error for an unknown study id."""
    return RegistryError(
        f"No recipient {study_id} in the registry",
        expected="a registered study id",
        found=study_id,
        fix="check the study id in the worklist",
        field="study_id",
    )


def busy_error(exc: sqlite3.OperationalError) -> RegistryError:
    """Translate SQLite's "locked"/"busy" (or another write failure) into a :class:`RegistryError`."""
    text = str(exc)
    if "locked" in text or "busy" in text:
        return RegistryError(
            "The registry is busy: another program kept it locked for too long",
            expected="the database lock within the busy timeout",
            found=text,
            fix="wait for the other HSP Desktop window or import to finish, then try again",
        )
    if "full" in text or "disk" in text:
        return RegistryError(
            "The registry could not write: the disk is full or failing",
            found=text,
            fix="free disk space on the registry's drive, then try again",
        )
    return RegistryError("The registry could not complete the write", found=text, fix="try again; run verify")

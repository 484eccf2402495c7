"""The :class:`Registry`: the ward's audited SQLite database of recipients, predictions and follow-up.

One :class:`Registry` owns one connection, used for reading and as the single writer; a thread lock serialises its
use (the GUI's worker threads share it).  Every public write runs in one ``BEGIN IMMEDIATE`` transaction under the
cross-process write lock (:mod:`hsp_desktop.registry.connection`), with the signed-in user and the reason for
change made visible to the audit triggers.  A multi-row write (an import, a recipient with its enrolment, pre-op
values and derived outcome) is therefore all-or-nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import math
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

from hsp_desktop import __version__
from hsp_desktop.errors import (
    AuthError,
    Problem,
    RegistryError,
    SettingsError,
    TamperError,
    ValidationError,
)
from hsp_desktop.registry import audit as audit_mod
from hsp_desktop.registry import versions
from hsp_desktop.registry.connection import (
    CHECKPOINT_PAGES,
    InterProcessLock,
    connect,
    sqlite_version_status,
)
from hsp_desktop.registry.crypto import SiteKey
from hsp_desktop.registry.fields import FOLLOWUP_NAMES, PREOP_NAMES
from hsp_desktop.registry.models import (
    ADMIN_ROLES,
    ALL_ROLES,
    CLINICAL_ROLES,
    ROLES,
    WRITE_ROLES,
    ImportReport,
    User,
)
from hsp_desktop.registry.passwords import Argon2Params, hash_password, needs_rehash, verify_password
from hsp_desktop.registry.schedule import next_visit, visit_states, windows_from_setting
from hsp_desktop.registry.versions import ELIGIBILITY_FLAGS

log = logging.getLogger(__name__)

IDENTITY_FIELDS = ("site", "cohort", "transplant_date", "ct_date")
ENROLMENT_FIELDS = ("consent", *ELIGIBILITY_FLAGS)
#: Settings with their defaults; any other key is refused.
DEFAULT_SETTINGS: dict[str, Any] = {
    "site_name": "",
    "language": "en",
    "outcome_definition": {},
    "followup_windows": [],
    "backup_keep": 30,
    "lockout_attempts": 5,
    "lockout_minutes": 15,
    "study_id_prefix": "HSP",
    "min_password_length": 8,
    "active_model": "",  # folder of the locked model bundle used for scoring ("" = the shipped demo model)
}
_PASSWORD_REDACTED = "<argon2id hash>"
_WARNED = False  # the WAL-reset warning is logged once per process


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _today() -> dt.date:
    return dt.date.today()


def _as_date(value: str | dt.date | None) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _plain(obj: Any) -> Any:
    """Convert dataclasses, numpy scalars, tuples and paths into JSON-safe plain data."""
    if obj is None or isinstance(obj, str | bool | int):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _plain(getattr(obj, f.name)) for f in fields(obj)}
    if hasattr(obj, "as_dict") and callable(obj.as_dict):
        return _plain(obj.as_dict())
    if isinstance(obj, Mapping):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [_plain(v) for v in obj]
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
    plain = _plain(obj)
    if plain is obj:
        raise TypeError(f"{type(obj).__name__} is not JSON serialisable")
    return plain


def _dumps(obj: Any) -> str:
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
        return json.dumps(_plain(obj), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _sha256_json(obj: Any) -> str:
    return hashlib.sha256(_dumps(obj).encode("utf-8")).hexdigest()


class Registry:
    """The ward registry (see the module docstring); open it with :meth:`Registry.open`.

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
        self._conn = conn
        self.path = path
        self._key = site_key
        self._argon2 = argon2_params
        self._lock = threading.RLock()
        self._iplock = InterProcessLock(Path(path + ".lock")) if path != ":memory:" else None
        self._ctx: tuple[int | None, str | None, str | None] = (None, None, None)
        self._depth = 0
        self._closed = False
        self._dummy: str | None = None
        self._def_cache: tuple[str, Any, str] | None = None
        self.read_only = False
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
    ) -> Registry:
        """Open (creating and migrating when needed) the registry at ``path``.

        Parameters
        ----------
        path : Path or str
            The database file (on a local disk), or ``":memory:"``.
        site_key : bytes, optional
            The 32-byte site key (see :mod:`hsp_desktop.registry.crypto`).  A registry created with a site key must
            always be opened with it; one created without cannot take one later (its audit chain is unkeyed).
        argon2_params : Argon2Params, optional
            Password-hash parameters (default: OWASP's 19 MiB, t=2, p=1; tests inject cheaper ones).
        quick_check : bool
            Run ``PRAGMA quick_check`` first and refuse a damaged file.  Off by default because it reads the whole
            file (about 1 s per 100 MB); the desktop app runs :meth:`quick_check` in a worker thread at start-up.
        read_only : bool
            Open without changing the file at all (no WAL switch, no migrations, no writes): to inspect or verify
            a backup without invalidating its checksum.

        Returns
        -------
        Registry
        """
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
        reg = cls(conn, target, key, argon2_params or Argon2Params())
        reg.read_only = read_only
        try:
            if quick_check:
                try:
                    result = reg.quick_check()
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
            reg._bootstrap()
        except BaseException:
            conn.close()
            raise
        return reg

    def _bootstrap(self) -> None:
        conn = self._conn
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if tables and "_sqlite_migrations" not in tables:
            raise RegistryError(
                f"{self.path} is a SQLite database but not an HSP Desktop registry",
                expected="a registry made by `hsp registry init`",
                found=f"tables {sorted(tables)[:5]}",
                fix="choose the registry file, or a new path to create one",
                field="db",
            )
        stored_check = None
        if "settings" in tables:
            row = conn.execute("SELECT value FROM settings WHERE key = 'site_key_check'").fetchone()
            stored_check = json.loads(row[0]) if row else None
            if stored_check and self._key is None:
                raise RegistryError(
                    "This registry was created with a site key and cannot be opened without it",
                    expected="the site key file of this registry",
                    found="no site key",
                    fix="pass --site-key-file (or set HSP_SITE_KEY_FILE) to the key file made at `hsp registry init`",
                    field="site_key",
                )
            if self._key is not None and stored_check != self._key.check_value():
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
        if self.read_only:
            pending = [m for m in known if m not in versions.applied_migrations(conn)]
            if pending:
                raise RegistryError(
                    "The registry needs an upgrade and cannot be opened read-only",
                    expected="a registry at the current schema",
                    found=f"pending migrations {pending}",
                    fix="open it once for writing (it is upgraded automatically)",
                    field="db",
                )
            return
        pending = [m for m in known if m not in versions.applied_migrations(conn)]
        with self._system_tx("system:migrate"):
            applied: list[str] = []
            if pending:  # sqlite-utils (and with it pandas) is imported only when a migration must run
                from hsp_desktop.registry import schema

                applied = schema.apply_migrations(conn)
            if "0001_core" in applied:
                self._put_setting("site_key_check", self._key.check_value() if self._key else None)
                self._put_setting("created_with", {"app": __version__, "sqlite": sqlite3.sqlite_version})
            seen = self._get_setting("sqlite_versions") or []
            if sqlite3.sqlite_version not in seen:
                self._put_setting("sqlite_versions", [*seen, sqlite3.sqlite_version])
        global _WARNED
        if self.sqlite_affected and not _WARNED:
            _WARNED = True
            log.warning(self.sqlite_message)

    def _register_functions(self) -> None:
        conn = self._conn
        conn.create_function("hsp_user_id", 0, lambda: self._ctx[0])
        conn.create_function("hsp_username", 0, lambda: self._ctx[1])
        conn.create_function("hsp_reason", 0, lambda: self._ctx[2])
        conn.create_function(
            "hsp_chain", 11, audit_mod.make_chain_function(self._key.audit_key if self._key else None)
        )

    def close(self) -> None:
        """Checkpoint the write-ahead log (under the write lock) and close the connection."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                if self._iplock is not None and not self.read_only:
                    with self._iplock.hold():
                        self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                        self._conn.close()
                else:
                    self._conn.close()
            except sqlite3.Error:
                self._conn.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> list[str]:
        """Names of the applied migrations (the last one is the schema version)."""
        with self._read() as conn:
            return versions.applied_migrations(conn)

    @property
    def has_site_key(self) -> bool:
        """Whether identifying columns are encrypted and the audit chain is keyed."""
        return self._key is not None

    # ------------------------------------------------------------------------------------------- transactions
    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._closed:
                raise RegistryError("The registry is closed", fix="open it again with Registry.open")
            yield self._conn

    @contextmanager
    def transaction(self, *, by: User, reason: str | None = None) -> Iterator[Registry]:
        """Group several writes into one all-or-nothing transaction (e.g. imaging + features + prediction).

        Writes made inside the block join it (each in its own savepoint); an exception leaving the block rolls
        all of them back.

        Parameters
        ----------
        by : User
            The signed-in user (admin, clinician or coordinator).
        reason : str, optional
            Reason for change, passed to every write inside that gives none.
        """
        with self._tx(by, reason):
            yield self

    @contextmanager
    def _system_tx(self, who: str, reason: str | None = None) -> Iterator[sqlite3.Connection]:
        with self._tx_ctx(None, who, reason) as conn:
            yield conn

    @contextmanager
    def _tx(
        self, by: User | None, reason: str | None = None, *, roles: frozenset[str] = WRITE_ROLES
    ) -> Iterator[sqlite3.Connection]:
        with self._lock:
            user = self._check_user(by, roles)
            with self._tx_ctx(user.id, user.username, reason) as conn:
                yield conn

    @contextmanager
    def _tx_ctx(self, uid: int | None, uname: str, reason: str | None) -> Iterator[sqlite3.Connection]:
        reason = reason.strip() if isinstance(reason, str) and reason.strip() else None
        with self._lock:
            if self._closed:
                raise RegistryError("The registry is closed", fix="open it again with Registry.open")
            if self.read_only:
                raise RegistryError(
                    "The registry was opened read-only",
                    expected="a registry opened for writing",
                    found="read_only=True",
                    fix="open it without read_only to change it",
                )
            if self._depth:
                # a nested write joins the outer transaction inside a savepoint: if it fails, its own partial
                # changes are undone even when the caller catches the error and carries on
                saved = self._ctx
                self._ctx = (uid, uname, reason or saved[2])
                self._depth += 1
                name = f"hsp_sp_{self._depth}"
                self._conn.execute(f"SAVEPOINT {name}")
                try:
                    yield self._conn
                except BaseException:
                    if self._conn.in_transaction:
                        self._conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                        self._conn.execute(f"RELEASE SAVEPOINT {name}")
                    raise
                else:
                    self._conn.execute(f"RELEASE SAVEPOINT {name}")
                finally:
                    self._depth -= 1
                    self._ctx = saved
                return
            lock = self._iplock.hold() if self._iplock is not None else _null()
            with lock:
                self._ctx = (uid, uname, reason)
                self._depth = 1
                try:
                    self._begin()
                    try:
                        yield self._conn
                    except BaseException:
                        if self._conn.in_transaction:
                            self._conn.execute("ROLLBACK")
                        raise
                    self._commit()
                finally:
                    self._depth = 0
                    self._ctx = (None, None, None)
                self._maybe_checkpoint()

    def _begin(self) -> None:
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise _busy_error(exc) from exc

    def _commit(self) -> None:
        try:
            self._conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise _busy_error(exc) from exc

    def _maybe_checkpoint(self) -> None:
        if self._iplock is None:
            return
        try:
            size = Path(self.path + "-wal").stat().st_size
        except OSError:
            return
        page = self._conn.execute("PRAGMA page_size").fetchone()[0]
        if size > CHECKPOINT_PAGES * page:
            self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def checkpoint(self, mode: str = "PASSIVE") -> tuple[int, int, int]:
        """Run a WAL checkpoint under the write lock; returns SQLite's (busy, log pages, checkpointed pages)."""
        if mode not in ("PASSIVE", "FULL", "RESTART", "TRUNCATE"):
            raise SettingsError(
                "Unknown checkpoint mode", expected="PASSIVE/FULL/RESTART/TRUNCATE", found=mode
            )
        with self._lock:
            lock = self._iplock.hold() if self._iplock is not None else _null()
            with lock:
                row = self._conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
        return int(row[0]), int(row[1]), int(row[2])

    def quick_check(self) -> list[str]:
        """Run ``PRAGMA quick_check`` (the start-up check; seconds on a large registry: run it off the GUI thread)."""
        with self._read() as conn:
            return [r[0] for r in conn.execute("PRAGMA quick_check")]

    # ------------------------------------------------------------------------------------------------ users
    def _check_user(self, by: User | None, roles: frozenset[str]) -> User:
        if by is None:
            raise AuthError(
                "Sign in first: every change is attributed to a user",
                expected="a signed-in user",
                found="no user",
                fix="sign in (hsp: --user and HSP_PASSWORD or the prompt)",
                field="user",
            )
        row = self._conn.execute(
            "SELECT username, role, active, locked_until FROM users WHERE id = ?", (by.id,)
        ).fetchone()
        if row is None or row[0] != by.username:
            raise AuthError("Unknown user", found=by.username, fix="sign in again", field="user")
        username, role, active, locked_until = row
        if not active:
            raise AuthError(
                f"The account {username} is deactivated", fix="ask an administrator", field="user"
            )
        if locked_until and locked_until > _now():
            raise AuthError(f"The account {username} is locked", fix="ask an administrator to unlock it")
        if role not in roles:
            raise AuthError(
                f"The role {role} of {username} does not permit this action",
                expected=" or ".join(sorted(roles)),
                found=role,
                fix="ask a user with the required role",
                field="role",
            )
        return User(by.id, username, role)

    def add_user(self, username: str, password: str, role: str, *, by: User | None) -> User:
        """Create a user.

        Parameters
        ----------
        username : str
            Letters, digits, ``._-`` (1-64 characters), unique.
        password : str
            At least ``min_password_length`` characters (setting, default 8).
        role : {"admin", "clinician", "coordinator", "readonly"}
            The user's role.
        by : User or None
            An administrator; None only to create the first administrator of an empty user table.

        Returns
        -------
        User
        """
        if role not in ROLES:
            raise ValidationError(
                "Unknown role",
                problems=[Problem("role", role, f"not one of {', '.join(ROLES)}", "choose a listed role")],
                field="role",
            )
        minimum = int(self.get_setting("min_password_length"))
        if not isinstance(password, str) or len(password) < minimum:
            raise ValidationError(
                "The password is too short",
                problems=[
                    Problem("password", "***", f"fewer than {minimum} characters", "choose a longer one")
                ],
                field="password",
            )
        encoded = hash_password(password, self._argon2)
        with self._lock:
            if by is None:
                with self._system_tx("system:bootstrap", "first administrator") as conn:
                    if conn.execute("SELECT COUNT(*) FROM users").fetchone()[0]:
                        raise AuthError(
                            "Only the first administrator can be created without signing in",
                            expected="an administrator's sign-in",
                            found="no user",
                            fix="sign in as an administrator to add users",
                            field="user",
                        )
                    if role != "admin":
                        raise AuthError("The first user must be an administrator", found=role, field="role")
                    uid = self._insert_user(conn, username, role, encoded)
            else:
                with self._tx(by, roles=ADMIN_ROLES) as conn:
                    uid = self._insert_user(conn, username, role, encoded)
        return User(uid, username, role)

    def _insert_user(self, conn: sqlite3.Connection, username: str, role: str, encoded: str) -> int:
        try:
            cur = conn.execute(
                "INSERT INTO users (username, role, password_hash, created_at) VALUES (?, ?, ?, ?)",
                (username, role, encoded, _now()),
            )
        except sqlite3.IntegrityError as exc:
            if "UNIQUE" in str(exc):
                raise ValidationError(
                    f"The user name {username} is taken",
                    problems=[Problem("username", username, "already exists", "choose another user name")],
                    field="username",
                ) from exc
            raise ValidationError(
                "The user name is not valid",
                problems=[Problem("username", username, "1-64 letters, digits, '.', '_' or '-'", "rename")],
                field="username",
            ) from exc
        return int(cur.lastrowid or 0)

    def authenticate(self, username: str, password: str) -> User:
        """Check a password and return the :class:`User`.

        Five failed attempts in a row (setting ``lockout_attempts``) lock the account for ``lockout_minutes``
        (default 15) or until an administrator unlocks it.  Every attempt is audited.

        Raises
        ------
        AuthError
            Unknown user, wrong password, deactivated or locked account (the message does not say which of the
            first two).
        """
        with self._lock:
            row = self._conn.execute(
                "SELECT id, role, password_hash, failed_attempts, locked_until, active FROM users WHERE username = ?",
                (username,),
            ).fetchone()
            if row is None:
                verify_password(self._dummy_hash(), password, self._argon2)  # same cost as a real check
                raise AuthError("Wrong user name or password", fix="check both and try again", field="user")
            uid, role, encoded, failed, locked_until, active = row
            now = _now()
            if not active:
                raise AuthError(
                    f"The account {username} is deactivated", fix="ask an administrator", field="user"
                )
            if locked_until and locked_until > now:
                raise AuthError(
                    f"The account {username} is locked after repeated failed sign-ins",
                    expected="no more than the allowed failed attempts",
                    found=f"locked until {locked_until}",
                    fix="wait, or ask an administrator to unlock it",
                    field="user",
                )
            if not verify_password(encoded, password, self._argon2):
                limit = int(self.get_setting("lockout_attempts"))
                minutes = float(self.get_setting("lockout_minutes"))
                failed = int(failed) + 1
                until = None
                if failed >= limit:
                    until = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=minutes)).strftime(
                        "%Y-%m-%dT%H:%M:%S.%fZ"
                    )
                with self._system_tx(f"system:auth:{username}", "failed sign-in") as conn:
                    conn.execute(
                        "UPDATE users SET failed_attempts = ?, locked_until = ? WHERE id = ?",
                        (failed, until, uid),
                    )
                if until:
                    raise AuthError(
                        f"The account {username} is now locked after {failed} failed sign-ins",
                        found=f"locked until {until}",
                        fix="wait, or ask an administrator to unlock it",
                        field="user",
                    )
                raise AuthError("Wrong user name or password", fix="check both and try again", field="user")
            with self._system_tx(f"system:auth:{username}", "sign-in") as conn:
                if needs_rehash(encoded, self._argon2):
                    conn.execute(
                        "UPDATE users SET password_hash = ? WHERE id = ?",
                        (hash_password(password, self._argon2), uid),
                    )
                conn.execute(
                    "UPDATE users SET failed_attempts = 0, locked_until = NULL, last_login = ? WHERE id = ?",
                    (now, uid),
                )
            return User(int(uid), username, role)

    def _dummy_hash(self) -> str:
        if self._dummy is None:
            self._dummy = hash_password("not-a-password", self._argon2)
        return self._dummy

    def unlock_user(self, username: str, *, by: User) -> None:
        """Unlock a locked account (administrators)."""
        with self._tx(by, "unlock account", roles=ADMIN_ROLES) as conn:
            cur = conn.execute(
                "UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE username = ?", (username,)
            )
            if cur.rowcount == 0:
                raise RegistryError(f"No user named {username}", field="username")

    def set_password(self, username: str, password: str, *, by: User) -> None:
        """Set a user's password (administrators, or the user for their own account)."""
        minimum = int(self.get_setting("min_password_length"))
        if len(password) < minimum:
            raise ValidationError(
                "The password is too short",
                problems=[
                    Problem("password", "***", f"fewer than {minimum} characters", "choose a longer one")
                ],
            )
        roles = ALL_ROLES if by.username == username else ADMIN_ROLES
        encoded = hash_password(password, self._argon2)
        with self._tx(by, "password change", roles=roles) as conn:
            cur = conn.execute("UPDATE users SET password_hash = ? WHERE username = ?", (encoded, username))
            if cur.rowcount == 0:
                raise RegistryError(f"No user named {username}", field="username")

    def set_user_active(self, username: str, active: bool, *, by: User, reason: str) -> None:
        """Deactivate or reactivate an account (users are never deleted: the audit trail refers to them)."""
        with self._tx(by, reason, roles=ADMIN_ROLES) as conn:
            cur = conn.execute(
                "UPDATE users SET active = ? WHERE username = ?", (int(bool(active)), username)
            )
            if cur.rowcount == 0:
                raise RegistryError(f"No user named {username}", field="username")

    def users(self) -> list[dict[str, Any]]:
        """Return every user (without password hashes)."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT id, username, role, active, failed_attempts, locked_until, created_at, last_login "
                "FROM users ORDER BY username"
            ).fetchall()
        keys = (
            "id",
            "username",
            "role",
            "active",
            "failed_attempts",
            "locked_until",
            "created_at",
            "last_login",
        )
        return [dict(zip(keys, r, strict=True)) for r in rows]

    # --------------------------------------------------------------------------------------------- settings
    def _get_setting(self, key: str) -> Any:
        row = self._conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def _put_setting(self, key: str, value: Any) -> None:
        self._conn.execute(
            "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            (key, _dumps(value), _now()),
        )

    def get_setting(self, key: str) -> Any:
        """Return a setting (site_name, language, outcome_definition, followup_windows, backup_keep, ...)."""
        if key not in DEFAULT_SETTINGS:
            raise SettingsError(
                f"Unknown setting {key}", expected=", ".join(DEFAULT_SETTINGS), found=key, field=key
            )
        with self._read():
            value = self._get_setting(key)
        return DEFAULT_SETTINGS[key] if value is None else value

    def settings(self) -> dict[str, Any]:
        """Return every setting with its current value."""
        return {k: self.get_setting(k) for k in DEFAULT_SETTINGS}

    def set_setting(self, key: str, value: Any, *, by: User, reason: str | None = None) -> None:
        """Change a setting (administrators).  Changing the outcome definition re-derives every outcome."""
        if key not in DEFAULT_SETTINGS:
            raise SettingsError(
                f"Unknown setting {key}", expected=", ".join(DEFAULT_SETTINGS), found=key, field=key
            )
        self._validate_setting(key, value)
        with self._tx(by, reason or f"setting {key}", roles=ADMIN_ROLES) as conn:
            self._put_setting(key, value)
            if key == "outcome_definition":
                ids = [r[0] for r in conn.execute("SELECT study_id FROM recipients")]
                for sid in ids:
                    self._derive(sid, _today())

    def _validate_setting(self, key: str, value: Any) -> None:
        default = DEFAULT_SETTINGS[key]
        if key == "language" and value not in ("en", "zh"):
            raise SettingsError("Unknown language", expected="en or zh", found=repr(value), field=key)
        if key == "outcome_definition":
            self._definition(value)
        elif key == "followup_windows":
            windows_from_setting(value)
        elif isinstance(default, int) and (
            not isinstance(value, int) or isinstance(value, bool) or value < 1
        ):
            raise SettingsError(
                f"Setting {key} must be a positive whole number", found=repr(value), field=key
            )
        elif isinstance(default, str) and not isinstance(value, str):
            raise SettingsError(f"Setting {key} must be text", found=repr(value), field=key)

    def _definition(self, value: Any = None) -> Any:
        """Return the configured OutcomeDefinition (cached per setting value) or build one from ``value``."""
        from hsp_desktop.clinical.outcome import OutcomeDefinition

        if value is None:
            row = self._conn.execute("SELECT value FROM settings WHERE key = 'outcome_definition'").fetchone()
            raw = row[0] if row else "{}"
            if self._def_cache is not None and self._def_cache[0] == raw:
                return self._def_cache[1]
            definition = self._definition(json.loads(raw))
            self._def_cache = (raw, definition, str(definition.definition_id))
            return definition
        params = value
        try:
            return OutcomeDefinition(**(params or {}))
        except TypeError as exc:
            raise SettingsError(
                "The outcome definition setting has unknown fields",
                expected="fields of OutcomeDefinition",
                found=repr(params)[:200],
                fix="reset the outcome_definition setting",
                field="outcome_definition",
            ) from exc

    # ----------------------------------------------------------------------------------------- recipients
    def _prepare(
        self, record: Mapping[str, Any], *, confirm_units: bool, row: int | None
    ) -> tuple[Any, list[Problem]]:
        from hsp_desktop.clinical.dictionary import validate_record

        validated = validate_record(record, confirm_units=confirm_units, row=row)
        return validated, list(validated.problems)

    def _next_study_id(self, conn: sqlite3.Connection) -> str:
        prefix = self._get_setting("study_id_prefix") or DEFAULT_SETTINGS["study_id_prefix"]
        counter = int(self._get_setting("study_id_counter_" + prefix) or 0)
        while True:
            counter += 1
            sid = f"{prefix}-{counter:04d}"
            if conn.execute("SELECT 1 FROM recipients WHERE study_id = ?", (sid,)).fetchone() is None:
                break
        self._conn.execute(
            "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            ("study_id_counter_" + prefix, str(counter), _now()),
        )
        return sid

    def _identity(self, record: Mapping[str, Any], study_id: str) -> dict[str, Any]:
        out: dict[str, Any] = {"mrn_hmac": None, "mrn_enc": None, "name_enc": None}
        mrn, name = record.get("mrn"), record.get("name")
        mrn = None if mrn is None or str(mrn).strip() == "" else str(mrn)
        name = None if name is None or str(name).strip() == "" else str(name).strip()
        if (mrn or name) and self._key is None:
            raise RegistryError(
                "Names and MRNs are stored only when a site key is configured",
                expected="a site key (names and MRNs are encrypted at rest)",
                found="no site key",
                fix="open the registry with its site key, or leave name and MRN empty (the study id is the pseudonym)",
                field="mrn" if mrn else "name",
            )
        if self._key is not None:
            if mrn:
                out["mrn_hmac"] = self._key.mrn_hmac(mrn)
                out["mrn_enc"] = self._key.encrypt(mrn, study_id=study_id, column="mrn")
            if name:
                out["name_enc"] = self._key.encrypt(name, study_id=study_id, column="name")
        return out

    def _insert_recipient(
        self,
        conn: sqlite3.Connection,
        values: Mapping[str, Any],
        identity: Mapping[str, Any],
        entered: dict[str, Any],
    ) -> tuple[bool, list[str]]:
        from hsp_desktop.clinical.eligibility import check_eligibility

        sid = values["study_id"]
        if identity.get("mrn_hmac"):
            other = conn.execute(
                "SELECT study_id FROM recipients WHERE mrn_hmac = ?", (identity["mrn_hmac"],)
            ).fetchone()
            if other:
                raise ValidationError(
                    f"A recipient with this MRN is already registered as {other[0]}",
                    problems=[
                        Problem("mrn", "***", f"already registered as {other[0]}", "open that recipient")
                    ],
                    field="mrn",
                )
        now = _now()
        conn.execute(
            "INSERT INTO recipients (study_id, site, cohort, transplant_date, ct_date, mrn_hmac, mrn_enc, name_enc, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                sid,
                values.get("site"),
                values.get("cohort"),
                values.get("transplant_date"),
                values.get("ct_date"),
                identity.get("mrn_hmac"),
                identity.get("mrn_enc"),
                identity.get("name_enc"),
                now,
            ),
        )
        eligible, reasons = check_eligibility(values)
        cols = ", ".join(ENROLMENT_FIELDS)
        conn.execute(
            f"INSERT INTO enrolment (study_id, eligible, exclusion_reasons, updated_at, {cols}) "
            f"VALUES (?, ?, ?, ?, {', '.join('?' * len(ENROLMENT_FIELDS))})",
            (sid, int(eligible), _dumps(reasons), now, *(values.get(f) for f in ENROLMENT_FIELDS)),
        )
        pcols = ", ".join(PREOP_NAMES)
        conn.execute(
            f"INSERT INTO preop (study_id, entered, updated_at, {pcols}) "
            f"VALUES (?, ?, ?, {', '.join('?' * len(PREOP_NAMES))})",
            (sid, _dumps(entered), now, *(values.get(f) for f in PREOP_NAMES)),
        )
        return eligible, reasons

    @staticmethod
    def _entered(record: Mapping[str, Any], validated: Any) -> dict[str, Any]:
        """What was typed, with its unit, for every numeric field (conversions keep the original)."""
        from hsp_desktop.clinical.dictionary import VARIABLES

        conv = {c.field: c for c in validated.conversions}
        out: dict[str, Any] = {}
        for name in PREOP_NAMES:
            raw = record.get(name)
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                continue
            if VARIABLES[name].type not in ("float", "int"):
                continue
            if name in conv:
                c = conv[name]
                out[name] = {"value": c.value, "unit": c.unit, "confirmed_trap": c.confirmed}
            else:
                out[name] = {"value": _plain(raw), "unit": record.get(name + "_unit") or VARIABLES[name].unit}
        return out

    def add_recipient(self, record: Mapping[str, Any], *, by: User, confirm_units: bool = False) -> str:
        """Validate and enrol one recipient (identity, eligibility, pre-operative values) in one transaction.

        Parameters
        ----------
        record : mapping
            CONTRACTS section A fields (values may carry units, e.g. ``"2.0 mg/dL"``), plus optional ``mrn`` and
            ``name`` (stored only with a site key: HMAC for look-up, AES-GCM ciphertext).  Without ``study_id`` the
            next pseudonymous id (``HSP-0001``, ...) is assigned.
        by : User
            The signed-in user (admin, clinician or coordinator).
        confirm_units : bool
            Convert suspected unit traps (see :func:`hsp_desktop.clinical.dictionary.validate_record`).

        Returns
        -------
        str
            The study id.

        Raises
        ------
        ValidationError
            Listing every problem; nothing is written.
        """
        rec = {k: v for k, v in record.items() if k not in ("mrn", "name")}
        with self._tx(by) as conn:
            if rec.get("study_id") is None or str(rec.get("study_id")).strip() == "":
                rec["study_id"] = self._next_study_id(conn)
            validated, problems = self._prepare(rec, confirm_units=confirm_units, row=None)
            sid = validated.values.get("study_id")
            if sid and conn.execute("SELECT 1 FROM recipients WHERE study_id = ?", (sid,)).fetchone():
                problems.append(Problem("study_id", sid, "already registered", "use another study id"))
            if problems:
                raise ValidationError(
                    f"{len(problems)} problem(s) in the record for {sid or 'a new recipient'}",
                    problems=problems,
                    fix="correct each field listed and submit again",
                )
            identity = self._identity(record, sid)
            self._insert_recipient(conn, validated.values, identity, self._entered(rec, validated))
            self._derive(sid, _today())
        return str(sid)

    def get_recipient(self, study_id: str) -> dict[str, Any]:
        """Return one recipient: identity, enrolment, pre-operative values, as-entered units, status.

        ``name`` and ``mrn`` are decrypted when the site key is configured (None otherwise).
        """
        with self._read() as conn:
            row = conn.execute(
                "SELECT r.study_id, r.site, r.cohort, r.transplant_date, r.ct_date, r.mrn_enc, r.name_enc, r.locked, "
                "r.status, r.created_at, e.consent, e.eligible, e.exclusion_reasons, "
                + ", ".join(f"e.{f}" for f in ELIGIBILITY_FLAGS)
                + ", p.entered, "
                + ", ".join(f"p.{f}" for f in PREOP_NAMES)
                + " FROM recipients r JOIN enrolment e USING (study_id) JOIN preop p USING (study_id) "
                "WHERE r.study_id = ?",
                (study_id,),
            ).fetchone()
        if row is None:
            raise _not_found(study_id)
        keys = [
            "study_id", "site", "cohort", "transplant_date", "ct_date", "mrn", "name", "locked", "status",
            "created_at", "consent", "eligible", "exclusion_reasons", *ELIGIBILITY_FLAGS, "entered", *PREOP_NAMES,
        ]  # fmt: skip
        out = dict(zip(keys, row, strict=True))
        out["exclusion_reasons"] = json.loads(out["exclusion_reasons"])
        out["entered"] = json.loads(out["entered"])
        out["eligible"] = bool(out["eligible"])
        out["locked"] = bool(out["locked"])
        for col in ("mrn", "name"):
            token = out[col]
            out[col] = (
                self._key.decrypt(token, study_id=study_id, column=col) if (token and self._key) else None
            )
        return out

    def find_by_mrn(self, mrn: str) -> str | None:
        """Return the study id registered with this MRN (keyed HMAC look-up; needs the site key)."""
        if self._key is None:
            raise RegistryError(
                "MRN look-up needs the site key",
                found="no site key",
                fix="open the registry with its site key",
            )
        with self._read() as conn:
            row = conn.execute(
                "SELECT study_id FROM recipients WHERE mrn_hmac = ?", (self._key.mrn_hmac(mrn),)
            ).fetchone()
        return row[0] if row else None

    def _needs_reason(self, conn: sqlite3.Connection, study_id: str) -> str | None:
        row = conn.execute(
            "SELECT locked, EXISTS (SELECT 1 FROM predictions WHERE study_id = ?) FROM recipients WHERE study_id = ?",
            (study_id, study_id),
        ).fetchone()
        if row is None:
            raise _not_found(study_id)
        if row[0]:
            return "locked"
        if row[1]:
            return "already scored"
        return None

    def _require_reason(self, conn: sqlite3.Connection, study_id: str, reason: str | None) -> None:
        why = self._needs_reason(conn, study_id)
        if why and not (reason and reason.strip()):
            raise ValidationError(
                f"A reason for change is required: {study_id} is {why}",
                problems=[
                    Problem("reason", reason, f"required because the record is {why}", "give a reason")
                ],
                expected="a reason for the change",
                found="none",
                fix="state why the data are changed (it is kept in the audit trail)",
                field="reason",
            )

    def update_preop(
        self,
        study_id: str,
        values: Mapping[str, Any],
        *,
        by: User,
        reason: str | None = None,
        confirm_units: bool = False,
    ) -> dict[str, Any]:
        """Change pre-operative, identity or enrolment fields of a recipient.

        The merged record is validated again as a whole (derived BMI/BSA/Child-Pugh are recomputed when their
        inputs change and they were derived), eligibility is re-checked and the outcome re-derived.

        Parameters
        ----------
        study_id : str
            The recipient.
        values : mapping
            Fields to change (section A names; the study id cannot change).
        by : User
            The signed-in user.
        reason : str, optional
            Required when the recipient is locked or already scored.
        confirm_units : bool
            Convert suspected unit traps.

        Returns
        -------
        dict
            The changed fields, ``{name: (old, new)}``.
        """
        if "study_id" in values and values["study_id"] != study_id:
            raise ValidationError(
                "The study id cannot change",
                problems=[Problem("study_id", values["study_id"], "the study id is permanent", "remove it")],
            )
        with self._tx(by, reason) as conn:
            self._require_reason(conn, study_id, reason)
            current = self.get_recipient(study_id)
            merged = {k: current[k] for k in ("study_id", *IDENTITY_FIELDS, *ENROLMENT_FIELDS, *PREOP_NAMES)}
            changed_inputs = {k for k in values if not k.endswith("_unit")}
            # derived values are recomputed when their inputs change, unless given explicitly
            if changed_inputs & {"height_cm", "weight_kg"}:
                for d in ("bmi", "bsa"):
                    if d not in values:
                        merged[d] = None
            if (
                changed_inputs & {"bilirubin", "albumin", "inr", "ascites", "encephalopathy"}
                and "child_pugh" not in values
            ):
                merged["child_pugh"] = None
            merged.update({k: v for k, v in values.items() if k not in ("mrn", "name")})
            validated, problems = self._prepare(merged, confirm_units=confirm_units, row=None)
            if problems:
                raise ValidationError(
                    f"{len(problems)} problem(s) in the change for {study_id}",
                    problems=problems,
                    fix="correct each field listed and submit again",
                )
            new = validated.values
            diff = {
                k: (current[k], new.get(k))
                for k in (*IDENTITY_FIELDS, *ENROLMENT_FIELDS, *PREOP_NAMES)
                if current[k] != new.get(k)
            }
            now = _now()
            ident = [k for k in IDENTITY_FIELDS if k in diff]
            if ident:
                conn.execute(
                    f"UPDATE recipients SET {', '.join(f'{k} = ?' for k in ident)} WHERE study_id = ?",
                    (*(new[k] for k in ident), study_id),
                )
            if "mrn" in values or "name" in values:
                identity = self._identity(values, study_id)
                sets = {}
                if "mrn" in values:
                    sets.update(mrn_hmac=identity["mrn_hmac"], mrn_enc=identity["mrn_enc"])
                if "name" in values:
                    sets["name_enc"] = identity["name_enc"]
                conn.execute(
                    f"UPDATE recipients SET {', '.join(f'{k} = ?' for k in sets)} WHERE study_id = ?",
                    (*sets.values(), study_id),
                )
                diff.update({k: ("***", "***") for k in ("mrn", "name") if k in values})
            from hsp_desktop.clinical.eligibility import check_eligibility

            eligible, reasons = check_eligibility(new)
            enr = [k for k in ENROLMENT_FIELDS if k in diff]
            if enr or eligible != current["eligible"] or reasons != current["exclusion_reasons"]:
                conn.execute(
                    f"UPDATE enrolment SET eligible = ?, exclusion_reasons = ?, updated_at = ?"
                    f"{''.join(f', {k} = ?' for k in enr)} WHERE study_id = ?",
                    (int(eligible), _dumps(reasons), now, *(new[k] for k in enr), study_id),
                )
            pre = [k for k in PREOP_NAMES if k in diff]
            if pre:
                entered = dict(current["entered"])
                entered.update(
                    self._entered(
                        {k: values.get(k) for k in pre}
                        | {k + "_unit": values[k + "_unit"] for k in pre if k + "_unit" in values},
                        validated,
                    )
                )
                for k in pre:
                    if new.get(k) is None:
                        entered.pop(k, None)
                conn.execute(
                    f"UPDATE preop SET {', '.join(f'{k} = ?' for k in pre)}, entered = ?, updated_at = ? "
                    "WHERE study_id = ?",
                    (*(new[k] for k in pre), _dumps(entered), now, study_id),
                )
            if diff:
                self._derive(study_id, _today())
        return diff

    def lock_recipient(self, study_id: str, *, by: User, reason: str, locked: bool = True) -> None:
        """Lock (or unlock) a recipient's record: later edits need a reason for change (clinicians, admins)."""
        with self._tx(by, reason, roles=CLINICAL_ROLES) as conn:
            cur = conn.execute("UPDATE recipients SET locked = ? WHERE study_id = ?", (int(locked), study_id))
            if cur.rowcount == 0:
                raise _not_found(study_id)

    # -------------------------------------------------------------------------------- imaging, features, scores
    def add_imaging_study(
        self,
        study_id: str,
        *,
        ct_path: str | Path,
        mask_path: str | Path | None,
        ct_sha256: str,
        mask_sha256: str | None,
        qc_report: Any,
        by: User,
    ) -> int:
        """Record an imaging study (file references, SHA-256 of each file, the QC report); returns its id."""
        for name, digest in (("ct_sha256", ct_sha256), ("mask_sha256", mask_sha256)):
            if digest is not None and not _is_sha256(digest):
                raise ValidationError(
                    f"{name} is not a SHA-256 digest",
                    problems=[
                        Problem(name, digest, "not 64 lower-case hex characters", "hash the file again")
                    ],
                    field=name,
                )
        with self._tx(by) as conn:
            self._exists(conn, study_id)
            cur = conn.execute(
                "INSERT INTO imaging_studies (study_id, ct_path, mask_path, ct_sha256, mask_sha256, qc_report, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    study_id,
                    str(ct_path),
                    None if mask_path is None else str(mask_path),
                    ct_sha256,
                    mask_sha256,
                    _dumps(qc_report if qc_report is not None else {}),
                    _now(),
                ),
            )
            return int(cur.lastrowid or 0)

    def imaging_studies(self, study_id: str) -> list[dict[str, Any]]:
        """Return a recipient's imaging studies, oldest first."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT id, study_id, ct_path, mask_path, ct_sha256, mask_sha256, qc_report, created_at "
                "FROM imaging_studies WHERE study_id = ? ORDER BY id",
                (study_id,),
            ).fetchall()
        keys = (
            "id",
            "study_id",
            "ct_path",
            "mask_path",
            "ct_sha256",
            "mask_sha256",
            "qc_report",
            "created_at",
        )
        out = [dict(zip(keys, r, strict=True)) for r in rows]
        for d in out:
            d["qc_report"] = json.loads(d["qc_report"])
        return out

    def save_features(
        self,
        study_id: str,
        imaging_id: int,
        features: Mapping[str, Any],
        settings: Any,
        engine: str,
        *,
        by: User,
    ) -> int:
        """Store a feature vector with its extraction settings and engine version; returns its id."""
        with self._tx(by) as conn:
            row = conn.execute("SELECT study_id FROM imaging_studies WHERE id = ?", (imaging_id,)).fetchone()
            if row is None or row[0] != study_id:
                raise RegistryError(
                    f"Imaging study {imaging_id} does not belong to {study_id}",
                    expected=f"an imaging study of {study_id}",
                    found="none" if row is None else f"a study of {row[0]}",
                    fix="record the imaging study first (add_imaging_study)",
                    field="imaging_id",
                )
            cur = conn.execute(
                "INSERT INTO feature_vectors (study_id, imaging_id, features, settings, engine, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (study_id, imaging_id, _dumps(dict(features)), _dumps(settings), str(engine), _now()),
            )
            return int(cur.lastrowid or 0)

    def features(self, study_id: str) -> list[dict[str, Any]]:
        """Return a recipient's stored feature vectors, oldest first."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT id, imaging_id, features, settings, engine, created_at FROM feature_vectors "
                "WHERE study_id = ? ORDER BY id",
                (study_id,),
            ).fetchall()
        return [
            {"id": r[0], "imaging_id": r[1], "features": json.loads(r[2]), "settings": json.loads(r[3]),
             "engine": r[4], "created_at": r[5]}
            for r in rows
        ]  # fmt: skip

    def save_prediction(self, study_id: str, prediction: Any, *, by: User) -> int:
        """Store a prediction; it can never be changed or deleted afterwards.

        Parameters
        ----------
        study_id : str
            The recipient.
        prediction : mapping or dataclass
            ``model_id``, ``manifest_sha256``, ``probability`` (0-1) and either ``input_sha256`` or ``inputs``
            (hashed here); optional ``ci_low``, ``ci_high``, ``band``, ``contributions`` and anything else (kept
            in ``output``).
        by : User
            The signed-in user.

        Returns
        -------
        int
            The prediction id.
        """
        p = _plain(prediction)
        if not isinstance(p, dict):
            raise ValidationError("A prediction must be a mapping", found=type(prediction).__name__)
        if "input_sha256" not in p and "inputs" in p:
            p["input_sha256"] = _sha256_json(p["inputs"])
        problems = []
        for key in ("model_id", "manifest_sha256", "input_sha256", "probability"):
            if p.get(key) in (None, ""):
                problems.append(Problem(key, None, "required", "pass the model bundle's value"))
        for key in ("manifest_sha256", "input_sha256"):
            if p.get(key) and not _is_sha256(str(p[key])):
                problems.append(
                    Problem(key, p[key], "not a SHA-256 digest", "pass the 64-hex-character digest")
                )
        for key in ("probability", "ci_low", "ci_high"):
            v = p.get(key)
            if v is not None and not (isinstance(v, int | float) and 0.0 <= float(v) <= 1.0):
                problems.append(
                    Problem(key, v, "not a probability between 0 and 1", "check the model output")
                )
        if p.get("band") not in (None, "low", "intermediate", "high"):
            problems.append(
                Problem("band", p.get("band"), "not low/intermediate/high", "check the model output")
            )
        if problems:
            raise ValidationError("The prediction cannot be stored", problems=problems, field="prediction")
        with self._tx(by) as conn:
            self._exists(conn, study_id)
            user = self._ctx[1]
            cur = conn.execute(
                "INSERT INTO predictions (study_id, model_id, manifest_sha256, input_sha256, probability, ci_low, "
                "ci_high, band, output, app_version, created_by, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    study_id,
                    str(p["model_id"]),
                    p["manifest_sha256"],
                    p["input_sha256"],
                    float(p["probability"]),
                    p.get("ci_low"),
                    p.get("ci_high"),
                    p.get("band"),
                    _dumps(p),
                    str(p.get("app_version") or __version__)
                    + (f" (build {p['app_build']})" if p.get("app_build") else ""),
                    user,
                    _now(),
                ),
            )
            self._refresh_status(conn, study_id)
            return int(cur.lastrowid or 0)

    def log_federated_message(self, entry: Mapping[str, Any]) -> int:
        """Record one message this site sent to a federation coordinator (audited; rows are immutable).

        ``entry`` is the site's outbox line: ``type``, ``bytes``, array shapes and run context.  Only sizes and
        shapes are stored: the message content (aggregates) never enters the registry.
        """
        kind = str(entry.get("type") or "")
        size = entry.get("bytes")
        if not kind or not isinstance(size, int) or size < 0:
            raise ValidationError(
                "A federation message needs a type and a size",
                problems=[
                    Problem("entry", dict(entry), "type or bytes missing", "log the outbox line as written")
                ],
                field="entry",
            )
        run = entry.get("run")
        rnd = entry.get("round")
        with self._system_tx("system:federation") as conn:
            cur = conn.execute(
                "INSERT INTO federation_messages (sent_at, run_id, round, kind, bytes, details) VALUES (?,?,?,?,?,?)",
                (
                    _now(),
                    None if run is None else str(run),
                    int(rnd) if isinstance(rnd, int) or (isinstance(rnd, str) and rnd.isdigit()) else None,
                    kind,
                    size,
                    _dumps({k: v for k, v in entry.items() if k not in ("type", "bytes")}),
                ),
            )
            return int(cur.lastrowid or 0)

    def federated_messages(self) -> list[dict[str, Any]]:
        """Every federation message this site logged, oldest first."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT id, sent_at, run_id, round, kind, bytes, details FROM federation_messages ORDER BY id"
            ).fetchall()
        keys = ("id", "sent_at", "run_id", "round", "kind", "bytes", "details")
        return [{**dict(zip(keys, r, strict=True)), "details": json.loads(r[6])} for r in rows]

    def predictions(self, study_id: str) -> list[dict[str, Any]]:
        """Return a recipient's predictions, oldest first (each with its full ``output``)."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT id, model_id, manifest_sha256, input_sha256, probability, ci_low, ci_high, band, output, "
                "app_version, created_by, created_at FROM predictions WHERE study_id = ? ORDER BY id",
                (study_id,),
            ).fetchall()
        keys = ("id", "model_id", "manifest_sha256", "input_sha256", "probability", "ci_low", "ci_high", "band",
                "output", "app_version", "created_by", "created_at")  # fmt: skip
        out = []
        for r in rows:
            d = dict(zip(keys, r, strict=True))
            d["output"] = json.loads(d["output"])
            d["study_id"] = study_id
            out.append(d)
        return out

    # ---------------------------------------------------------------------------------------------- follow-up
    def _validate_visit(
        self,
        conn: sqlite3.Connection,
        study_id: str,
        visit: Mapping[str, Any],
        *,
        row: int | None,
        confirm_units: bool,
    ) -> tuple[dict[str, Any], list[Problem]]:
        from hsp_desktop.clinical.dictionary import validate_visit

        tx = conn.execute("SELECT transplant_date FROM recipients WHERE study_id = ?", (study_id,)).fetchone()
        if tx is None:
            return {}, [
                Problem("study_id", study_id, "no such recipient", "enrol the recipient first", row=row)
            ]
        data = dict(visit)
        if data.get("study_id") not in (None, "", study_id):
            return {}, [
                Problem("study_id", data["study_id"], f"differs from {study_id}", "check the row", row=row)
            ]
        data["study_id"] = study_id
        if tx[0] is None:
            return {}, [
                Problem(
                    "transplant_date", None, f"{study_id} has no transplant date", "enter it first", row=row
                )
            ]
        validated = validate_visit(data, transplant_date=tx[0], confirm_units=confirm_units, row=row)
        return dict(validated.values), list(validated.problems)

    def add_followup(
        self,
        study_id: str,
        visit: Mapping[str, Any],
        *,
        by: User,
        reason: str | None = None,
        confirm_units: bool = False,
        today: dt.date | None = None,
    ) -> int:
        """Record one dated follow-up measurement/visit (CONTRACTS section B) and re-derive the outcome.

        Returns
        -------
        int
            The visit id.
        """
        with self._tx(by, reason) as conn:
            values, problems = self._validate_visit(
                conn, study_id, visit, row=None, confirm_units=confirm_units
            )
            if problems:
                raise ValidationError(
                    f"{len(problems)} problem(s) in the follow-up visit for {study_id}",
                    problems=problems,
                    fix="correct each field listed and submit again",
                )
            vid = self._insert_visit(conn, study_id, values)
            self._derive(study_id, today or _today())
            return vid

    def _insert_visit(self, conn: sqlite3.Connection, study_id: str, values: Mapping[str, Any]) -> int:
        cols = ("date", "day", *FOLLOWUP_NAMES)
        row = [values.get(c) for c in cols]
        row = [None if v == "" else v for v in row]
        cur = conn.execute(
            f"INSERT INTO followups (study_id, {', '.join(cols)}, created_at) VALUES (?, {', '.join('?' * len(cols))}, ?)",
            (study_id, *row, _now()),
        )
        return int(cur.lastrowid or 0)

    def update_followup(
        self, followup_id: int, values: Mapping[str, Any], *, by: User, reason: str | None = None
    ) -> None:
        """Correct a follow-up visit (a reason is required once the recipient is scored or locked)."""
        with self._tx(by, reason) as conn:
            current = self._visit(conn, followup_id)
            sid = current["study_id"]
            self._require_reason(conn, sid, reason)
            merged = {k: current[k] for k in ("date", *FOLLOWUP_NAMES)}
            merged.update(values)
            merged.pop("day", None)
            new, problems = self._validate_visit(conn, sid, merged, row=None, confirm_units=False)
            if problems:
                raise ValidationError(f"{len(problems)} problem(s) in the correction", problems=problems)
            cols = ("date", "day", *FOLLOWUP_NAMES)
            conn.execute(
                f"UPDATE followups SET {', '.join(f'{c} = ?' for c in cols)} WHERE id = ?",
                (*(None if new.get(c) == "" else new.get(c) for c in cols), followup_id),
            )
            self._derive(sid, _today())

    def delete_followup(self, followup_id: int, *, by: User, reason: str) -> None:
        """Delete a follow-up visit entered in error (a reason is always required; the audit keeps it)."""
        if not (reason and reason.strip()):
            raise ValidationError(
                "A reason is required to delete a visit",
                problems=[Problem("reason", reason, "missing", "state why the visit is deleted")],
                field="reason",
            )
        with self._tx(by, reason) as conn:
            sid = self._visit(conn, followup_id)["study_id"]
            conn.execute("DELETE FROM followups WHERE id = ?", (followup_id,))
            self._derive(sid, _today())

    def _visit(self, conn: sqlite3.Connection, followup_id: int) -> dict[str, Any]:
        cols = ("id", "study_id", "date", "day", *FOLLOWUP_NAMES, "created_at")
        row = conn.execute(f"SELECT {', '.join(cols)} FROM followups WHERE id = ?", (followup_id,)).fetchone()
        if row is None:
            raise RegistryError(f"No follow-up visit with id {followup_id}", field="followup_id")
        return dict(zip(cols, row, strict=True))

    def followups(self, study_id: str) -> list[dict[str, Any]]:
        """Return a recipient's follow-up visits in date order."""
        cols = ("id", "study_id", "date", "day", *FOLLOWUP_NAMES, "created_at")
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {', '.join(cols)} FROM followups WHERE study_id = ? ORDER BY day, id", (study_id,)
            ).fetchall()
        return [dict(zip(cols, r, strict=True)) for r in rows]

    def schedule(self, study_id: str, today: dt.date | None = None) -> list[dict[str, Any]]:
        """Return the state of each scheduled visit (day 30/90/180 windows) of one recipient on ``today``."""
        today = today or _today()
        with self._read() as conn:
            row = conn.execute(
                "SELECT transplant_date FROM recipients WHERE study_id = ?", (study_id,)
            ).fetchone()
            if row is None:
                raise _not_found(study_id)
            days = [r[0] for r in conn.execute("SELECT day FROM followups WHERE study_id = ?", (study_id,))]
            windows = windows_from_setting(self._get_setting("followup_windows"))
        if row[0] is None:
            return []
        return [s.as_dict() for s in visit_states(dt.date.fromisoformat(row[0]), days, today, windows)]

    def followups_due(self, today: dt.date | str | None = None) -> list[dict[str, Any]]:
        """Return every due or overdue visit on ``today`` for recipients still in follow-up.

        Recipients excluded, with a known outcome or a competing event are not followed any more.  Each item:
        ``study_id``, ``day`` (target day), ``window_start``, ``window_end``, ``state`` (``due``/``overdue``),
        ``measurements`` and ``days_overdue``; overdue first, most overdue first.
        """
        today_d = _as_date(today) or _today()
        with self._read() as conn:
            windows = windows_from_setting(self._get_setting("followup_windows"))
            last_end = max(w.end for w in windows)
            rows = conn.execute(
                "SELECT study_id, transplant_date FROM recipients WHERE status IN ('enrolled', 'scored') "
                "AND transplant_date IS NOT NULL AND transplant_date <= ?",
                (today_d.isoformat(),),
            ).fetchall()
            days: dict[str, list[int]] = {}
            for sid, day in conn.execute(
                "SELECT f.study_id, f.day FROM followups f JOIN recipients r USING (study_id) "
                "WHERE r.status IN ('enrolled', 'scored')"
            ):
                days.setdefault(sid, []).append(day)
        out = []
        for sid, tx in rows:
            txd = dt.date.fromisoformat(tx)
            if (today_d - txd).days > last_end + 365 * 5:
                continue
            for s in visit_states(txd, days.get(sid, []), today_d, windows):
                if s.state in ("due", "overdue"):
                    out.append({"study_id": sid, **s.as_dict()})
        out.sort(key=lambda d: (d["state"] != "overdue", -d["days_overdue"], d["window_end"], d["study_id"]))
        return out

    # ------------------------------------------------------------------------------------------------ outcome
    def _derive(self, study_id: str, today: dt.date) -> None:
        """Re-derive and store the outcome of one recipient (inside the caller's transaction)."""
        from hsp_desktop.clinical.outcome import derive_outcome

        conn = self._conn
        definition = self._definition()
        row = conn.execute(
            f"SELECT r.transplant_date, {', '.join('p.' + c for c in PREOP_NAMES)} FROM recipients r "
            "JOIN preop p USING (study_id) WHERE r.study_id = ?",
            (study_id,),
        ).fetchone()
        if row is None:
            raise _not_found(study_id)
        tx = row[0]
        preop = dict(zip(PREOP_NAMES, row[1:], strict=True))
        cols = ("date", "day", *FOLLOWUP_NAMES)
        visits = [
            dict(zip(cols, r, strict=True))
            for r in conn.execute(
                f"SELECT {', '.join(cols)} FROM followups WHERE study_id = ? ORDER BY day, id", (study_id,)
            )
        ]
        for v in visits:
            for k in ("intervention", "event"):
                if v[k] is None:
                    v[k] = ""
        if tx is None:
            status, flags, reasons, secondary = "pending", [], ["no transplant date"], {}
        else:
            result = derive_outcome(preop, visits, dt.date.fromisoformat(tx), today, definition)
            status = str(result.status)
            flags = list(result.flags)
            reasons = list(result.reasons)
            secondary = {f.name: getattr(result.secondary, f.name) for f in fields(result.secondary)}
            secondary["components"] = (
                {
                    k: getattr(result, k)
                    for k in ("window_dates", "plt_window", "wbc_window", "cytopenia", "splenomegaly", "other_cause",
                              "event_day")
                }
            )  # fmt: skip
        def_id = (
            self._def_cache[2]
            if self._def_cache and self._def_cache[1] is definition
            else definition.definition_id
        )
        new = (def_id, status, _dumps(flags), _dumps(reasons), _dumps(secondary))
        old = conn.execute(
            "SELECT definition_id, status, flags, reasons, secondary FROM outcomes WHERE study_id = ?",
            (study_id,),
        ).fetchone()
        if old is None:
            conn.execute(
                "INSERT INTO outcomes (study_id, definition_id, status, flags, reasons, secondary, as_of, derived_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (study_id, *new, today.isoformat(), _now()),
            )
        elif tuple(old) != new:
            conn.execute(
                "UPDATE outcomes SET definition_id = ?, status = ?, flags = ?, reasons = ?, secondary = ?, as_of = ?, "
                "derived_at = ? WHERE study_id = ?",
                (*new, today.isoformat(), _now(), study_id),
            )
        self._refresh_status(conn, study_id)

    def _refresh_status(self, conn: sqlite3.Connection, study_id: str) -> None:
        row = conn.execute(
            "SELECT r.status, e.eligible, o.status, EXISTS (SELECT 1 FROM predictions p WHERE p.study_id = r.study_id) "
            "FROM recipients r JOIN enrolment e USING (study_id) LEFT JOIN outcomes o USING (study_id) "
            "WHERE r.study_id = ?",
            (study_id,),
        ).fetchone()
        current, eligible, outcome, scored = row
        if not eligible:
            status = "excluded"
        elif outcome in ("1", "0"):
            status = "outcome"
        elif outcome == "competing":
            status = "competing"
        elif scored:
            status = "scored"
        else:
            status = "enrolled"
        if status != current:
            conn.execute("UPDATE recipients SET status = ? WHERE study_id = ?", (status, study_id))

    def outcome(self, study_id: str) -> dict[str, Any]:
        """Return the stored outcome (status 1/0/"pending"/"competing", definition id, flags, reasons, secondary)."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT definition_id, status, flags, reasons, secondary, as_of, derived_at FROM outcomes "
                "WHERE study_id = ?",
                (study_id,),
            ).fetchone()
        if row is None:
            raise _not_found(study_id)
        status: int | str = int(row[1]) if row[1] in ("0", "1") else row[1]
        return {
            "study_id": study_id,
            "definition_id": row[0],
            "status": status,
            "flags": json.loads(row[2]),
            "reasons": json.loads(row[3]),
            "secondary": json.loads(row[4]),
            "as_of": row[5],
            "derived_at": row[6],
        }

    def refresh_outcomes(self, *, by: User, today: dt.date | None = None) -> int:
        """Re-derive every outcome on ``today`` (e.g. daily, as windows close); returns how many changed status."""
        today = today or _today()
        with self._tx(by, "outcome refresh") as conn:
            before = dict(conn.execute("SELECT study_id, status FROM outcomes").fetchall())
            for sid in [r[0] for r in conn.execute("SELECT study_id FROM recipients")]:
                self._derive(sid, today)
            after = dict(conn.execute("SELECT study_id, status FROM outcomes").fetchall())
        return sum(1 for k, v in after.items() if before.get(k) != v)

    # ----------------------------------------------------------------------------------------------- worklist
    def worklist(
        self,
        search: str | None = None,
        status: str | None = None,
        *,
        limit: int | None = 500,
        offset: int = 0,
        today: dt.date | None = None,
    ) -> list[dict[str, Any]]:
        """Return the worklist: one row per recipient with status, latest risk, next visit and outcome.

        Parameters
        ----------
        search : str, optional
            A study-id prefix (case-insensitive), or an exact MRN when the site key is configured.
        status : str, optional
            ``excluded``, ``enrolled``, ``scored``, ``outcome`` or ``competing``.
        limit, offset : int
            Paging (default: the first 500 rows in study-id order; None for all).
        today : date, optional
            Date the visit schedule is evaluated on.

        Returns
        -------
        list of dict
            ``study_id``, ``site``, ``status``, ``transplant_date``, ``locked``, ``risk`` (latest probability),
            ``band``, ``model_id``, ``scored_at``, ``next_visit`` (day/state/window or None), ``outcome``.
        """
        today = today or _today()
        where, params = [], []
        if search and search.strip():
            term = search.strip()
            glob = "".join(f"[{c}]" if c in "*?[]" else c for c in term)
            alt = ["r.study_id GLOB ?", "r.study_id GLOB ?"]
            params += [glob + "*", glob.upper() + "*"]
            if self._key is not None:
                alt.append("r.mrn_hmac = ?")
                params.append(self._key.mrn_hmac(term))
            where.append("(" + " OR ".join(alt) + ")")
        if status:
            if status not in ("excluded", "enrolled", "scored", "outcome", "competing"):
                raise SettingsError(
                    "Unknown worklist status",
                    expected="excluded, enrolled, scored, outcome or competing",
                    found=status,
                    field="status",
                )
            where.append("r.status = ?")
            params.append(status)
        sql = (
            "SELECT r.study_id, r.site, r.status, r.transplant_date, r.locked, p.probability, p.band, p.model_id, "
            "p.created_at, o.status FROM recipients r "
            "LEFT JOIN predictions p ON p.id = (SELECT MAX(id) FROM predictions q WHERE q.study_id = r.study_id) "
            "LEFT JOIN outcomes o ON o.study_id = r.study_id"
            + (" WHERE " + " AND ".join(where) if where else "")
            + " ORDER BY r.study_id"
        )
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [int(limit), int(offset)]
        with self._read() as conn:
            rows = conn.execute(sql, params).fetchall()
            ids = [r[0] for r in rows]
            days: dict[str, list[int]] = {}
            for i in range(0, len(ids), 500):
                chunk = ids[i : i + 500]
                for sid, day in conn.execute(
                    f"SELECT study_id, day FROM followups WHERE study_id IN ({', '.join('?' * len(chunk))})",
                    chunk,
                ):
                    days.setdefault(sid, []).append(day)
            windows = windows_from_setting(self._get_setting("followup_windows"))
        out = []
        for sid, site, st, tx, locked, prob, band, model_id, scored_at, outcome in rows:
            nxt = None
            if tx and st in ("enrolled", "scored"):
                v = next_visit(visit_states(dt.date.fromisoformat(tx), days.get(sid, []), today, windows))
                nxt = v.as_dict() if v else None
            out.append(
                {
                    "study_id": sid,
                    "site": site,
                    "status": st,
                    "transplant_date": tx,
                    "locked": bool(locked),
                    "risk": prob,
                    "band": band,
                    "model_id": model_id,
                    "scored_at": scored_at,
                    "next_visit": nxt,
                    "outcome": int(outcome) if outcome in ("0", "1") else outcome,
                }
            )
        return out

    def count(self, status: str | None = None) -> int:
        """Return how many recipients there are (optionally with one status)."""
        with self._read() as conn:
            if status is None:
                return int(conn.execute("SELECT COUNT(*) FROM recipients").fetchone()[0])
            return int(
                conn.execute("SELECT COUNT(*) FROM recipients WHERE status = ?", (status,)).fetchone()[0]
            )

    # -------------------------------------------------------------------------------------------------- audit
    def audit_log(
        self, limit: int = 200, table: str | None = None, *, row_key: str | None = None
    ) -> list[dict[str, Any]]:
        """Return the newest audit entries (password hashes redacted)."""
        where, params = [], []
        if table:
            where.append("table_name = ?")
            params.append(table)
        if row_key:
            where.append("row_key = ?")
            params.append(row_key)
        sql = (
            "SELECT id, ts, user_id, username, reason, table_name, row_key, action, old, new FROM audit"
            + (" WHERE " + " AND ".join(where) if where else "")
            + " ORDER BY id DESC LIMIT ?"
        )
        with self._read() as conn:
            rows = conn.execute(sql, (*params, int(limit))).fetchall()
        keys = ("id", "ts", "user_id", "username", "reason", "table", "row_key", "action", "old", "new")
        out = []
        for r in rows:
            d = dict(zip(keys, r, strict=True))
            for k in ("old", "new"):
                if d[k] is not None:
                    d[k] = json.loads(d[k])
                    if "password_hash" in d[k]:
                        d[k]["password_hash"] = _PASSWORD_REDACTED
            out.append(d)
        return out

    def verify(self, *, raise_on_error: bool = False) -> audit_mod.VerifyReport:
        """Check integrity, the audit triggers, the hash chain and every row against it.

        See :mod:`hsp_desktop.registry.audit` for how edits made outside the application are detected.

        Raises
        ------
        TamperError
            With ``raise_on_error=True`` when anything was found.
        """
        with self._read() as conn:
            report = audit_mod.verify(conn, self._key.audit_key if self._key else None)
        if raise_on_error and not report.ok:
            raise TamperError(
                f"The registry failed verification ({len(report.problems)} finding(s)): "
                + report.problems[0],
                expected="an unbroken audit chain matching every row",
                found="; ".join(report.problems[:3]),
                fix="restore the latest good backup (`hsp registry restore`) and report the incident",
            )
        return report

    # --------------------------------------------------------------------------- import, export, backup (modules)
    def import_csv(self, path: Path | str, *, by: User, confirm_units: bool = False) -> ImportReport:
        """Import a retrospective cohort (clinical.csv, CONTRACTS section A) all-or-nothing.

        See :func:`hsp_desktop.registry.io.import_recipients_csv`.
        """
        from hsp_desktop.registry.io import import_recipients_csv

        return import_recipients_csv(self, Path(path), by=by, confirm_units=confirm_units)

    def import_followup_csv(self, path: Path | str, *, by: User, confirm_units: bool = False) -> ImportReport:
        """Import follow-up visits (followup.csv, CONTRACTS section B) all-or-nothing."""
        from hsp_desktop.registry.io import import_followups_csv

        return import_followups_csv(self, Path(path), by=by, confirm_units=confirm_units)

    def export(self, folder: Path | str, *, deidentified: bool = True, by: User | None = None) -> list[Path]:
        """Export data + data dictionary in a REDCap-compatible layout (de-identified by default).

        See :func:`hsp_desktop.registry.io.export_redcap`.
        """
        from hsp_desktop.registry.io import export_redcap

        return export_redcap(self, Path(folder), deidentified=deidentified, by=by)

    def exports(self) -> list[dict[str, Any]]:
        """Return the export log (who exported what, when, de-identified or not), newest first."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT id, exported_at, username, deidentified, folder, files, manifest_sha256 FROM export_log "
                "ORDER BY id DESC"
            ).fetchall()
        keys = ("id", "exported_at", "username", "deidentified", "folder", "files", "manifest_sha256")
        out = [dict(zip(keys, r, strict=True)) for r in rows]
        for d in out:
            d["files"] = json.loads(d["files"])
            d["deidentified"] = bool(d["deidentified"])
        return out

    def backup(self, folder: Path | str, *, keep: int | None = None) -> Path:
        """Write a checked, timestamped online backup to ``folder`` and rotate old ones.

        See :func:`hsp_desktop.registry.backup.backup`.
        """
        from hsp_desktop.registry.backup import backup

        return backup(self, Path(folder), keep=keep)

    @staticmethod
    def restore(backup: Path | str, target: Path | str, *, site_key: bytes | None = None) -> Path:
        """Check a backup and atomically replace ``target`` with it (see :func:`hsp_desktop.registry.backup.restore`)."""
        from hsp_desktop.registry.backup import restore

        return restore(Path(backup), Path(target), site_key=site_key)

    # ------------------------------------------------------------------------------------------------ helpers
    def _exists(self, conn: sqlite3.Connection, study_id: str) -> None:
        if conn.execute("SELECT 1 FROM recipients WHERE study_id = ?", (study_id,)).fetchone() is None:
            raise _not_found(study_id)


@contextmanager
def _null() -> Iterator[None]:
    yield


def _is_sha256(value: str) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def _not_found(study_id: str) -> RegistryError:
    return RegistryError(
        f"No recipient {study_id} in the registry",
        expected="a registered study id",
        found=study_id,
        fix="check the study id in the worklist",
        field="study_id",
    )


def _busy_error(exc: sqlite3.OperationalError) -> RegistryError:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return RegistryError(
            "The registry is busy: another program kept it locked for too long",
            expected="the database lock within the busy timeout",
            found=text,
            fix="wait for the other HSP Desktop window or import to finish, then try again",
        )
    return RegistryError("The registry could not complete the write", found=text, fix="try again; run verify")


def fields_of(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Return the union of keys of ``rows`` in first-seen order (helper for exports)."""
    seen: dict[str, None] = {}
    for r in rows:
        for k in r:
            seen.setdefault(k, None)
    return list(seen)

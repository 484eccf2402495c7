"""Users and sign-in: accounts with roles, Argon2id passwords, lockout after failed sign-ins."""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

from hsp_desktop.errors import AuthError, Problem, RegistryError, ValidationError
from hsp_desktop.registry import jsonutil as ju
from hsp_desktop.registry import sessions
from hsp_desktop.registry.db import Database, Layer
from hsp_desktop.registry.models import ADMIN_ROLES, ALL_ROLES, ROLES, User
from hsp_desktop.registry.passwords import hash_password, needs_rehash, verify_password
from hsp_desktop.registry.settings import Settings


class Users(Layer):
    """User accounts of one registry (see :class:`~hsp_desktop.registry.db.Layer`)."""

    def __init__(self, db: Database, settings: Settings) -> None:
        super().__init__(db)
        self._settings = settings
        self._dummy: str | None = None

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
        minimum = int(self._settings.get_setting("min_password_length"))
        if not isinstance(password, str) or len(password) < minimum:
            raise ValidationError(
                "The password is too short",
                problems=[
                    Problem("password", "***", f"fewer than {minimum} characters", "choose a longer one")
                ],
                field="password",
            )
        encoded = hash_password(password, self._db.argon2)
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
                # creating the first administrator signs them in (they have just chosen the password)
                return User(uid, username, role, sessions.issue(self._db.registry_id, uid))
            else:
                with self._tx(by, roles=ADMIN_ROLES) as conn:
                    uid = self._insert_user(conn, username, role, encoded)
        return User(uid, username, role)

    def _insert_user(self, conn: sqlite3.Connection, username: str, role: str, encoded: str) -> int:
        try:
            cur = conn.execute(
                "INSERT INTO users (username, role, password_hash, created_at) VALUES (?, ?, ?, ?)",
                (username, role, encoded, ju.now()),
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
        """Check a password and return the signed-in :class:`User` (carrying its session token).

        ``lockout_attempts`` failed attempts in a row (default 5) lock the account for ``lockout_minutes``
        (default 15) or until an administrator unlocks it.  The attempt is counted *before* the password is
        checked, in one write transaction under the cross-process write lock, so parallel guesses cannot all pass
        the lock check: at most ``lockout_attempts`` passwords are ever checked.  A successful sign-in resets the
        count.  Each counted attempt and each sign-in is audited (``system:auth:<name>``).

        Raises
        ------
        AuthError
            One message for every refusal (unknown user, wrong password, locked or deactivated account), so the
            answer does not reveal which user names exist or which accounts are locked.
        """
        limit = int(self._settings.get_setting("lockout_attempts"))
        minutes = float(self._settings.get_setting("lockout_minutes"))
        who = f"system:auth:{username}"
        with self._system_tx(who, "sign-in attempt") as conn:
            row = conn.execute(
                "SELECT id, role, password_hash, failed_attempts, locked_until, active FROM users WHERE username = ?",
                (username,),
            ).fetchone()
            usable = row is not None and row[5] and not (row[4] and row[4] > ju.now()) and row[3] < limit
            if usable:
                until = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=minutes)).strftime(
                    "%Y-%m-%dT%H:%M:%S.%fZ"
                )
                conn.execute(
                    "UPDATE users SET failed_attempts = failed_attempts + 1, "
                    "locked_until = CASE WHEN failed_attempts + 1 >= ? THEN ? ELSE NULL END WHERE id = ?",
                    (limit, until, row[0]),
                )
        if not usable:
            verify_password(self._dummy_hash(), password, self._db.argon2)  # same cost as a real check
            raise _refused(minutes)
        assert row is not None
        uid, role, encoded = int(row[0]), str(row[1]), str(row[2])
        if not verify_password(encoded, password, self._db.argon2):
            raise _refused(minutes)
        with self._system_tx(who, "sign-in") as conn:
            if needs_rehash(encoded, self._db.argon2):
                conn.execute(
                    "UPDATE users SET password_hash = ? WHERE id = ?",
                    (hash_password(password, self._db.argon2), uid),
                )
            conn.execute(
                "UPDATE users SET failed_attempts = 0, locked_until = NULL, last_login = ? WHERE id = ?",
                (ju.now(), uid),
            )
        return User(uid, username, role, sessions.issue(self._db.registry_id, uid))

    def sign_out(self, user: User) -> None:
        """End ``user``'s session: later writes with it are refused until the user signs in again."""
        sessions.revoke(user.session)

    def _dummy_hash(self) -> str:
        if self._dummy is None:
            self._dummy = hash_password("not-a-password", self._db.argon2)
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
        minimum = int(self._settings.get_setting("min_password_length"))
        if len(password) < minimum:
            raise ValidationError(
                "The password is too short",
                problems=[
                    Problem("password", "***", f"fewer than {minimum} characters", "choose a longer one")
                ],
            )
        roles = ALL_ROLES if by.username == username else ADMIN_ROLES
        encoded = hash_password(password, self._db.argon2)
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


def _refused(minutes: float) -> AuthError:
    return AuthError(
        "Wrong user name or password, or the account is locked",
        expected="a known, active account and its password",
        found="no match",
        fix=f"check both and try again; after repeated failures wait {minutes:g} minutes or ask an administrator "
        "to unlock the account",
        field="user",
    )

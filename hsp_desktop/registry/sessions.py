"""Sign-in sessions: a :class:`~hsp_desktop.registry.models.User` is only honoured if sign-in issued it.

:meth:`Registry.authenticate` (and the creation of the first administrator) issues a random 256-bit token, kept
in this process's session table with the registry's id and the user's id, and hands it back inside the ``User``.
Every write checks that table, then re-reads the user's role, state and lock from the database.  A ``User`` built
by hand carries no token (or one that is not in the table, or belongs to another user or registry) and is
refused, so code that can read the database and the key file still cannot act as "admin" without the password.

Sessions live in memory only: they end with the process or with :func:`revoke` (sign-out, idle lock).
"""

from __future__ import annotations

import secrets
import threading

_LOCK = threading.Lock()
_SESSIONS: dict[str, tuple[str, int]] = {}


def issue(registry_id: str, user_id: int) -> str:
    """Return a new session token for ``user_id`` in the registry ``registry_id``."""
    token = secrets.token_urlsafe(32)
    with _LOCK:
        _SESSIONS[token] = (registry_id, int(user_id))
    return token


def valid(token: str | None, registry_id: str, user_id: int) -> bool:
    """Whether ``token`` was issued for this user of this registry and not revoked."""
    if not isinstance(token, str):
        return False
    with _LOCK:
        entry = _SESSIONS.get(token)
    return entry is not None and secrets.compare_digest(entry[0], registry_id) and entry[1] == int(user_id)


def revoke(token: str | None) -> None:
    """End a session (sign-out); unknown tokens are ignored."""
    if isinstance(token, str):
        with _LOCK:
            _SESSIONS.pop(token, None)


def revoke_user(registry_id: str, user_id: int) -> None:
    """End every session of one user (deactivation, password change by an administrator)."""
    with _LOCK:
        for token in [t for t, e in _SESSIONS.items() if e == (registry_id, int(user_id))]:
            del _SESSIONS[token]

"""The registry's SQLite connection: pragmas, the SQLite-version check and the cross-process write lock.

Durability settings
    ``journal_mode=WAL`` (readers never block the writer), ``synchronous=FULL`` (a commit survives power loss;
    NORMAL may lose the last commits), ``foreign_keys=ON`` (off by default in SQLite), ``busy_timeout``.

The WAL-reset bug (sqlite.org/wal.html#walresetbug)
    SQLite 3.7.0-3.51.2 (fixed in 3.51.3; backports 3.44.6 and 3.50.7) can corrupt a WAL database when one
    connection starts a checkpoint just as another connection commits a transaction that resets the WAL.  Python's
    bundled SQLite is usually affected.  The registry therefore never lets a write and a checkpoint overlap, even
    between processes: automatic checkpoints are switched off (``wal_autocheckpoint=0``) and every write
    transaction, every explicit checkpoint and every close runs while holding an exclusive OS lock on
    ``<database>.lock`` (``fcntl.flock`` / ``msvcrt.locking``).  The SQLite version is recorded in the database and
    :func:`sqlite_version_status` says whether it is affected.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from hsp_desktop.errors import RegistryError

log = logging.getLogger(__name__)

#: Milliseconds SQLite waits for a lock before reporting "database is locked".
BUSY_TIMEOUT_MS = 15_000
#: Seconds a writer waits for the cross-process write lock before giving up with a clear message.
WRITE_LOCK_TIMEOUT_S = 60.0
#: Checkpoint when the WAL has grown beyond this many pages (4 MiB at 4 KiB pages).
CHECKPOINT_PAGES = 1000

_FIXED = ((3, 44, 6), (3, 50, 7), (3, 51, 3))


def _version_tuple(version: str) -> tuple[int, int, int]:
    parts = [int(p) for p in version.split(".")[:3]]
    while len(parts) < 3:
        parts.append(0)
    return parts[0], parts[1], parts[2]


def sqlite_version_status(version: str | None = None) -> tuple[bool, str]:
    """Say whether a SQLite version has the WAL-reset bug.

    Parameters
    ----------
    version : str, optional
        A version string such as ``"3.40.1"``; defaults to :data:`sqlite3.sqlite_version`.

    Returns
    -------
    (affected, message) : tuple of bool and str
        ``affected`` is True for 3.7.0-3.51.2 except the backports 3.44.6+ (3.44 line) and 3.50.7+ (3.50 line).
    """
    version = version or sqlite3.sqlite_version
    v = _version_tuple(version)
    if v < (3, 7, 0) or v >= (3, 51, 3):
        affected = False
    elif v[:2] == (3, 44) and v >= (3, 44, 6):
        affected = False
    elif v[:2] == (3, 50) and v >= (3, 50, 7):
        affected = False
    else:
        affected = True
    if affected:
        msg = (
            f"SQLite {version} has the WAL-reset bug (fixed in 3.51.3, 3.50.7, 3.44.6); the registry serialises "
            "writes and checkpoints with a cross-process lock to avoid it. Upgrade Python's SQLite when possible."
        )
    else:
        msg = f"SQLite {version} is not affected by the WAL-reset bug."
    return affected, msg


class InterProcessLock:
    """An exclusive advisory lock on a file, shared by every process that opens the same database.

    Re-entrant within one thread of one process (a counter), so nested write blocks do not deadlock.

    Parameters
    ----------
    path : Path
        The lock file (created when absent; never deleted, so the lock always refers to the same inode).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: IO[bytes] | None = None
        self._depth = 0
        self._thread_lock = threading.RLock()

    def _try_lock(self, fh: IO[bytes]) -> bool:
        try:
            if os.name == "nt":  # pragma: no cover - exercised on Windows only
                import msvcrt

                fh.seek(0)
                msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
            else:
                import fcntl

                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True

    def _unlock(self, fh: IO[bytes]) -> None:
        if os.name == "nt":  # pragma: no cover
            import msvcrt

            fh.seek(0)
            msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]
        else:
            import fcntl

            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    @contextmanager
    def hold(self, timeout: float = WRITE_LOCK_TIMEOUT_S) -> Iterator[None]:
        """Hold the lock for the duration of the block (waits up to ``timeout`` seconds)."""
        with self._thread_lock:
            if self._depth == 0:
                fh = os.fdopen(os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600), "a+b")
                deadline = time.monotonic() + timeout
                delay = 0.001
                while not self._try_lock(fh):
                    if time.monotonic() > deadline:
                        fh.close()
                        raise RegistryError(
                            "Another program has been writing to the registry for too long",
                            expected=f"the write lock within {timeout:.0f} s",
                            found="the lock still held",
                            fix="wait for the other HSP Desktop window or import to finish, then try again",
                            field=str(self.path),
                        )
                    time.sleep(delay)
                    delay = min(delay * 2, 0.05)
                self._fh = fh
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0 and self._fh is not None:
                    self._unlock(self._fh)
                    self._fh.close()
                    self._fh = None


def connect(path: Path | str, *, read_only: bool = False) -> sqlite3.Connection:
    """Open a connection with the registry's pragmas (WAL, synchronous=FULL, foreign keys, busy timeout).

    The connection is in driver autocommit mode (``isolation_level=None``): transactions are explicit
    (``BEGIN IMMEDIATE`` ... ``COMMIT``), never opened implicitly by the driver.  ``read_only`` opens the file
    with ``mode=ro`` and changes nothing in it (no switch to WAL).
    """
    target = str(path)
    try:
        if read_only and target != ":memory:":
            if not Path(target).is_file():
                raise RegistryError(
                    f"No registry file at {target}",
                    expected="an existing file",
                    found="nothing",
                    field=target,
                )
            uri = Path(target).resolve().as_uri() + "?mode=ro"
            conn = sqlite3.connect(
                uri, uri=True, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
            )
        else:
            if target != ":memory:" and not Path(target).exists():
                # created readable by its owner only; SQLite gives the -wal and -shm files the same mode
                os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            conn = sqlite3.connect(
                target, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
            )
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if target != ":memory:" and not read_only:
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise RegistryError(
                    "The registry could not switch to write-ahead logging",
                    expected="journal_mode=wal",
                    found=f"journal_mode={mode}",
                    fix="keep the registry on a local disk (WAL does not work on network shares)",
                    field=target,
                )
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA wal_autocheckpoint=0")
        conn.execute("PRAGMA recursive_triggers=OFF")
    except sqlite3.DatabaseError as exc:
        raise RegistryError(
            f"Cannot open the registry database {target}",
            expected="an HSP Desktop registry (SQLite) on a local disk",
            found=str(exc),
            fix="check the path; restore the latest backup with `hsp registry restore` if the file is damaged",
            field=target,
        ) from exc
    if conn.execute("PRAGMA foreign_keys").fetchone()[0] != 1:
        raise RegistryError(
            "This SQLite build cannot enforce foreign keys",
            expected="PRAGMA foreign_keys=1",
            found="0",
            fix="use a Python whose sqlite3 supports foreign keys",
        )
    return conn

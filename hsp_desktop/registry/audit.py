"""The audit trail: triggers that record every change, the hash chain that seals it, and its verification.

How an edit made outside the application is detected
----------------------------------------------------
Every audited table has three ``AFTER INSERT/UPDATE/DELETE`` triggers.  Each appends one row to ``audit`` with the
time, the signed-in user, the reason for the change, the table, the row key and the old and new row as JSON
(``json_object`` of every column).  The triggers call functions that only the application registers on its own
connection:

* ``hsp_user_id()``, ``hsp_username()``, ``hsp_reason()`` -- who is writing and why (``audit.username`` is
  ``NOT NULL``, so a write without a signed-in user or a system context is refused);
* ``hsp_chain(...)`` -- ``HMAC-SHA256(audit key, [id, prev_hash, ts, user, reason, table, key, action, old, new])``
  where ``prev_hash`` is the hash of the previous audit row.  The audit key is derived from the site key, which
  lives outside the database; without a site key the chain is a plain SHA-256 chain.

A person with the ``sqlite3`` shell therefore cannot change an audited table at all while the triggers exist: the
shell does not know ``hsp_chain`` and the statement fails.  To change data they must either drop the triggers or
register look-alike functions.  :func:`verify` catches every such path:

1. **Triggers**: every expected trigger must exist with exactly the SQL the application generates.
2. **Chain**: audit ids run 1..n without gaps, each row's ``prev_hash`` is the previous row's hash, and each hash
   recomputes.  Deleting or editing an audit row breaks the chain; forging a row needs the site key.
3. **Row state**: for every row of every audited table, the *current* content (``json_object`` of the row, the
   same expression the triggers use) must equal the ``new`` value of the last audit entry for that row; a row whose
   last entry is a deletion must not exist; every row must have an entry.  So an ``UPDATE``/``DELETE``/``INSERT``
   made with the triggers dropped, or the truncation of the chain's tail, leaves a row whose content no longer
   matches the chain.
4. ``PRAGMA integrity_check`` and ``foreign_key_check``.
5. **Anchored head** (:mod:`hsp_desktop.registry.anchor`, checked by :meth:`Registry.verify`): the chain's last entry
   is written after every commit to a file outside the database, sealed with the site key.  Deleting the chain's
   tail and undoing what it recorded (triggers dropped and recreated) leaves a consistent database, but the
   anchored entry is then missing or different: reported as a rollback.

What verify cannot detect
    * Anything done by someone who holds the **site key** (they can recompute the chain and reseal the anchor), and
      everything in an unkeyed registry (no site key: the chain is plain SHA-256 and the anchor is unsealed).
    * A rollback of the database **and** its anchor file together to an older, consistent pair (a copy of both
      taken earlier): only comparison with a later backup's ``.audit-head`` or the head printed on a later report
      shows it.
    * Writes made **through the application** by a signed-in user: they are audited, not tampering.
    * The tail written after the anchor was last updated (a crash between commit and anchor write loses at most
      that one transaction's anchor; the anchor is a lower bound, never ahead of the chain).
    * Reading data: verify proves integrity, not confidentiality.

Predictions and audit rows are immutable: ``BEFORE UPDATE``/``BEFORE DELETE`` triggers ``RAISE(ABORT)``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

#: Tables that are never audited (the audit table itself and the migrations bookkeeping of sqlite-utils).
UNAUDITED = frozenset({"audit", "_sqlite_migrations"})
#: Tables whose rows can never be updated or deleted once written.
IMMUTABLE = ("audit", "predictions", "federation_messages", "dicom_transfers")
_TS = "strftime('%Y-%m-%dT%H:%M:%fZ','now')"


def chain_payload(
    id_: int,
    prev: str,
    ts: str,
    user_id: int | None,
    username: str | None,
    reason: str | None,
    table: str,
    key: str,
    action: str,
    old: str | None,
    new: str | None,
) -> bytes:
    """Return the canonical bytes one audit row's hash covers."""
    return json.dumps(
        [id_, prev, ts, user_id, username, reason, table, key, action, old, new],
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode("utf-8")


def make_chain_function(key: bytes | None) -> Callable[..., str]:
    """Return the ``hsp_chain`` SQL function: keyed HMAC-SHA256 with ``key``, plain SHA-256 without."""

    def hsp_chain(*args: Any) -> str:
        data = chain_payload(*args)
        if key is None:
            return hashlib.sha256(data).hexdigest()
        return hmac.new(key, data, hashlib.sha256).hexdigest()

    return hsp_chain


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_columns(conn: sqlite3.Connection, table: str) -> list[str]:
    """Return the column names of ``table`` in order."""
    return [row[1] for row in conn.execute(f"PRAGMA table_info({_q(table)})")]


def primary_key(conn: sqlite3.Connection, table: str) -> str:
    """Return the single primary-key column of ``table`` (every audited table has exactly one)."""
    pks = [row[1] for row in conn.execute(f"PRAGMA table_info({_q(table)})") if row[5]]
    if len(pks) != 1:
        raise ValueError(f"audited table {table} must have a single-column primary key, has {pks}")
    return str(pks[0])


def json_expr(columns: Sequence[str], alias: str) -> str:
    """Return ``json_object('c1', alias.c1, ...)`` -- the row content the chain covers."""
    return "json_object(" + ", ".join(f"'{c}', {alias}.{_q(c)}" for c in columns) + ")"


def audit_trigger_sql(table: str, columns: Sequence[str], pk: str) -> dict[str, str]:
    """Return ``{trigger name: CREATE TRIGGER sql}`` for the three audit triggers and the key guard of ``table``."""
    out: dict[str, str] = {}
    for action, timing_row in (("insert", "NEW"), ("update", "NEW"), ("delete", "OLD")):
        old = json_expr(columns, "OLD") if action in ("update", "delete") else "NULL"
        new = json_expr(columns, "NEW") if action in ("insert", "update") else "NULL"
        name = f"hsp_audit_{table}_{action}"
        out[name] = (
            f"CREATE TRIGGER {_q(name)} AFTER {action.upper()} ON {_q(table)} BEGIN "
            "INSERT INTO audit (id, ts, user_id, username, reason, table_name, row_key, action, old, new, "
            "prev_hash, hash) "
            f"SELECT a.id, a.ts, a.uid, a.uname, a.reason, '{table}', a.k, '{action}', a.old, a.new, a.prev, "
            f"hsp_chain(a.id, a.prev, a.ts, a.uid, a.uname, a.reason, '{table}', a.k, '{action}', a.old, a.new) "
            "FROM (SELECT COALESCE((SELECT MAX(id) FROM audit), 0) + 1 AS id, "
            f"{_TS} AS ts, hsp_user_id() AS uid, hsp_username() AS uname, hsp_reason() AS reason, "
            f"CAST({timing_row}.{_q(pk)} AS TEXT) AS k, {old} AS old, {new} AS new, "
            "COALESCE((SELECT hash FROM audit ORDER BY id DESC LIMIT 1), '') AS prev) AS a; END"
        )
    guard = f"hsp_keyguard_{table}"
    out[guard] = (
        f"CREATE TRIGGER {_q(guard)} BEFORE UPDATE OF {_q(pk)} ON {_q(table)} "
        f"WHEN NEW.{_q(pk)} IS NOT OLD.{_q(pk)} BEGIN "
        f"SELECT RAISE(ABORT, 'the key {pk} of {table} cannot be changed'); END"
    )
    return out


def immutable_trigger_sql(table: str) -> dict[str, str]:
    """Return the two triggers that make ``table`` append-only."""
    out = {}
    for action in ("update", "delete"):
        name = f"hsp_immutable_{table}_{action}"
        out[name] = (
            f"CREATE TRIGGER {_q(name)} BEFORE {action.upper()} ON {_q(table)} BEGIN "
            f"SELECT RAISE(ABORT, '{table} rows are immutable and cannot be {action}d'); END"
        )
    return out


def audited_tables(conn: sqlite3.Connection) -> list[str]:
    """Return every application table that is audited (all tables except audit and the migrations table)."""
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    ).fetchall()
    return [r[0] for r in rows if r[0] not in UNAUDITED]


def expected_triggers(conn: sqlite3.Connection) -> dict[str, str]:
    """Return every trigger the application expects, generated from the current table definitions."""
    out: dict[str, str] = {}
    for table in audited_tables(conn):
        out.update(audit_trigger_sql(table, table_columns(conn, table), primary_key(conn, table)))
    present = set(audited_tables(conn)) | {"audit"}
    for table in IMMUTABLE:
        if table in present:  # tables of later migrations are absent from older registries
            out.update(immutable_trigger_sql(table))
    return out


def install_triggers(conn: sqlite3.Connection) -> None:
    """(Re)create the audit and immutability triggers for the current schema (used by migrations)."""
    existing = {
        r[0]
        for r in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger' AND name LIKE 'hsp_%'")
    }
    wanted = expected_triggers(conn)
    for name in existing:
        if name.startswith(("hsp_audit_", "hsp_keyguard_", "hsp_immutable_")):
            conn.execute(f"DROP TRIGGER {_q(name)}")
    for sql in wanted.values():
        conn.execute(sql)


@dataclass
class VerifyReport:
    """Result of :func:`verify`.

    Attributes
    ----------
    ok : bool
        True when nothing was found.
    problems : list of str
        One line per finding (what, where, and why it matters).
    audit_rows : int
        Audit entries checked.
    rows_checked : int
        Data rows compared with the chain.
    keyed : bool
        Whether the chain is keyed with the site key (forgery needs the key) or plain SHA-256.
    sqlite_version : str
        The SQLite library version in use.
    """

    ok: bool = True
    problems: list[str] = field(default_factory=list)
    audit_rows: int = 0
    rows_checked: int = 0
    keyed: bool = False
    sqlite_version: str = sqlite3.sqlite_version

    def add(self, problem: str) -> None:
        """Record one problem."""
        self.ok = False
        self.problems.append(problem)

    def as_dict(self) -> dict[str, Any]:
        """Return the report as a plain dict (for JSON output)."""
        return {
            "ok": self.ok,
            "problems": list(self.problems),
            "audit_rows": self.audit_rows,
            "rows_checked": self.rows_checked,
            "keyed": self.keyed,
            "sqlite_version": self.sqlite_version,
        }


def _same_json(a: str | None, b: str | None) -> bool:
    if a == b:
        return True
    if a is None or b is None:
        return False
    try:
        da, db = json.loads(a), json.loads(b)
    except ValueError:
        return False
    if not isinstance(da, dict) or not isinstance(db, dict) or da.keys() != db.keys():
        return False
    for k, va in da.items():
        vb = db[k]
        if isinstance(va, float) or isinstance(vb, float):
            if not isinstance(va, int | float) or not isinstance(vb, int | float):
                return False
            if not math.isclose(float(va), float(vb), rel_tol=1e-13, abs_tol=0.0):
                return False
        elif va != vb:
            return False
    return True


def _digest(text: str | None) -> bytes | None:
    return None if text is None else hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


def verify(conn: sqlite3.Connection, key: bytes | None, *, max_problems: int = 200) -> VerifyReport:
    """Check integrity, triggers, the audit hash chain and that every row matches its last audit entry.

    Parameters
    ----------
    conn : sqlite3.Connection
        An open registry connection (read only is enough).
    key : bytes or None
        The audit-chain key (derived from the site key), or None for an unkeyed registry.
    max_problems : int
        Stop listing after this many problems (the report still says it failed).

    Returns
    -------
    VerifyReport
    """
    report = VerifyReport(keyed=key is not None)

    def add(msg: str) -> None:
        if len(report.problems) < max_problems:
            report.add(msg)
        else:
            report.ok = False

    integrity = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    if integrity != ["ok"]:
        add("integrity_check failed: " + "; ".join(integrity[:5]))
    for r in conn.execute("PRAGMA foreign_key_check"):
        add(f"foreign key broken: table {r[0]} rowid {r[1]} refers to missing {r[2]}")

    present = {
        r[0]: r[1]
        for r in conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type='trigger' AND name LIKE 'hsp_%'"
        )
    }
    for name, sql in expected_triggers(conn).items():
        if name not in present:
            add(f"trigger {name} is missing: the audit trail was switched off outside the application")
        elif present[name] != sql:
            add(f"trigger {name} was altered outside the application")

    chain = make_chain_function(key)
    expected_id = 1
    prev = ""
    # last audited state per row: (action, audit id, digest of the new JSON) -- digests keep memory small
    last: dict[tuple[str, str], tuple[str, int, bytes | None]] = {}
    cur = conn.execute(
        "SELECT id, ts, user_id, username, reason, table_name, row_key, action, old, new, prev_hash, hash "
        "FROM audit ORDER BY id"
    )
    for row in cur:
        id_, ts, uid, uname, reason, table, rkey, action, old, new, prev_hash, digest = row
        report.audit_rows += 1
        if id_ != expected_id:
            add(f"audit rows {expected_id}..{id_ - 1} are missing (deleted outside the application)")
        if prev_hash != prev:
            add(f"audit row {id_}: chain broken (previous hash does not match row {id_ - 1})")
        if chain(id_, prev_hash, ts, uid, uname, reason, table, rkey, action, old, new) != digest:
            add(f"audit row {id_} ({table} {rkey}, {action}): content does not match its hash (edited)")
        prev = digest
        expected_id = id_ + 1
        last[(table, rkey)] = (action, id_, _digest(new))

    for table in audited_tables(conn):
        cols = table_columns(conn, table)
        pk = primary_key(conn, table)
        seen = set()
        for rkey, content in conn.execute(
            f"SELECT CAST(t.{_q(pk)} AS TEXT), {json_expr(cols, 't')} FROM {_q(table)} t"
        ):
            report.rows_checked += 1
            seen.add(rkey)
            entry = last.get((table, rkey))
            if entry is None:
                add(f"{table} {rkey}: row has no audit entry (inserted outside the application)")
            elif entry[0] == "delete":
                add(
                    f"{table} {rkey}: row exists but the audit trail says it was deleted (re-inserted outside)"
                )
            elif _digest(content) != entry[2] and not _same_json(
                content, conn.execute("SELECT new FROM audit WHERE id = ?", (entry[1],)).fetchone()[0]
            ):
                add(
                    f"{table} {rkey}: row differs from its last audited state (edited outside the application)"
                )
        for (t, rkey), (action, _id, _new) in last.items():
            if t == table and action != "delete" and rkey not in seen:
                add(f"{table} {rkey}: row is missing but was never deleted through the application")
    return report


PASSWORD_REDACTED = "<argon2id hash>"


def audit_log(
    conn: sqlite3.Connection, limit: int = 200, table: str | None = None, *, row_key: str | None = None
) -> list[dict[str, Any]]:
    """Return the newest audit entries (password hashes redacted)."""
    where: list[str] = []
    params: list[Any] = []
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
    rows = conn.execute(sql, (*params, int(limit))).fetchall()
    keys = ("id", "ts", "user_id", "username", "reason", "table", "row_key", "action", "old", "new")
    out = []
    for r in rows:
        d = dict(zip(keys, r, strict=True))
        for k in ("old", "new"):
            if d[k] is not None:
                d[k] = json.loads(d[k])
                if "password_hash" in d[k]:
                    d[k]["password_hash"] = PASSWORD_REDACTED
        out.append(d)
    return out

"""The registry schema, built only through versioned sqlite-utils migrations.

Migrations are registered on one :class:`sqlite_utils.migrations.Migrations` set (``hsp_registry``); sqlite-utils
records each applied migration in ``_sqlite_migrations``.  :func:`apply_migrations` runs every pending migration
inside the caller's ``BEGIN IMMEDIATE`` transaction (sqlite-utils nests each one in a savepoint), so two programs
opening a new database at once cannot both create it, and a failed migration leaves nothing behind.

A migration is frozen once released: a later change to the schema (or to the data dictionary's ranges, which
become ``CHECK`` constraints here) is a new migration that rebuilds the affected table, never an edit of an old one.
Every migration ends by regenerating the audit triggers for the tables it touched (:func:`audit.install_triggers`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from hsp_desktop.registry import audit
from hsp_desktop.registry.fields import Field, dictionary_field, followup_fields, preop_fields
from hsp_desktop.registry.models import ROLES
from hsp_desktop.registry.versions import ELIGIBILITY_FLAGS, MIGRATION_SET

#: The registry's migration set.
MIGRATIONS = Migrations(MIGRATION_SET)


def _date_check(col: str) -> str:
    # date(x, '+0 days') = x rejects impossible dates such as 2025-02-30 (date(x) = x does not in SQLite 3.40).
    return f"CHECK ({col} IS NULL OR date({col}, '+0 days') = {col})"


def _ts_check(col: str) -> str:
    return f"CHECK ({col} IS NULL OR ({col} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T*'))"


def _json_check(col: str) -> str:
    return f"CHECK ({col} IS NULL OR json_valid({col}))"


def _sha_check(col: str) -> str:
    return f"CHECK ({col} IS NULL OR (length({col}) = 64 AND {col} NOT GLOB '*[^0-9a-f]*'))"


def column_sql(f: Field) -> str:
    """Return the column definition of one dictionary field with its CHECK constraint."""
    sqltype = {"real": "REAL", "int": "INTEGER", "binary": "INTEGER", "category": "TEXT", "text": "TEXT"}[
        f.kind
    ]
    checks = []
    if f.kind == "binary":
        checks.append(f"{f.name} IN (0, 1)")
    elif f.kind == "category" and f.choices:
        allowed = ", ".join("'" + c.replace("'", "''") + "'" for c in f.choices)
        checks.append(f"{f.name} IN ({allowed})")
    if f.kind in ("real", "int"):
        checks.append(f"typeof({f.name}) IN ('integer', 'real')")
        if f.low is not None:
            checks.append(f"{f.name} >= {f.low!r}")
        if f.high is not None:
            checks.append(f"{f.name} <= {f.high!r}")
    if f.kind == "int":
        checks.append(f"{f.name} = CAST({f.name} AS INTEGER)")
    check = f" CHECK ({f.name} IS NULL OR ({' AND '.join(checks)}))" if checks else ""
    return f"{f.name} {sqltype}{check}"


def _columns(fields: Sequence[Field]) -> str:
    return ",\n    ".join(column_sql(f) for f in fields)


@MIGRATIONS(name="0001_core")
def m0001_core(db: Database) -> None:
    """Settings, users, recipients, enrolment, pre-op values, imaging, features, predictions, follow-up, outcomes."""
    flags = ",\n    ".join(f"{f} INTEGER CHECK ({f} IS NULL OR {f} IN (0, 1))" for f in ELIGIBILITY_FLAGS)
    roles = ", ".join(f"'{r}'" for r in ROLES)
    statements = [
        f"""CREATE TABLE settings (
    key TEXT PRIMARY KEY CHECK (length(key) BETWEEN 1 AND 64),
    value TEXT NOT NULL {_json_check("value")},
    updated_at TEXT NOT NULL {_ts_check("updated_at")}
)""",
        f"""CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE CHECK (length(username) BETWEEN 1 AND 64 AND username NOT GLOB '*[^A-Za-z0-9._-]*'),
    role TEXT NOT NULL CHECK (role IN ({roles})),
    password_hash TEXT NOT NULL CHECK (password_hash GLOB '$argon2id$*'),
    failed_attempts INTEGER NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
    locked_until TEXT {_ts_check("locked_until")},
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at TEXT NOT NULL {_ts_check("created_at")},
    last_login TEXT {_ts_check("last_login")}
)""",
        f"""CREATE TABLE recipients (
    study_id TEXT PRIMARY KEY CHECK (length(study_id) BETWEEN 1 AND 32 AND study_id NOT GLOB '*[^A-Za-z0-9_-]*'),
    site TEXT CHECK (site IS NULL OR length(site) BETWEEN 1 AND 64),
    {column_sql(dictionary_field("cohort", "category"))},
    transplant_date TEXT {_date_check("transplant_date")},
    ct_date TEXT {_date_check("ct_date")},
    mrn_hmac TEXT UNIQUE {_sha_check("mrn_hmac")},
    mrn_enc TEXT CHECK (mrn_enc IS NULL OR mrn_enc GLOB 'v1:*'),
    name_enc TEXT CHECK (name_enc IS NULL OR name_enc GLOB 'v1:*'),
    locked INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0, 1)),
    status TEXT NOT NULL DEFAULT 'enrolled'
        CHECK (status IN ('excluded', 'enrolled', 'scored', 'outcome', 'competing')),
    created_at TEXT NOT NULL {_ts_check("created_at")}
)""",
        "CREATE INDEX idx_recipients_status ON recipients (status, study_id)",
        "CREATE INDEX idx_recipients_transplant ON recipients (transplant_date)",
        f"""CREATE TABLE enrolment (
    study_id TEXT PRIMARY KEY REFERENCES recipients (study_id),
    consent INTEGER CHECK (consent IS NULL OR consent IN (0, 1)),
    eligible INTEGER NOT NULL CHECK (eligible IN (0, 1)),
    exclusion_reasons TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(exclusion_reasons)),
    {flags},
    updated_at TEXT NOT NULL {_ts_check("updated_at")}
)""",
        f"""CREATE TABLE preop (
    study_id TEXT PRIMARY KEY REFERENCES recipients (study_id),
    {_columns(preop_fields())},
    entered TEXT NOT NULL DEFAULT '{{}}' CHECK (json_valid(entered)),
    updated_at TEXT NOT NULL {_ts_check("updated_at")}
)""",
        f"""CREATE TABLE imaging_studies (
    id INTEGER PRIMARY KEY,
    study_id TEXT NOT NULL REFERENCES recipients (study_id),
    ct_path TEXT NOT NULL CHECK (length(ct_path) > 0),
    mask_path TEXT,
    ct_sha256 TEXT NOT NULL {_sha_check("ct_sha256")},
    mask_sha256 TEXT {_sha_check("mask_sha256")},
    qc_report TEXT NOT NULL CHECK (json_valid(qc_report)),
    created_at TEXT NOT NULL {_ts_check("created_at")}
)""",
        "CREATE INDEX idx_imaging_study ON imaging_studies (study_id)",
        f"""CREATE TABLE feature_vectors (
    id INTEGER PRIMARY KEY,
    study_id TEXT NOT NULL REFERENCES recipients (study_id),
    imaging_id INTEGER NOT NULL REFERENCES imaging_studies (id),
    features TEXT NOT NULL CHECK (json_valid(features)),
    settings TEXT NOT NULL CHECK (json_valid(settings)),
    engine TEXT NOT NULL CHECK (length(engine) > 0),
    created_at TEXT NOT NULL {_ts_check("created_at")}
)""",
        "CREATE INDEX idx_features_study ON feature_vectors (study_id)",
        f"""CREATE TABLE predictions (
    id INTEGER PRIMARY KEY,
    study_id TEXT NOT NULL REFERENCES recipients (study_id),
    model_id TEXT NOT NULL CHECK (length(model_id) > 0),
    manifest_sha256 TEXT NOT NULL {_sha_check("manifest_sha256")},
    input_sha256 TEXT NOT NULL {_sha_check("input_sha256")},
    probability REAL NOT NULL CHECK (probability BETWEEN 0 AND 1),
    ci_low REAL CHECK (ci_low IS NULL OR ci_low BETWEEN 0 AND 1),
    ci_high REAL CHECK (ci_high IS NULL OR ci_high BETWEEN 0 AND 1),
    band TEXT CHECK (band IS NULL OR band IN ('low', 'intermediate', 'high')),
    output TEXT NOT NULL CHECK (json_valid(output)),
    app_version TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL {_ts_check("created_at")}
)""",
        "CREATE INDEX idx_predictions_study ON predictions (study_id, id)",
        f"""CREATE TABLE followups (
    id INTEGER PRIMARY KEY,
    study_id TEXT NOT NULL REFERENCES recipients (study_id),
    date TEXT NOT NULL {_date_check("date")},
    day INTEGER NOT NULL CHECK (day BETWEEN 0 AND 36500),
    {_columns(followup_fields())},
    created_at TEXT NOT NULL {_ts_check("created_at")}
)""",
        "CREATE INDEX idx_followups_study ON followups (study_id, day)",
        f"""CREATE TABLE outcomes (
    study_id TEXT PRIMARY KEY REFERENCES recipients (study_id),
    definition_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('1', '0', 'pending', 'competing')),
    flags TEXT NOT NULL CHECK (json_valid(flags)),
    reasons TEXT NOT NULL CHECK (json_valid(reasons)),
    secondary TEXT NOT NULL CHECK (json_valid(secondary)),
    as_of TEXT {_date_check("as_of")},
    derived_at TEXT NOT NULL {_ts_check("derived_at")}
)""",
        """CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    ts TEXT NOT NULL,
    user_id INTEGER,
    username TEXT NOT NULL,
    reason TEXT,
    table_name TEXT NOT NULL,
    row_key TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('insert', 'update', 'delete')),
    old TEXT,
    new TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
)""",
        "CREATE INDEX idx_audit_row ON audit (table_name, row_key, id)",
    ]
    for sql in statements:
        db.execute(sql)
    _require_reason_triggers(db.conn)
    audit.install_triggers(db.conn)


def _require_reason_triggers(conn: sqlite3.Connection) -> None:
    """Refuse edits of locked or already-scored recipients' data without a reason (defence in depth)."""
    scored = (
        "(EXISTS (SELECT 1 FROM predictions p WHERE p.study_id = OLD.study_id) "
        "OR (SELECT locked FROM recipients r WHERE r.study_id = OLD.study_id) = 1)"
    )
    for table in ("enrolment", "preop", "followups"):
        for action in ("UPDATE", "DELETE"):
            conn.execute(
                f"CREATE TRIGGER hsp_reason_{table}_{action.lower()} BEFORE {action} ON {table} "
                f"WHEN hsp_reason() IS NULL AND {scored} BEGIN "
                f"SELECT RAISE(ABORT, 'a reason is required to change {table} of a locked or scored recipient'); "
                "END"
            )
    conn.execute(
        "CREATE TRIGGER hsp_reason_recipients_update BEFORE UPDATE OF site, cohort, transplant_date, ct_date, "
        "mrn_hmac, mrn_enc, name_enc, locked ON recipients "
        "WHEN hsp_reason() IS NULL AND (OLD.locked = 1 OR NEW.locked = 1 OR "
        "EXISTS (SELECT 1 FROM predictions p WHERE p.study_id = OLD.study_id)) BEGIN "
        "SELECT RAISE(ABORT, 'a reason is required to change a locked or scored recipient'); END"
    )


@MIGRATIONS(name="0002_export_log")
def m0002_export_log(db: Database) -> None:
    """Log every export (who, when, de-identified or not, files and their manifest hash): EDC practice."""
    db.execute(
        f"""CREATE TABLE export_log (
    id INTEGER PRIMARY KEY,
    exported_at TEXT NOT NULL {_ts_check("exported_at")},
    username TEXT NOT NULL,
    deidentified INTEGER NOT NULL CHECK (deidentified IN (0, 1)),
    folder TEXT NOT NULL,
    files TEXT NOT NULL CHECK (json_valid(files)),
    manifest_sha256 TEXT NOT NULL {_sha_check("manifest_sha256")}
)"""
    )
    audit.install_triggers(db.conn)


@MIGRATIONS(name="0003_federation_messages")
def m0003_federation_messages(db: Database) -> None:
    """Every message this site sent to a federation coordinator (type, size, array shapes): audited, immutable."""
    db.execute(
        f"""CREATE TABLE federation_messages (
    id INTEGER PRIMARY KEY,
    sent_at TEXT NOT NULL {_ts_check("sent_at")},
    run_id TEXT,
    round INTEGER,
    kind TEXT NOT NULL,
    bytes INTEGER NOT NULL CHECK (bytes >= 0),
    details TEXT NOT NULL CHECK (json_valid(details))
)"""
    )
    audit.install_triggers(db.conn)


@MIGRATIONS(name="0004_dicom_transfers")
def m0004_dicom_transfers(db: Database) -> None:
    """Every DICOM query, retrieve and send to a PACS node (who, which node, which objects): audited, immutable."""
    db.execute(
        f"""CREATE TABLE dicom_transfers (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL {_ts_check("at")},
    username TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('echo', 'query', 'retrieve', 'store')),
    node TEXT NOT NULL,
    study_id TEXT,
    prediction_id INTEGER,
    study_uid TEXT,
    series_uid TEXT,
    status TEXT NOT NULL,
    objects TEXT NOT NULL CHECK (json_valid(objects))
)"""
    )
    audit.install_triggers(db.conn)


@MIGRATIONS(name="0005_outcome_excluded")
def m0005_outcome_excluded(db: Database) -> None:
    """Outcome status ``excluded`` (outcome definition v2: splenic-artery intervention after baseline).

    SQLite cannot change a CHECK constraint in place: the table is rebuilt with the same rows in the same
    transaction, and its audit triggers are installed again (the rows are not re-audited: nothing changed).
    """
    conn = db.conn
    row = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'outcomes'").fetchone()
    old_check = "CHECK (status IN ('1', '0', 'pending', 'competing'))"
    if row is None or old_check not in row[0]:
        return
    new_sql = row[0].replace(old_check, "CHECK (status IN ('1', '0', 'pending', 'competing', 'excluded'))")
    conn.execute(new_sql.replace("CREATE TABLE outcomes", "CREATE TABLE outcomes_v5", 1))
    conn.execute("INSERT INTO outcomes_v5 SELECT * FROM outcomes")
    conn.execute("DROP TABLE outcomes")
    conn.execute("ALTER TABLE outcomes_v5 RENAME TO outcomes")
    audit.install_triggers(conn)


def apply_migrations(conn: sqlite3.Connection, *, stop_before: str | None = None) -> list[str]:
    """Apply pending migrations on ``conn`` (the caller holds a write transaction); return the names applied.

    ``stop_before`` (tests of the upgrade path) leaves that migration and the later ones pending.
    """
    db = Database(conn, execute_plugins=False, recursive_triggers=False)
    pending = [m.name for m in MIGRATIONS.pending(db)]
    if stop_before in pending:
        pending = pending[: pending.index(stop_before)]
    if pending:
        MIGRATIONS.apply(db, stop_before=stop_before)
    return pending


def applied_migrations(conn: sqlite3.Connection) -> list[str]:
    """Return the names of the migrations applied to this database, in order."""
    db = Database(conn, execute_plugins=False, recursive_triggers=False)
    return [m.name for m in MIGRATIONS.applied(db)]


def known_migrations() -> list[str]:
    """Return the names of every migration this version of the application knows."""
    db = Database(memory=True, execute_plugins=False)
    try:
        return [m.name for m in MIGRATIONS.pending(db)]
    finally:
        db.close()

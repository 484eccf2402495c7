"""What the registry's schema version is, readable without importing sqlite-utils.

sqlite-utils imports pandas when it is installed (about a second on a ward PC), so opening a registry that is
already at the current schema reads the applied migrations with plain SQL; :mod:`hsp_desktop.registry.schema`
(and sqlite-utils) is imported only when a migration has to run.  A test keeps :data:`KNOWN_MIGRATIONS` equal to
the migrations registered in ``schema``.
"""

from __future__ import annotations

import sqlite3

MIGRATION_SET = "hsp_registry"
#: Every migration this version of the application knows, in order.
KNOWN_MIGRATIONS: tuple[str, ...] = (
    "0001_core",
    "0002_export_log",
    "0003_federation_messages",
    "0004_dicom_transfers",
    "0005_outcome_excluded",
)

ELIGIBILITY_FLAGS = (
    "prior_splenectomy",
    "prior_splenic_embolisation",
    "splenic_artery_ligation",
    "post_lt_splenic_embolisation",
    "tips_or_portal_surgery",
    "perioperative_death",
    "haematological_disease",
)


def applied_migrations(conn: sqlite3.Connection) -> list[str]:
    """Names of the migrations applied to the database, in order (empty for a new database)."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlite_migrations'"
    ).fetchone()
    if exists is None:
        return []
    rows = conn.execute(
        "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY rowid", (MIGRATION_SET,)
    ).fetchall()
    return [str(r[0]) for r in rows]

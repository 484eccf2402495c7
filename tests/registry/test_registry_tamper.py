"""Tamper detection: edits made with the sqlite3 module directly (as the sqlite3 shell would) are found by verify."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import make_record

from hsp_desktop.errors import TamperError
from hsp_desktop.registry import Registry, User
from hsp_desktop.registry.audit import make_chain_function
from hsp_desktop.registry.passwords import TEST_PARAMS


@pytest.fixture
def populated(tmp_path: Path, site_key: bytes) -> tuple[Path, bytes]:
    path = tmp_path / "r.db"
    with Registry.open(path, site_key=site_key, argon2_params=TEST_PARAMS) as reg:
        reg.add_user("admin", "admin-pass-1", "admin", by=None)
        admin = reg.authenticate("admin", "admin-pass-1")
        for i in range(1, 4):
            sid = reg.add_recipient(make_record(f"HSP-{i:04d}"), by=admin)
            reg.add_followup(sid, {"date": "2025-02-10", "platelets": 80, "wbc": 4.0}, by=admin)
        reg.save_prediction(
            "HSP-0001",
            {"model_id": "m", "manifest_sha256": "c" * 64, "inputs": {}, "probability": 0.2},
            by=admin,
        )
        assert reg.verify().ok
    return path, site_key


def _shell(path: Path) -> sqlite3.Connection:
    """A plain connection like the sqlite3 shell's: none of the application's functions are registered."""
    return sqlite3.connect(path, isolation_level=None)


def _verify(path: Path, key: bytes) -> Any:
    with Registry.open(path, site_key=key, argon2_params=TEST_PARAMS) as reg:
        return reg.verify()


def _drop_triggers(conn: sqlite3.Connection, like: str) -> None:
    for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type='trigger' AND name LIKE ?", (like,)
    ).fetchall():
        conn.execute(f'DROP TRIGGER "{name}"')


def test_shell_update_fails_while_triggers_exist(populated: tuple[Path, bytes]) -> None:
    path, key = populated
    conn = _shell(path)
    with pytest.raises(sqlite3.OperationalError, match="no such function"):
        conn.execute("UPDATE preop SET platelets = 200 WHERE study_id = 'HSP-0002'")
    with pytest.raises(sqlite3.IntegrityError, match="immutable"):
        conn.execute("DELETE FROM audit WHERE id = 3")
    conn.close()
    assert _verify(path, key).ok


def test_edit_with_triggers_dropped_is_detected(populated: tuple[Path, bytes]) -> None:
    path, key = populated
    conn = _shell(path)
    _drop_triggers(conn, "hsp_audit_preop_%")
    _drop_triggers(conn, "hsp_reason_%")
    conn.execute("UPDATE preop SET platelets = 200 WHERE study_id = 'HSP-0002'")
    conn.close()
    report = _verify(path, key)
    assert not report.ok
    text = "\n".join(report.problems)
    assert "hsp_audit_preop_update is missing" in text
    assert "preop HSP-0002: row differs from its last audited state" in text


def test_edit_then_triggers_recreated_is_detected(populated: tuple[Path, bytes]) -> None:
    path, key = populated
    conn = _shell(path)
    saved = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type='trigger' AND tbl_name='followups'"
    ).fetchall()
    for name, _ in saved:
        conn.execute(f'DROP TRIGGER "{name}"')
    conn.execute("UPDATE followups SET platelets = 150 WHERE study_id = 'HSP-0003'")
    for _, sql in saved:
        conn.execute(sql)
    conn.close()
    report = _verify(path, key)
    assert [p for p in report.problems if "followups" in p and "differs" in p]
    assert not [p for p in report.problems if "trigger" in p]


def test_delete_of_audit_row_is_detected(populated: tuple[Path, bytes]) -> None:
    path, key = populated
    conn = _shell(path)
    _drop_triggers(conn, "hsp_immutable_audit_%")
    conn.execute("DELETE FROM audit WHERE id = 5")
    conn.close()
    report = _verify(path, key)
    assert any("audit rows 5..5 are missing" in p for p in report.problems)
    assert any("hsp_immutable_audit_delete is missing" in p for p in report.problems)


def test_truncated_chain_tail_is_detected(populated: tuple[Path, bytes]) -> None:
    path, key = populated
    conn = _shell(path)
    _drop_triggers(conn, "hsp_immutable_audit_%")
    conn.execute("DELETE FROM audit WHERE id >= (SELECT MAX(id) - 1 FROM audit)")
    # put the protection back so only the data tells
    conn.execute(
        'CREATE TRIGGER "hsp_immutable_audit_update" BEFORE UPDATE ON "audit" BEGIN '
        "SELECT RAISE(ABORT, 'audit rows are immutable and cannot be updated'); END"
    )
    conn.execute(
        'CREATE TRIGGER "hsp_immutable_audit_delete" BEFORE DELETE ON "audit" BEGIN '
        "SELECT RAISE(ABORT, 'audit rows are immutable and cannot be deleted'); END"
    )
    conn.close()
    report = _verify(path, key)
    assert not report.ok
    assert all("trigger" not in p for p in report.problems)


def test_edited_audit_content_is_detected(populated: tuple[Path, bytes]) -> None:
    path, key = populated
    conn = _shell(path)
    _drop_triggers(conn, "hsp_immutable_audit_%")
    conn.execute("UPDATE audit SET username = 'someone_else' WHERE id = 6")
    conn.close()
    report = _verify(path, key)
    assert any("audit row 6" in p and "does not match its hash" in p for p in report.problems)


def test_forged_functions_without_the_key_are_detected(populated: tuple[Path, bytes]) -> None:
    """A tamperer who registers look-alike functions (unkeyed chain) cannot forge the keyed chain."""
    path, key = populated
    conn = _shell(path)
    conn.create_function("hsp_user_id", 0, lambda: 1)
    conn.create_function("hsp_username", 0, lambda: "admin")
    conn.create_function("hsp_reason", 0, lambda: "correction")
    conn.create_function("hsp_chain", 11, make_chain_function(hashlib.sha256(b"guess").digest()))
    conn.execute("UPDATE preop SET platelets = 150 WHERE study_id = 'HSP-0001'")
    conn.close()
    report = _verify(path, key)
    assert any("content does not match its hash" in p for p in report.problems)


def test_deleted_and_inserted_rows_are_detected(populated: tuple[Path, bytes]) -> None:
    path, key = populated
    conn = _shell(path)
    _drop_triggers(conn, "hsp_audit_followups_%")
    _drop_triggers(conn, "hsp_reason_followups_%")
    conn.execute("DELETE FROM followups WHERE study_id = 'HSP-0002'")
    conn.execute(
        "INSERT INTO followups (study_id, date, day, platelets, wbc, created_at) "
        "VALUES ('HSP-0003', '2025-03-01', 50, 90, 4, '2025-03-01T00:00:00Z')"
    )
    conn.close()
    report = _verify(path, key)
    text = "\n".join(report.problems)
    assert "missing but was never deleted" in text
    assert "has no audit entry" in text


def test_verify_raises_tamper_error(populated: tuple[Path, bytes]) -> None:
    path, key = populated
    conn = _shell(path)
    _drop_triggers(conn, "hsp_audit_recipients_%")
    _drop_triggers(conn, "hsp_reason_recipients_%")
    conn.execute("UPDATE recipients SET site = 'elsewhere' WHERE study_id = 'HSP-0001'")
    conn.close()
    with Registry.open(path, site_key=key, argon2_params=TEST_PARAMS) as reg:
        with pytest.raises(TamperError, match="failed verification"):
            reg.verify(raise_on_error=True)


def test_verify_unkeyed_registry(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    with Registry.open(path, argon2_params=TEST_PARAMS) as reg:
        reg.add_user("admin", "admin-pass-1", "admin", by=None)
        admin: User = reg.authenticate("admin", "admin-pass-1")
        reg.add_recipient(make_record(), by=admin)
        report = reg.verify()
        assert report.ok and not report.keyed and report.audit_rows > 5
    conn = _shell(path)
    _drop_triggers(conn, "hsp_audit_preop_%")
    _drop_triggers(conn, "hsp_reason_preop_%")
    conn.execute("UPDATE preop SET meld = 30 WHERE study_id = 'HSP-0001'")
    conn.close()
    with Registry.open(path, argon2_params=TEST_PARAMS) as reg:
        assert not reg.verify().ok


def _roll_back_tail(path: Path, after_id: int) -> int:
    """Drop the triggers, delete audit rows after ``after_id``, undo what they recorded, recreate the triggers.

    This is the attack of issue 17 hole 2, with Python's sqlite3 alone; returns how many audit rows were removed.
    """
    conn = _shell(path)
    saved = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type='trigger' AND name LIKE 'hsp_%'"
    ).fetchall()
    for name, _ in saved:
        conn.execute(f'DROP TRIGGER "{name}"')
    tail = conn.execute(
        "SELECT table_name, row_key, action, old FROM audit WHERE id > ? ORDER BY id DESC", (after_id,)
    ).fetchall()
    for table, key, action, old in tail:
        pk = next(r[1] for r in conn.execute(f"PRAGMA table_info({table})") if r[5])
        if action == "insert":
            conn.execute(f"DELETE FROM {table} WHERE CAST({pk} AS TEXT) = ?", (key,))
        elif action == "update":
            values = json.loads(old)
            conn.execute(
                f"UPDATE {table} SET {', '.join(f'{c} = ?' for c in values)} WHERE CAST({pk} AS TEXT) = ?",
                (*values.values(), key),
            )
        else:
            values = json.loads(old)
            conn.execute(
                f"INSERT INTO {table} ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
                tuple(values.values()),
            )
    conn.execute("DELETE FROM audit WHERE id > ?", (after_id,))
    for _, sql in saved:
        conn.execute(sql)
    conn.close()
    return len(tail)


def test_rolled_back_tail_is_detected_by_the_anchor(tmp_path: Path, site_key: bytes) -> None:
    """Hole 2: deleting the last audit rows and undoing their changes left verify at "ok"; the anchor sees it."""
    path = tmp_path / "r.db"
    anchor = tmp_path / "keys" / "site.key.audit-head"
    anchor.parent.mkdir()
    with Registry.open(path, site_key=site_key, argon2_params=TEST_PARAMS, anchor_file=anchor) as reg:
        admin = reg.add_user("admin", "admin-pass-1", "admin", by=None)
        reg.add_recipient(make_record("HSP-0001"), by=admin)
        before = reg.audit_head().audit_id
        reg.add_followup("HSP-0001", {"date": "2025-02-10", "platelets": 80, "wbc": 4.0}, by=admin)
        head = reg.audit_head()
        assert head.audit_id > before
    assert json.loads(anchor.read_text())["audit_id"] == head.audit_id
    removed = _roll_back_tail(path, before)
    assert removed == head.audit_id - before
    # the database alone is consistent again: this is what verify said before the anchor existed
    with Registry.open(
        path, site_key=site_key, argon2_params=TEST_PARAMS, anchor_file=tmp_path / "none"
    ) as reg:
        assert reg.verify().ok
        assert reg.followups("HSP-0001") == []
    with Registry.open(path, site_key=site_key, argon2_params=TEST_PARAMS, anchor_file=anchor) as reg:
        report = reg.verify()
        assert not report.ok
        assert any("rolled back" in p for p in report.problems), report.problems
        # a later write must not overwrite the evidence
        reg.add_recipient(make_record("HSP-0002"), by=reg.authenticate("admin", "admin-pass-1"))
        assert not reg.verify().ok
    assert json.loads(anchor.read_text())["audit_id"] == head.audit_id


def test_anchor_file_cannot_be_edited_without_the_key(tmp_path: Path, site_key: bytes) -> None:
    path = tmp_path / "r.db"
    with Registry.open(path, site_key=site_key, argon2_params=TEST_PARAMS) as reg:
        admin = reg.add_user("admin", "admin-pass-1", "admin", by=None)
        reg.add_recipient(make_record("HSP-0001"), by=admin)
    anchor = Path(str(path) + ".audit-head")
    data = json.loads(anchor.read_text())
    data["audit_id"] -= 3  # move the anchor back to hide a later rollback
    anchor.write_text(json.dumps(data))
    with Registry.open(path, site_key=site_key, argon2_params=TEST_PARAMS) as reg:
        assert any("was altered" in p for p in reg.verify().problems)


def test_damaged_schema_is_a_typed_error(populated: tuple[Path, bytes]) -> None:
    """Hole 9: one flipped byte in a trigger's SQL gave a raw traceback from verify."""
    from hsp_desktop.errors import RegistryError

    path, key = populated
    with Registry.open(path, site_key=key, argon2_params=TEST_PARAMS) as reg:
        reg.checkpoint("TRUNCATE")
    raw = bytearray(path.read_bytes())
    at = raw.find(b"CREATE TRIGGER")
    raw[at + 3] ^= 0x20  # "CREaTE"
    raw[at + 20 : at + 26] = b"(((((("
    path.write_bytes(bytes(raw))
    with pytest.raises(RegistryError, match="damaged"):
        Registry.open(path, site_key=key, argon2_params=TEST_PARAMS)

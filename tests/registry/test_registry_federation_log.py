"""Messages a site sends to a federation coordinator are kept in the registry's audit trail."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from hsp_desktop.errors import ValidationError
from hsp_desktop.registry import Registry
from hsp_desktop.registry.passwords import TEST_PARAMS


def test_federated_messages_are_audited_immutable_and_verified(tmp_path: Path) -> None:
    db = tmp_path / "site.sqlite"
    reg = Registry.open(db, argon2_params=TEST_PARAMS)
    try:
        entry = {
            "type": "train",
            "bytes": 1584,
            "arrays": [[3, 6]],
            "run": 7,
            "round": 2,
            "plan_sha256": "ab" * 32,
        }
        row = reg.log_federated_message(entry)
        assert row > 0
        [logged] = reg.federated_messages()
        assert logged["kind"] == "train" and logged["bytes"] == 1584 and logged["round"] == 2
        assert logged["details"]["arrays"] == [[3, 6]]
        audit = reg.audit_log(table="federation_messages")
        assert audit and audit[0]["action"] in ("insert", "INSERT")
        assert reg.verify().ok
        with pytest.raises(ValidationError):
            reg.log_federated_message({"bytes": 3})
        reg._ctx = (None, "shell", "try")
        try:
            for sql in ("UPDATE federation_messages SET bytes = 1", "DELETE FROM federation_messages"):
                with pytest.raises(sqlite3.IntegrityError, match="immutable"):
                    reg._conn.execute(sql)
        finally:
            reg._ctx = (None, None, None)
    finally:
        reg.close()

"""Every DICOM operation with a PACS node is kept in the registry's audit trail and cannot be edited."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from hsp_desktop.errors import ValidationError
from hsp_desktop.registry import Registry


def test_dicom_transfers_are_audited_and_immutable(reg: Registry, admin: Any) -> None:
    entry = {
        "direction": "store",
        "node": "PACS (ORTHANC@127.0.0.1:4242)",
        "study_id": "HSP-0001",
        "prediction_id": 3,
        "study_uid": "1.2.3",
        "series_uid": "1.2.3.4",
        "objects": [
            {"sop_class_uid": "1.2.840.10008.5.1.4.1.1.104.1", "sop_instance_uid": "1.2.9", "status": 0}
        ],
    }
    row = reg.log_dicom_transfer(entry, by=admin)
    assert row > 0
    [logged] = reg.dicom_transfers("HSP-0001")
    assert logged["username"] == admin.username and logged["direction"] == "store"
    assert logged["objects"][0]["sop_instance_uid"] == "1.2.9" and logged["status"] == "ok"
    assert reg.dicom_transfers("HSP-0002") == []
    audit = reg.audit_log(table="dicom_transfers")
    assert audit and audit[0]["username"] == admin.username
    assert reg.verify().ok
    with pytest.raises(ValidationError, match="direction"):
        reg.log_dicom_transfer({"direction": "upload", "node": "x"}, by=admin)
    conn = reg._db.conn
    for sql in ("UPDATE dicom_transfers SET status = 'x'", "DELETE FROM dicom_transfers"):
        with pytest.raises(sqlite3.IntegrityError, match="immutable"):
            conn.execute(sql)

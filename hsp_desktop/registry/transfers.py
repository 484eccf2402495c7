"""DICOM transfers: every query, retrieve and send to a PACS node, audited and immutable (who, what, where)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from hsp_desktop.errors import Problem, ValidationError
from hsp_desktop.registry import jsonutil as ju
from hsp_desktop.registry.db import Layer
from hsp_desktop.registry.models import User

#: What a transfer row may record.
DIRECTIONS = ("echo", "query", "retrieve", "store")


class Transfers(Layer):
    """Log and list DICOM network operations."""

    def log_dicom_transfer(self, entry: Mapping[str, Any], *, by: User) -> int:
        """Record one DICOM operation; returns the row id.

        ``entry``: ``direction`` (echo/query/retrieve/store), ``node`` (name and AE@host:port), optional
        ``study_id``, ``prediction_id``, ``study_uid``, ``series_uid``, ``status`` ("ok" or the error) and
        ``objects`` (list of {sop_class_uid, sop_instance_uid, status}).
        """
        direction = entry.get("direction")
        node = entry.get("node")
        if direction not in DIRECTIONS or not node:
            raise ValidationError(
                "A DICOM transfer needs a direction and a node",
                problems=[
                    Problem(
                        "direction", direction, f"not one of {', '.join(DIRECTIONS)}", "log what was done"
                    ),
                    Problem("node", node, "required", "name the PACS node"),
                ],
                field="direction",
            )
        pid = entry.get("prediction_id")
        with self._tx(by, f"DICOM {direction}") as conn:
            cur = conn.execute(
                "INSERT INTO dicom_transfers (at, username, direction, node, study_id, prediction_id, study_uid, "
                "series_uid, status, objects) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    ju.now(),
                    by.username,
                    direction,
                    str(node),
                    entry.get("study_id"),
                    int(pid) if isinstance(pid, int) else None,
                    entry.get("study_uid"),
                    entry.get("series_uid"),
                    str(entry.get("status") or "ok"),
                    ju.dumps(list(entry.get("objects") or [])),
                ),
            )
            return int(cur.lastrowid or 0)

    def dicom_transfers(self, study_id: str | None = None) -> list[dict[str, Any]]:
        """Logged DICOM operations, oldest first (optionally of one recipient)."""
        sql = (
            "SELECT id, at, username, direction, node, study_id, prediction_id, study_uid, series_uid, status, "
            "objects FROM dicom_transfers"
        )
        args: tuple[Any, ...] = ()
        if study_id is not None:
            sql += " WHERE study_id = ?"
            args = (study_id,)
        keys = ("id", "at", "username", "direction", "node", "study_id", "prediction_id", "study_uid",
                "series_uid", "status", "objects")  # fmt: skip
        with self._read() as conn:
            rows = conn.execute(sql + " ORDER BY id", args).fetchall()
        out = []
        for r in rows:
            d = dict(zip(keys, r, strict=True))
            d["objects"] = json.loads(d["objects"])
            out.append(d)
        return out

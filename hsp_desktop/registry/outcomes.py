"""Outcomes: the protocol's 6-month outcome derived from pre-operative values and follow-up, and record status."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import fields
from typing import Any

from hsp_desktop.errors import SettingsError
from hsp_desktop.registry import jsonutil as ju
from hsp_desktop.registry.db import Database, Layer, not_found
from hsp_desktop.registry.fields import FOLLOWUP_NAMES, PREOP_NAMES
from hsp_desktop.registry.models import User


class Outcomes(Layer):
    """Derived outcomes and recipient status (see :mod:`hsp_desktop.clinical.outcome`)."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self._cache: tuple[str, Any, str] | None = None

    def definition(self, value: Any = None) -> Any:
        """Return the configured OutcomeDefinition (cached per setting value) or build one from ``value``."""
        from hsp_desktop.clinical.outcome import OutcomeDefinition

        if value is None:
            row = self._conn.execute("SELECT value FROM settings WHERE key = 'outcome_definition'").fetchone()
            raw = row[0] if row else "{}"
            if self._cache is not None and self._cache[0] == raw:
                return self._cache[1]
            definition = self.definition(json.loads(raw))
            self._cache = (raw, definition, str(definition.definition_id))
            return definition
        params = value
        try:
            return OutcomeDefinition(**(params or {}))
        except TypeError as exc:
            raise SettingsError(
                "The outcome definition setting has unknown fields",
                expected="fields of OutcomeDefinition",
                found=repr(params)[:200],
                fix="reset the outcome_definition setting",
                field="outcome_definition",
            ) from exc

    # ------------------------------------------------------------------------------------------------ outcome
    def derive(self, study_id: str, today: dt.date) -> None:
        """Re-derive and store the outcome of one recipient (inside the caller's transaction)."""
        from hsp_desktop.clinical.outcome import derive_outcome

        conn = self._conn
        definition = self.definition()
        row = conn.execute(
            f"SELECT r.transplant_date, {', '.join('p.' + c for c in PREOP_NAMES)} FROM recipients r "
            "JOIN preop p USING (study_id) WHERE r.study_id = ?",
            (study_id,),
        ).fetchone()
        if row is None:
            raise not_found(study_id)
        tx = row[0]
        preop = dict(zip(PREOP_NAMES, row[1:], strict=True))
        cols = ("date", "day", *FOLLOWUP_NAMES)
        visits = [
            dict(zip(cols, r, strict=True))
            for r in conn.execute(
                f"SELECT {', '.join(cols)} FROM followups WHERE study_id = ? ORDER BY day, id", (study_id,)
            )
        ]
        for v in visits:
            for k in ("intervention", "event"):
                if v[k] is None:
                    v[k] = ""
        if tx is None:
            status, flags, reasons, secondary = "pending", [], ["no transplant date"], {}
        else:
            result = derive_outcome(preop, visits, dt.date.fromisoformat(tx), today, definition)
            status = str(result.status)
            flags = list(result.flags)
            reasons = list(result.reasons)
            secondary = {f.name: getattr(result.secondary, f.name) for f in fields(result.secondary)}
            secondary["components"] = (
                {
                    k: getattr(result, k)
                    for k in ("window_dates", "plt_window", "wbc_window", "cytopenia", "splenomegaly", "other_cause",
                              "event_day")
                }
            )  # fmt: skip
        def_id = self._cache[2] if self._cache and self._cache[1] is definition else definition.definition_id
        new = (def_id, status, ju.dumps(flags), ju.dumps(reasons), ju.dumps(secondary))
        old = conn.execute(
            "SELECT definition_id, status, flags, reasons, secondary FROM outcomes WHERE study_id = ?",
            (study_id,),
        ).fetchone()
        if old is None:
            conn.execute(
                "INSERT INTO outcomes (study_id, definition_id, status, flags, reasons, secondary, as_of, derived_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (study_id, *new, today.isoformat(), ju.now()),
            )
        elif tuple(old) != new:
            conn.execute(
                "UPDATE outcomes SET definition_id = ?, status = ?, flags = ?, reasons = ?, secondary = ?, as_of = ?, "
                "derived_at = ? WHERE study_id = ?",
                (*new, today.isoformat(), ju.now(), study_id),
            )
        self.refresh_status(conn, study_id)

    def refresh_status(self, conn: sqlite3.Connection, study_id: str) -> None:
        """Recompute a recipient's status (excluded/enrolled/scored/outcome/competing) inside a transaction."""
        row = conn.execute(
            "SELECT r.status, e.eligible, o.status, EXISTS (SELECT 1 FROM predictions p WHERE p.study_id = r.study_id) "
            "FROM recipients r JOIN enrolment e USING (study_id) LEFT JOIN outcomes o USING (study_id) "
            "WHERE r.study_id = ?",
            (study_id,),
        ).fetchone()
        current, eligible, outcome, scored = row
        if not eligible:
            status = "excluded"
        elif outcome in ("1", "0"):
            status = "outcome"
        elif outcome == "competing":
            status = "competing"
        elif scored:
            status = "scored"
        else:
            status = "enrolled"
        if status != current:
            conn.execute("UPDATE recipients SET status = ? WHERE study_id = ?", (status, study_id))

    def outcome(self, study_id: str) -> dict[str, Any]:
        """Return the stored outcome (status 1/0/"pending"/"competing", definition id, flags, reasons, secondary)."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT definition_id, status, flags, reasons, secondary, as_of, derived_at FROM outcomes "
                "WHERE study_id = ?",
                (study_id,),
            ).fetchone()
        if row is None:
            raise not_found(study_id)
        status: int | str = int(row[1]) if row[1] in ("0", "1") else row[1]
        return {
            "study_id": study_id,
            "definition_id": row[0],
            "status": status,
            "flags": json.loads(row[2]),
            "reasons": json.loads(row[3]),
            "secondary": json.loads(row[4]),
            "as_of": row[5],
            "derived_at": row[6],
        }

    def refresh_outcomes(self, *, by: User, today: dt.date | None = None) -> int:
        """Re-derive every outcome on ``today`` (e.g. daily, as windows close); returns how many changed status."""
        today = today or ju.today()
        with self._tx(by, "outcome refresh") as conn:
            before = dict(conn.execute("SELECT study_id, status FROM outcomes").fetchall())
            for sid in [r[0] for r in conn.execute("SELECT study_id FROM recipients")]:
                self.derive(sid, today)
            after = dict(conn.execute("SELECT study_id, status FROM outcomes").fetchall())
        return sum(1 for k, v in after.items() if before.get(k) != v)

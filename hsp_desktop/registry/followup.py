"""Follow-up: dated visits, the visit schedule, due/overdue visits and the worklist."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Mapping
from typing import Any

from hsp_desktop.errors import Problem, RegistryError, SettingsError, ValidationError
from hsp_desktop.registry import jsonutil as ju
from hsp_desktop.registry.db import Database, Layer, not_found
from hsp_desktop.registry.fields import FOLLOWUP_NAMES
from hsp_desktop.registry.models import User
from hsp_desktop.registry.outcomes import Outcomes
from hsp_desktop.registry.recipients import Recipients
from hsp_desktop.registry.schedule import next_visit, visit_states, windows_from_setting


class FollowUp(Layer):
    """Record and correct visits; list the schedule, the due visits and the worklist."""

    def __init__(self, db: Database, outcomes: Outcomes, recipients: Recipients) -> None:
        super().__init__(db)
        self._outcomes = outcomes
        self._recipients = recipients

    def _validate_visit(
        self,
        conn: sqlite3.Connection,
        study_id: str,
        visit: Mapping[str, Any],
        *,
        row: int | None,
        confirm_units: bool,
    ) -> tuple[dict[str, Any], list[Problem]]:
        from hsp_desktop.clinical.dictionary import validate_visit

        tx = conn.execute("SELECT transplant_date FROM recipients WHERE study_id = ?", (study_id,)).fetchone()
        if tx is None:
            return {}, [
                Problem("study_id", study_id, "no such recipient", "enrol the recipient first", row=row)
            ]
        data = dict(visit)
        if data.get("study_id") not in (None, "", study_id):
            return {}, [
                Problem("study_id", data["study_id"], f"differs from {study_id}", "check the row", row=row)
            ]
        data["study_id"] = study_id
        if tx[0] is None:
            return {}, [
                Problem(
                    "transplant_date", None, f"{study_id} has no transplant date", "enter it first", row=row
                )
            ]
        validated = validate_visit(data, transplant_date=tx[0], confirm_units=confirm_units, row=row)
        return dict(validated.values), list(validated.problems)

    def add_followup(
        self,
        study_id: str,
        visit: Mapping[str, Any],
        *,
        by: User,
        reason: str | None = None,
        confirm_units: bool = False,
        today: dt.date | None = None,
    ) -> int:
        """Record one dated follow-up measurement/visit (CONTRACTS section B) and re-derive the outcome.

        Returns
        -------
        int
            The visit id.
        """
        with self._tx(by, reason) as conn:
            values, problems = self._validate_visit(
                conn, study_id, visit, row=None, confirm_units=confirm_units
            )
            if problems:
                raise ValidationError(
                    f"{len(problems)} problem(s) in the follow-up visit for {study_id}",
                    problems=problems,
                    fix="correct each field listed and submit again",
                )
            vid = self.insert_visit(conn, study_id, values)
            self._outcomes.derive(study_id, today or ju.today())
            return vid

    def insert_visit(self, conn: sqlite3.Connection, study_id: str, values: Mapping[str, Any]) -> int:
        """Insert a validated visit inside the caller's transaction; returns its id."""
        cols = ("date", "day", *FOLLOWUP_NAMES)
        row = [values.get(c) for c in cols]
        row = [None if v == "" else v for v in row]
        cur = conn.execute(
            f"INSERT INTO followups (study_id, {', '.join(cols)}, created_at) VALUES (?, {', '.join('?' * len(cols))}, ?)",
            (study_id, *row, ju.now()),
        )
        return int(cur.lastrowid or 0)

    def update_followup(
        self, followup_id: int, values: Mapping[str, Any], *, by: User, reason: str | None = None
    ) -> None:
        """Correct a follow-up visit (a reason is required once the recipient is scored or locked)."""
        with self._tx(by, reason) as conn:
            current = self._visit(conn, followup_id)
            sid = current["study_id"]
            self._recipients.require_reason(conn, sid, reason)
            merged = {k: current[k] for k in ("date", *FOLLOWUP_NAMES)}
            merged.update(values)
            merged.pop("day", None)
            new, problems = self._validate_visit(conn, sid, merged, row=None, confirm_units=False)
            if problems:
                raise ValidationError(f"{len(problems)} problem(s) in the correction", problems=problems)
            cols = ("date", "day", *FOLLOWUP_NAMES)
            conn.execute(
                f"UPDATE followups SET {', '.join(f'{c} = ?' for c in cols)} WHERE id = ?",
                (*(None if new.get(c) == "" else new.get(c) for c in cols), followup_id),
            )
            self._outcomes.derive(sid, ju.today())

    def delete_followup(self, followup_id: int, *, by: User, reason: str) -> None:
        """Delete a follow-up visit entered in error (a reason is always required; the audit keeps it)."""
        if not (reason and reason.strip()):
            raise ValidationError(
                "A reason is required to delete a visit",
                problems=[Problem("reason", reason, "missing", "state why the visit is deleted")],
                field="reason",
            )
        with self._tx(by, reason) as conn:
            sid = self._visit(conn, followup_id)["study_id"]
            conn.execute("DELETE FROM followups WHERE id = ?", (followup_id,))
            self._outcomes.derive(sid, ju.today())

    def _visit(self, conn: sqlite3.Connection, followup_id: int) -> dict[str, Any]:
        cols = ("id", "study_id", "date", "day", *FOLLOWUP_NAMES, "created_at")
        row = conn.execute(f"SELECT {', '.join(cols)} FROM followups WHERE id = ?", (followup_id,)).fetchone()
        if row is None:
            raise RegistryError(f"No follow-up visit with id {followup_id}", field="followup_id")
        return dict(zip(cols, row, strict=True))

    def followups(self, study_id: str) -> list[dict[str, Any]]:
        """Return a recipient's follow-up visits in date order."""
        cols = ("id", "study_id", "date", "day", *FOLLOWUP_NAMES, "created_at")
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {', '.join(cols)} FROM followups WHERE study_id = ? ORDER BY day, id", (study_id,)
            ).fetchall()
        return [dict(zip(cols, r, strict=True)) for r in rows]

    def schedule(self, study_id: str, today: dt.date | None = None) -> list[dict[str, Any]]:
        """Return the state of each scheduled visit (day 30/90/180 windows) of one recipient on ``today``."""
        today = today or ju.today()
        with self._read() as conn:
            row = conn.execute(
                "SELECT transplant_date FROM recipients WHERE study_id = ?", (study_id,)
            ).fetchone()
            if row is None:
                raise not_found(study_id)
            days = [r[0] for r in conn.execute("SELECT day FROM followups WHERE study_id = ?", (study_id,))]
            windows = windows_from_setting(self._get_setting("followup_windows"))
        if row[0] is None:
            return []
        return [s.as_dict() for s in visit_states(dt.date.fromisoformat(row[0]), days, today, windows)]

    def followups_due(self, today: dt.date | str | None = None) -> list[dict[str, Any]]:
        """Return every due or overdue visit on ``today`` for recipients still in follow-up.

        Recipients excluded, with a known outcome or a competing event are not followed any more.  Each item:
        ``study_id``, ``day`` (target day), ``window_start``, ``window_end``, ``state`` (``due``/``overdue``),
        ``measurements`` and ``days_overdue``; overdue first, most overdue first.
        """
        today_d = ju.as_date(today) or ju.today()
        with self._read() as conn:
            windows = windows_from_setting(self._get_setting("followup_windows"))
            last_end = max(w.end for w in windows)
            rows = conn.execute(
                "SELECT study_id, transplant_date FROM recipients WHERE status IN ('enrolled', 'scored') "
                "AND transplant_date IS NOT NULL AND transplant_date <= ?",
                (today_d.isoformat(),),
            ).fetchall()
            days: dict[str, list[int]] = {}
            for sid, day in conn.execute(
                "SELECT f.study_id, f.day FROM followups f JOIN recipients r USING (study_id) "
                "WHERE r.status IN ('enrolled', 'scored')"
            ):
                days.setdefault(sid, []).append(day)
        out = []
        for sid, tx in rows:
            txd = dt.date.fromisoformat(tx)
            if (today_d - txd).days > last_end + 365 * 5:
                continue
            for s in visit_states(txd, days.get(sid, []), today_d, windows):
                if s.state in ("due", "overdue"):
                    out.append({"study_id": sid, **s.as_dict()})
        out.sort(key=lambda d: (d["state"] != "overdue", -d["days_overdue"], d["window_end"], d["study_id"]))
        return out

    # ----------------------------------------------------------------------------------------------- worklist
    def worklist(
        self,
        search: str | None = None,
        status: str | None = None,
        *,
        limit: int | None = 500,
        offset: int = 0,
        today: dt.date | None = None,
    ) -> list[dict[str, Any]]:
        """Return the worklist: one row per recipient with status, latest risk, next visit and outcome.

        Parameters
        ----------
        search : str, optional
            A study-id prefix (case-insensitive), or an exact MRN when the site key is configured.
        status : str, optional
            ``excluded``, ``enrolled``, ``scored``, ``outcome`` or ``competing``.
        limit, offset : int
            Paging (default: the first 500 rows in study-id order; None for all).
        today : date, optional
            Date the visit schedule is evaluated on.

        Returns
        -------
        list of dict
            ``study_id``, ``site``, ``status``, ``transplant_date``, ``locked``, ``risk`` (latest probability),
            ``band``, ``model_id``, ``scored_at``, ``next_visit`` (day/state/window or None), ``outcome``.
        """
        today = today or ju.today()
        where: list[str] = []
        params: list[Any] = []
        if search and search.strip():
            term = search.strip()
            glob = "".join(f"[{c}]" if c in "*?[]" else c for c in term)
            alt = ["r.study_id GLOB ?", "r.study_id GLOB ?"]
            params += [glob + "*", glob.upper() + "*"]
            if self._key is not None:
                alt.append("r.mrn_hmac = ?")
                params.append(self._key.mrn_hmac(term))
            where.append("(" + " OR ".join(alt) + ")")
        if status:
            if status not in ("excluded", "enrolled", "scored", "outcome", "competing"):
                raise SettingsError(
                    "Unknown worklist status",
                    expected="excluded, enrolled, scored, outcome or competing",
                    found=status,
                    field="status",
                )
            where.append("r.status = ?")
            params.append(status)
        sql = (
            "SELECT r.study_id, r.site, r.status, r.transplant_date, r.locked, p.probability, p.band, p.model_id, "
            "p.created_at, o.status FROM recipients r "
            "LEFT JOIN predictions p ON p.id = (SELECT MAX(id) FROM predictions q WHERE q.study_id = r.study_id) "
            "LEFT JOIN outcomes o ON o.study_id = r.study_id"
            + (" WHERE " + " AND ".join(where) if where else "")
            + " ORDER BY r.study_id"
        )
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [int(limit), int(offset)]
        with self._read() as conn:
            rows = conn.execute(sql, params).fetchall()
            ids = [r[0] for r in rows]
            days: dict[str, list[int]] = {}
            for i in range(0, len(ids), 500):
                chunk = ids[i : i + 500]
                for sid, day in conn.execute(
                    f"SELECT study_id, day FROM followups WHERE study_id IN ({', '.join('?' * len(chunk))})",
                    chunk,
                ):
                    days.setdefault(sid, []).append(day)
            windows = windows_from_setting(self._get_setting("followup_windows"))
        out = []
        for sid, site, st, tx, locked, prob, band, model_id, scored_at, outcome in rows:
            nxt = None
            if tx and st in ("enrolled", "scored"):
                v = next_visit(visit_states(dt.date.fromisoformat(tx), days.get(sid, []), today, windows))
                nxt = v.as_dict() if v else None
            out.append(
                {
                    "study_id": sid,
                    "site": site,
                    "status": st,
                    "transplant_date": tx,
                    "locked": bool(locked),
                    "risk": prob,
                    "band": band,
                    "model_id": model_id,
                    "scored_at": scored_at,
                    "next_visit": nxt,
                    "outcome": int(outcome) if outcome in ("0", "1") else outcome,
                }
            )
        return out

    def count(self, status: str | None = None) -> int:
        """Return how many recipients there are (optionally with one status)."""
        with self._read() as conn:
            if status is None:
                return int(conn.execute("SELECT COUNT(*) FROM recipients").fetchone()[0])
            return int(
                conn.execute("SELECT COUNT(*) FROM recipients WHERE status = ?", (status,)).fetchone()[0]
            )

"""Recipients: enrolment, identity (encrypted with the site key), pre-operative values, record locking."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from typing import Any

from hsp_desktop.errors import Problem, RegistryError, ValidationError
from hsp_desktop.registry import jsonutil as ju
from hsp_desktop.registry.db import Database, Layer, not_found
from hsp_desktop.registry.fields import PREOP_NAMES
from hsp_desktop.registry.models import CLINICAL_ROLES, User
from hsp_desktop.registry.outcomes import Outcomes
from hsp_desktop.registry.settings import DEFAULT_SETTINGS
from hsp_desktop.registry.versions import ELIGIBILITY_FLAGS

IDENTITY_FIELDS = ("site", "cohort", "transplant_date", "ct_date")
ENROLMENT_FIELDS = ("consent", *ELIGIBILITY_FLAGS)


class Recipients(Layer):
    """Enrol, read, change and lock recipients (every write re-derives the outcome in the same transaction)."""

    def __init__(self, db: Database, outcomes: Outcomes) -> None:
        super().__init__(db)
        self._outcomes = outcomes

    def _prepare(
        self, record: Mapping[str, Any], *, confirm_units: bool, row: int | None
    ) -> tuple[Any, list[Problem]]:
        from hsp_desktop.clinical.dictionary import validate_record

        validated = validate_record(record, confirm_units=confirm_units, row=row)
        return validated, list(validated.problems)

    def _next_study_id(self, conn: sqlite3.Connection) -> str:
        prefix = self._get_setting("study_id_prefix") or DEFAULT_SETTINGS["study_id_prefix"]
        counter = int(self._get_setting("study_id_counter_" + prefix) or 0)
        while True:
            counter += 1
            sid = f"{prefix}-{counter:04d}"
            if (
                conn.execute("SELECT 1 FROM recipients WHERE study_id = ? COLLATE NOCASE", (sid,)).fetchone()
                is None
            ):
                break
        self._conn.execute(
            "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            ("study_id_counter_" + prefix, str(counter), ju.now()),
        )
        return sid

    def identity(self, record: Mapping[str, Any], study_id: str) -> dict[str, Any]:
        """The MRN HMAC and the encrypted MRN and name of a record (refused without a site key)."""
        out: dict[str, Any] = {"mrn_hmac": None, "mrn_enc": None, "name_enc": None}
        mrn, name = record.get("mrn"), record.get("name")
        mrn = None if mrn is None or str(mrn).strip() == "" else str(mrn)
        name = None if name is None or str(name).strip() == "" else str(name).strip()
        from hsp_desktop.clinical.dictionary import UNSAFE_TEXT

        for col, text in (("mrn", mrn), ("name", name)):
            if text and UNSAFE_TEXT.search(text):
                raise ValidationError(
                    f"The {col} contains invisible or direction-changing characters",
                    problems=[
                        Problem(col, "***", "bidirectional override or zero-width character", "retype it")
                    ],
                    field=col,
                )
        if (mrn or name) and self._key is None:
            raise RegistryError(
                "Names and MRNs are stored only when a site key is configured",
                expected="a site key (names and MRNs are encrypted at rest)",
                found="no site key",
                fix="open the registry with its site key, or leave name and MRN empty (the study id is the pseudonym)",
                field="mrn" if mrn else "name",
            )
        if self._key is not None:
            if mrn:
                out["mrn_hmac"] = self._key.mrn_hmac(mrn)
                out["mrn_enc"] = self._key.encrypt(mrn, study_id=study_id, column="mrn")
            if name:
                out["name_enc"] = self._key.encrypt(name, study_id=study_id, column="name")
        return out

    def insert_recipient(
        self,
        conn: sqlite3.Connection,
        values: Mapping[str, Any],
        identity: Mapping[str, Any],
        entered: dict[str, Any],
    ) -> tuple[bool, list[str]]:
        """Insert recipient, enrolment and pre-operative rows inside the caller's transaction; returns eligibility."""
        from hsp_desktop.clinical.eligibility import check_eligibility

        sid = values["study_id"]
        if identity.get("mrn_hmac"):
            other = conn.execute(
                "SELECT study_id FROM recipients WHERE mrn_hmac = ?", (identity["mrn_hmac"],)
            ).fetchone()
            if other:
                raise ValidationError(
                    f"A recipient with this MRN is already registered as {other[0]}",
                    problems=[
                        Problem("mrn", "***", f"already registered as {other[0]}", "open that recipient")
                    ],
                    field="mrn",
                )
        now = ju.now()
        conn.execute(
            "INSERT INTO recipients (study_id, site, cohort, transplant_date, ct_date, mrn_hmac, mrn_enc, name_enc, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                sid,
                values.get("site"),
                values.get("cohort"),
                values.get("transplant_date"),
                values.get("ct_date"),
                identity.get("mrn_hmac"),
                identity.get("mrn_enc"),
                identity.get("name_enc"),
                now,
            ),
        )
        eligible, reasons = check_eligibility(values)
        cols = ", ".join(ENROLMENT_FIELDS)
        conn.execute(
            f"INSERT INTO enrolment (study_id, eligible, exclusion_reasons, updated_at, {cols}) "
            f"VALUES (?, ?, ?, ?, {', '.join('?' * len(ENROLMENT_FIELDS))})",
            (sid, int(eligible), ju.dumps(reasons), now, *(values.get(f) for f in ENROLMENT_FIELDS)),
        )
        pcols = ", ".join(PREOP_NAMES)
        conn.execute(
            f"INSERT INTO preop (study_id, entered, updated_at, {pcols}) "
            f"VALUES (?, ?, ?, {', '.join('?' * len(PREOP_NAMES))})",
            (sid, ju.dumps(entered), now, *(values.get(f) for f in PREOP_NAMES)),
        )
        return eligible, reasons

    @staticmethod
    def entered(record: Mapping[str, Any], validated: Any) -> dict[str, Any]:
        """What was typed, with its unit, for every numeric field (conversions keep the original)."""
        from hsp_desktop.clinical.dictionary import VARIABLES

        conv = {c.field: c for c in validated.conversions}
        out: dict[str, Any] = {}
        for name in PREOP_NAMES:
            raw = record.get(name)
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                continue
            if VARIABLES[name].type not in ("float", "int"):
                continue
            if name in conv:
                c = conv[name]
                out[name] = {"value": c.value, "unit": c.unit, "confirmed_trap": c.confirmed}
            else:
                out[name] = {
                    "value": ju.plain(raw),
                    "unit": record.get(name + "_unit") or VARIABLES[name].unit,
                }
        return out

    def add_recipient(self, record: Mapping[str, Any], *, by: User, confirm_units: bool = False) -> str:
        """Validate and enrol one recipient (identity, eligibility, pre-operative values) in one transaction.

        Parameters
        ----------
        record : mapping
            CONTRACTS section A fields (values may carry units, e.g. ``"2.0 mg/dL"``), plus optional ``mrn`` and
            ``name`` (stored only with a site key: HMAC for look-up, AES-GCM ciphertext).  Without ``study_id`` the
            next pseudonymous id (``HSP-0001``, ...) is assigned.
        by : User
            The signed-in user (admin, clinician or coordinator).
        confirm_units : bool
            Convert suspected unit traps (see :func:`hsp_desktop.clinical.dictionary.validate_record`).

        Returns
        -------
        str
            The study id.

        Raises
        ------
        ValidationError
            Listing every problem; nothing is written.
        """
        rec = {k: v for k, v in record.items() if k not in ("mrn", "name")}
        with self._tx(by) as conn:
            if rec.get("study_id") is None or str(rec.get("study_id")).strip() == "":
                rec["study_id"] = self._next_study_id(conn)
            validated, problems = self._prepare(rec, confirm_units=confirm_units, row=None)
            sid = validated.values.get("study_id")
            other = (
                sid
                and conn.execute(
                    "SELECT study_id FROM recipients WHERE study_id = ? COLLATE NOCASE", (sid,)
                ).fetchone()
            )
            if other:  # study ids are unique whatever their case: HSP-0001 and hsp-0001 are one recipient
                problems.append(
                    Problem("study_id", sid, f"already registered as {other[0]}", "use another study id")
                )
            if problems:
                raise ValidationError(
                    f"{len(problems)} problem(s) in the record for {sid or 'a new recipient'}",
                    problems=problems,
                    fix="correct each field listed and submit again",
                )
            identity = self.identity(record, sid)
            self.insert_recipient(conn, validated.values, identity, self.entered(rec, validated))
            self._outcomes.derive(sid, ju.today())
        return str(sid)

    def get_recipient(self, study_id: str) -> dict[str, Any]:
        """Return one recipient: identity, enrolment, pre-operative values, as-entered units, status.

        ``name`` and ``mrn`` are decrypted when the site key is configured (None otherwise).
        """
        with self._read() as conn:
            row = conn.execute(
                "SELECT r.study_id, r.site, r.cohort, r.transplant_date, r.ct_date, r.mrn_enc, r.name_enc, r.locked, "
                "r.status, r.created_at, e.consent, e.eligible, e.exclusion_reasons, "
                + ", ".join(f"e.{f}" for f in ELIGIBILITY_FLAGS)
                + ", p.entered, "
                + ", ".join(f"p.{f}" for f in PREOP_NAMES)
                + " FROM recipients r JOIN enrolment e USING (study_id) JOIN preop p USING (study_id) "
                "WHERE r.study_id = ?",
                (study_id,),
            ).fetchone()
        if row is None:
            raise not_found(study_id)
        keys = [
            "study_id", "site", "cohort", "transplant_date", "ct_date", "mrn", "name", "locked", "status",
            "created_at", "consent", "eligible", "exclusion_reasons", *ELIGIBILITY_FLAGS, "entered", *PREOP_NAMES,
        ]  # fmt: skip
        out = dict(zip(keys, row, strict=True))
        out["exclusion_reasons"] = json.loads(out["exclusion_reasons"])
        out["entered"] = json.loads(out["entered"])
        out["eligible"] = bool(out["eligible"])
        out["locked"] = bool(out["locked"])
        for col in ("mrn", "name"):
            token = out[col]
            out[col] = (
                self._key.decrypt(token, study_id=study_id, column=col) if (token and self._key) else None
            )
        return out

    def find_by_mrn(self, mrn: str) -> str | None:
        """Return the study id registered with this MRN (keyed HMAC look-up; needs the site key)."""
        if self._key is None:
            raise RegistryError(
                "MRN look-up needs the site key",
                found="no site key",
                fix="open the registry with its site key",
            )
        with self._read() as conn:
            row = conn.execute(
                "SELECT study_id FROM recipients WHERE mrn_hmac = ?", (self._key.mrn_hmac(mrn),)
            ).fetchone()
        return row[0] if row else None

    def _needs_reason(self, conn: sqlite3.Connection, study_id: str) -> str | None:
        row = conn.execute(
            "SELECT locked, EXISTS (SELECT 1 FROM predictions WHERE study_id = ?) FROM recipients WHERE study_id = ?",
            (study_id, study_id),
        ).fetchone()
        if row is None:
            raise not_found(study_id)
        if row[0]:
            return "locked"
        if row[1]:
            return "already scored"
        return None

    def require_reason(self, conn: sqlite3.Connection, study_id: str, reason: str | None) -> None:
        """Refuse a change without a reason once the recipient is locked or scored."""
        why = self._needs_reason(conn, study_id)
        if why and not (reason and reason.strip()):
            raise ValidationError(
                f"A reason for change is required: {study_id} is {why}",
                problems=[
                    Problem("reason", reason, f"required because the record is {why}", "give a reason")
                ],
                expected="a reason for the change",
                found="none",
                fix="state why the data are changed (it is kept in the audit trail)",
                field="reason",
            )

    def update_preop(
        self,
        study_id: str,
        values: Mapping[str, Any],
        *,
        by: User,
        reason: str | None = None,
        confirm_units: bool = False,
    ) -> dict[str, Any]:
        """Change pre-operative, identity or enrolment fields of a recipient.

        The merged record is validated again as a whole (derived BMI/BSA/Child-Pugh are recomputed when their
        inputs change and they were derived), eligibility is re-checked and the outcome re-derived.

        Parameters
        ----------
        study_id : str
            The recipient.
        values : mapping
            Fields to change (section A names; the study id cannot change).
        by : User
            The signed-in user.
        reason : str, optional
            Required when the recipient is locked or already scored.
        confirm_units : bool
            Convert suspected unit traps.

        Returns
        -------
        dict
            The changed fields, ``{name: (old, new)}``.
        """
        if "study_id" in values and values["study_id"] != study_id:
            raise ValidationError(
                "The study id cannot change",
                problems=[Problem("study_id", values["study_id"], "the study id is permanent", "remove it")],
            )
        with self._tx(by, reason) as conn:
            self.require_reason(conn, study_id, reason)
            current = self.get_recipient(study_id)
            merged = {k: current[k] for k in ("study_id", *IDENTITY_FIELDS, *ENROLMENT_FIELDS, *PREOP_NAMES)}
            changed_inputs = {k for k in values if not k.endswith("_unit")}
            # derived values are recomputed when their inputs change, unless given explicitly
            if changed_inputs & {"height_cm", "weight_kg"}:
                for d in ("bmi", "bsa"):
                    if d not in values:
                        merged[d] = None
            if (
                changed_inputs & {"bilirubin", "albumin", "inr", "ascites", "encephalopathy"}
                and "child_pugh" not in values
            ):
                merged["child_pugh"] = None
            merged.update({k: v for k, v in values.items() if k not in ("mrn", "name")})
            validated, problems = self._prepare(merged, confirm_units=confirm_units, row=None)
            if problems:
                raise ValidationError(
                    f"{len(problems)} problem(s) in the change for {study_id}",
                    problems=problems,
                    fix="correct each field listed and submit again",
                )
            new = validated.values
            diff = {
                k: (current[k], new.get(k))
                for k in (*IDENTITY_FIELDS, *ENROLMENT_FIELDS, *PREOP_NAMES)
                if current[k] != new.get(k)
            }
            now = ju.now()
            ident = [k for k in IDENTITY_FIELDS if k in diff]
            if ident:
                conn.execute(
                    f"UPDATE recipients SET {', '.join(f'{k} = ?' for k in ident)} WHERE study_id = ?",
                    (*(new[k] for k in ident), study_id),
                )
            if "mrn" in values or "name" in values:
                identity = self.identity(values, study_id)
                sets: dict[str, Any] = {}
                if "mrn" in values:
                    sets.update(mrn_hmac=identity["mrn_hmac"], mrn_enc=identity["mrn_enc"])
                if "name" in values:
                    sets["name_enc"] = identity["name_enc"]
                conn.execute(
                    f"UPDATE recipients SET {', '.join(f'{k} = ?' for k in sets)} WHERE study_id = ?",
                    (*sets.values(), study_id),
                )
                diff.update({k: ("***", "***") for k in ("mrn", "name") if k in values})
            from hsp_desktop.clinical.eligibility import check_eligibility

            eligible, reasons = check_eligibility(new)
            enr = [k for k in ENROLMENT_FIELDS if k in diff]
            if enr or eligible != current["eligible"] or reasons != current["exclusion_reasons"]:
                conn.execute(
                    f"UPDATE enrolment SET eligible = ?, exclusion_reasons = ?, updated_at = ?"
                    f"{''.join(f', {k} = ?' for k in enr)} WHERE study_id = ?",
                    (int(eligible), ju.dumps(reasons), now, *(new[k] for k in enr), study_id),
                )
            pre = [k for k in PREOP_NAMES if k in diff]
            if pre:
                entered = dict(current["entered"])
                entered.update(
                    self.entered(
                        {k: values.get(k) for k in pre}
                        | {k + "_unit": values[k + "_unit"] for k in pre if k + "_unit" in values},
                        validated,
                    )
                )
                for k in pre:
                    if new.get(k) is None:
                        entered.pop(k, None)
                conn.execute(
                    f"UPDATE preop SET {', '.join(f'{k} = ?' for k in pre)}, entered = ?, updated_at = ? "
                    "WHERE study_id = ?",
                    (*(new[k] for k in pre), ju.dumps(entered), now, study_id),
                )
            if diff:
                self._outcomes.derive(study_id, ju.today())
        return diff

    def lock_recipient(self, study_id: str, *, by: User, reason: str, locked: bool = True) -> None:
        """Lock (or unlock) a recipient's record: later edits need a reason for change (clinicians, admins)."""
        with self._tx(by, reason, roles=CLINICAL_ROLES) as conn:
            cur = conn.execute("UPDATE recipients SET locked = ? WHERE study_id = ?", (int(locked), study_id))
            if cur.rowcount == 0:
                raise not_found(study_id)

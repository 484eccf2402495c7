"""The :class:`Registry` facade: one object for callers, over the registry's layers.

Layers (each its own module, each over the one :class:`~hsp_desktop.registry.db.Database`):

=====================  =====================================================================================
``db``                 connection, single writer, transactions with user and reason, raw settings rows
``users``              accounts, roles, sign-in and lockout
``settings``           validated settings with defaults
``recipients``         enrolment, encrypted identity, pre-operative values, locking
``scoring``            imaging studies, feature vectors, immutable predictions, federation message log
``followup``           visits, schedule, due visits, worklist
``outcomes``           the derived 6-month outcome and recipient status
``audit``              triggers, hash chain, verification, the audit log
``io`` / ``backup``    import, export, backup and restore: functions that take a registry
=====================  =====================================================================================

The pipeline and the test doubles use :class:`~hsp_desktop.registry.protocol.ScoringRegistry`, which this class
satisfies.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hsp_desktop.errors import TamperError
from hsp_desktop.registry import anchor, versions
from hsp_desktop.registry import audit as audit_mod
from hsp_desktop.registry.crypto import SiteKey
from hsp_desktop.registry.db import Database
from hsp_desktop.registry.followup import FollowUp
from hsp_desktop.registry.models import WRITE_ROLES, ImportReport, User
from hsp_desktop.registry.outcomes import Outcomes
from hsp_desktop.registry.passwords import Argon2Params
from hsp_desktop.registry.recipients import Recipients
from hsp_desktop.registry.scoring import Scoring
from hsp_desktop.registry.settings import DEFAULT_SETTINGS, Settings
from hsp_desktop.registry.transfers import Transfers
from hsp_desktop.registry.users import Users

__all__ = ["DEFAULT_SETTINGS", "Registry"]


class Registry:
    """The ward registry; open it with :meth:`Registry.open` (see the module docstring for the layers).

    Parameters
    ----------
    db : Database
        The open database layer.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._outcomes = Outcomes(db)
        self._settings = Settings(db, self._outcomes)
        self._users = Users(db, self._settings)
        self._recipients = Recipients(db, self._outcomes)
        self._scoring = Scoring(db, self._outcomes)
        self._followup = FollowUp(db, self._outcomes, self._recipients)
        self._transfers = Transfers(db)

    # ------------------------------------------------------------------------------------------------ open/close
    @classmethod
    def open(
        cls,
        path: Path | str,
        *,
        site_key: bytes | None = None,
        argon2_params: Argon2Params | None = None,
        quick_check: bool = False,
        read_only: bool = False,
        anchor_file: Path | str | None = None,
    ) -> Registry:
        """Open (creating and migrating when needed) the registry at ``path``.

        Parameters
        ----------
        path : Path or str
            The database file (on a local disk), or ``":memory:"``.
        site_key : bytes, optional
            The 32-byte site key (see :mod:`hsp_desktop.registry.crypto`).  A registry created with a site key must
            always be opened with it; one created without cannot take one later (its audit chain is unkeyed).
        argon2_params : Argon2Params, optional
            Password-hash parameters (default: OWASP's 19 MiB, t=2, p=1; tests inject cheaper ones).
        quick_check : bool
            Run ``PRAGMA quick_check`` first and refuse a damaged file.  Off by default because it reads the whole
            file (about 1 s per 100 MB); the desktop app runs :meth:`quick_check` in a worker thread at start-up.
        read_only : bool
            Open without changing the file at all (no WAL switch, no migrations, no writes): to inspect or verify
            a backup without invalidating its checksum.
        anchor_file : Path or str, optional
            Where the audit chain's head is anchored outside the database (:mod:`hsp_desktop.registry.anchor`);
            default ``<db>.audit-head``.  The command line and the desktop app put it beside the site key.

        Returns
        -------
        Registry
        """
        db = Database.open(
            path,
            site_key=site_key,
            argon2_params=argon2_params,
            quick_check=quick_check,
            read_only=read_only,
            anchor_file=anchor_file,
        )
        return cls(db)

    def close(self) -> None:
        """Checkpoint the write-ahead log (under the write lock) and close the connection."""
        self._db.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def path(self) -> str:
        """The database file (``":memory:"`` for tests)."""
        return self._db.path

    @property
    def read_only(self) -> bool:
        """Whether the registry was opened read-only."""
        return self._db.read_only

    @property
    def sqlite_version(self) -> str:
        """The SQLite library version in use."""
        return self._db.sqlite_version

    @property
    def sqlite_affected(self) -> bool:
        """Whether that SQLite version has the WAL-reset bug (writes are serialised to avoid it)."""
        return self._db.sqlite_affected

    @property
    def sqlite_message(self) -> str:
        """A sentence about the SQLite version and the WAL-reset bug."""
        return self._db.sqlite_message

    @property
    def schema_version(self) -> list[str]:
        """Names of the applied migrations (the last one is the schema version)."""
        with self._db.read() as conn:
            return versions.applied_migrations(conn)

    @property
    def has_site_key(self) -> bool:
        """Whether identifying columns are encrypted and the audit chain is keyed."""
        return self._db.key is not None

    # ---------------------------------------------------------------- internals used by io/backup and the tests
    @property
    def _conn(self) -> sqlite3.Connection:
        return self._db.conn

    @property
    def _key(self) -> SiteKey | None:
        return self._db.key

    @property
    def _ctx(self) -> tuple[int | None, str | None, str | None]:
        return self._db.ctx

    @_ctx.setter
    def _ctx(self, value: tuple[int | None, str | None, str | None]) -> None:
        self._db.ctx = value

    def _read(self) -> Any:
        return self._db.read()

    def _tx(self, by: User | None, reason: str | None = None, *, roles: frozenset[str] = WRITE_ROLES) -> Any:
        return self._db.tx(by, reason, roles=roles)

    def _get_setting(self, key: str) -> Any:
        return self._db.get_setting_raw(key)

    # ------------------------------------------------------------------------------------------- transactions
    @contextmanager
    def transaction(self, *, by: User, reason: str | None = None) -> Iterator[Registry]:
        """Group several writes into one all-or-nothing transaction (e.g. imaging + features + prediction).

        Writes made inside the block join it (each in its own savepoint); an exception leaving the block rolls
        all of them back.  ``by`` must be signed in (admin, clinician or coordinator); ``reason`` is passed to every
        write inside that gives none.
        """
        with self._db.tx(by, reason):
            yield self

    def checkpoint(self, mode: str = "PASSIVE") -> tuple[int, int, int]:
        """Run a WAL checkpoint under the write lock; returns SQLite's (busy, log pages, checkpointed pages)."""
        return self._db.checkpoint(mode)

    def quick_check(self) -> list[str]:
        """Run ``PRAGMA quick_check`` (the start-up check; seconds on a large registry: run it off the GUI thread)."""
        return self._db.quick_check()

    # ------------------------------------------------------------------------------------------------ users
    def add_user(self, username: str, password: str, role: str, *, by: User | None) -> User:
        """Create a user (see :meth:`Users.add_user <hsp_desktop.registry.users.Users.add_user>`)."""
        return self._users.add_user(username, password, role, by=by)

    def authenticate(self, username: str, password: str) -> User:
        """Sign in: check a password and return the session :class:`User` (see ``Users.authenticate``)."""
        return self._users.authenticate(username, password)

    def sign_out(self, user: User) -> None:
        """End a session (sign-out, idle lock): writes with that ``User`` are refused afterwards."""
        self._users.sign_out(user)

    def unlock_user(self, username: str, *, by: User) -> None:
        """Unlock a locked account (administrators)."""
        self._users.unlock_user(username, by=by)

    def set_password(self, username: str, password: str, *, by: User) -> None:
        """Set a user's password (administrators, or the user for their own account)."""
        self._users.set_password(username, password, by=by)

    def set_user_active(self, username: str, active: bool, *, by: User, reason: str) -> None:
        """Deactivate or reactivate an account (users are never deleted: the audit trail refers to them)."""
        self._users.set_user_active(username, active, by=by, reason=reason)

    def users(self) -> list[dict[str, Any]]:
        """Return every user (without password hashes)."""
        return self._users.users()

    # --------------------------------------------------------------------------------------------- settings
    def get_setting(self, key: str) -> Any:
        """Return a setting (site_name, language, outcome_definition, followup_windows, backup_keep, ...)."""
        return self._settings.get_setting(key)

    def settings(self) -> dict[str, Any]:
        """Return every setting with its current value."""
        return self._settings.settings()

    def set_setting(self, key: str, value: Any, *, by: User, reason: str | None = None) -> None:
        """Change a setting (administrators).  Changing the outcome definition re-derives every outcome."""
        self._settings.set_setting(key, value, by=by, reason=reason)

    # ----------------------------------------------------------------------------------------- recipients
    def add_recipient(self, record: Mapping[str, Any], *, by: User, confirm_units: bool = False) -> str:
        """Validate and enrol one recipient in one transaction; returns the study id (see ``Recipients``)."""
        return self._recipients.add_recipient(record, by=by, confirm_units=confirm_units)

    def get_recipient(self, study_id: str) -> dict[str, Any]:
        """Return one recipient: identity, enrolment, pre-operative values, as-entered units, status."""
        return self._recipients.get_recipient(study_id)

    def find_by_mrn(self, mrn: str) -> str | None:
        """Return the study id registered with this MRN (keyed HMAC look-up; needs the site key)."""
        return self._recipients.find_by_mrn(mrn)

    def update_preop(
        self,
        study_id: str,
        values: Mapping[str, Any],
        *,
        by: User,
        reason: str | None = None,
        confirm_units: bool = False,
    ) -> dict[str, Any]:
        """Change pre-operative, identity or enrolment fields; returns ``{name: (old, new)}``."""
        return self._recipients.update_preop(
            study_id, values, by=by, reason=reason, confirm_units=confirm_units
        )

    def lock_recipient(self, study_id: str, *, by: User, reason: str, locked: bool = True) -> None:
        """Lock (or unlock) a recipient's record: later edits need a reason for change (clinicians, admins)."""
        self._recipients.lock_recipient(study_id, by=by, reason=reason, locked=locked)

    # -------------------------------------------------------------------------------- imaging, features, scores
    def add_imaging_study(
        self,
        study_id: str,
        *,
        ct_path: str | Path,
        mask_path: str | Path | None,
        ct_sha256: str,
        mask_sha256: str | None,
        qc_report: Any,
        by: User,
    ) -> int:
        """Record an imaging study (file references, SHA-256 of each file, the QC report); returns its id."""
        return self._scoring.add_imaging_study(
            study_id,
            ct_path=ct_path,
            mask_path=mask_path,
            ct_sha256=ct_sha256,
            mask_sha256=mask_sha256,
            qc_report=qc_report,
            by=by,
        )

    def imaging_studies(self, study_id: str) -> list[dict[str, Any]]:
        """Return a recipient's imaging studies, oldest first."""
        return self._scoring.imaging_studies(study_id)

    def save_features(
        self,
        study_id: str,
        imaging_id: int,
        features: Mapping[str, Any],
        settings: Any,
        engine: str,
        *,
        by: User,
    ) -> int:
        """Store a feature vector with its extraction settings and engine version; returns its id."""
        return self._scoring.save_features(study_id, imaging_id, features, settings, engine, by=by)

    def features(self, study_id: str) -> list[dict[str, Any]]:
        """Return a recipient's stored feature vectors, oldest first."""
        return self._scoring.features(study_id)

    def save_prediction(self, study_id: str, prediction: Any, *, by: User) -> int:
        """Store a prediction (immutable afterwards); returns its id (see ``Scoring.save_prediction``)."""
        return self._scoring.save_prediction(study_id, prediction, by=by)

    def predictions(self, study_id: str) -> list[dict[str, Any]]:
        """Return a recipient's predictions, oldest first (each with its full ``output``)."""
        return self._scoring.predictions(study_id)

    def log_federated_message(self, entry: Mapping[str, Any]) -> int:
        """Record one message this site sent to a federation coordinator (sizes and shapes only)."""
        return self._scoring.log_federated_message(entry)

    def federated_messages(self) -> list[dict[str, Any]]:
        """Every federation message this site logged, oldest first."""
        return self._scoring.federated_messages()

    def log_dicom_transfer(self, entry: Mapping[str, Any], *, by: User) -> int:
        """Record one DICOM query, retrieve or send to a PACS node (audited, immutable)."""
        return self._transfers.log_dicom_transfer(entry, by=by)

    def dicom_transfers(self, study_id: str | None = None) -> list[dict[str, Any]]:
        """Logged DICOM operations, oldest first (optionally of one recipient)."""
        return self._transfers.dicom_transfers(study_id)

    # ---------------------------------------------------------------------------------------------- follow-up
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
        """Record one dated follow-up visit (CONTRACTS section B), re-derive the outcome; returns the visit id."""
        return self._followup.add_followup(
            study_id, visit, by=by, reason=reason, confirm_units=confirm_units, today=today
        )

    def update_followup(
        self, followup_id: int, values: Mapping[str, Any], *, by: User, reason: str | None = None
    ) -> None:
        """Correct a follow-up visit (a reason is required once the recipient is scored or locked)."""
        self._followup.update_followup(followup_id, values, by=by, reason=reason)

    def delete_followup(self, followup_id: int, *, by: User, reason: str) -> None:
        """Delete a follow-up visit entered in error (a reason is always required; the audit keeps it)."""
        self._followup.delete_followup(followup_id, by=by, reason=reason)

    def followups(self, study_id: str) -> list[dict[str, Any]]:
        """Return a recipient's follow-up visits in date order."""
        return self._followup.followups(study_id)

    def schedule(self, study_id: str, today: dt.date | None = None) -> list[dict[str, Any]]:
        """Return the state of each scheduled visit (day 30/90/180 windows) of one recipient on ``today``."""
        return self._followup.schedule(study_id, today)

    def followups_due(self, today: dt.date | str | None = None) -> list[dict[str, Any]]:
        """Return every due or overdue visit on ``today`` for recipients still in follow-up."""
        return self._followup.followups_due(today)

    def worklist(
        self,
        search: str | None = None,
        status: str | None = None,
        *,
        limit: int | None = 500,
        offset: int = 0,
        today: dt.date | None = None,
    ) -> list[dict[str, Any]]:
        """Return the worklist: one row per recipient with status, latest risk, next visit and outcome."""
        return self._followup.worklist(search, status, limit=limit, offset=offset, today=today)

    def count(self, status: str | None = None) -> int:
        """Return how many recipients there are (optionally with one status)."""
        return self._followup.count(status)

    # ------------------------------------------------------------------------------------------------ outcome
    def outcome(self, study_id: str) -> dict[str, Any]:
        """Return the stored outcome (status 1/0/"pending"/"competing", definition id, flags, reasons, secondary)."""
        return self._outcomes.outcome(study_id)

    def refresh_outcomes(self, *, by: User, today: dt.date | None = None) -> int:
        """Re-derive every outcome on ``today`` (e.g. daily, as windows close); returns how many changed status."""
        return self._outcomes.refresh_outcomes(by=by, today=today)

    # -------------------------------------------------------------------------------------------------- audit
    def audit_head(self) -> anchor.Head:
        """The audit chain's head (registry id, last entry, its hash): print ``head.short()`` on reports."""
        with self._db.read() as conn:
            return anchor.current(conn, self._db.registry_id)

    def audit_log(
        self, limit: int = 200, table: str | None = None, *, row_key: str | None = None
    ) -> list[dict[str, Any]]:
        """Return the newest audit entries (password hashes redacted)."""
        with self._db.read() as conn:
            return audit_mod.audit_log(conn, limit, table, row_key=row_key)

    def verify(self, *, raise_on_error: bool = False) -> audit_mod.VerifyReport:
        """Check integrity, the audit triggers, the hash chain and every row against it.

        See :mod:`hsp_desktop.registry.audit` for what is and is not detected.

        Raises
        ------
        TamperError
            With ``raise_on_error=True`` when anything was found.
        """
        with self._db.read() as conn:
            try:
                report = audit_mod.verify(conn, self._db.audit_key)
            except sqlite3.DatabaseError as exc:
                report = audit_mod.VerifyReport(keyed=self._db.key is not None)
                report.add(f"the database cannot be read: {exc} (damaged file or schema)")
                return self._raise_or(report, raise_on_error)
            if self._db.anchor_path is not None:
                for problem in self._db.anchor_problems or anchor.check(
                    conn, self._db.anchor_path, self._db.audit_key, self._db.registry_id
                ):
                    report.add(problem)
        return self._raise_or(report, raise_on_error)

    @staticmethod
    def _raise_or(report: audit_mod.VerifyReport, raise_on_error: bool) -> audit_mod.VerifyReport:
        if raise_on_error and not report.ok:
            raise TamperError(
                f"The registry failed verification ({len(report.problems)} finding(s)): "
                + report.problems[0],
                expected="an unbroken audit chain matching every row",
                found="; ".join(report.problems[:3]),
                fix="restore the latest good backup (`hsp registry restore`) and report the incident",
            )
        return report

    # --------------------------------------------------------------------------- import, export, backup (modules)
    def import_csv(self, path: Path | str, *, by: User, confirm_units: bool = False) -> ImportReport:
        """Import a retrospective cohort (clinical.csv) all-or-nothing (see ``io.import_recipients_csv``)."""
        from hsp_desktop.registry.io import import_recipients_csv

        return import_recipients_csv(self, Path(path), by=by, confirm_units=confirm_units)

    def import_clinical(
        self,
        clinical: Path | str,
        followup: Path | str | None = None,
        *,
        by: User,
        confirm_units: bool = False,
    ) -> list[ImportReport]:
        """Import clinical.csv and optionally followup.csv all-or-nothing across both files."""
        from hsp_desktop.registry.io import import_clinical_and_followup

        return import_clinical_and_followup(
            self, Path(clinical), Path(followup) if followup else None, by=by, confirm_units=confirm_units
        )

    def import_followup_csv(self, path: Path | str, *, by: User, confirm_units: bool = False) -> ImportReport:
        """Import follow-up visits (followup.csv) all-or-nothing (see ``io.import_followups_csv``)."""
        from hsp_desktop.registry.io import import_followups_csv

        return import_followups_csv(self, Path(path), by=by, confirm_units=confirm_units)

    def export(self, folder: Path | str, *, deidentified: bool = True, by: User | None = None) -> list[Path]:
        """Export data + data dictionary in a REDCap layout; ``by`` must be signed in (see ``export.export_redcap``)."""
        from hsp_desktop.registry.export import export_redcap

        return export_redcap(self, Path(folder), deidentified=deidentified, by=by)

    def exports(self) -> list[dict[str, Any]]:
        """Return the export log (who exported what, when, de-identified or not), newest first."""
        from hsp_desktop.registry.export import export_log

        with self._db.read() as conn:
            return export_log(conn)

    def backup(self, folder: Path | str, *, keep: int | None = None) -> Path:
        """Write a checked, timestamped online backup to ``folder`` and rotate old ones (see ``backup.backup``)."""
        from hsp_desktop.registry.backup import backup

        return backup(self, Path(folder), keep=keep)

    @staticmethod
    def restore(
        backup: Path | str,
        target: Path | str,
        *,
        site_key: bytes | None = None,
        by: User | None = None,
        username: str | None = None,
        password: str | None = None,
        anchor_file: Path | str | None = None,
        argon2_params: Argon2Params | None = None,
    ) -> Path:
        """Check a backup and atomically replace ``target`` with it: an administrator's act, audited.

        ``by`` is an administrator signed in to the live registry (or ``username``/``password`` of one in the
        backup when ``target`` does not exist); empty, foreign or damaged backups are refused (see
        ``backup.restore``).
        """
        from hsp_desktop.registry.backup import restore

        return restore(
            Path(backup),
            Path(target),
            site_key=site_key,
            by=by,
            username=username,
            password=password,
            anchor_file=Path(anchor_file) if anchor_file is not None else None,
            argon2_params=argon2_params,
        )

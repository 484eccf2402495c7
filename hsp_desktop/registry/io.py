"""CSV import (all-or-nothing, every rejected cell reported); the export is in :mod:`hsp_desktop.registry.export`.

Import
    The whole file is read and validated against the data dictionary first; every problem becomes a
    :class:`~hsp_desktop.registry.models.Rejection` naming the spreadsheet row (the header is row 1), the column,
    the value and the reason.  Only a file without a single rejection is written, in batches of :data:`BATCH_ROWS`
    rows (the write lock is released between batches, so sign-in elsewhere is never starved); a failure while
    writing (a database constraint, a full disk) removes the earlier batches again (audited) and is reported the
    same way.  Files are streamed and capped at :data:`MAX_ROWS` data rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import sqlite3
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hsp_desktop.errors import FileFormatError, RegistryError
from hsp_desktop.registry.models import ImportReport, Rejection, User

if TYPE_CHECKING:
    from hsp_desktop.registry.core import Registry

#: Columns an import accepts besides the dictionary's variables and their ``<name>_unit`` columns.
IDENTIFIER_COLUMNS = ("mrn", "name")
#: Data rows one import file may hold.  A ward registry imports a few hundred recipients and a few thousand visits;
#: the cap bounds the import's memory and the time it holds the write lock (about 10 s for 10,000 recipients, so
#: sign-in elsewhere waits, within its 60 s, instead of failing).
MAX_ROWS = 50_000
#: Rows written per transaction: the write lock is released between batches, so sign-in and other writes wait for
#: one batch (well under a second) instead of the whole import.  A failure part-way removes the earlier batches
#: again (audited), so an import stays all-or-nothing.
BATCH_ROWS = 500
#: Pause after each batch: longer than the 50 ms a waiting writer sleeps between tries for the write lock.
PAUSE_S = 0.08


class _Abort(Exception):
    """Raised inside the import transaction to roll it back."""


def _read_table(path: Path, report: ImportReport) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Return (header, [(spreadsheet row, cells)]); file-level problems go into ``report``.

    The file is read as a stream and reading stops at :data:`MAX_ROWS` data rows, so memory is bounded by the cap
    and not by the file's size (a 200 MB file is refused after reading ``MAX_ROWS + 1`` rows, in about a second).
    """
    try:
        fh = open(path, encoding="utf-8-sig", newline="", errors="strict")
    except OSError as exc:
        raise FileFormatError(
            f"Cannot read {path}",
            expected="an existing CSV file",
            found=type(exc).__name__,
            fix="check the path",
            field=str(path),
        ) from exc
    rows: list[tuple[int, list[str]]] = []
    header: list[str] = []
    header_line = 1
    with fh:
        reader = csv.reader(_no_nul(fh), strict=True)
        try:
            for cells in reader:
                line = reader.line_num
                if not any(c.strip() for c in cells):
                    continue
                if not header:
                    header = [c.strip() for c in cells]
                    header_line = line
                    continue
                if len(rows) >= MAX_ROWS:
                    report.rejected.append(
                        Rejection(
                            line,
                            "(file)",
                            None,
                            f"more than {MAX_ROWS} data rows",
                            f"split the file into parts of at most {MAX_ROWS} rows and import them one by one",
                        )
                    )
                    return [], []
                rows.append((line, cells))
        except UnicodeDecodeError as exc:
            report.rejected.append(
                Rejection(
                    _first_bad_line(path),
                    "(file)",
                    None,
                    f"not UTF-8 text ({exc.reason})",
                    "save the file as CSV UTF-8",
                )
            )
            return [], []
        except _NulError:
            report.rejected.append(
                Rejection(
                    reader.line_num + 1, "(file)", None, "contains NUL characters", "save the file as CSV"
                )
            )
            return [], []
        except csv.Error as exc:
            report.rejected.append(
                Rejection(reader.line_num, "(file)", None, f"malformed CSV: {exc}", "fix quoting")
            )
            return [], []
    if not header:
        report.rejected.append(Rejection(1, "(header)", None, "the file has no header row", "add the header"))
        return [], []
    seen: set[str] = set()
    for name in header:
        if name in seen:
            report.rejected.append(Rejection(header_line, name, name, "column appears twice", "keep one"))
        seen.add(name)
    for line, cells in rows:
        if len(cells) != len(header):
            report.rejected.append(
                Rejection(
                    line,
                    "(row)",
                    None,
                    f"has {len(cells)} cells but the header has {len(header)}",
                    "check for missing or extra separators / unquoted commas",
                )
            )
    return header, rows


def _first_bad_line(path: Path) -> int:
    """The first line (1-based) that is not valid UTF-8, read line by line in binary (the decoder works in chunks)."""
    with open(path, "rb") as fh:
        for n, raw in enumerate(fh, 1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return n
    return 1


class _NulError(Exception):
    """A NUL character in the file (the csv module would otherwise stop with an unclear error)."""


def _no_nul(lines: Iterator[str]) -> Iterator[str]:
    for text in lines:
        if "\x00" in text:
            raise _NulError
        yield text


def _records(
    header: Sequence[str], rows: Sequence[tuple[int, list[str]]], keep: set[str]
) -> Iterator[tuple[int, dict[str, str]]]:
    for line, cells in rows:
        if len(cells) != len(header):
            continue
        yield line, {h: c for h, c in zip(header, cells, strict=True) if h in keep}


def import_recipients_csv(
    reg: Registry, path: Path, *, by: User, confirm_units: bool = False
) -> ImportReport:
    """Import ``clinical.csv`` (CONTRACTS section A, one recipient per row) all-or-nothing.

    Parameters
    ----------
    reg : Registry
        The registry.
    path : Path
        The CSV file (UTF-8, header row of dictionary names; ``<name>_unit`` columns and ``mrn``/``name`` allowed).
    by : User
        The signed-in user (admin, clinician or coordinator).
    confirm_units : bool
        Convert suspected unit traps (each conversion is listed in the report).

    Returns
    -------
    ImportReport
        ``ok`` True and every row imported, or ``ok`` False with every rejected cell and nothing written.
    """
    from hsp_desktop.clinical.dictionary import UNSAFE_TEXT, VARIABLES, validate_record

    report = ImportReport(path=str(path))
    header, rows = _read_table(path, report)
    report.rows = len(rows)
    allowed = set(VARIABLES) | {f"{v}_unit" for v in VARIABLES} | set(IDENTIFIER_COLUMNS)
    for name in header:
        if name not in allowed:
            import difflib

            close = difflib.get_close_matches(name, list(VARIABLES), n=1)
            report.rejected.append(
                Rejection(
                    1,
                    name,
                    name,
                    "unknown column (not in the data dictionary)",
                    f"did you mean '{close[0]}'?"
                    if close
                    else "remove the column or rename it to a dictionary name",
                )
            )
    if header and "study_id" not in header:
        report.rejected.append(Rejection(1, "study_id", None, "the study_id column is missing", "add it"))
    if not header or any(r.column in ("(file)", "(header)") for r in report.rejected):
        return report
    prepared: list[tuple[int, dict[str, Any], dict[str, Any], Any, dict[str, str]]] = []
    ids: dict[str, int] = {}
    folded: dict[str, int] = {}
    mrns: dict[str, int] = {}
    key = reg._db.key
    for line, rec in _records(header, rows, allowed):
        clinical = {k: v for k, v in rec.items() if k not in IDENTIFIER_COLUMNS}
        validated = validate_record(clinical, confirm_units=confirm_units, row=line)
        for p in validated.problems:
            report.rejected.append(Rejection(line, p.field, p.value, p.reason, p.fix))
        for w in validated.warnings:
            report.warnings.append(f"row {line}, {w.field}: {w.reason}")
        for c in validated.conversions:
            report.conversions.append(f"row {line}: {c}")
        sid = validated.values.get("study_id")
        if sid:
            if sid.casefold() in folded:
                report.rejected.append(
                    Rejection(
                        line,
                        "study_id",
                        sid,
                        f"duplicate of row {folded[sid.casefold()]}",
                        "each recipient once",
                    )
                )
            folded.setdefault(sid.casefold(), line)
            ids.setdefault(sid, line)
        ident = {k: rec.get(k, "") for k in IDENTIFIER_COLUMNS}
        for col in IDENTIFIER_COLUMNS:
            if UNSAFE_TEXT.search(ident[col]):
                report.rejected.append(
                    Rejection(
                        line, col, "***", "contains invisible or direction-changing characters", "retype it"
                    )
                )
            if ident[col].strip() and key is None:
                report.rejected.append(
                    Rejection(
                        line,
                        col,
                        "***",
                        "names and MRNs are stored only with a site key",
                        "open the registry with its site key, or remove the column",
                    )
                )
        if ident["mrn"].strip() and key is not None:
            digest = key.mrn_hmac(ident["mrn"])
            if digest in mrns:
                report.rejected.append(
                    Rejection(line, "mrn", "***", f"same MRN as row {mrns[digest]}", "each recipient once")
                )
            mrns.setdefault(digest, line)
        prepared.append((line, clinical, validated.values, validated, ident))
    with reg._db.read() as conn:
        for sid, line in ids.items():
            other = conn.execute(
                "SELECT study_id FROM recipients WHERE study_id = ? COLLATE NOCASE", (sid,)
            ).fetchone()
            if other:
                report.rejected.append(
                    Rejection(
                        line, "study_id", sid, f"already in the registry as {other[0]}", "remove the row"
                    )
                )
        if key is not None and mrns:
            for digest in _existing(conn, "recipients", "mrn_hmac", list(mrns)):
                report.rejected.append(
                    Rejection(mrns[digest], "mrn", "***", "MRN already registered", "remove the row")
                )
    if report.rejected:
        report.rejected.sort(key=lambda r: (r.row, r.column))
        return report
    today = dt.date.today()
    written: list[str] = []
    try:
        for start in range(0, len(prepared), BATCH_ROWS):
            with reg._db.tx(by, f"import {path.name}") as conn:
                for line, clinical, values, validated, ident in prepared[start : start + BATCH_ROWS]:
                    try:
                        identity = reg._recipients.identity(ident, values["study_id"])
                        eligible, reasons = reg._recipients.insert_recipient(
                            conn, values, identity, reg._recipients.entered(clinical, validated)
                        )
                        reg._outcomes.derive(values["study_id"], today)
                    except (sqlite3.IntegrityError, RegistryError) as exc:
                        report.rejected.append(
                            Rejection(line, "(row)", values.get("study_id"), str(exc), "fix the row")
                        )
                        raise _Abort from exc
                    if not eligible:
                        report.excluded.append(f"{values['study_id']}: {'; '.join(reasons)}")
            written += [values["study_id"] for _, _, values, _, _ in prepared[start : start + BATCH_ROWS]]
            _yield_lock(start, len(prepared))
    except BaseException as exc:
        if written:
            undo_recipients(reg, written, by=by, reason=f"import {path.name} failed: rolled back")
        report.excluded.clear()
        if isinstance(exc, _Abort):
            return report
        raise
    report.ok = True
    report.imported = len(prepared)
    report.written = written
    return report


def _yield_lock(start: int, total: int) -> None:
    """Pause between batches so that the write lock goes to a waiting sign-in or save, not back to the import.

    The lock is not fair: without the pause the import would take it again before a waiter's next try.
    """
    if start + BATCH_ROWS < total:
        time.sleep(PAUSE_S)


def undo_recipients(reg: Registry, study_ids: Sequence[str], *, by: User, reason: str) -> None:
    """Delete recipients an import wrote in earlier batches (audited, with ``reason``), children first.

    Only rows the import itself created are touched; a recipient scored meanwhile (an immutable prediction refers
    to it) cannot be deleted and is reported.
    """
    for start in range(0, len(study_ids), BATCH_ROWS):
        chunk = list(study_ids[start : start + BATCH_ROWS])
        marks = ", ".join("?" * len(chunk))
        try:
            with reg._db.tx(by, reason) as conn:
                for table in ("outcomes", "followups", "preop", "enrolment", "recipients"):
                    conn.execute(f"DELETE FROM {table} WHERE study_id IN ({marks})", chunk)
        except sqlite3.IntegrityError as exc:
            raise RegistryError(
                "The failed import could not be rolled back completely",
                expected="no other use of the imported recipients before the rollback",
                found=str(exc),
                fix="check the worklist for the recipients of this file and correct them by hand",
            ) from exc


def undo_visits(
    reg: Registry, visit_ids: Sequence[int], study_ids: set[str], *, by: User, reason: str
) -> None:
    """Delete follow-up visits an import wrote in earlier batches and re-derive those recipients' outcomes."""
    today = dt.date.today()
    with reg._db.tx(by, reason) as conn:
        for start in range(0, len(visit_ids), BATCH_ROWS):
            chunk = list(visit_ids[start : start + BATCH_ROWS])
            conn.execute(f"DELETE FROM followups WHERE id IN ({', '.join('?' * len(chunk))})", chunk)
        for sid in sorted(study_ids):
            reg._outcomes.derive(sid, today)


def _existing(conn: sqlite3.Connection, table: str, column: str, values: list[str]) -> list[str]:
    out: list[str] = []
    for i in range(0, len(values), 500):
        chunk = values[i : i + 500]
        out += [
            r[0]
            for r in conn.execute(
                f"SELECT {column} FROM {table} WHERE {column} IN ({', '.join('?' * len(chunk))})", chunk
            )
        ]
    return out


def import_followups_csv(reg: Registry, path: Path, *, by: User, confirm_units: bool = False) -> ImportReport:
    """Import ``followup.csv`` (CONTRACTS section B, one dated visit per row) all-or-nothing.

    Each visit is validated against the dictionary and its recipient's transplant date (``day`` is computed or
    checked); outcomes of the recipients concerned are re-derived once, in the same transaction.

    Returns
    -------
    ImportReport
    """
    from hsp_desktop.clinical.dictionary import FOLLOWUP_VARIABLES, validate_visit

    report = ImportReport(path=str(path))
    header, rows = _read_table(path, report)
    report.rows = len(rows)
    allowed = set(FOLLOWUP_VARIABLES) | {f"{v}_unit" for v in FOLLOWUP_VARIABLES}
    for name in header:
        if name not in allowed:
            report.rejected.append(Rejection(1, name, name, "unknown column", "remove or rename the column"))
    for needed in ("study_id", "date"):
        if header and needed not in header:
            report.rejected.append(Rejection(1, needed, None, f"the {needed} column is missing", "add it"))
    if not header or any(r.row == 1 or r.column in ("(file)",) for r in report.rejected):
        return report
    records = list(_records(header, rows, allowed))
    wanted = sorted({r.get("study_id", "").strip() for _, r in records if r.get("study_id", "").strip()})
    with reg._db.read() as conn:
        tx: dict[str, str | None] = {}
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            tx.update(
                conn.execute(
                    f"SELECT study_id, transplant_date FROM recipients WHERE study_id IN ({', '.join('?' * len(chunk))})",
                    chunk,
                ).fetchall()
            )
    prepared: list[tuple[int, str, dict[str, Any]]] = []
    visit_dates: dict[tuple[str, str], int | str] = {}
    with reg._db.read() as conn:
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            for sid, date in conn.execute(
                f"SELECT study_id, date FROM followups WHERE study_id IN ({', '.join('?' * len(chunk))})",
                chunk,
            ):
                visit_dates[(sid, date)] = "already in the registry"
    for line, rec in records:
        sid = rec.get("study_id", "").strip()
        if sid and sid not in tx:
            report.rejected.append(
                Rejection(line, "study_id", sid, "no such recipient in the registry", "enrol first")
            )
            continue
        if sid and tx[sid] is None:
            report.rejected.append(
                Rejection(line, "study_id", sid, "recipient has no transplant date", "enter it")
            )
            continue
        validated = validate_visit(rec, transplant_date=tx.get(sid), confirm_units=confirm_units, row=line)
        for p in validated.problems:
            report.rejected.append(Rejection(line, p.field, p.value, p.reason, p.fix))
        for w in validated.warnings:
            report.warnings.append(f"row {line}, {w.field}: {w.reason}")
        for c in validated.conversions:
            report.conversions.append(f"row {line}: {c}")
        prepared.append((line, sid, dict(validated.values)))
        date = validated.values.get("date")
        if sid and date:
            if (sid, date) in visit_dates:
                report.warnings.append(
                    f"row {line}: a second visit of {sid} on {date} (row {visit_dates[(sid, date)]})"
                )
            visit_dates.setdefault((sid, date), line)
    if report.rejected:
        report.rejected.sort(key=lambda r: (r.row, r.column))
        return report
    today = dt.date.today()
    visit_ids: list[int] = []
    touched: set[str] = set()
    try:
        for start in range(0, len(prepared), BATCH_ROWS):
            batch = prepared[start : start + BATCH_ROWS]
            with reg._db.tx(by, f"import {path.name}") as conn:
                ids = []
                for line, sid, values in batch:
                    try:
                        ids.append(reg._followup.insert_visit(conn, sid, values))
                    except sqlite3.IntegrityError as exc:
                        report.rejected.append(Rejection(line, "(row)", sid, str(exc), "fix the row"))
                        raise _Abort from exc
                for sid in sorted({sid for _, sid, _ in batch}):
                    reg._outcomes.derive(sid, today)
            visit_ids += ids
            touched |= {sid for _, sid, _ in batch}
            _yield_lock(start, len(prepared))
    except BaseException as exc:
        if visit_ids:
            undo_visits(reg, visit_ids, touched, by=by, reason=f"import {path.name} failed: rolled back")
        if isinstance(exc, _Abort):
            return report
        raise
    report.ok = True
    report.imported = len(prepared)
    return report


def import_clinical_and_followup(
    reg: Registry, clinical: Path, followup: Path | None, *, by: User, confirm_units: bool = False
) -> list[ImportReport]:
    """Import ``clinical.csv`` and (optionally) ``followup.csv`` all-or-nothing across both files.

    When the follow-up file has a single rejected cell, the recipients of the first file are removed again
    (audited, reason "... rolled back"), and the first report says so.  Both files are written in batches of
    :data:`BATCH_ROWS` rows, so sign-in and other writes proceed between batches.

    Returns
    -------
    list of ImportReport
        One report per file (the second absent when the first failed).
    """
    reports = [import_recipients_csv(reg, clinical, by=by, confirm_units=confirm_units)]
    if not reports[0].ok or followup is None:
        return reports
    try:
        reports.append(import_followups_csv(reg, followup, by=by, confirm_units=confirm_units))
    finally:
        if len(reports) == 1 or not reports[1].ok:
            first = reports[0]
            undo_recipients(
                reg,
                first.written,
                by=by,
                reason=f"import {followup.name} rejected: rolled back",
            )
            first.ok, first.imported = False, 0
            first.excluded.clear()
            first.warnings.append(f"rolled back: nothing imported because {followup} was rejected")
    return reports

"""CSV import (all-or-nothing, every rejected cell reported) and REDCap-compatible export.

Import
    The whole file is read and validated against the data dictionary first; every problem becomes a
    :class:`~hsp_desktop.registry.models.Rejection` naming the spreadsheet row (the header is row 1), the column,
    the value and the reason.  Only a file without a single rejection is written, in one transaction; a failure
    while writing (a database constraint, a full disk) rolls everything back and is reported the same way.

Export
    ``records.csv`` in REDCap's flat layout with repeating instruments (``record_id``,
    ``redcap_repeat_instrument``, ``redcap_repeat_instance``; one base row per recipient, one row per follow-up visit
    and per prediction), ``data_dictionary.csv`` in REDCap's data-dictionary format, ``repeating_instruments.csv``
    and ``manifest.json`` (SHA-256 of each file).  De-identified by default: no name or MRN, no calendar dates
    (days relative to transplantation instead), no free-text notes.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hsp_desktop import __version__
from hsp_desktop.errors import AuthError, FileFormatError, RegistryError
from hsp_desktop.registry.fields import FOLLOWUP_NAMES, PREOP_NAMES
from hsp_desktop.registry.models import CLINICAL_ROLES, ImportReport, Rejection, User

if TYPE_CHECKING:
    from hsp_desktop.registry.core import Registry

#: Columns an import accepts besides the dictionary's variables and their ``<name>_unit`` columns.
IDENTIFIER_COLUMNS = ("mrn", "name")
_MAX_BYTES = 200 * 1024 * 1024


class _Abort(Exception):
    """Raised inside the import transaction to roll it back."""


def _read_table(path: Path, report: ImportReport) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Return (header, [(spreadsheet row, cells)]); file-level problems go into ``report``."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise FileFormatError(
            f"Cannot read {path}",
            expected="an existing CSV file",
            found=type(exc).__name__,
            fix="check the path",
            field=str(path),
        ) from exc
    if size > _MAX_BYTES:
        raise FileFormatError(
            f"{path} is too large to import at once",
            expected=f"at most {_MAX_BYTES // 2**20} MiB",
            found=f"{size / 2**20:.0f} MiB",
            fix="split the file",
            field=str(path),
        )
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        report.rejected.append(
            Rejection(
                line, "(file)", None, f"not UTF-8 text (byte {exc.start})", "save the file as CSV UTF-8"
            )
        )
        return [], []
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        report.rejected.append(
            Rejection(line, "(file)", None, "contains NUL characters", "save the file as CSV")
        )
        return [], []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[int, list[str]]] = []
    header: list[str] = []
    try:
        for cells in reader:
            line = reader.line_num
            if not header:
                if not any(c.strip() for c in cells):
                    continue
                header = [c.strip() for c in cells]
                header_line = line
                continue
            if not any(c.strip() for c in cells):
                continue
            rows.append((line, cells))
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
    from hsp_desktop.clinical.dictionary import VARIABLES, validate_record

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
            if sid in ids:
                report.rejected.append(
                    Rejection(line, "study_id", sid, f"duplicate of row {ids[sid]}", "each recipient once")
                )
            ids.setdefault(sid, line)
        ident = {k: rec.get(k, "") for k in IDENTIFIER_COLUMNS}
        for col in IDENTIFIER_COLUMNS:
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
        existing = _existing(conn, "recipients", "study_id", list(ids))
        for sid in existing:
            report.rejected.append(
                Rejection(ids[sid], "study_id", sid, "already in the registry", "remove the row")
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
    try:
        with reg._db.tx(by, f"import {path.name}") as conn:
            for line, clinical, values, validated, ident in prepared:
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
    except _Abort:
        report.excluded.clear()
        return report
    report.ok = True
    report.imported = len(prepared)
    return report


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
    if report.rejected:
        report.rejected.sort(key=lambda r: (r.row, r.column))
        return report
    today = dt.date.today()
    try:
        with reg._db.tx(by, f"import {path.name}") as conn:
            for line, sid, values in prepared:
                try:
                    reg._followup.insert_visit(conn, sid, values)
                except sqlite3.IntegrityError as exc:
                    report.rejected.append(Rejection(line, "(row)", sid, str(exc), "fix the row"))
                    raise _Abort from exc
            for sid in sorted({sid for _, sid, _ in prepared}):
                reg._outcomes.derive(sid, today)
    except _Abort:
        return report
    report.ok = True
    report.imported = len(prepared)
    return report


# ------------------------------------------------------------------------------------------------------ export
DICTIONARY_HEADER = (
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
)
_DATE_FIELDS = {"transplant_date", "ct_date", "fu_date", "outcome_as_of", "pred_created_at"}


def _field_rows(deidentified: bool) -> list[tuple[str, str, dict[str, Any]]]:
    """Return (field, form, spec) for every exported field; spec keys: type, label, choices, unit, valid, lo, hi."""
    from hsp_desktop.clinical.dictionary import FOLLOWUP_VARIABLES, VARIABLES

    def from_var(name: str, var: Any, export_name: str | None = None) -> dict[str, Any]:
        spec: dict[str, Any] = {"label": var.label_en, "unit": var.unit, "required": var.required}
        if var.type == "binary":
            spec["type"] = "yesno"
        elif var.type == "category":
            spec["type"] = "radio"
            spec["choices"] = " | ".join(f"{c}, {c}" for c in (var.choices or ()) if c != "")
        elif var.type == "date":
            spec.update(type="text", valid="date_ymd")
        elif var.type in ("int", "float"):
            spec.update(type="text", valid="integer" if var.type == "int" else "number")
            if var.range is not None:
                spec.update(lo=var.range[0], hi=var.range[1])
        elif name == "notes":
            spec["type"] = "notes"
        else:
            spec["type"] = "text"
        return spec

    out: list[tuple[str, str, dict[str, Any]]] = [
        ("record_id", "enrolment", {"type": "text", "label": "Study id (pseudonym)"})
    ]
    if not deidentified:
        out += [
            ("name", "identifiers", {"type": "text", "label": "Name", "identifier": True}),
            ("mrn", "identifiers", {"type": "text", "label": "Medical record number", "identifier": True}),
        ]
    for name in ("site", "cohort", "transplant_date", "ct_date", "consent"):
        if deidentified and name in _DATE_FIELDS:
            continue
        spec = from_var(name, VARIABLES[name])
        spec["identifier"] = name in _DATE_FIELDS
        out.append((name, "enrolment", spec))
    if deidentified:
        out.append(
            (
                "ct_day",
                "enrolment",
                {"type": "text", "valid": "integer", "label": "CT day relative to transplant"},
            )
        )
    from hsp_desktop.registry.versions import ELIGIBILITY_FLAGS

    for name in ELIGIBILITY_FLAGS:
        out.append((name, "enrolment", from_var(name, VARIABLES[name])))
    out.append(("eligible", "enrolment", {"type": "yesno", "label": "Eligible for the study"}))
    out.append(("exclusion_reasons", "enrolment", {"type": "notes", "label": "Exclusion reasons"}))
    for name in PREOP_NAMES:
        out.append((name, "preoperative", from_var(name, VARIABLES[name])))
    out += [
        ("outcome_status", "outcome", {"type": "radio", "label": "Refractory hypersplenism at 6 months",
                                       "choices": "1, Yes | 0, No | pending, Pending | competing, Competing event"}),
        ("outcome_definition_id", "outcome", {"type": "text", "label": "Outcome definition id"}),
        ("outcome_flags", "outcome", {"type": "notes", "label": "Outcome flags"}),
        ("outcome_reasons", "outcome", {"type": "notes", "label": "Outcome reasons"}),
    ]  # fmt: skip
    if not deidentified:
        out.append(("outcome_as_of", "outcome", {"type": "text", "valid": "date_ymd", "label": "Derived on"}))
    if not deidentified:
        out.append(
            (
                "fu_date",
                "followup",
                {"type": "text", "valid": "date_ymd", "label": "Visit date", "identifier": True},
            )
        )
    out.append(("fu_day", "followup", from_var("day", FOLLOWUP_VARIABLES["day"])))
    for name in FOLLOWUP_NAMES:
        if deidentified and name == "notes":
            continue
        out.append(("fu_" + name, "followup", from_var(name, FOLLOWUP_VARIABLES[name])))
    out += [
        ("pred_model_id", "prediction", {"type": "text", "label": "Model id"}),
        ("pred_manifest_sha256", "prediction", {"type": "text", "label": "Model manifest SHA-256"}),
        ("pred_input_sha256", "prediction", {"type": "text", "label": "Input SHA-256"}),
        ("pred_probability", "prediction", {"type": "text", "valid": "number", "label": "Predicted probability",
                                            "lo": 0, "hi": 1}),
        ("pred_ci_low", "prediction", {"type": "text", "valid": "number", "label": "95% CI low", "lo": 0, "hi": 1}),
        ("pred_ci_high", "prediction", {"type": "text", "valid": "number", "label": "95% CI high", "lo": 0, "hi": 1}),
        ("pred_band", "prediction", {"type": "radio", "label": "Risk band",
                                     "choices": "low, low | intermediate, intermediate | high, high"}),
        ("pred_app_version", "prediction", {"type": "text", "label": "Application version"}),
    ]  # fmt: skip
    if not deidentified:
        out.append(
            ("pred_created_at", "prediction", {"type": "text", "label": "Scored at", "identifier": True})
        )
    return out


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def export_redcap(
    reg: Registry, folder: Path, *, deidentified: bool = True, by: User | None = None
) -> list[Path]:
    """Export every recipient with follow-up, predictions and outcomes plus the data dictionary (REDCap layout).

    Parameters
    ----------
    reg : Registry
        The registry.
    folder : Path
        A new sub-folder ``hsp-export-<UTC time>`` is created inside it.
    deidentified : bool, default True
        Leave out names, MRNs, calendar dates and free text.  False needs a clinician or administrator (``by``)
        and the site key.
    by : User, optional
        Who exports (recorded in the manifest).

    Returns
    -------
    list of Path
        ``records.csv``, ``data_dictionary.csv``, ``repeating_instruments.csv``, ``manifest.json``.
    """
    if not deidentified:
        if by is None:
            raise AuthError("An identified export needs a signed-in clinician or administrator", field="user")
        reg._db.check_user(by, CLINICAL_ROLES)
        if not reg.has_site_key:
            raise RegistryError(
                "An identified export needs the site key", fix="open the registry with its key"
            )
    elif by is not None:
        reg._db.check_user(by, frozenset({"admin", "clinician", "coordinator", "readonly"}))
    fields = _field_rows(deidentified)
    names = [f for f, _, _ in fields]
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    out_dir = Path(folder) / f"hsp-export-{stamp}"
    with reg._db.read() as conn:
        problems = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        fk = conn.execute("PRAGMA foreign_key_check").fetchall()
        if problems != ["ok"] or fk:
            raise RegistryError(
                "The registry failed its integrity check; nothing was exported",
                expected="integrity_check ok and no broken foreign keys",
                found="; ".join(problems[:3]) + (f"; {len(fk)} broken foreign keys" if fk else ""),
                fix="run `hsp registry verify` and restore the latest good backup",
            )
        out_dir.mkdir(parents=True, exist_ok=False)
        records_path = out_dir / "records.csv"
        counts = {"recipients": 0, "followup": 0, "prediction": 0}
        with open(records_path, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["record_id", "redcap_repeat_instrument", "redcap_repeat_instance", *names[1:]])
            for base, visits, preds in _iter_records(reg, conn, deidentified):
                counts["recipients"] += 1
                w.writerow([base.get("record_id"), "", "", *(_cell(base.get(n)) for n in names[1:])])
                for i, v in enumerate(visits, 1):
                    counts["followup"] += 1
                    w.writerow([base["record_id"], "followup", i, *(_cell(v.get(n)) for n in names[1:])])
                for i, p in enumerate(preds, 1):
                    counts["prediction"] += 1
                    w.writerow([base["record_id"], "prediction", i, *(_cell(p.get(n)) for n in names[1:])])
    dict_path = out_dir / "data_dictionary.csv"
    with open(dict_path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(DICTIONARY_HEADER)
        for name, form, spec in fields:
            w.writerow(
                [
                    name,
                    form,
                    "",
                    spec.get("type", "text"),
                    spec.get("label", name),
                    spec.get("choices", ""),
                    spec.get("unit", ""),
                    spec.get("valid", ""),
                    _cell(spec.get("lo")),
                    _cell(spec.get("hi")),
                    "y" if spec.get("identifier") else "",
                    "",
                    "y" if spec.get("required") else "",
                    "",
                    "",
                    "",
                    "",
                    "",
                ]
            )
    rep_path = out_dir / "repeating_instruments.csv"
    with open(rep_path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["form_name", "custom_form_label"])
        w.writerow(["followup", "[fu_day]"])
        w.writerow(["prediction", "[pred_model_id]"])
    files = [records_path, dict_path, rep_path]
    manifest = {
        "format": "REDCap flat export with repeating instruments",
        "app_version": __version__,
        "schema": reg.schema_version,
        "deidentified": deidentified,
        "exported_at": stamp,
        "exported_by": by.username if by else None,
        "counts": counts,
        "sha256": {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files},
    }
    man_path = out_dir / "manifest.json"
    man_path.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    log_row = (
        dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        by.username if by else "unattributed",
        int(deidentified),
        str(out_dir),
        json.dumps([p.name for p in [*files, man_path]]),
        hashlib.sha256(man_path.read_bytes()).hexdigest(),
    )
    tx = (
        reg._db.tx(by, "export", roles=frozenset({"admin", "clinician", "coordinator", "readonly"}))
        if by
        else (reg._db.system_tx("system:export", "de-identified export without sign-in"))
    )
    with tx as conn:
        conn.execute(
            "INSERT INTO export_log (exported_at, username, deidentified, folder, files, manifest_sha256) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            log_row,
        )
    return [*files, man_path]


def export_log(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Return the export log (who exported what, when, de-identified or not), newest first."""
    rows = conn.execute(
        "SELECT id, exported_at, username, deidentified, folder, files, manifest_sha256 FROM export_log "
        "ORDER BY id DESC"
    ).fetchall()
    keys = ("id", "exported_at", "username", "deidentified", "folder", "files", "manifest_sha256")
    out = [dict(zip(keys, r, strict=True)) for r in rows]
    for d in out:
        d["files"] = json.loads(d["files"])
        d["deidentified"] = bool(d["deidentified"])
    return out


def _iter_records(
    reg: Registry, conn: sqlite3.Connection, deidentified: bool
) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]]:
    from hsp_desktop.registry.versions import ELIGIBILITY_FLAGS

    enrol = ("consent", *ELIGIBILITY_FLAGS)
    cols = (
        "r.study_id, r.site, r.cohort, r.transplant_date, r.ct_date, r.mrn_enc, r.name_enc, e.eligible, "
        "e.exclusion_reasons, "
        + ", ".join("e." + c for c in enrol)
        + ", "
        + ", ".join("p." + c for c in PREOP_NAMES)
        + ", o.status, o.definition_id, o.flags, o.reasons, o.as_of"
    )
    keys = ("record_id", "site", "cohort", "transplant_date", "ct_date", "mrn", "name", "eligible",
            "exclusion_reasons", *enrol, *PREOP_NAMES, "outcome_status", "outcome_definition_id", "outcome_flags",
            "outcome_reasons", "outcome_as_of")  # fmt: skip
    # stream: recipients, visits and predictions are each read in study-id order and merged (constant memory)
    fcols = ("study_id", "date", "day", *FOLLOWUP_NAMES)
    fcur = conn.cursor().execute(f"SELECT {', '.join(fcols)} FROM followups ORDER BY study_id, day, id")
    pcols = ("study_id", "model_id", "manifest_sha256", "input_sha256", "probability", "ci_low", "ci_high", "band",
             "app_version", "created_at")  # fmt: skip
    pcur = conn.cursor().execute(f"SELECT {', '.join(pcols)} FROM predictions ORDER BY study_id, id")
    fnext, pnext = fcur.fetchone(), pcur.fetchone()

    def take_visits(sid: str) -> list[dict[str, Any]]:
        nonlocal fnext
        out = []
        while fnext is not None and fnext[0] < sid:
            fnext = fcur.fetchone()
        while fnext is not None and fnext[0] == sid:
            d = dict(zip(fcols, fnext, strict=True))
            v = {"fu_day": d["day"], **{"fu_" + n: d[n] for n in FOLLOWUP_NAMES}}
            if not deidentified:
                v["fu_date"] = d["date"]
            out.append(v)
            fnext = fcur.fetchone()
        return out

    def take_predictions(sid: str) -> list[dict[str, Any]]:
        nonlocal pnext
        out = []
        while pnext is not None and pnext[0] < sid:
            pnext = pcur.fetchone()
        while pnext is not None and pnext[0] == sid:
            out.append({"pred_" + k: v for k, v in zip(pcols[1:], pnext[1:], strict=True)})
            pnext = pcur.fetchone()
        return out

    rows = conn.cursor().execute(
        f"SELECT {cols} FROM recipients r JOIN enrolment e USING (study_id) JOIN preop p USING (study_id) "
        "LEFT JOIN outcomes o USING (study_id) ORDER BY r.study_id"
    )
    key = reg._db.key
    for row in rows:
        base = dict(zip(keys, row, strict=True))
        sid = base["record_id"]
        base["exclusion_reasons"] = "; ".join(json.loads(base["exclusion_reasons"]))
        base["outcome_flags"] = "; ".join(json.loads(base["outcome_flags"] or "[]"))
        base["outcome_reasons"] = "; ".join(json.loads(base["outcome_reasons"] or "[]"))
        if deidentified:
            if base["ct_date"] and base["transplant_date"]:
                base["ct_day"] = (
                    dt.date.fromisoformat(base["ct_date"]) - dt.date.fromisoformat(base["transplant_date"])
                ).days
            for k in ("transplant_date", "ct_date", "outcome_as_of", "mrn", "name"):
                base.pop(k, None)
            ps = [{k: v for k, v in p.items() if k != "pred_created_at"} for p in take_predictions(sid)]
        else:
            for col in ("mrn", "name"):
                token = base[col]
                base[col] = key.decrypt(token, study_id=sid, column=col) if (token and key) else None
            ps = take_predictions(sid)
        yield base, take_visits(sid), ps


def read_redcap_records(path: Path) -> list[Mapping[str, str]]:
    """Read an exported ``records.csv`` back (used by tests and the federated code)."""
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))

"""REDCap-compatible export: records, data dictionary and manifest, written to a private temporary folder first.

``records.csv`` in REDCap's flat layout with repeating instruments (``record_id``, ``redcap_repeat_instrument``,
``redcap_repeat_instance``; one base row per recipient, one row per follow-up visit and per prediction),
``data_dictionary.csv`` in REDCap's data-dictionary format, ``repeating_instruments.csv`` and ``manifest.json``
(SHA-256 of each file).  De-identified by default: no name or MRN, no calendar dates (days relative to
transplantation instead), no free text.  An identified export needs a clinician or administrator and the site key.

Safety of the files
    * Spreadsheet formula injection (CWE-1236): a text cell that starts with ``=``, ``+``, ``-``, ``@``, tab or
      carriage return and is not a number is written with a leading apostrophe, so Excel or LibreOffice shows it
      as text instead of running it.  Numbers (``-9``) are written as they are.
    * The CSV files start with a UTF-8 byte-order mark, so Excel on Chinese Windows opens Chinese text correctly
      (:func:`read_redcap_records` and REDCap's importer accept it).
    * Everything is written into a hidden ``.hsp-export-<time>.partial`` folder (mode 0700, files 0600), flushed
      and only then renamed to ``hsp-export-<time>``: a full disk or a crash never leaves a folder that looks
      complete (a ``records.csv`` without its manifest).  A write error is a :class:`RegistryError` with the fix.
"""

from __future__ import annotations

import csv
import datetime as dt
import errno
import hashlib
import json
import os
import shutil
import sqlite3
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from hsp_desktop import __version__
from hsp_desktop.errors import AuthError, RegistryError
from hsp_desktop.registry.fields import FOLLOWUP_NAMES, PREOP_NAMES
from hsp_desktop.registry.models import ALL_ROLES, CLINICAL_ROLES, User

if TYPE_CHECKING:
    from hsp_desktop.registry.core import Registry

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


#: First characters that make a spreadsheet treat a cell as a formula (OWASP CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """Return ``text`` safe for a spreadsheet: a leading apostrophe when it would start a formula.

    Numbers (``-9``, ``+1.5``) are left as they are: a spreadsheet reads them as numbers, not formulas.
    """
    if text.startswith(FORMULA_START):
        try:
            float(text)
        except ValueError:
            return "'" + text
    return text


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, list | dict):
        return neutralise(json.dumps(value, ensure_ascii=False))
    return neutralise(str(value))


def _private_csv(path: Path) -> IO[str]:
    """Open a new file readable by its owner only (0600), UTF-8 with a byte-order mark (Excel)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    return os.fdopen(fd, "w", newline="", encoding="utf-8-sig")


def _write_error(exc: OSError, folder: Path) -> RegistryError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return RegistryError(
            f"The export folder {folder} ran out of disk space; nothing was exported",
            expected="free space for the export",
            found=exc.strerror or str(exc),
            fix="free disk space or choose another folder, then export again",
            field="folder",
        )
    return RegistryError(
        f"The export could not be written to {folder}; nothing was exported",
        expected="a writable local folder",
        found=f"{type(exc).__name__}: {exc.strerror or exc}",
        fix="check the folder exists and that you may write to it, or choose another",
        field="folder",
    )


def export_redcap(
    reg: Registry, folder: Path, *, deidentified: bool = True, by: User | None = None
) -> list[Path]:
    """Export every recipient with follow-up, predictions and outcomes plus the data dictionary (REDCap layout).

    Parameters
    ----------
    reg : Registry
        The registry.
    folder : Path
        A new sub-folder ``hsp-export-<UTC time>`` is created inside it (written to a temporary folder first).
    deidentified : bool, default True
        Leave out names, MRNs, calendar dates and free text.  False needs a clinician or administrator and the
        site key.
    by : User
        The signed-in user (any role for a de-identified export); recorded in the manifest and the export log.

    Returns
    -------
    list of Path
        ``records.csv``, ``data_dictionary.csv``, ``repeating_instruments.csv``, ``manifest.json``.

    Raises
    ------
    AuthError
        No signed-in user, or an identified export by a role that may not make one.
    RegistryError
        Integrity check failed, no site key for an identified export, or the folder cannot be written (full disk).
    """
    if by is None:
        raise AuthError(
            "Sign in first: every export is attributed to a user",
            expected="a signed-in user",
            found="no user",
            fix="sign in, then export",
            field="user",
        )
    user = reg._db.check_user(by, ALL_ROLES if deidentified else CLINICAL_ROLES)
    if not deidentified and not reg.has_site_key:
        raise RegistryError("An identified export needs the site key", fix="open the registry with its key")
    fields = _field_rows(deidentified)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    folder = Path(folder)
    out_dir = folder / f"hsp-export-{stamp}"
    partial = folder / f".hsp-export-{stamp}.partial"
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
        try:
            folder.mkdir(parents=True, exist_ok=True)
            partial.mkdir(mode=0o700)
            counts = _write_files(reg, conn, partial, fields, deidentified)
            manifest = {
                "format": "REDCap flat export with repeating instruments",
                "app_version": __version__,
                "schema": reg.schema_version,
                "deidentified": deidentified,
                "exported_at": stamp,
                "exported_by": user.username,
                "counts": counts,
                "encoding": "UTF-8 with byte-order mark; text cells that would start a formula begin with '",
                "sha256": {n: _sha256(partial / n) for n in FILES[:-1]},
            }
            fd = os.open(partial / "manifest.json", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(json.dumps(manifest, indent=2, ensure_ascii=False))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(partial, out_dir)
        except OSError as exc:
            shutil.rmtree(partial, ignore_errors=True)
            raise _write_error(exc, folder) from exc
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
    paths = [out_dir / n for n in FILES]
    log_row = (
        dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        user.username,
        int(deidentified),
        str(out_dir),
        json.dumps(list(FILES)),
        _sha256(paths[-1]),
    )
    with reg._db.tx(by, "export", roles=ALL_ROLES) as conn:
        conn.execute(
            "INSERT INTO export_log (exported_at, username, deidentified, folder, files, manifest_sha256) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            log_row,
        )
    return paths


FILES = ("records.csv", "data_dictionary.csv", "repeating_instruments.csv", "manifest.json")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _write_files(
    reg: Registry,
    conn: sqlite3.Connection,
    out_dir: Path,
    fields: list[tuple[str, str, dict[str, Any]]],
    deidentified: bool,
) -> dict[str, int]:
    names = [f for f, _, _ in fields]
    counts = {"recipients": 0, "followup": 0, "prediction": 0}
    with _private_csv(out_dir / "records.csv") as fh:
        w = csv.writer(fh)
        w.writerow(["record_id", "redcap_repeat_instrument", "redcap_repeat_instance", *names[1:]])
        for base, visits, preds in _iter_records(reg, conn, deidentified):
            counts["recipients"] += 1
            sid = _cell(base.get("record_id"))
            w.writerow([sid, "", "", *(_cell(base.get(n)) for n in names[1:])])
            for i, v in enumerate(visits, 1):
                counts["followup"] += 1
                w.writerow([sid, "followup", i, *(_cell(v.get(n)) for n in names[1:])])
            for i, p in enumerate(preds, 1):
                counts["prediction"] += 1
                w.writerow([sid, "prediction", i, *(_cell(p.get(n)) for n in names[1:])])
        fh.flush()
        os.fsync(fh.fileno())
    with _private_csv(out_dir / "data_dictionary.csv") as fh:
        w = csv.writer(fh)
        w.writerow(DICTIONARY_HEADER)
        for name, form, spec in fields:
            row = [name, form, "", spec.get("type", "text"), spec.get("label", name), spec.get("choices", ""),
                   spec.get("unit", ""), spec.get("valid", ""), _cell(spec.get("lo")), _cell(spec.get("hi")),
                   "y" if spec.get("identifier") else "", "", "y" if spec.get("required") else "", "", "", "", "",
                   ""]  # fmt: skip
            w.writerow([_cell(c) for c in row])
        fh.flush()
        os.fsync(fh.fileno())
    with _private_csv(out_dir / "repeating_instruments.csv") as fh:
        w = csv.writer(fh)
        w.writerow(["form_name", "custom_form_label"])
        w.writerow(["followup", "[fu_day]"])
        w.writerow(["prediction", "[pred_model_id]"])
        fh.flush()
        os.fsync(fh.fileno())
    return counts


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
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))

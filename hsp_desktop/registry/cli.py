"""``hsp registry ...``: init | user add | import | export | add-followup | followups-due | backup | restore | verify.

Common options: ``--db`` (or ``HSP_REGISTRY``), ``--site-key-file`` (or ``HSP_SITE_KEY_FILE``), ``--user`` (or
``HSP_USER``).  Passwords are read with ``getpass`` or, for scripts, from the ``HSP_PASSWORD`` environment variable
(never from the command line, where other users could see them).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    """Add the ``registry`` command and its sub-commands to the ``hsp`` parser."""
    p = subparsers.add_parser(
        "registry", help="the ward registry (SQLite): users, import, export, backup, verify"
    )
    sub = p.add_subparsers(dest="registry_command", metavar="ACTION")

    def common(sp: argparse.ArgumentParser, *, user: bool = True) -> None:
        sp.add_argument(
            "--db",
            default=os.environ.get("HSP_REGISTRY"),
            help="registry file (env HSP_REGISTRY; default: the user data folder, as the desktop app and hsp score)",
        )
        sp.add_argument(
            "--site-key-file",
            default=os.environ.get("HSP_SITE_KEY_FILE"),
            help="site key file, kept outside the database (env HSP_SITE_KEY_FILE)",
        )
        if user:
            sp.add_argument("--user", default=os.environ.get("HSP_USER"), help="user name (env HSP_USER)")
        sp.add_argument("--json", action="store_true", help="print machine-readable JSON")

    sp = sub.add_parser("init", help="create a registry, its site key and the first administrator")
    common(sp, user=False)
    sp.add_argument("--admin", required=True, help="user name of the first administrator")
    sp.add_argument("--no-site-key", action="store_true", help="no site key: names/MRNs cannot be stored")
    sp.set_defaults(handler=_init)

    sp = sub.add_parser("user", help="manage users")
    usub = sp.add_subparsers(dest="user_command", metavar="ACTION")
    ua = usub.add_parser("add", help="add a user (administrators)")
    common(ua)
    ua.add_argument("username")
    ua.add_argument("--role", required=True, choices=["admin", "clinician", "coordinator", "readonly"])
    ua.set_defaults(handler=_user_add)
    uu = usub.add_parser("unlock", help="unlock a locked account (administrators)")
    common(uu)
    uu.add_argument("username")
    uu.set_defaults(handler=_user_unlock)
    ul = usub.add_parser("list", help="list users")
    common(ul)
    ul.set_defaults(handler=_user_list)

    sp = sub.add_parser("import", help="import clinical.csv (and optionally followup.csv) all-or-nothing")
    common(sp)
    sp.add_argument(
        "csv",
        type=Path,
        help="clinical.csv: one row per recipient, columns named as in the data dictionary (`hsp registry export` writes it)",
    )
    sp.add_argument(
        "--followup",
        type=Path,
        help="followup.csv: study_id, date and the visit's measurements, flags, intervention, event; imported after the recipients",
    )
    sp.add_argument(
        "--confirm-units", action="store_true", help="convert suspected unit traps (listed in the report)"
    )
    sp.set_defaults(handler=_import)

    sp = sub.add_parser(
        "export", help="export data + data dictionary (REDCap layout), de-identified by default"
    )
    common(sp)
    sp.add_argument("folder", type=Path)
    sp.add_argument(
        "--identified", action="store_true", help="include names, MRNs and dates (clinicians, admins)"
    )
    sp.set_defaults(handler=_export)

    sp = sub.add_parser("add-followup", help="record one follow-up visit")
    common(sp)
    sp.add_argument("study_id")
    sp.add_argument("--date", required=True, help="visit date YYYY-MM-DD")
    sp.add_argument(
        "--value",
        "-v",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="e.g. -v platelets=88 -v wbc=3.9",
    )
    sp.add_argument("--reason", help="reason for change (required once the recipient is scored or locked)")
    sp.add_argument("--confirm-units", action="store_true")
    sp.set_defaults(handler=_add_followup)

    sp = sub.add_parser("followups", help="list one recipient's follow-up visits (with their ids)")
    common(sp)
    sp.add_argument("study_id")
    sp.set_defaults(handler=_followups)

    sp = sub.add_parser("correct-followup", help="correct a follow-up visit (the reason is audited)")
    common(sp)
    sp.add_argument("visit_id", type=int, help="visit id (see `hsp registry followups STUDY_ID`)")
    sp.add_argument(
        "--value", "-v", action="append", default=[], metavar="NAME=VALUE", help="e.g. -v platelets=88"
    )
    sp.add_argument("--reason", required=True, help="why the visit is corrected")
    sp.set_defaults(handler=_correct_followup)

    sp = sub.add_parser(
        "delete-followup", help="delete a follow-up visit entered in error (the reason is audited)"
    )
    common(sp)
    sp.add_argument("visit_id", type=int, help="visit id (see `hsp registry followups STUDY_ID`)")
    sp.add_argument("--reason", required=True, help="why the visit is deleted")
    sp.set_defaults(handler=_delete_followup)

    sp = sub.add_parser("followups-due", help="list due and overdue follow-up visits")
    common(sp, user=False)
    sp.add_argument("--today", help="evaluate on this date (default: today)")
    sp.set_defaults(handler=_followups_due)

    sp = sub.add_parser("backup", help="online backup with integrity check and rotation")
    common(sp, user=False)
    sp.add_argument("folder", type=Path)
    sp.add_argument("--keep", type=int, help="backups to keep (default: setting backup_keep, 30)")
    sp.set_defaults(handler=_backup)

    sp = sub.add_parser("restore", help="check a backup and atomically replace the registry with it")
    common(sp)
    sp.add_argument("backup", type=Path)
    sp.set_defaults(handler=_restore)

    sp = sub.add_parser("verify", help="check integrity, audit triggers, the hash chain and every row")
    common(sp, user=False)
    sp.set_defaults(handler=_verify)


def _need_db(args: argparse.Namespace) -> Path:
    """``--db`` or ``HSP_REGISTRY``, else the registry in the user data folder (the desktop app's)."""
    from hsp_desktop.pipeline.paths import user_data_dir

    return Path(args.db) if args.db else user_data_dir() / "registry.sqlite"


def _key_file(args: argparse.Namespace) -> Path | None:
    """``--site-key-file``, else the registry's key in the default key folder when it exists there."""
    from hsp_desktop.registry.crypto import default_key_file

    if args.site_key_file:
        return Path(args.site_key_file)
    default = default_key_file(_need_db(args))
    return default if default.is_file() else None


def _key(args: argparse.Namespace) -> bytes | None:
    from hsp_desktop.registry.crypto import load_site_key

    key_file = _key_file(args)
    return load_site_key(key_file) if key_file else None


def _anchor(args: argparse.Namespace) -> Path | None:
    """The audit head is anchored beside the site key (beside the database when there is no key)."""
    from hsp_desktop.registry.crypto import anchor_file_for

    key_file = _key_file(args)
    return anchor_file_for(key_file) if key_file else None


def _password(prompt: str, *, confirm: bool = False) -> str:
    from hsp_desktop.errors import InputError

    env = os.environ.get("HSP_PASSWORD")
    if env is not None:
        return env
    import getpass

    if not sys.stdin.isatty():
        raise InputError(
            "A password is needed but there is no terminal to type it in",
            expected="an interactive terminal, or the HSP_PASSWORD environment variable",
            found="standard input is not a terminal",
            fix="run the command in a terminal, or set HSP_PASSWORD for scripts",
            field="password",
        )
    try:
        first = getpass.getpass(prompt)
        if confirm and getpass.getpass("Repeat: ") != first:
            raise InputError("The passwords differ", fix="type the same password twice", field="password")
    except EOFError as exc:
        raise InputError(
            "The password prompt was closed before a password was typed",
            found="end of input",
            fix="type the password, or set HSP_PASSWORD for scripts",
            field="password",
        ) from exc
    return first


def _open(args: argparse.Namespace, *, must_exist: bool = True) -> Any:
    from hsp_desktop.errors import RegistryError
    from hsp_desktop.registry.core import Registry

    db = _need_db(args)
    if must_exist and not db.exists():
        raise RegistryError(
            f"No registry at {db}",
            expected="an existing registry",
            found="no file",
            fix="run `hsp registry init`",
        )
    return Registry.open(db, site_key=_key(args), anchor_file=_anchor(args))


def _signin(reg: Any, args: argparse.Namespace) -> Any:
    from hsp_desktop.errors import AuthError

    if not args.user:
        raise AuthError("Sign in: --user (or HSP_USER) is required", fix="pass --user NAME", field="user")
    return reg.authenticate(args.user, _password(f"Password for {args.user}: "))


def _out(args: argparse.Namespace, data: Any, text: str) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str) if args.json else text)


def _init(args: argparse.Namespace) -> int:
    from hsp_desktop.errors import RegistryError
    from hsp_desktop.registry.core import Registry
    from hsp_desktop.registry.crypto import anchor_file_for, default_key_file, generate_site_key

    db = _need_db(args)
    if db.exists():
        raise RegistryError(f"A file already exists at {db}", fix="choose a new path", field="db")
    key = None
    anchor_file = None
    if not args.no_site_key:
        key_file = Path(args.site_key_file) if args.site_key_file else default_key_file(db)
        key = generate_site_key(key_file).key
        anchor_file = anchor_file_for(key_file)
    password = _password(f"Password for the administrator {args.admin}: ", confirm=True)
    with Registry.open(db, site_key=key, anchor_file=anchor_file) as reg:
        reg.add_user(args.admin, password, "admin", by=None)
    msg = f"created {db} with administrator {args.admin}"
    if key is not None:
        msg += (
            f"\nsite key: {key_file} -- keep it outside the database folder and back it up separately; "
            "without it names and MRNs cannot be read"
        )
    _out(args, {"db": str(db), "site_key_file": str(key_file) if key else None}, msg)
    return 0


def _user_add(args: argparse.Namespace) -> int:
    with _open(args) as reg:
        admin = _signin(reg, args)
        pw = os.environ.get("HSP_NEW_PASSWORD")
        if pw is None:
            import getpass

            pw = getpass.getpass(f"Password for the new user {args.username}: ")
        user = reg.add_user(args.username, pw, args.role, by=admin)
    _out(
        args,
        {"id": user.id, "username": user.username, "role": user.role},
        f"added {user.username} ({user.role})",
    )
    return 0


def _user_unlock(args: argparse.Namespace) -> int:
    with _open(args) as reg:
        reg.unlock_user(args.username, by=_signin(reg, args))
    _out(args, {"unlocked": args.username}, f"unlocked {args.username}")
    return 0


def _user_list(args: argparse.Namespace) -> int:
    with _open(args) as reg:
        _signin(reg, args)
        users = reg.users()
    _out(args, users, "\n".join(f"{u['username']:20} {u['role']:12} active={u['active']}" for u in users))
    return 0


def _import(args: argparse.Namespace) -> int:
    with _open(args) as reg:
        user = _signin(reg, args)
        reports = reg.import_clinical(args.csv, args.followup, by=user, confirm_units=args.confirm_units)
    _out(args, [r.as_dict() for r in reports], "\n".join(r.summary() for r in reports))
    return 0 if all(r.ok for r in reports) else 1


def _export(args: argparse.Namespace) -> int:
    with _open(args) as reg:
        user = _signin(reg, args)
        paths = reg.export(args.folder, deidentified=not args.identified, by=user)
    _out(args, [str(p) for p in paths], "\n".join(str(p) for p in paths))
    return 0


def _values(items: list[str]) -> dict[str, Any]:
    from hsp_desktop.errors import InputError

    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise InputError(
                "A value must be NAME=VALUE", found=item, fix="e.g. -v platelets=88", field="value"
            )
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def _add_followup(args: argparse.Namespace) -> int:
    visit: dict[str, Any] = {"date": args.date, **_values(args.value)}
    with _open(args) as reg:
        user = _signin(reg, args)
        vid = reg.add_followup(
            args.study_id, visit, by=user, reason=args.reason, confirm_units=args.confirm_units
        )
        outcome = reg.outcome(args.study_id)
    _out(
        args,
        {"id": vid, "outcome": outcome},
        f"visit {vid} recorded for {args.study_id}; outcome {outcome['status']} ({outcome['definition_id']})",
    )
    return 0


def _followups(args: argparse.Namespace) -> int:
    with _open(args) as reg:
        _signin(reg, args)
        visits = reg.followups(args.study_id)
    shown = (
        "platelets",
        "wbc",
        "haemoglobin",
        "spleen_volume_ml",
        "spleen_length_cm",
        "intervention",
        "event",
    )
    lines = [
        f"{v['id']:>6}  {v['date']}  day {v['day']:>4}  "
        + "  ".join(f"{k}={v[k]}" for k in shown if v.get(k) not in (None, ""))
        for v in visits
    ]
    _out(args, visits, "\n".join(lines) if lines else f"no visits recorded for {args.study_id}")
    return 0


def _correct_followup(args: argparse.Namespace) -> int:
    from hsp_desktop.errors import InputError

    values = _values(args.value)
    if not values:
        raise InputError(
            "Nothing to correct",
            expected="one -v NAME=VALUE at least",
            found="none",
            fix="add -v",
            field="value",
        )
    with _open(args) as reg:
        user = _signin(reg, args)
        reg.update_followup(args.visit_id, values, by=user, reason=args.reason)
    _out(args, {"id": args.visit_id, "corrected": values}, f"visit {args.visit_id} corrected")
    return 0


def _delete_followup(args: argparse.Namespace) -> int:
    with _open(args) as reg:
        user = _signin(reg, args)
        reg.delete_followup(args.visit_id, by=user, reason=args.reason)
    _out(args, {"id": args.visit_id, "deleted": True}, f"visit {args.visit_id} deleted")
    return 0


def _followups_due(args: argparse.Namespace) -> int:
    import datetime as dt

    from hsp_desktop.errors import InputError

    try:
        today = dt.date.fromisoformat(args.today) if args.today else dt.date.today()
    except ValueError as exc:
        raise InputError(
            "--today is not a date", expected="YYYY-MM-DD", found=args.today, field="today"
        ) from exc
    with _open(args) as reg:
        due = reg.followups_due(today)
    lines = [
        f"{d['study_id']:12} day {d['day']:>3}  {d['state']:8} window {d['window_start']}..{d['window_end']}"
        + (f"  ({d['days_overdue']} days overdue)" if d["state"] == "overdue" else "")
        for d in due
    ]
    _out(args, due, "\n".join(lines) if lines else "no visits due")
    return 0


def _backup(args: argparse.Namespace) -> int:
    with _open(args) as reg:
        path = reg.backup(args.folder, keep=args.keep)
    _out(args, {"backup": str(path)}, f"backup written and checked: {path}")
    return 0


def _restore(args: argparse.Namespace) -> int:
    from hsp_desktop.errors import AuthError
    from hsp_desktop.registry.core import Registry

    target = _need_db(args)
    if target.exists():  # an administrator of the live registry
        with _open(args) as reg:
            admin = _signin(reg, args)
        Registry.restore(args.backup, target, site_key=_key(args), by=admin, anchor_file=_anchor(args))
    else:  # disaster recovery: an administrator of the backup
        if not args.user:
            raise AuthError("Sign in: --user (or HSP_USER) is required", fix="pass --user NAME", field="user")
        Registry.restore(
            args.backup,
            target,
            site_key=_key(args),
            username=args.user,
            password=_password(f"Password for {args.user}: "),
            anchor_file=_anchor(args),
        )
    _out(args, {"restored": str(target), "from": str(args.backup)}, f"restored {target} from {args.backup}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    with _open(args) as reg:
        report = reg.verify()
        head = reg.audit_head()
    text = (
        f"ok: {report.audit_rows} audit entries, {report.rows_checked} rows verified "
        f"({'keyed' if report.keyed else 'unkeyed'} chain, SQLite {report.sqlite_version}); "
        f"head {head.short()} -- compare it with the head on the latest backup or printed report"
        if report.ok
        else "VERIFICATION FAILED\n" + "\n".join(f"  - {p}" for p in report.problems)
    )
    _out(args, {**report.as_dict(), "head": {"audit_id": head.audit_id, "hash": head.hash}}, text)
    if not report.ok:
        print("hsp registry verify: the registry was changed outside the application", file=sys.stderr)
    return 0 if report.ok else 1

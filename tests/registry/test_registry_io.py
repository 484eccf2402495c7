"""CSV import (all-or-nothing, every rejected cell named), hypothesis fuzzing, REDCap export, backup/restore."""

from __future__ import annotations

import csv
import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import BASE_RECORD, make_record
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hsp_desktop.errors import AuthError, RegistryError, TamperError
from hsp_desktop.registry import Registry, User
from hsp_desktop.registry.backup import list_backups
from hsp_desktop.registry.export import neutralise, read_redcap_records
from hsp_desktop.registry.passwords import TEST_PARAMS

COLUMNS = list(BASE_RECORD)


def write_csv(path: Path, rows: list[dict[str, Any]], columns: list[str] | None = None) -> Path:
    columns = columns or COLUMNS
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, columns, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: "" if r.get(k) is None else r.get(k) for k in columns})
    return path


def counts(reg: Registry) -> tuple[int, ...]:
    return tuple(
        reg._conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
        for t in ("recipients", "enrolment", "preop", "outcomes", "followups", "audit")
    )


@pytest.fixture(scope="module")
def synthetic_rows() -> list[dict[str, Any]]:
    from hsp_desktop.synthetic import simulate_preop

    df = simulate_preop(40, seed=7)
    df = df[[c for c in df.columns if not c.startswith("_")]]
    return [{k: (None if v != v else v) for k, v in r.items()} for r in df.to_dict("records")]


def test_import_synthetic_cohort(
    reg: Registry, admin: User, tmp_path: Path, synthetic_rows: list[dict[str, Any]]
) -> None:
    path = write_csv(tmp_path / "clinical.csv", synthetic_rows, list(synthetic_rows[0]))
    report = reg.import_csv(path, by=admin)
    assert report.ok, report.summary()
    assert report.imported == 40 == reg.count()
    assert reg.verify().ok
    again = reg.import_csv(path, by=admin)
    assert not again.ok and len(again.rejected) == 40
    assert all(r.column == "study_id" and "already in the registry" in r.reason for r in again.rejected)


def test_bad_cells_reported_and_nothing_written(reg: Registry, admin: User, tmp_path: Path) -> None:
    rows = [
        make_record("HSP-0001"),
        make_record("HSP-0002", age=90, sex="X"),
        make_record("HSP-0003", platelets="66000"),
        make_record("HSP-0001"),
    ]
    path = write_csv(tmp_path / "c.csv", rows, [*COLUMNS, "favourite_colour"])
    before = counts(reg)
    report = reg.import_csv(path, by=admin)
    assert not report.ok and report.imported == 0
    assert counts(reg) == before
    got = {(r.row, r.column) for r in report.rejected}
    assert {(1, "favourite_colour"), (3, "age"), (3, "sex"), (4, "platelets"), (5, "study_id")} <= got
    for r in report.rejected:
        assert r.row >= 1 and r.column and r.reason
    trap = next(r for r in report.rejected if r.column == "platelets")
    assert "/µL" in trap.reason and "confirm" in trap.fix
    assert "row 4, column platelets" in report.summary()


def test_unit_trap_confirmation(reg: Registry, admin: User, tmp_path: Path) -> None:
    rows = [
        make_record("HSP-0001", platelets="66000", bilirubin="2.0"),
        make_record("HSP-0002", albumin="3.3"),
    ]
    path = write_csv(tmp_path / "c.csv", rows)
    assert not reg.import_csv(path, by=admin).ok
    report = reg.import_csv(path, by=admin, confirm_units=True)
    assert report.ok
    assert any("row 2: platelets" in c for c in report.conversions)
    assert reg.get_recipient("HSP-0001")["bilirubin"] == pytest.approx(34.2)
    assert reg.get_recipient("HSP-0002")["albumin"] == pytest.approx(33.0)


def test_malformed_files(reg: Registry, admin: User, tmp_path: Path) -> None:
    p = tmp_path / "bin.csv"
    p.write_bytes(b"study_id,age\nHSP-1,\xff\xfe\n")
    r = reg.import_csv(p, by=admin)
    assert not r.ok and r.rejected[0].column == "(file)" and r.rejected[0].row == 2
    p.write_text("study_id,age\nHSP-1,50,extra\n", encoding="utf-8")
    r = reg.import_csv(p, by=admin)
    assert any(x.column == "(row)" and x.row == 2 for x in r.rejected)
    p.write_text("", encoding="utf-8")
    assert reg.import_csv(p, by=admin).rejected[0].column == "(header)"
    assert reg.count() == 0


def test_followup_import_and_rejections(reg: Registry, admin: User, tmp_path: Path) -> None:
    reg.add_recipient(make_record("HSP-0001"), by=admin)
    cols = ["study_id", "date", "day", "platelets", "wbc", "spleen_volume_ml", "intervention", "event"]
    good = [
        {"study_id": "HSP-0001", "date": "2025-07-01", "platelets": 60, "wbc": 3.0, "spleen_volume_ml": 600},
        {"study_id": "HSP-0001", "date": "2025-07-15", "platelets": 62, "wbc": 3.1},
    ]
    bad = [*good, {"study_id": "HSP-0009", "date": "2025-07-15", "platelets": 62, "wbc": 3.1},
           {"study_id": "HSP-0001", "date": "2024-12-01", "platelets": 62, "wbc": 3.1}]  # fmt: skip
    r = reg.import_followup_csv(write_csv(tmp_path / "bad.csv", bad, cols), by=admin)
    assert not r.ok and {(x.row, x.column) for x in r.rejected} == {(4, "study_id"), (5, "date")}
    assert reg.followups("HSP-0001") == []
    r = reg.import_followup_csv(write_csv(tmp_path / "good.csv", good, cols), by=admin)
    assert r.ok and r.imported == 2
    assert reg.outcome("HSP-0001")["status"] == 1


# ------------------------------------------------------------------------------------------- fuzzing
_cell = st.one_of(
    st.sampled_from(
        ["", "0", "1", "M", "F", "hbv", "66000", "2.0 mg/dL", "abc", "NaN", "1e308", "-5", "2025-02-30"]
    ),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.integers(-(10**6), 10**6).map(str),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.data(),
    n_rows=st.integers(1, 4),
)
def test_fuzzed_records_never_partially_imported(tmp_path: Path, data: st.DataObject, n_rows: int) -> None:
    path = tmp_path / "fuzz.db"
    with Registry.open(path, argon2_params=TEST_PARAMS) as reg:
        if not reg.users():
            reg.add_user("admin", "admin-pass-1", "admin", by=None)
        admin = reg.authenticate("admin", "admin-pass-1")
        rows = []
        for i in range(n_rows):
            rec = make_record(f"F-{data.draw(st.integers(0, 10**9))}-{i}")
            for col in data.draw(st.lists(st.sampled_from(COLUMNS), max_size=4, unique=True)):
                rec[col] = data.draw(_cell)
            rows.append(rec)
        csv_path = write_csv(tmp_path / "fuzz.csv", rows)
        before = counts(reg)
        report = reg.import_csv(csv_path, by=admin, confirm_units=data.draw(st.booleans()))
        after = counts(reg)
        if report.ok:
            assert after[0] == before[0] + n_rows == before[0] + report.imported
            assert after[1] == after[2] == after[3] == after[0]  # every recipient complete
        else:
            assert after == before
            assert report.rejected
            for r in report.rejected:
                assert isinstance(r.row, int) and r.row >= 1 and r.column and r.reason
        assert reg.verify().ok


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=300))
def test_fuzzed_csv_text_never_partially_imported(tmp_path: Path, text: str) -> None:
    with Registry.open(tmp_path / "fuzz.db", argon2_params=TEST_PARAMS) as reg:
        if not reg.users():
            reg.add_user("admin", "admin-pass-1", "admin", by=None)
        admin = reg.authenticate("admin", "admin-pass-1")
        path = tmp_path / "t.csv"
        path.write_text("study_id,age,sex\n" + text, encoding="utf-8")
        before = counts(reg)
        report = reg.import_csv(path, by=admin)
        if not report.ok:
            assert counts(reg) == before
            assert all(r.row >= 1 and r.column and r.reason for r in report.rejected)


# --------------------------------------------------------------------------------------------- export
def test_export_redcap_layout(reg: Registry, admin: User, tmp_path: Path) -> None:
    reg.add_recipient(make_record("HSP-0001", mrn="111", name="Li Lei"), by=admin)
    reg.add_followup(
        "HSP-0001", {"date": "2025-02-10", "platelets": 80, "wbc": 4.0, "notes": "Li Lei seen"}, by=admin
    )
    reg.save_prediction(
        "HSP-0001", {"model_id": "m", "manifest_sha256": "d" * 64, "inputs": {}, "probability": 0.4}, by=admin
    )
    files = reg.export(tmp_path / "out", by=admin)
    names = [p.name for p in files]
    assert names == ["records.csv", "data_dictionary.csv", "repeating_instruments.csv", "manifest.json"]
    text = files[0].read_text(encoding="utf-8")
    assert (
        "Li Lei" not in text and "111" not in text.split("\n")[1].split(",")[:3] and "2025-01-10" not in text
    )
    with files[0].open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["redcap_repeat_instrument"], r["redcap_repeat_instance"]) for r in rows] == [
        ("", ""), ("followup", "1"), ("prediction", "1")
    ]  # fmt: skip
    assert rows[0]["ct_day"] == "-9" and rows[1]["fu_day"] == "31" and rows[1]["fu_platelets"] == "80"
    with files[1].open(encoding="utf-8-sig") as fh:
        dictionary = list(csv.reader(fh))
    assert dictionary[0][0] == "Variable / Field Name" and dictionary[1][0] == "record_id"
    assert [d[0] for d in dictionary[1:]] == list(rows[0].keys())[:1] + list(rows[0].keys())[3:]
    manifest = json.loads(files[3].read_text())
    assert manifest["deidentified"] is True and manifest["counts"] == {
        "recipients": 1,
        "followup": 1,
        "prediction": 1,
    }
    full = reg.export(tmp_path / "out", deidentified=False, by=admin)
    text = full[0].read_text(encoding="utf-8")
    assert "Li Lei" in text and "2025-01-10" in text
    log = reg.exports()
    assert [(e["username"], e["deidentified"]) for e in log] == [("admin", False), ("admin", True)]
    assert reg.verify().ok


def test_identified_export_needs_a_clinician(reg: Registry, admin: User, tmp_path: Path) -> None:
    reg.add_user("clerk", "clerk-pass-1", "coordinator", by=admin)
    clerk = reg.authenticate("clerk", "clerk-pass-1")
    with pytest.raises(RegistryError):
        reg.export(tmp_path, deidentified=False, by=clerk)
    with pytest.raises(RegistryError):
        reg.export(tmp_path, deidentified=False)
    with pytest.raises(AuthError, match="Sign in"):
        reg.export(tmp_path)  # hole 4: every export is attributed to a signed-in user
    with pytest.raises(AuthError, match="Sign in again"):
        reg.export(tmp_path, deidentified=False, by=User(admin.id, "admin", "admin"))  # a forged User
    assert list(tmp_path.iterdir()) == [] or all(p.name != "hsp-export" for p in tmp_path.iterdir())


def test_export_neutralises_formulas_and_has_a_bom(reg: Registry, admin: User, tmp_path: Path) -> None:
    """Hole 7: cells that would start a spreadsheet formula are written as text; UTF-8 BOM for Excel."""
    reg.add_recipient(
        make_record("HSP-0001", site='=HYPERLINK("http://x","y")', name="李雷", mrn="7"), by=admin
    )
    reg.add_followup(
        "HSP-0001", {"date": "2025-02-10", "platelets": 80, "wbc": 4.0, "notes": "@SUM(A1)"}, by=admin
    )
    files = reg.export(tmp_path / "out", deidentified=False, by=admin)
    raw = files[0].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # before: no BOM, Excel on Chinese Windows showed mojibake
    rows = read_redcap_records(files[0])
    assert rows[0]["site"].startswith("'=HYPERLINK")  # before: '=HYPERLINK(...)' as written
    assert rows[1]["fu_notes"] == "'@SUM(A1)"
    assert rows[0]["name"] == "李雷"
    assert rows[0]["ct_date"] == "2025-01-01"
    for value in (rows[0][k] for k in rows[0]):
        assert not value.startswith(("=", "+", "@", "\t", "\r")), value
    if os.name == "posix":
        assert all(p.stat().st_mode & 0o077 == 0 for p in files)  # hole 5: owner-only files


@pytest.mark.parametrize(("text", "safe"), [("=1+1", "'=1+1"), ("-9", "-9"), ("+1.5", "+1.5"), ("-x", "'-x"),
                                            ("\tcmd", "'\tcmd"), ("\r", "'\r"), ("@x", "'@x"), ("a=b", "a=b")])  # fmt: skip
def test_neutralise(text: str, safe: str) -> None:
    assert neutralise(text) == safe


def test_export_on_a_full_disk_leaves_nothing(
    reg: Registry, admin: User, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hole 9: a full disk is a typed error, and no half-written export folder is left behind."""
    import errno

    from hsp_desktop.registry import export as export_mod

    reg.add_recipient(make_record("HSP-0001"), by=admin)
    calls = {"n": 0}

    def full(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(export_mod.os, "fsync", full)
    with pytest.raises(RegistryError, match="ran out of disk space") as err:
        reg.export(tmp_path / "out", by=admin)
    assert "free disk space" in (err.value.fix or "")
    assert list((tmp_path / "out").iterdir()) == []  # before: records.csv truncated, no manifest
    assert reg.exports() == []


# --------------------------------------------------------------------------------------- backup/restore
def test_backup_rotation_and_restore(reg: Registry, admin: User, tmp_path: Path, site_key: bytes) -> None:
    reg.add_recipient(make_record("HSP-0001"), by=admin)
    folder = tmp_path / "backups"
    first = reg.backup(folder, keep=3)
    assert first.exists() and first.with_name(first.name + ".sha256").exists()
    c = sqlite3.connect(first)
    assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert c.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    c.close()
    for _ in range(4):
        reg.backup(folder, keep=3)
    assert len(list_backups(folder)) == 3 and not first.exists()
    latest = list_backups(folder)[-1]
    reg.add_recipient(make_record("HSP-0002"), by=admin)
    path = Path(reg.path)
    reg.close()
    with pytest.raises(AuthError, match="administrator"):
        Registry.restore(latest, path, site_key=site_key)  # hole 3: restore needed no sign-in
    Registry.restore(latest, path, site_key=site_key, by=admin)
    with Registry.open(path, site_key=site_key, argon2_params=TEST_PARAMS) as again:
        assert [r["study_id"] for r in again.worklist()] == ["HSP-0001"]
        assert again.verify().ok  # the anchored head was reset to the restored chain
        restored = [a for a in again.audit_log(5, "settings") if a["row_key"] == "last_restore"]
        assert restored and restored[0]["username"] == "system:restore:admin"
    assert list(path.parent.glob("registry.db.pre-restore-*"))
    if os.name == "posix":
        assert latest.stat().st_mode & 0o077 == 0 and path.stat().st_mode & 0o077 == 0  # hole 5


def test_restore_refuses_empty_foreign_and_unauthorised(
    reg: Registry, admin: User, clinician: User, tmp_path: Path, site_key: bytes
) -> None:
    """Hole 3: an empty file or another site's registry "restored"; now both are refused, and only admins may."""
    reg.add_recipient(make_record("HSP-0001"), by=admin)
    good = reg.backup(tmp_path / "b")
    path = Path(reg.path)
    with pytest.raises(AuthError, match="does not permit"):
        Registry.restore(good, path, site_key=site_key, by=clinician)
    empty = tmp_path / "empty.sqlite"
    empty.write_bytes(b"")
    with pytest.raises(RegistryError, match="empty"):
        Registry.restore(empty, path, site_key=site_key, by=admin)
    # another site's registry without a key, with its own administrator
    foreign_path = tmp_path / "foreign.db"
    with Registry.open(foreign_path, argon2_params=TEST_PARAMS) as other:
        boss = other.add_user("admin", "admin-pass-1", "admin", by=None)
        other.add_recipient(make_record("EVIL-0001"), by=boss)
        foreign = other.backup(tmp_path / "f")
    with pytest.raises(RegistryError, match="another registry"):
        Registry.restore(foreign, path, site_key=site_key, by=admin)
    # a plain SQLite file, and one with the tables but no users
    plain = tmp_path / "plain.sqlite"
    c = sqlite3.connect(plain)
    c.execute("CREATE TABLE t (x)")
    c.close()
    with pytest.raises(RegistryError, match="not an HSP Desktop registry"):
        Registry.restore(plain, path, site_key=site_key, by=admin)
    with Registry.open(path, site_key=site_key, argon2_params=TEST_PARAMS) as same:
        assert [r["study_id"] for r in same.worklist()] == ["HSP-0001"]


def test_restore_path_with_percent_and_missing_target(
    reg: Registry, admin: User, tmp_path: Path, site_key: bytes
) -> None:
    """Hole 9: a '%' in the path broke restore; a lost registry is restored with an admin of the backup."""
    reg.add_recipient(make_record("HSP-0001"), by=admin)
    b = reg.backup(tmp_path / "100% sure #1")
    target = tmp_path / "new 50%" / "ward.db"
    target.parent.mkdir()
    with pytest.raises(AuthError):
        Registry.restore(
            b, target, site_key=site_key, username="admin", password="wrong", argon2_params=TEST_PARAMS
        )
    Registry.restore(
        b, target, site_key=site_key, username="admin", password="admin-pass-1", argon2_params=TEST_PARAMS
    )
    with Registry.open(target, site_key=site_key, argon2_params=TEST_PARAMS) as again:
        assert again.count() == 1 and again.verify().ok


def test_backup_on_a_full_disk_is_a_typed_error(
    reg: Registry, admin: User, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from hsp_desktop.registry import backup as backup_mod

    def full(path: Path) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(backup_mod, "_fsync_file", full)
    with pytest.raises(RegistryError, match="disk is full"):
        reg.backup(tmp_path / "b")
    assert list((tmp_path / "b").iterdir()) == []


def test_restore_refuses_damaged_or_tampered_backups(
    reg: Registry, admin: User, tmp_path: Path, site_key: bytes
) -> None:
    reg.add_recipient(make_record("HSP-0001"), by=admin)
    b = reg.backup(tmp_path / "b")
    target = tmp_path / "target.db"
    data = bytearray(b.read_bytes())
    data[4096 + 100 : 4096 * 4] = bytes(range(256)) * ((4096 * 3 - 100) // 256) + bytes(
        (4096 * 3 - 100) % 256
    )
    b.write_bytes(bytes(data))
    with pytest.raises(RegistryError, match=r"damaged|checksum"):
        Registry.restore(b, target, site_key=site_key, by=admin)
    b.with_name(b.name + ".sha256").unlink()
    with pytest.raises(RegistryError):
        Registry.restore(b, target, site_key=site_key, by=admin)
    b2 = reg.backup(tmp_path / "c")
    b2.with_name(b2.name + ".sha256").unlink()
    c = sqlite3.connect(b2, isolation_level=None)
    for (name,) in c.execute("SELECT name FROM sqlite_master WHERE name LIKE 'hsp_audit_preop_%'").fetchall():
        c.execute(f'DROP TRIGGER "{name}"')
    for (name,) in c.execute(
        "SELECT name FROM sqlite_master WHERE name LIKE 'hsp_reason_preop_%'"
    ).fetchall():
        c.execute(f'DROP TRIGGER "{name}"')
    c.execute("UPDATE preop SET platelets = 500")
    c.close()
    with pytest.raises(TamperError, match="failed verification"):
        Registry.restore(
            b2,
            target,
            site_key=site_key,
            username="admin",
            password="admin-pass-1",
            argon2_params=TEST_PARAMS,
        )
    assert not target.exists()
    assert not list(tmp_path.glob(".target.db.restore-*"))


def test_online_backup_while_writing(reg: Registry, admin: User, tmp_path: Path, site_key: bytes) -> None:
    import threading

    stop = threading.Event()
    written: list[str] = []

    def writer() -> None:
        i = 0
        while not stop.is_set() and i < 200:
            i += 1
            written.append(reg.add_recipient(make_record(f"B-{i:04d}"), by=admin))

    t = threading.Thread(target=writer)
    t.start()
    try:
        import time

        deadline = time.monotonic() + 30
        while len(written) < 3 and t.is_alive() and time.monotonic() < deadline:
            time.sleep(0.005)
        assert len(written) >= 3, "the writer thread did not start writing"
        copies = [reg.backup(tmp_path / "online", keep=5) for _ in range(2)]
    finally:
        stop.set()
        t.join()
    for copy in copies:
        with Registry.open(copy, site_key=site_key, read_only=True) as snap:
            n = snap.count()
            assert 3 <= n <= len(written)
            assert [r["study_id"] for r in snap.worklist(limit=None)] == written[:n]
            assert snap.verify().ok


def test_export_merges_visits_and_predictions_per_recipient(
    reg: Registry, admin: User, tmp_path: Path
) -> None:
    for sid in ("HSP-0003", "HSP-0001", "HSP-0002"):
        reg.add_recipient(make_record(sid), by=admin)
    reg.add_followup("HSP-0003", {"date": "2025-02-10", "platelets": 81, "wbc": 4.0}, by=admin)
    reg.add_followup("HSP-0001", {"date": "2025-04-10", "platelets": 91, "wbc": 4.0}, by=admin)
    reg.add_followup("HSP-0001", {"date": "2025-02-10", "platelets": 90, "wbc": 4.0}, by=admin)
    reg.save_prediction(
        "HSP-0002", {"model_id": "m", "manifest_sha256": "d" * 64, "inputs": {}, "probability": 0.2}, by=admin
    )
    files = reg.export(tmp_path, by=admin)
    with files[0].open(encoding="utf-8-sig") as fh:
        rows = [(r["record_id"], r["redcap_repeat_instrument"], r["fu_platelets"], r["pred_probability"])
                for r in csv.DictReader(fh)]  # fmt: skip
    assert rows == [
        ("HSP-0001", "", "", ""),
        ("HSP-0001", "followup", "90", ""),
        ("HSP-0001", "followup", "91", ""),
        ("HSP-0002", "", "", ""),
        ("HSP-0002", "prediction", "", "0.2"),
        ("HSP-0003", "", "", ""),
        ("HSP-0003", "followup", "81", ""),
    ]

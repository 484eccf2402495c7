"""Schema, pragmas, users, recipients, outcomes and immutability of the registry."""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from pathlib import Path

import pytest
from conftest import make_record
from hypothesis import given, settings
from hypothesis import strategies as st

from hsp_desktop.clinical.dictionary import FOLLOWUP_VARIABLES, VARIABLES
from hsp_desktop.errors import AuthError, RegistryError, SettingsError, ValidationError
from hsp_desktop.registry import Registry, User
from hsp_desktop.registry.connection import sqlite_version_status
from hsp_desktop.registry.fields import FOLLOWUP_NAMES, PREOP_NAMES
from hsp_desktop.registry.passwords import TEST_PARAMS, Argon2Params
from hsp_desktop.registry.schema import ELIGIBILITY_FLAGS
from hsp_desktop.registry.versions import KNOWN_MIGRATIONS

PRED = {
    "model_id": "hsp-demo-1",
    "manifest_sha256": "a" * 64,
    "inputs": {"platelets": 66},
    "probability": 0.31,
}


# ------------------------------------------------------------------------------------------------- schema
def test_pragmas_and_migrations(reg: Registry) -> None:
    conn = reg._conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    rows = conn.execute("SELECT migration_set, name FROM _sqlite_migrations").fetchall()
    assert ("hsp_registry", "0001_core") in rows
    assert reg.schema_version == list(KNOWN_MIGRATIONS)
    assert sqlite3.sqlite_version in reg._get_setting("sqlite_versions")


def test_every_dictionary_variable_has_a_column(reg: Registry) -> None:
    cols = {
        t: {r[1] for r in reg._conn.execute(f"PRAGMA table_info({t})")}
        for t in ("recipients", "enrolment", "preop", "followups")
    }
    stored = cols["recipients"] | cols["enrolment"] | cols["preop"]
    assert set(VARIABLES) <= stored, set(VARIABLES) - stored
    assert set(FOLLOWUP_VARIABLES) <= cols["followups"]
    assert set(PREOP_NAMES) <= cols["preop"] and set(FOLLOWUP_NAMES) <= cols["followups"]


@pytest.mark.parametrize("name", [n for n in PREOP_NAMES if VARIABLES[n].range is not None])
def test_check_constraints_follow_dictionary_ranges(reg: Registry, admin: User, name: str) -> None:
    reg.add_recipient(make_record(), by=admin)
    lo, hi = VARIABLES[name].range
    conn = reg._conn
    reg._ctx = (admin.id, admin.username, "test")
    try:
        for bad in (lo - 1, hi + 1):
            with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
                conn.execute(f"UPDATE preop SET {name} = ? WHERE study_id = 'HSP-0001'", (bad,))
        conn.execute("BEGIN")
        conn.execute(f"UPDATE preop SET {name} = ? WHERE study_id = 'HSP-0001'", (hi,))
        conn.execute("ROLLBACK")
    finally:
        reg._ctx = (None, None, None)


def test_impossible_dates_and_categories_refused_by_schema(reg: Registry, admin: User) -> None:
    reg.add_recipient(make_record(), by=admin)
    reg._ctx = (admin.id, admin.username, "test")
    try:
        with pytest.raises(sqlite3.IntegrityError):
            reg._conn.execute(
                "UPDATE recipients SET transplant_date = '2025-02-30' WHERE study_id = 'HSP-0001'"
            )
        with pytest.raises(sqlite3.IntegrityError):
            reg._conn.execute("UPDATE preop SET sex = 'X' WHERE study_id = 'HSP-0001'")
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            reg._conn.execute(
                "INSERT INTO followups (study_id, date, day, created_at) VALUES ('NOPE', '2025-01-01', 1, "
                "'2025-01-01T00:00:00Z')"
            )
    finally:
        reg._ctx = (None, None, None)


def test_not_a_registry_and_newer_schema_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    c = sqlite3.connect(other)
    c.execute("CREATE TABLE x (a)")
    c.commit()
    c.close()
    with pytest.raises(RegistryError, match="not an HSP Desktop registry"):
        Registry.open(other)
    path = tmp_path / "r.db"
    Registry.open(path).close()
    c = sqlite3.connect(path)
    c.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('hsp_registry', '9999_future', 'x')"
    )
    c.commit()
    c.close()
    with pytest.raises(RegistryError, match="newer HSP Desktop"):
        Registry.open(path)


def test_sqlite_version_status() -> None:
    assert sqlite_version_status("3.40.1")[0] is True
    assert sqlite_version_status("3.51.2")[0] is True
    assert sqlite_version_status("3.51.3")[0] is False
    assert sqlite_version_status("3.44.6")[0] is False
    assert sqlite_version_status("3.50.7")[0] is False
    assert sqlite_version_status("3.50.6")[0] is True
    assert sqlite_version_status("3.6.0")[0] is False


def test_site_key_must_match(tmp_path: Path, site_key: bytes) -> None:
    path = tmp_path / "r.db"
    Registry.open(path, site_key=site_key).close()
    with pytest.raises(RegistryError, match="cannot be opened without it"):
        Registry.open(path)
    with pytest.raises(RegistryError, match="does not belong"):
        Registry.open(path, site_key=bytes(32))
    Registry.open(path, site_key=site_key).close()


# -------------------------------------------------------------------------------------------------- users
def test_default_argon2_parameters_are_owasp(tmp_path: Path) -> None:
    with Registry.open(tmp_path / "r.db") as reg:
        reg.add_user("admin", "long-password", "admin", by=None)
        encoded = reg._conn.execute("SELECT password_hash FROM users").fetchone()[0]
        assert encoded.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
        assert reg.authenticate("admin", "long-password").role == "admin"
    with pytest.raises(SettingsError):
        Argon2Params(memory_kib=1024)


def test_first_admin_only_on_empty_table(reg: Registry, admin: User) -> None:
    with pytest.raises(AuthError, match="first administrator"):
        reg.add_user("intruder", "password-123", "admin", by=None)


def test_lockout_after_five_failures_and_unlock(reg: Registry, admin: User) -> None:
    reg.add_user("nurse", "nurse-pass-1", "coordinator", by=admin)
    for _ in range(5):
        with pytest.raises(AuthError, match="Wrong user name or password"):
            reg.authenticate("nurse", "wrong")
    with pytest.raises(AuthError, match="Wrong user name or password") as locked:
        reg.authenticate("nurse", "nurse-pass-1")  # right password, but locked
    reg.unlock_user("nurse", by=admin)
    assert reg.authenticate("nurse", "nurse-pass-1").username == "nurse"
    with pytest.raises(AuthError, match="Wrong user name or password") as unknown:
        reg.authenticate("nobody", "x")
    # hole 6: one message for locked, unknown and wrong, so an answer reveals neither names nor locks
    assert str(locked.value) == str(unknown.value)
    actions = [(a["username"], a["reason"]) for a in reg.audit_log(50, "users")]
    assert ("system:auth:nurse", "sign-in attempt") in actions
    assert ("system:auth:nurse", "sign-in") in actions


def test_deactivated_account_gets_the_same_message(reg: Registry, admin: User) -> None:
    reg.add_user("gone", "gone-pass-12", "clinician", by=admin)
    with pytest.raises(AuthError) as wrong:
        reg.authenticate("gone", "not-it")
    reg.set_user_active("gone", False, by=admin, reason="left")
    with pytest.raises(AuthError) as inactive:
        reg.authenticate("gone", "gone-pass-12")
    assert str(wrong.value) == str(inactive.value)


def test_parallel_guesses_cannot_outrun_the_lockout(
    tmp_path: Path, site_key: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hole 6: 16 parallel wrong passwords (each its own connection, as separate programs) check at most 5."""
    import threading

    from hsp_desktop.registry import users as users_mod

    path = tmp_path / "race.db"
    with Registry.open(path, site_key=site_key, argon2_params=TEST_PARAMS) as reg:
        admin = reg.add_user("admin", "admin-pass-1", "admin", by=None)
        reg.add_user("nurse", "nurse-pass-1", "coordinator", by=admin)
    checked: list[str] = []
    real = users_mod.verify_password

    def counting(encoded: str, password: str, params: object) -> bool:
        if password == "wrong":
            checked.append(encoded)
        return real(encoded, password, params)  # type: ignore[arg-type]

    monkeypatch.setattr(users_mod, "verify_password", counting)
    regs = [Registry.open(path, site_key=site_key, argon2_params=TEST_PARAMS) for _ in range(16)]
    barrier = threading.Barrier(16)
    errors: list[BaseException] = []

    def guess(r: Registry) -> None:
        barrier.wait()
        try:
            r.authenticate("nurse", "wrong")
        except AuthError:
            pass
        except BaseException as exc:  # noqa: BLE001 - collected and asserted empty below
            errors.append(exc)

    threads = [threading.Thread(target=guess, args=(r,)) for r in regs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in regs:
        r.close()
    assert errors == []
    with Registry.open(path, site_key=site_key, argon2_params=TEST_PARAMS) as reg:
        row = reg._conn.execute(
            "SELECT failed_attempts, locked_until, password_hash FROM users WHERE username = 'nurse'"
        ).fetchone()
    assert row[0] == 5 and row[1] is not None  # before: the counter ended at 2
    assert len(checked) == 16  # every attempt costs one hash check (the refused ones against a dummy hash)
    assert sum(e == row[2] for e in checked) == 5  # before: about 16 guesses checked against the real hash


def test_roles_are_enforced_from_the_database(reg: Registry, admin: User) -> None:
    reg.add_user("viewer", "viewer-pass", "readonly", by=admin)
    viewer = reg.authenticate("viewer", "viewer-pass")
    with pytest.raises(AuthError, match="does not permit"):
        reg.add_recipient(make_record(), by=viewer)
    forged = User(viewer.id, "viewer", "admin")  # a hand-made User grants nothing
    with pytest.raises(AuthError, match="Sign in again"):
        reg.add_recipient(make_record(), by=forged)
    with pytest.raises(AuthError, match="Sign in"):
        reg.add_recipient(make_record(), by=None)  # type: ignore[arg-type]
    assert reg.worklist() == []


def test_every_write_is_attributed(reg: Registry, admin: User, clinician: User) -> None:
    reg.add_recipient(make_record(), by=clinician)
    assert reg._conn.execute("SELECT COUNT(*) FROM audit WHERE username IS NULL").fetchone()[0] == 0
    users = {a["username"] for a in reg.audit_log(100, "preop")}
    assert users == {"doc"}


# --------------------------------------------------------------------------------------------- recipients
def test_add_get_and_identity_encrypted_at_rest(reg: Registry, admin: User) -> None:
    rec = make_record("HSP-0042", mrn="7654321", name="Wang Xiaoming", platelets="66000")
    with pytest.raises(ValidationError) as err:
        reg.add_recipient(rec, by=admin)
    assert any(p.field == "platelets" and "/µL" in p.reason for p in err.value.problems)
    assert reg.count() == 0
    sid = reg.add_recipient(rec, by=admin, confirm_units=True)
    got = reg.get_recipient(sid)
    assert got["platelets"] == 66.0
    assert got["entered"]["platelets"] == {"value": 66000.0, "unit": "/µL", "confirmed_trap": True}
    assert got["name"] == "Wang Xiaoming" and got["mrn"] == "7654321"
    assert reg.find_by_mrn(" 765 4321") == sid
    raw = reg._conn.execute("SELECT mrn_hmac, mrn_enc, name_enc FROM recipients").fetchone()
    assert raw[0] != hashlib.sha256(b"7654321").hexdigest()
    assert "7654321" not in str(raw) and "Wang" not in str(raw)
    reg.checkpoint("TRUNCATE")
    data = Path(reg.path).read_bytes()
    assert b"7654321" not in data and b"Wang Xiaoming" not in data


def test_identity_needs_a_site_key(tmp_path: Path) -> None:
    with Registry.open(tmp_path / "r.db", argon2_params=TEST_PARAMS) as reg:
        reg.add_user("admin", "admin-pass-1", "admin", by=None)
        admin = reg.authenticate("admin", "admin-pass-1")
        with pytest.raises(RegistryError, match="site key"):
            reg.add_recipient(make_record(mrn="123"), by=admin)
        assert reg.count() == 0
        assert reg.add_recipient(make_record(study_id=None), by=admin) == "HSP-0001"
        assert reg.add_recipient(make_record(study_id=""), by=admin) == "HSP-0002"


def test_validation_lists_every_problem_and_writes_nothing(reg: Registry, admin: User) -> None:
    with pytest.raises(ValidationError) as err:
        reg.add_recipient(make_record(age=12, sex="X", bilirubin="abc"), by=admin)
    fields = {p.field for p in err.value.problems}
    assert {"age", "sex", "bilirubin"} <= fields
    assert reg.count() == 0
    assert reg._conn.execute("SELECT COUNT(*) FROM preop").fetchone()[0] == 0


def test_eligibility_stored_with_reasons(reg: Registry, admin: User) -> None:
    reg.add_recipient(make_record("HSP-0002", prior_splenectomy=1), by=admin)
    got = reg.get_recipient("HSP-0002")
    assert got["eligible"] is False and got["exclusion_reasons"]
    assert got["status"] == "excluded"
    assert reg.worklist(status="excluded")[0]["study_id"] == "HSP-0002"


def test_reason_required_for_scored_or_locked(reg: Registry, admin: User) -> None:
    sid = reg.add_recipient(make_record(), by=admin)
    assert reg.update_preop(sid, {"albumin": 27}, by=admin) == {"albumin": (33.0, 27.0), "child_pugh": (8, 9)}
    reg.save_prediction(sid, PRED, by=admin)
    with pytest.raises(ValidationError, match="reason"):
        reg.update_preop(sid, {"platelets": 70}, by=admin)
    # the database itself refuses too (defence in depth)
    reg._ctx = (admin.id, admin.username, None)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="reason is required"):
            reg._conn.execute(f"UPDATE preop SET platelets = 70 WHERE study_id = '{sid}'")
    finally:
        reg._ctx = (None, None, None)
    reg.update_preop(sid, {"platelets": 70}, by=admin, reason="transcription error")
    entry = reg.audit_log(10, "preop")[0]
    assert entry["reason"] == "transcription error"
    assert entry["old"]["platelets"] == 66.0 and entry["new"]["platelets"] == 70.0
    sid2 = reg.add_recipient(make_record("HSP-0002"), by=admin)
    reg.lock_recipient(sid2, by=admin, reason="data review complete")
    with pytest.raises(ValidationError, match="locked"):
        reg.update_preop(sid2, {"platelets": 70}, by=admin)


def test_predictions_and_audit_rows_are_immutable(reg: Registry, admin: User) -> None:
    sid = reg.add_recipient(make_record(), by=admin)
    pid = reg.save_prediction(sid, PRED, by=admin)
    p = reg.predictions(sid)[0]
    assert p["input_sha256"] == hashlib.sha256(b'{"platelets":66}').hexdigest()
    reg._ctx = (admin.id, admin.username, "try")
    try:
        for sql in (
            f"UPDATE predictions SET probability = 0.9 WHERE id = {pid}",
            f"DELETE FROM predictions WHERE id = {pid}",
            "UPDATE audit SET reason = 'x' WHERE id = 1",
            "DELETE FROM audit WHERE id = 1",
        ):
            with pytest.raises(sqlite3.IntegrityError, match="immutable"):
                reg._conn.execute(sql)
    finally:
        reg._ctx = (None, None, None)
    with pytest.raises(ValidationError):
        reg.save_prediction(sid, {**PRED, "probability": 1.5}, by=admin)


def test_outcome_derived_on_every_relevant_change(reg: Registry, admin: User) -> None:
    sid = reg.add_recipient(make_record(), by=admin)
    assert reg.outcome(sid)["status"] == "pending"
    assert reg.outcome(sid)["definition_id"] == "HSP-RH6-v2"
    reg.add_followup(
        sid, {"date": "2025-07-01", "platelets": 60, "wbc": 3.0, "spleen_volume_ml": 600}, by=admin
    )
    assert reg.outcome(sid)["status"] == "pending"  # one measurement is not enough
    vid = reg.add_followup(sid, {"date": "2025-07-15", "platelets": 62, "wbc": 3.1}, by=admin)
    out = reg.outcome(sid)
    assert out["status"] == 1 and reg.get_recipient(sid)["status"] == "outcome"
    reg.update_followup(vid, {"pv_complication": 1}, by=admin, reason="adjudication")
    assert reg.outcome(sid)["status"] == 0  # another cause explains the cytopenia
    reg.delete_followup(vid, by=admin, reason="entered for the wrong recipient")
    assert reg.outcome(sid)["status"] == "pending"
    reg.add_followup(sid, {"date": "2025-07-16", "platelets": 62, "wbc": 3.1}, by=admin)
    reg.set_setting("outcome_definition", {"plt_threshold": 50, "wbc_threshold": 2.0}, by=admin)
    out = reg.outcome(sid)
    assert out["status"] == 0 and out["definition_id"].startswith("HSP-RH6-v2+")
    assert reg.followups(sid)[0]["day"] == 172


def test_competing_event_and_settings(reg: Registry, admin: User) -> None:
    sid = reg.add_recipient(make_record(), by=admin)
    reg.add_followup(sid, {"date": "2025-03-01", "platelets": 60, "wbc": 3.0, "event": "death"}, by=admin)
    assert reg.outcome(sid)["status"] == "competing"
    assert reg.worklist()[0]["status"] == "competing"
    with pytest.raises(SettingsError):
        reg.set_setting("nonsense", 1, by=admin)
    with pytest.raises(SettingsError):
        reg.set_setting("language", "fr", by=admin)
    reg.set_setting("site_name", "Ward 7", by=admin)
    assert reg.get_setting("site_name") == "Ward 7"


def test_worklist_search_status_and_next_visit(reg: Registry, admin: User) -> None:
    for i in range(1, 6):
        reg.add_recipient(make_record(f"HSP-{i:04d}", mrn=f"M{i}"), by=admin)
    reg.save_prediction("HSP-0003", PRED, by=admin)
    rows = reg.worklist(search="hsp-000", today=dt.date(2025, 2, 12))
    assert [r["study_id"] for r in rows] == [f"HSP-{i:04d}" for i in range(1, 6)]
    assert rows[0]["next_visit"]["day"] == 30 and rows[0]["next_visit"]["state"] == "due"
    assert reg.worklist(search="HSP-0003")[0]["risk"] == pytest.approx(0.31)
    assert [r["study_id"] for r in reg.worklist(status="scored")] == ["HSP-0003"]
    assert [r["study_id"] for r in reg.worklist(search="M4")] == ["HSP-0004"]
    assert reg.worklist(search="*") == []
    assert len(reg.worklist(limit=2, offset=1)) == 2


def test_imaging_features_and_audit_log(reg: Registry, admin: User) -> None:
    sid = reg.add_recipient(make_record(), by=admin)
    iid = reg.add_imaging_study(
        sid, ct_path="/data/ct.nii.gz", mask_path=None, ct_sha256="b" * 64, mask_sha256=None,
        qc_report={"passed": True}, by=admin,
    )  # fmt: skip
    fid = reg.save_features(
        sid, iid, {"original_firstorder_Mean": 110.0}, {"binWidth": 25}, "hsp-0.1.0", by=admin
    )
    assert fid > 0 and reg.features(sid)[0]["features"]["original_firstorder_Mean"] == 110.0
    assert reg.imaging_studies(sid)[0]["qc_report"] == {"passed": True}
    with pytest.raises(RegistryError, match="does not belong"):
        reg.save_features("HSP-0001", 999, {}, {}, "x", by=admin)
    with pytest.raises(ValidationError):
        reg.add_imaging_study(
            sid, ct_path="x", mask_path=None, ct_sha256="nothex", mask_sha256=None, qc_report={}, by=admin
        )
    log = reg.audit_log(5)
    assert log[0]["table"] == "feature_vectors" and log[0]["action"] == "insert"
    user_rows = reg.audit_log(5, "users")
    assert all(r["new"]["password_hash"] == "<argon2id hash>" for r in user_rows if r["new"])


def test_enrolment_flags_round_trip(reg: Registry, admin: User) -> None:
    sid = reg.add_recipient(make_record(), by=admin)
    got = reg.get_recipient(sid)
    assert all(got[f] == 0 for f in ELIGIBILITY_FLAGS) and got["consent"] == 1
    reg.update_preop(sid, {"consent": 0}, by=admin)
    got = reg.get_recipient(sid)
    assert got["eligible"] is False and got["status"] == "excluded"


def test_in_memory_registry() -> None:
    with Registry.open(":memory:", argon2_params=TEST_PARAMS) as reg:
        reg.add_user("admin", "admin-pass-1", "admin", by=None)
        admin = reg.authenticate("admin", "admin-pass-1")
        sid = reg.add_recipient(make_record(), by=admin)
        assert reg.get_recipient(sid)["platelets"] == 66.0
        assert reg.verify().ok


_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**7), 10**7),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["66000", "2.0 mg/dL", "3.3 g/dL", "M", "hbv", "2025-02-30", "1e400"]),
)


@settings(max_examples=80, deadline=None)
@given(
    changes=st.dictionaries(
        st.sampled_from([*VARIABLES, "mrn", "name", "unknown_field"]), _values, max_size=5
    )
)
def test_fuzzed_records_are_all_or_nothing(changes: dict[str, object]) -> None:
    with Registry.open(":memory:", argon2_params=TEST_PARAMS) as reg:
        reg.add_user("admin", "admin-pass-1", "admin", by=None)
        admin = reg.authenticate("admin", "admin-pass-1")
        tables = ("recipients", "enrolment", "preop", "outcomes", "audit")
        before = [reg._conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables]
        try:
            sid = reg.add_recipient(make_record(**changes), by=admin)
        except ValidationError as exc:
            assert exc.problems and all(p.field and p.reason for p in exc.problems)
            after = [reg._conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables]
            assert after == before
        except RegistryError as exc:  # name/MRN without a site key
            assert exc.field in ("mrn", "name")
            assert reg.count() == 0
        else:
            assert reg.get_recipient(sid)["study_id"] == sid
            assert reg._conn.execute("SELECT COUNT(*) FROM outcomes").fetchone()[0] == 1
        assert reg.verify().ok


def test_upgrade_from_an_older_schema(tmp_path: Path) -> None:
    """A registry at migration 0001 is upgraded to the current schema on open, audit chain intact."""
    from hsp_desktop.registry import audit, schema
    from hsp_desktop.registry.connection import connect

    path = tmp_path / "old.db"
    conn = connect(path)
    conn.create_function("hsp_user_id", 0, lambda: None)
    conn.create_function("hsp_username", 0, lambda: "system:old-version")
    conn.create_function("hsp_reason", 0, lambda: None)
    conn.create_function("hsp_chain", 11, audit.make_chain_function(None))
    conn.execute("BEGIN IMMEDIATE")
    assert schema.apply_migrations(conn, stop_before="0002_export_log") == ["0001_core"]
    conn.execute("COMMIT")
    conn.close()
    with Registry.open(path, argon2_params=TEST_PARAMS) as reg:
        assert reg.schema_version == list(KNOWN_MIGRATIONS)
        reg.add_user("admin", "admin-pass-1", "admin", by=None)
        admin = reg.authenticate("admin", "admin-pass-1")
        reg.add_recipient(make_record(), by=admin)
        reg.export(tmp_path / "exports", by=admin)
        assert reg.exports()[0]["username"] == "admin"
        assert reg.verify().ok


def test_quick_check_on_open_refuses_a_damaged_file(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    with Registry.open(path, argon2_params=TEST_PARAMS) as reg:
        reg.add_user("admin", "admin-pass-1", "admin", by=None)
        reg.checkpoint("TRUNCATE")
    Registry.open(path, quick_check=True).close()
    data = bytearray(path.read_bytes())
    page = 4096
    data[2 * page : 3 * page] = bytes([0x0D]) + bytes(range(256)) * 15 + bytes(page - 1 - 256 * 15)
    path.write_bytes(bytes(data))
    with pytest.raises(RegistryError):
        Registry.open(path, quick_check=True)


def test_transaction_groups_writes(reg: Registry, admin: User) -> None:
    sid = reg.add_recipient(make_record(), by=admin)
    with pytest.raises(RuntimeError):
        with reg.transaction(by=admin):
            iid = reg.add_imaging_study(
                sid,
                ct_path="ct",
                mask_path="m",
                ct_sha256="e" * 64,
                mask_sha256="f" * 64,
                qc_report={},
                by=admin,
            )
            reg.save_features(sid, iid, {"a": 1.0}, {}, "x", by=admin)
            raise RuntimeError("scoring failed")
    assert reg.imaging_studies(sid) == [] and reg.features(sid) == []
    with reg.transaction(by=admin) as tx:
        iid = tx.add_imaging_study(
            sid, ct_path="ct", mask_path="m", ct_sha256="e" * 64, mask_sha256="f" * 64, qc_report={}, by=admin
        )
        with pytest.raises(ValidationError):  # a failed nested write leaves nothing behind, even when caught
            tx.add_recipient(make_record("HSP-0002", age=5), by=admin)
        tx.save_prediction(sid, PRED, by=admin)
    assert len(reg.imaging_studies(sid)) == 1 and len(reg.predictions(sid)) == 1 and reg.count() == 1
    assert reg.verify().ok


def test_read_only_open_leaves_a_backup_untouched(reg: Registry, admin: User, tmp_path: Path) -> None:
    reg.add_recipient(make_record(), by=admin)
    backup = reg.backup(tmp_path / "bk")
    before = backup.read_bytes()
    with Registry.open(backup, site_key=reg._key.key, read_only=True) as copy:  # type: ignore[union-attr]
        assert copy.count() == 1 and copy.verify().ok
        with pytest.raises(RegistryError, match="read-only"):
            copy.add_recipient(make_record("HSP-0002"), by=admin)
    assert backup.read_bytes() == before
    assert not Path(str(backup) + "-wal").exists()


def test_upgrade_to_outcome_status_excluded_keeps_rows_and_audit(tmp_path: Path) -> None:
    """0005 rebuilds the outcomes table so that 'excluded' (outcome definition v2) can be stored; rows survive."""
    from hsp_desktop.registry import audit, schema
    from hsp_desktop.registry.connection import connect

    path = tmp_path / "v4.db"
    conn = connect(path)
    conn.create_function("hsp_user_id", 0, lambda: None)
    conn.create_function("hsp_username", 0, lambda: "system:old-version")
    conn.create_function("hsp_reason", 0, lambda: None)
    conn.create_function("hsp_chain", 11, audit.make_chain_function(None))
    conn.execute("BEGIN IMMEDIATE")
    assert schema.apply_migrations(conn, stop_before="0005_outcome_excluded")[-1] == "0004_dicom_transfers"
    conn.execute("COMMIT")
    old_sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'outcomes'").fetchone()[0]
    conn.close()
    assert "'excluded'" not in old_sql
    with Registry.open(path, argon2_params=TEST_PARAMS) as reg:
        assert reg.schema_version == list(KNOWN_MIGRATIONS)
        reg.add_user("admin", "admin-pass-1", "admin", by=None)
        admin = reg.authenticate("admin", "admin-pass-1")
        sid = reg.add_recipient(make_record(), by=admin)
        before = reg.outcome(sid)
        raw = reg._db.conn
        new_sql = raw.execute("SELECT sql FROM sqlite_master WHERE name = 'outcomes'").fetchone()[0]
        assert "'excluded'" in new_sql
        triggers = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'outcomes'")}
        assert any(t.startswith("hsp_audit_outcomes") for t in triggers)
        assert reg.outcome(sid) == before
        assert reg.verify().ok

"""Holes 8 and 10: strict dates, case-insensitive study ids, invisible characters, combined import, row cap,
manifest paths inside the bundle, a second visit on one date."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import BASE_RECORD, make_record

from hsp_desktop.errors import ModelArtefactError, ValidationError
from hsp_desktop.registry import Registry, User
from hsp_desktop.registry import io as io_mod


def _csv(path: Path, rows: list[dict[str, Any]], columns: list[str]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, columns, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path


@pytest.mark.parametrize("bad", ["2021-04-19junk", "20210419", "2021-W16-1", "2021-4-19", "2021-02-30"])
def test_dates_must_be_exactly_iso(reg: Registry, admin: User, bad: str) -> None:
    with pytest.raises(ValidationError) as info:
        reg.add_recipient(make_record(transplant_date=bad), by=admin)
    assert any(p.field == "transplant_date" for p in info.value.problems)


def test_study_ids_unique_whatever_the_case(reg: Registry, admin: User, tmp_path: Path) -> None:
    reg.add_recipient(make_record("HSP-0001"), by=admin)
    with pytest.raises(ValidationError, match="problem"):
        reg.add_recipient(make_record("hsp-0001"), by=admin)  # before: a second recipient
    report = reg.import_csv(
        _csv(tmp_path / "c.csv", [make_record("HSP-0002"), make_record("hsp-0002"), make_record("Hsp-0001")],
             list(BASE_RECORD)),
        by=admin,
    )  # fmt: skip
    assert not report.ok
    reasons = {(r.row, r.reason) for r in report.rejected}
    assert (3, "duplicate of row 2") in reasons
    assert any(row == 4 and "already in the registry as HSP-0001" in why for row, why in reasons)


@pytest.mark.parametrize("text", ["Li\u202eieL", "Li\u200bLei", "x\u2066y", "a\x07b"])
def test_invisible_and_bidi_characters_refused(reg: Registry, admin: User, text: str) -> None:
    with pytest.raises(ValidationError):
        reg.add_recipient(make_record(name=text), by=admin)
    sid = reg.add_recipient(make_record(), by=admin)
    with pytest.raises(ValidationError, match="problem"):
        reg.add_followup(sid, {"date": "2025-02-10", "platelets": 80, "wbc": 4.0, "notes": text}, by=admin)


def test_clinical_and_followup_import_all_or_nothing(reg: Registry, admin: User, tmp_path: Path) -> None:
    clinical = _csv(tmp_path / "c.csv", [make_record("HSP-0001"), make_record("HSP-0002")], list(BASE_RECORD))
    followup = tmp_path / "f.csv"
    followup.write_text("study_id,date,platelets,wbc\nHSP-0001,2025-02-12,80,4.1\nHSP-0002,2025-02-12,-5,4\n")
    reports = reg.import_clinical(clinical, followup, by=admin)
    assert [r.ok for r in reports] == [False, False]
    assert reg.count() == 0  # before: the recipients stayed although the follow-up file was rejected
    assert "rolled back" in reports[0].summary()
    followup.write_text("study_id,date,platelets,wbc\nHSP-0001,2025-02-12,80,4.1\nHSP-0001,2025-02-12,81,4\n")
    reports = reg.import_clinical(clinical, followup, by=admin)
    assert [r.ok for r in reports] == [True, True] and reg.count() == 2
    assert any("second visit of HSP-0001 on 2025-02-12" in w for w in reports[1].warnings)
    assert reg.verify().ok


def test_import_row_cap_bounds_memory(
    reg: Registry, admin: User, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hole 8: the file is streamed and refused past the cap, without reading the rest of it."""
    monkeypatch.setattr(io_mod, "MAX_ROWS", 50)
    path = tmp_path / "big.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, list(BASE_RECORD))
        w.writeheader()
        for i in range(5000):
            w.writerow(make_record(f"B-{i:05d}"))
    report = reg.import_csv(path, by=admin)
    assert (
        not report.ok
        and report.rejected[0].row == 52
        and "more than 50 data rows" in report.rejected[0].reason
    )
    assert reg.count() == 0


def test_manifest_paths_stay_inside_the_bundle(tmp_path: Path) -> None:
    from hsp_desktop.modelstore import SHIPPED
    from models.bundle import load_bundle, sha256_file

    bundle = tmp_path / "b"
    shutil.copytree(SHIPPED / "hsp-demo-1", bundle)
    outside = tmp_path / "secret.txt"
    outside.write_text("not part of the bundle")
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["files"]["../secret.txt"] = sha256_file(outside)
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelArtefactError, match="outside the folder"):
        load_bundle(bundle)


def test_batched_import_failure_removes_earlier_batches(
    reg: Registry, admin: User, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hole 8: written in batches (the write lock is released between them), still all-or-nothing."""
    import sqlite3

    monkeypatch.setattr(io_mod, "BATCH_ROWS", 2)
    real = reg._recipients.insert_recipient
    calls = {"n": 0}

    def failing(*args: Any, **kw: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 4:
            raise sqlite3.IntegrityError("disk I/O error (simulated)")
        return real(*args, **kw)

    monkeypatch.setattr(reg._recipients, "insert_recipient", failing)
    rows = [make_record(f"HSP-{i:04d}") for i in range(1, 6)]
    report = reg.import_csv(_csv(tmp_path / "c.csv", rows, list(BASE_RECORD)), by=admin)
    assert not report.ok and report.rejected[0].row == 5
    assert reg.count() == 0  # the first batch (2 recipients) was committed, then removed again
    assert any("rolled back" in (a["reason"] or "") for a in reg.audit_log(20, "recipients"))
    assert reg.verify().ok


def test_sign_in_proceeds_during_a_long_import(
    reg: Registry, admin: User, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, site_key: bytes
) -> None:
    """Hole 8: sign-in elsewhere waited for the whole import (and failed after 60 s); now for one batch."""
    import threading
    import time

    from hsp_desktop.registry.passwords import TEST_PARAMS

    reg.add_user("nurse", "nurse-pass-1", "coordinator", by=admin)
    monkeypatch.setattr(io_mod, "BATCH_ROWS", 5)
    real = reg._outcomes.derive

    def slow(*args: Any) -> None:
        time.sleep(0.05)  # 40 rows x 50 ms = a 2 s import
        real(*args)

    monkeypatch.setattr(reg._outcomes, "derive", slow)
    rows = [make_record(f"HSP-{i:04d}") for i in range(1, 41)]
    path = _csv(tmp_path / "c.csv", rows, list(BASE_RECORD))
    other = Registry.open(reg.path, site_key=site_key, argon2_params=TEST_PARAMS)
    worker = threading.Thread(target=lambda: reg.import_csv(path, by=admin))
    worker.start()
    while reg.count() == 0:  # the first batch is in
        time.sleep(0.01)
    t = time.perf_counter()
    other.authenticate("nurse", "nurse-pass-1")
    waited = time.perf_counter() - t
    still_importing = worker.is_alive()
    worker.join()
    other.close()
    assert reg.count() == 40
    assert still_importing and waited < 1.5, waited  # one batch (~0.25 s), not the whole import

"""``hsp registry`` end to end through hsp_desktop.cli.main, and the follow-up schedule."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
from conftest import BASE_RECORD, make_record

from hsp_desktop.cli import main
from hsp_desktop.registry.schedule import DEFAULT_WINDOWS, VisitWindow, next_visit, visit_states


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("HSP_PASSWORD", "admin-pass-1")
    monkeypatch.setenv("HSP_REGISTRY", str(tmp_path / "ward.db"))
    monkeypatch.setenv("HSP_SITE_KEY_FILE", str(tmp_path / "keys" / "ward.key"))
    monkeypatch.setenv("HSP_USER", "boss")
    return tmp_path


def test_cli_workflow(env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["registry", "init", "--admin", "boss"]) == 0
    assert (env / "keys" / "ward.key").stat().st_mode & 0o077 == 0
    monkeypatch.setenv("HSP_NEW_PASSWORD", "nurse-pass-1")
    assert main(["registry", "user", "add", "nurse", "--role", "coordinator"]) == 0
    clinical = env / "clinical.csv"
    with open(clinical, "w", newline="") as fh:
        w = csv.DictWriter(fh, list(BASE_RECORD))
        w.writeheader()
        w.writerow(make_record("HSP-0001"))
        w.writerow(make_record("HSP-0002", transplant_date="2025-03-01", ct_date="2025-02-20"))
    followup = env / "followup.csv"
    followup.write_text("study_id,date,platelets,wbc\nHSP-0001,2025-02-12,80,4.1\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["registry", "import", str(clinical), "--followup", str(followup)]) == 0
    assert "imported 2 of 2 rows" in capsys.readouterr().out
    assert (
        main(
            [
                "registry",
                "add-followup",
                "HSP-0002",
                "--date",
                "2025-04-01",
                "-v",
                "platelets=70",
                "-v",
                "wbc=3.5",
            ]
        )
        == 0
    )
    assert "outcome pending" in capsys.readouterr().out
    assert main(["registry", "followups-due", "--today", "2025-04-20", "--json"]) == 0
    due = json.loads(capsys.readouterr().out)
    assert [(d["study_id"], d["day"], d["state"]) for d in due] == [("HSP-0001", 90, "due")]
    assert main(["registry", "export", str(env / "out")]) == 0
    assert "records.csv" in capsys.readouterr().out
    assert main(["registry", "backup", str(env / "bk")]) == 0
    backup_path = capsys.readouterr().out.strip().split(": ", 1)[1]
    assert main(["registry", "verify"]) == 0
    assert "ok:" in capsys.readouterr().out
    assert main(["registry", "restore", backup_path]) == 0
    capsys.readouterr()
    assert main(["registry", "verify", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True and report["keyed"] is True and report["rows_checked"] > 5


def test_cli_errors(env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["registry", "init", "--admin", "boss"]) == 0
    bad = env / "bad.csv"
    bad.write_text("study_id,age\nHSP-1,200\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["registry", "import", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "nothing imported" in out and "row 2, column age" in out
    monkeypatch.setenv("HSP_PASSWORD", "wrong")
    assert main(["registry", "import", str(bad)]) == 2
    assert "Wrong user name or password" in capsys.readouterr().err
    monkeypatch.delenv("HSP_SITE_KEY_FILE")
    assert main(["registry", "verify"]) == 2
    assert "site key" in capsys.readouterr().err


def test_schedule_states() -> None:
    tx = dt.date(2025, 1, 1)
    states = visit_states(tx, [], dt.date(2025, 1, 20), DEFAULT_WINDOWS)
    assert [s.state for s in states] == ["upcoming", "upcoming", "upcoming"]
    states = visit_states(tx, [], dt.date(2025, 1, 31), DEFAULT_WINDOWS)
    assert (
        states[0].state == "due"
        and states[0].window_start == "2025-01-24"
        and states[0].window_end == "2025-02-07"
    )
    states = visit_states(tx, [31], dt.date(2025, 4, 30), DEFAULT_WINDOWS)
    assert [s.state for s in states] == ["done", "overdue", "upcoming"] and states[1].days_overdue == 15
    states = visit_states(tx, [31, 90, 170], dt.date(2025, 8, 20), DEFAULT_WINDOWS)
    assert states[2].state == "overdue" and states[2].measurements == 1  # day 180 needs two measurements
    states = visit_states(tx, [31, 90, 170, 185], dt.date(2025, 8, 20), DEFAULT_WINDOWS)
    assert next_visit(states) is None
    # enrolled late, first seen on day 183: days 30 and 90 are missed, not overdue; next is day 180's 2nd count
    states = visit_states(tx, [183], dt.date(2025, 7, 3), DEFAULT_WINDOWS)
    assert [s.state for s in states] == ["missed", "missed", "due"]
    nxt = next_visit(states)
    assert nxt is not None and nxt.day == 180 and nxt.state == "due"
    with pytest.raises(ValueError):
        VisitWindow(30, -1, 7)

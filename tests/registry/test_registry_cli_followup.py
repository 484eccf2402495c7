"""``hsp registry followups / correct-followup / delete-followup``, the default registry, the ``plt`` hint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hsp_desktop.cli import main
from tests.registry.conftest import BASE_RECORD, make_record


@pytest.fixture
def ward(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("HSP_PASSWORD", "admin-pass-1")
    monkeypatch.delenv("HSP_REGISTRY", raising=False)
    monkeypatch.setenv("HSP_DATA_DIR", str(tmp_path / "data"))  # the registry the desktop app opens
    monkeypatch.setenv("HSP_USER", "boss")
    (tmp_path / "data").mkdir()
    assert main(["registry", "init", "--admin", "boss", "--no-site-key"]) == 0
    return tmp_path


def test_correct_and_delete_a_visit_with_a_reason(ward: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import csv

    assert (ward / "data" / "registry.sqlite").exists()  # no --db: the user data folder's registry
    clinical = ward / "clinical.csv"
    with open(clinical, "w", newline="") as fh:
        w = csv.DictWriter(fh, list(BASE_RECORD))
        w.writeheader()
        w.writerow(make_record("HSP-0001"))
    assert main(["registry", "import", str(clinical)]) == 0
    assert main(["registry", "add-followup", "HSP-0001", "--date", "2025-04-01", "-v", "platelets=70"]) == 0
    capsys.readouterr()
    assert main(["registry", "followups", "HSP-0001", "--json"]) == 0
    (visit,) = json.loads(capsys.readouterr().out)
    vid = str(visit["id"])
    with pytest.raises(SystemExit):  # the reason is required
        main(["registry", "correct-followup", vid, "-v", "platelets=75"])
    assert main(["registry", "correct-followup", vid, "-v", "platelets=75", "--reason", "transcription"]) == 0
    assert main(["registry", "followups", "HSP-0001", "--json"]) == 0
    capsys.readouterr()
    assert main(["registry", "followups", "HSP-0001", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["platelets"] == 75
    assert main(["registry", "delete-followup", vid, "--reason", "wrong recipient"]) == 0
    capsys.readouterr()
    assert main(["registry", "followups", "HSP-0001"]) == 0
    assert "no visits recorded" in capsys.readouterr().out


def test_unknown_plt_suggests_platelets(ward: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import csv

    clinical = ward / "clinical.csv"
    with open(clinical, "w", newline="") as fh:
        w = csv.DictWriter(fh, list(BASE_RECORD))
        w.writeheader()
        w.writerow(make_record("HSP-0001"))
    assert main(["registry", "import", str(clinical)]) == 0
    capsys.readouterr()
    assert main(["registry", "add-followup", "HSP-0001", "--date", "2025-04-01", "-v", "plt=88"]) != 0
    assert "did you mean 'platelets'" in capsys.readouterr().err


def test_line_progress_has_no_carriage_returns() -> None:
    import io

    from hsp_desktop.cli_progress import LineProgress, progress_bar

    out = io.StringIO()
    bar = progress_bar(100, "synth", file=out, unit="%")
    assert isinstance(bar, LineProgress)
    for _ in range(100):
        bar.update(1)
    bar.set_description_str("radiomics")
    bar.close()
    text = out.getvalue()
    assert "\r" not in text
    lines = text.splitlines()
    assert lines[0] == "synth: 0%" and "synth: 100%" in lines and lines[-1] == "radiomics: 100%"
    assert len(lines) == 12  # one line per 10 % and one for the new stage

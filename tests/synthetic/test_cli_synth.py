"""``hsp synth`` and the embedded demo cohort."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from hsp_desktop import cli
from hsp_desktop.synthetic import demo, demo_cohort_dir


def test_synth_command(tmp_path: Path, capsys) -> None:
    out = tmp_path / "c"
    rc = cli.main(
        ["synth", "--n", "12", "--prospective", "3", "--seed", "4", "--out", str(out), "--no-images"]
    )
    assert rc == 0
    text = capsys.readouterr().out
    assert f"cohort: {out}" in text and "recipients 15 (development 12, prospective 3)" in text
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["arguments"] == {
        "n": 12,
        "prospective": 3,
        "seed": 4,
        "sites": 1,
        "full_res": False,
        "inject_errors": False,
        "images": False,
    }
    # existing folder: a clear error and exit code 2; --force replaces it
    assert cli.main(["synth", "--n", "5", "--out", str(out), "--no-images", "--quiet"]) == 2
    assert "not empty" in capsys.readouterr().err
    assert cli.main(["synth", "--n", "5", "--out", str(out), "--no-images", "--quiet", "--force"]) == 0


def test_synth_options(tmp_path: Path) -> None:
    out = tmp_path / "s"
    args = ["synth", "--n", "30", "--prospective", "0", "--sites", "3", "--inject-errors", "--no-images"]
    assert cli.main([*args, "--out", str(out), "--quiet"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["arguments"]["sites"] == 3 and manifest["counts"]["injected_errors"] >= 1
    sites = {line.split(",")[1] for line in (out / "clinical.csv").read_text().splitlines()[1:]}
    assert sites == {"site1", "site2", "site3"}


@pytest.mark.parametrize("bad", [["--n", "0"], ["--prospective", "-1"], ["--sites", "x"]])
def test_synth_rejects_bad_arguments(tmp_path: Path, bad: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["synth", *bad, "--out", str(tmp_path / "o")])
    assert info.value.code == 2


def test_demo_cohort_generated_once_and_cached(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HSP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setitem(demo.DEMO_ARGS, "n", 8)
    monkeypatch.setitem(demo.DEMO_ARGS, "prospective", 2)
    folder = demo_cohort_dir(images=False)
    assert folder.is_relative_to(tmp_path / "data" / "demo")
    assert (folder / "clinical.csv").is_file()
    calls = []
    monkeypatch.setattr(demo, "generate_cohort", lambda *a, **k: calls.append(1))
    assert demo_cohort_dir(images=False) == folder and not calls  # cached: not regenerated
    (folder / "followup.csv").unlink()  # damaged cache is regenerated
    monkeypatch.undo()
    monkeypatch.setenv("HSP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setitem(demo.DEMO_ARGS, "n", 8)
    monkeypatch.setitem(demo.DEMO_ARGS, "prospective", 2)
    assert demo_cohort_dir(images=False) == folder and (folder / "followup.csv").is_file()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG data folder is the Linux default")
def test_user_data_dir_default(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv("HSP_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert demo.user_data_dir() == tmp_path / "hsp-desktop"
    monkeypatch.setenv("HSP_DATA_DIR", "~/x")
    assert demo.user_data_dir() == Path.home() / "x"


def test_demo_options_need_out(capsys) -> None:
    assert cli.main(["synth", "--n", "5", "--quiet"]) == 2
    assert "--out" in capsys.readouterr().err

"""``hsp federated`` commands that need no running federation: init, plan, show-plan, approve, outbox."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hsp_desktop.cli import main
from hsp_desktop.federated.site import approvals


def test_coordinator_and_site_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    coord = tmp_path / "coord"
    assert main(["federated", "coordinator", "init", str(coord), "--sites", "a", "b", "--port", "9555"]) == 0
    assert "hand" in capsys.readouterr().out
    plan_path = tmp_path / "plan.json"
    args = ["federated", "coordinator", "plan", str(coord), "--out", str(plan_path), "--strategy", "fedprox"]
    assert main([*args, "--rounds", "7", "--secagg", "--dp-clip", "1", "--dp-noise", "1.1"]) == 0
    out = capsys.readouterr().out
    assert "fedprox (mu = 0.1), 7 rounds" in out and "SecAgg+): yes" in out and "epsilon" in out
    plan = json.loads(plan_path.read_text())
    assert plan["sites"] == ["a", "b"] and plan["rounds"] == 7 and plan["secagg"] is True
    assert main(["federated", "site", "show-plan", str(plan_path)]) == 0
    assert "What this site sends" in capsys.readouterr().out
    site_dir = coord / "sites" / "a"
    assert main(["federated", "site", "approve", str(site_dir), str(plan_path), "--by", "Dr A"]) == 0
    assert [r["by"] for r in approvals(site_dir).values()] == ["Dr A"]
    assert main(["federated", "site", "outbox", str(site_dir)]) == 0
    assert "hash chain intact" in capsys.readouterr().out


def test_bad_input_gives_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["federated", "coordinator", "plan", str(tmp_path), "--out", str(tmp_path / "p.json")]) == 2
    assert "Not a coordinator folder" in capsys.readouterr().err
    bad = tmp_path / "plan.json"
    bad.write_text("not json")
    assert main(["federated", "site", "show-plan", str(bad)]) == 2
    assert "plan file cannot be read" in capsys.readouterr().err
    coord = tmp_path / "c"
    assert main(["federated", "coordinator", "init", str(coord), "--sites", "a", "b"]) == 0
    capsys.readouterr()
    args = ["federated", "coordinator", "plan", str(coord), "--out", str(tmp_path / "q.json")]
    assert main([*args, "--features", "platelets", "shoe_size"]) == 2
    assert "Unknown model input shoe_size" in capsys.readouterr().err
    assert main([*args, "--mu", "0.5"]) == 2
    assert "FedAvg has no proximal term" in capsys.readouterr().err


def test_plan_with_the_radiomics_election_and_its_reference(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every option the plan reads exists on the command line (``--radiomics-reference`` once did not)."""
    import yaml

    from hsp_desktop.federated.radiomics import candidate_names
    from hsp_desktop.federated.service import DEMO_RADIOMICS

    coord = tmp_path / "coord"
    assert main(["federated", "coordinator", "init", str(coord), "--sites", "a", "b"]) == 0
    params = tmp_path / "radiomics.yaml"
    params.write_text(yaml.safe_dump(DEMO_RADIOMICS))
    chosen = candidate_names(DEMO_RADIOMICS)[:3]
    reference = tmp_path / "reference.csv"
    reference.write_text(
        "feature,center,scale\n" + "".join(f"{c},{10.0 * i},{i + 1.5}\n" for i, c in enumerate(chosen))
    )
    capsys.readouterr()
    plan_path = tmp_path / "plan.json"
    args = ["federated", "coordinator", "plan", str(coord), "--out", str(plan_path), "--secagg"]
    election = ["--radiomics", str(params), "--candidates", *chosen]
    assert main([*args, *election, "--radiomics-reference", str(reference)]) == 0
    plan = json.loads(plan_path.read_text())
    centres = {s["name"]: (s["center"], s["scale"]) for s in plan["radiomics"]}
    assert centres == {c: (10.0 * i, i + 1.5) for i, c in enumerate(chosen)}
    assert plan["features"][-1]["name"] == "rad_score"
    # without the public reference SecAgg+ has no safe scaling: refused with a message, not a traceback
    assert main([*args, *election, "--out", str(tmp_path / "q.json")]) == 2
    assert capsys.readouterr().err

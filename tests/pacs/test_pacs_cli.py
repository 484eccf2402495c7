"""``hsp pacs`` and ``hsp export --fhir`` end to end against pynetdicom's SCP on loopback."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from conftest import patient_id
from pacs_servers import LOCAL_AE, MiniPacs

from hsp_desktop.cli import main
from hsp_desktop.registry import Registry
from hsp_desktop.registry.crypto import generate_site_key, load_site_key


@pytest.fixture
def ward(tmp_path: Path, small_cohort: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A registry file with a site key file and an administrator; returns the common CLI arguments."""
    monkeypatch.setenv("HSP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HSP_PASSWORD", "correct horse battery")
    key_file = tmp_path / "keys" / "ward.sitekey"
    generate_site_key(key_file)
    db = tmp_path / "ward.db"
    reg = Registry.open(db, site_key=load_site_key(key_file))
    reg.add_user("admin", "correct horse battery", "admin", by=None)
    admin = reg.authenticate("admin", "correct horse battery")
    with open(small_cohort / "clinical.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            record = {k: v for k, v in row.items() if v not in ("", None)}
            record["mrn"] = patient_id(small_cohort, row["study_id"])
            reg.add_recipient(record, by=admin)
    reg.close()
    return ["--db", str(db), "--user", "admin", "--site-key-file", str(key_file)]


def test_nodes_echo_query_retrieve_and_fhir_from_the_command_line(
    ward: list[str], mini_pacs: MiniPacs, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add = ["--add", "Mini", mini_pacs.ae_title, "127.0.0.1", str(mini_pacs.port), "--local-ae", LOCAL_AE]
    assert main(["pacs", "nodes", *ward, *add]) == 0
    assert "Mini (MINIPACS@127.0.0.1" in capsys.readouterr().out
    assert main(["pacs", "echo", *ward, "--node", "mini"]) == 0
    assert "answered in" in capsys.readouterr().out
    assert main(["pacs", "query", *ward, "--node", "Mini", "--recipient", "HSP-0002", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    [study] = listing["studies"]
    [series] = study["series"]
    out = tmp_path / "inbox"
    args = ["--node", "Mini", "--recipient", "HSP-0002", "--series", series["series_uid"], "--out", str(out)]
    assert main(["pacs", "retrieve", *ward, *args, "--quiet"]) == 0
    assert len(list((out / series["series_uid"]).iterdir())) == series["n_instances"]
    # a node that does not exist, and a bad port, are clear errors with exit code 2
    assert main(["pacs", "echo", *ward, "--node", "Radiology"]) == 2
    assert "No such PACS node" in capsys.readouterr().err
    assert main(["pacs", "nodes", *ward, "--add", "Bad", "X", "127.0.0.1", "99999"]) == 2
    assert "not a TCP port" in capsys.readouterr().err
    # no prediction yet: the FHIR export says so and writes nothing
    assert main(["export", *ward, "--fhir", "--recipient", "HSP-0002", "--out", str(tmp_path / "fhir")]) == 2
    assert "no saved prediction" in capsys.readouterr().err
    assert not (tmp_path / "fhir").exists() or not list((tmp_path / "fhir").iterdir())

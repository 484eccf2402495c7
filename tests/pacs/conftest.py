"""Fixtures of the PACS tests: a small synthetic cohort with DICOM CT, a registry whose recipients carry the
DICOM PatientID as their MRN, and a pynetdicom mini-PACS serving the CT series (loopback only)."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pacs_servers import LOCAL_AE, MiniPacs

from hsp_desktop.pacs.nodes import PacsNode
from hsp_desktop.registry import Registry
from hsp_desktop.registry.passwords import TEST_PARAMS


@pytest.fixture(scope="session")
def small_cohort(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two synthetic recipients with a DICOM CT series and a spleen/liver label map each."""
    from hsp_desktop.synthetic.cohort import generate_cohort

    return generate_cohort(tmp_path_factory.mktemp("pacs-cohort") / "c", 2, 0, 7, workers=1)


def dicom_folder(cohort: Path, study_id: str) -> Path:
    return cohort / "images" / study_id / "dicom"


def patient_id(cohort: Path, study_id: str) -> str:
    import pydicom

    first = next(p for p in sorted(dicom_folder(cohort, study_id).rglob("*")) if p.is_file())
    return str(pydicom.dcmread(first, stop_before_pixels=True).PatientID)


@pytest.fixture
def registry(tmp_path: Path, small_cohort: Path) -> Iterator[tuple[Registry, Any]]:
    """A keyed registry with both recipients enrolled, MRN = the CT's PatientID; yields (registry, admin)."""
    reg = Registry.open(tmp_path / "ward.db", site_key=os.urandom(32), argon2_params=TEST_PARAMS)
    reg.add_user("admin", "correct horse battery", "admin", by=None)
    admin = reg.authenticate("admin", "correct horse battery")
    with open(small_cohort / "clinical.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            record = {k: v for k, v in row.items() if v not in ("", None)}
            record["mrn"] = patient_id(small_cohort, row["study_id"])
            reg.add_recipient(record, by=admin)
    reg.set_setting("pacs_local_ae", LOCAL_AE, by=admin)
    yield reg, admin
    reg.close()


@pytest.fixture
def mini_pacs(small_cohort: Path) -> Iterator[MiniPacs]:
    server = MiniPacs(small_cohort / "images").start()
    yield server
    server.stop()


@pytest.fixture
def mini_node(mini_pacs: MiniPacs) -> PacsNode:
    return PacsNode(name="Mini PACS", ae_title=mini_pacs.ae_title, host="127.0.0.1", port=mini_pacs.port)


@pytest.fixture
def pacs_registry(tmp_path: Path, pacs_cohort: Path) -> Iterator[tuple[Registry, Any, dict[str, Any]]]:
    truth = json.loads((pacs_cohort / "pacs" / "ground_truth.json").read_text(encoding="utf-8"))
    reg = Registry.open(tmp_path / "ward.db", site_key=os.urandom(32), argon2_params=TEST_PARAMS)
    reg.add_user("admin", "correct horse battery", "admin", by=None)
    admin = reg.authenticate("admin", "correct horse battery")
    with open(pacs_cohort / "clinical.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            record = {k: v for k, v in row.items() if v not in ("", None)}
            identity = truth["recipients"].get(row["study_id"])
            if identity:
                record["mrn"] = identity["mrn"]
            reg.add_recipient(record, by=admin)
    reg.set_setting("pacs_local_ae", LOCAL_AE, by=admin)
    yield reg, admin, truth
    reg.close()

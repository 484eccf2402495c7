"""Fixtures for the registry tests: tmp-path registries with cheap Argon2 parameters, users and valid records."""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hsp_desktop.registry import Registry
from hsp_desktop.registry.passwords import TEST_PARAMS

HERE = Path(__file__).resolve().parent

BASE_RECORD: dict[str, Any] = {
    "study_id": "HSP-0001",
    "site": "site1",
    "cohort": "development",
    "transplant_date": "2025-01-10",
    "ct_date": "2025-01-01",
    "consent": 1,
    "prior_splenectomy": 0,
    "prior_splenic_embolisation": 0,
    "splenic_artery_ligation": 0,
    "post_lt_splenic_embolisation": 0,
    "tips_or_portal_surgery": 0,
    "perioperative_death": 0,
    "haematological_disease": 0,
    "age": 50,
    "sex": "M",
    "height_cm": 170,
    "weight_kg": 70,
    "aetiology": "hbv",
    "hcc": 0,
    "graft_type": "deceased_whole",
    "meld": 15,
    "platelets": 66,
    "wbc": 4.3,
    "haemoglobin": 108,
    "bilirubin": 35,
    "albumin": 33,
    "inr": 1.4,
    "creatinine": 70,
    "sodium": 137,
    "alt": 30,
    "ast": 45,
    "ascites": 1,
    "varices": 1,
    "variceal_bleed": 0,
    "encephalopathy": 0,
    "pvt_partial": 0,
    "splenorenal_shunt": 0,
    "spleen_volume_ml": 700,
    "spleen_length_cm": 14.5,
    "portal_vein_mm": 13.5,
    "splenic_vein_mm": 10.5,
    "splenic_artery_mm": 6,
    "liver_volume_ml": 1150,
}


def make_record(study_id: str = "HSP-0001", **changes: Any) -> dict[str, Any]:
    rec = copy.deepcopy(BASE_RECORD)
    rec["study_id"] = study_id
    rec.update(changes)
    return rec


@pytest.fixture
def site_key() -> bytes:
    return os.urandom(32)


@pytest.fixture
def reg(tmp_path: Path, site_key: bytes) -> Iterator[Registry]:
    r = Registry.open(tmp_path / "registry.db", site_key=site_key, argon2_params=TEST_PARAMS)
    yield r
    r.close()


@pytest.fixture
def admin(reg: Registry) -> Any:
    reg.add_user("admin", "admin-pass-1", "admin", by=None)
    return reg.authenticate("admin", "admin-pass-1")


@pytest.fixture
def clinician(reg: Registry, admin: Any) -> Any:
    reg.add_user("doc", "doc-pass-12", "clinician", by=admin)
    return reg.authenticate("doc", "doc-pass-12")

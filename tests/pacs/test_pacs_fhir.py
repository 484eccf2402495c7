"""FHIR export of a saved prediction: resources validated by fhir.resources, identity only for allowed roles."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from hsp_desktop.errors import ValidationError
from hsp_desktop.pacs.fhir import SYSTEM_MRN, export_fhir, recipient_bundle

PREDICTION = {
    "model_id": "hsp-demo-1 1",
    "manifest_sha256": "ab" * 32,
    "input_sha256": "cd" * 32,
    "probability": 0.142,
    "ci_low": 0.063,
    "ci_high": 0.29,
    "band": "low",
    "intended_use": "Synthetic demonstration model: not for clinical decisions.",
}


def _saved(reg: Any, admin: Any) -> None:
    reg.save_prediction("HSP-0001", PREDICTION, by=admin)


def test_bundle_validates_and_carries_the_prediction(registry: Any, tmp_path: Path) -> None:
    from fhir.resources.R4B.bundle import Bundle

    reg, admin = registry
    _saved(reg, admin)
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(b"%PDF-1.4 test report\n%%EOF\n")
    path = export_fhir(reg, admin, "HSP-0001", tmp_path / "fhir", pdf=pdf)
    raw = json.loads(path.read_text(encoding="utf-8"))
    Bundle.model_validate(raw)  # a second, independent validation of the written file
    kinds = [e["resource"]["resourceType"] for e in raw["entry"]]
    assert kinds[0] == "Patient" and kinds[-1] == "RiskAssessment" and "DocumentReference" in kinds
    risk = raw["entry"][-1]["resource"]
    [pred] = risk["prediction"]
    assert pred["probabilityDecimal"] == pytest.approx(0.142)
    ci = pred["extension"][0]["valueRange"]
    assert (ci["low"]["value"], ci["high"]["value"]) == (0.063, 0.29)
    assert pred["qualitativeRisk"]["coding"][0]["code"] == "low"
    assert "ab" * 32 in risk["method"]["text"]
    observations = {
        e["resource"]["code"]["coding"][0]["code"]: e["resource"]
        for e in raw["entry"]
        if e["resource"]["resourceType"] == "Observation"
    }
    recipient = reg.get_recipient("HSP-0001")
    assert observations["777-3"]["valueQuantity"]["value"] == pytest.approx(float(recipient["platelets"]))
    assert observations["777-3"]["valueQuantity"]["code"] == "10*9/L"
    basis = {b["reference"] for b in risk["basis"]}
    assert {e["fullUrl"] for e in raw["entry"][1:-1]} == basis
    document = next(
        e["resource"] for e in raw["entry"] if e["resource"]["resourceType"] == "DocumentReference"
    )
    attachment = document["content"][0]["attachment"]
    assert base64.b64decode(attachment["data"]) == pdf.read_bytes()
    assert attachment["hash"] == base64.b64encode(hashlib.sha1(pdf.read_bytes()).digest()).decode()
    # an administrator sees the MRN; a coordinator gets the pseudonym only
    patient = raw["entry"][0]["resource"]
    assert any(i["system"] == SYSTEM_MRN for i in patient["identifier"])
    coordinator = recipient_bundle(recipient, reg.predictions("HSP-0001")[-1], role="coordinator")
    assert all(i["system"] != SYSTEM_MRN for i in coordinator["entry"][0]["resource"]["identifier"])
    assert not list((tmp_path / "fhir").glob("*.tmp"))


def test_missing_prediction_is_a_clear_error(registry: Any, tmp_path: Path) -> None:
    reg, admin = registry
    with pytest.raises(ValidationError, match="no saved prediction"):
        export_fhir(reg, admin, "HSP-0002", tmp_path)
    assert not (tmp_path / "HSP-0002-prediction-None.fhir.json").exists()

"""A recipient's prediction as FHIR resources for the electronic record (FHIR R4B via ``fhir.resources``).

One ``collection`` Bundle per prediction holding:

* ``Patient`` — identified by the study pseudonym, or by the hospital MRN when the exporting user's role may
  see identity (administrator, clinician) and the MRN is stored;
* ``Observation`` for each key pre-operative input, LOINC-coded where LOINC has the measurement (platelets
  777-3, WBC 6690-2, haemoglobin 718-7, bilirubin 14631-6, albumin 1751-7, INR 6301-6, creatinine 14682-9,
  sodium 2951-2); CT measurements without a LOINC code (spleen volume, vein diameters, MELD) carry text and
  a local code;
* ``RiskAssessment`` — outcome, probability, its 95% CI as an extension (a FHIR prediction holds one
  probability), the band as qualitative risk, basis (the observations and the report), method (the locked
  model and its manifest SHA-256);
* ``DocumentReference`` — the PDF report (base64, SHA-1 as FHIR asks, size, title).

Every resource is built through ``fhir.resources``' validating models, so an invalid one raises before
anything is written.  R4B (4.3) is the R4-series release ``fhir.resources`` 8 ships; these four resources are
unchanged from R4 (4.0.1) in every element used here.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hsp_desktop.errors import FileFormatError, Problem, ValidationError

FHIR_VERSION = "4.3.0"
#: Code systems of this application (identifiers and concepts without a public code).
SYSTEM_STUDY_ID = "urn:hsp-desktop:study-id"
SYSTEM_MRN = "urn:hsp-desktop:mrn"
SYSTEM_LOCAL = "urn:hsp-desktop:concept"
EXT_CI = "urn:hsp-desktop:fhir:StructureDefinition:probability-ci95"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
IDENTITY_ROLES = frozenset({"admin", "clinician"})

#: input -> (system, code, display, UCUM unit, human unit); LOINC where LOINC has the measurement.
INPUTS: dict[str, tuple[str, str, str, str, str]] = {
    "platelets": (LOINC, "777-3", "Platelets [#/volume] in Blood by Automated count", "10*9/L", "×10⁹/L"),
    "wbc": (LOINC, "6690-2", "Leukocytes [#/volume] in Blood by Automated count", "10*9/L", "×10⁹/L"),
    "haemoglobin": (LOINC, "718-7", "Hemoglobin [Mass/volume] in Blood", "g/L", "g/L"),
    "bilirubin": (LOINC, "14631-6", "Bilirubin.total [Moles/volume] in Serum or Plasma", "umol/L", "µmol/L"),
    "albumin": (LOINC, "1751-7", "Albumin [Mass/volume] in Serum or Plasma", "g/L", "g/L"),
    "inr": (LOINC, "6301-6", "INR in Platelet poor plasma by Coagulation assay", "{INR}", "INR"),
    "creatinine": (LOINC, "14682-9", "Creatinine [Moles/volume] in Serum or Plasma", "umol/L", "µmol/L"),
    "sodium": (LOINC, "2951-2", "Sodium [Moles/volume] in Serum or Plasma", "mmol/L", "mmol/L"),
    "meld": (SYSTEM_LOCAL, "meld", "MELD score", "{score}", "points"),
    "spleen_volume_ml": (SYSTEM_LOCAL, "spleen-volume-ct", "Spleen volume (CT)", "mL", "mL"),
    "splenic_vein_mm": (SYSTEM_LOCAL, "splenic-vein-diameter", "Splenic-vein diameter (CT)", "mm", "mm"),
    "portal_vein_mm": (SYSTEM_LOCAL, "portal-vein-diameter", "Portal-vein diameter (CT)", "mm", "mm"),
}


def _urn() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def _instant(value: Any) -> str:
    """An ISO timestamp with a time zone (FHIR dateTime with time needs one)."""
    text = str(value or "")
    try:
        stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        stamp = dt.datetime.now(dt.UTC)
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    return stamp.isoformat(timespec="seconds")


def recipient_bundle(
    recipient: Mapping[str, Any],
    prediction: Mapping[str, Any],
    *,
    role: str,
    pdf: Path | None = None,
) -> dict[str, Any]:
    """The FHIR Bundle (as JSON-ready dict) of one prediction.

    Parameters
    ----------
    recipient : mapping
        ``Registry.get_recipient`` row (pre-operative values, ``mrn`` when the site key is loaded, ``sex``).
    prediction : mapping
        ``Registry.predictions`` row.
    role : str
        The exporting user's role: identity (MRN) only for administrators and clinicians.
    pdf : Path, optional
        The patient report to attach as a DocumentReference.
    """
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.documentreference import DocumentReference
    from fhir.resources.R4B.observation import Observation
    from fhir.resources.R4B.patient import Patient
    from fhir.resources.R4B.riskassessment import RiskAssessment

    for key in ("probability", "band", "model_id", "manifest_sha256", "created_at"):
        if prediction.get(key) in (None, ""):
            raise ValidationError(
                "The prediction lacks a value the FHIR export needs",
                problems=[Problem(key, None, "absent", "export a prediction saved by this version")],
                field=key,
            )
    study_id = str(recipient["study_id"])
    when = _instant(prediction["created_at"])
    identify = role in IDENTITY_ROLES and bool(recipient.get("mrn"))
    identifiers: list[dict[str, Any]] = [{"system": SYSTEM_STUDY_ID, "value": study_id}]
    if identify:
        identifiers.append({"system": SYSTEM_MRN, "value": str(recipient["mrn"]), "type": {"text": "MRN"}})
    sex = {"M": "male", "F": "female"}.get(str(recipient.get("sex") or "").upper(), "unknown")
    patient_urn = _urn()
    patient = Patient.model_validate({"identifier": identifiers, "gender": sex})
    entries: list[tuple[str, Any]] = [(patient_urn, patient)]
    subject = {"reference": patient_urn, "display": study_id}

    basis = []
    for name, (system, code, display, ucum, unit) in INPUTS.items():
        value = recipient.get(name)
        if value is None:
            continue
        urn = _urn()
        observation = Observation.model_validate(
            dict(
                status="final",
                category=[
                    {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                "code": "imaging"
                                if system == SYSTEM_LOCAL and name.endswith(("_ml", "_mm"))
                                else "laboratory",
                            }
                        ]
                    }
                ],
                code={"coding": [{"system": system, "code": code, "display": display}], "text": display},
                subject=subject,
                effectiveDateTime=str(recipient.get("ct_date") or when[:10]),
                valueQuantity={"value": float(value), "unit": unit, "system": UCUM, "code": ucum},
            )
        )
        entries.append((urn, observation))
        basis.append({"reference": urn, "display": display})

    document_urn = None
    if pdf is not None:
        data = Path(pdf).read_bytes()
        if not data.startswith(b"%PDF"):
            raise FileFormatError(
                "The report file is not a PDF", found=str(pdf), fix="render the report again"
            )
        document_urn = _urn()
        document = DocumentReference.model_validate(
            dict(
                status="current",
                docStatus="final",
                type={
                    "coding": [{"system": LOINC, "code": "18748-4", "display": "Diagnostic imaging study"}]
                },
                subject=subject,
                date=when,
                description=f"HSP risk report {study_id}",
                content=[
                    {
                        "attachment": {
                            "contentType": "application/pdf",
                            "data": base64.b64encode(data).decode(),
                            "size": len(data),
                            "hash": base64.b64encode(hashlib.sha1(data).digest()).decode(),
                            "title": Path(pdf).name,
                        }
                    }
                ],
            )
        )
        entries.append((document_urn, document))
        basis.append({"reference": document_urn, "display": "Patient risk report (PDF)"})

    output = prediction.get("output") or {}
    ci_low, ci_high = prediction.get("ci_low"), prediction.get("ci_high")
    extension = []
    if ci_low is not None and ci_high is not None:
        extension.append(
            {
                "url": EXT_CI,
                "valueRange": {
                    "low": {"value": float(ci_low), "system": UCUM, "code": "1"},
                    "high": {"value": float(ci_high), "system": UCUM, "code": "1"},
                },
            }
        )
    band = str(prediction["band"]).lower()
    risk = RiskAssessment.model_validate(
        dict(
            status="final",
            subject=subject,
            occurrenceDateTime=when,
            identifier=[
                {"system": "urn:hsp-desktop:prediction", "value": f"{study_id}/{prediction.get('id')}"}
            ],
            code={"text": "Risk of refractory hypersplenism 6 months after liver transplantation"},
            method={
                "coding": [
                    {
                        "system": "urn:hsp-desktop:model",
                        "code": str(prediction["manifest_sha256"]),
                        "display": str(prediction["model_id"]),
                    }
                ],
                "text": f"Locked model {prediction['model_id']} (manifest SHA-256 {prediction['manifest_sha256']})",
            },
            basis=basis or None,
            prediction=[
                {
                    "outcome": {"text": "Refractory hypersplenism at 6 months"},
                    "probabilityDecimal": float(prediction["probability"]),
                    "qualitativeRisk": {
                        "coding": [{"system": SYSTEM_LOCAL, "code": band, "display": f"{band} risk"}],
                        "text": f"{band} risk",
                    },
                    "extension": extension or None,
                    "rationale": str(output.get("intended_use") or "") or None,
                }
            ],
        )
    )
    entries.append((_urn(), risk))
    bundle = Bundle.model_validate(
        dict(
            type="collection",
            timestamp=_instant(dt.datetime.now(dt.UTC).isoformat()),
            entry=[{"fullUrl": urn, "resource": res} for urn, res in entries],
        )
    )
    result: dict[str, Any] = json.loads(bundle.model_dump_json(exclude_none=True))
    return result


def export_fhir(
    registry: Any,
    user: Any,
    study_id: str,
    out: Path | str,
    *,
    prediction_id: int | None = None,
    pdf: Path | None = None,
) -> Path:
    """Write ``<out>/<study id>-prediction-<id>.fhir.json`` (through a temporary file); returns its path."""
    from hsp_desktop.pacs.service import _prediction

    recipient = registry.get_recipient(study_id)
    prediction = _prediction(registry, study_id, prediction_id)
    bundle = recipient_bundle(recipient, prediction, role=str(getattr(user, "role", "")), pdf=pdf)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{study_id}-prediction-{prediction['id']}.fhir.json"
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps(bundle, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(target)
    return target

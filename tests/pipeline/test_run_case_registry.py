"""``run_case`` against the real registry and clinical checks (imaging and model parts still doubles)."""

from __future__ import annotations

import copy
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reporting"))
from pipeline_fakes import FakeModel, fake_parts, input_files

from hsp_desktop.errors import EligibilityError, HspError, PipelineError
from hsp_desktop.pipeline import run_case, run_to_end
from hsp_desktop.registry import Registry
from hsp_desktop.registry.passwords import TEST_PARAMS

RECORD: dict[str, Any] = {
    "study_id": "HSP-0001", "site": "site1", "cohort": "validation", "transplant_date": "2026-01-10",
    "ct_date": "2026-01-01", "consent": 1, "prior_splenectomy": 0, "prior_splenic_embolisation": 0,
    "splenic_artery_ligation": 0, "post_lt_splenic_embolisation": 0, "tips_or_portal_surgery": 0,
    "perioperative_death": 0, "haematological_disease": 0, "age": 50, "sex": "M", "height_cm": 170,
    "weight_kg": 70, "aetiology": "hbv", "hcc": 0, "graft_type": "deceased_whole", "meld": 15, "platelets": 48,
    "wbc": 3.3, "haemoglobin": 108, "bilirubin": 35, "albumin": 33, "inr": 1.4, "creatinine": 70, "sodium": 137,
    "alt": 30, "ast": 45, "ascites": 1, "varices": 1, "variceal_bleed": 0, "encephalopathy": 0, "pvt_partial": 0,
    "splenorenal_shunt": 0, "spleen_volume_ml": 980, "spleen_length_cm": 15.5, "portal_vein_mm": 13.5,
    "splenic_vein_mm": 11.5, "splenic_artery_mm": 6, "liver_volume_ml": 1150,
}  # fmt: skip


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[tuple[Registry, Any]]:
    reg = Registry.open(tmp_path / "registry.db", argon2_params=TEST_PARAMS)
    admin = reg.add_user("admin", "correct horse battery", "admin", by=None)
    reg.add_recipient(copy.deepcopy(RECORD), by=admin)
    yield reg, admin
    reg.close()


def _counts(reg: Registry, study_id: str) -> tuple[int, int, int]:
    return len(reg.imaging_studies(study_id)), len(reg.features(study_id)), len(reg.predictions(study_id))


def test_prediction_saved_in_the_registry_and_report_rerendered(registry, tmp_path: Path) -> None:
    from report_helpers import pdf_pages_text

    from hsp_desktop.reporting.build import patient_inputs_from_registry
    from hsp_desktop.reporting.patient import render_patient_report

    reg, admin = registry
    ct, mask = input_files(tmp_path)
    result = run_to_end(
        run_case(reg, "HSP-0001", ct, mask, user=admin, report_dir=tmp_path / "reports", parts=fake_parts())
    )
    assert _counts(reg, "HSP-0001") == (1, 1, 1)
    stored = reg.predictions("HSP-0001")[0]
    assert stored["probability"] == pytest.approx(result.risk.probability)
    assert stored["input_sha256"] == result.risk.input_sha256
    assert stored["manifest_sha256"] == FakeModel().sha256
    assert (
        reg.imaging_studies("HSP-0001")[0]["ct_sha256"]
        == __import__("hashlib").sha256(ct.read_bytes()).hexdigest()
    )
    # hsp report --recipient: the same numbers from the registry
    inputs = patient_inputs_from_registry(reg, "HSP-0001", user=admin, model=FakeModel(), with_images=False)
    assert inputs.risk.probability == pytest.approx(result.risk.probability)
    assert inputs.prediction_id == result.prediction_id
    text = " ".join(pdf_pages_text(render_patient_report(inputs, tmp_path / "again.pdf")))
    from hsp_desktop.reporting.charts import fmt_risk

    assert fmt_risk(result.risk.probability) in text and f"#{result.prediction_id}" in text
    assert "980" in text and "HSP-0001" in text


def test_failure_inside_the_save_transaction_rolls_everything_back(
    registry, tmp_path: Path, monkeypatch
) -> None:
    reg, admin = registry
    ct, mask = input_files(tmp_path)

    def refuse(*args: Any, **kwargs: Any) -> int:
        raise OSError("disk I/O error")

    monkeypatch.setattr(reg, "save_prediction", refuse)
    with pytest.raises(PipelineError) as info:
        run_to_end(
            run_case(reg, "HSP-0001", ct, mask, user=admin, report_dir=tmp_path / "r", parts=fake_parts())
        )
    assert info.value.stage == "save"
    assert _counts(reg, "HSP-0001") == (0, 0, 0)
    assert list((tmp_path / "r").iterdir()) == []


@pytest.mark.parametrize("real_checks", [True, False])
def test_ineligible_recipient_nothing_saved(registry, tmp_path: Path, real_checks: bool) -> None:
    from hsp_desktop.pipeline.run import Parts

    reg, admin = registry
    reg.add_recipient({**copy.deepcopy(RECORD), "study_id": "HSP-0002", "prior_splenectomy": 1}, by=admin)
    ct, mask = input_files(tmp_path)
    # with the fake checks, the registry's own enrolment decision (eligible = 0) must still stop the scoring
    parts = fake_parts(eligibility=Parts().eligibility) if real_checks else fake_parts()
    with pytest.raises(PipelineError) as info:
        run_to_end(run_case(reg, "HSP-0002", ct, mask, user=admin, report_dir=tmp_path / "r", parts=parts))
    assert info.value.stage == "recipient"
    assert isinstance(info.value.__cause__, EligibilityError)
    assert "splenectomy" in str(info.value)
    assert _counts(reg, "HSP-0002") == (0, 0, 0)


def test_unit_trap_is_refused_at_entry(registry) -> None:
    reg, admin = registry
    with pytest.raises(HspError, match="platelets"):
        reg.add_recipient({**copy.deepcopy(RECORD), "study_id": "HSP-0003", "platelets": 66000}, by=admin)
    assert [r["study_id"] for r in reg.worklist()] == ["HSP-0001"]


def test_real_clinical_validation_runs_on_the_registry_record(registry, tmp_path: Path) -> None:
    from hsp_desktop.pipeline.run import Parts

    reg, admin = registry
    ct, mask = input_files(tmp_path)
    real = Parts()
    parts = fake_parts(validate=real.validate, eligibility=real.eligibility)
    result = run_to_end(run_case(reg, "HSP-0001", ct, mask, user=admin, write_report=False, parts=parts))
    assert result.features["platelets"] == 48.0 and result.report_path is None

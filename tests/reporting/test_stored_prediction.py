"""A report re-rendered from a stored prediction keeps what the scoring recorded: series, mask, identity override."""

from __future__ import annotations

from hsp_desktop.reporting.build import risk_from_stored
from hsp_desktop.reporting.patient import imaging_source_lines

ROW = {
    "probability": 0.2,
    "ci_low": 0.1,
    "ci_high": 0.35,
    "band": "intermediate",
    "model_id": "hsp-demo-1 1",
    "manifest_sha256": "ab" * 32,
    "input_sha256": "cd" * 32,
    "output": {
        "band_thresholds": [0.15, 0.4],
        "model_name": "hsp-demo-1",
        "model_version": "1",
        "features": {"platelets": 61.0},
        "imaging_source": {
            "series_uid": "1.2.3.4",
            "series_number": 4,
            "series_description": "Abdomen PV 5.0 B30f",
            "study_date": "20210624",
            "mask_file": "seg_liver_first",
            "spleen_segment": "Spleen",
            "mask_sha256": "ef" * 32,
        },
        "identity": {
            "status": "overridden",
            "override_by": "dr_li",
            "override_reason": "records merged (ticket 4711)",
        },
        "rescore_reason": "mask corrected",
    },
}


def test_stored_prediction_keeps_series_mask_and_override() -> None:
    risk = risk_from_stored(ROW)
    assert risk.extra["rescore_reason"] == "mask corrected"
    lines = imaging_source_lines(risk.extra, "en")
    assert any("#4 Abdomen PV 5.0 B30f" in line and "UID 1.2.3.4" in line for line in lines)
    assert any("spleen segment 'Spleen'" in line for line in lines)
    assert any("OVERRIDDEN (dr_li): records merged (ticket 4711)" in line for line in lines)

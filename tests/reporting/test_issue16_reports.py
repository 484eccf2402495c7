"""What the two PDFs say about the numbers they print (issue 16): each test reads the rendered text back."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report_helpers import pdf_pages_text
from report_samples import model_summary, patient_inputs, validation_inputs

from hsp_desktop.reporting import render_patient_report, render_validation_report

CHOICE = {
    "selected": "clinical",
    "difference": -0.002,
    "ci_low": -0.041,
    "ci_high": 0.037,
    "p_value": 0.51,
}


def text_of(path: Path) -> str:
    return " ".join(pdf_pages_text(path))


def test_both_reports_state_the_model_choice_rule_and_result(tmp_path: Path) -> None:
    summary = replace(model_summary(), choice=CHOICE)
    pat = text_of(render_patient_report(patient_inputs(model=summary), tmp_path / "p.pdf"))
    val = text_of(render_validation_report(validation_inputs(model=summary), tmp_path / "v.pdf"))
    for text in (pat, val):
        assert "Rule fixed before fitting" in text
        assert "-0.002 (95% CI -0.041 to +0.037, p = 0.51)" in text
        assert "the clinical-only model is locked" in text
    zh = text_of(
        render_validation_report(validation_inputs(model=summary), tmp_path / "z.pdf", language="zh")
    )
    assert "锁定仅临床模型" in zh

from __future__ import annotations

from pathlib import Path

import pytest
from report_helpers import pdf_pages_text, rasterise
from report_samples import validation_inputs

from hsp_desktop.reporting.validation import fmt_p, render_validation_report


def test_validation_report_tripod_sections_and_numbers(tmp_path: Path) -> None:
    inp = validation_inputs()
    out = render_validation_report(inp, tmp_path / "v.pdf")
    pages = pdf_pages_text(out)
    text = " ".join(pages)
    for heading in (
        "Model validation report",
        "TRIPOD+AI",
        "1. Participants: cohort flow",
        "2. Characteristics by outcome (table 1)",
        "3. Candidate models compared",
        "4. Discrimination: ROC curve",
        "5. Calibration",
        "6. Clinical utility: decision curve",
        "7. Selected predictors and odds ratios",
        "8. Sample size",
        "9. Prospective validation cohort",
        "Intended use",
    ):
        assert heading in text, heading
    # flow with exclusion counts
    assert "prior splenectomy: 7" in text and "TIPS: 9" in text and "231" in text
    # table 1 by outcome
    assert "No outcome (n=151)" in text and "Outcome (n=49)" in text and "910 (700-1250)" in text
    # candidates: AUC with CI and paired DeLong p
    for c in inp.candidates:
        assert f"{c.auc:.3f} ({c.ci_low:.3f} - {c.ci_high:.3f})" in text
        if not c.selected:
            assert fmt_p(c.delong_p) in text
    # calibration sentence equals the inputs
    cal = inp.calibration
    assert cal is not None
    assert f"Calibration slope {cal.slope:.2f} (ideal 1), intercept {cal.intercept:.2f}" in text
    # odds ratios, sample size, prospective results
    assert "1.81 (1.30 - 2.52)" in text
    assert (
        "200 recipients with 49 outcome events (24.5%), 4 candidate parameters: 12.2 events per parameter"
        in text
    )
    assert "AUC 0.740 (95% CI 0.520-0.960)" in text
    for i, page in enumerate(pages, start=1):
        assert f"page {i} of {len(pages)}" in page and "HSP Desktop" in page


def test_prospective_results_wait_for_enough_outcomes(tmp_path: Path) -> None:
    from hsp_desktop.reporting.inputs import ProspectiveSummary

    inp = validation_inputs(
        prospective=ProspectiveSummary(
            n=12,
            scored=12,
            complete=3,
            pending=9,
            competing=0,
            events=1,
            auc=0.5,
            auc_ci=(0.1, 0.9),
            observed_rate=0.33,
            mean_predicted=0.25,
        )
    )
    text = " ".join(pdf_pages_text(render_validation_report(inp, tmp_path / "v.pdf")))
    assert "of the scored, 3 with a derived 6-month outcome, 9 pending" in text
    assert "AUC 0.500" not in text


@pytest.mark.parametrize("language", ["en", "zh"])
def test_validation_report_rasterises(tmp_path: Path, language: str) -> None:
    out = render_validation_report(validation_inputs(), tmp_path / "v.pdf", language=language)
    assert len(rasterise(out, tmp_path)) == len(pdf_pages_text(out))
    if language == "zh":
        assert "模型验证报告" in pdf_pages_text(out)[0]


def test_table_one_and_flow_from_registry_rows(tmp_path: Path) -> None:
    import numpy as np
    from scipy import stats

    from hsp_desktop.reporting.build import cohort_flow, table_one

    rng = np.random.default_rng(0)
    rows = []
    for i in range(40):
        y = int(i % 4 == 0)
        record = {
            "eligible": True,
            "platelets": float(rng.normal(90 - 40 * y, 10)),
            "sex": "M" if i % 3 else "F",
        }
        rows.append((record, {"status": y}))
    rows.append(
        (
            {"eligible": False, "exclusion_reasons": ["excluded: TIPS (tips_or_portal_surgery)"]},
            {"status": "pending"},
        )
    )
    rows.append(({"eligible": True, "platelets": 70.0}, {"status": "pending"}))
    flow = cohort_flow(rows, "Development")
    assert [(s.n, s.exclusions) for s in flow] == [
        (42, ()),
        (41, (("excluded: TIPS", 1),)),
        (40, (("outcome pending", 1),)),
    ]
    t1, n0, n1 = table_one(rows)
    assert (n0, n1) == (30, 10)
    plt = next(r for r in t1 if r.label.startswith("Platelets"))
    x0 = [r["platelets"] for r, o in rows[:40] if o["status"] == 0]
    x1 = [r["platelets"] for r, o in rows[:40] if o["status"] == 1]
    assert plt.p_value == stats.mannwhitneyu(x0, x1).pvalue
    assert plt.label_zh.startswith("血小板")
    male = next(r for r in t1 if r.label.startswith("Male sex"))
    assert (
        male.without_outcome
        == f"{sum(1 for r, o in rows[:40] if o['status'] == 0 and r['sex'] == 'M')} ("
        + (f"{100 * sum(1 for r, o in rows[:40] if o['status'] == 0 and r['sex'] == 'M') / 30:.0f}%)")
    )
    inp = validation_inputs(flow=flow, table1=t1, n_without=n0, n_with=n1)
    text = " ".join(pdf_pages_text(render_validation_report(inp, tmp_path / "zh.pdf", language="zh")))
    assert "登记库中的建模队列" in text and "血小板" in text and "未发生（n=30）" in text

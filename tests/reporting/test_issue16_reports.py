"""What the two PDFs say about the numbers they print (issue 16): each test reads the rendered text back."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pytest
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


def test_headline_auc_is_nested_cv_with_the_others_beside_it(tmp_path: Path) -> None:
    summary = replace(
        model_summary(),
        auc=0.768,
        auc_ci=(0.690, 0.847),
        auc_corrected=0.793,
        auc_632plus=0.782,
        auc_oob=0.777,
    )
    pat = text_of(render_patient_report(patient_inputs(model=summary), tmp_path / "p.pdf"))
    val = text_of(render_validation_report(validation_inputs(model=summary), tmp_path / "v.pdf"))
    for text in (pat, val):
        assert "AUC, nested cross-validation on the development cohort (95% CI) 0.768 (0.690 - 0.847)" in text
        assert "Harrell bootstrap 0.793, .632+ 0.782, out-of-bag 0.777" in text
        assert "optimism-corrected 0.793" not in text
    assert "AUC 0.768 (nested CV)" in val


def test_model_summary_reads_the_locked_models_bootstrap(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from hsp_desktop.reporting.build import model_summary as summary_of

    manifest = {
        "name": "m",
        "version": "1",
        "bands": {
            "thresholds": [0.15, 0.4],
            "observed": {b: {"n": 10, "events": 2} for b in ("low", "intermediate", "high")},
        },
        "validation": {
            "selected": "clinical",
            "selected_oof": {"auc": {"auc": 0.77, "ci_low": 0.69, "ci_high": 0.85}},
            "bootstrap": {
                "clinical": {
                    "corrected": {"auc": 0.78},
                    "auc_632plus": 0.775,
                    "auc_oob_optimism_corrected": 0.772,
                },
                "multimodal": {
                    "corrected": {"auc": 0.79},
                    "auc_632plus": 0.782,
                    "auc_oob_optimism_corrected": 0.777,
                },
            },
        },
    }
    s = summary_of(SimpleNamespace(manifest=manifest, sha256="a" * 64))
    assert (s.auc, s.auc_ci, s.auc_corrected, s.auc_632plus, s.auc_oob) == (
        0.77,
        (0.69, 0.85),
        0.78,
        0.775,
        0.772,
    )


def test_waterfall_baseline_and_odds_ratios_say_what_they_are(tmp_path: Path) -> None:
    summary = replace(model_summary(), shrinkage=0.912, interval_inflation=1.18)
    pat = text_of(render_patient_report(patient_inputs(model=summary), tmp_path / "p.pdf"))
    assert "mean value of every predictor, which is not the cohort's event rate" in pat
    assert "observed event rate was 24% (49 of 200 recipients)" in pat
    assert "Baseline (cohort-mean predictors)" in pat
    val = text_of(render_validation_report(validation_inputs(model=summary), tmp_path / "v.pdf"))
    assert "Odds ratio of the locked (shrunk) model (95% CI)" in val
    assert "shrunk by the factor 0.912" in val and "widened by 1.18" in val


def test_validation_report_prints_a_riley_override_and_how_scores_are_counted(tmp_path: Path) -> None:
    ss = {
        "required_overall": 285,
        "max_parameters": 3,
        "ok": False,
        "override": "pilot model; external validation planned",
        "score_parameters": "rad_score built from 107 candidate features (3 selected) is counted as 1 parameter",
    }
    val = text_of(render_validation_report(validation_inputs(sample_size=ss), tmp_path / "v.pdf"))
    assert "The criteria are NOT met" in val
    assert "recorded override. Reason given: pilot model; external validation planned" in val
    assert "rad_score built from 107 candidate features (3 selected) is counted as 1 parameter" in val


ESTIMAND = (
    "The model estimates, before transplantation, the probability of refractory hypersplenism at 6 months "
    "(outcome definition HSP-RH6-v2) for adult recipients who are alive without re-transplantation at 6 months "
    "and do not undergo splenic-artery ligation or embolisation."
)
SENSITIVITY = {
    "procedure": "the locked model's clinical procedure (platelets, spleen_volume_ml)",
    "note": "imputation assumes missing at random given the predictors",
    "rows": [
        {
            "scenario": "primary",
            "label": "Primary: derived outcomes only",
            "n": 185,
            "events": 38,
            "auc_nested_cv": 0.805,
            "odds_ratios": {"platelets": [0.33, 0.20, 0.54]},
        },
        {
            "scenario": "splenic_artery_as_1",
            "label": "Splenic-artery interventions counted as events",
            "n": 189,
            "events": 42,
            "auc_nested_cv": 0.767,
            "odds_ratios": {"platelets": [0.38, 0.25, 0.60]},
        },
        {
            "scenario": "pending_imputed",
            "label": "Pending outcomes multiply imputed",
            "n": 190,
            "events": None,
            "imputed": 5,
            "auc_nested_cv": 0.799,
            "odds_ratios": {"platelets": [0.33, 0.20, 0.54]},
        },
    ],
}
COUNTS = {
    "eligible": 200,
    "derived_0": 147,
    "derived_1": 38,
    "competing": 6,
    "pending": 5,
    "splenic_artery_intervention": 4,
}


def test_estimand_counts_and_sensitivity_analyses_are_printed(tmp_path: Path) -> None:
    summary = replace(model_summary(), estimand=ESTIMAND, outcome_definition_id="HSP-RH6-v2")
    pat = text_of(render_patient_report(patient_inputs(model=summary), tmp_path / "p.pdf"))
    assert (
        "What the estimate means (estimand)" in pat and "alive without re-transplantation at 6 months" in pat
    )
    val = text_of(
        render_validation_report(
            validation_inputs(model=summary, outcome_counts=COUNTS, sensitivity=SENSITIVITY),
            tmp_path / "v.pdf",
        )
    )
    assert "do not undergo splenic-artery ligation or embolisation" in val
    assert "Eligible recipients 200: outcome derived 185 (38 events)" in val
    assert "competing event (death or re-transplantation before the outcome) 6" in val
    assert "pending (not yet derivable) 5, splenic-artery intervention (protocol exclusion) 4" in val
    assert "Splenic-artery interventions counted as events 189 (42) 0.767" in val
    assert "190 (+5 imputed)" in val
    zh = text_of(render_patient_report(patient_inputs(model=summary), tmp_path / "z.pdf", language="zh"))
    assert "结局定义 HSP-RH6-v2" in zh and "估计目标" in zh


def test_risk_bands_wording_wilson_cis_and_ci_spanning_a_threshold(tmp_path: Path) -> None:
    from hsp_desktop.reporting.patient import ci_band_span

    assert ci_band_span(0.10, 0.30, (0.15, 0.40)) == ("low", "intermediate")
    assert ci_band_span(0.20, 0.30, (0.15, 0.40)) is None
    # risk 42.1% (CI 28.7-57.1%) with bands 15/35%: the CI spans INTERMEDIATE-HIGH
    pat = text_of(render_patient_report(patient_inputs(), tmp_path / "p.pdf"))
    assert "95% CI spans INTERMEDIATE-HIGH" in pat
    assert "About 42 of 100 similar recipients" in pat
    # Wilson CI of 6/71 events (scipy binomtest, method="wilson"): 3.9% to 17%
    assert "8.5% (95% CI 3.9%-17%)" in pat
    assert "routine follow-up" in pat and "early haematology review" in pat
    bands = {"decision_curve_check": {"0.15": {"model": 0.071, "treat_all": 0.012, "useful": True}}}
    val = text_of(render_validation_report(validation_inputs(risk_bands=bands), tmp_path / "v.pdf"))
    assert "15%: 0.071 vs treat-all 0.012" in val and "8.5% (95% CI 3.9%-17%)" in val


def test_both_reports_print_the_bundles_own_intended_use(tmp_path: Path) -> None:
    use = "Demonstration model trained on synthetic data: not for clinical decisions."
    summary = replace(model_summary(), intended_use=use)
    for render, inputs in (
        (render_patient_report, patient_inputs(model=summary)),
        (render_validation_report, validation_inputs(model=summary)),
    ):
        text = text_of(render(inputs, tmp_path / "r.pdf"))  # type: ignore[operator]
        assert "Intended use of this model (as stated by its bundle)" in text and use in text


def test_patient_report_flags_a_meld_that_disagrees_with_the_labs(tmp_path: Path) -> None:
    from report_samples import CLINICAL

    wrong = {**CLINICAL, "meld": 40, "bilirubin": 8 * 17.1, "inr": 2.0, "creatinine": 1.5 * 88.4}
    text = text_of(render_patient_report(patient_inputs(clinical=wrong), tmp_path / "p.pdf"))
    assert "Entered MELD 40 disagrees with 26 recomputed from the entered labs" in text
    fine = text_of(render_patient_report(patient_inputs(), tmp_path / "q.pdf"))
    assert "recomputed from the entered labs" not in fine


@pytest.mark.slow
def test_tripod_sections_and_checklist_pages_from_a_developed_bundle(tmp_path: Path) -> None:
    """A bundle written by `hsp develop` (tiny settings) gives every TRIPOD+AI section and a checklist whose pages
    are the pages the sections are printed on."""
    import json

    from hsp_desktop.cli import main
    from hsp_desktop.reporting.build import validation_inputs as inputs_for
    from hsp_desktop.reporting.tripod import CHECKLIST
    from hsp_desktop.synthetic import simulate_followup, simulate_preop
    from models.bundle import load_bundle

    cohort = tmp_path / "cohort"
    cohort.mkdir()
    pre = simulate_preop(200, seed=31)
    fu, _ = simulate_followup(pre, seed=31)
    pre[[c for c in pre.columns if not c.startswith("_")]].to_csv(cohort / "clinical.csv", index=False)
    fu.to_csv(cohort / "followup.csv", index=False)
    bundle = tmp_path / "tripod-bundle"
    args = ["develop", "--cohort", str(cohort), "--out", str(bundle), "--no-radiomics", "--no-comparators"]
    args += ["--n-boot", "3", "--n-repeats", "1", "--n-splits", "3", "--jobs", "1", "--seed", "4"]
    assert main(args) == 0
    model = load_bundle(bundle)
    inputs = inputs_for(model, report_date="2026-12-08")
    path = render_validation_report(inputs, tmp_path / "v.pdf")
    pages = pdf_pages_text(path)
    text = " ".join(pages)
    for heading in (
        "1b. Outcome, estimand",
        "Outcome definition and time frame: HSP-RH6-v2",
        "6b. Decision curves: clinical-only and multimodal",
        "7b. Full model equation",
        "logit(risk) =",
        "10. Subgroups (fairness)",
        "11. CT, segmentation, radiomics and the CNN",
        "IBSI compliance",
        "ChiCTR2600121618",
        "integrated calibration index (ICI)",
        "TRIPOD+AI checklist",
        "Recipients in the cohort file",
        "splenic-artery intervention (protocol exclusion)",
    ):
        assert heading in text, heading
    # the checklist's page for the equation (item 22) is the page that prints the equation
    eq_page = next(i for i, pg in enumerate(pages, start=1) if "7b. Full model equation" in pg)
    last = pages[-1] if "TRIPOD+AI checklist" in pages[-1] else pages[-2] + " " + pages[-1]
    assert f"22 Model specification: full equation {eq_page}" in last
    assert len(CHECKLIST) >= 20 and json.loads((bundle / "manifest.json").read_text())["validation"]["table1"]

"""Hand-made report inputs for the reporting tests (a small phantom CT, a fixed prediction)."""

from __future__ import annotations

import numpy as np

from hsp_desktop.domain import Contribution, CtVolume, LabelMap, QcCheck, QcReport, RiskResult
from hsp_desktop.reporting.inputs import (
    CalibrationCurve,
    CandidateModel,
    CohortDistribution,
    DecisionCurve,
    FlowStep,
    ModelSummary,
    OddsRatio,
    PatientReportInputs,
    ProspectiveSummary,
    RocCurve,
    Table1Row,
    ValidationReportInputs,
)
from hsp_desktop.reporting.slices import key_slices

SHA = "3f2a9c0d1e4b5a6978877665544332211ffeeddccbbaa0099887766554433221"


def phantom(shape: tuple[int, int, int] = (40, 128, 128)) -> tuple[CtVolume, LabelMap]:
    z, y, x = np.mgrid[: shape[0], : shape[1], : shape[2]].astype(np.float32)
    rng = np.random.default_rng(0)
    ct = np.full(shape, -1000.0, dtype=np.float32)
    body = ((y - 64) / 50) ** 2 + ((x - 64) / 60) ** 2 < 1
    ct[body] = 40.0
    liver = ((y - 60) / 25) ** 2 + ((x - 40) / 22) ** 2 + ((z - 22) / 15) ** 2 < 1
    spleen = ((y - 70) / 14) ** 2 + ((x - 95) / 10) ** 2 + ((z - 18) / 12) ** 2 < 1
    ct[liver] = 100.0
    ct[spleen] = 115.0
    ct += rng.normal(0, 10, size=shape).astype(np.float32)
    labels = np.zeros(shape, dtype=np.uint8)
    labels[spleen] = 1
    labels[liver] = 2
    spacing = (2.8, 2.8, 5.0)
    return CtVolume(ct, spacing, source="phantom"), LabelMap(labels, spacing, source="phantom")


def model_summary() -> ModelSummary:
    rng = np.random.default_rng(1)
    risks = tuple(float(v) for v in np.clip(rng.beta(2, 5, size=200), 0, 1))
    return ModelSummary(
        name="hsp-demo-1",
        version="1.0.0",
        sha256=SHA,
        band_thresholds=(0.15, 0.35),
        band_event_rates={"low": (6, 71), "intermediate": (19, 84), "high": (24, 45)},
        auc=0.781,
        auc_ci=(0.712, 0.850),
        auc_corrected=0.764,
        calibration_slope=0.93,
        calibration_intercept=-0.04,
        brier=0.162,
        n_development=200,
        events_development=49,
        distribution=CohortDistribution(risks),
    )


def risk_result(probability: float = 0.4213) -> RiskResult:
    contributions = (
        Contribution("platelets", "Platelets (x10^9/L)", 42.0, 0.52),
        Contribution("spleen_volume_ml", "Spleen volume (ml)", 1105.0, 0.41),
        Contribution("splenic_vein_mm", "Splenic-vein diameter (mm)", 12.5, 0.18),
        Contribution("wbc", "WBC (x10^9/L)", 3.1, 0.12),
        Contribution("radiomics_score", "CT texture score", -0.35, -0.16),
        Contribution("meld", "MELD", 12.0, -0.03),
        Contribution("age", "Age (years)", 47.0, -0.06),
        Contribution("portal_vein_mm", "Portal-vein diameter (mm)", 13.9, 0.05),
        Contribution("splenorenal_shunt", "Splenorenal shunt", "no", -0.02),
    )
    return RiskResult(
        probability=probability,
        ci_low=0.2871,
        ci_high=0.5712,
        band="high",
        band_thresholds=(0.15, 0.35),
        contributions=contributions,
        model_id="hsp-demo-1",
        model_version="1.0.0",
        model_sha256=SHA,
        input_sha256="a" * 64,
    )


CLINICAL = {
    "study_id": "HSP-0007",
    "age": 47,
    "sex": "M",
    "bmi": 23.1,
    "aetiology": "hbv",
    "graft_type": "deceased_whole",
    "grwr": None,
    "meld": 12,
    "child_pugh": 9,
    "platelets": 42.0,
    "wbc": 3.1,
    "haemoglobin": 104.0,
    "bilirubin": 38.0,
    "albumin": 31.0,
    "inr": 1.43,
    "creatinine": 71.0,
    "spleen_volume_ml": 1105.0,
    "spleen_length_cm": 16.4,
    "portal_vein_mm": 13.9,
    "splenic_vein_mm": 12.5,
    "splenic_artery_mm": None,
    "splenorenal_shunt": 0,
    "ascites": 1,
    "varices": 1,
}

QC = QcReport(
    checks=(
        QcCheck("geometry", "ok", "match", "1e-3 mm", "CT and mask grids match"),
        QcCheck("slice thickness", "warn", "5.0 mm", "<= 3.0 mm", "thick slices: texture less reproducible"),
        QcCheck("spleen volume", "ok", "1105 ml", "30-5000 ml", "plausible"),
    )
)


def patient_inputs(**overrides: object) -> PatientReportInputs:
    ct, mask = phantom()
    values: dict[str, object] = dict(
        site_name="Demo Transplant Centre",
        study_id="HSP-0007",
        report_date="2026-11-29",
        clinician="Dr A. Surgeon",
        risk=risk_result(),
        model=model_summary(),
        clinical=CLINICAL,
        qc=QC,
        slices=key_slices(ct, mask),
        show_identity=True,
        name="张伟",
        mrn="MRN-0012345",
        ct_date="2026-11-20",
        transplant_date=None,
        prediction_id=12,
        app_build="test",
    )
    values.update(overrides)
    return PatientReportInputs(**values)  # type: ignore[arg-type]


def validation_inputs(**overrides: object) -> ValidationReportInputs:
    from models.metrics import calibration, calibration_curve, decision_curve, roc_curve_points

    rng = np.random.default_rng(3)
    n = 200
    lp = rng.normal(-1.2, 1.0, n)
    y = (rng.random(n) < 1 / (1 + np.exp(-lp))).astype(int)
    p = 1 / (1 + np.exp(-lp))
    fpr, tpr, _ = roc_curve_points(y, p)
    cal = calibration(y, p)
    curve = calibration_curve(y, p)
    dca = decision_curve(y, p)
    groups = np.array_split(np.argsort(p), 10)
    values: dict[str, object] = dict(
        site_name="Demo Transplant Centre",
        report_date="2026-11-29",
        model=model_summary(),
        flow=(
            FlowStep("Recipients transplanted 2018-2024", 231),
            FlowStep("Eligible", 212, (("prior splenectomy", 7), ("TIPS", 9), ("age outside 18-75", 3))),
            FlowStep(
                "Analysed (CT and 6-month outcome)", 200, (("no portal-venous CT", 5), ("outcome pending", 7))
            ),
        ),
        table1=(
            Table1Row("Platelets, ×10^9/L, median (IQR)", "72 (49-110)", "48 (35-66)", 0.0004),
            Table1Row("Spleen volume, ml, median (IQR)", "640 (470-860)", "910 (700-1250)", 0.00001),
            Table1Row("MELD, median (IQR)", "14 (9-20)", "15 (10-21)", 0.41),
        ),
        n_without=151,
        n_with=49,
        candidates=(
            CandidateModel("Clinical logistic (PLT, SV, SVD)", 3, 0.752, 0.676, 0.828, 0.741, 0.031),
            CandidateModel("Clinical + radiomics score", 4, 0.781, 0.712, 0.850, 0.764, None, selected=True),
            CandidateModel("Clinical + radiomics + CNN score", 5, 0.786, 0.718, 0.854, 0.758, 0.62),
        ),
        roc=RocCurve(
            tuple(fpr), tuple(tpr), tuple(np.clip(tpr - 0.08, 0, 1)), tuple(np.clip(tpr + 0.08, 0, 1))
        ),
        calibration=CalibrationCurve(
            tuple(float(np.mean(p[g])) for g in groups),
            tuple(float(np.mean(y[g])) for g in groups),
            cal.slope,
            cal.intercept,
            0.162,
            tuple(curve.predicted.tolist()),
            tuple(curve.observed.tolist()),
        ),
        decision=DecisionCurve(
            tuple(dca.thresholds.tolist()), tuple(dca.model.tolist()), tuple(dca.treat_all.tolist())
        ),
        odds_ratios=(
            OddsRatio("Platelets (log)", "halving", 1.81, 1.30, 2.52),
            OddsRatio("Spleen volume (log)", "doubling", 2.05, 1.41, 2.98),
            OddsRatio("CT texture score", "1 SD", 1.44, 1.04, 1.99),
        ),
        n_candidate_params=4,
        prospective=ProspectiveSummary(
            n=31,
            scored=31,
            complete=24,
            pending=6,
            competing=1,
            events=7,
            auc=0.74,
            auc_ci=(0.52, 0.96),
            observed_rate=0.29,
            mean_predicted=0.26,
        ),
        app_build="test",
    )
    values.update(overrides)
    return ValidationReportInputs(**values)  # type: ignore[arg-type]

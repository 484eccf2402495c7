from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from report_helpers import pdf_pages_text, rasterise
from report_samples import SHA, patient_inputs, phantom, risk_result

from hsp_desktop import INTENDED_USE, __version__
from hsp_desktop.errors import GeometryError, InputError, SettingsError
from hsp_desktop.reporting import charts
from hsp_desktop.reporting.i18n import TEXT
from hsp_desktop.reporting.inputs import CohortDistribution
from hsp_desktop.reporting.patient import band_of, render_patient_report
from hsp_desktop.reporting.slices import key_slices, slice_png


def test_every_key_in_both_languages() -> None:
    assert set(TEXT["en"]) == set(TEXT["zh"])
    assert all(TEXT["zh"][k] or k == "intended_use_translation" for k in TEXT["zh"])


def test_english_report_prints_every_required_element(tmp_path: Path) -> None:
    inp = patient_inputs()
    out = render_patient_report(inp, tmp_path / "r.pdf", language="en")
    pages = pdf_pages_text(out)
    assert 1 <= len(pages) <= 2
    text = " ".join(pages)
    r, m = inp.risk, inp.model
    # identity, site, date, clinician
    for s in (
        "Demo Transplant Centre",
        "HSP-0007",
        "2026-11-29",
        "Dr A. Surgeon",
        "张伟",
        "MRN-0012345",
        "2026-11-20",
    ):
        assert s in text, s
    # risk, CI, band with thresholds and observed rate per band
    assert charts.fmt_risk(r.probability) == "42.1%"
    assert "42.1%" in text and "95% CI 28.7% - 57.1%" in text
    assert "Risk band: HIGH" in text
    assert "< 15%" in text and "15% - < 35%" in text and ">= 35%" in text
    for band, (events, n) in m.band_event_rates.items():
        assert f"{events} / {n}" in text, band
        assert charts.fmt_pct(events / n) in text
    # position in the development cohort
    assert m.distribution is not None
    pct = m.distribution.percentile(r.probability)
    assert f"higher than {pct:.0f}% of the 200 development-cohort recipients" in text
    # contributions (waterfall) with localised labels, baseline consistent with the printed risk
    assert "Platelets = 42 ×10^9/L" in text and "+0.52" in text and "-0.16" in text
    base = charts.logit(r.probability) - sum(c.contribution for c in r.contributions)
    assert f"Baseline (cohort-mean predictors) ({charts.fmt_risk(charts.expit(base))})" in text
    assert f"This recipient ({charts.fmt_risk(r.probability)})" in text
    assert "2 other factors" in text
    # key inputs with units, and QC
    for s in (
        "Spleen volume (CT) 1105 ml",
        "Spleen length 16.4 cm",
        "Portal-vein diameter 13.9 mm",
        "MELD 12 points",
    ):
        assert s in text, s
    assert "Splenic-artery diameter not recorded" in text
    assert "PASSED with 1 warning(s)" in text and "slice thickness" in text
    # images, model identity and performance
    assert "Axial" in text and "Coronal" in text
    assert m.sha256 in text and "hsp-demo-1" in text and "1.0.0" in text
    assert (
        "0.781 (0.712 - 0.850) Other internal estimates on the same data: Harrell bootstrap 0.764" in text
        and "0.93 / -0.04" in text
        and "0.162" in text
    )
    assert "200 recipients, 49 events" in text
    # intended use, limitations, signatures
    assert " ".join(INTENDED_USE.split()) in text
    assert "must not be used as the sole basis" in text
    assert "Reported by (name, signature)" in text and "Reviewed by (name, signature)" in text
    # app version/build on every page
    for i, page in enumerate(pages, start=1):
        assert f"HSP Desktop {__version__} (build test)" in page
        assert f"page {i} of {len(pages)}" in page


def test_identity_hidden_when_not_permitted(tmp_path: Path) -> None:
    out = render_patient_report(patient_inputs(show_identity=False), tmp_path / "r.pdf")
    text = " ".join(pdf_pages_text(out))
    assert "张伟" not in text and "MRN-0012345" not in text
    assert "not shown (role or site setting)" in text
    assert "HSP-0007" in text


def test_chinese_report_renders_chinese_text(tmp_path: Path) -> None:
    out = render_patient_report(patient_inputs(), tmp_path / "zh.pdf", language="zh")
    pages = pdf_pages_text(out)
    text = " ".join(pages)
    for s in (
        "肝移植术前难治性脾功能亢进",
        "预测风险",
        "风险分层",
        "高风险",
        "血小板",
        "张伟",
        "预期用途",
        "局限性",
        "签名",
    ):
        assert s in text, s
    assert "42.1%" in text and "6 / 71" in text and SHA in text
    assert "μmol/L" in text and "kg/m^2" in text
    assert "第 1 页" in pages[0]


@pytest.mark.parametrize("language", ["en", "zh"])
def test_pages_rasterise_and_are_not_blank(tmp_path: Path, language: str) -> None:
    out = render_patient_report(patient_inputs(), tmp_path / "r.pdf", language=language)
    pngs = rasterise(out, tmp_path)
    assert len(pngs) == len(pdf_pages_text(out))
    for png in pngs:
        grey = np.asarray(Image.open(png).convert("L"))
        assert grey.shape[0] > grey.shape[1]  # A4 portrait
        assert (grey < 128).mean() > 0.01  # ink on the page


def test_report_refuses_prediction_from_another_model() -> None:
    from dataclasses import replace

    with pytest.raises(InputError, match="different model"):
        patient_inputs(risk=replace(risk_result(), model_sha256="0" * 64))


def test_unknown_language_and_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="language"):
        render_patient_report(patient_inputs(), tmp_path / "r.pdf", language="fr")
    with pytest.raises(InputError, match="folder does not exist"):
        render_patient_report(patient_inputs(), tmp_path / "nope" / "r.pdf")


def test_failed_render_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from reportlab.platypus import SimpleDocTemplate

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(SimpleDocTemplate, "build", boom)
    with pytest.raises(RuntimeError):
        render_patient_report(patient_inputs(), tmp_path / "r.pdf")
    assert list(tmp_path.iterdir()) == []


def test_risk_printed_with_one_decimal_and_no_negative_zero() -> None:
    # 14.6% must not print as "15%" in the low band (< 15%)
    assert charts.fmt_risk(0.146) == "14.6%" and charts.fmt_pct(0.15) == "15%"
    assert charts.fmt_log_odds(-0.001) == "0.00" and charts.fmt_log_odds(0.52) == "+0.52"


def test_band_of_uses_lower_bound_inclusive() -> None:
    assert band_of(0.1499, (0.15, 0.35)) == "low"
    assert band_of(0.15, (0.15, 0.35)) == "intermediate"
    assert band_of(0.35, (0.15, 0.35)) == "high"


def test_percentile_counts_ties_half() -> None:
    d = CohortDistribution((0.1, 0.2, 0.2, 0.4))
    assert d.percentile(0.2) == pytest.approx(50.0)
    assert d.percentile(0.05) == 0.0 and d.percentile(0.9) == 100.0
    with pytest.raises(InputError):
        CohortDistribution((0.1, 1.2))


def test_key_slices_pick_largest_spleen_section_and_outline() -> None:
    ct, mask = phantom()
    ks = key_slices(ct, mask)
    areas = (mask.array == 1).sum(axis=(1, 2))
    assert ks.axial.mask.sum() == areas.max()
    png, w_mm, h_mm = slice_png(ks.coronal)
    img = np.asarray(Image.open(__import__("io").BytesIO(png)).convert("RGB"))
    yellow = (img[..., 0] == 255) & (img[..., 1] == 215) & (img[..., 2] == 0)
    assert yellow.any()
    assert math.isclose(w_mm / h_mm, img.shape[1] * ct.spacing[0] / (img.shape[0] * ct.spacing[2]))


def test_key_slices_reject_wrong_grid_and_empty_label() -> None:
    ct, mask = phantom()
    _, small = phantom((20, 128, 128))
    with pytest.raises(GeometryError, match="grids differ"):
        key_slices(ct, small)
    with pytest.raises(InputError, match="no voxel with label 3"):
        key_slices(ct, mask, label=3)


def test_imputed_and_out_of_range_inputs_are_flagged(tmp_path: Path) -> None:
    from dataclasses import replace

    extra = {
        "imputed": ["splenic_vein_mm"],
        "outside_training_range": ["platelets"],
        "measured_from_mask": ["spleen_volume_ml"],
    }
    risk = replace(risk_result(), extra=extra)
    text = " ".join(pdf_pages_text(render_patient_report(patient_inputs(risk=risk), tmp_path / "r.pdf")))
    assert "not measured, imputed by the model: Splenic-vein diameter" in text
    assert "outside the range seen in the development cohort: Platelets" in text
    assert "Measured on the CT segmentation (not entered): Spleen volume (CT)" in text


def test_score_terms_get_chinese_labels() -> None:
    from hsp_desktop.domain import Contribution
    from hsp_desktop.reporting.patient import localise_contribution

    c = Contribution("rad_score", "Rad-score (4 spleen radiomics features)", -1.85, -0.51)
    assert localise_contribution(c, "zh").label == "影像组学评分（脾脏）"
    assert localise_contribution(c, "en").label == c.label
    p = localise_contribution(Contribution("platelets", "Platelets (x10^9/L)", 61.0, 0.34), "en")
    assert (p.label, p.value) == ("Platelets", "61 ×10^9/L")

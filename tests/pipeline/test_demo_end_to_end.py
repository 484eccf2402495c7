"""README command 1 (``hsp demo``) end to end with every real part: demo cohort, registry, DICOM import, QC,
radiomics, the shipped demo model bundle (``models/artifacts/hsp-demo-1``), the saved prediction and the PDF."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_helpers import pdf_pages_text, rasterise

from hsp_desktop.pipeline.cli import print_result
from hsp_desktop.pipeline.demo import run_demo
from hsp_desktop.pipeline.paths import demo_model_path
from hsp_desktop.reporting.charts import fmt_risk


@pytest.mark.slow
def test_hsp_demo_scores_a_demo_recipient(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    import os

    if not os.environ.get("HSP_DATA_DIR"):  # never write into the real user folder from a test
        monkeypatch.setenv("HSP_DATA_DIR", str(tmp_path / "data"))
    from hsp_desktop.registry import Registry
    from models.bundle import load_bundle

    result = run_demo(tmp_path / "demo")
    print_result(result)
    out = capsys.readouterr().out
    assert f"PDF report: {result.report_path}" in out
    model = load_bundle(demo_model_path())
    assert result.risk.model_sha256 == model.sha256
    assert list(result.features) == model.feature_names
    with Registry.open(tmp_path / "demo" / "demo-registry.sqlite") as reg:
        saved = reg.predictions(result.study_id)
        assert len(saved) == 1 and saved[0]["probability"] == pytest.approx(result.risk.probability)
        assert len(reg.imaging_studies(result.study_id)) == 1
    assert result.report_path is not None
    text = " ".join(pdf_pages_text(result.report_path))
    assert fmt_risk(result.risk.probability) in text and result.study_id in text and model.sha256 in text
    assert len(rasterise(result.report_path, tmp_path)) == len(pdf_pages_text(result.report_path)) <= 2

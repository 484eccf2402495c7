"""The whole chain with the real parts: registry, clinical checks, importers, QC, locked bundle, report.

The bundle here is a real one developed on the synthetic cohort with clinical predictors only (fast); the demo
end-to-end test with radiomics and the shipped demo model is ``test_demo_end_to_end`` (slow).
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from report_helpers import pdf_pages_text
from test_run_case_registry import RECORD

from hsp_desktop.errors import EligibilityError, GeometryError, ModelArtefactError, PipelineError
from hsp_desktop.pipeline import run_case, run_to_end
from hsp_desktop.registry import Registry
from hsp_desktop.registry.passwords import TEST_PARAMS


@pytest.fixture
def reg(tmp_path: Path):
    r = Registry.open(tmp_path / "registry.db", argon2_params=TEST_PARAMS)
    admin = r.add_user("admin", "correct horse battery", "admin", by=None)
    r.set_setting("site_name", "Integration Test Centre", by=admin)
    r.add_recipient(copy.deepcopy(RECORD), by=admin)
    yield r, admin
    r.close()


def _saved(r: Registry, sid: str = "HSP-0001") -> tuple[int, int, int]:
    return len(r.imaging_studies(sid)), len(r.features(sid)), len(r.predictions(sid))


def test_real_chain_scores_saves_and_reports(
    reg, clinical_bundle: Path, rendered_case, tmp_path: Path
) -> None:
    from models.bundle import load_bundle

    r, admin = reg
    ct, mask = rendered_case
    progress: list[Any] = []
    result = run_to_end(
        run_case(r, "HSP-0001", ct, mask, user=admin, model=clinical_bundle, report_dir=tmp_path / "rep"),
        progress.append,
    )
    model = load_bundle(clinical_bundle)
    assert result.risk.model_sha256 == model.sha256
    expected = model.predict(__import__("pandas").DataFrame([result.features], index=["HSP-0001"]))[0]
    assert result.risk.probability == pytest.approx(expected.probability)
    assert result.features == {"platelets": 48.0, "spleen_volume_ml": 980.0, "splenic_vein_mm": 11.5}
    assert any(p.stage == "radiomics" and "not used" in p.message for p in progress)
    assert result.qc.passed
    assert _saved(r) == (1, 0, 1)
    text = " ".join(pdf_pages_text(result.report_path))
    from hsp_desktop.reporting.charts import fmt_risk

    assert fmt_risk(result.risk.probability) in text
    assert f"{fmt_risk(result.risk.ci_low)} - {fmt_risk(result.risk.ci_high)}" in text
    assert model.sha256 in text and "Integration Test Centre" in text and "Axial" in text


def test_model_file_altered_by_one_byte_nothing_saved(
    reg, clinical_bundle: Path, rendered_case, tmp_path: Path
) -> None:
    r, admin = reg
    ct, mask = rendered_case
    altered = tmp_path / "altered"
    shutil.copytree(clinical_bundle, altered)
    data = bytearray((altered / "model.json").read_bytes())
    data[len(data) // 2] ^= 0x01
    (altered / "model.json").write_bytes(bytes(data))
    with pytest.raises(PipelineError) as info:
        run_to_end(run_case(r, "HSP-0001", ct, mask, user=admin, model=altered, report_dir=tmp_path / "rep"))
    assert info.value.stage == "model"
    assert isinstance(info.value.__cause__, ModelArtefactError)
    assert "model.json" in str(info.value)
    assert _saved(r) == (0, 0, 0)
    assert not (tmp_path / "rep").exists()


def test_wrong_mask_grid_nothing_saved(reg, clinical_bundle: Path, rendered_case, tmp_path: Path) -> None:
    from hsp_desktop.importers import read_ct, read_mask, write_image

    r, admin = reg
    ct_path, mask_path = rendered_case
    ct = read_ct(ct_path)
    mask = read_mask(mask_path, reference=ct)
    shifted = type(mask)(
        mask.array[:-4].copy(), (mask.spacing[0], mask.spacing[1], mask.spacing[2] * 1.2), mask.origin
    )
    bad = write_image(shifted, tmp_path / "mask_other_grid.nii.gz")
    with pytest.raises(PipelineError) as info:
        run_to_end(
            run_case(
                r, "HSP-0001", ct_path, bad, user=admin, model=clinical_bundle, report_dir=tmp_path / "rep"
            )
        )
    assert info.value.stage in ("import", "qc")
    assert isinstance(info.value.__cause__, GeometryError)
    assert info.value.fix
    assert _saved(r) == (0, 0, 0)


def test_ineligible_recipient_with_real_parts(
    reg, clinical_bundle: Path, rendered_case, tmp_path: Path
) -> None:
    r, admin = reg
    r.add_recipient({**copy.deepcopy(RECORD), "study_id": "HSP-0009", "haematological_disease": 1}, by=admin)
    ct, mask = rendered_case
    with pytest.raises(PipelineError) as info:
        run_to_end(
            run_case(r, "HSP-0009", ct, mask, user=admin, model=clinical_bundle, report_dir=tmp_path / "rep")
        )
    assert info.value.stage == "recipient"
    assert isinstance(info.value.__cause__, EligibilityError)
    assert "haematological" in str(info.value)
    assert _saved(r, "HSP-0009") == (0, 0, 0)


def test_validation_report_from_real_bundle(reg, clinical_bundle: Path, tmp_path: Path) -> None:
    from hsp_desktop.reporting.build import validation_inputs
    from hsp_desktop.reporting.validation import fmt_p, render_validation_report
    from models.bundle import load_bundle

    r, _ = reg
    model = load_bundle(clinical_bundle)
    inputs = validation_inputs(model, registry=r)
    out = render_validation_report(inputs, tmp_path / "validation.pdf")
    text = " ".join(pdf_pages_text(out))
    v = model.manifest["validation"]
    auc = v["multimodal_oof"]["auc"]
    assert f"{auc['auc']:.3f} ({auc['ci_low']:.3f} - {auc['ci_high']:.3f})" in text
    cal = v["multimodal_oof"]["calibration"]
    assert f"Calibration slope {cal['slope']:.2f} (ideal 1), intercept {cal['intercept']:.2f}" in text
    for o in v["odds_ratios"]:
        assert f"{o['odds_ratio']:.2f} ({o['ci_low']:.2f} - {o['ci_high']:.2f})" in text
    assert fmt_p(v["paired_delong_vs_multimodal"]["clinical"]["p_value"]) in text
    ss = v["sample_size"]
    assert (
        f"Riley et al. (BMJ 2020) minimum sample size for these parameters: {int(ss['required_overall'])}"
        in text
    )
    # no development recipient in this registry: the flow comes from the bundle's training summary
    assert "Recipients in the development cohort file 200" in text
    assert "1 eligible recipients enrolled, 0 scored by the model; of the scored, 0 with a derived" in text
    # ROC with its bootstrap band: drawn from the manifest's points, else the bundle's own (hash-checked) figure
    roc = v["multimodal_oof"].get("roc")
    if roc is not None:
        assert inputs.roc is not None and list(inputs.roc.tpr_high) == roc["tpr_high"]
    else:
        assert inputs.roc_png is not None and inputs.roc_png[:4] == b"\x89PNG"
    from pypdf import PdfReader

    assert np.isfinite(inputs.model.auc or np.nan)
    import shutil as sh
    import subprocess

    if sh.which("pdftoppm"):
        subprocess.run(
            ["pdftoppm", "-png", "-r", "50", str(out), str(tmp_path / "page")], check=True, timeout=60
        )
        assert len(list(tmp_path.glob("page*.png"))) == len(PdfReader(str(out)).pages)


def test_cli_score_then_report(
    reg, clinical_bundle: Path, rendered_case, tmp_path: Path, monkeypatch, capsys
) -> None:
    from hsp_desktop.cli import main

    r, _ = reg
    db = r.path
    r.close()
    ct, mask = rendered_case
    monkeypatch.setenv("HSP_PASSWORD", "correct horse battery")
    common = ["--db", str(db), "--user", "admin"]
    code = main(["score", "--recipient", "HSP-0001", "--ct", str(ct), "--mask", str(mask), "--model", str(clinical_bundle),
                 "--out", str(tmp_path / "pdf"), *common])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0 and "Recipient HSP-0001: risk of refractory hypersplenism at 6 months" in out
    pdf = Path(out.strip().splitlines()[-1].removeprefix("PDF report: "))
    assert pdf.is_file() and pdf.parent == tmp_path / "pdf"
    code = main(["report", "--recipient", "HSP-0001", "--model", str(clinical_bundle), "--out", str(tmp_path / "again.pdf"),
                 "--language", "zh", *common])  # fmt: skip
    assert code == 0 and (tmp_path / "again.pdf").is_file()
    assert "预测风险" in " ".join(pdf_pages_text(tmp_path / "again.pdf"))
    code = main(["report", "--validation", str(clinical_bundle), "--out", str(tmp_path / "v.pdf"), *common])
    assert code == 0 and "Model validation report" in " ".join(pdf_pages_text(tmp_path / "v.pdf"))
    # a wrong password is a clear error, exit code 2
    monkeypatch.setenv("HSP_PASSWORD", "wrong")
    code = main(["report", "--recipient", "HSP-0001", *common])
    assert code == 2 and "hsp report: error" in capsys.readouterr().err

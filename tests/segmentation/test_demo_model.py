"""The shipped demonstration segmentation model: verified, labelled for synthetic data only, and accurate on a
synthetic case it was not trained on."""

from __future__ import annotations

from pathlib import Path

import pytest

from hsp_desktop.segmentation import agreement

DEMO = Path(__file__).resolve().parents[2] / "models" / "artifacts" / "segnet-demo-1"


@pytest.mark.skipif(not (DEMO / "manifest.json").is_file(), reason="the demo segmentation model is not built")
def test_demo_model_segments_an_unseen_synthetic_case(case) -> None:
    from hsp_desktop.segmentation.onnx_model import load_seg_model, predict_labels

    ct, truth = case
    model = load_seg_model(DEMO)
    assert "synthetic" in model.manifest.intended_use and model.manifest.extra["synthetic_data_only"] is True
    assert model.manifest.labels == {1: "spleen", 2: "liver"}
    assert (DEMO / "model.onnx").stat().st_size < 2_000_000
    labels = predict_labels(model, ct, provider="cpu", threads=1)
    spleen = agreement(labels == 1, truth.array == 1, ct.spacing)
    assert spleen.dice > 0.85, spleen


@pytest.mark.skipif(not (DEMO / "manifest.json").is_file(), reason="the demo segmentation model is not built")
def test_hsp_segment_with_the_demo_model(case, tmp_path: Path, capsys) -> None:
    from hsp_desktop.cli import main
    from hsp_desktop.importers import read_mask, write_image
    from hsp_desktop.segmentation import read_provenance

    ct, truth = case
    ct_path = write_image(ct, tmp_path / "ct.nii.gz")
    out = tmp_path / "auto.nii.gz"
    assert (
        main(["segment", "--ct", str(ct_path), "--model", str(DEMO), "--provider", "cpu", "--out", str(out)])
        == 0
    )
    assert "onnx-model" in capsys.readouterr().out
    mask = read_mask(out, reference=ct)
    assert agreement(mask.array == 1, truth.array == 1, ct.spacing).dice > 0.85
    provenance = read_provenance(out)
    assert provenance is not None and provenance.method == "onnx-model" and provenance.review is None
    assert (
        provenance.details["model_sha256"]
        == (DEMO / "manifest.json").read_text().split('"sha256": "')[1][:64]
    )
    assert provenance.details["provider"] == "CPUExecutionProvider"

"""The shipped CNN artefact (models/artifacts/cnn-demo-1): complete, small, verified, and it runs."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from hsp_desktop.synthetic.images import CaseAnatomy, render_case
from models.cnn.manifest import read_manifest, verify_files
from models.cnn.preprocess import PreprocessSpec
from models.deep import CPU, DeepModel

ARTEFACT = Path(__file__).resolve().parents[2] / "models" / "artifacts" / "cnn-demo-1"


def test_shipped_artefact_is_complete_small_and_documented():
    manifest = read_manifest(ARTEFACT)
    verify_files(ARTEFACT, manifest)
    assert set(manifest["files"]) == {"model.onnx", "oof_scores.csv", "training_history.json", "README.md"}
    total = sum((ARTEFACT / name).stat().st_size for name in manifest["files"])
    assert total < 5 * 1024 * 1024
    assert manifest["preprocessing"] == PreprocessSpec().as_dict()
    assert manifest["architecture"]["parameters"] < 500_000
    assert manifest["validation"]["torch_onnx_max_abs_diff"] <= 1e-4
    oof = manifest["validation"]["out_of_fold"]
    assert oof["ci_low"] > 0.5, "the out-of-fold deep score must carry signal"
    readme = (ARTEFACT / "README.md").read_text()
    assert "hsp train-cnn --cohort" in readme and "not for clinical use" in readme
    with (ARTEFACT / "oof_scores.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == manifest["training_cohort"]["n"]
    assert len({r["study_id"] for r in rows}) == len(rows)
    assert {int(r["fold"]) for r in rows} == set(range(oof["folds"]))


@pytest.mark.parametrize("seed", [3])
def test_shipped_model_scores_a_rendered_recipient(seed):
    small, large = (
        render_case(CaseAnatomy(spleen_volume_ml=v, spleen_length_cm=cm, liver_volume_ml=1200.0, seed=seed))
        for v, cm in ((250.0, 10.0), (2200.0, 20.0))
    )
    model = DeepModel(ARTEFACT, provider="cpu", intra_op_threads=1)
    scores = []
    for ct, mask in (small, large):
        result = model.predict_case(ct.array, mask.array, ct.spacing, direction=ct.direction)
        assert result.provider == CPU and np.isfinite(result.score) and len(result.embedding) == 8
        scores.append(result.score)
    assert scores[1] > scores[0], "a much larger spleen must raise the deep score"

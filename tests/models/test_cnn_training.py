"""CNN training (tiny model, tiny phantom cohort), out-of-fold scores, ONNX export and the artefact manifest."""

from __future__ import annotations

import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from hsp_desktop.errors import InputError, ModelArtefactError
from models.cnn.export import OPSET, max_abs_difference, onnx_bytes, write_artifact
from models.cnn.manifest import read_manifest, sha256_file, verify_files
from models.cnn.metrics import delong_auc
from models.cnn.model import CnnConfig, SpleenCnn, count_parameters
from models.cnn.preprocess import PreprocessSpec, preprocess_case
from models.cnn.train import AugmentConfig, TrainConfig, augment_batch, fit_cnn, out_of_fold_scores, predict

SPEC = PreprocessSpec(grid=16, spacing_mm=8.0)
TINY = CnnConfig(width=4, embedding_dim=4)
FAST = TrainConfig(
    max_epochs=8, min_epochs=3, patience=3, folds=3, batch_size=8, learning_rate=5e-3, threads=1
)


def tiny_case(event: int, seed: int):
    """A small CT whose spleen is larger for events (the signal a CNN must find)."""
    rng = np.random.default_rng(seed)
    shape = (24, 36, 36)
    z, y, x = np.mgrid[: shape[0], : shape[1], : shape[2]]
    radius = 4.0 + 2.5 * event + rng.normal(0.0, 0.4)
    spleen = ((z - 12) ** 2 / 2.0 + (y - 18) ** 2 + (x - 25) ** 2) < radius**2
    liver = ((y - 18) ** 2 + (x - 7) ** 2 < 30) & (np.abs(z - 12) < 8)
    mask = np.zeros(shape, np.uint8)
    mask[liver] = 2
    mask[spleen] = 1
    ct = rng.normal(40.0, 12.0, shape)
    ct[liver] = 100.0 + rng.normal(0.0, 8.0, int(liver.sum()))
    ct[spleen] = 115.0 + 10.0 * event + rng.normal(0.0, 15.0, int(spleen.sum()))
    return ct.astype(np.int16), mask, (5.0, 5.0, 5.0)


@pytest.fixture(scope="module")
def cohort():
    y = np.array([0, 0, 1] * 10)
    x = np.stack([preprocess_case(*tiny_case(int(v), i), SPEC) for i, v in enumerate(y)])
    return x, y


def test_architecture_is_compact_and_outputs_logit_and_embedding():
    default = SpleenCnn()
    assert count_parameters(default) < 500_000
    model = SpleenCnn(TINY).eval()
    with torch.no_grad():
        logit, emb = model(torch.zeros((3, *SPEC.input_shape)))
    assert tuple(logit.shape) == (3, 1) and tuple(emb.shape) == (3, 4)
    assert float(emb.abs().max()) <= 1.0


def test_augmentation_is_seeded_and_keeps_shape():
    x = torch.from_numpy(np.random.default_rng(0).normal(size=(4, *SPEC.input_shape)).astype(np.float32))
    cfg = AugmentConfig()
    a = augment_batch(x, cfg, torch.Generator().manual_seed(7))
    b = augment_batch(x, cfg, torch.Generator().manual_seed(7))
    c = augment_batch(x, cfg, torch.Generator().manual_seed(8))
    assert a.shape == x.shape and torch.equal(a, b) and not torch.equal(a, c)
    none = AugmentConfig(flip_axes=(), rotate_deg=0.0, scale=0.0, hu_shift=0.0, noise_sd=0.0)
    assert torch.equal(augment_batch(x, none, torch.Generator().manual_seed(7)), x)
    flips_only = AugmentConfig(flip_axes=(2,), rotate_deg=0.0, scale=0.0, hu_shift=0.0, noise_sd=0.0)
    out = augment_batch(x, flips_only, torch.Generator().manual_seed(3))
    for i in range(4):
        assert torch.equal(out[i], x[i]) or torch.equal(out[i], torch.flip(x[i], dims=[3]))


def test_fit_is_seeded_learns_and_early_stops(cohort):
    x, y = cohort
    a = fit_cnn(x, y, FAST, TINY, progress=False)
    b = fit_cnn(x, y, FAST, TINY, progress=False)
    for (ka, va), (kb, vb) in zip(a.model.state_dict().items(), b.model.state_dict().items(), strict=True):
        assert ka == kb and torch.equal(va, vb)
    assert 1 <= a.best_epoch <= a.epochs_run <= FAST.max_epochs
    assert a.pos_weight == pytest.approx(2.0, rel=0.2)  # class weighting: negatives / events
    assert [h["epoch"] for h in a.history] == list(range(1, a.epochs_run + 1))
    assert not a.model.training
    assert torch.get_num_threads() >= 1


def test_out_of_fold_scores_never_come_from_a_network_that_saw_the_patient(cohort):
    x, y = cohort
    oof = out_of_fold_scores(x, y, FAST, TINY, progress=False)
    assert np.all(np.isfinite(oof.logits)) and oof.embeddings.shape == (30, 4)
    assert sorted(set(oof.fold.tolist())) == [0, 1, 2] and len(oof.fits) == 3
    # each recipient is scored exactly once, by the network of its own held-out fold
    for k, fit in enumerate(oof.fits):
        held = oof.fold == k
        logits, _ = predict(fit.model, x[held])
        assert np.allclose(logits, oof.logits[held], atol=1e-6)
    assert delong_auc(y, oof.logits).auc > 0.75  # the size signal is easy; a broken OOF would sit near 0.5


def test_training_refuses_bad_outcomes(cohort):
    x, y = cohort
    with pytest.raises(InputError, match="0 or 1"):
        fit_cnn(x, np.where(y == 1, 2, 0), FAST, TINY, progress=False)
    with pytest.raises(InputError, match="too few events"):
        fit_cnn(x, np.zeros_like(y), FAST, TINY, progress=False)
    with pytest.raises(InputError, match="do not match"):
        fit_cnn(x[:-1], y, FAST, TINY, progress=False)


def test_onnx_export_matches_torch_with_dynamic_batch(cohort):
    x, _ = cohort
    torch.manual_seed(0)
    model = SpleenCnn(CnnConfig()).eval()  # full-size architecture, random weights
    spec = SPEC
    data = onnx_bytes(model, spec)
    proto = onnx.load_from_string(data)
    assert max(op.version for op in proto.opset_import if op.domain in ("", "ai.onnx")) >= 17 == OPSET
    assert max_abs_difference(model, data, x[:7]) <= 1e-4
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    for n in (1, 5):
        logit, emb = session.run(None, {"image": x[:n]})
        assert logit.shape == (n, 1) and emb.shape == (n, 8)


def test_write_artifact_hashes_every_file_and_refuses_to_overwrite(cohort, tmp_path):
    x, _ = cohort
    torch.manual_seed(0)
    model = SpleenCnn(TINY).eval()
    out = tmp_path / "cnn-test"
    write_artifact(
        out,
        model,
        SPEC,
        training={"seed": 1},
        cohort={"n": 30, "events": 10},
        validation={"oof_auc": 0.7},
        extra_files={"README.md": b"# test\n", "oof/scores.csv": b"study_id,deep_score\n"},
        check_batch=x[:4],
    )
    manifest = read_manifest(out)
    assert set(manifest["files"]) == {"model.onnx", "README.md", "oof/scores.csv"}
    assert manifest["files"]["model.onnx"] == sha256_file(out / "model.onnx")
    assert manifest["validation"]["torch_onnx_max_abs_diff"] <= 1e-4
    assert manifest["preprocessing"] == SPEC.as_dict()
    assert manifest["input"]["shape"] == ["batch", 3, 16, 16, 16]
    assert {"torch", "onnx", "onnxruntime", "numpy", "python"} <= set(manifest["versions"])
    verify_files(out, manifest)
    with pytest.raises(ModelArtefactError, match="already exists"):
        write_artifact(out, model, SPEC, training={}, cohort={}, validation={})
    # a failed export (non-JSON metric) leaves the old artefact untouched and no temporary folder behind
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(ValueError, match="JSON compliant"):
        write_artifact(
            out, model, SPEC, training={}, cohort={}, validation={"auc": float("nan")}, overwrite=True
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert json.loads((out / "manifest.json").read_text())["validation"]["oof_auc"] == 0.7


def test_fixed_epoch_refit_uses_everyone_and_keeps_the_last_weights(cohort):
    x, y = cohort
    fit = fit_cnn(x, y, FAST, TINY, progress=False, epochs=2)
    assert fit.epochs_run == fit.best_epoch == 2 and fit.val_loss is None and fit.val_auc is None
    assert [set(h) for h in fit.history] == [{"epoch", "train_loss"}] * 2
    assert fit.pos_weight == pytest.approx(20 / 10)  # computed on all 30 recipients
    with pytest.raises(InputError, match="number of epochs"):
        fit_cnn(x, y, FAST, TINY, progress=False, epochs=0)


def test_early_stopping_ignores_warm_up_epochs(cohort):
    x, y = cohort
    cfg = TrainConfig(
        max_epochs=6, min_epochs=4, patience=2, folds=3, batch_size=8, learning_rate=5e-3, threads=1
    )
    fit = fit_cnn(x, y, cfg, TINY, progress=False)
    assert fit.best_epoch >= 2  # epochs 1 .. min_epochs // 2 - 1 are never kept
    best = min(h["val_loss"] for h in fit.history if h["epoch"] >= 2)
    assert fit.val_loss == pytest.approx(best, abs=1e-4)

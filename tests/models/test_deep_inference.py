"""ONNX Runtime inference (models.deep): lazy session, hash check, provider choice, input checks, batches."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import models.deep as deep
from hsp_desktop.errors import InputError, ModelArtefactError, SettingsError
from models.cnn.export import write_artifact
from models.cnn.manifest import sha256_file
from models.cnn.model import CnnConfig, SpleenCnn
from models.cnn.preprocess import PreprocessSpec, preprocess_case
from models.deep import CPU, CUDA, DeepModel, choose_providers

SPEC = PreprocessSpec(grid=16, spacing_mm=8.0)
ROOT = Path(__file__).resolve().parents[2]


def case(seed: int):
    rng = np.random.default_rng(seed)
    shape = (20, 30, 30)
    z, y, x = np.mgrid[: shape[0], : shape[1], : shape[2]]
    mask = np.zeros(shape, np.uint8)
    mask[(np.abs(x - 6) < 5) & (np.abs(y - 15) < 8)] = 2
    mask[((z - 10) ** 2 + (y - 15) ** 2 + (x - 20) ** 2) < (4 + seed % 3) ** 2] = 1
    ct = rng.normal(60.0, 25.0, shape).astype(np.float32)
    return ct, mask, (6.0, 6.0, 6.0)


@pytest.fixture(scope="module")
def batch():
    return np.stack([preprocess_case(*case(i), SPEC) for i in range(6)])


@pytest.fixture(scope="module")
def torch_model():
    torch.manual_seed(3)
    return SpleenCnn(CnnConfig(width=4, embedding_dim=5)).eval()


@pytest.fixture()
def artefact(tmp_path, torch_model, batch):
    out = tmp_path / "cnn-test"
    write_artifact(
        out,
        torch_model,
        SPEC,
        training={},
        cohort={"n": 0},
        validation={},
        extra_files={"README.md": b"test artefact\n"},
        check_batch=batch[:2],
    )
    return out


def test_lazy_session_cpu_provider_and_provenance(artefact, batch, torch_model):
    model = DeepModel(artefact, provider="cpu", intra_op_threads=2)
    assert model.provider is None and model._session is None  # nothing loaded before first use
    out = model.run(batch)
    assert out.provider == CPU == model.provider
    assert out.logits.shape == (6,) and out.embeddings.shape == (6, 5) and out.logits.dtype == np.float32
    with torch.no_grad():
        t_logit, t_emb = torch_model(torch.from_numpy(batch))
    assert np.max(np.abs(out.logits - t_logit.numpy()[:, 0])) <= 1e-4
    assert np.max(np.abs(out.embeddings - t_emb.numpy())) <= 1e-4
    manifest = json.loads((artefact / "manifest.json").read_text())
    result = out.case(2)
    assert result.model_sha256 == manifest["files"]["model.onnx"]
    assert result.manifest_sha256 == sha256_file(artefact / "manifest.json")
    assert result.provenance()["provider"] == CPU
    assert set(result.features()) == {"deep_score", *(f"deep_emb_{i}" for i in range(1, 6))}
    session = model.session()
    assert model.run(batch[:1]).provider == CPU and model.session() is session  # created once
    opts = session.get_session_options()
    assert opts.intra_op_num_threads == 2 and opts.inter_op_num_threads == 1


def test_predict_case_and_batches_agree(artefact, batch):
    model = DeepModel(artefact, provider="cpu")
    whole = model.run(batch)
    seen = []
    many = model.predict_many(iter(batch), total=6, batch_size=4, progress=lambda d, t: seen.append((d, t)))
    assert seen == [(4, 6), (6, 6)]
    assert np.allclose(many.logits, whole.logits, atol=1e-5)
    assert np.allclose(many.embeddings, whole.embeddings, atol=1e-5)
    single = model.predict_case(*case(4)[:2], case(4)[2])
    assert single.score == pytest.approx(float(whole.logits[4]), abs=1e-5)
    with pytest.raises(InputError, match="case 1 has the wrong preprocessed shape"):
        model.predict_many([batch[0], batch[1, :2]], progress=False)
    with pytest.raises(InputError, match="no cases"):
        model.predict_many([], progress=False)


def test_altered_model_is_refused_before_running(artefact, batch):
    data = bytearray((artefact / "model.onnx").read_bytes())
    data[-1] ^= 0xFF
    (artefact / "model.onnx").write_bytes(bytes(data))
    model = DeepModel(artefact, provider="cpu")  # the manifest itself is fine
    with pytest.raises(ModelArtefactError, match="do not match their manifest") as info:
        model.run(batch)
    assert "model.onnx: SHA-256 differs from the manifest" in str(info.value)
    assert model.provider is None


def test_altered_or_missing_side_files_are_refused(artefact, batch):
    (artefact / "README.md").write_text("edited\n")
    with pytest.raises(ModelArtefactError, match=r"README\.md: SHA-256 differs"):
        DeepModel(artefact, provider="cpu").run(batch)
    (artefact / "README.md").unlink()
    with pytest.raises(ModelArtefactError, match=r"README\.md: missing"):
        DeepModel(artefact, provider="cpu").run(batch)


def test_missing_or_malformed_manifest(artefact, tmp_path):
    with pytest.raises(ModelArtefactError, match="does not exist"):
        DeepModel(tmp_path / "nowhere")
    manifest = json.loads((artefact / "manifest.json").read_text())
    (artefact / "manifest.json").write_text("{not json")
    with pytest.raises(ModelArtefactError, match="cannot be read as JSON"):
        DeepModel(artefact)
    del manifest["input"]
    (artefact / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelArtefactError, match="missing input"):
        DeepModel(artefact)
    (artefact / "manifest.json").unlink()
    with pytest.raises(ModelArtefactError, match=r"no manifest\.json"):
        DeepModel(artefact)


def test_manifest_spec_must_be_honoured(artefact):
    manifest = json.loads((artefact / "manifest.json").read_text())
    manifest["input"]["shape"] = ["batch", 3, 32, 32, 32]
    (artefact / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelArtefactError, match="input/output specification"):
        DeepModel(artefact)
    manifest["preprocessing"]["version"] = "99"
    (artefact / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelArtefactError, match="preprocessing cannot be honoured"):
        DeepModel(artefact)


def test_input_checks_name_expected_and_found(artefact, batch):
    model = DeepModel(artefact, provider="cpu")
    with pytest.raises(InputError, match="wrong dtype") as info:
        model.run(batch.astype(np.float64))
    assert info.value.found == "float64" and "(N, 3, 16, 16, 16)" in str(info.value.expected)
    with pytest.raises(InputError, match="wrong shape"):
        model.run(batch[0])
    with pytest.raises(InputError, match="wrong shape"):
        model.run(batch[:, :, :8])
    bad = batch.copy()
    bad[0, 0, 0, 0, 0] = np.inf
    with pytest.raises(InputError, match="NaN or infinite"):
        model.run(bad)
    with pytest.raises(InputError, match="NumPy array"):
        model.run(batch.tolist())  # type: ignore[arg-type]


def test_provider_choice(monkeypatch):
    monkeypatch.setattr(deep.ort, "get_available_providers", lambda: [CUDA, CPU])
    monkeypatch.setattr(deep, "cuda_device_count", lambda: 1)
    assert choose_providers("auto") == [CUDA, CPU]
    assert choose_providers("cuda") == [CUDA, CPU]
    assert choose_providers("cpu") == [CPU]
    monkeypatch.setattr(deep, "cuda_device_count", lambda: 0)  # onnxruntime-gpu installed, no GPU
    assert choose_providers("auto") == [CPU]
    with pytest.raises(SettingsError, match="CUDA provider was requested"):
        choose_providers("cuda")
    monkeypatch.setattr(deep.ort, "get_available_providers", lambda: [CPU])  # CPU-only onnxruntime
    monkeypatch.setattr(deep, "cuda_device_count", lambda: 2)
    assert choose_providers("auto") == [CPU]
    with pytest.raises(SettingsError, match="unknown ONNX Runtime provider"):
        choose_providers("tpu")


def test_cuda_probe_is_safe_without_a_driver():
    assert deep.cuda_device_count() >= 0


def test_inference_module_never_imports_torch():
    code = (
        "import sys, models.deep, models.cnn.preprocess, models.cnn.manifest; print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

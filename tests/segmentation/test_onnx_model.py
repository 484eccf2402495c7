"""The ONNX plug-in with a hand-built model (no torch): manifest checks, hash pinning, resampling, provenance."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from hsp_desktop.domain import CtVolume
from hsp_desktop.errors import ModelArtefactError


def _threshold_model() -> bytes:
    """logits = (0.5, x, 0): label 1 where the scaled HU exceed 0.5, else background."""
    import onnx
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("ct", TensorProto.FLOAT, [1, 1, None, None, None])
    y = helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 3, None, None, None])
    zero = helper.make_tensor("zero", TensorProto.FLOAT, [], [0.0])
    half = helper.make_tensor("half", TensorProto.FLOAT, [], [0.5])
    nodes = [
        helper.make_node("Mul", ["ct", "zero"], ["zeros"]),
        helper.make_node("Add", ["zeros", "half"], ["halves"]),
        helper.make_node("Concat", ["halves", "ct", "zeros"], ["logits"], axis=1),
    ]
    graph = helper.make_graph(nodes, "threshold", [x], [y], initializer=[zero, half])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


def _install(folder: Path, data: bytes, **overrides) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.onnx").write_bytes(data)
    manifest = {
        "format": "hsp-seg-model/1", "name": "threshold-test", "version": "1", "file": "model.onnx",
        "sha256": hashlib.sha256(data).hexdigest(), "input_spacing_mm": [2.0, 2.0, 2.0],
        "hu_window": [0.0, 200.0], "labels": {"1": "spleen"}, "input": {"name": "ct", "divisible_by": 4},
        "output": {"name": "logits"}, "keep_largest": True, "licence": "test", "intended_use": "tests only",
    }  # fmt: skip
    manifest.update(overrides)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def _ct(spacing: tuple[float, float, float]) -> CtVolume:
    array = np.zeros((20, 30, 30), dtype=np.float32)
    array[4:14, 10:20, 10:20] = 150.0  # scaled 0.75: the "organ" (edges on the 2 mm grid's voxel corners)
    array[1, 1, 1] = 150.0  # a one-voxel island: dropped by keep_largest
    return CtVolume(array=array, spacing=spacing, source="test-ct")


def test_model_runs_on_cpu_and_labels_come_back_on_the_ct_grid(tmp_path: Path) -> None:
    from hsp_desktop.segmentation.onnx_model import load_seg_model, predict_labels, segment_with_model

    model = load_seg_model(_install(tmp_path / "m", _threshold_model()))
    same = _ct((2.0, 2.0, 2.0))
    labels = predict_labels(model, same, provider="cpu")
    assert labels.shape == same.shape and labels.dtype == np.uint8
    assert np.array_equal(
        labels, np.where(same.array > 100, 1, 0).astype(np.uint8) * (np.arange(20)[:, None, None] > 2)
    )
    # another grid: resampled to the model's 2 mm and the labels back (nearest) onto the CT grid
    finer = _ct((1.0, 1.0, 1.0))
    back = predict_labels(model, finer, provider="cpu")
    assert back.shape == finer.shape
    organ = finer.array > 100
    organ[1, 1, 1] = False
    assert 2 * np.count_nonzero((back == 1) & organ) / (np.count_nonzero(back) + organ.sum()) > 0.9
    lm, provenance = segment_with_model(model, same, user="dr.wu", provider="cpu")
    assert provenance.method == "onnx-model" and provenance.review is None
    assert provenance.details["model_sha256"] == model.sha256
    assert provenance.details["provider"] == "CPUExecutionProvider"
    assert provenance.details["intended_use"] == "tests only" and lm.labels == {1: "spleen"}
    assert "threshold-test" in provenance.summary() or model.sha256[:12] in provenance.summary()


def test_altered_or_incomplete_models_are_refused(tmp_path: Path) -> None:
    from hsp_desktop.segmentation.onnx_model import load_seg_model

    data = _threshold_model()
    folder = _install(tmp_path / "a", data)
    (folder / "model.onnx").write_bytes(data + b"\0")  # altered after installation
    with pytest.raises(ModelArtefactError, match="does not match its manifest"):
        load_seg_model(folder)
    with pytest.raises(ModelArtefactError, match="missing fields") as info:
        load_seg_model(_drop(tmp_path / "b", data, "licence"))
    assert "licence" in str(info.value)
    with pytest.raises(ModelArtefactError, match="values out of range"):
        load_seg_model(_install(tmp_path / "c", data, hu_window=[200, 0]))
    with pytest.raises(ModelArtefactError, match="another format"):
        load_seg_model(_install(tmp_path / "d", data, format="nnunet"))
    with pytest.raises(ModelArtefactError, match="no manifest"):
        load_seg_model(tmp_path / "nowhere")
    wrong_names = load_seg_model(_install(tmp_path / "e", data, input={"name": "image"}))
    with pytest.raises(ModelArtefactError, match="inputs/outputs differ"):
        wrong_names.session("cpu")


def _drop(folder: Path, data: bytes, key: str) -> Path:
    _install(folder, data)
    manifest = json.loads((folder / "manifest.json").read_text())
    del manifest[key]
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder

"""Export a trained CNN to ONNX and write the artefact folder (torch; training side only).

The folder is built in a temporary sibling and moved into place only when complete, so an interrupted
export never leaves a half-written artefact.
"""

from __future__ import annotations

import io
import json
import os
import platform
import shutil
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import onnx
import onnxruntime as ort
import torch

from hsp_desktop.errors import ModelArtefactError
from models.cnn.manifest import write_manifest
from models.cnn.model import CnnConfig, SpleenCnn, count_parameters
from models.cnn.preprocess import PreprocessSpec

MODEL_FILE = "model.onnx"
INPUT_NAME = "image"
OUTPUT_NAMES: tuple[str, str] = ("logit", "embedding")
OPSET = 17


def onnx_bytes(model: SpleenCnn, spec: PreprocessSpec, opset: int = OPSET) -> bytes:
    """Serialise ``model`` (evaluation mode) to ONNX with a dynamic batch axis.

    Uses the TorchScript-based exporter (``dynamo=False``): it needs no extra package and handles this
    plain convolutional graph exactly; its deprecation notice is silenced here only.
    """
    model.eval()
    dummy = torch.zeros((2, *spec.input_shape), dtype=torch.float32)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        torch.onnx.export(
            model,
            (dummy,),
            cast(Any, buffer),  # the TorchScript exporter writes to file-like objects too
            dynamo=False,
            export_params=True,
            opset_version=opset,
            do_constant_folding=True,
            input_names=[INPUT_NAME],
            output_names=list(OUTPUT_NAMES),
            dynamic_axes={
                INPUT_NAME: {0: "batch"},
                OUTPUT_NAMES[0]: {0: "batch"},
                OUTPUT_NAMES[1]: {0: "batch"},
            },
        )
    data = buffer.getvalue()
    proto = onnx.load_from_string(data)
    onnx.checker.check_model(proto)
    return data


def max_abs_difference(model: SpleenCnn, data: bytes, x: npt.NDArray[np.float32]) -> float:
    """Largest absolute difference between torch and ONNX Runtime (CPU) outputs on a batch ``x``."""
    model.eval()
    with torch.no_grad():
        t_logit, t_emb = model(torch.from_numpy(np.ascontiguousarray(x)))
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    o_logit, o_emb = session.run(list(OUTPUT_NAMES), {INPUT_NAME: np.ascontiguousarray(x)})
    return float(
        max(
            np.max(np.abs(t_logit.numpy() - np.asarray(o_logit))),
            np.max(np.abs(t_emb.numpy() - np.asarray(o_emb))),
        )
    )


def versions() -> dict[str, str]:
    """Versions of the libraries that made the artefact."""
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__,
        "onnx": onnx.__version__,
        "onnxruntime": ort.__version__,
        "opset": str(OPSET),
    }


def io_spec(spec: PreprocessSpec, cnn_config: CnnConfig) -> tuple[dict[str, Any], dict[str, Any]]:
    """Input and output specification recorded in the manifest and checked by the inference code."""
    input_spec = {
        "name": INPUT_NAME,
        "dtype": "float32",
        "shape": ["batch", *spec.input_shape],
        "layout": "NCDHW (channels ct, spleen, liver; D=z, H=y, W=x in LPS orientation)",
    }
    outputs = {
        "logit": {
            "name": OUTPUT_NAMES[0],
            "dtype": "float32",
            "shape": ["batch", 1],
            "meaning": "deep score: log-odds of refractory hypersplenism at 6 months (uncalibrated CNN)",
        },
        "embedding": {
            "name": OUTPUT_NAMES[1],
            "dtype": "float32",
            "shape": ["batch", cnn_config.embedding_dim],
            "meaning": "deep features (tanh, in [-1, 1]); the logit is a linear function of them",
        },
    }
    return input_spec, outputs


def write_artifact(
    out_dir: Path,
    model: SpleenCnn,
    spec: PreprocessSpec,
    *,
    name: str | None = None,
    training: Mapping[str, Any],
    cohort: Mapping[str, Any],
    validation: Mapping[str, Any],
    extra_files: Mapping[str, bytes] = {},
    check_batch: npt.NDArray[np.float32] | None = None,
    overwrite: bool = False,
) -> Path:
    """Export ``model`` and write a complete artefact folder with its manifest.

    Parameters
    ----------
    out_dir : Path
        The artefact folder to create (e.g. ``models/artifacts/cnn-demo-1``).
    model : SpleenCnn
        The trained network.
    spec : PreprocessSpec
        The preprocessing the network was trained with.
    name : str, optional
        Artefact name (default: the folder name).
    training, cohort, validation : mapping
        Manifest sections: training settings and history, training-cohort summary, validation metrics.
    extra_files : mapping of relative name -> bytes
        Other files to ship (README.md, out-of-fold scores, ...); all are hashed into the manifest.
    check_batch : ndarray, optional
        A batch on which torch and ONNX Runtime outputs are compared; the difference goes into the manifest.
    overwrite : bool
        Replace an existing folder.

    Returns
    -------
    Path
        The manifest path.

    Raises
    ------
    ModelArtefactError
        When the folder exists and ``overwrite`` is false, or torch and ONNX disagree beyond 1e-4.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not overwrite:
        raise ModelArtefactError(
            "the artefact folder already exists",
            expected="a new folder",
            found=str(out_dir),
            fix="choose another --out, or pass --overwrite to replace it",
            field="out",
        )
    data = onnx_bytes(model, spec)
    agreement: dict[str, Any] = {}
    if check_batch is not None:
        diff = max_abs_difference(model, data, check_batch)
        agreement = {"torch_onnx_max_abs_diff": diff, "batch": int(check_batch.shape[0])}
        if not diff <= 1e-4:
            raise ModelArtefactError(
                "the exported ONNX model does not reproduce the torch outputs",
                expected="max |torch - onnx| <= 1e-4",
                found=f"{diff:.3g}",
                fix="report this export failure with the torch/onnx versions",
                field="model.onnx",
            )
    cnn_config = model.config
    input_spec, outputs = io_spec(spec, cnn_config)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}-"))
    tmp.chmod(0o755)  # a shipped artefact is readable by every user (mkdtemp makes it private)
    try:
        (tmp / MODEL_FILE).write_bytes(data)
        for rel, content in extra_files.items():
            target = tmp / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        record = {
            "name": name or out_dir.name,
            "kind": "cnn",
            "created_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "model_file": MODEL_FILE,
            "input": input_spec,
            "outputs": outputs,
            "preprocessing": spec.as_dict(),
            "architecture": {
                **cnn_config.as_dict(),
                "class": "models.cnn.model.SpleenCnn",
                "parameters": count_parameters(model),
            },
            "versions": versions(),
            "training": dict(training),
            "training_cohort": dict(cohort),
            "validation": {**dict(validation), **agreement},
        }
        json.dumps(record, allow_nan=False)  # fail before writing anything not JSON-clean
        write_manifest(tmp, record)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir / "manifest.json"


def onnx_output_names(data: bytes) -> Sequence[str]:
    """Output names of a serialised ONNX model."""
    return [o.name for o in onnx.load_from_string(data).graph.output]

"""Run the CNN through ONNX Runtime: deep score and deep features (NumPy + onnxruntime only, never torch).

>>> model = DeepModel("models/artifacts/cnn-demo-1")         # reads and checks the manifest only
>>> result = model.predict_case(ct.array, mask.array, ct.spacing, direction=ct.direction)
>>> result.score, result.embedding, result.provider          # provider actually used, e.g. "CPUExecutionProvider"

* The inference session is created once, lazily, on first use (thread-safe).  Before that, the bytes of the
  model file are hashed and compared with the manifest (every other listed file too); a mismatch raises
  :class:`~hsp_desktop.errors.ModelArtefactError` and nothing runs.  The session is built from the verified
  bytes, so the file cannot change between the check and the load.
* Provider: ``"auto"`` uses ``CUDAExecutionProvider`` when onnxruntime-gpu is installed *and* a CUDA device is
  present (checked through the driver API), else ``CPUExecutionProvider``; ``"cpu"`` or ``"cuda"`` force one
  (``HSP_ORT_PROVIDER`` overrides the default).  The provider the session really uses (ONNX Runtime falls back
  to CPU if CUDA cannot start) is recorded with every result.
* Thread counts: ``intra_op_threads`` (default ``HSP_ORT_THREADS`` or min(4, CPUs)), ``inter_op_threads`` 1.
* Inputs are checked (``float32``, ``(N, 3, g, g, g)`` as the manifest says, finite) with
  :class:`~hsp_desktop.errors.InputError` naming what was expected and found.
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import onnxruntime as ort

from hsp_desktop.errors import InputError, ModelArtefactError, SettingsError
from models.cnn.manifest import MANIFEST_NAME, read_manifest, sha256_bytes, sha256_file, verify_files
from models.cnn.preprocess import PreprocessSpec, preprocess_case

CPU = "CPUExecutionProvider"
CUDA = "CUDAExecutionProvider"
PROVIDER_CHOICES = ("auto", "cpu", "cuda")

ProgressFn = Callable[[int, int], None]


def cuda_device_count() -> int:
    """Number of CUDA devices the driver reports (0 when there is no driver or no device)."""
    names = ["nvcuda.dll"] if sys.platform == "win32" else ["libcuda.so.1", "libcuda.so", "libcuda.dylib"]
    for name in names:
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        try:
            if lib.cuInit(0) != 0:
                return 0
            count = ctypes.c_int(0)
            if lib.cuDeviceGetCount(ctypes.byref(count)) != 0:
                return 0
            return int(count.value)
        except AttributeError:
            return 0
    return 0


def choose_providers(provider: str = "auto") -> list[str]:
    """Execution providers to request, in priority order, for ``"auto"``, ``"cpu"`` or ``"cuda"``.

    Raises
    ------
    SettingsError
        Unknown choice, or ``"cuda"`` forced where onnxruntime-gpu or a CUDA device is missing.
    """
    if provider not in PROVIDER_CHOICES:
        raise SettingsError(
            "unknown ONNX Runtime provider choice",
            expected=" or ".join(PROVIDER_CHOICES),
            found=repr(provider),
            fix="use auto (GPU when present), cpu or cuda",
            field="provider",
        )
    if provider == "cpu":
        return [CPU]
    gpu_runtime = CUDA in ort.get_available_providers()
    gpu_ok = gpu_runtime and cuda_device_count() > 0
    if provider == "cuda" and not gpu_ok:
        raise SettingsError(
            "the CUDA provider was requested but cannot run here",
            expected="onnxruntime-gpu and an NVIDIA GPU with its driver",
            found=f"onnxruntime providers {ort.get_available_providers()}, "
            f"{cuda_device_count()} CUDA device(s)",
            fix="use --provider auto or cpu on this workstation",
            field="provider",
        )
    return [CUDA, CPU] if gpu_ok else [CPU]


@dataclass(frozen=True)
class DeepOutput:
    """Outputs for a batch, with the provenance needed to reproduce them.

    Attributes
    ----------
    logits : ndarray, float32, shape (N,)
        Deep scores (uncalibrated log-odds).
    embeddings : ndarray, float32, shape (N, E)
        Deep features.
    provider : str
        ONNX Runtime execution provider that ran the batch.
    model_name, model_sha256, manifest_sha256, preprocessing : str
        The artefact and preprocessing that produced them.
    """

    logits: npt.NDArray[np.float32]
    embeddings: npt.NDArray[np.float32]
    provider: str
    model_name: str
    model_sha256: str
    manifest_sha256: str
    preprocessing: str

    def case(self, i: int) -> DeepResult:
        """The result of the ``i``-th case of the batch."""
        return DeepResult(
            score=float(self.logits[i]),
            embedding=tuple(float(v) for v in self.embeddings[i]),
            provider=self.provider,
            model_name=self.model_name,
            model_sha256=self.model_sha256,
            manifest_sha256=self.manifest_sha256,
            preprocessing=self.preprocessing,
        )


@dataclass(frozen=True)
class DeepResult:
    """One recipient's deep score and deep features, with provenance (provider, model hashes)."""

    score: float
    embedding: tuple[float, ...]
    provider: str
    model_name: str
    model_sha256: str
    manifest_sha256: str
    preprocessing: str

    def features(self, prefix: str = "deep") -> dict[str, float]:
        """Named features for the feature table: ``deep_score`` and ``deep_emb_1`` .. ``deep_emb_E``."""
        out = {f"{prefix}_score": self.score}
        out.update({f"{prefix}_emb_{i + 1}": v for i, v in enumerate(self.embedding)})
        return out

    def provenance(self) -> dict[str, str]:
        """Provider, model and preprocessing identifiers to store with the result."""
        return {
            "provider": self.provider,
            "model_name": self.model_name,
            "model_sha256": self.model_sha256,
            "manifest_sha256": self.manifest_sha256,
            "preprocessing": self.preprocessing,
        }


def _default_threads() -> int:
    env = os.environ.get("HSP_ORT_THREADS")
    if env:
        try:
            value = int(env)
        except ValueError as exc:
            raise SettingsError(
                "HSP_ORT_THREADS must be a positive integer",
                expected="e.g. 2",
                found=repr(env),
                fix="correct or unset the environment variable",
                field="HSP_ORT_THREADS",
            ) from exc
        if value >= 1:
            return value
    return max(1, min(4, os.cpu_count() or 1))


class DeepModel:
    """A CNN artefact folder, run through ONNX Runtime.

    Parameters
    ----------
    folder : path
        Artefact folder holding ``manifest.json`` and the ONNX model it lists.
    provider : {"auto", "cpu", "cuda"}, optional
        Execution provider choice (default ``HSP_ORT_PROVIDER`` or ``"auto"``).
    intra_op_threads, inter_op_threads : int, optional
        ONNX Runtime thread pools (defaults: ``HSP_ORT_THREADS`` or min(4, CPUs); 1).

    Raises
    ------
    ModelArtefactError
        Missing or malformed manifest, or an input/output specification this code cannot honour.
    """

    def __init__(
        self,
        folder: Path | str,
        *,
        provider: str | None = None,
        intra_op_threads: int | None = None,
        inter_op_threads: int = 1,
    ) -> None:
        self.folder = Path(folder)
        self.manifest: dict[str, Any] = read_manifest(self.folder)
        self.manifest_sha256 = sha256_file(self.folder / MANIFEST_NAME)
        self.provider_choice = provider or os.environ.get("HSP_ORT_PROVIDER", "auto")
        choose_providers(self.provider_choice)  # validate the choice now, not at first use
        self.intra_op_threads = intra_op_threads if intra_op_threads is not None else _default_threads()
        self.inter_op_threads = inter_op_threads
        try:
            self.spec = PreprocessSpec.from_dict(self.manifest["preprocessing"])
        except SettingsError as exc:
            raise ModelArtefactError(
                "the CNN manifest's preprocessing cannot be honoured",
                expected=exc.expected,
                found=exc.found,
                fix=exc.fix,
                field="preprocessing",
            ) from exc
        self._check_io_spec()
        self._session: ort.InferenceSession | None = None
        self._provider: str | None = None
        self._lock = threading.Lock()

    # -- metadata -------------------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """Artefact name from the manifest."""
        return str(self.manifest["name"])

    @property
    def model_sha256(self) -> str:
        """SHA-256 of the ONNX file as recorded in the manifest."""
        return str(self.manifest["files"][self.manifest["model_file"]])

    @property
    def input_name(self) -> str:
        """Name of the ONNX input."""
        return str(self.manifest["input"]["name"])

    @property
    def output_names(self) -> tuple[str, str]:
        """Names of the logit and embedding outputs."""
        return (
            str(self.manifest["outputs"]["logit"]["name"]),
            str(self.manifest["outputs"]["embedding"]["name"]),
        )

    @property
    def embedding_dim(self) -> int:
        """Number of deep features."""
        return int(self.manifest["outputs"]["embedding"]["shape"][1])

    @property
    def provider(self) -> str | None:
        """Execution provider in use (``None`` until the session exists)."""
        return self._provider

    @property
    def preprocessing_id(self) -> str:
        """``name version`` of the preprocessing."""
        return f"{self.manifest['preprocessing']['name']} {self.manifest['preprocessing']['version']}"

    def _check_io_spec(self) -> None:
        inp = self.manifest["input"]
        outs = self.manifest["outputs"]
        try:
            shape = list(inp["shape"])
            ok = (
                inp["dtype"] == "float32"
                and shape[1:] == list(self.spec.input_shape)
                and set(outs) >= {"logit", "embedding"}
                and list(outs["logit"]["shape"])[1:] == [1]
                and int(outs["embedding"]["shape"][1]) >= 1
            )
        except (KeyError, TypeError, ValueError, IndexError):
            ok = False
        if not ok:
            raise ModelArtefactError(
                "the CNN manifest's input/output specification is not one this code can run",
                expected=f"input float32 [batch, {', '.join(map(str, self.spec.input_shape))}], "
                "outputs logit [batch, 1] and embedding [batch, E]",
                found=f"input {inp!r}; outputs {outs!r}",
                fix="install a CNN artefact exported by `hsp train-cnn` (or honouring its specification)",
                field="input",
            )

    # -- session --------------------------------------------------------------------------------------------
    def verify(self) -> bytes:
        """Check every listed file against the manifest and return the verified model bytes.

        Raises
        ------
        ModelArtefactError
            A file is missing or altered; the model is then never run.
        """
        verify_files(self.folder, self.manifest)
        path = self.folder / self.manifest["model_file"]
        data: bytes = path.read_bytes()
        if sha256_bytes(data) != self.model_sha256:
            raise ModelArtefactError(
                "the ONNX model changed while it was being loaded",
                expected=f"sha256 {self.model_sha256}",
                found=f"sha256 {sha256_bytes(data)}",
                fix="re-install the model folder and retry",
                field=self.manifest["model_file"],
            )
        return data

    def session(self) -> ort.InferenceSession:
        """The ONNX Runtime session, created on first call after the hash check."""
        with self._lock:
            if self._session is None:
                data = self.verify()
                options = ort.SessionOptions()
                options.intra_op_num_threads = int(self.intra_op_threads)
                options.inter_op_num_threads = int(self.inter_op_threads)
                options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
                options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                options.log_severity_level = 3
                # idle pool threads sleep rather than spin: the ward PC also runs the GUI and other work
                options.add_session_config_entry("session.intra_op.allow_spinning", "0")
                options.add_session_config_entry("session.inter_op.allow_spinning", "0")
                try:
                    session = ort.InferenceSession(
                        data, sess_options=options, providers=choose_providers(self.provider_choice)
                    )
                except Exception as exc:  # onnxruntime raises its own untyped errors
                    raise ModelArtefactError(
                        "ONNX Runtime cannot load the CNN model",
                        expected="a valid ONNX model",
                        found=f"{type(exc).__name__}: {exc}",
                        fix="re-install the model folder or use an onnxruntime version that supports its opset",
                        field=self.manifest["model_file"],
                    ) from exc
                names_in = [i.name for i in session.get_inputs()]
                names_out = [o.name for o in session.get_outputs()]
                if names_in != [self.input_name] or not set(self.output_names) <= set(names_out):
                    raise ModelArtefactError(
                        "the ONNX model's inputs/outputs differ from its manifest",
                        expected=f"input {self.input_name}, outputs {list(self.output_names)}",
                        found=f"inputs {names_in}, outputs {names_out}",
                        fix="re-export the model so that its manifest describes it",
                        field=self.manifest["model_file"],
                    )
                self._provider = str(session.get_providers()[0])
                self._session = session
            return self._session

    # -- inference ------------------------------------------------------------------------------------------
    def check_batch(self, batch: object) -> npt.NDArray[np.float32]:
        """Validate a preprocessed batch and return it as a C-contiguous float32 array.

        Raises
        ------
        InputError
            Not an ndarray, wrong dtype or shape, or non-finite values.
        """
        expected = f"float32 array (N, {', '.join(map(str, self.spec.input_shape))})"
        if not isinstance(batch, np.ndarray):
            raise InputError(
                "the CNN input must be a NumPy array",
                expected=expected,
                found=type(batch).__name__,
                fix="preprocess each case with models.cnn.preprocess.preprocess_case",
                field="image",
            )
        if batch.dtype != np.float32:
            raise InputError(
                "the CNN input has the wrong dtype",
                expected=expected,
                found=str(batch.dtype),
                fix="use the float32 array that preprocess_case returns (do not convert it)",
                field="image",
            )
        if batch.ndim != 5 or tuple(batch.shape[1:]) != self.spec.input_shape or batch.shape[0] < 1:
            raise InputError(
                "the CNN input has the wrong shape",
                expected=expected,
                found=f"shape {tuple(batch.shape)}",
                fix="preprocess with this model's preprocessing (grid and channels from its manifest)",
                field="image",
            )
        if not np.all(np.isfinite(batch)):
            raise InputError(
                "the CNN input contains NaN or infinite values",
                expected="finite values",
                found=f"{int(np.count_nonzero(~np.isfinite(batch)))} non-finite",
                fix="check the CT for corrupt voxels",
                field="image",
            )
        return np.ascontiguousarray(batch)

    def run(self, batch: npt.NDArray[np.float32]) -> DeepOutput:
        """Run a preprocessed batch ``(N, 3, g, g, g)`` and return logits and embeddings with provenance."""
        x = self.check_batch(batch)
        session = self.session()
        logit, emb = session.run(list(self.output_names), {self.input_name: x})
        logits = np.asarray(logit, dtype=np.float32).reshape(x.shape[0])
        embeddings = np.asarray(emb, dtype=np.float32).reshape(x.shape[0], -1)
        return DeepOutput(
            logits=logits,
            embeddings=embeddings,
            provider=str(self._provider),
            model_name=self.name,
            model_sha256=self.model_sha256,
            manifest_sha256=self.manifest_sha256,
            preprocessing=self.preprocessing_id,
        )

    def preprocess(
        self,
        ct: npt.ArrayLike,
        mask: npt.ArrayLike,
        spacing: Sequence[float],
        *,
        direction: Sequence[float] | None = None,
    ) -> npt.NDArray[np.float32]:
        """Preprocess one case with this model's preprocessing (see :func:`models.cnn.preprocess.preprocess_case`)."""
        return preprocess_case(ct, mask, spacing, self.spec, direction=direction)

    def predict_case(
        self,
        ct: npt.ArrayLike,
        mask: npt.ArrayLike,
        spacing: Sequence[float],
        *,
        direction: Sequence[float] | None = None,
    ) -> DeepResult:
        """Preprocess and score one recipient."""
        x = self.preprocess(ct, mask, spacing, direction=direction)
        return self.run(x[None]).case(0)

    def predict_many(
        self,
        images: Iterable[npt.NDArray[np.float32]],
        *,
        total: int | None = None,
        batch_size: int = 8,
        progress: bool | ProgressFn = True,
    ) -> DeepOutput:
        """Score many preprocessed cases in batches.

        Parameters
        ----------
        images : iterable of ndarray (3, g, g, g)
            Preprocessed cases (e.g. a generator that reads and preprocesses lazily).
        total : int, optional
            Number of cases, for the progress display.
        batch_size : int
            Cases per ONNX Runtime call.
        progress : bool or callable
            ``True`` shows a tqdm bar; a callable is called as ``progress(done, total)``.

        Returns
        -------
        DeepOutput
            Concatenated outputs in input order.
        """
        if batch_size < 1:
            raise SettingsError(
                "batch_size must be at least 1",
                expected=">= 1",
                found=str(batch_size),
                fix="use 1 or more",
                field="batch_size",
            )
        bar: Any = None
        if progress is True:
            from tqdm.auto import tqdm

            bar = tqdm(total=total, desc="deep features", unit="case", leave=False)
        logits: list[np.ndarray] = []
        embs: list[np.ndarray] = []
        pending: list[np.ndarray] = []
        done = 0

        def flush() -> None:
            nonlocal done
            out = self.run(np.stack(pending))
            logits.append(out.logits)
            embs.append(out.embeddings)
            done += len(pending)
            if bar is not None:
                bar.update(len(pending))
            elif callable(progress):
                progress(done, total if total is not None else done)
            pending.clear()

        try:
            for i, image in enumerate(images):
                arr = np.asarray(image)
                if arr.shape != self.spec.input_shape:
                    raise InputError(
                        f"case {i} has the wrong preprocessed shape",
                        expected=f"{self.spec.input_shape}",
                        found=f"{arr.shape}",
                        fix="preprocess every case with this model's preprocessing",
                        field="image",
                    )
                pending.append(arr)
                if len(pending) == batch_size:
                    flush()
            if pending:
                flush()
        finally:
            if bar is not None:
                bar.close()
        if not logits:
            raise InputError(
                "no cases to score",
                expected="at least one preprocessed case",
                found="an empty sequence",
                fix="check the cohort folder",
                field="images",
            )
        return DeepOutput(
            logits=np.concatenate(logits),
            embeddings=np.concatenate(embs),
            provider=str(self._provider),
            model_name=self.name,
            model_sha256=self.model_sha256,
            manifest_sha256=self.manifest_sha256,
            preprocessing=self.preprocessing_id,
        )

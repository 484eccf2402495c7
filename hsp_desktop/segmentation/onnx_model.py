"""Auto-segmentation plug-in: an ONNX segmentation model with a manifest, run through ONNX Runtime.

A site installs a model folder (for example one exported from nnU-Net or MONAI) holding ``model.onnx`` and
``manifest.json``::

    {
      "format": "hsp-seg-model/1",
      "name": "segnet-demo-1", "version": "1",
      "file": "model.onnx", "sha256": "<SHA-256 of model.onnx>",
      "input_spacing_mm": [2.9, 2.9, 5.0],          # x, y, z: the CT is resampled to this grid (linear)
      "hu_window": [-160, 240],                     # HU clipped to the window and scaled to 0..1
      "labels": {"1": "spleen", "2": "liver"},      # output channel -> structure (channel 0 is background)
      "input": {"name": "ct", "divisible_by": 4},   # (1, 1, z, y, x) float32, padded to a multiple
      "output": {"name": "logits"},                 # (1, 1 + n labels, z, y, x); the arg-max is taken
      "keep_largest": true,                         # keep each label's largest island
      "licence": "...", "intended_use": "..."
    }

The model file is hashed before it is loaded; a file that does not match its manifest is never run
(:class:`~hsp_desktop.errors.ModelArtefactError`).  ONNX Runtime runs on the GPU (CUDA provider) when
onnxruntime-gpu and an NVIDIA GPU are present, on the CPU otherwise (:func:`models.deep.choose_providers`); the
provider used is recorded in the mask's provenance.  The labels come back on the CT's own grid (nearest
neighbour).
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from hsp_desktop.domain import CtVolume, LabelMap
from hsp_desktop.errors import ModelArtefactError
from hsp_desktop.segmentation.provenance import MaskProvenance, now_utc

__all__ = [
    "FORMAT",
    "SegModel",
    "SegModelManifest",
    "load_seg_model",
    "predict_labels",
    "segment_with_model",
]

FORMAT = "hsp-seg-model/1"
MANIFEST = "manifest.json"
_REQUIRED = ("name", "version", "file", "sha256", "input_spacing_mm", "hu_window", "labels", "licence",
             "intended_use", "input", "output")  # fmt: skip


@dataclass(frozen=True)
class SegModelManifest:
    """What a segmentation model expects and what it is for (the manifest's fields)."""

    name: str
    version: str
    file: str
    sha256: str
    input_spacing_mm: tuple[float, float, float]
    hu_window: tuple[float, float]
    labels: dict[int, str]
    licence: str
    intended_use: str
    input_name: str
    divisible_by: int
    output_name: str
    keep_largest: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


def _bad(folder: Path, what: str, found: str) -> ModelArtefactError:
    return ModelArtefactError(
        f"The segmentation model in {folder} has an unusable manifest: {what}",
        expected=f"a {MANIFEST} in the {FORMAT} format (see hsp_desktop.segmentation.onnx_model)",
        found=found,
        fix="re-install the model folder, or fix its manifest",
        field=str(folder / MANIFEST),
    )


def read_seg_manifest(folder: Path) -> SegModelManifest:
    """Read and check ``folder/manifest.json``.

    Raises
    ------
    ModelArtefactError
        Missing or unreadable manifest, another format, missing or malformed fields.
    """
    path = folder / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _bad(folder, "no manifest", "no manifest.json") from None
    except (OSError, ValueError) as exc:
        raise _bad(folder, "not readable JSON", f"{type(exc).__name__}: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        found = repr(data.get("format")) if isinstance(data, dict) else type(data).__name__
        raise _bad(folder, "another format", found)
    missing = [k for k in _REQUIRED if k not in data]
    if missing:
        raise _bad(folder, "missing fields", ", ".join(missing))
    try:
        spacing = tuple(float(v) for v in data["input_spacing_mm"])
        window = tuple(float(v) for v in data["hu_window"])
        labels = {int(k): str(v) for k, v in data["labels"].items()}
        divisible = int(data["input"].get("divisible_by", 1))
        manifest = SegModelManifest(
            name=str(data["name"]),
            version=str(data["version"]),
            file=str(data["file"]),
            sha256=str(data["sha256"]).lower(),
            input_spacing_mm=spacing,  # type: ignore[arg-type]
            hu_window=window,  # type: ignore[arg-type]
            labels=labels,
            licence=str(data["licence"]),
            intended_use=str(data["intended_use"]),
            input_name=str(data["input"]["name"]),
            divisible_by=divisible,
            output_name=str(data["output"]["name"]),
            keep_largest=bool(data.get("keep_largest", True)),
            extra={k: v for k, v in data.items() if k not in _REQUIRED},
        )
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise _bad(folder, "malformed fields", f"{type(exc).__name__}: {exc}") from exc
    if (
        len(spacing) != 3
        or not all(math.isfinite(s) and s > 0 for s in spacing)
        or len(window) != 2
        or not window[0] < window[1]
        or not labels
        or 0 in labels
        or divisible < 1
    ):
        raise _bad(
            folder,
            "values out of range",
            f"input_spacing_mm {data['input_spacing_mm']}, hu_window {data['hu_window']}, "
            f"labels {data['labels']}, divisible_by {divisible}",
        )
    return manifest


@dataclass
class SegModel:
    """A verified segmentation model: its manifest, the checked model bytes and (lazily) its session."""

    folder: Path
    manifest: SegModelManifest
    data: bytes
    sessions: dict[tuple[str, int], Any] = field(default_factory=dict)

    @property
    def sha256(self) -> str:
        """SHA-256 of the model file (checked against the manifest when loaded)."""
        return self.manifest.sha256

    def session(self, provider: str = "auto", threads: int | None = None) -> Any:
        """The ONNX Runtime session for a provider choice (``auto``: CUDA when present, else CPU)."""
        import os

        import onnxruntime as ort

        from models.deep import choose_providers

        threads = threads or int(os.environ.get("HSP_ORT_THREADS", min(4, os.cpu_count() or 1)))
        key = (provider, threads)
        if key not in self.sessions:
            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            try:
                session = ort.InferenceSession(
                    self.data, sess_options=options, providers=choose_providers(provider)
                )
            except Exception as exc:  # onnxruntime raises its own untyped errors; re-raised typed
                raise ModelArtefactError(
                    f"ONNX Runtime cannot load the segmentation model {self.manifest.name}",
                    expected="a valid ONNX model",
                    found=f"{type(exc).__name__}: {exc}",
                    fix="re-install the model folder or use an onnxruntime that supports its opset",
                    field=str(self.folder / self.manifest.file),
                ) from exc
            names_in = [i.name for i in session.get_inputs()]
            names_out = [o.name for o in session.get_outputs()]
            if self.manifest.input_name not in names_in or self.manifest.output_name not in names_out:
                raise ModelArtefactError(
                    "The segmentation model's inputs/outputs differ from its manifest",
                    expected=f"input {self.manifest.input_name}, output {self.manifest.output_name}",
                    found=f"inputs {names_in}, outputs {names_out}",
                    fix="re-export the model so that its manifest describes it",
                    field=str(self.folder / self.manifest.file),
                )
            self.sessions[key] = session
        return self.sessions[key]

    def provenance_details(self, provider: str = "") -> dict[str, Any]:
        """What the mask's provenance records about the model."""
        m = self.manifest
        return {
            "model_name": m.name,
            "model_version": m.version,
            "model_sha256": m.sha256,
            "licence": m.licence,
            "intended_use": m.intended_use,
            "input_spacing_mm": list(m.input_spacing_mm),
            "hu_window": list(m.hu_window),
            **({"provider": provider} if provider else {}),
        }


def load_seg_model(folder: Path | str) -> SegModel:
    """Read the manifest and the model file and check the file's SHA-256 (nothing runs before that).

    Raises
    ------
    ModelArtefactError
        Unusable manifest, missing model file, or a file whose SHA-256 differs from the manifest.
    """
    folder = Path(folder)
    manifest = read_seg_manifest(folder)
    path = folder / manifest.file
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelArtefactError(
            f"The segmentation model file {manifest.file} cannot be read",
            expected=f"{path}",
            found=f"{type(exc).__name__}: {exc}",
            fix="re-install the model folder",
            field=str(path),
        ) from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != manifest.sha256:
        raise ModelArtefactError(
            f"The segmentation model file {manifest.file} does not match its manifest (altered or corrupted)",
            expected=f"SHA-256 {manifest.sha256}",
            found=f"SHA-256 {digest}",
            fix="re-install the model folder from its source; an altered model is never run",
            field=str(path),
        )
    return SegModel(folder, manifest, data)


def _resample(
    array: npt.NDArray[Any],
    spacing: tuple[float, float, float],
    origin: tuple[float, ...],
    direction: tuple[float, ...],
    new_spacing: tuple[float, float, float],
    new_size: tuple[int, int, int] | None,
    linear: bool,
    new_origin: tuple[float, ...],
) -> npt.NDArray[Any]:
    """Resample a (z, y, x) array onto a grid of ``new_spacing`` at ``new_origin``; size (x, y, z) from the extent."""
    import SimpleITK as sitk

    image = sitk.GetImageFromArray(np.ascontiguousarray(array))
    image.SetSpacing(spacing)  # type: ignore[no-untyped-call]
    image.SetOrigin(origin)  # type: ignore[no-untyped-call]
    image.SetDirection(direction)  # type: ignore[no-untyped-call]
    if new_size is None:
        nz, ny, nx = array.shape
        new_size = tuple(  # type: ignore[assignment]
            max(1, round(n * s / t)) for n, s, t in zip((nx, ny, nz), spacing, new_spacing, strict=True)
        )
    out = sitk.Resample(  # type: ignore[no-untyped-call]
        image,
        [int(v) for v in new_size],  # type: ignore[union-attr]
        sitk.Transform(),  # type: ignore[no-untyped-call]
        sitk.sitkLinear if linear else sitk.sitkNearestNeighbor,
        new_origin,
        new_spacing,
        direction,
        -1024.0 if linear else 0.0,
        image.GetPixelID(),  # type: ignore[no-untyped-call]
    )
    return np.asarray(sitk.GetArrayFromImage(out))


def predict_labels(
    model: SegModel, ct: CtVolume, *, provider: str = "auto", threads: int | None = None
) -> npt.NDArray[np.uint8]:
    """Run the model on ``ct``; return its labels (manifest values) on the CT's grid.

    Parameters
    ----------
    model : SegModel
        A model loaded (and hash-checked) by :func:`load_seg_model`.
    ct : CtVolume
        The CT, any spacing: it is resampled to the model's input spacing and the labels back to the CT grid.
    provider : str
        ``auto`` (CUDA when present, else CPU), ``cpu`` or ``cuda``.
    threads : int, optional
        ONNX Runtime intra-op threads.
    """
    from scipy import ndimage

    m = model.manifest
    same = np.allclose(ct.spacing, m.input_spacing_mm, rtol=0, atol=1e-3)
    hu = ct.array
    # the model grid covers the same physical box as the CT: voxel corners aligned, not first voxel centres
    shift = np.asarray(ct.direction, dtype=float).reshape(3, 3) @ (
        (np.asarray(m.input_spacing_mm) - np.asarray(ct.spacing)) / 2.0
    )
    model_origin = tuple(float(o + d) for o, d in zip(ct.origin, shift, strict=True))
    if not same:
        hu = _resample(
            ct.array, ct.spacing, ct.origin, ct.direction, m.input_spacing_mm, None, True, model_origin
        )
    low, high = m.hu_window
    x = ((np.clip(hu, low, high) - low) / (high - low)).astype(np.float32)
    shape = x.shape
    pads = [(0, (-n) % m.divisible_by) for n in shape]
    x = np.pad(x, pads, mode="edge")
    session = model.session(provider, threads)
    logits = session.run([m.output_name], {m.input_name: x[None, None]})[0][0]
    labels = np.argmax(logits, axis=0).astype(np.uint8)[: shape[0], : shape[1], : shape[2]]
    out = np.zeros_like(labels)
    for value in m.labels:
        sel = labels == value
        if m.keep_largest and sel.any():
            comp, n = ndimage.label(sel)
            if n > 1:
                sizes = np.bincount(comp.ravel())
                sizes[0] = 0
                sel = comp == int(np.argmax(sizes))
        out[sel] = value
    if not same:
        nz, ny, nx = ct.shape
        out = _resample(
            out, m.input_spacing_mm, model_origin, ct.direction, ct.spacing, (nx, ny, nz), False, ct.origin
        )
    return np.asarray(out, dtype=np.uint8)


def segment_with_model(
    model: SegModel, ct: CtVolume, *, user: str, provider: str = "auto"
) -> tuple[LabelMap, MaskProvenance]:
    """The model's label map on the CT grid with its provenance (method ``onnx-model``; not reviewed)."""
    start = time.perf_counter()
    labels = predict_labels(model, ct, provider=provider)
    used = next(iter(model.sessions.values())).get_providers()[0] if model.sessions else ""
    present = {v: n for v, n in model.manifest.labels.items() if np.any(labels == v)}
    lm = LabelMap(
        array=labels,
        spacing=ct.spacing,
        origin=ct.origin,
        direction=ct.direction,
        labels=present or dict(model.manifest.labels),
        source=f"onnx:{model.manifest.name}",
    )
    details = model.provenance_details(str(used))
    details["seconds"] = round(time.perf_counter() - start, 2)
    provenance = MaskProvenance(
        method="onnx-model",
        created_by=user,
        created_at=now_utc(),
        ct_source=ct.source,
        labels=dict(lm.labels),
        details=details,
    )
    return lm, provenance

"""Train the demonstration segmentation U-Net on a synthetic cohort and export it as an ONNX model folder.

Training: batches of random 64 x 64 axial patches with their neighbouring slices (half centred on the spleen, a
quarter on the liver, a quarter anywhere) of the cohort's CTs on the default grid (2.9 x 2.9 x 5 mm), HU clipped to
-160..240 and scaled to 0..1; loss = cross-entropy + soft Dice of spleen and liver; Adam with a cosine schedule.  The exported folder holds ``model.onnx`` and a
``manifest.json`` in the ``hsp-seg-model/1`` format (input spacing, HU window, labels, SHA-256, licence,
intended use, training summary).  Trained on synthetic phantoms only: it is a demonstration, not a clinical
model.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import torch

from hsp_desktop.errors import InputError
from models.segnet.net import SliceUNet, VolumeSegNet

SPACING = (2.9, 2.9, 5.0)
HU_WINDOW = (-160.0, 240.0)
PATCH = 64  # pixels (y, x) of a training patch
LABELS = {1: "spleen", 2: "liver"}
INTENDED_USE = (
    "Demonstration only: trained on HSP Desktop's synthetic phantom CTs (hsp synth); it is not validated on, "
    "and must not be used for, patients' CT images. A site installs its own validated model."
)
LICENCE = "Same as HSP Desktop (research use); trained by HSP Desktop on its own synthetic data"


def _load_cohort(cohort: Path, cases: int) -> list[tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]]:
    import SimpleITK as sitk

    folders = sorted(p for p in (cohort / "images").iterdir() if (p / "ct.nii.gz").is_file())[:cases]
    if not folders:
        raise InputError(
            f"No synthetic cases in {cohort}",
            expected="a folder written by hsp synth (images/<id>/ct.nii.gz and mask.nii.gz)",
            found="no images",
            fix="run hsp synth --out FOLDER first",
            field=str(cohort),
        )
    out = []
    for folder in folders:
        image = sitk.ReadImage(str(folder / "ct.nii.gz"))
        spacing = image.GetSpacing()  # type: ignore[no-untyped-call]
        if not np.allclose(spacing, SPACING, atol=1e-3):
            raise InputError(
                f"{folder.name} is not on the default synthetic grid",
                expected=f"spacing {SPACING} mm",
                found=f"spacing {spacing}",
                fix="train on a cohort made without --full-res",
                field=str(folder),
            )
        hu = sitk.GetArrayFromImage(image).astype(np.float32)
        labels = sitk.GetArrayFromImage(sitk.ReadImage(str(folder / "mask.nii.gz"))).astype(np.int64)
        out.append((_normalise(hu), labels))
    return out


def _normalise(hu: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    low, high = HU_WINDOW
    return ((np.clip(hu, low, high) - low) / (high - low)).astype(np.float32)


def _patch(
    x: npt.NDArray[np.float32], y: npt.NDArray[np.int64], rng: np.random.Generator
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """A (3, PATCH, PATCH) patch (slice and its neighbours) and the middle slice's labels."""
    u = rng.random()
    target = 1 if u < 0.5 else 2 if u < 0.75 else 0
    if target:
        idx = np.argwhere(y == target)
        k, j, i = idx[rng.integers(len(idx))]
    else:
        k, j, i = (int(rng.integers(n)) for n in y.shape)
    nz, ny, nx = y.shape
    j0 = int(np.clip(j - PATCH // 2 + rng.integers(-16, 17), 0, ny - PATCH))
    i0 = int(np.clip(i - PATCH // 2 + rng.integers(-16, 17), 0, nx - PATCH))
    ks = [max(0, k - 1), k, min(nz - 1, k + 1)]
    return x[ks, j0 : j0 + PATCH, i0 : i0 + PATCH], y[k, j0 : j0 + PATCH, i0 : i0 + PATCH]


def _loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    ce = torch.nn.functional.cross_entropy(logits, target)
    prob = torch.softmax(logits, dim=1)
    dice = torch.zeros(())
    for c in (1, 2):
        p = prob[:, c]
        t = (target == c).float()
        dice = dice + 1.0 - (2.0 * (p * t).sum() + 1.0) / (p.sum() + t.sum() + 1.0)
    return ce + dice / 2.0


def _predict(model: VolumeSegNet, x: npt.NDArray[np.float32]) -> npt.NDArray[np.uint8]:
    model.eval()
    with torch.no_grad():
        logits = model(torch.from_numpy(x[None, None]))
    return cast(npt.NDArray[np.uint8], logits[0].argmax(0).numpy().astype(np.uint8))


def _dice(a: npt.NDArray[np.bool_], b: npt.NDArray[np.bool_]) -> float:
    return float(2.0 * np.count_nonzero(a & b) / max(1, int(a.sum()) + int(b.sum())))


def _onnx_bytes(model: VolumeSegNet) -> bytes:
    model.eval()
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        torch.onnx.export(
            model,
            (torch.zeros((1, 1, 4, 64, 64), dtype=torch.float32),),
            cast(Any, buffer),
            dynamo=False,
            export_params=True,
            opset_version=17,
            do_constant_folding=True,
            input_names=["ct"],
            output_names=["logits"],
            dynamic_axes={"ct": {2: "z", 3: "y", 4: "x"}, "logits": {2: "z", 3: "y", 4: "x"}},
        )
    return buffer.getvalue()


def train_and_export(
    cohort: Path | str,
    out: Path | str,
    *,
    steps: int = 600,
    cases: int = 16,
    seed: int = 0,
    threads: int = 2,
    width: int = 4,
    batch_size: int = 6,
    log: Callable[[str], None] = print,
) -> Path:
    """Train on ``cases`` recipients of a synthetic cohort for ``steps`` steps and write the ONNX model folder.

    Returns
    -------
    Path
        The model folder (``model.onnx`` + ``manifest.json``), written whole or not at all.
    """
    import onnxruntime as ort

    cohort, out = Path(cohort), Path(out)
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    rng = np.random.default_rng(seed)
    data = _load_cohort(cohort, cases)
    net = SliceUNet(width=width)
    model = VolumeSegNet(net)
    optimiser = torch.optim.Adam(model.parameters(), lr=5e-3)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, T_max=steps)
    start = time.perf_counter()
    losses: list[float] = []
    for step in range(steps):
        net.train()
        batch = [_patch(*data[int(rng.integers(len(data)))], rng) for _ in range(batch_size)]
        x = torch.from_numpy(np.stack([b[0] for b in batch]))
        y = torch.from_numpy(np.stack([b[1] for b in batch]))
        loss = _loss(net(x), y)
        optimiser.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        optimiser.step()
        schedule.step()
        losses.append(loss.item())
        if (step + 1) % 50 == 0:
            log(
                f"step {step + 1}/{steps}: loss {np.mean(losses[-50:]):.4f} ({time.perf_counter() - start:.0f} s)"
            )
    seconds = time.perf_counter() - start
    # training-set agreement (whole volumes, padded to a multiple of 4)
    dices = []
    for x_np, y_np in data[:4]:
        pads = [(0, 0)] + [(0, (-n) % 8) for n in x_np.shape[1:]]
        pred = _predict(model, np.pad(x_np, pads, mode="edge"))[
            : y_np.shape[0], : y_np.shape[1], : y_np.shape[2]
        ]
        dices.append(_dice(pred == 1, y_np == 1))
    data_onnx = _onnx_bytes(model)
    check = np.pad(data[0][0], [(0, 0)] + [(0, (-n) % 8) for n in data[0][0].shape[1:]], mode="edge")[
        None, None
    ]
    session = ort.InferenceSession(data_onnx, providers=["CPUExecutionProvider"])
    onnx_logits = session.run(["logits"], {"ct": check})[0]
    model.eval()
    with torch.no_grad():
        torch_logits = model(torch.from_numpy(check)).numpy()
    max_diff = float(np.abs(onnx_logits - torch_logits).max())
    manifest = {
        "format": "hsp-seg-model/1",
        "name": out.name,
        "version": "1",
        "file": "model.onnx",
        "sha256": hashlib.sha256(data_onnx).hexdigest(),
        "input_spacing_mm": list(SPACING),
        "hu_window": list(HU_WINDOW),
        "labels": {str(k): v for k, v in LABELS.items()},
        "input": {
            "name": "ct",
            "layout": "(1, 1, z, y, x) float32, HU clipped to hu_window scaled 0..1",
            "divisible_by": 8,
        },
        "output": {"name": "logits", "layout": "(1, 3, z, y, x): background, spleen, liver"},
        "architecture": f"2.5-D U-Net (slice and its two neighbours as channels; {width}-{2 * width}-{4 * width} channels, 3 poolings)",
        "keep_largest": True,
        "licence": LICENCE,
        "intended_use": INTENDED_USE,
        "synthetic_data_only": True,
        "training": {
            "cohort": str(cohort.name),
            "cases": len(data),
            "steps": steps,
            "seed": seed,
            "seconds": round(seconds, 1),
            "threads": threads,
            "final_loss": round(float(np.mean(losses[-50:])), 4),
            "train_spleen_dice_first4": [round(d, 4) for d in dices],
            "onnx_vs_torch_max_abs_logit_difference": max_diff,
            "torch": torch.__version__,
            "python": platform.python_version(),
            "parameters": int(sum(p.numel() for p in model.parameters())),
            "batch": batch_size,
            "width": width,
            "patch": PATCH,
        },
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        (tmp / "model.onnx").write_bytes(data_onnx)
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
        out.chmod(0o755)  # mkdtemp made it private
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    log(f"trained {steps} steps on {len(data)} cases in {seconds:.0f} s; train spleen Dice {dices}; "
        f"ONNX vs torch max |diff| {max_diff:.2e}")  # fmt: skip
    return out

"""Training of the spleen CNN (torch; the optional ``train`` extra): augmentation, early stopping, out-of-fold.

Inputs are arrays already made by :func:`models.cnn.preprocess.preprocess_case` (``(N, 3, g, g, g)``
float32) and 0/1 outcomes.  Everything is seeded: the inner validation split, the folds, the weight
initialisation, the batch order and the augmentation draws.  ``torch.set_num_threads`` is set to
``TrainConfig.threads`` for the duration of a call and restored afterwards.

* :func:`fit_cnn` trains one network with class weighting (``pos_weight = negatives / events``) and early
  stopping on a stratified inner validation split (best validation loss from epoch ``min_epochs // 2`` on;
  its weights are restored; at least ``min_epochs`` epochs, stop after ``patience`` without improvement).
* :func:`out_of_fold_scores` runs stratified k-fold: every recipient's score comes from a network that never
  saw that recipient (not even as inner validation), for stacking downstream.
* :func:`predict` runs a network in evaluation mode and returns NumPy logits and embeddings.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import torch
import torch.nn.functional as F
from sklearn.model_selection import StratifiedKFold, train_test_split
from tqdm.auto import tqdm

from hsp_desktop.errors import InputError
from models.cnn.metrics import roc_auc
from models.cnn.model import CnnConfig, SpleenCnn


@dataclass(frozen=True)
class AugmentConfig:
    """Training-time augmentation (applied on the fly to each batch; never at inference).

    Attributes
    ----------
    flip_axes : tuple of int
        Spatial axes (0 = z, 1 = y, 2 = x) each flipped with probability 0.5.
    rotate_deg : float
        Maximum absolute rotation about each axis, degrees.
    scale : float
        Maximum relative isotropic zoom (0.05 = +/-5 %).
    hu_shift : float
        Maximum absolute shift of the CT channel in normalised units (0.05 = 10 HU for a 400 HU window).
    noise_sd : float
        SD of Gaussian noise added to the CT channel, normalised units.
    """

    flip_axes: tuple[int, ...] = (0, 1, 2)
    rotate_deg: float = 10.0
    scale: float = 0.05
    hu_shift: float = 0.05
    noise_sd: float = 0.02


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings (recorded in the manifest)."""

    seed: int = 20260
    max_epochs: int = 30
    min_epochs: int = 6
    patience: int = 6
    batch_size: int = 8
    learning_rate: float = 2e-3
    weight_decay: float = 1e-3
    val_fraction: float = 0.2
    folds: int = 5
    threads: int = 2
    augment: AugmentConfig = field(default_factory=AugmentConfig)

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable record."""
        record = asdict(self)
        record["augment"]["flip_axes"] = list(self.augment.flip_axes)
        return record


@dataclass
class FitResult:
    """One trained network with its training history."""

    model: SpleenCnn
    best_epoch: int
    epochs_run: int
    val_loss: float | None
    val_auc: float | None
    seconds: float
    history: list[dict[str, float]]
    pos_weight: float


@dataclass
class OofResult:
    """Out-of-fold logits (one per recipient, from a network that never trained on it) and fold numbers."""

    logits: npt.NDArray[np.float64]
    embeddings: npt.NDArray[np.float64]
    fold: npt.NDArray[np.int64]
    fits: list[FitResult]


ProgressFn = Callable[[str, float, str], None]


@contextmanager
def _torch_threads(n: int) -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(max(1, int(n)))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _check_training_data(x: npt.NDArray[np.float32], y: npt.ArrayLike) -> npt.NDArray[np.int64]:
    yy = np.asarray(y)
    if x.ndim != 5 or x.shape[0] != yy.shape[0] or yy.ndim != 1:
        raise InputError(
            "training images and outcomes do not match",
            expected="images (N, C, D, H, W) and N outcomes",
            found=f"images {x.shape}, outcomes {yy.shape}",
            fix="pass one preprocessed image per recipient with a known outcome",
            field="y",
        )
    values = set(np.unique(yy).tolist())
    if not values <= {0, 1}:
        raise InputError(
            "outcomes must be 0 or 1",
            expected="0/1",
            found=f"{sorted(values)}",
            fix="drop pending and competing-event recipients",
            field="y",
        )
    counts = np.bincount(yy.astype(np.int64), minlength=2)
    if counts.min() < 4:
        raise InputError(
            "too few events or non-events to train the CNN",
            expected="at least 4 of each",
            found=f"{int(counts[1])} events, {int(counts[0])} non-events",
            fix="train on a larger development cohort",
            field="y",
        )
    return yy.astype(np.int64)


def _rotation(angles: torch.Tensor) -> torch.Tensor:
    """Rotation matrices (B, 3, 3) from per-sample angles (B, 3) in radians about the three axes."""
    c, s = torch.cos(angles), torch.sin(angles)
    one, zero = torch.ones_like(c[:, 0]), torch.zeros_like(c[:, 0])
    rx = torch.stack([one, zero, zero, zero, c[:, 0], -s[:, 0], zero, s[:, 0], c[:, 0]], 1).view(-1, 3, 3)
    ry = torch.stack([c[:, 1], zero, s[:, 1], zero, one, zero, -s[:, 1], zero, c[:, 1]], 1).view(-1, 3, 3)
    rz = torch.stack([c[:, 2], -s[:, 2], zero, s[:, 2], c[:, 2], zero, zero, zero, one], 1).view(-1, 3, 3)
    return rz @ ry @ rx


def augment_batch(x: torch.Tensor, cfg: AugmentConfig, gen: torch.Generator) -> torch.Tensor:
    """Return an augmented copy of a batch ``(B, 3, g, g, g)`` (channel 0 is CT, 1..2 label fractions)."""
    b = x.shape[0]
    out = x.clone()
    for axis in cfg.flip_axes:
        flip = torch.rand(b, generator=gen) < 0.5
        if bool(flip.any()):
            out[flip] = torch.flip(out[flip], dims=[2 + axis])
    if cfg.rotate_deg > 0 or cfg.scale > 0:
        angles = (torch.rand(b, 3, generator=gen) * 2 - 1) * math.radians(cfg.rotate_deg)
        zoom = 1.0 + (torch.rand(b, generator=gen) * 2 - 1) * cfg.scale
        theta = torch.zeros(b, 3, 4)
        theta[:, :, :3] = _rotation(angles) / zoom.view(-1, 1, 1)
        grid = F.affine_grid(theta, list(out.shape), align_corners=False)
        out = F.grid_sample(out, grid, mode="bilinear", padding_mode="border", align_corners=False)
    if cfg.hu_shift > 0:
        shift = (torch.rand(b, generator=gen) * 2 - 1) * cfg.hu_shift
        out[:, 0] += shift.view(-1, 1, 1, 1)
    if cfg.noise_sd > 0:
        out[:, 0] += torch.randn(out[:, 0].shape, generator=gen) * cfg.noise_sd
    return out


def predict(
    model: SpleenCnn, x: npt.NDArray[np.float32], batch_size: int = 16
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Evaluate a network: return logits ``(N,)`` and embeddings ``(N, E)`` as float64 NumPy arrays."""
    model.eval()
    logits: list[np.ndarray] = []
    embs: list[np.ndarray] = []
    with torch.no_grad():
        for start in range(0, x.shape[0], batch_size):
            xb = torch.from_numpy(np.ascontiguousarray(x[start : start + batch_size]))
            logit, emb = model(xb)
            logits.append(logit.numpy()[:, 0].astype(np.float64))
            embs.append(emb.numpy().astype(np.float64))
    return np.concatenate(logits), np.concatenate(embs)


def _with_memory_format(model: SpleenCnn, fmt: torch.memory_format) -> SpleenCnn:
    """``model.to(memory_format=fmt)`` (the torch stubs omit this keyword)."""
    return cast(SpleenCnn, cast(Any, model).to(memory_format=fmt))


def _bce(logit: torch.Tensor, target: torch.Tensor, pos_weight: torch.Tensor) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(logit, target, pos_weight=pos_weight)


def fit_cnn(
    x: npt.NDArray[np.float32],
    y: npt.ArrayLike,
    config: TrainConfig | None = None,
    cnn_config: CnnConfig | None = None,
    *,
    seed: int | None = None,
    progress: bool = True,
    desc: str = "train CNN",
    epochs: int | None = None,
) -> FitResult:
    """Train one network with an inner stratified validation split and early stopping.

    With ``epochs`` the network instead trains on *all* recipients for exactly that many epochs (same learning
    rate schedule) and keeps its last weights: the way to refit the final network for the epoch count that
    early stopping chose inside the cross-validation folds, without holding out a small, noisy split.

    Parameters
    ----------
    x : ndarray, float32, shape (N, C, g, g, g)
        Preprocessed images.
    y : array_like of {0, 1}
        Outcomes.
    config, cnn_config : optional
        Training and architecture settings.
    seed : int, optional
        Overrides ``config.seed`` (the folds use ``config.seed + fold``).
    progress : bool
        Show a tqdm bar over epochs with training loss, validation loss and validation AUC.
    desc : str
        Label of the progress bar.
    epochs : int, optional
        Train on everything for this many epochs (no inner split, no early stopping).

    Returns
    -------
    FitResult
        The network with the weights of its best validation epoch (or of its last epoch with ``epochs``), in
        evaluation mode.
    """
    config = config or TrainConfig()
    cnn_config = cnn_config or CnnConfig(in_channels=int(x.shape[1]))
    yy = _check_training_data(x, y)
    seed = config.seed if seed is None else seed
    t0 = time.perf_counter()
    idx = np.arange(yy.size)
    if epochs is None:
        tr_idx, va_idx = train_test_split(idx, test_size=config.val_fraction, stratify=yy, random_state=seed)
        tr_idx = np.sort(tr_idx)
        va_idx = np.sort(va_idx)
        n_epochs = config.max_epochs
    else:
        if not 1 <= int(epochs) <= 10_000:
            raise InputError(
                "the number of epochs must be a positive integer",
                expected="1..10000",
                found=repr(epochs),
                fix="pass the epoch count chosen by early stopping",
                field="epochs",
            )
        tr_idx, va_idx = idx, idx[:0]
        n_epochs = int(epochs)
    n_pos = int(yy[tr_idx].sum())
    pos_weight_value = float((tr_idx.size - n_pos) / max(n_pos, 1))
    with _torch_threads(config.threads):
        torch.manual_seed(seed)
        gen = torch.Generator().manual_seed(seed)
        # channels-last 3-D memory layout: about twice as fast for 3-D convolutions on CPU (oneDNN)
        model = _with_memory_format(SpleenCnn(cnn_config), torch.channels_last_3d)
        opt = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=config.max_epochs)
        pos_weight = torch.tensor([pos_weight_value])
        x_tr = torch.from_numpy(np.ascontiguousarray(x[tr_idx]))
        y_tr = torch.from_numpy(yy[tr_idx].astype(np.float32)).view(-1, 1)
        x_va = np.ascontiguousarray(x[va_idx])
        y_va = yy[va_idx]
        best_loss = math.inf
        best_state: dict[str, Any] | None = copy.deepcopy(model.state_dict())
        best_epoch = 0
        best_auc: float | None = None
        history: list[dict[str, float]] = []
        bar = tqdm(range(1, n_epochs + 1), desc=desc, disable=not progress, leave=False, unit="epoch")
        epoch = 0
        for epoch in bar:
            model.train()
            order = torch.randperm(x_tr.shape[0], generator=gen)
            total = 0.0
            for start in range(0, order.numel(), config.batch_size):
                sel = order[start : start + config.batch_size]
                if sel.numel() < 2:  # batch norm needs two samples
                    continue
                xb = augment_batch(x_tr[sel], config.augment, gen).contiguous(
                    memory_format=torch.channels_last_3d
                )
                logit, _ = model(xb)
                loss = _bce(logit, y_tr[sel], pos_weight)
                opt.zero_grad()
                loss.backward()  # type: ignore[no-untyped-call]
                opt.step()
                total += float(loss.detach()) * sel.numel()
            sched.step()
            train_loss = total / max(1, x_tr.shape[0])
            if va_idx.size == 0:  # fixed-epoch refit on everything
                history.append({"epoch": epoch, "train_loss": train_loss})
                bar.set_postfix(loss=f"{train_loss:.3f}")
                best_epoch, best_state = epoch, None
                continue
            val_logits, _ = predict(model, x_va)
            with torch.no_grad():
                val_loss = float(
                    _bce(
                        torch.from_numpy(val_logits).float().view(-1, 1),
                        torch.from_numpy(y_va.astype(np.float32)).view(-1, 1),
                        pos_weight,
                    )
                )
            val_auc = roc_auc(y_va, val_logits) if 0 < y_va.sum() < y_va.size else float("nan")
            history.append(
                {"epoch": epoch, "train_loss": train_loss, "val_loss": val_loss, "val_auc": val_auc}
            )
            bar.set_postfix(loss=f"{train_loss:.3f}", val_loss=f"{val_loss:.3f}", val_auc=f"{val_auc:.3f}")
            # checkpoints count only after a short warm-up: a 40-recipient validation split can make the
            # barely trained first epoch look best
            if epoch >= max(1, config.min_epochs // 2) and val_loss < best_loss - 1e-4:
                best_loss = val_loss
                best_state = copy.deepcopy(model.state_dict())
                best_epoch = epoch
                best_auc = val_auc
            if epoch >= config.min_epochs and epoch - best_epoch >= config.patience:
                break
        bar.close()
        if best_state is not None:
            model.load_state_dict(best_state)
        model = _with_memory_format(model, torch.contiguous_format)
        model.eval()
    return FitResult(
        model=model,
        best_epoch=best_epoch,
        epochs_run=epoch,
        val_loss=best_loss if math.isfinite(best_loss) else None,
        val_auc=best_auc,
        seconds=time.perf_counter() - t0,
        history=history,
        pos_weight=pos_weight_value,
    )


def out_of_fold_scores(
    x: npt.NDArray[np.float32],
    y: npt.ArrayLike,
    config: TrainConfig | None = None,
    cnn_config: CnnConfig | None = None,
    *,
    progress: bool = True,
    on_fold: ProgressFn | None = None,
) -> OofResult:
    """Stratified k-fold out-of-fold logits and embeddings.

    Each fold trains :func:`fit_cnn` on the other folds (its own inner validation split is drawn from those
    folds only) and scores the held-out fold, so no recipient is ever scored by a network that saw it.

    Parameters
    ----------
    x, y, config, cnn_config
        As for :func:`fit_cnn`.
    progress : bool
        Show progress bars.
    on_fold : callable, optional
        ``on_fold(stage, fraction, message)`` after each fold.

    Returns
    -------
    OofResult
    """
    config = config or TrainConfig()
    yy = _check_training_data(x, y)
    skf = StratifiedKFold(n_splits=config.folds, shuffle=True, random_state=config.seed)
    logits = np.full(yy.size, np.nan)
    emb_dim = (cnn_config or CnnConfig()).embedding_dim
    embeddings = np.full((yy.size, emb_dim), np.nan)
    fold = np.full(yy.size, -1, dtype=np.int64)
    fits: list[FitResult] = []
    for k, (tr, te) in enumerate(skf.split(np.zeros(yy.size), yy)):
        fit = fit_cnn(
            x[tr],
            yy[tr],
            config,
            cnn_config,
            seed=config.seed + 1 + k,
            progress=progress,
            desc=f"fold {k + 1}/{config.folds}",
        )
        with _torch_threads(config.threads):
            lg, em = predict(fit.model, x[te])
        logits[te] = lg
        embeddings[te] = em
        fold[te] = k
        fits.append(fit)
        if on_fold is not None:
            on_fold("out-of-fold", (k + 1) / config.folds, f"fold {k + 1}: best epoch {fit.best_epoch}")
    return OofResult(logits=logits, embeddings=embeddings, fold=fold, fits=fits)

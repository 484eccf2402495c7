"""``hsp train-cnn``: train the spleen CNN on a development cohort and write its ONNX artefact.

Steps (every one seeded):

1. outcomes: derived from ``followup.csv`` with the clinical outcome definition (pending and competing-event
   recipients are left out), or read from ``--labels``; only rows of the development cohort
   (``clinical.csv`` column ``cohort``) are used, never the prospective validation recipients;
2. preprocessing of every recipient with an outcome (:func:`hsp_desktop.deep.cohort.preprocess_cohort`);
3. out-of-fold deep scores by stratified k-fold (:func:`models.cnn.train.out_of_fold_scores`), written to
   ``oof_scores.csv`` for stacking: each recipient's score comes from a network that never trained on it;
4. the final network on all recipients, trained for the median of the folds' early-stopping epochs;
5. ONNX export, torch-vs-ONNX check on a batch, manifest with hashes, versions, cohort summary and metrics.

torch is imported only inside :func:`train_cnn` (the optional ``train`` extra).
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from hsp_desktop.deep.cohort import cohort_ids, cohort_outcomes, preprocess_cohort, read_labels_csv
from hsp_desktop.errors import InputError, ModelArtefactError, SettingsError
from models.cnn.manifest import sha256_file
from models.cnn.preprocess import PreprocessSpec

README_TEMPLATE = """# {name}: spleen CNN (deep score and deep features) - synthetic demonstration model

Trained by `hsp train-cnn` on the synthetic development cohort `{cohort_name}` ({n} recipients with a 6-month
outcome, {events} events). **Synthetic data only: not for clinical use.**

Reproduce from the project root (torch {threads} thread(s); this run took {minutes:.0f} min wall-clock on a shared
2-core machine; training is seeded, and CPU training with the same seed and thread count is deterministic in the
project's tests):

```
{command}
```

Files:

- `model.onnx` - the network (opset {opset}, dynamic batch); input `image` float32 `[batch, 3, {g}, {g}, {g}]`
  (channels ct, spleen, liver), outputs `logit` `[batch, 1]` (deep score) and `embedding` `[batch, {e}]`
  (deep features).
- `oof_scores.csv` - out-of-fold deep score per development recipient (`study_id, fold, deep_score`): each
  score comes from a network that never trained on that recipient; use these, not scores of the shipped
  network, when stacking on the same cohort.
- `training_history.json` - per-epoch loss and AUC of every fit.
- `manifest.json` - SHA-256 of every file, versions, input/output specification, preprocessing
  (`{preprocess}`), training settings, training-cohort summary and validation metrics.

Validation (out-of-fold, {folds}-fold): AUC {auc:.3f} (DeLong 95% CI {lo:.3f}-{hi:.3f}).
"""


def _summarise_cohort(
    cohort: Path, ids: list[str], y: np.ndarray, outcome_summary: Mapping[str, Any]
) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "cohort_folder": cohort.name,
        "n": int(y.size),
        "events": int(y.sum()),
        "prevalence": float(y.mean()),
        "first_study_id": ids[0],
        "last_study_id": ids[-1],
        "outcomes": dict(outcome_summary),
    }
    manifest = cohort / "manifest.json"
    if manifest.is_file():
        summary["cohort_manifest_sha256"] = sha256_file(manifest)
        try:
            body = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            body = {}
        if isinstance(body, dict):
            for key in ("generator", "generator_version", "version", "seed", "arguments"):
                if key in body:
                    summary[f"cohort_{key}"] = body[key]
    return summary


def train_cnn(
    cohort: Path | str,
    out: Path | str,
    *,
    labels: Path | str | None = None,
    spec: PreprocessSpec | None = None,
    folds: int = 5,
    max_epochs: int | None = None,
    seed: int | None = None,
    threads: int = 2,
    width: int | None = None,
    oof: bool = True,
    overwrite: bool = False,
    progress: bool = True,
    command: str | None = None,
) -> Path:
    """Train the CNN on a cohort folder and write the artefact folder ``out``; return its manifest path.

    Parameters
    ----------
    cohort : path
        Development cohort folder (CONTRACTS section C).
    out : path
        Artefact folder to create, e.g. ``models/artifacts/cnn-demo-1``.
    labels : path, optional
        CSV ``study_id,y`` with outcomes; default: derived from ``followup.csv``.
    spec : PreprocessSpec, optional
        Preprocessing (default 48^3 at 4 mm).
    folds : int
        Folds of the out-of-fold scores (>= 2).
    max_epochs, seed, threads, width : optional
        Overrides of the training/architecture defaults.
    oof : bool
        Compute the out-of-fold scores (needed for stacking; skip only for quick experiments).
    overwrite : bool
        Replace an existing artefact folder.
    progress : bool
        Show progress bars.
    command : str, optional
        The command line to record in the README.

    Returns
    -------
    Path
        The manifest path.
    """
    from models.cnn.export import OPSET, write_artifact
    from models.cnn.metrics import delong_auc, spearman
    from models.cnn.model import CnnConfig, count_parameters
    from models.cnn.train import TrainConfig, fit_cnn, out_of_fold_scores, predict

    cohort = Path(cohort)
    out = Path(out)
    spec = spec or PreprocessSpec()
    if out.exists() and not overwrite:
        raise ModelArtefactError(
            "the artefact folder already exists",
            expected="a new folder",
            found=str(out),
            fix="choose another --out, or pass --overwrite to replace it",
            field="out",
        )
    if folds < 2:
        raise SettingsError(
            "--folds must be at least 2", expected=">= 2", found=str(folds), fix="use 5", field="folds"
        )
    base = TrainConfig()
    config = TrainConfig(
        seed=base.seed if seed is None else int(seed),
        max_epochs=base.max_epochs if max_epochs is None else int(max_epochs),
        min_epochs=min(base.min_epochs, base.max_epochs if max_epochs is None else int(max_epochs)),
        folds=int(folds),
        threads=int(threads),
    )
    cnn_config = CnnConfig() if width is None else CnnConfig(width=int(width))
    t_start, c_start = time.perf_counter(), time.process_time()

    if labels is not None:
        outcome_map = read_labels_csv(labels)
        outcome_summary: dict[str, Any] = {"source": f"labels file {Path(labels).name}"}
    else:
        outcome_map, outcome_summary = cohort_outcomes(cohort)
    everyone = cohort_ids(cohort)
    unknown = sorted(set(outcome_map) - set(everyone))
    if unknown:
        raise InputError(
            "the outcomes name recipients that are not in clinical.csv",
            expected="study ids of this cohort",
            found=", ".join(unknown[:10]),
            fix="check that --labels belongs to --cohort",
            field="study_id",
        )
    # only the development cohort trains; prospective (validation) recipients are never seen
    ids = [sid for sid in cohort_ids(cohort, "development") if sid in outcome_map]
    if not ids:
        raise InputError(
            "no recipient of the cohort has a known outcome",
            expected="recipients with outcome 0 or 1",
            found="none",
            fix="use a cohort with completed 6-month follow-up, or pass --labels",
            field="y",
        )
    y = np.array([outcome_map[sid] for sid in ids], dtype=np.int64)
    ids, x = preprocess_cohort(cohort, spec, ids, progress=progress)

    history: dict[str, Any] = {}
    validation: dict[str, Any] = {}
    extra: dict[str, bytes] = {}
    t0 = time.perf_counter()
    if oof:
        result = out_of_fold_scores(x, y, config, cnn_config, progress=progress)
        auc = delong_auc(y, result.logits)
        volumes = _clinical_column(cohort, ids, "spleen_volume_ml")
        validation["out_of_fold"] = {
            **auc.as_dict(),
            "folds": config.folds,
            "score": "logit",
            "best_epochs": [f.best_epoch for f in result.fits],
        }
        finite = np.isfinite(volumes)
        if finite.sum() >= 3:
            validation["out_of_fold"]["spearman_spleen_volume"] = spearman(
                result.logits[finite], volumes[finite]
            )
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["study_id", "fold", "deep_score"])
        for sid, k, s in zip(ids, result.fold, result.logits, strict=True):
            writer.writerow([sid, int(k), f"{float(s):.6f}"])
        extra["oof_scores.csv"] = buf.getvalue().encode("utf-8")
        history["folds"] = [f.history for f in result.fits]
    t_oof = time.perf_counter() - t0
    t0 = time.perf_counter()
    if oof:
        # refit on every recipient for the epoch count early stopping chose inside the folds
        final_epochs = max(1, round(float(np.median([f.best_epoch for f in result.fits]))))
        final = fit_cnn(x, y, config, cnn_config, progress=progress, desc="final CNN", epochs=final_epochs)
        validation["final_fit"] = {
            "epochs": final_epochs,
            "rule": "median best epoch of the out-of-fold fits; refit on all recipients, no held-out split",
        }
    else:
        final = fit_cnn(x, y, config, cnn_config, progress=progress, desc="final CNN")
        validation["final_fit"] = {
            "rule": "early stopping on an inner validation split (optimistic; no out-of-fold estimate)",
            "best_epoch": final.best_epoch,
            "val_loss": final.val_loss,
            "val_auc": _finite(final.val_auc),
        }
    t_final = time.perf_counter() - t0
    history["final"] = final.history
    final_logits, _ = predict(final.model, x)
    validation["apparent_auc"] = delong_auc(y, final_logits).auc  # on its own training data: optimistic
    extra["training_history.json"] = (json.dumps(_finite(history), indent=1, allow_nan=False) + "\n").encode()
    minutes = (time.perf_counter() - t_start) / 60.0
    oof_auc = validation.get("out_of_fold", {})
    extra["README.md"] = README_TEMPLATE.format(
        name=out.name,
        cohort_name=cohort.name,
        n=int(y.size),
        events=int(y.sum()),
        minutes=max(minutes, 1.0),
        threads=config.threads,
        command=command or f"hsp train-cnn --cohort {cohort} --out {out}",
        opset=OPSET,
        g=spec.grid,
        e=cnn_config.embedding_dim,
        preprocess=f"{spec.as_dict()['name']} {spec.as_dict()['version']}",
        folds=config.folds,
        auc=float(oof_auc.get("auc", float("nan"))),
        lo=float(oof_auc.get("ci_low", float("nan"))),
        hi=float(oof_auc.get("ci_high", float("nan"))),
    ).encode("utf-8")
    training = {
        **config.as_dict(),
        "architecture": cnn_config.as_dict(),
        "parameters": count_parameters(final.model),
        "pos_weight": final.pos_weight,
        "final_epochs_run": final.epochs_run,
        "final_best_epoch": final.best_epoch,
        "seconds": {
            "out_of_fold": t_oof,
            "final_fit": t_final,
            "total": time.perf_counter() - t_start,
            "cpu_total": time.process_time() - c_start,
        },
        "torch_threads": config.threads,
    }
    cohort_summary = _summarise_cohort(cohort, ids, y, outcome_summary)
    return write_artifact(
        out,
        final.model,
        spec,
        training=training,
        cohort=cohort_summary,
        validation=validation,
        extra_files=extra,
        check_batch=x[: min(16, len(x))],
        overwrite=overwrite,
    )


def _finite(value: Any) -> Any:
    """Replace non-finite floats (e.g. an AUC on a validation split without events) by None, recursively."""
    if isinstance(value, float):
        return value if np.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _clinical_column(cohort: Path, ids: list[str], column: str) -> np.ndarray:
    """A numeric clinical.csv column for ``ids`` (NaN where empty)."""
    with (cohort / "clinical.csv").open(newline="", encoding="utf-8") as fh:
        rows = {r["study_id"]: r for r in csv.DictReader(fh)}
    values = []
    for sid in ids:
        raw = (rows.get(sid, {}).get(column) or "").strip()
        try:
            values.append(float(raw))
        except ValueError:
            values.append(float("nan"))
    return np.array(values, dtype=np.float64)

"""CNN benchmark: training time on N recipients, out-of-fold signal, torch/ONNX agreement, per-recipient latency.

Usage (2 CPU cores, the project's reference budget)::

    .venv/bin/python benchmarks/cnn_inference.py --n 200 --threads 2 --json results.json
    .venv/bin/python benchmarks/cnn_inference.py --cohort DIR       # a folder written by `hsp synth`
    # a trained artefact: its OOF scores against the cohort's ground truth, and its latency
    .venv/bin/python benchmarks/cnn_inference.py --artifact models/artifacts/cnn-demo-1 --cohort DIR

Without ``--cohort`` the recipients are simulated in memory (``simulate_preop`` + ``render_case``, the same
anatomy the cohort writer renders), so the benchmark needs no disk cohort.  The benchmark may read the hidden
ground truth (``_y``, ``_texture``); the product never does.

Stages and what is timed:

1. render + preprocess every recipient (``models.cnn.preprocess.preprocess_case``);
2. out-of-fold training (k folds) and the final network, with ``torch.set_num_threads(threads)``;
   reports the OOF AUC with DeLong 95% CI and Spearman correlations of the OOF score with spleen volume,
   platelets and the latent texture factor (also partial, given spleen volume);
3. ONNX export and the largest torch-vs-ONNX difference on a batch;
4. latency per recipient (preprocessing + ONNX inference, batch of one) on full-resolution CTs
   (512 x 512 x 96 at 0.75 x 0.75 x 2.5 mm) and on the default grid, for every provider available
   (CPU always; CUDA when onnxruntime-gpu sees a GPU), ``intra_op_num_threads = threads``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

if TYPE_CHECKING:
    from hsp_desktop.domain import CtVolume, LabelMap


def simulate(
    n: int, seed: int, *, full_res: bool = False, sites: int = 1
) -> Iterator[tuple[str, CtVolume, LabelMap, dict[str, Any]]]:
    """Yield (study_id, CtVolume, LabelMap, row) for ``n`` simulated recipients."""
    from hsp_desktop.synthetic import simulate_preop
    from hsp_desktop.synthetic.images import CaseAnatomy, render_case

    table = simulate_preop(n, seed=seed, sites=sites)
    for i, row in enumerate(table.to_dict("records")):
        anatomy = CaseAnatomy(
            spleen_volume_ml=float(row["spleen_volume_ml"]),
            spleen_length_cm=float(row["spleen_length_cm"]),
            liver_volume_ml=float(row["liver_volume_ml"]),
            ph=float(row["_ph"]),
            hepatic=float(row["_hepatic"]),
            texture=float(row["_texture"]),
            scanner_offset_hu=float(row["_site_offset_hu"]),
            scanner_noise_hu=float(row["_site_noise_hu"]),
            seed=seed * 100_003 + i,
            full_res=full_res,
        )
        ct, mask = render_case(anatomy)
        yield str(row["study_id"]), ct, mask, row


def partial_spearman(a: np.ndarray, b: np.ndarray, given: np.ndarray) -> float:
    """Spearman correlation of a and b after removing the rank-linear effect of ``given``."""
    from scipy import stats

    ra, rb, rg = (stats.rankdata(v) for v in (a, b, given))
    design = np.column_stack([np.ones_like(rg), rg])
    res_a = ra - design @ np.linalg.lstsq(design, ra, rcond=None)[0]
    res_b = rb - design @ np.linalg.lstsq(design, rb, rcond=None)[0]
    return float(np.corrcoef(res_a, res_b)[0, 1])


def latency(
    model_dir: Path, cases: list[tuple[CtVolume, LabelMap]], provider: str, threads: int, repeats: int
) -> dict[str, float | int | str]:
    """Median and 90th-percentile ms per recipient for preprocessing + inference (batch of one).

    Wall-clock and process CPU time are both reported: on a shared machine the wall-clock figure includes
    waiting for other processes, the CPU figure does not.
    """
    from models.deep import DeepModel

    model = DeepModel(model_dir, provider=provider, intra_op_threads=threads)
    ct, mask = cases[0]
    model.predict_case(ct.array, mask.array, ct.spacing, direction=ct.direction)  # session + warm-up
    pre, total, cpu = [], [], []
    for _ in range(repeats):
        for ct, mask in cases:
            c0 = time.process_time()
            t0 = time.perf_counter()
            x = model.preprocess(ct.array, mask.array, ct.spacing, direction=ct.direction)
            t1 = time.perf_counter()
            model.run(x[None])
            t2 = time.perf_counter()
            cpu.append((time.process_time() - c0) * 1000)
            pre.append((t1 - t0) * 1000)
            total.append((t2 - t0) * 1000)
    return {
        "provider_used": str(model.provider),
        "median_ms": float(np.median(total)),
        "p90_ms": float(np.percentile(total, 90)),
        "preprocess_median_ms": float(np.median(pre)),
        "inference_median_ms": float(np.median(np.array(total) - np.array(pre))),
        "cpu_median_ms": float(np.median(cpu)),
        "load_avg_1min": os.getloadavg()[0],
        "cases": len(cases) * repeats,
    }


def oof_metrics(
    study_ids: Sequence[str],
    scores: npt.NDArray[np.float64],
    y: npt.ArrayLike,
    texture: npt.NDArray[np.float64],
    volume: npt.NDArray[np.float64],
    platelets: npt.ArrayLike,
) -> dict[str, float | int | str]:
    """AUC (DeLong CI) and Spearman correlations of out-of-fold scores with the generator's factors."""
    from scipy import stats

    from models.cnn.metrics import delong_auc

    auc = delong_auc(y, scores)
    return {
        **auc.as_dict(),
        "spearman_spleen_volume": float(stats.spearmanr(scores, volume).statistic),
        "spearman_texture": float(stats.spearmanr(scores, texture).statistic),
        "spearman_platelets": float(stats.spearmanr(scores, platelets).statistic),
        "partial_spearman_texture_given_volume": partial_spearman(scores, texture, volume),
        "auc_spleen_volume_alone": delong_auc(y, volume).auc,
    }


def evaluate_artifact(args: argparse.Namespace) -> dict[str, object]:
    """OOF metrics of a shipped artefact against its cohort's ground truth, and latency of its ONNX model."""
    import pandas as pd

    from models.deep import CUDA, choose_providers

    manifest = json.loads((args.artifact / "manifest.json").read_text())
    results: dict[str, object] = {
        "artifact": str(args.artifact),
        "training": manifest["training"].get("seconds"),
        "training_threads": manifest["training"].get("torch_threads"),
        "training_cohort": {k: manifest["training_cohort"][k] for k in ("n", "events", "prevalence")},
        "torch_onnx_max_abs_diff": manifest["validation"].get("torch_onnx_max_abs_diff"),
        "manifest_out_of_fold": manifest["validation"].get("out_of_fold"),
    }
    if args.cohort:
        oof = pd.read_csv(args.artifact / "oof_scores.csv")
        truth = pd.read_csv(args.cohort / "ground_truth.csv").set_index("study_id")
        clinical = pd.read_csv(args.cohort / "clinical.csv").set_index("study_id")
        ids = oof["study_id"].tolist()
        results["oof_vs_ground_truth"] = oof_metrics(
            ids,
            oof["deep_score"].to_numpy(float),
            truth.loc[ids, "y"].to_numpy(int),
            truth.loc[ids, "texture"].to_numpy(float),
            clinical.loc[ids, "spleen_volume_ml"].to_numpy(float),
            clinical.loc[ids, "platelets"].to_numpy(float),
        )
        print(json.dumps(results["oof_vs_ground_truth"], indent=2), flush=True)
    providers = ["cpu"] + (["cuda"] if CUDA in choose_providers("auto") else [])
    full = [(ct, mask) for _, ct, mask, _ in simulate(args.latency_cases, args.seed + 7, full_res=True)]
    low = [(ct, mask) for _, ct, mask, _ in simulate(args.latency_cases, args.seed + 7)]
    latencies: dict[str, object] = {}
    for provider in providers:
        for label, cases in (("full_res_512x512x96", full), ("default_128x128x48", low)):
            key = f"{provider}/{label}"
            latencies[key] = latency(args.artifact, cases, provider, args.threads, repeats=3)
            print(f"latency {key}: {json.dumps(latencies[key])}", flush=True)
    if "cuda" not in providers:
        latencies["cuda"] = "not measured: no CUDA device visible to onnxruntime on this machine"
    results["latency"] = latencies
    results["load_avg_1min_at_end"] = os.getloadavg()[0]
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=200, help="recipients to simulate (ignored with --cohort)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cohort", type=Path, help="a cohort folder written by `hsp synth` instead")
    parser.add_argument("--threads", type=int, default=2, help="torch and ONNX Runtime threads (default 2)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--max-epochs", type=int, default=None)
    parser.add_argument("--latency-cases", type=int, default=5)
    parser.add_argument("--skip-training", action="store_true", help="latency only, on an untrained network")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument(
        "--artifact", type=Path, help="evaluate this trained artefact (OOF vs --cohort ground truth, latency)"
    )
    args = parser.parse_args(argv)
    if args.artifact:
        evaluated = evaluate_artifact(args)
        if args.json:
            args.json.write_text(json.dumps(evaluated, indent=2) + "\n")
        return 0

    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as `hsp train-cnn`: no spinning on a shared CPU
    import torch

    from models.cnn.export import write_artifact
    from models.cnn.model import CnnConfig, SpleenCnn, count_parameters
    from models.cnn.preprocess import PreprocessSpec, preprocess_case
    from models.cnn.train import TrainConfig, fit_cnn, out_of_fold_scores
    from models.deep import CUDA, choose_providers

    torch.set_num_threads(args.threads)
    spec = PreprocessSpec()
    cnn_config = CnnConfig()
    config = TrainConfig(threads=args.threads, folds=args.folds)
    if args.max_epochs:
        config = TrainConfig(threads=args.threads, folds=args.folds, max_epochs=args.max_epochs)
    results: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(),
            "cpus_visible": os.cpu_count(),
            "threads": args.threads,
            "torch": torch.__version__,
            "load_avg_at_start": os.getloadavg()[0],
        },
        "preprocessing": spec.as_dict(),
        "parameters": count_parameters(SpleenCnn(cnn_config)),
    }
    print(f"parameters: {results['parameters']}", flush=True)

    # 1. images -> preprocessed arrays
    t0 = time.perf_counter()
    ids, xs, rows = [], [], []
    if args.cohort:
        import pandas as pd

        from hsp_desktop.deep.cohort import iter_cohort_cases

        truth = pd.read_csv(args.cohort / "ground_truth.csv").set_index("study_id")
        clinical = pd.read_csv(args.cohort / "clinical.csv").set_index("study_id")
        for sid, ct, mask in iter_cohort_cases(args.cohort):
            ids.append(sid)
            xs.append(preprocess_case(ct.array, mask.array, ct.spacing, spec, direction=ct.direction))
            rows.append(
                {
                    "y": int(truth.loc[sid, "y"]),
                    "texture": float(truth.loc[sid, "texture"]),
                    "spleen_volume_ml": float(clinical.loc[sid, "spleen_volume_ml"]),
                    "platelets": float(clinical.loc[sid, "platelets"]),
                }
            )
    else:
        for sid, ct, mask, row in simulate(args.n, args.seed):
            ids.append(sid)
            xs.append(preprocess_case(ct.array, mask.array, ct.spacing, spec, direction=ct.direction))
            rows.append(
                {
                    "y": int(row["_y"]),
                    "texture": float(row["_texture"]),
                    "spleen_volume_ml": float(row["spleen_volume_ml"]),
                    "platelets": float(row["platelets"]),
                }
            )
    x = np.stack(xs)
    y = np.array([r["y"] for r in rows])
    results["images_seconds"] = time.perf_counter() - t0
    results["n"] = int(y.size)
    results["events"] = int(y.sum())
    print(
        f"{y.size} recipients ({int(y.sum())} events) rendered+preprocessed in {results['images_seconds']:.1f} s"
    )

    with tempfile.TemporaryDirectory() as tmp:
        model_dir = Path(tmp) / "cnn-bench"
        if not args.skip_training:
            t0, c0 = time.perf_counter(), time.process_time()
            oof = out_of_fold_scores(x, y, config, cnn_config, progress=True)
            t_oof, c_oof = time.perf_counter() - t0, time.process_time() - c0
            t0, c0 = time.perf_counter(), time.process_time()
            final_epochs = max(1, round(float(np.median([f.best_epoch for f in oof.fits]))))
            final = fit_cnn(x, y, config, cnn_config, progress=True, desc="final CNN", epochs=final_epochs)
            t_final, c_final = time.perf_counter() - t0, time.process_time() - c0
            sv = np.array([r["spleen_volume_ml"] for r in rows])
            tex = np.array([r["texture"] for r in rows])
            plt = np.array([r["platelets"] for r in rows])
            results["training"] = {
                "oof_seconds": t_oof,
                "final_fit_seconds": t_final,
                "total_seconds": t_oof + t_final,
                "oof_cpu_seconds": c_oof,
                "final_fit_cpu_seconds": c_final,
                "load_avg_1min_after": os.getloadavg()[0],
                "folds": config.folds,
                "epochs_per_fold": [f.epochs_run for f in oof.fits],
                "best_epoch_per_fold": [f.best_epoch for f in oof.fits],
                "final_epochs": final.epochs_run,
                "final_best_epoch": final.best_epoch,
                "seconds_per_fit": [f.seconds for f in oof.fits] + [final.seconds],
            }
            results["oof"] = oof_metrics(ids, oof.logits, y, tex, sv, plt)
            print(json.dumps({"training": results["training"], "oof": results["oof"]}, indent=2), flush=True)
            model = final.model
            print(json.dumps({"training": results["training"], "oof": results["oof"]}, indent=2), flush=True)
        else:
            torch.manual_seed(0)
            model = SpleenCnn(cnn_config).eval()
        write_artifact(
            model_dir, model, spec, training={}, cohort={"n": int(y.size)}, validation={}, check_batch=x[:16]
        )
        manifest = json.loads((model_dir / "manifest.json").read_text())
        results["torch_onnx_max_abs_diff"] = manifest["validation"]["torch_onnx_max_abs_diff"]
        results["onnx_bytes"] = (model_dir / "model.onnx").stat().st_size
        print(f"torch vs ONNX max |diff| on 16 recipients: {results['torch_onnx_max_abs_diff']:.2e}")

        # 4. latency per recipient
        providers = ["cpu"] + (["cuda"] if CUDA in choose_providers("auto") else [])
        full = [(ct, mask) for _, ct, mask, _ in simulate(args.latency_cases, args.seed + 7, full_res=True)]
        low = [(ct, mask) for _, ct, mask, _ in simulate(args.latency_cases, args.seed + 7)]
        results["latency"] = {}
        for provider in providers:
            for label, cases in (("full_res_512x512x96", full), ("default_128x128x48", low)):
                key = f"{provider}/{label}"
                results["latency"][key] = latency(model_dir, cases, provider, args.threads, repeats=3)
                print(f"latency {key}: {json.dumps(results['latency'][key])}", flush=True)
        if "cuda" not in providers:
            results["latency"]["cuda"] = "not measured: no CUDA device visible to onnxruntime on this machine"
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

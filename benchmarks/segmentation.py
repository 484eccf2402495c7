"""Segmentation benchmark: semi-automatic (one click) and ONNX model masks against the generator's ground truth.

Usage (2 CPU cores)::

    .venv/bin/hsp synth --n 20 --prospective 0 --seed 424242 --out /tmp/heldout --quiet
    .venv/bin/python benchmarks/segmentation.py --cohort /tmp/heldout [--model models/artifacts/segnet-demo-1]
    .venv/bin/python benchmarks/segmentation.py --large        # 512 x 512 x 300 timing (one synthetic case)

The click is the spleen voxel farthest from the spleen's surface in the ground truth (a point a reader would
click "well inside the spleen"); ``--click-offset-mm`` moves it towards the surface to test robustness.  Prints
Dice, mean surface distance (MSD), 95th-percentile surface distance and volume error per case and summarised.
The benchmark reads the ground-truth masks; the product never does.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np


def _click(spleen: np.ndarray, spacing: tuple[float, float, float]) -> tuple[int, int, int]:
    from scipy import ndimage

    edt = ndimage.distance_transform_edt(spleen, sampling=(spacing[2], spacing[1], spacing[0]))
    k, j, i = np.unravel_index(int(np.argmax(edt)), spleen.shape)
    return int(i), int(j), int(k)


def _summary(rows: list[dict[str, Any]], key: str) -> str:
    values = np.asarray([r[key] for r in rows], dtype=float)
    return f"{key}: mean {values.mean():.3f}  median {np.median(values):.3f}  min {values.min():.3f}  max {values.max():.3f}"


def run_cohort(cohort: Path, model_dir: Path | None, threads: int) -> dict[str, Any]:
    from hsp_desktop.importers import read_ct, read_mask
    from hsp_desktop.segmentation import agreement, grow_region

    model = None
    if model_dir is not None:
        from hsp_desktop.segmentation.onnx_model import load_seg_model

        model = load_seg_model(model_dir)
    out: dict[str, Any] = {"semi-automatic": [], "onnx": []}
    for case in sorted((cohort / "images").iterdir()):
        ct = read_ct(case / "ct.nii.gz")
        truth = read_mask(case / "mask.nii.gz", reference=ct).array
        spleen = truth == 1
        seed = _click(spleen, ct.spacing)
        t0 = time.perf_counter()
        grown = grow_region(ct, [seed])
        seconds = time.perf_counter() - t0
        a = agreement(grown.mask, spleen, ct.spacing)
        row = {"case": case.name, "seed": seed, "seconds": seconds, **a.as_dict()}
        out["semi-automatic"].append(row)
        line = f"{case.name} semi dice {a.dice:.3f} msd {a.msd_mm:.2f} hd95 {a.hd95_mm:.1f} vol {a.volume_error:+.3f} {seconds:.2f}s"
        if model is not None:
            from hsp_desktop.segmentation.onnx_model import predict_labels

            t0 = time.perf_counter()
            labels = predict_labels(model, ct, provider="cpu", threads=threads)
            seconds = time.perf_counter() - t0
            b = agreement(labels == 1, spleen, ct.spacing)
            out["onnx"].append({"case": case.name, "seconds": seconds, **b.as_dict()})
            line += f" | onnx dice {b.dice:.3f} msd {b.msd_mm:.2f} vol {b.volume_error:+.3f} {seconds:.2f}s"
        print(line, flush=True)
    for method, rows in out.items():
        if rows:
            print(f"== {method} ({len(rows)} cases)")
            for key in ("dice", "msd_mm", "hd95_mm", "volume_error", "seconds"):
                print("  " + _summary(rows, key))
            print(f"  |volume error| <= 5%: {sum(abs(r['volume_error']) <= 0.05 for r in rows)}/{len(rows)}")
    return out


def run_large() -> dict[str, Any]:
    """One full-resolution synthetic case resampled to 300 slices (512 x 512 x 300 at 0.75 x 0.75 x 0.8 mm)."""
    from scipy import ndimage

    from hsp_desktop.domain import CtVolume
    from hsp_desktop.segmentation import agreement, grow_region
    from hsp_desktop.synthetic.images import CaseAnatomy, render_case

    ct, labels = render_case(
        CaseAnatomy(
            spleen_volume_ml=450.0, spleen_length_cm=13.0, liver_volume_ml=1800.0, seed=5, full_res=True
        )
    )
    zoom = 300 / ct.shape[0]
    array = ndimage.zoom(ct.array, (zoom, 1.0, 1.0), order=1).astype(np.float32)
    truth = ndimage.zoom(labels.array, (zoom, 1.0, 1.0), order=0) == 1
    spacing = (ct.spacing[0], ct.spacing[1], ct.spacing[2] * ct.shape[0] / array.shape[0])
    big = CtVolume(array=array, spacing=spacing, origin=ct.origin, source="synthetic 512x512x300")
    seed = _click(truth, spacing)
    t0, c0 = time.perf_counter(), time.process_time()
    grown = grow_region(big, [seed])
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    a = agreement(grown.mask, truth, spacing)
    print(
        f"512x512x300 ({array.shape}) semi-automatic {seconds:.2f} s wall, {cpu:.2f} s CPU; dice {a.dice:.3f} msd {a.msd_mm:.2f} mm "
        f"vol {a.volume_error:+.3f}; load {os.getloadavg()}"
    )
    return {"shape": list(array.shape), "seconds": seconds, "cpu_seconds": cpu, **a.as_dict()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cohort", type=Path, help="folder written by hsp synth")
    parser.add_argument("--model", type=Path, help="ONNX segmentation model folder")
    parser.add_argument("--large", action="store_true", help="time one 512 x 512 x 300 case")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    import SimpleITK as sitk

    sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(args.threads)
    print(f"load average before: {os.getloadavg()}")
    result: dict[str, Any] = {}
    if args.cohort:
        result["cohort"] = run_cohort(args.cohort, args.model, args.threads)
    if args.large:
        result["large"] = run_large()
    print(f"load average after: {os.getloadavg()}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()

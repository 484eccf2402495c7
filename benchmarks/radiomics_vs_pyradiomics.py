"""Benchmark: HSP radiomics engine vs PyRadiomics 3 on the RADIOMICS.md case, at PyRadiomics' defaults (not a test).

Case: 512 x 512 x 120 CT at 0.75 x 0.75 x 2.5 mm stored as int16 (as scanners store it) with a 250 ml
ellipsoid-ish spleen (lobulated outline, smooth texture, noise).  Unless told otherwise both engines run with
PyRadiomics' defaults, so resampling uses ``sitkBSpline``; ``sitkLinear`` configurations are reported beside.
PyRadiomics runs with ``additionalInfo`` (diagnostics) off.  Both engines are measured in the same run.

1. Warm in process, per configuration: both engines get the same in-memory image and mask; each (engine,
   configuration) runs in its own subprocess (peak memory is that child's own ``VmHWM``); the first call is the
   cold call (ours: Numba kernels loaded from the on-disk cache), then the best of ``--repeat`` warm calls.
2. Whole process, as users run it: ``hsp extract --batch cases.csv`` vs ``pyradiomics cases.csv -j 2`` over 4
   and over 40 cases (NRRD files, gzip; the 40-case list repeats 4 distinct cases, so both engines read from the
   page cache alike), the full configuration; peak memory of the largest process of each.
3. One case from the command line: ``hsp extract --image --mask`` wall time (best of 3), and its first run with
   an empty Numba cache (everything compiled).

Usage::

    .venv/bin/python benchmarks/radiomics_vs_pyradiomics.py [--repeat 3] [--configs ...] [--batches 4,40]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHAPE = (120, 512, 512)
SPACING = (0.75, 0.75, 2.5)
ALL_CLASSES: dict[str, list[str]] = {
    c: [] for c in ("shape", "firstorder", "glcm", "glrlm", "glszm", "gldm", "ngtdm")
}
FILTERS = {"Original": {}, "Wavelet": {}, "LoG": {"sigma": [1.0, 2.0, 3.0, 4.0, 5.0]}}
CONFIGS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "resampled": {"setting": {"resampledPixelSpacing": [1, 1, 1], "binWidth": 25}},
    "full": {
        "imageType": FILTERS,
        "featureClass": ALL_CLASSES,
        "setting": {"resampledPixelSpacing": [1, 1, 1], "binWidth": 25},
    },
    "resampled-linear": {
        "setting": {"resampledPixelSpacing": [1, 1, 1], "interpolator": "sitkLinear", "binWidth": 25}
    },
    "full-linear": {
        "imageType": FILTERS,
        "featureClass": ALL_CLASSES,
        "setting": {"resampledPixelSpacing": [1, 1, 1], "interpolator": "sitkLinear", "binWidth": 25},
    },
}


def make_case(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """One int16 CT (HU) and its spleen mask; ``seed`` moves the spleen a little and changes the noise."""
    from scipy.ndimage import gaussian_filter

    rng = np.random.default_rng(2026 + seed)
    z, y, x = np.ogrid[: SHAPE[0], : SHAPE[1], : SHAPE[2]]
    zc, yc, xc = 60.0 + seed % 3, 250.0 + 2 * seed, 330.0 - seed
    # semi-axes (voxels) chosen for ~250 ml at 0.75 x 0.75 x 2.5 mm, lobulated in-plane outline
    a, b, c = 20.5, 55.0, 37.5
    ang = np.arctan2(y - yc, x - xc)
    lob = 1.0 + 0.07 * np.sin(3 * ang) + 0.03 * np.cos(5 * ang)
    d = ((z - zc) / a) ** 2 + ((y - yc) / (b * lob)) ** 2 + ((x - xc) / (c * lob)) ** 2
    mask = (d < 1.0).astype(np.uint8)
    image = np.full(SHAPE, -1000.0, dtype=np.float32)
    body = ((y - 256.0) / 220.0) ** 2 + ((x - 256.0) / 240.0) ** 2 < 1.0
    image[np.broadcast_to(body, SHAPE)] = 40.0
    image += rng.normal(0, 12, SHAPE).astype(np.float32)
    zs, ys, xs = (
        slice(int(zc - a - 4), int(zc + a + 5)),
        slice(int(yc - b * 1.15), int(yc + b * 1.15)),
        slice(int(xc - c * 1.15), int(xc + c * 1.15)),
    )
    tex = gaussian_filter(rng.normal(0, 1, image[zs, ys, xs].shape), (0.8, 2.0, 2.0)) * 60.0
    block = image[zs, ys, xs]
    inside = mask[zs, ys, xs] == 1
    block[inside] = 120.0 + tex[inside]
    return np.rint(image).astype(np.int16), mask


def write_cases(folder: Path, n: int) -> list[tuple[Path, Path]]:
    """Write ``n`` cases as gzip NRRD (and the first as .npy for the in-process runs)."""
    import SimpleITK as sitk

    cases = []
    for i in range(n):
        image, mask = make_case(i)
        if i == 0:
            np.save(folder / "ct.npy", image)
            np.save(folder / "mask.npy", mask)
        paths = (folder / f"ct{i}.nrrd", folder / f"mask{i}.nrrd")
        for array, path in zip((image, mask), paths, strict=True):
            im = sitk.GetImageFromArray(array)
            im.SetSpacing(SPACING)
            sitk.WriteImage(im, str(path), useCompression=True)
        cases.append(paths)
    return cases


def run_one(engine: str, config: str, folder: Path, repeat: int) -> dict[str, object]:
    """Time one engine on one configuration (runs inside a subprocess)."""
    image = np.load(folder / "ct.npy")
    mask = np.load(folder / "mask.npy")
    params = CONFIGS[config]
    if engine == "pyradiomics":
        import logging

        import SimpleITK as sitk
        from radiomics import featureextractor

        logging.getLogger("radiomics").setLevel(logging.ERROR)
        sitk_image = sitk.GetImageFromArray(image)
        sitk_image.SetSpacing(SPACING)
        sitk_mask = sitk.GetImageFromArray(mask)
        sitk_mask.CopyInformation(sitk_image)
        p = json.loads(json.dumps(params))
        p.setdefault("setting", {})["additionalInfo"] = False
        extractor = featureextractor.RadiomicsFeatureExtractor(p)

        def call() -> int:
            return len(extractor.execute(sitk_image, sitk_mask))
    else:
        from hsp_desktop.domain import CtVolume, LabelMap
        from hsp_desktop.radiomics import extract_features

        ct = CtVolume(array=image, spacing=SPACING)  # type: ignore[arg-type]
        lm = LabelMap(array=mask, spacing=SPACING)
        qc = engine == "hsp+qc"

        def call() -> int:
            return len(extract_features(ct, lm, params, qc=qc).values)

    baseline_mb = _status_mb("VmRSS")
    t0 = time.perf_counter()
    n = call()
    cold = time.perf_counter() - t0
    times, cpus = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        call()
        times.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    peak_mb = _status_mb("VmHWM")
    return {
        "engine": engine,
        "config": config,
        "features": n,
        "cold_s": cold,
        "best_s": min(times),
        "best_cpu_s": min(cpus),
        "median_s": float(np.median(times)),
        "peak_rss_mb": peak_mb,
        "extra_mb": peak_mb - baseline_mb,
    }


def _status_mb(key: str) -> float:
    """``VmHWM`` (peak) or ``VmRSS`` (now) of this process in MB.

    Not ``ru_maxrss``: a child inherits its parent's high-water mark across fork + exec.
    """
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(f"{key}:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Wall seconds of a command, its CPU seconds (all its processes), the peak RSS (MB) of its largest process.

    Run from a small wrapper process, so the children's ``ru_maxrss`` does not start at this process's size.
    """
    wrapper = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "w = time.perf_counter() - t\n"
        "r = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(w, r.ru_utime + r.ru_stime, r.ru_maxrss / 1024.0)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", wrapper, *cmd], check=True, capture_output=True, text=True, env=env, cwd=ROOT
    )
    wall, cpu, peak = out.stdout.split()
    return float(wall), float(cpu), float(peak)


def write_params(folder: Path, config: str) -> Path:
    import yaml

    params = json.loads(json.dumps(CONFIGS[config]))
    params.setdefault("setting", {})["additionalInfo"] = False
    path = folder / f"{config}.yaml"
    path.write_text(yaml.safe_dump(params))
    return path


def write_case_list(folder: Path, cases: list[tuple[Path, Path]], n: int) -> Path:
    path = folder / f"cases{n}.csv"
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Image", "Mask"])
        for i in range(n):
            image, mask = cases[i % len(cases)]
            writer.writerow([image.name, mask.name])
    return path


def whole_process(
    folder: Path, cases: list[tuple[Path, Path]], batches: list[int], env: dict[str, str], single_case: bool
) -> None:
    bin_dir = Path(sys.executable).parent
    params = write_params(folder, "full")
    hsp_cmd = [str(bin_dir / "hsp"), "extract"]
    for n in batches:
        case_list = write_case_list(folder, cases, n)
        py_wall, py_cpu, py_mem = timed(
            [
                str(bin_dir / "pyradiomics"),
                str(case_list),
                "-o",
                str(folder / "py.csv"),
                "-f",
                "csv",
                "-p",
                str(params),
                "-j",
                "2",
            ],
            env,
        )
        us_wall, us_cpu, us_mem = timed(
            [
                *hsp_cmd,
                "--batch",
                str(case_list),
                "--params",
                str(params),
                "--out",
                str(folder / "us.csv"),
                "--jobs",
                "2",
            ],
            env,
        )
        print(
            f"whole process, {n:2d} cases, full configuration (sitkBSpline): pyradiomics -j 2 {py_wall:.1f} s, "
            f"hsp extract --batch {us_wall:.1f} s -> {py_wall / us_wall:.1f}x | CPU seconds (all processes): "
            f"PyRadiomics {py_cpu:.1f}, ours {us_cpu:.1f} -> {py_cpu / us_cpu:.1f}x | peak RSS of the largest "
            f"process: PyRadiomics {py_mem:.0f} MB, ours {us_mem:.0f} MB",
            flush=True,
        )
    if not single_case:
        return
    image, mask = cases[0]
    single = [*hsp_cmd, "--image", str(image), "--mask", str(mask), "--out", str(folder / "one.csv")]
    cmd = [*single, "--params", str(write_params(folder, "full"))]
    runs = [timed(cmd, env) for _ in range(3)]
    wall, cpu = min(r[0] for r in runs), min(r[1] for r in runs)
    py_cmd = [str(bin_dir / "pyradiomics"), str(image), str(mask), "-p", str(write_params(folder, "full"))]
    py_wall, py_cpu, _ = timed([*py_cmd, "-o", str(folder / "py1.csv"), "-f", "csv"], env)
    print(
        f"one case from the command line (full): hsp extract {wall:.2f} s wall, {cpu:.2f} CPU s (best of 3; "
        f"start-up + reading + QC + extraction + CSV); pyradiomics {py_wall:.1f} s wall, {py_cpu:.1f} CPU s "
        f"-> {py_wall / wall:.1f}x wall, {py_cpu / cpu:.1f}x CPU",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as cache:
        cold, _, _ = timed(cmd, {**env, "NUMBA_CACHE_DIR": cache})
    print(
        f"cold first run (full, empty Numba cache: every kernel compiled): hsp extract {cold:.1f} s",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--configs", default="defaults,resampled,full,resampled-linear,full-linear")
    parser.add_argument("--batches", default="4,40", help="whole-process batch sizes ('' to skip)")
    parser.add_argument("--no-single", action="store_true", help="skip the one-case command-line timings")
    parser.add_argument("--child", nargs=3, metavar=("ENGINE", "CONFIG", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        engine, config, folder = args.child
        print(json.dumps(run_one(engine, config, Path(folder), args.repeat)))
        return
    numba_cache = os.environ.get("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache"))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "2", "NUMBA_CACHE_DIR": numba_cache}
    print(f"load average at start: {os.getloadavg()}; CPUs: {os.cpu_count()}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        cases = write_cases(folder, 4)
        n_roi = int(np.load(folder / "mask.npy").sum())
        print(
            f"case: {SHAPE[2]}x{SHAPE[1]}x{SHAPE[0]} int16 voxels at {SPACING} mm, ROI {n_roi} voxels "
            f"({n_roi * np.prod(SPACING) / 1000:.0f} ml); 4 cases written as gzip NRRD in "
            f"{time.perf_counter() - t0:.1f} s",
            flush=True,
        )
        print(
            "PyRadiomics: additionalInfo (diagnostics) OFF; warm = best of", args.repeat, "calls in process"
        )
        for config in [c for c in args.configs.split(",") if c]:
            results = {}
            for engine in ("pyradiomics", "hsp", "hsp+qc"):
                cmd = [sys.executable, __file__, "--repeat", str(args.repeat), "--child", engine, config, tmp]
                out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env, cwd=ROOT)
                results[engine] = json.loads(out.stdout.strip().splitlines()[-1])
            py, us, usqc = results["pyradiomics"], results["hsp"], results["hsp+qc"]
            interp = CONFIGS[config].get("setting", {}).get("interpolator", "sitkBSpline")
            print(
                f"{config:16s} ({interp if 'resampledPixelSpacing' in CONFIGS[config].get('setting', {}) else 'no resampling'}) "
                f"features {us['features']:5d} (PyRadiomics {py['features']:5d}) | "
                f"PyRadiomics {py['best_s']:.3f} s, ours {us['best_s']:.3f} s -> {py['best_s'] / us['best_s']:.1f}x "
                f"(CPU s {py['best_cpu_s']:.2f} / {us['best_cpu_s']:.2f} -> {py['best_cpu_s'] / us['best_cpu_s']:.1f}x) "
                f"(with QC gate {usqc['best_s']:.3f} s -> {py['best_s'] / usqc['best_s']:.1f}x) | "
                f"first call ours {us['cold_s']:.2f} s, PyRadiomics {py['cold_s']:.2f} s | "
                f"peak RSS ours {us['peak_rss_mb']:.0f} MB, PyRadiomics {py['peak_rss_mb']:.0f} MB",
                flush=True,
            )
        batches = [int(b) for b in args.batches.split(",") if b]
        if batches or not args.no_single:
            whole_process(folder, cases, batches, env, not args.no_single)
    print(f"load average at end: {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()

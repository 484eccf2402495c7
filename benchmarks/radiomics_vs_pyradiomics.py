"""Benchmark: HSP radiomics engine vs PyRadiomics 3 on the RADIOMICS.md case (not a test).

Case: 512 x 512 x 120 CT at 0.75 x 0.75 x 2.5 mm with a 250 ml ellipsoid-ish spleen (lobulated outline, smooth
texture, noise).  Both engines get the same in-memory image, mask and parameters, in the same run; PyRadiomics
runs with ``additionalInfo`` (diagnostics) off.  Each (engine, configuration) runs in its own subprocess so that
peak memory is per engine: the child's own high-water mark (``VmHWM``; ``ru_maxrss`` would include the parent's,
inherited across exec); the first call of each subprocess is reported as the cold call (for our engine: Numba
kernels loaded from the on-disk cache), then the best of ``--repeat`` warm calls.

Usage::

    .venv/bin/python benchmarks/radiomics_vs_pyradiomics.py [--repeat 3] [--configs defaults,resampled,full]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHAPE = (120, 512, 512)
SPACING = (0.75, 0.75, 2.5)
CONFIGS = {
    "defaults": {},
    "resampled": {
        "setting": {"resampledPixelSpacing": [1, 1, 1], "interpolator": "sitkLinear", "binWidth": 25}
    },
    "full": {
        "imageType": {"Original": {}, "Wavelet": {}, "LoG": {"sigma": [1.0, 2.0, 3.0, 4.0, 5.0]}},
        "featureClass": {
            "shape": [],
            "firstorder": [],
            "glcm": [],
            "glrlm": [],
            "glszm": [],
            "gldm": [],
            "ngtdm": [],
        },
        "setting": {"resampledPixelSpacing": [1, 1, 1], "interpolator": "sitkLinear", "binWidth": 25},
    },
}


def make_case(folder: Path) -> tuple[Path, Path, int]:
    from scipy.ndimage import gaussian_filter

    rng = np.random.default_rng(2026)
    z, y, x = np.ogrid[: SHAPE[0], : SHAPE[1], : SHAPE[2]]
    zc, yc, xc = 60.0, 250.0, 330.0
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
    np.save(folder / "ct.npy", image)
    np.save(folder / "mask.npy", mask)
    return folder / "ct.npy", folder / "mask.npy", int(mask.sum())


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

        ct = CtVolume(array=image, spacing=SPACING)
        lm = LabelMap(array=mask, spacing=SPACING)
        qc = engine == "hsp+qc"

        def call() -> int:
            return len(extract_features(ct, lm, params, qc=qc).values)

    baseline_mb = _rss_mb()
    t0 = time.perf_counter()
    n = call()
    cold = time.perf_counter() - t0
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    peak_mb = _peak_rss_mb()
    return {
        "engine": engine,
        "config": config,
        "features": n,
        "cold_s": cold,
        "best_s": min(times),
        "median_s": float(np.median(times)),
        "peak_rss_mb": peak_mb,
        "extra_mb": peak_mb - baseline_mb,
    }


def _peak_rss_mb() -> float:
    """Peak resident set size (MB) of this process since it started (``VmHWM``).

    Not ``ru_maxrss``: a child inherits its parent's high-water mark across fork + exec, so every engine would
    report at least the RSS of the benchmark's parent (which holds the generated case, ~800 MB while making it).
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _rss_mb() -> float:
    """Current resident set size (MB): the baseline before the first call (inputs loaded, engine imported)."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--configs", default="defaults,resampled,full")
    parser.add_argument(
        "--compile-time", action="store_true", help="also time a first call with an empty Numba cache"
    )
    parser.add_argument("--child", nargs=3, metavar=("ENGINE", "CONFIG", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        engine, config, folder = args.child
        print(json.dumps(run_one(engine, config, Path(folder), args.repeat)))
        return
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "2"}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        _, _, n_roi = make_case(folder)
        print(
            f"case: {SHAPE[2]}x{SHAPE[1]}x{SHAPE[0]} voxels at {SPACING} mm, ROI {n_roi} voxels "
            f"({n_roi * np.prod(SPACING) / 1000:.0f} ml), generated in {time.perf_counter() - t0:.1f} s; CPUs: {os.cpu_count()}"
        )
        print("PyRadiomics: additionalInfo (diagnostics) OFF; times = best of", args.repeat, "warm calls")
        results = {}
        for config in args.configs.split(","):
            for engine in ("pyradiomics", "hsp", "hsp+qc"):
                cmd = [
                    sys.executable,
                    __file__,
                    "--repeat",
                    str(args.repeat),
                    "--child",
                    engine,
                    config,
                    str(folder),
                ]
                out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env, cwd=ROOT)
                results[(engine, config)] = json.loads(out.stdout.strip().splitlines()[-1])
            if config == "defaults" and args.compile_time:
                # truly cold: an empty Numba cache, so every kernel is compiled on the first call
                with tempfile.TemporaryDirectory() as cache:
                    cmd = [sys.executable, __file__, "--repeat", "1", "--child", "hsp", config, str(folder)]
                    env_cold = {**env, "NUMBA_CACHE_DIR": cache}
                    out = subprocess.run(
                        cmd, check=True, capture_output=True, text=True, env=env_cold, cwd=ROOT
                    )
                    compiled = json.loads(out.stdout.strip().splitlines()[-1])
                print(
                    f"first call with an empty Numba cache (compiles every kernel): {compiled['cold_s']:.1f} s"
                )
            py, us, usqc = (
                results[("pyradiomics", config)],
                results[("hsp", config)],
                results[("hsp+qc", config)],
            )
            print(
                f"{config:10s} features {us['features']:5d} (PyRadiomics {py['features']:5d}) | "
                f"PyRadiomics {py['best_s']:.3f} s, ours {us['best_s']:.3f} s -> {py['best_s'] / us['best_s']:.1f}x "
                f"(with QC gate {usqc['best_s']:.3f} s -> {py['best_s'] / usqc['best_s']:.1f}x) | "
                f"cold first call ours {us['cold_s']:.2f} s, PyRadiomics {py['cold_s']:.2f} s | "
                f"peak RSS (whole process: inputs, libraries, work) ours {us['peak_rss_mb']:.0f} MB "
                f"(+{us['extra_mb']:.0f} from the first call on, incl. loading the Numba/LLVM runtime), "
                f"PyRadiomics {py['peak_rss_mb']:.0f} MB (+{py['extra_mb']:.0f})",
                flush=True,
            )


if __name__ == "__main__":
    main()

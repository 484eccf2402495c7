"""Micro-benchmark: our texture kernels and features vs PyRadiomics 3.0.1's texture classes.

Case: a 250 ml ellipsoid ROI (~178k voxels) on a 0.75 x 0.75 x 2.5 mm grid with smooth CT-like texture,
discretised to several grey-level counts.  Both engines get the same discretised image (PyRadiomics
with binWidth=1, so its binning keeps our levels), cropped to the ROI box.  Times are the best of
``--repeat`` warm runs; the first call of ours (JIT compile or cache load) is printed separately.
No assertions: this prints numbers.

Run: ``.venv/bin/python benchmarks/texture_kernels.py [--levels 16 32 64 100] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import logging
import time
import warnings
from collections.abc import Callable
from functools import partial

import numpy as np
import SimpleITK as sitk
from radiomics import cMatrices, glcm, gldm, glrlm, glszm, ngtdm
from scipy import ndimage

from hsp_desktop.radiomics.texture import TEXTURE_CLASSES, TextureSettings, texture_features
from kernels.glcm import glcm_matrices
from kernels.gldm import gldm_matrix
from kernels.glrlm import glrlm_matrices
from kernels.glszm import glszm_matrix
from kernels.ngtdm import ngtdm_matrix
from kernels.texture_common import texture_angles

PYRAD = {
    "glcm": glcm.RadiomicsGLCM,
    "glrlm": glrlm.RadiomicsGLRLM,
    "glszm": glszm.RadiomicsGLSZM,
    "gldm": gldm.RadiomicsGLDM,
    "ngtdm": ngtdm.RadiomicsNGTDM,
}
SPACING_XYZ = (0.75, 0.75, 2.5)


def make_case(n_levels: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Ellipsoid of 250 ml (semi-axes 45 x 45 x 29.5 mm), cropped to its box, with levels 1..n_levels."""
    semi = np.array([29.5 / 2.5, 45 / 0.75, 45 / 0.75])  # z, y, x in voxels
    shape = tuple(int(2 * np.ceil(s) + 1) for s in semi)
    grid = np.ogrid[tuple(slice(0, n) for n in shape)]
    centre = [(n - 1) / 2 for n in shape]
    mask = sum(((g - c) / s) ** 2 for g, c, s in zip(grid, centre, semi, strict=True)) <= 1.0
    rng = np.random.default_rng(seed)
    field = ndimage.gaussian_filter(rng.normal(size=shape), (0.6, 2.0, 2.0))
    inside = field[mask]
    scaled = (field - inside.min()) / np.ptp(inside)
    levels = np.clip((scaled * n_levels).astype(np.int32) + 1, 1, n_levels)
    return levels, mask


CLOCK = time.perf_counter


def best(func: Callable[[], object], repeat: int) -> float:
    """Best of ``repeat`` runs on the chosen clock (wall time, or process CPU time with --cpu)."""
    times = []
    for _ in range(repeat):
        start = CLOCK()
        func()
        times.append(CLOCK() - start)
    return min(times)


def pyradiomics_class(cls: str, image: sitk.Image, label: sitk.Image) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        feature_class = PYRAD[cls](image, label, binWidth=1)
        feature_class.enableAllFeatures()
        feature_class.execute()


def pyradiomics_features(levels: np.ndarray, mask: np.ndarray, cfg: TextureSettings) -> dict[str, float]:
    """PyRadiomics' texture features on the same levels (binWidth=1 keeps them when level 1 occurs)."""
    image = sitk.GetImageFromArray(levels.astype(np.float64))
    image.SetSpacing(SPACING_XYZ)
    label = sitk.GetImageFromArray(mask.astype(np.uint8))
    label.CopyInformation(image)
    kwargs = {
        "binWidth": 1,
        "distances": list(cfg.distances),
        "symmetricalGLCM": cfg.symmetrical_glcm,
        "weightingNorm": cfg.weighting_norm,
        "gldm_a": cfg.gldm_a,
        "force2D": cfg.force2d,
        "force2Ddimension": cfg.force2d_dimension,
    }
    out: dict[str, float] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for cls in TEXTURE_CLASSES:
            feature_class = PYRAD[cls](image, label, **kwargs)
            feature_class.enableAllFeatures()
            out.update({f"{cls}_{k}": float(v) for k, v in feature_class.execute().items()})
    return out


def _crop(levels: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    box = tuple(
        slice(int(idx[0]), int(idx[-1]) + 1)
        for idx in (np.flatnonzero(mask.any(axis=other)) for other in ((1, 2), (0, 2), (0, 1)))
    )
    return levels[box], mask[box]


def _worst(ours: dict[str, float], theirs: dict[str, float], worst: dict[str, tuple[float, str]]) -> None:
    for key, want in theirs.items():
        got = ours[key]
        if np.isnan(want) and np.isnan(got):
            continue
        diff = abs(got - want) / abs(want) if abs(want) > 1e-9 else abs(got - want)
        cls = key.split("_", 1)[0]
        if diff >= worst.get(cls, (0.0, ""))[0]:
            worst[cls] = (diff, key)


def agreement(n_cases: int, big: bool) -> None:
    """Largest relative difference per class (absolute near 0) over random ROIs and a settings matrix."""
    settings = [
        TextureSettings(),
        TextureSettings(symmetrical_glcm=False, distances=(1, 2)),
        TextureSettings(weighting_norm="manhattan", gldm_a=1),
        TextureSettings(weighting_norm="euclidean", force2d=True),
        TextureSettings(weighting_norm="infinity", force2d=True, force2d_dimension=1),
        TextureSettings(weighting_norm="no_weighting", distances=(1, 2), symmetrical_glcm=False),
    ]
    worst: dict[str, tuple[float, str]] = {}
    rng = np.random.default_rng(2026)
    for _ in range(n_cases):
        shape = tuple(int(s) for s in rng.integers(6, 24, 3))
        field = ndimage.gaussian_filter(rng.normal(size=shape), float(rng.uniform(0.5, 2.0)))
        mask = ndimage.gaussian_filter(rng.normal(size=shape), 1.5) > -0.2
        inside = field[mask]
        top = int(rng.integers(2, 64))
        levels = np.clip(((field - inside.min()) / np.ptp(inside) * top).astype(np.int32) + 1, 1, top)
        for cfg in settings:
            ours = texture_features(levels, mask, SPACING_XYZ, cfg)
            _worst(ours, pyradiomics_features(*_crop(levels, mask), cfg), worst)
    if big:
        for n_levels in (32, 100):
            levels, mask = make_case(n_levels)
            for cfg in settings[:3]:
                _worst(
                    texture_features(levels, mask, SPACING_XYZ, cfg),
                    pyradiomics_features(levels, mask, cfg),
                    worst,
                )
    where = f"{n_cases} random ROIs x {len(settings)} settings" + (" + the 178k-voxel case" if big else "")
    print(f"agreement with PyRadiomics 3.0.1 ({where}):")
    for cls in TEXTURE_CLASSES:
        diff, key = worst[cls]
        print(f"  {cls:6s} max relative difference {diff:.2e} ({key})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=int, nargs="+", default=[16, 32, 64, 100])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--agreement", type=int, default=0, metavar="N", help="first compare N random ROIs")
    parser.add_argument(
        "--big", action="store_true", help="with --agreement, also compare the 178k-voxel case"
    )
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="time process CPU seconds instead of wall seconds (fairer on a machine busy with other jobs)",
    )
    args = parser.parse_args()
    global CLOCK
    if args.cpu:
        CLOCK = time.process_time
    print(f"clock: {'process CPU time' if args.cpu else 'wall time'}, best of {args.repeat}")
    logging.getLogger("radiomics").setLevel(logging.ERROR)
    if args.agreement:
        agreement(args.agreement, args.big)

    levels, mask = make_case(args.levels[0])
    start = time.perf_counter()
    texture_features(levels, mask, SPACING_XYZ, TextureSettings())
    print(f"first call of ours (JIT compile or cache load, all classes): {time.perf_counter() - start:.2f} s")
    print(f"ROI: {int(mask.sum())} voxels, box {mask.shape} (z, y, x), spacing {SPACING_XYZ} mm (x, y, z)")

    for n_levels in args.levels:
        levels, mask = make_case(n_levels)
        image = sitk.GetImageFromArray(levels.astype(np.float64))
        image.SetSpacing(SPACING_XYZ)
        label = sitk.GetImageFromArray(mask.astype(np.uint8))
        label.CopyInformation(image)
        mono = texture_angles(mask.shape)
        bi = texture_angles(mask.shape, bidirectional=True)
        ng = int(levels[mask].max())
        dist = np.array([1])
        kernels: dict[str, tuple[Callable[[], object], Callable[[], object]]] = {
            "glcm": (
                partial(glcm_matrices, levels, mask, ng, mono),
                partial(cMatrices.calculate_glcm, levels, mask, dist, ng, False, 0),
            ),
            "glrlm": (
                partial(glrlm_matrices, levels, mask, ng, mono),
                partial(cMatrices.calculate_glrlm, levels, mask, ng, max(mask.shape), False, 0),
            ),
            "glszm": (
                partial(glszm_matrix, levels, mask, ng, bi),
                partial(cMatrices.calculate_glszm, levels, mask, ng, int(mask.sum()), False, 0),
            ),
            "gldm": (
                partial(gldm_matrix, levels, mask, ng, bi, 0),
                partial(cMatrices.calculate_gldm, levels, mask, dist, ng, 0, False, 0),
            ),
            "ngtdm": (
                partial(ngtdm_matrix, levels, mask, ng, bi),
                partial(cMatrices.calculate_ngtdm, levels, mask, dist, ng, False, 0),
            ),
        }
        print(f"\nNg = {n_levels}")
        print(
            f"{'class':6s} {'matrix ours':>12s} {'matrix C':>10s} {'ratio':>6s} | "
            f"{'features ours':>13s} {'PyRadiomics class':>17s} {'ratio':>6s}"
        )
        total_ours = total_theirs = 0.0
        for cls in TEXTURE_CLASSES:
            ours_k, theirs_k = kernels[cls]
            ours_k()
            t_ok = best(ours_k, args.repeat)
            t_tk = best(theirs_k, args.repeat)
            texture_features(levels, mask, SPACING_XYZ, TextureSettings(), [cls])
            t_of = best(
                partial(texture_features, levels, mask, SPACING_XYZ, TextureSettings(), [cls]), args.repeat
            )
            t_tf = best(partial(pyradiomics_class, cls, image, label), max(1, args.repeat - 1))
            total_ours += t_of
            total_theirs += t_tf
            print(
                f"{cls:6s} {t_ok * 1e3:10.1f}ms {t_tk * 1e3:8.1f}ms {t_tk / t_ok:6.1f} | "
                f"{t_of * 1e3:11.1f}ms {t_tf * 1e3:15.1f}ms {t_tf / t_of:6.1f}"
            )
        t_all = best(partial(texture_features, levels, mask, SPACING_XYZ, TextureSettings()), args.repeat)
        print(
            f"all 5 classes in one call: ours {t_all * 1e3:.1f} ms; PyRadiomics classes summed "
            f"{total_theirs * 1e3:.1f} ms; ratio {total_theirs / t_all:.1f}x"
        )


if __name__ == "__main__":
    main()

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


def best(func: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def pyradiomics_class(cls: str, image: sitk.Image, label: sitk.Image) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        feature_class = PYRAD[cls](image, label, binWidth=1)
        feature_class.enableAllFeatures()
        feature_class.execute()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=int, nargs="+", default=[16, 32, 64, 100])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger("radiomics").setLevel(logging.ERROR)

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

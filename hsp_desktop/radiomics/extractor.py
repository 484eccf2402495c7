"""``extract_features``: CT + label map + settings -> PyRadiomics-named features, with QC and provenance."""

from __future__ import annotations

import math
import os
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from hsp_desktop.domain import CtVolume, FeatureVector, LabelMap, QcReport
from hsp_desktop.errors import InputError
from hsp_desktop.radiomics.filters import filtered_images
from hsp_desktop.radiomics.firstorder import firstorder
from hsp_desktop.radiomics.preprocess import Prepared, discretise, prepare
from hsp_desktop.radiomics.settings import ExtractionSettings, load_params
from hsp_desktop.radiomics.shape import shape2d_features, shape_features

__all__ = ["ENGINE", "compute_features", "default_threads", "extract_features", "warm_up"]

ENGINE = "hsp-radiomics 0.1 (numba kernels; PyRadiomics 3.0.1-compatible names)"
_TEXTURE = ("glcm", "glrlm", "glszm", "gldm", "ngtdm")


def _on_ct_grid(ct: CtVolume, mask: LabelMap, s: ExtractionSettings) -> LabelMap:
    """The mask on the CT grid: as given when the grids agree; resampled (nearest neighbour) with ``correctMask``."""
    from hsp_desktop.imaging.geometry import check_geometry, geometry_differences

    if np.asarray(ct.array).ndim != 3 or np.asarray(mask.array).ndim != 3:
        return mask  # prepare() refuses it with a typed error naming the array
    tolerance = s.geometry_tolerance if s.geometry_tolerance is not None else 1e-3
    if not s.correct_mask or not geometry_differences(ct, mask, tolerance):
        check_geometry(ct, mask, tolerance)
        return mask
    from hsp_desktop.imaging.resample import resample_mask

    return resample_mask(mask, ct)


def _run_qc(ct: CtVolume, mask: LabelMap, label: int) -> QcReport | None:
    try:
        from hsp_desktop.imaging import qc
    except ImportError:
        from hsp_desktop.imaging.geometry import check_geometry

        check_geometry(ct, mask)
        return None
    report = qc.run_qc(ct, mask, label)
    qc.require_qc(report)
    return report


def _filter_jobs(s: ExtractionSettings) -> list[tuple[str, ExtractionSettings]]:
    """One job per image type, and one per LoG sigma (independent, so they can run side by side)."""
    jobs: list[tuple[str, ExtractionSettings]] = []
    for image_type, _ in s.image_types:
        ts = s.for_image_type(image_type)
        if image_type == "LoG":
            jobs.extend((image_type, replace(ts, sigma=(sigma,))) for sigma in ts.sigma)
        else:
            jobs.append((image_type, ts))
    return jobs


class _Geometries:
    """The texture geometry of the ROI per texture settings, computed once per extraction (thread-safe).

    Every image of the extraction (original, wavelet sub-bands, LoG sigmas) shares the ROI, so the ROI-only
    work of the texture matrices (:func:`hsp_desktop.radiomics.texture.texture_geometry`) is done once.
    """

    def __init__(self, prep: Prepared) -> None:
        self._prep = prep
        self._lock = threading.Lock()
        self._done: dict[tuple[Any, ...], Any] = {}

    def get(self, settings: Any, classes: tuple[str, ...]) -> Any:
        from hsp_desktop.radiomics.texture import texture_geometry

        key = (settings, classes)
        with self._lock:
            if key not in self._done:
                self._done[key] = texture_geometry(self._prep.roi, self._prep.spacing, settings, classes)
            return self._done[key]


def _image_features(
    name: str,
    image: npt.NDArray[np.floating],
    prep: Prepared,
    ts: ExtractionSettings,
    geometries: _Geometries,
) -> dict[str, float]:
    from hsp_desktop.radiomics.texture import TextureSettings, texture_features_on

    classes = prep.settings.classes()
    wanted_texture = [c for c in _TEXTURE if c in classes]
    values: dict[str, float] = {}
    levels, _ = discretise(image, prep.roi, ts)
    if "firstorder" in classes:
        fo = firstorder(
            image,
            levels,
            prep.roi,
            prep.spacing,
            shift=ts.voxel_array_shift,
            names=classes["firstorder"],
            excess_kurtosis=ts.mode == "ibsi",
        )
        for key, value in fo.items():
            values[f"{name}_{key}"] = value
    if wanted_texture:
        tex_settings = TextureSettings(
            distances=ts.distances,
            symmetrical_glcm=ts.symmetrical_glcm,
            weighting_norm=ts.weighting_norm,
            gldm_a=ts.gldm_a,
            force2d=ts.force2d,
            force2d_dimension=ts.force2d_dimension,
        )
        geometry = geometries.get(tex_settings, tuple(wanted_texture))
        tex = texture_features_on(geometry, levels)
        for key, value in tex.items():
            cls, feat = key.split("_", 1)
            if classes[cls] and feat not in classes[cls]:
                continue
            values[f"{name}_{key}"] = value
    return values


def _job(
    image_type: str, ts: ExtractionSettings, prep: Prepared, geometries: _Geometries
) -> dict[str, float]:
    values: dict[str, float] = {}
    for name, image in filtered_images(image_type, prep.source, prep.box, ts):
        values.update(_image_features(name, image, prep, ts, geometries))
    return values


def default_threads() -> int:
    """Worker threads per extraction: ``HSP_RADIOMICS_THREADS`` or min(2, CPU count)."""
    env = os.environ.get("HSP_RADIOMICS_THREADS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, min(2, os.cpu_count() or 1))


def _shape(prep: Prepared) -> dict[str, float]:
    s = prep.settings
    classes = s.classes()
    values: dict[str, float] = {}
    if "shape" in classes:
        shape = shape_features(prep.shape_mask, prep.spacing, classes["shape"], ibsi=s.mode == "ibsi")
        for key, value in shape.items():
            values[f"original_{key}"] = value
    if "shape2D" in classes and s.force2d:
        plane = np.squeeze(prep.shape_mask, axis=s.force2d_dimension)
        sp_zyx = prep.spacing[::-1]
        sp2 = tuple(sp_zyx[i] for i in range(3) if i != s.force2d_dimension)
        for key, value in shape2d_features(plane, (sp2[0], sp2[1]), classes["shape2D"]).items():
            values[f"original_{key}"] = value
    return values


def _filtered(image_type: str, ts: ExtractionSettings, prep: Prepared) -> list[tuple[str, Any]]:
    return list(filtered_images(image_type, prep.source, prep.box, ts))


def compute_features(prep: Prepared, *, threads: int | None = None) -> dict[str, float]:
    """Compute every enabled feature of a preprocessed ROI (PyRadiomics names and order).

    Shape, each image type, each LoG sigma and each wavelet sub-band are independent tasks; with
    ``threads > 1`` they run side by side in a thread pool (the Numba kernels release the GIL).  The ROI-only
    part of the texture matrices is computed once for all images.  The result does not depend on the number of
    threads.
    """
    s = prep.settings
    classes = s.classes()
    if "shape2D" in classes and s.force2d and prep.shape_mask.shape[s.force2d_dimension] != 1:
        # PyRadiomics: 2-D shape needs force2D and an ROI one slice thick along force2Ddimension
        raise InputError(
            "2-D shape features need an ROI of a single slice",
            expected=f"1 voxel along array axis {s.force2d_dimension} (force2Ddimension)",
            found=f"ROI box {prep.shape_mask.shape} (z, y, x)",
            fix="remove shape2D from featureClass, or give a one-slice mask",
            field="shape2D",
        )
    jobs = _filter_jobs(s)
    geometries = _Geometries(prep)
    n_threads = default_threads() if threads is None else max(1, int(threads))
    if n_threads == 1:
        values = _shape(prep)
        for image_type, ts in jobs:
            values.update(_job(image_type, ts, prep, geometries))
        return values
    # parts[(job, image)] -> features; (-1, 0) is shape.  The wavelet filter yields 8 images: each becomes a task
    # of its own, so the two threads stay busy to the end; other image types are one task (filter + features).
    parts: dict[tuple[int, int], dict[str, float]] = {}
    from hsp_desktop.radiomics.texture import _single_threaded_blas

    # one BLAS thread for the whole pool (the per-image limits of two workers would otherwise undo each other)
    with (
        _single_threaded_blas(),
        ThreadPoolExecutor(max_workers=n_threads, thread_name_prefix="radiomics") as pool,
    ):
        pending: dict[Future[Any], tuple[str, int, int]] = {}
        order = sorted(range(len(jobs)), key=lambda i: jobs[i][0] != "Wavelet")  # the longest chain first
        for position, i in enumerate(order):
            image_type, ts = jobs[i]
            if image_type == "Wavelet":
                pending[pool.submit(_filtered, image_type, ts, prep)] = ("filter", i, 0)
            else:
                pending[pool.submit(_job, image_type, ts, prep, geometries)] = ("parts", i, 0)
            if position == 0:
                pending[pool.submit(_shape, prep)] = ("parts", -1, 0)
        if not jobs:
            pending[pool.submit(_shape, prep)] = ("parts", -1, 0)
        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    kind, i, k = pending.pop(future)
                    if kind == "filter":
                        ts = jobs[i][1]
                        for k2, (name, image) in enumerate(future.result()):
                            task = pool.submit(_image_features, name, image, prep, ts, geometries)
                            pending[task] = ("parts", i, k2)
                    else:
                        parts[(i, k)] = future.result()
        except BaseException:
            for future in pending:
                future.cancel()
            raise
    values = {}
    for key in sorted(parts):
        values.update(parts[key])
    return values


def extract_features(
    ct: CtVolume,
    mask: LabelMap,
    settings: ExtractionSettings | dict[str, Any] | Path | str | None = None,
    *,
    label: int | None = None,
    mode: str | None = None,
    qc: bool = True,
    threads: int | None = None,
) -> FeatureVector:
    """Extract radiomics features of one ROI.

    Parameters
    ----------
    ct : CtVolume
        The CT in HU.
    mask : LabelMap
        Label map on the CT grid.
    settings : ExtractionSettings, dict, path or None
        PyRadiomics parameters (YAML path or dict) or settings already loaded; ``None``: PyRadiomics' defaults.
    label : int, optional
        ROI label (default: the settings' ``label``, 1).
    mode : {"pyradiomics", "ibsi"}, optional
        Overrides the settings' mode.
    qc : bool
        Run the imaging QC gate first (``hsp_desktop.imaging.qc.run_qc``; blocking problems raise
        :class:`~hsp_desktop.errors.QcError`).  The report is kept in the result.
    threads : int, optional
        Worker threads for independent image types (default :func:`default_threads`; 1 in batch workers).

    Returns
    -------
    FeatureVector
        ``values`` keyed by PyRadiomics names (``original_firstorder_Mean``, ``wavelet-LHL_glcm_Contrast``,
        ``original_shape_MeshVolume``, ...), the settings as applied, the engine, the QC report.

    Raises
    ------
    SettingsError
        Invalid settings.
    InputError
        Bad image or mask (see :func:`hsp_desktop.radiomics.preprocess.prepare`).
    QcError
        The QC gate blocked the extraction.
    """
    s = load_params(settings, mode=mode)
    roi_label = int(s.label if label is None else label)
    if roi_label != s.label:
        s = replace(s, label=roi_label)
    mask = _on_ct_grid(ct, mask, s)
    report = _run_qc(ct, mask, roi_label) if qc else None
    n_threads = default_threads() if threads is None else max(1, int(threads))
    prep = prepare(ct, mask, s, roi_label, threads=n_threads)
    values = compute_features(prep, threads=n_threads)
    clean = {
        k: (float(v) if not (isinstance(v, float) and math.isnan(v)) else math.nan) for k, v in values.items()
    }
    roi_name = (
        mask.labels.get(roi_label, f"label {roi_label}") if isinstance(mask.labels, dict) else str(roi_label)
    )
    provenance = s.as_dict()
    provenance["mode"] = s.mode
    provenance["diagnostics"] = {
        k: (list(v) if isinstance(v, tuple) else v) for k, v in prep.diagnostics.items()
    }
    provenance["ct_source"] = ct.source
    provenance["mask_source"] = mask.source
    return FeatureVector(values=clean, settings=provenance, engine=ENGINE, roi=roi_name, qc=report)


def warm_up() -> float:
    """Load (or compile) every Numba kernel of the engine on a tiny synthetic case; returns the seconds spent.

    Call it once at start-up from a worker thread (never the GUI thread): later extractions then run at full
    speed.  ``NUMBA_CACHE_DIR`` decides where compiled code is kept between runs.
    """
    import time

    start = time.perf_counter()
    rng = np.random.default_rng(0)
    z, y, x = np.mgrid[:12, :16, :16]
    labels = ((((z - 6) / 4.5) ** 2 + ((y - 8) / 6.0) ** 2 + ((x - 8) / 6.0) ** 2) < 1).astype(np.uint8)
    image = rng.normal(100, 20, labels.shape)
    mask = LabelMap(array=labels, spacing=(1.0, 1.0, 2.0))
    for interpolator in ("sitkBSpline", "sitkLinear"):
        params: dict[str, Any] = {
            "imageType": {"Original": {}, "LoG": {"sigma": [1.0]}, "Wavelet": {}},
            "setting": {"resampledPixelSpacing": [1.5, 1.5, 1.5], "interpolator": interpolator},
        }
        # CT as files store it (int16, what `hsp extract` reads) and as DICOM import gives it (float32 HU)
        for dtype in (np.int16, np.float32):
            ct = CtVolume(array=image.astype(dtype), spacing=(1.0, 1.0, 2.0))
            extract_features(ct, mask, params, qc=False)
    extract_features(CtVolume(array=image.astype(np.float32), spacing=(1.0, 1.0, 2.0)), mask, None, qc=False)
    return time.perf_counter() - start

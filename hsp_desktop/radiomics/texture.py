"""Texture features (GLCM, GLRLM, GLSZM, GLDM, NGTDM) numerically equal to PyRadiomics 3.0.1.

The matrices are accumulated by the Numba kernels in :mod:`kernels` (one pass over the ROI box for
GLCM + GLDM + NGTDM, all directions at once; one walk along the ROI segments of each direction for GLRLM;
one union-find pass over the ROI voxels for GLSZM).  What depends on the ROI only (bounding box, offsets,
GLRLM segments, ROI voxel list) is a :class:`TextureGeometry`, found once and shared by every image of an
extraction (:func:`texture_geometry`, :func:`texture_features_on`); each image is encoded once and the
encoding shared by all kernels.  The features are NumPy formulas on those small matrices,
following PyRadiomics 3.0.1 step by step:

* the image is cropped to the bounding box of the ROI (as PyRadiomics' extractor does) and the
  directions ("angles") are generated from that box: 13 in 3D, 4 in-plane with ``force2d`` (offsets
  along an axis of size 1 are not generated);
* ``Ng`` is the highest grey level in the ROI (also in GLCM Idmn/Idn); GLCM, GLRLM, GLSZM and GLDM drop
  the rows (and GLCM the columns) of grey levels absent from the ROI and keep the real level numbers as
  ``i``/``j``; NGTDM uses only present levels and, as 3.0.1 does, counts an ROI voxel without any ROI
  neighbour with a difference of 0;
* GLCM and GLRLM give one matrix per direction: features are computed per direction and averaged
  (``nanmean``), unless ``weighting_norm`` is set, in which case the matrices are weighted by the
  direction's length in mm (GLCM: ``exp(-d**2)``, GLRLM: ``d``) and summed first; directions with an
  empty matrix are dropped; a GLRLM direction along which the ROI is one voxel thick is empty;
* ``eps = np.spacing(1)`` sits where PyRadiomics puts it, and the flat-region conventions are
  PyRadiomics' (e.g. GLCM Correlation 1, MCC 1, Imc1/Imc2 0; NGTDM Coarseness 1e6, Contrast,
  Busyness and Strength 0 when their denominator is 0);
* deprecated features (GLCM Dissimilarity, Homogeneity1/2, SumVariance; GLDM
  GrayLevelNonUniformityNormalized, DependencePercentage) are not computed, as in PyRadiomics'
  default enabled set.

Feature keys are ``"<class>_<PyRadiomics feature name>"``, e.g. ``"glcm_Contrast"``.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from hsp_desktop.errors import InputError, SettingsError
from kernels.glrlm import glrlm_from_segments, run_segments
from kernels.glszm import glszm_from_coded
from kernels.texture_common import MAX_LEVELS, encode_box, roi_voxels, texture_angles
from kernels.texture_neighbours import neighbour_matrices_coded

FloatArray = npt.NDArray[np.float64]

#: Machine epsilon, where PyRadiomics adds it (``numpy.spacing(1)``).
EPS = float(np.spacing(1))

#: Feature names per class, as PyRadiomics 3.0.1 enables them by default (deprecated ones excluded),
#: in PyRadiomics' (alphabetical) output order.
FEATURE_NAMES: dict[str, tuple[str, ...]] = {
    "glcm": (
        "Autocorrelation",
        "ClusterProminence",
        "ClusterShade",
        "ClusterTendency",
        "Contrast",
        "Correlation",
        "DifferenceAverage",
        "DifferenceEntropy",
        "DifferenceVariance",
        "Id",
        "Idm",
        "Idmn",
        "Idn",
        "Imc1",
        "Imc2",
        "InverseVariance",
        "JointAverage",
        "JointEnergy",
        "JointEntropy",
        "MCC",
        "MaximumProbability",
        "SumAverage",
        "SumEntropy",
        "SumSquares",
    ),
    "glrlm": (
        "GrayLevelNonUniformity",
        "GrayLevelNonUniformityNormalized",
        "GrayLevelVariance",
        "HighGrayLevelRunEmphasis",
        "LongRunEmphasis",
        "LongRunHighGrayLevelEmphasis",
        "LongRunLowGrayLevelEmphasis",
        "LowGrayLevelRunEmphasis",
        "RunEntropy",
        "RunLengthNonUniformity",
        "RunLengthNonUniformityNormalized",
        "RunPercentage",
        "RunVariance",
        "ShortRunEmphasis",
        "ShortRunHighGrayLevelEmphasis",
        "ShortRunLowGrayLevelEmphasis",
    ),
    "glszm": (
        "GrayLevelNonUniformity",
        "GrayLevelNonUniformityNormalized",
        "GrayLevelVariance",
        "HighGrayLevelZoneEmphasis",
        "LargeAreaEmphasis",
        "LargeAreaHighGrayLevelEmphasis",
        "LargeAreaLowGrayLevelEmphasis",
        "LowGrayLevelZoneEmphasis",
        "SizeZoneNonUniformity",
        "SizeZoneNonUniformityNormalized",
        "SmallAreaEmphasis",
        "SmallAreaHighGrayLevelEmphasis",
        "SmallAreaLowGrayLevelEmphasis",
        "ZoneEntropy",
        "ZonePercentage",
        "ZoneVariance",
    ),
    "gldm": (
        "DependenceEntropy",
        "DependenceNonUniformity",
        "DependenceNonUniformityNormalized",
        "DependenceVariance",
        "GrayLevelNonUniformity",
        "GrayLevelVariance",
        "HighGrayLevelEmphasis",
        "LargeDependenceEmphasis",
        "LargeDependenceHighGrayLevelEmphasis",
        "LargeDependenceLowGrayLevelEmphasis",
        "LowGrayLevelEmphasis",
        "SmallDependenceEmphasis",
        "SmallDependenceHighGrayLevelEmphasis",
        "SmallDependenceLowGrayLevelEmphasis",
    ),
    "ngtdm": ("Busyness", "Coarseness", "Complexity", "Contrast", "Strength"),
}

#: The texture classes, in PyRadiomics' order.
TEXTURE_CLASSES: tuple[str, ...] = ("glcm", "glrlm", "glszm", "gldm", "ngtdm")

WEIGHTING_NORMS: tuple[str, ...] = ("manhattan", "euclidean", "infinity", "no_weighting")


_BLAS_LOCK = threading.Lock()
_BLAS_CONTROLLER: list[Any] = []


@contextlib.contextmanager
def _single_threaded_blas() -> Iterator[None]:
    """Run the small dense linear algebra (GLCM MCC eigenvalues) on one BLAS thread.

    On a busy 2-core machine OpenBLAS' worker threads turn a 3 ms eigenvalue call on thirteen
    100 x 100 matrices into 200 ms; the matrices are far too small to gain from threads.
    """
    with _BLAS_LOCK:
        if not _BLAS_CONTROLLER:
            from threadpoolctl import ThreadpoolController

            _BLAS_CONTROLLER.append(ThreadpoolController())
    with _BLAS_CONTROLLER[0].limit(limits=1, user_api="blas"):
        yield


def _settings_error(name: str, expected: str, value: Any, fix: str) -> SettingsError:
    return SettingsError(
        f"texture setting {name!r} is invalid", expected=expected, found=repr(value), fix=fix, field=name
    )


@dataclass(frozen=True)
class TextureSettings:
    """Settings of the texture matrices (PyRadiomics parameter names in brackets), validated once.

    Attributes
    ----------
    distances : tuple of int
        Chebyshev neighbour distances of GLCM, GLDM and NGTDM (``distances``), distinct, >= 1.
    symmetrical_glcm : bool
        Count GLCM co-occurrences in both directions (``symmetricalGLCM``).
    weighting_norm : str or None
        ``None`` (features per direction, then averaged) or ``"manhattan"``, ``"euclidean"``,
        ``"infinity"``, ``"no_weighting"`` (GLCM/GLRLM matrices weighted and summed over directions)
        (``weightingNorm``).
    gldm_a : int
        GLDM coarseness alpha, >= 0 (``gldm_a``).
    force2d : bool
        Compute the matrices per slice plane only (``force2D``).
    force2d_dimension : int
        Axis of the array excluded from the directions when ``force2d`` (0 = z, 1 = y, 2 = x)
        (``force2Ddimension``).
    """

    distances: tuple[int, ...] = (1,)
    symmetrical_glcm: bool = True
    weighting_norm: str | None = None
    gldm_a: int = 0
    force2d: bool = False
    force2d_dimension: int = 0

    def __post_init__(self) -> None:
        raw = self.distances
        if isinstance(raw, (int, np.integer)) and not isinstance(raw, bool):
            raw = (int(raw),)
        if not isinstance(raw, Sequence) or isinstance(raw, str) or len(raw) == 0:
            raise _settings_error(
                "distances", "a non-empty list of positive integers", raw, "use e.g. distances: [1]"
            )
        values: list[int] = []
        for item in raw:
            if isinstance(item, bool) or not isinstance(item, (int, np.integer)) or int(item) < 1:
                raise _settings_error(
                    "distances", "positive integers", raw, "use whole voxel distances such as [1] or [1, 2]"
                )
            values.append(int(item))
        if len(set(values)) != len(values):
            raise _settings_error("distances", "distinct distances", raw, "list each distance once")
        object.__setattr__(self, "distances", tuple(values))
        for flag in ("symmetrical_glcm", "force2d"):
            if not isinstance(getattr(self, flag), (bool, np.bool_)):
                raise _settings_error(flag, "true or false", getattr(self, flag), "use true or false")
            object.__setattr__(self, flag, bool(getattr(self, flag)))
        if self.weighting_norm is not None and self.weighting_norm not in WEIGHTING_NORMS:
            raise _settings_error(
                "weighting_norm",
                "None or one of " + ", ".join(WEIGHTING_NORMS),
                self.weighting_norm,
                "remove weightingNorm or choose one of the listed norms",
            )
        alpha = self.gldm_a
        if isinstance(alpha, bool) or not isinstance(alpha, (int, np.integer)) or int(alpha) < 0:
            raise _settings_error(
                "gldm_a", "an integer >= 0", alpha, "use gldm_a: 0 (or another whole number)"
            )
        object.__setattr__(self, "gldm_a", int(alpha))
        dim = self.force2d_dimension
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or int(dim) not in (0, 1, 2):
            raise _settings_error(
                "force2d_dimension", "0, 1 or 2", dim, "use 0 for axial slices (the z axis of the array)"
            )
        object.__setattr__(self, "force2d_dimension", int(dim))


def feature_keys(classes: Iterable[str] = TEXTURE_CLASSES) -> list[str]:
    """Return the output keys (``"<class>_<Feature>"``) of the requested classes, in output order.

    Parameters
    ----------
    classes : iterable of str
        Texture class names (``"glcm"``, ``"glrlm"``, ``"glszm"``, ``"gldm"``, ``"ngtdm"``).

    Returns
    -------
    list of str
    """
    return [f"{cls}_{name}" for cls in _check_classes(classes) for name in FEATURE_NAMES[cls]]


def _check_classes(classes: Iterable[str]) -> list[str]:
    if isinstance(classes, str):
        classes = [classes]
    wanted = list(classes)
    unknown = [c for c in wanted if c not in FEATURE_NAMES]
    if unknown:
        raise SettingsError(
            f"unknown texture feature class {unknown[0]!r}",
            expected="one of " + ", ".join(TEXTURE_CLASSES),
            found=", ".join(map(repr, unknown)),
            fix="check the featureClass section of the parameter file",
            field="featureClass",
        )
    return [c for c in TEXTURE_CLASSES if c in wanted]


def _level_dtype_error(lv: npt.NDArray[Any]) -> InputError | None:
    if lv.ndim != 3:
        return InputError(
            "the discretised image must be 3D",
            expected="an array (z, y, x)",
            found=f"{lv.ndim} dimensions",
            fix="pass a 3D volume (a single slice as shape (1, y, x))",
            field="levels",
        )
    if not np.issubdtype(lv.dtype, np.integer):
        return InputError(
            "the discretised image must hold integer grey levels",
            expected="an integer array (int32)",
            found=f"dtype {lv.dtype}",
            fix="discretise the image before computing texture features",
            field="levels",
        )
    return None


def _check_mask(
    mask: npt.ArrayLike, shape: tuple[int, ...] | None, spacing: Sequence[float]
) -> tuple[npt.NDArray[np.bool_], Slices, FloatArray]:
    """Validate the mask and spacing; return the mask cropped to the ROI bounding box, the box, spacing (z, y, x)."""
    mk = np.asarray(mask)
    if shape is not None and mk.shape != shape:
        raise InputError(
            "mask and discretised image differ in shape",
            expected=f"mask shape {shape}",
            found=f"{mk.shape}",
            fix="pass the mask on the same grid as the image",
            field="mask",
        )
    if mk.ndim != 3:
        raise InputError(
            "the mask must be 3D",
            expected="an array (z, y, x)",
            found=f"{mk.ndim} dimensions",
            fix="pass a 3D mask (a single slice as shape (1, y, x))",
            field="mask",
        )
    if mk.dtype != np.bool_:
        if not np.issubdtype(mk.dtype, np.integer):
            raise InputError(
                "the mask must be boolean",
                expected="a bool array",
                found=f"dtype {mk.dtype}",
                fix="pass mask == label",
                field="mask",
            )
        mk = mk != 0
    sp = np.asarray(spacing, dtype=np.float64)
    if sp.shape != (3,) or not np.all(np.isfinite(sp)) or np.any(sp <= 0):
        raise InputError(
            "voxel spacing is invalid",
            expected="3 positive finite sizes in mm (x, y, z)",
            found=repr(tuple(np.asarray(spacing).ravel().tolist())),
            fix="pass the image spacing in SimpleITK order (x, y, z)",
            field="spacing",
        )
    if not mk.any():
        raise InputError(
            "the ROI is empty: texture features need at least two ROI voxels",
            expected="a non-empty mask",
            found="0 voxels",
            fix="check the label and the segmentation",
            field="mask",
        )
    # crop to the ROI bounding box, as PyRadiomics' extractor does before calling the feature classes
    box = tuple(
        slice(int(idx[0]), int(idx[-1]) + 1)
        for idx in (np.flatnonzero(mk.any(axis=other)) for other in ((1, 2), (0, 2), (0, 1)))
    )
    return np.ascontiguousarray(mk[box]), box, sp[::-1].copy()  # type: ignore[return-value]


Slices = tuple[slice, slice, slice]


@dataclass(frozen=True, eq=False)
class TextureGeometry:
    """What the texture matrices need that depends on the ROI alone, found once for every image of the ROI.

    The original image, the wavelet sub-bands and the LoG sigmas of one extraction share the ROI: only their
    grey levels differ.  So the ROI bounding box, the neighbour offsets, the ROI voxel list (GLSZM) and the ROI
    segments of every GLRLM direction are computed once (:func:`texture_geometry`) and reused by
    :func:`texture_features_on` for each image.

    Attributes
    ----------
    shape : tuple of int
        Shape of the arrays the ROI was given on (the levels must have it).
    box : tuple of slice
        ROI bounding box in those arrays.
    box_shape : tuple of int
        Its size (z, y, x).
    roi : ndarray of bool
        The ROI cropped to ``box``.
    margin : int
        Outside border of the coded arrays (the largest distance).
    spacing_zyx : ndarray
        Voxel size (z, y, x) in mm.
    settings : TextureSettings
        The matrix settings.
    classes : tuple of str
        The texture classes prepared for.
    voxels : ndarray of int64
        Flat indices of the ROI voxels in the coded (padded) box.
    segments : tuple of arrays or None
        :func:`kernels.glrlm.run_segments` of the GLRLM directions (None without GLRLM).
    """

    shape: tuple[int, ...]
    box: Slices
    box_shape: tuple[int, int, int]
    roi: npt.NDArray[np.bool_]
    margin: int
    spacing_zyx: FloatArray
    settings: TextureSettings
    classes: tuple[str, ...]
    mono: npt.NDArray[np.int64]
    run_angles: npt.NDArray[np.int64]
    zone_offsets: npt.NDArray[np.int64]
    voxels: npt.NDArray[np.int64]
    segments: tuple[Any, ...] | None


def texture_geometry(
    mask: npt.ArrayLike,
    spacing: Sequence[float],
    settings: TextureSettings | None = None,
    classes: Iterable[str] = TEXTURE_CLASSES,
    *,
    shape: tuple[int, ...] | None = None,
) -> TextureGeometry:
    """Prepare the ROI-only part of the texture matrices (see :class:`TextureGeometry`).

    Parameters
    ----------
    mask : array_like of bool, shape (z, y, x)
        The ROI.
    spacing : sequence of 3 float
        Voxel size in mm (x, y, z).
    settings : TextureSettings, optional
        Matrix settings (PyRadiomics' defaults when omitted).
    classes : iterable of str
        Texture classes that will be computed.
    shape : tuple of int, optional
        Shape of the levels the mask must match (checked when given).

    Returns
    -------
    TextureGeometry

    Raises
    ------
    InputError
        Wrong mask dimension, dtype or shape, invalid spacing, an empty ROI, or an ROI that is a single voxel
        in the texture directions (no direction exists), or no voxel pair at the requested distances.
    SettingsError
        Invalid settings or an unknown class name.
    """
    cfg = _check_settings(settings)
    wanted = _check_classes(classes)
    roi, box, spacing_zyx = _check_mask(mask, shape, spacing)
    box_shape = (roi.shape[0], roi.shape[1], roi.shape[2])
    dim2d = cfg.force2d_dimension if cfg.force2d else None
    run_angles = texture_angles(box_shape, (1,), force2d_dimension=dim2d)
    if run_angles.shape[0] == 0:
        raise InputError(
            "the ROI has no texture direction: it is a single voxel"
            + (" in the 2D plane" if cfg.force2d else ""),
            expected="an ROI at least 2 voxels long in one direction",
            found=f"ROI bounding box {box_shape} (z, y, x)"
            + (f", force2D on axis {cfg.force2d_dimension}" if cfg.force2d else ""),
            fix="use a larger ROI (PyRadiomics also refuses single-voxel ROIs)",
            field="mask",
        )
    mono = texture_angles(box_shape, cfg.distances, force2d_dimension=dim2d)
    if {"glcm", "gldm", "ngtdm"} & set(wanted) and mono.shape[0] == 0:
        raise InputError(
            "no voxel pair at the requested texture distances fits in the ROI",
            expected=f"an ROI box longer than the smallest distance {min(cfg.distances)} in some direction",
            found=f"ROI bounding box {box_shape} (z, y, x), distances {list(cfg.distances)}",
            fix="include distance 1 in the distances setting or use a larger ROI",
            field="distances",
        )
    margin = max(cfg.distances)
    padded = np.zeros(tuple(n + 2 * margin for n in box_shape), dtype=np.bool_)
    padded[margin:-margin, margin:-margin, margin:-margin] = roi
    zone_offsets = texture_angles(box_shape, (1,), bidirectional=True, force2d_dimension=dim2d)
    segments = run_segments(padded, run_angles) if "glrlm" in wanted else None
    return TextureGeometry(
        shape=tuple(np.shape(mask)),
        box=box,
        box_shape=box_shape,
        roi=roi,
        margin=margin,
        spacing_zyx=spacing_zyx,
        settings=cfg,
        classes=tuple(wanted),
        mono=mono,
        run_angles=run_angles,
        zone_offsets=zone_offsets,
        voxels=roi_voxels(padded),
        segments=segments,
    )


def _encode(
    geometry: TextureGeometry, levels: npt.ArrayLike, n_levels: int | None = None
) -> tuple[npt.NDArray[np.uint16], npt.NDArray[np.int64]]:
    """The coded (padded) ROI box of one image and its level counts (``Ng = len(counts) - 1``)."""
    lv = np.asarray(levels)
    problem = _level_dtype_error(lv)
    if problem is not None:
        raise problem
    if lv.shape != geometry.shape:
        raise InputError(
            "mask and discretised image differ in shape",
            expected=f"mask shape {lv.shape}",
            found=f"{geometry.shape}",
            fix="pass the mask on the same grid as the image",
            field="mask",
        )
    coded, counts = _encode_checked(lv, geometry.roi, geometry.box, geometry.margin)
    high = counts.shape[0] - 1
    if n_levels is not None and n_levels > high:
        counts = np.concatenate([counts, np.zeros(n_levels - high, dtype=np.int64)])
    return coded, counts


def _level_counts(lv: npt.NDArray[Any], roi: npt.NDArray[np.bool_], box: Slices) -> npt.NDArray[np.int64]:
    return _encode_checked(lv, roi, box, 1)[1]


def _encode_checked(
    lv: npt.NDArray[Any], roi: npt.NDArray[np.bool_], box: Slices, margin: int
) -> tuple[npt.NDArray[np.uint16], npt.NDArray[np.int64]]:
    coded, low, high, counts = encode_box(lv, roi, [b.start for b in box], margin)
    if high > MAX_LEVELS:
        raise InputError(
            "too many grey levels for texture matrices",
            expected=f"at most {MAX_LEVELS} grey levels",
            found=f"highest level {high}",
            fix="use a larger bin width or fewer bins",
            field="levels",
        )
    if low < 1:
        raise InputError(
            "grey levels inside the ROI must be >= 1",
            expected="discretised levels 1..Ng",
            found=f"minimum level {low}",
            fix="discretise the image (levels start at 1) before computing texture features",
            field="levels",
        )
    return coded, counts


def texture_features(
    levels: npt.ArrayLike,
    mask: npt.ArrayLike,
    spacing: Sequence[float],
    settings: TextureSettings | None = None,
    classes: Iterable[str] = TEXTURE_CLASSES,
) -> dict[str, float]:
    """Compute PyRadiomics 3.0.1 texture features of a discretised ROI.

    Parameters
    ----------
    levels : array_like of int, shape (z, y, x)
        Discretised grey levels, ``1..Ng`` inside the ROI (values outside the mask are ignored).
    mask : array_like of bool, shape (z, y, x)
        The ROI (after re-segmentation).
    spacing : sequence of 3 float
        Voxel size in mm in SimpleITK order ``(x, y, z)`` (as :attr:`CtVolume.spacing`); used only by
        ``weighting_norm``.
    settings : TextureSettings, optional
        Matrix settings; PyRadiomics' defaults when omitted.
    classes : iterable of str
        Texture classes to compute (any of ``"glcm"``, ``"glrlm"``, ``"glszm"``, ``"gldm"``,
        ``"ngtdm"``).

    Returns
    -------
    dict of str to float
        ``"<class>_<Feature>"`` -> value for every default-enabled feature of the requested classes,
        in PyRadiomics' output order.  A value is NaN where PyRadiomics gives NaN (no ROI voxel has an
        ROI neighbour in any direction).

    Raises
    ------
    InputError
        Wrong array dimension, dtype or shape, invalid spacing, an empty ROI, a level below 1 in the
        ROI, or an ROI that is a single voxel in the texture directions (no direction exists).
    SettingsError
        An unknown class name.
    """
    lv = np.asarray(levels)
    problem = _level_dtype_error(lv)
    if problem is not None:
        raise problem
    geometry = texture_geometry(mask, spacing, settings, classes, shape=lv.shape)
    return texture_features_on(geometry, lv)


def texture_features_on(
    geometry: TextureGeometry, levels: npt.ArrayLike, classes: Iterable[str] | None = None
) -> dict[str, float]:
    """:func:`texture_features` of one image of an ROI prepared by :func:`texture_geometry`.

    Parameters
    ----------
    geometry : TextureGeometry
        The ROI (mask, spacing, settings) prepared once.
    levels : array_like of int, shape ``geometry.shape``
        Discretised grey levels, ``1..Ng`` inside the ROI.
    classes : iterable of str, optional
        A subset of ``geometry.classes`` (default: all of them).

    Returns
    -------
    dict of str to float
        As :func:`texture_features`.

    Raises
    ------
    InputError
        Wrong dimension, dtype or shape of ``levels``, or a level below 1 or above the limit in the ROI.
    SettingsError
        A class the geometry was not prepared for.
    """
    wanted = list(geometry.classes) if classes is None else _check_classes(classes)
    missing = [c for c in wanted if c not in geometry.classes]
    if missing:
        raise SettingsError(
            "the texture geometry was prepared without some requested classes",
            expected="classes among " + ", ".join(geometry.classes),
            found=", ".join(missing),
            fix="pass the classes to texture_geometry",
            field="featureClass",
        )
    coded, counts = _encode(geometry, levels)
    return _compute(coded, geometry, counts, wanted)


def texture_features_per_slice(
    levels: npt.ArrayLike,
    mask: npt.ArrayLike,
    spacing: Sequence[float],
    settings: TextureSettings | None = None,
    classes: Iterable[str] = TEXTURE_CLASSES,
    *,
    n_levels: int | None = None,
) -> dict[str, float]:
    """Texture features of every slice, averaged over slices (IBSI's 2D aggregations).

    PyRadiomics' ``force2D`` merges the slices (IBSI "2.5D"); IBSI's "2D" features are computed slice
    by slice and averaged.  Each slice normal to ``settings.force2d_dimension`` (0: axial) is taken
    as its own 2D ROI with the in-plane directions.  With ``weighting_norm=None`` the GLCM/GLRLM
    features of a slice are averaged over its directions (IBSI "2D, averaged"), with
    ``"no_weighting"`` its direction matrices are merged first (IBSI "2D, slice-merged"); GLSZM, GLDM
    and NGTDM give IBSI "2D".  Slices whose ROI has no in-plane neighbour pair direction (a single
    voxel) are skipped, and NaN slice values are left out of the mean.

    Parameters
    ----------
    levels, mask, spacing, settings, classes
        As :func:`texture_features` (``settings.force2d`` is implied).
    n_levels : int, optional
        ``Ng`` of every slice (GLCM Idmn/Idn); default: the highest level in the whole ROI, so that a
        slice without the top levels is normalised like the others (IBSI uses the discretisation's
        number of bins).

    Returns
    -------
    dict of str to float
        As :func:`texture_features`.

    Raises
    ------
    InputError
        As :func:`texture_features`; also when no slice has an in-plane neighbour pair or ``n_levels``
        is below the highest level.
    """
    cfg = replace(_check_settings(settings), force2d=True)
    wanted = _check_classes(classes)
    lv = np.asarray(levels)
    problem = _level_dtype_error(lv)
    if problem is not None:
        raise problem
    mk_box, box, _ = _check_mask(mask, lv.shape, spacing)
    counts = _level_counts(lv, mk_box, box)
    top = counts.shape[0] - 1
    if n_levels is not None and int(n_levels) < top:
        raise InputError(
            "n_levels is below the highest grey level of the ROI",
            expected=f"n_levels >= {top}",
            found=str(n_levels),
            fix="pass the number of bins of the discretisation, or leave n_levels out",
            field="n_levels",
        )
    ng = top if n_levels is None else int(n_levels)
    axis = cfg.force2d_dimension
    lv_box = np.ascontiguousarray(lv[box])
    values: dict[str, list[float]] = {key: [] for key in feature_keys(wanted)}
    for index in range(mk_box.shape[axis]):
        mk_slice = np.take(mk_box, [index], axis=axis)
        if not mk_slice.any():
            continue
        box_s = tuple(int(c.max() - c.min() + 1) for c in np.nonzero(mk_slice))
        if texture_angles(box_s, (1,), force2d_dimension=axis).shape[0] == 0:
            continue  # a single voxel in this plane: no texture
        lv_slice = np.take(lv_box, [index], axis=axis)
        geometry = texture_geometry(mk_slice, spacing, cfg, wanted, shape=lv_slice.shape)
        coded, counts_s = _encode(geometry, lv_slice, ng)
        for key, value in _compute(coded, geometry, counts_s, wanted).items():
            values[key].append(value)
    if not any(values.values()):
        raise InputError(
            "no slice of the ROI has two voxels to compute 2D texture from",
            expected="at least one slice with 2 or more ROI voxels in a line",
            found=f"ROI over {mk_box.shape[axis]} slices along axis {axis}",
            fix="use 3D (or 2.5D) texture for this ROI",
            field="mask",
        )
    result: dict[str, float] = {}
    for key, per_slice in values.items():
        finite = [v for v in per_slice if not math.isnan(v)]
        result[key] = float(np.mean(finite)) if finite else math.nan
    return result


def _check_settings(settings: TextureSettings | None) -> TextureSettings:
    cfg = settings if settings is not None else TextureSettings()
    if not isinstance(cfg, TextureSettings):
        raise SettingsError(
            "texture settings have the wrong type",
            expected="a TextureSettings instance",
            found=type(cfg).__name__,
            fix="build TextureSettings(...) from the parameter file",
            field="settings",
        )
    return cfg


def _compute(
    coded: npt.NDArray[np.uint16],
    geometry: TextureGeometry,
    counts: npt.NDArray[np.int64],
    wanted: list[str],
) -> dict[str, float]:
    """Features of one coded ROI box; ``Ng = len(counts) - 1`` (may exceed the ROI's highest level)."""
    cfg = geometry.settings
    n_levels = counts.shape[0] - 1
    present = counts[1:] > 0
    mono = geometry.mono
    spacing_zyx = geometry.spacing_zyx
    result: dict[str, float] = {}
    fused = None
    if {"glcm", "gldm", "ngtdm"} & set(wanted):  # one neighbour pass for all three
        fused = neighbour_matrices_coded(coded, n_levels, mono, cfg.gldm_a)
    with np.errstate(divide="ignore", invalid="ignore"), _single_threaded_blas():
        for cls in wanted:
            if cls == "glcm":
                assert fused is not None
                values = glcm_features(fused[0], present, mono, spacing_zyx, cfg)
            elif cls == "glrlm":
                assert geometry.segments is not None
                n_runs = max(geometry.box_shape)
                raw = glrlm_from_segments(coded, geometry.run_angles, geometry.segments, n_levels, n_runs)
                values = glrlm_features(raw, present, geometry.run_angles, spacing_zyx, cfg.weighting_norm)
            elif cls == "glszm":
                zones, sizes = glszm_from_coded(coded, geometry.voxels, geometry.zone_offsets, n_levels)
                values = glszm_features(zones, sizes, present)
            elif cls == "gldm":
                assert fused is not None
                values = gldm_features(fused[1], present)
            else:
                assert fused is not None
                values = ngtdm_features(fused[2])
            for name in FEATURE_NAMES[cls]:
                result[f"{cls}_{name}"] = float(values[name])
    return result


def warm_up() -> None:
    """Compile (or load from Numba's cache) every texture kernel on a tiny volume.

    Call it once off the GUI thread at start-up so that the first real extraction does not pay the
    JIT cost.
    """
    levels = np.array([[[1, 2, 2], [1, 3, 2], [3, 3, 1]], [[2, 2, 1], [3, 1, 1], [2, 3, 3]]], dtype=np.int32)
    mask = np.ones(levels.shape, dtype=bool)
    texture_features(levels, mask, (1.0, 1.0, 1.0), TextureSettings())


# ----------------------------------------------------------------------------------------------------
# helpers


def _angle_mean(values: FloatArray) -> float:
    """Mean over directions ignoring NaN (PyRadiomics' ``nanmean``); NaN when nothing is left."""
    finite = values[~np.isnan(values)]
    if finite.size == 0:
        return math.nan
    return float(np.mean(finite))


def _direction_lengths(angles: npt.NDArray[np.int64], spacing_zyx: FloatArray, norm: str) -> FloatArray:
    """Length in mm of each direction under the given norm (1 for ``no_weighting``)."""
    steps = np.abs(angles).astype(np.float64) * spacing_zyx[None, :]
    if norm == "infinity":
        return np.asarray(steps.max(axis=1), dtype=np.float64)
    if norm == "euclidean":
        return np.asarray(np.sqrt(np.sum(steps**2, axis=1)), dtype=np.float64)
    if norm == "manhattan":
        return np.asarray(steps.sum(axis=1), dtype=np.float64)
    return np.ones(angles.shape[0], dtype=np.float64)


def _drop_empty_directions(matrices: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Drop all-zero direction matrices (when more than one); return matrices and sums (0 -> NaN)."""
    sums = matrices.reshape(matrices.shape[0], -1).sum(axis=1)
    if matrices.shape[0] > 1:
        keep = sums != 0
        matrices = matrices[keep]
        sums = sums[keep]
    sums = np.where(sums == 0, np.nan, sums)
    return matrices, sums


def _entropy(p: FloatArray, axes: tuple[int, ...]) -> FloatArray:
    return np.asarray(-np.sum(p * np.log2(p + EPS), axis=axes), dtype=np.float64)


# ----------------------------------------------------------------------------------------------------
# GLCM


def glcm_features(
    raw: FloatArray,
    present: npt.NDArray[np.bool_],
    angles: npt.NDArray[np.int64],
    spacing_zyx: FloatArray,
    settings: TextureSettings,
) -> dict[str, float]:
    """GLCM features from the raw per-direction count matrices.

    Parameters
    ----------
    raw : ndarray, shape (Na, Ng, Ng)
        Asymmetrical co-occurrence counts (:func:`kernels.glcm.glcm_matrices`).
    present : ndarray of bool, shape (Ng,)
        Which grey levels occur in the ROI.
    angles : ndarray of int, shape (Na, 3)
        The directions of ``raw``.
    spacing_zyx : ndarray, shape (3,)
        Voxel size in mm in array order (z, y, x).
    settings : TextureSettings
        ``symmetrical_glcm`` and ``weighting_norm`` are used.

    Returns
    -------
    dict of str to float
        The 24 GLCM features by PyRadiomics name.
    """
    n_levels = raw.shape[1]
    p = raw[:, present][:, :, present]
    if settings.symmetrical_glcm:
        p = p + p.transpose(0, 2, 1)
    if settings.weighting_norm is not None:
        weights = np.exp(-(_direction_lengths(angles, spacing_zyx, settings.weighting_norm) ** 2))
        if settings.weighting_norm == "no_weighting":
            weights = np.ones_like(weights)
        p = np.tensordot(weights, p, axes=(0, 0))[None]
    p, sums = _drop_empty_directions(p)
    p = p / sums[:, None, None]
    n_dir = p.shape[0]
    if n_dir == 0:
        return dict.fromkeys(FEATURE_NAMES["glcm"], math.nan)

    g = np.flatnonzero(present).astype(np.float64) + 1.0
    px = p.sum(axis=2)  # (Na, G)
    py = p.sum(axis=1)
    ux = px @ g  # (Na,)
    uy = py @ g
    sum_index = (g[:, None] + g[None, :] - 2.0).astype(np.int64).ravel()
    diff_index = np.abs(g[:, None] - g[None, :]).astype(np.int64).ravel()
    flat = p.reshape(n_dir, -1)
    p_sum: FloatArray = np.stack(
        [np.bincount(sum_index, weights=row, minlength=2 * n_levels - 1) for row in flat]
    )
    p_diff: FloatArray = np.stack([np.bincount(diff_index, weights=row, minlength=n_levels) for row in flat])
    k_sum = np.arange(2, 2 * n_levels + 1, dtype=np.float64)
    k_diff = np.arange(0, n_levels, dtype=np.float64)
    hxy = _entropy(p, (1, 2))

    out: dict[str, float] = {}
    # sums over (i, j) that depend on i + j or |i - j| only are taken over p_sum / p_diff (same terms)
    out["Autocorrelation"] = _angle_mean(np.einsum("i,aij,j->a", g, p, g))
    out["JointAverage"] = float(np.mean(ux))
    centred = k_sum[None, :] - (ux + uy)[:, None]
    out["ClusterProminence"] = _angle_mean(np.sum(p_sum * centred**4, axis=1))
    out["ClusterShade"] = _angle_mean(np.sum(p_sum * centred**3, axis=1))
    out["ClusterTendency"] = _angle_mean(np.sum(p_sum * centred**2, axis=1))
    out["Contrast"] = _angle_mean(p_diff @ k_diff**2)
    dx = g[None, :] - ux[:, None]  # (Na, G)
    dy = g[None, :] - uy[:, None]
    sum_squares = np.sum(px * dx**2, axis=1)
    sig_x = np.sqrt(sum_squares)
    sig_y = np.sqrt(np.sum(py * dy**2, axis=1))
    cov = np.einsum("ai,aij,aj->a", dx, p, dy)
    corr = cov / (sig_x * sig_y + EPS)
    corr[sig_x * sig_y == 0] = 1.0
    out["Correlation"] = _angle_mean(corr)
    diff_avg = p_diff @ k_diff
    out["DifferenceAverage"] = _angle_mean(diff_avg)
    out["DifferenceEntropy"] = _angle_mean(_entropy(p_diff, (1,)))
    out["DifferenceVariance"] = _angle_mean(
        np.sum(p_diff * (k_diff[None, :] - diff_avg[:, None]) ** 2, axis=1)
    )
    out["JointEnergy"] = _angle_mean(np.sum(p**2, axis=(1, 2)))
    out["JointEntropy"] = _angle_mean(hxy)
    hx = _entropy(px, (1,))
    hy = _entropy(py, (1,))
    pxpy = px[:, :, None] * py[:, None, :]
    hxy1 = -np.sum(p * np.log2(pxpy + EPS), axis=(1, 2))
    hxy2 = _entropy(pxpy, (1, 2))
    div = np.fmax(hx, hy)
    imc1 = np.where(div != 0, (hxy - hxy1) / np.where(div != 0, div, 1.0), 0.0)
    out["Imc1"] = _angle_mean(imc1)
    imc2 = np.sqrt(1.0 - np.exp(-2.0 * (hxy2 - hxy)))
    imc2[hxy2 == hxy] = 0.0
    out["Imc2"] = _angle_mean(imc2)
    out["Idm"] = _angle_mean(p_diff @ (1.0 / (1.0 + k_diff**2)))
    out["MCC"] = _glcm_mcc(p, px, py)
    out["Idmn"] = _angle_mean(p_diff @ (1.0 / (1.0 + k_diff**2 / n_levels**2)))
    out["Id"] = _angle_mean(p_diff @ (1.0 / (1.0 + k_diff)))
    out["Idn"] = _angle_mean(p_diff @ (1.0 / (1.0 + k_diff / n_levels)))
    out["InverseVariance"] = _angle_mean(p_diff[:, 1:] @ (1.0 / k_diff[1:] ** 2))
    out["MaximumProbability"] = _angle_mean(p.reshape(n_dir, -1).max(axis=1))
    out["SumAverage"] = _angle_mean(p_sum @ k_sum)
    out["SumEntropy"] = _angle_mean(_entropy(p_sum, (1,)))
    out["SumSquares"] = _angle_mean(sum_squares)
    return out


def _glcm_mcc(p: FloatArray, px: FloatArray, py: FloatArray) -> float:
    """Maximal correlation coefficient, averaged over directions; 1 for a single grey level (flat region).

    PyRadiomics takes the square root of the second largest eigenvalue of
    ``Q[i, j] = sum_k p[i, k] p[j, k] / (px[i] py[k] + eps)`` (general eigenvalue solver).  Without
    ``eps``, ``S = Dx^(1/2) Q Dx^(-1/2)`` (``Dx = diag(px)``) is symmetric positive semi-definite;
    with ``eps`` it is symmetric up to a tiny skew part, which moves no eigenvalue to first order.  So
    the eigenvalues come from a symmetric solver on ``(S + S^T) / 2``: faster, no spurious imaginary
    parts, and equal to PyRadiomics' up to rounding and second-order ``eps`` terms.
    """
    if np.isnan(p).any():
        return math.nan  # an empty single direction: PyRadiomics' eigenvalue solver fails -> NaN
    if p.shape[1] < 2:
        return 1.0
    q = (p / (px[:, :, None] * py[:, None, :] + EPS)) @ p.transpose(0, 2, 1)
    root = np.sqrt(px)
    inv_root = np.where(px > 0, 1.0 / np.where(px > 0, root, 1.0), 0.0)
    s = root[:, :, None] * q * inv_root[:, None, :]
    eig = np.linalg.eigvalsh(0.5 * (s + s.transpose(0, 2, 1)))  # ascending
    second = np.sqrt(eig[:, -2])
    return _angle_mean(second)


# ----------------------------------------------------------------------------------------------------
# GLRLM


def glrlm_features(
    raw: FloatArray,
    present: npt.NDArray[np.bool_],
    angles: npt.NDArray[np.int64],
    spacing_zyx: FloatArray,
    weighting_norm: str | None,
) -> dict[str, float]:
    """GLRLM features from the raw per-direction run-length matrices.

    Parameters
    ----------
    raw : ndarray, shape (Na, Ng, Nr)
        Run counts (:func:`kernels.glrlm.glrlm_matrices`).
    present : ndarray of bool, shape (Ng,)
        Which grey levels occur in the ROI.
    angles : ndarray of int, shape (Na, 3)
        The directions of ``raw``.
    spacing_zyx : ndarray, shape (3,)
        Voxel size in mm in array order (z, y, x).
    weighting_norm : str or None
        PyRadiomics ``weightingNorm``.

    Returns
    -------
    dict of str to float
        The 16 GLRLM features by PyRadiomics name.
    """
    p = raw[:, present]
    if weighting_norm is not None:
        weights = _direction_lengths(angles, spacing_zyx, weighting_norm)
        p = np.tensordot(weights, p, axes=(0, 0))[None]
    p, n_runs = _drop_empty_directions(p)
    if p.shape[0] == 0:
        return dict.fromkeys(FEATURE_NAMES["glrlm"], math.nan)
    pr = p.sum(axis=1)  # (Na, Nr)
    pg = p.sum(axis=2)  # (Na, G)
    i = np.flatnonzero(present).astype(np.float64) + 1.0
    j = np.arange(1, p.shape[2] + 1, dtype=np.float64)
    used = pr.sum(axis=0) != 0
    p = p[:, :, used]
    pr = pr[:, used]
    j = j[used]
    i2 = (i**2)[None, :, None]
    j2 = (j**2)[None, None, :]
    nr = n_runs

    out: dict[str, float] = {}
    out["ShortRunEmphasis"] = _angle_mean((pr @ (1.0 / j**2)) / nr)
    out["LongRunEmphasis"] = _angle_mean((pr @ j**2) / nr)
    out["GrayLevelNonUniformity"] = _angle_mean(np.sum(pg**2, axis=1) / nr)
    out["GrayLevelNonUniformityNormalized"] = _angle_mean(np.sum(pg**2, axis=1) / nr**2)
    out["RunLengthNonUniformity"] = _angle_mean(np.sum(pr**2, axis=1) / nr)
    out["RunLengthNonUniformityNormalized"] = _angle_mean(np.sum(pr**2, axis=1) / nr**2)
    out["RunPercentage"] = _angle_mean(nr / (pr @ j))
    pg_n = pg / nr[:, None]
    mu_i = pg_n @ i
    out["GrayLevelVariance"] = _angle_mean(np.sum(pg_n * (i[None, :] - mu_i[:, None]) ** 2, axis=1))
    pr_n = pr / nr[:, None]
    mu_j = pr_n @ j
    out["RunVariance"] = _angle_mean(np.sum(pr_n * (j[None, :] - mu_j[:, None]) ** 2, axis=1))
    out["RunEntropy"] = _angle_mean(_entropy(p / nr[:, None, None], (1, 2)))
    out["LowGrayLevelRunEmphasis"] = _angle_mean((pg @ (1.0 / i**2)) / nr)
    out["HighGrayLevelRunEmphasis"] = _angle_mean((pg @ i**2) / nr)
    out["ShortRunLowGrayLevelEmphasis"] = _angle_mean(np.sum(p / (i2 * j2), axis=(1, 2)) / nr)
    out["ShortRunHighGrayLevelEmphasis"] = _angle_mean(np.sum(p * i2 / j2, axis=(1, 2)) / nr)
    out["LongRunLowGrayLevelEmphasis"] = _angle_mean(np.sum(p * j2 / i2, axis=(1, 2)) / nr)
    out["LongRunHighGrayLevelEmphasis"] = _angle_mean(np.sum(p * (j2 * i2), axis=(1, 2)) / nr)
    return out


# ----------------------------------------------------------------------------------------------------
# GLSZM and GLDM (one matrix, grey level x size / dependence)


def _size_matrix_features(p: FloatArray, i: FloatArray, j: FloatArray, prefix: str) -> dict[str, float]:
    """Features shared by GLSZM and GLDM on a (grey level x size) matrix with level numbers ``i`` and sizes ``j``."""
    ps = p.sum(axis=0)
    pg = p.sum(axis=1)
    total = float(p.sum())
    total = total if total != 0 else 1.0
    n_voxels = float(ps @ j)
    n_voxels = n_voxels if n_voxels != 0 else 1.0
    used = ps != 0
    p = p[:, used]
    ps = ps[used]
    j = j[used]
    i2 = (i**2)[:, None]
    j2 = (j**2)[None, :]
    pg_n = pg / total
    ps_n = ps / total
    mu_i = float(pg_n @ i)
    mu_j = float(ps_n @ j)
    return {
        f"{prefix}small": float(ps @ (1.0 / j**2) / total),
        f"{prefix}large": float(ps @ j**2 / total),
        f"{prefix}gln": float(np.sum(pg**2) / total),
        f"{prefix}glnn": float(np.sum(pg**2) / total**2),
        f"{prefix}sn": float(np.sum(ps**2) / total),
        f"{prefix}snn": float(np.sum(ps**2) / total**2),
        f"{prefix}percentage": total / n_voxels,
        f"{prefix}glv": float(np.sum(pg_n * (i - mu_i) ** 2)),
        f"{prefix}sv": float(np.sum(ps_n * (j - mu_j) ** 2)),
        f"{prefix}entropy": float(_entropy(p / total, (0, 1))),
        f"{prefix}lgl": float(pg @ (1.0 / i**2) / total),
        f"{prefix}hgl": float(pg @ i**2 / total),
        f"{prefix}slgl": float(np.sum(p / (i2 * j2)) / total),
        f"{prefix}shgl": float(np.sum(p * i2 / j2) / total),
        f"{prefix}llgl": float(np.sum(p * j2 / i2) / total),
        f"{prefix}lhgl": float(np.sum(p * (i2 * j2)) / total),
    }


def glszm_features(
    raw: FloatArray, sizes: npt.NDArray[np.int64], present: npt.NDArray[np.bool_]
) -> dict[str, float]:
    """GLSZM features from the zone-count matrix.

    Parameters
    ----------
    raw : ndarray, shape (Ng, Ns)
        Zone counts per level and occurring zone size (:func:`kernels.glszm.glszm_matrix`).
    sizes : ndarray of int, shape (Ns,)
        The zone size of each column.
    present : ndarray of bool, shape (Ng,)
        Which grey levels occur in the ROI.

    Returns
    -------
    dict of str to float
        The 16 GLSZM features by PyRadiomics name.
    """
    i = np.flatnonzero(present).astype(np.float64) + 1.0
    v = _size_matrix_features(raw[present], i, sizes.astype(np.float64), "")
    return {
        "SmallAreaEmphasis": v["small"],
        "LargeAreaEmphasis": v["large"],
        "GrayLevelNonUniformity": v["gln"],
        "GrayLevelNonUniformityNormalized": v["glnn"],
        "SizeZoneNonUniformity": v["sn"],
        "SizeZoneNonUniformityNormalized": v["snn"],
        "ZonePercentage": v["percentage"],
        "GrayLevelVariance": v["glv"],
        "ZoneVariance": v["sv"],
        "ZoneEntropy": v["entropy"],
        "LowGrayLevelZoneEmphasis": v["lgl"],
        "HighGrayLevelZoneEmphasis": v["hgl"],
        "SmallAreaLowGrayLevelEmphasis": v["slgl"],
        "SmallAreaHighGrayLevelEmphasis": v["shgl"],
        "LargeAreaLowGrayLevelEmphasis": v["llgl"],
        "LargeAreaHighGrayLevelEmphasis": v["lhgl"],
    }


def gldm_features(raw: FloatArray, present: npt.NDArray[np.bool_]) -> dict[str, float]:
    """GLDM features from the dependence-count matrix.

    Parameters
    ----------
    raw : ndarray, shape (Ng, Nd)
        Dependence counts (:func:`kernels.gldm.gldm_matrix`); column ``k`` = ``k`` dependent neighbours.
    present : ndarray of bool, shape (Ng,)
        Which grey levels occur in the ROI.

    Returns
    -------
    dict of str to float
        The 14 GLDM features by PyRadiomics name.
    """
    i = np.flatnonzero(present).astype(np.float64) + 1.0
    j = np.arange(1, raw.shape[1] + 1, dtype=np.float64)
    v = _size_matrix_features(raw[present], i, j, "")
    return {
        "SmallDependenceEmphasis": v["small"],
        "LargeDependenceEmphasis": v["large"],
        "GrayLevelNonUniformity": v["gln"],
        "DependenceNonUniformity": v["sn"],
        "DependenceNonUniformityNormalized": v["snn"],
        "GrayLevelVariance": v["glv"],
        "DependenceVariance": v["sv"],
        "DependenceEntropy": v["entropy"],
        "LowGrayLevelEmphasis": v["lgl"],
        "HighGrayLevelEmphasis": v["hgl"],
        "SmallDependenceLowGrayLevelEmphasis": v["slgl"],
        "SmallDependenceHighGrayLevelEmphasis": v["shgl"],
        "LargeDependenceLowGrayLevelEmphasis": v["llgl"],
        "LargeDependenceHighGrayLevelEmphasis": v["lhgl"],
    }


# ----------------------------------------------------------------------------------------------------
# NGTDM


def ngtdm_features(raw: FloatArray) -> dict[str, float]:
    """NGTDM features from the (count, sum of differences) matrix.

    Parameters
    ----------
    raw : ndarray, shape (Ng, 2)
        ``n_i`` and ``s_i`` per grey level (:func:`kernels.ngtdm.ngtdm_matrix`).

    Returns
    -------
    dict of str to float
        The 5 NGTDM features by PyRadiomics name.
    """
    keep = raw[:, 0] != 0
    n = raw[keep, 0]
    s = raw[keep, 1]
    i = np.flatnonzero(keep).astype(np.float64) + 1.0
    n_vp = float(n.sum())
    p = n / n_vp
    n_gp = int(np.count_nonzero(p > 0))
    ps = p * s
    sum_ps = float(ps.sum())
    sum_s = float(s.sum())
    di = i[:, None] - i[None, :]
    out: dict[str, float] = {}
    out["Coarseness"] = 1.0 / sum_ps if sum_ps != 0 else 1e6
    pair = n_gp * (n_gp - 1)
    contrast = float(np.sum(p[:, None] * p[None, :] * di**2)) * sum_s / n_vp
    out["Contrast"] = contrast / pair if pair != 0 else 0.0
    ip = i * p
    busy_den = float(np.sum(np.abs(ip[:, None] - ip[None, :])))
    out["Busyness"] = sum_ps / busy_den if busy_den != 0 else 0.0
    p_pair = p[:, None] + p[None, :]
    out["Complexity"] = float(np.sum(np.abs(di) * (ps[:, None] + ps[None, :]) / p_pair)) / n_vp
    strength = float(np.sum(p_pair * di**2))
    out["Strength"] = strength / sum_s if sum_s != 0 else 0.0
    return out

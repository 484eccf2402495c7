"""Extraction settings: PyRadiomics parameter files (YAML or dict) -> one frozen, validated settings object.

The file format is PyRadiomics' (``imageType``, ``featureClass``, ``setting``, ``voxelSetting``); every key is
checked and an unknown key is a :class:`~hsp_desktop.errors.SettingsError` that names the key and lists the valid
ones.  ``mode`` chooses the preprocessing: ``"pyradiomics"`` (reproduce PyRadiomics 3) or ``"ibsi"`` (IBSI-1),
see ``docs/RADIOMICS.md``.

Accepted for compatibility without changing any number: ``preCrop`` (we always work on the ROI box) and
``additionalInfo`` (diagnostics are kept in ``FeatureVector.settings["diagnostics"]``, never as feature columns).
``correctMask`` resamples a mask that is off the CT grid (nearest neighbour) instead of refusing it.
In ``ibsi`` mode ``removeOutliers`` without ``normalize`` is IBSI's outlier filter (ROI mean +- n SD, after the
re-segmentation range).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from hsp_desktop.errors import SettingsError

__all__ = [
    "FEATURE_CLASSES",
    "IMAGE_TYPES",
    "SETTING_KEYS",
    "ExtractionSettings",
    "load_params",
]

#: Image types and the names PyRadiomics uses for them in feature names.
IMAGE_TYPES: tuple[str, ...] = (
    "Original",
    "LoG",
    "Wavelet",
    "Square",
    "SquareRoot",
    "Logarithm",
    "Exponential",
    "Gradient",
)
#: Feature classes, in PyRadiomics' output order.
FEATURE_CLASSES: tuple[str, ...] = (
    "shape",
    "shape2D",
    "firstorder",
    "glcm",
    "glrlm",
    "glszm",
    "gldm",
    "ngtdm",
)

#: PyRadiomics setting key -> ExtractionSettings attribute.
SETTING_KEYS: dict[str, str] = {
    "binWidth": "bin_width",
    "binCount": "bin_count",
    "resampledPixelSpacing": "resampled_spacing",
    "interpolator": "interpolator",
    "padDistance": "pad_distance",
    "normalize": "normalize",
    "normalizeScale": "normalize_scale",
    "removeOutliers": "remove_outliers",
    "resegmentRange": "resegment_range",
    "resegmentMode": "resegment_mode",
    "resegmentShape": "resegment_shape",
    "force2D": "force2d",
    "force2Ddimension": "force2d_dimension",
    "label": "label",
    "distances": "distances",
    "weightingNorm": "weighting_norm",
    "symmetricalGLCM": "symmetrical_glcm",
    "gldm_a": "gldm_a",
    "voxelArrayShift": "voxel_array_shift",
    "minimumROIDimensions": "minimum_roi_dimensions",
    "minimumROISize": "minimum_roi_size",
    "correctMask": "correct_mask",
    "geometryTolerance": "geometry_tolerance",
    "sigma": "sigma",
    "wavelet": "wavelet",
    "start_level": "start_level",
    "level": "level",
    "preCrop": "pre_crop",
    "additionalInfo": "additional_info",
    "gradientUseSpacing": "gradient_use_spacing",
    "mode": "mode",
}
#: Settings that an image type may override (``imageType: {LoG: {sigma: [1, 2], binWidth: 5}}``).
IMAGE_TYPE_KEYS: frozenset[str] = frozenset(
    {
        "binWidth",
        "binCount",
        "sigma",
        "wavelet",
        "start_level",
        "level",
        "gradientUseSpacing",
        "voxelArrayShift",
        "resegmentRange",
        "resegmentMode",
        "distances",
        "weightingNorm",
        "symmetricalGLCM",
        "gldm_a",
        "force2D",
        "force2Ddimension",
    }
)
INTERPOLATORS: tuple[str, ...] = ("sitkLinear", "sitkNearestNeighbor", "sitkBSpline")
_TOP_KEYS = ("imageType", "featureClass", "setting", "voxelSetting")


def _err(key: str, expected: str, found: Any, fix: str) -> SettingsError:
    return SettingsError(
        f"invalid value for setting {key!r}", expected=expected, found=repr(found), fix=fix, field=key
    )


def _unknown(key: str, where: str, valid: Any) -> SettingsError:
    return SettingsError(
        f"unknown key {key!r} in {where}",
        expected="one of " + ", ".join(sorted(valid)),
        found=repr(key),
        fix="correct the spelling or remove the key (PyRadiomics parameter-file names, case-sensitive)",
        field=key,
    )


@dataclass(frozen=True)
class ExtractionSettings:
    """Validated radiomics extraction settings (PyRadiomics parameter names in :data:`SETTING_KEYS`).

    ``image_types`` maps an image type to its own setting overrides (PyRadiomics ``imageType`` section);
    ``feature_classes`` maps a class to the feature names asked for (empty tuple: all default features).
    """

    image_types: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...] = (("Original", ()),)
    feature_classes: tuple[tuple[str, tuple[str, ...]], ...] = (
        ("shape", ()),
        ("firstorder", ()),
        ("glcm", ()),
        ("glrlm", ()),
        ("glszm", ()),
        ("gldm", ()),
        ("ngtdm", ()),
    )
    mode: str = "pyradiomics"
    bin_width: float = 25.0
    bin_count: int | None = None
    resampled_spacing: tuple[float, float, float] | None = None
    interpolator: str = "sitkBSpline"
    pad_distance: int = 5
    normalize: bool = False
    normalize_scale: float = 1.0
    remove_outliers: float | None = None
    resegment_range: tuple[float, ...] | None = None
    resegment_mode: str = "absolute"
    resegment_shape: bool = False
    force2d: bool = False
    force2d_dimension: int = 0
    label: int = 1
    distances: tuple[int, ...] = (1,)
    weighting_norm: str | None = None
    symmetrical_glcm: bool = True
    gldm_a: int = 0
    voxel_array_shift: float = 0.0
    minimum_roi_dimensions: int = 2
    minimum_roi_size: int | None = None
    correct_mask: bool = False
    geometry_tolerance: float | None = None
    sigma: tuple[float | int, ...] = ()
    wavelet: str = "coif1"
    start_level: int = 0
    level: int = 1
    pre_crop: bool = False
    additional_info: bool = False
    gradient_use_spacing: bool = True
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        _validate(self)

    # -- helpers --------------------------------------------------------------------------------------------
    def classes(self) -> dict[str, tuple[str, ...]]:
        """Enabled feature classes -> requested names (empty: all)."""
        return dict(self.feature_classes)

    def for_image_type(self, name: str) -> ExtractionSettings:
        """Settings with the overrides of image type ``name`` applied."""
        overrides = dict(dict(self.image_types).get(name, ()))
        if not overrides:
            return self
        return replace(self, **{SETTING_KEYS[k]: _coerce(k, v) for k, v in overrides.items()})

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly form in PyRadiomics' parameter-file layout (kept with the features)."""
        plain = asdict(self)
        setting = {key: plain[attr] for key, attr in SETTING_KEYS.items()}
        return {
            "imageType": {name: dict(kw) for name, kw in self.image_types},
            "featureClass": {name: list(names) for name, names in self.feature_classes},
            "setting": setting,
        }


def _validate(s: ExtractionSettings) -> None:
    if s.mode not in ("pyradiomics", "ibsi"):
        raise _err("mode", "'pyradiomics' or 'ibsi'", s.mode, "use --mode pyradiomics or --mode ibsi")
    if s.bin_count is None and not s.bin_width > 0:
        raise _err("binWidth", "a number > 0", s.bin_width, "use e.g. binWidth: 25")
    if s.bin_count is not None and (isinstance(s.bin_count, bool) or int(s.bin_count) < 1):
        raise _err("binCount", "an integer >= 1", s.bin_count, "use e.g. binCount: 32, or remove binCount")
    if s.resampled_spacing is not None:
        if len(s.resampled_spacing) != 3 or any(v < 0 for v in s.resampled_spacing):
            raise _err(
                "resampledPixelSpacing",
                "3 spacings >= 0 in mm (x, y, z; 0 keeps the original)",
                s.resampled_spacing,
                "use e.g. resampledPixelSpacing: [1, 1, 1]",
            )
    if s.interpolator not in INTERPOLATORS:
        raise _err("interpolator", "one of " + ", ".join(INTERPOLATORS), s.interpolator, "use sitkLinear")
    if s.pad_distance < 0:
        raise _err("padDistance", "an integer >= 0", s.pad_distance, "use padDistance: 5")
    if s.remove_outliers is not None and not s.remove_outliers > 0:
        raise _err("removeOutliers", "a number > 0 (standard deviations)", s.remove_outliers, "use e.g. 3")
    if s.resegment_range is not None and len(s.resegment_range) not in (1, 2):
        raise _err(
            "resegmentRange", "1 or 2 numbers", s.resegment_range, "use e.g. resegmentRange: [-100, 300]"
        )
    if s.resegment_mode not in ("absolute", "relative", "sigma"):
        raise _err("resegmentMode", "'absolute', 'relative' or 'sigma'", s.resegment_mode, "use absolute")
    if s.force2d_dimension not in (0, 1, 2):
        raise _err("force2Ddimension", "0, 1 or 2", s.force2d_dimension, "use 0 (axial)")
    if s.weighting_norm not in (None, "manhattan", "euclidean", "infinity", "no_weighting"):
        raise _err(
            "weightingNorm",
            "one of manhattan, euclidean, infinity, no_weighting",
            s.weighting_norm,
            "remove the key or use a listed norm",
        )
    if not s.distances or any(int(d) < 1 for d in s.distances):
        raise _err("distances", "positive integers", s.distances, "use distances: [1]")
    if s.minimum_roi_dimensions not in (1, 2, 3):
        raise _err("minimumROIDimensions", "1, 2 or 3", s.minimum_roi_dimensions, "use 2")
    if any(not v > 0 for v in s.sigma):
        raise _err("sigma", "LoG sigmas > 0 in mm", s.sigma, "use e.g. sigma: [1, 2, 3]")
    if s.level < 1 or s.start_level < 0:
        raise _err("level", "level >= 1 and start_level >= 0", (s.start_level, s.level), "use level: 1")
    try:
        import pywt

        if s.wavelet not in pywt.wavelist(kind="discrete"):
            raise _err(
                "wavelet", "a discrete PyWavelets name (e.g. coif1, haar, db2)", s.wavelet, "use coif1"
            )
    except ImportError:  # pragma: no cover - PyWavelets is a dependency
        pass
    names = [n for n, _ in s.image_types]
    for name in names:
        if name not in IMAGE_TYPES:
            raise _unknown(name, "imageType", IMAGE_TYPES)
    for name, _ in s.feature_classes:
        if name not in FEATURE_CLASSES:
            raise _unknown(name, "featureClass", FEATURE_CLASSES)


def _as_float_tuple(key: str, value: Any) -> tuple[float, ...]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (float(value),)
    if not isinstance(value, (list, tuple)) or any(
        isinstance(v, bool) or not isinstance(v, (int, float)) for v in value
    ):
        raise _err(key, "a list of numbers", value, f"write {key}: [..] with numbers")
    return tuple(float(v) for v in value)


def _coerce(key: str, value: Any) -> Any:
    """Convert one PyRadiomics setting to the attribute's type (typed errors on wrong types)."""
    if key in ("binWidth", "normalizeScale", "voxelArrayShift"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _err(key, "a number", value, f"write {key} as a number")
        return float(value)
    if key in ("removeOutliers", "geometryTolerance"):
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _err(key, "a number or null", value, f"write {key} as a number")
        return float(value)
    if key in ("binCount", "minimumROISize"):
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise _err(key, "an integer or null", value, f"write {key} as a whole number")
        return int(value)
    if key in (
        "padDistance",
        "force2Ddimension",
        "label",
        "gldm_a",
        "minimumROIDimensions",
        "start_level",
        "level",
    ):
        if isinstance(value, bool) or not isinstance(value, int):
            raise _err(key, "an integer", value, f"write {key} as a whole number")
        return int(value)
    if key in (
        "normalize",
        "resegmentShape",
        "force2D",
        "symmetricalGLCM",
        "correctMask",
        "preCrop",
        "additionalInfo",
        "gradientUseSpacing",
    ):
        if not isinstance(value, bool):
            raise _err(key, "true or false", value, f"write {key}: true or {key}: false")
        return value
    if key == "resampledPixelSpacing":
        if value is None:
            return None
        spacing = _as_float_tuple(key, value)
        if len(spacing) != 3:
            raise _err(key, "3 numbers (x, y, z)", value, "use e.g. resampledPixelSpacing: [1, 1, 1]")
        return spacing
    if key == "resegmentRange":
        return None if value is None else _as_float_tuple(key, value)
    if key == "sigma":
        _as_float_tuple(key, value)
        # keep 2 vs 2.0 as written: PyRadiomics' image-type names use str(sigma) ("log-sigma-2-0-mm-3D")
        return tuple(value) if isinstance(value, (list, tuple)) else (value,)
    if key == "distances":
        if isinstance(value, int) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, (list, tuple)) or any(
            isinstance(v, bool) or not isinstance(v, int) for v in value
        ):
            raise _err(key, "a list of integers", value, "use distances: [1]")
        return tuple(int(v) for v in value)
    if key in ("interpolator", "resegmentMode", "wavelet", "mode"):
        if not isinstance(value, str):
            raise _err(key, "a name", value, f"write {key} as text")
        return value
    if key == "weightingNorm":
        if value is not None and not isinstance(value, str):
            raise _err(key, "a norm name or null", value, "use e.g. weightingNorm: euclidean")
        return value
    raise _unknown(key, "setting", SETTING_KEYS)  # pragma: no cover - callers check keys first


def _read_yaml(path: Path) -> dict[str, Any]:
    import yaml

    if not path.is_file():
        raise SettingsError(
            "parameter file not found",
            expected="an existing YAML file",
            found=str(path),
            fix="check the --params path",
            field="params",
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SettingsError(
            f"parameter file {path} is not valid YAML",
            expected="PyRadiomics YAML",
            found=str(exc).splitlines()[0],
            fix="fix the YAML syntax",
            field="params",
        ) from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SettingsError(
            f"parameter file {path} is not a mapping",
            expected="sections imageType/featureClass/setting",
            found=type(data).__name__,
            fix="use PyRadiomics' parameter-file layout",
            field="params",
        )
    return data


def load_params(
    params: ExtractionSettings | Mapping[str, Any] | Path | str | None = None, *, mode: str | None = None
) -> ExtractionSettings:
    """Read PyRadiomics parameters into :class:`ExtractionSettings`.

    Parameters
    ----------
    params : ExtractionSettings, mapping, path or None
        A parameter file (YAML), its content as a dict, settings already built, or ``None`` for PyRadiomics'
        defaults (Original image, all classes but shape2D).
    mode : {"pyradiomics", "ibsi"}, optional
        Overrides the ``mode`` in the file.

    Returns
    -------
    ExtractionSettings

    Raises
    ------
    SettingsError
        Unknown section, setting, image type, feature class or feature name (the message lists the valid
        ones), or a value of the wrong type or range.
    """
    if isinstance(params, ExtractionSettings):
        return params if mode is None else replace(params, mode=mode)
    if params is None:
        data: dict[str, Any] = {}
    elif isinstance(params, (str, Path)):
        data = _read_yaml(Path(params))
    elif isinstance(params, Mapping):
        data = dict(params)
    else:
        raise SettingsError(
            "settings have the wrong type",
            expected="a YAML path, a dict or ExtractionSettings",
            found=type(params).__name__,
            fix="pass the parameter file path",
            field="params",
        )
    for key in data:
        if key not in _TOP_KEYS:
            raise _unknown(str(key), "the parameter file (top level)", _TOP_KEYS)
    kwargs: dict[str, Any] = {}
    for section in ("setting", "voxelSetting"):
        values = data.get(section) or {}
        if not isinstance(values, Mapping):
            raise _err(section, "a mapping of settings", values, f"write {section}: as key: value lines")
        for key, value in values.items():
            if key not in SETTING_KEYS:
                raise _unknown(str(key), section, SETTING_KEYS)
            kwargs[SETTING_KEYS[key]] = _coerce(key, value)
    image_types = data.get("imageType") or {}
    if not isinstance(image_types, Mapping):
        raise _err("imageType", "a mapping of image types", image_types, "write imageType: {Original: {}}")
    types: list[tuple[str, tuple[tuple[str, Any], ...]]] = []
    for name, custom in image_types.items():
        if name not in IMAGE_TYPES:
            raise _unknown(str(name), "imageType", IMAGE_TYPES)
        custom = custom or {}
        if not isinstance(custom, Mapping):
            raise _err(str(name), "a mapping of settings", custom, f"write {name}: {{}}")
        for key, value in custom.items():
            if key not in IMAGE_TYPE_KEYS:
                raise _unknown(str(key), f"imageType {name}", IMAGE_TYPE_KEYS)
            _coerce(key, value)
        types.append((str(name), tuple((str(k), v) for k, v in custom.items())))
    if types:
        kwargs["image_types"] = tuple(types)
        # PyRadiomics reads LoG sigmas / wavelet options from the merged settings of each image type
    classes_raw = data.get("featureClass")
    if classes_raw:
        if not isinstance(classes_raw, Mapping):
            raise _err(
                "featureClass", "a mapping of classes", classes_raw, "write featureClass: {firstorder: }"
            )
        classes: list[tuple[str, tuple[str, ...]]] = []
        for name, names in classes_raw.items():
            if name not in FEATURE_CLASSES:
                raise _unknown(str(name), "featureClass", FEATURE_CLASSES)
            wanted = tuple(names or ())
            valid = feature_names(str(name))
            for feat in wanted:
                if feat not in valid:
                    raise _unknown(str(feat), f"featureClass {name}", valid)
            classes.append((str(name), wanted))
        kwargs["feature_classes"] = tuple(classes)
    elif data:
        # PyRadiomics: an empty featureClass section enables every class (shape2D needs force2D)
        kwargs["feature_classes"] = tuple((c, ()) for c in FEATURE_CLASSES)
    if mode is not None:
        kwargs["mode"] = mode
    return ExtractionSettings(**kwargs)


def feature_names(feature_class: str) -> tuple[str, ...]:
    """All feature names of a class (including PyRadiomics' deprecated ones that may be asked for by name)."""
    from kernels.firstorder import FIRSTORDER_NAMES

    if feature_class == "firstorder":
        return FIRSTORDER_NAMES
    if feature_class == "shape":
        from hsp_desktop.radiomics.shape import SHAPE_NAMES

        return SHAPE_NAMES
    if feature_class == "shape2D":
        from hsp_desktop.radiomics.shape import SHAPE2D_NAMES

        return SHAPE2D_NAMES
    from hsp_desktop.radiomics.texture import FEATURE_NAMES

    return FEATURE_NAMES.get(feature_class, ())

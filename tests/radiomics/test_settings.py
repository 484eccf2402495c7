"""PyRadiomics parameter files -> ExtractionSettings; unknown keys and bad values are typed errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from hsp_desktop.errors import SettingsError
from hsp_desktop.radiomics.settings import SETTING_KEYS, ExtractionSettings, load_params


def test_defaults_are_pyradiomics_defaults() -> None:
    s = load_params(None)
    assert s.bin_width == 25 and s.bin_count is None and s.pad_distance == 5 and s.label == 1
    assert s.interpolator == "sitkBSpline" and s.distances == (1,) and s.mode == "pyradiomics"
    assert dict(s.image_types) == {"Original": ()}
    assert "shape2D" not in s.classes() and "glcm" in s.classes()


def test_yaml_file(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.write_text(
        "imageType:\n  Original: {}\n  LoG: {sigma: [1.0, 2, 3.5]}\n  Wavelet: {binWidth: 5}\n"
        "featureClass:\n  firstorder: [Mean, Median]\n  glcm:\n"
        "setting:\n  binWidth: 10\n  resampledPixelSpacing: [1, 1, 1]\n  interpolator: sitkLinear\n  label: 2\n",
        encoding="utf-8",
    )
    s = load_params(path)
    assert s.bin_width == 10.0 and s.resampled_spacing == (1.0, 1.0, 1.0) and s.label == 2
    assert s.classes() == {"firstorder": ("Mean", "Median"), "glcm": ()}
    assert s.for_image_type("LoG").sigma == (1.0, 2, 3.5)
    assert s.for_image_type("Wavelet").bin_width == 5.0 and s.for_image_type("Original").bin_width == 10.0
    assert s.as_dict()["setting"]["binWidth"] == 10.0
    assert load_params(path, mode="ibsi").mode == "ibsi"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"setting": {"binWdith": 25}}, "binWdith"),
        ({"imageType": {"LoGG": {}}}, "LoGG"),
        ({"featureClass": {"firstorder": ["Meen"]}}, "Meen"),
        ({"featureClass": {"texture": []}}, "texture"),
        ({"settings": {}}, "settings"),
        ({"imageType": {"LoG": {"sigmas": [1]}}}, "sigmas"),
    ],
)
def test_unknown_keys_are_named_with_the_valid_ones(params: dict, field: str) -> None:
    with pytest.raises(SettingsError) as info:
        load_params(params)
    assert info.value.field == field
    assert field in str(info.value) and "expected one of" in str(info.value)


def test_unknown_setting_lists_every_valid_key() -> None:
    with pytest.raises(SettingsError) as info:
        load_params({"setting": {"bogus": 1}})
    for key in ("binWidth", "resampledPixelSpacing", "resegmentRange", "weightingNorm"):
        assert key in str(info.value)
    assert set(SETTING_KEYS) >= {"binWidth", "binCount", "sigma", "wavelet", "geometryTolerance"}


@pytest.mark.parametrize(
    "setting",
    [
        {"binWidth": 0},
        {"binWidth": "25"},
        {"binCount": 0},
        {"resampledPixelSpacing": [1, 1]},
        {"interpolator": "sitkCubic"},
        {"resegmentMode": "percent"},
        {"weightingNorm": "l3"},
        {"force2Ddimension": 3},
        {"distances": [0]},
        {"normalize": "yes"},
        {"wavelet": "nonsense"},
        {"sigma": [0]},
        {"mode": "radiomics"},
    ],
)
def test_bad_values(setting: dict) -> None:
    with pytest.raises(SettingsError):
        load_params({"setting": setting})


def test_bad_files(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="not found"):
        load_params(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("setting: [1, 2\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="YAML"):
        load_params(bad)
    with pytest.raises(SettingsError):
        load_params(42)  # type: ignore[arg-type]


def test_settings_are_frozen() -> None:
    s = ExtractionSettings()
    with pytest.raises(AttributeError):
        s.bin_width = 3  # type: ignore[misc]

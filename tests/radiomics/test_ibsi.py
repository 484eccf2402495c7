"""IBSI-1 compliance of the ``ibsi`` mode: digital phantom (tests/data) and CT phantom configurations A-E.

Rule (IBSI, MIRP ``within_tolerance``): the value rounded to 3 significant digits lies within the reference
tolerance.  Every reference row with a value must be either mapped to one of our features (and match) or listed in
:data:`NOT_IMPLEMENTED` with the reason; every mapped feature must have a reference row; every feature we compute
in these runs must be mapped or listed in :data:`NO_IBSI_REFERENCE`.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import SimpleITK as sitk

from hsp_desktop.domain import CtVolume, LabelMap
from hsp_desktop.radiomics import extract_features
from hsp_desktop.radiomics.ibsi_codes import FEATURE_BY_CODE as FEATURE_MAP
from hsp_desktop.radiomics.ibsi_codes import NO_IBSI_CODE as NO_IBSI_REFERENCE

_MORPH = "morphology beyond PyRadiomics' shape class (hulls, enclosing ellipsoids, bounding boxes, spatial autocorrelation)"
_IH = "IBSI intensity-histogram statistics of the discretised image are not PyRadiomics features (only Entropy and Uniformity are)"
#: Reference rows we intentionally do not compute, by IBSI code (or family), with the reason.
NOT_IMPLEMENTED: dict[str, str] = {
    **{
        c: _MORPH
        for c in ("25C7", "6BDE", "7T7F", "99N0", "KLMA", "N365", "NPT7", "PBX1", "R3ER", "R59B", "RDD2")
    },
    **{
        c: _IH
        for c in (
            "12CE",
            "1PR8",
            "3NCY",
            "4RNL",
            "5Z3W",
            "88K1",
            "8E6O",
            "AMMC",
            "CH89",
            "CWYJ",
            "D2ZX",
            "GPMT",
            "RHQZ",
            "SLWD",
            "VQB3",
            "WIFQ",
            "WR0O",
            "WRZB",
            "X6K6",
            "C3I7",
        )
    },
    **{
        c: "not a PyRadiomics feature (coefficient of variation, quartile dispersion, median absolute deviation)"
        for c in ("7TET", "9S40", "N72L")
    },
    **{
        c: "deprecated in PyRadiomics and not computed by the texture module"
        for c in ("8S9J", "OEEB", "5SPA", "6XV8")
    },
    "CAS9": "NGLDM dependence count energy has no PyRadiomics GLDM counterpart",
    "Local intensity features": "local/global intensity peaks need a 1 cm^3 sphere convolution not in PyRadiomics",
    "Intensity-volume histogram features": "IVH features are not PyRadiomics features",
    "Grey level distance zone based features": "GLDZM (distance zones) is not a PyRadiomics class; only its grey-level emphases are mapped",
}
#: Aggregations we do not produce: PyRadiomics' force2D merges slices; per-slice 2-D features are not computed.
NOT_IMPLEMENTED_AGGREGATIONS = {
    "2D, averaged": "per-slice 2-D GLCM/GLRLM",
    "2D, slice-merged": "per-slice 2-D matrices",
    "2D": "per-slice 2-D zone/dependence features",
}
#: aggregation -> the run that produces it
RUNS = {
    "": "3d",
    "3D": "3d",
    "3D, averaged": "3d",
    "3D, merged": "3d_merged",
    "2.5D": "2d",
    "2.5D, direction-merged": "2d",
    "2.5D, merged": "2d_merged",
}
SHAPE = [
    "MeshVolume",
    "VoxelVolume",
    "SurfaceArea",
    "SurfaceVolumeRatio",
    "Compactness1",
    "Compactness2",
    "SphericalDisproportion",
    "Sphericity",
    "Maximum3DDiameter",
    "Maximum2DDiameterSlice",
    "Maximum2DDiameterColumn",
    "Maximum2DDiameterRow",
    "MajorAxisLength",
    "MinorAxisLength",
    "LeastAxisLength",
    "Elongation",
    "Flatness",
]
CLASSES = {"shape": SHAPE, "firstorder": [], "glcm": [], "glrlm": [], "glszm": [], "gldm": [], "ngtdm": []}


def reference_rows(folder: Path, data_set: str) -> list[dict[str, str]]:
    with (folder / "reference_values" / "ibsi_1_reference_values_long.csv").open(encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh) if r["data_set"] == data_set and r["value"] != ""]


def row_code(row: dict[str, str]) -> str:
    return row["ibsi_code"] or "_".join(row["mirp_tag"].split("_")[:2])


def within(value: float, ref: float, tol: float) -> bool:
    if not math.isfinite(value):
        return False
    rounded = 0.0 if abs(value) < 1e-12 else float(f"{value:.3g}")
    return abs(rounded - ref) <= tol + 1e-12 * max(1.0, abs(ref))


def run_all(
    ct: CtVolume, mask: LabelMap, setting: dict[str, Any], two_d: bool
) -> dict[str, dict[str, float]]:
    runs = {}
    variants = {"3d": {}, "3d_merged": {"weightingNorm": "no_weighting"}}
    if two_d:
        variants = {
            **variants,
            "2d": {"force2D": True},
            "2d_merged": {"force2D": True, "weightingNorm": "no_weighting"},
        }
    for name, extra in variants.items():
        params = {"setting": {**setting, **extra}, "featureClass": CLASSES}
        values = extract_features(ct, mask, params, mode="ibsi", qc=False).values
        runs[name] = {k.removeprefix("original_"): v for k, v in values.items()}
    return runs


def check(rows: list[dict[str, str]], runs: dict[str, dict[str, float]]) -> tuple[int, list[str]]:
    failures, matched, mapped_with_rows = [], 0, set()
    for row in rows:
        code, agg = row_code(row), row["aggregation"]
        if code in NOT_IMPLEMENTED or row["family"] in NOT_IMPLEMENTED:
            continue
        if agg in NOT_IMPLEMENTED_AGGREGATIONS:
            continue
        assert code in FEATURE_MAP, (
            f"reference row without a mapping: {code} {row['feature']} ({row['family']})"
        )
        assert agg in RUNS, f"unknown aggregation {agg!r}"
        mapped_with_rows.add(code)
        feature = FEATURE_MAP[code]
        run = runs.get(RUNS[agg])
        if run is None:
            continue
        value = run[feature]
        ref, tol = float(row["value"]), float(row["tolerance"] or 0)
        if within(value, ref, tol):
            matched += 1
        else:
            failures.append(f"{code} {row['feature']} [{agg}] ours {value:.6g}, IBSI {ref:g} +- {tol:g}")
    computed = set().union(*(r.keys() for r in runs.values()))
    unmapped = sorted(computed - set(FEATURE_MAP.values()) - set(NO_IBSI_REFERENCE))
    assert not unmapped, f"features without IBSI mapping or listed reason: {unmapped}"
    return matched, failures


def load_nifti(image: Path, mask: Path, *, round_image: bool) -> tuple[CtVolume, LabelMap]:
    im = sitk.ReadImage(str(image), sitk.sitkFloat32)
    ma = sitk.ReadImage(str(mask))
    arr = sitk.GetArrayFromImage(im)
    if round_image:
        arr = np.round(arr)
    geometry = {"spacing": im.GetSpacing(), "origin": im.GetOrigin(), "direction": im.GetDirection()}
    labels = (sitk.GetArrayFromImage(ma) > 0.5).astype(np.uint8)
    return CtVolume(array=arr.astype(np.float32), **geometry), LabelMap(array=labels, **geometry)


def test_mapping_tables_are_consistent(data_dir: Path) -> None:
    rows = []
    for data_set in ("dig. phantom", "config. A", "config. B", "config. C", "config. D", "config. E"):
        rows += reference_rows(data_dir / "ibsi", data_set)
    codes = {row_code(r) for r in rows}
    families = {r["family"] for r in rows}
    assert not (set(FEATURE_MAP) - codes), (
        f"mapped codes without any reference row: {set(FEATURE_MAP) - codes}"
    )
    stale = {k for k in NOT_IMPLEMENTED if k not in codes and k not in families}
    assert not stale, f"NOT_IMPLEMENTED entries without reference rows: {stale}"
    assert not (set(FEATURE_MAP) & set(NOT_IMPLEMENTED))


def test_digital_phantom(data_dir: Path) -> None:
    folder = data_dir / "ibsi" / "digital_phantom" / "nifti"
    ct, mask = load_nifti(
        folder / "image" / "phantom.nii.gz", folder / "mask" / "mask.nii.gz", round_image=False
    )
    runs = run_all(ct, mask, {"binWidth": 1}, two_d=True)
    matched, failures = check(reference_rows(data_dir / "ibsi", "dig. phantom"), runs)
    assert not failures, f"{len(failures)} mismatches ({matched} matched):\n" + "\n".join(failures)
    assert matched >= 250


CONFIGS = {
    "A": ({"force2D": False, "resegmentRange": [-500, 400], "binWidth": 25}, True),
    "B": (
        {
            "resampledPixelSpacing": [2, 2, 0],
            "interpolator": "sitkLinear",
            "resegmentRange": [-500, 400],
            "binCount": 32,
        },
        True,
    ),
    "C": (
        {
            "resampledPixelSpacing": [2, 2, 2],
            "interpolator": "sitkLinear",
            "resegmentRange": [-1000, 400],
            "binWidth": 25,
        },
        False,
    ),
    "D": (
        {
            "resampledPixelSpacing": [2, 2, 2],
            "interpolator": "sitkLinear",
            "removeOutliers": 3,
            "binCount": 32,
        },
        False,
    ),
    "E": (
        {
            "resampledPixelSpacing": [2, 2, 2],
            "interpolator": "sitkBSpline",
            "resegmentRange": [-1000, 400],
            "removeOutliers": 3,
            "binCount": 32,
        },
        False,
    ),
}


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_ct_phantom(config: str, shared_dir: Path, data_dir: Path) -> None:
    folder = shared_dir / "data" / "ibsi" / "ct_radiomics_phantom" / "nifti"
    if not (folder / "image" / "phantom.nii.gz").is_file():
        pytest.skip(
            "IBSI CT phantom not present under ../shared/data/ibsi (CC BY-NC: never copied into the project)"
        )
    ct, mask = load_nifti(
        folder / "image" / "phantom.nii.gz", folder / "mask" / "mask.nii.gz", round_image=True
    )
    setting, two_d = CONFIGS[config]
    runs = run_all(ct, mask, setting, two_d=two_d)
    matched, failures = check(reference_rows(data_dir / "ibsi", f"config. {config}"), runs)
    assert not failures, f"config {config}: {len(failures)} mismatches ({matched} matched):\n" + "\n".join(
        failures
    )
    assert matched >= 143  # PyRadiomics' own preprocessing matches B 62, C 33, D 25, E 12 of these

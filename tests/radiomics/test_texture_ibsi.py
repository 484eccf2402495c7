"""Texture features on the IBSI-1 digital phantom against IBSI's reference values (golden test).

The phantom's voxel values are already grey levels (1..6 in the ROI, 2 and 5 absent), so they go
straight into :func:`texture_features`.  The IBSI-code -> PyRadiomics-name mapping and the aggregation of
each reference row come from ``../shared/data/ibsi/measured/pyradiomics_3.0.1_vs_ibsi_phantom.csv``
(PyRadiomics 3.0.1 measured against IBSI): "3D, averaged" rows use the default settings, "3D, merged"
rows ``weighting_norm="no_weighting"``.  The same codes are then checked in IBSI's 2D (per slice,
:func:`texture_features_per_slice`) and 2.5D (``force2d``) aggregations from
``reference_values/ibsi_1_reference_values_long.csv``.
"""

from __future__ import annotations

import csv
import math
import os
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from hsp_desktop.radiomics.texture import TextureSettings, texture_features, texture_features_per_slice

TEXTURE_PREFIXES = (
    "original_glcm_",
    "original_glrlm_",
    "original_glszm_",
    "original_gldm_",
    "original_ngtdm_",
)


def _round_sig(value: float, digits: int = 3) -> float:
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


@pytest.fixture(scope="module")
def phantom(shared_dir: Path) -> tuple[np.ndarray, np.ndarray, tuple[float, ...]]:
    base = shared_dir / "data" / "ibsi" / "digital_phantom" / "nifti"
    image = sitk.ReadImage(str(base / "image" / "phantom.nii.gz"))
    mask = sitk.ReadImage(str(base / "mask" / "mask.nii.gz"))
    levels = sitk.GetArrayFromImage(image).astype(np.int32)
    roi = sitk.GetArrayFromImage(mask) > 0
    return levels, roi, image.GetSpacing()


@pytest.fixture(scope="module")
def reference_rows(shared_dir: Path) -> list[dict[str, str]]:
    table = shared_dir / "data" / "ibsi" / "measured" / "pyradiomics_3.0.1_vs_ibsi_phantom.csv"
    with table.open(newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["pyradiomics_key"].startswith(TEXTURE_PREFIXES)]
    return [r for r in rows if r["status"] == "match"]


def test_digital_phantom_matches_ibsi_reference_values(phantom, reference_rows) -> None:
    levels, roi, spacing = phantom
    assert int(roi.sum()) == 74
    averaged = texture_features(levels, roi, spacing, TextureSettings())
    merged = texture_features(levels, roi, spacing, TextureSettings(weighting_norm="no_weighting"))
    assert len(reference_rows) >= 30
    failures = []
    for row in reference_rows:
        key = row["pyradiomics_key"].removeprefix("original_")
        ours = merged[key] if "merged" in row["aggregation"] else averaged[key]
        ibsi, tolerance = float(row["ibsi_value"]), float(row["ibsi_tol"])
        pyradiomics = float(row["pyradiomics_value"])
        if abs(_round_sig(ours) - ibsi) > tolerance + 1e-12:
            failures.append(f"{row['ibsi_code']} {key} ({row['aggregation']}): ours {ours:.6g}, IBSI {ibsi}")
        # the measured PyRadiomics value is printed to 6 significant digits
        if abs(ours - pyradiomics) > 1e-5 * max(abs(pyradiomics), 1e-3):
            failures.append(f"{key} ({row['aggregation']}): ours {ours:.8g}, PyRadiomics {pyradiomics}")
    assert not failures, "\n".join(failures)


AGGREGATIONS = {
    "2D, averaged": ("per_slice", TextureSettings()),
    "2D, slice-merged": ("per_slice", TextureSettings(weighting_norm="no_weighting")),
    "2D": ("per_slice", TextureSettings()),
    "2.5D, direction-merged": ("volume", TextureSettings(force2d=True)),
    "2.5D, merged": ("volume", TextureSettings(force2d=True, weighting_norm="no_weighting")),
    "2.5D": ("volume", TextureSettings(force2d=True)),
}


def _check_aggregations(levels, roi, spacing, code_to_key, data_set: str, shared_dir: Path) -> int:
    computed = {
        name: (texture_features_per_slice if how == "per_slice" else texture_features)(
            levels, roi, spacing, cfg
        )
        for name, (how, cfg) in AGGREGATIONS.items()
    }
    table = shared_dir / "data" / "ibsi" / "reference_values" / "ibsi_1_reference_values_long.csv"
    with table.open(newline="") as handle:
        rows = [
            r
            for r in csv.DictReader(handle)
            if r["data_set"] == data_set
            and r["aggregation"] in AGGREGATIONS
            and r["ibsi_code"] in code_to_key
            and r["value"] != ""
        ]
    failures = []
    for row in rows:
        key = code_to_key[row["ibsi_code"]]
        ours = computed[row["aggregation"]][key]
        ibsi, tolerance = float(row["value"]), float(row["tolerance"] or 0)
        if abs(_round_sig(ours) - ibsi) > tolerance + 1e-12:
            failures.append(f"{row['ibsi_code']} {key} ({row['aggregation']}): ours {ours:.6g}, IBSI {ibsi}")
    assert not failures, "\n".join(failures)
    return len(rows)


def test_digital_phantom_2d_and_25d_aggregations_match_ibsi(
    phantom, reference_rows, shared_dir: Path
) -> None:
    levels, roi, spacing = phantom
    code_to_key = {
        row["ibsi_code"]: row["pyradiomics_key"].removeprefix("original_") for row in reference_rows
    }
    assert _check_aggregations(levels, roi, spacing, code_to_key, "dig. phantom", shared_dir) >= 200


@pytest.mark.skipif(
    os.environ.get("NUMBA_DISABLE_JIT", "0") not in ("", "0"),
    reason="114k-voxel ROI is slow without the JIT; the phantom tests cover the same code in pure-Python mode",
)
def test_ct_phantom_config_a_2d_and_25d_aggregations_match_ibsi(reference_rows, shared_dir: Path) -> None:
    """Config A: no interpolation, re-segmentation [-500, 400] HU, fixed bin size 25 HU from -500."""
    base = shared_dir / "data" / "ibsi" / "ct_radiomics_phantom" / "nifti"
    image = sitk.ReadImage(str(base / "image" / "phantom.nii.gz"))
    hu = np.round(sitk.GetArrayFromImage(image).astype(np.float64))  # IBSI: round the NIfTI version
    roi = (
        (sitk.GetArrayFromImage(sitk.ReadImage(str(base / "mask" / "mask.nii.gz"))) > 0)
        & (hu >= -500)
        & (hu <= 400)
    )
    levels = np.where(roi, np.floor((hu + 500) / 25) + 1, 0).astype(np.int32)
    code_to_key = {
        row["ibsi_code"]: row["pyradiomics_key"].removeprefix("original_") for row in reference_rows
    }
    assert _check_aggregations(levels, roi, image.GetSpacing(), code_to_key, "config. A", shared_dir) >= 200

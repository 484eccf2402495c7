"""Live agreement with PyRadiomics 3 on the same image, mask and parameters.

First-order and texture features: relative difference <= 1e-6 (absolute <= 1e-9 near zero); shape <= 1e-4.
Settings matrix: 3D/2D, binWidth/binCount, resampling (linear) on/off, normalisation + outlier removal,
re-segmentation (absolute/sigma), Original + LoG (several sigmas) + Wavelet + the voxel-wise filters, on several
synthetic spleen-like ROIs (small volumes to keep the suite fast).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pytest
import SimpleITK as sitk
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.ndimage import gaussian_filter

from hsp_desktop.domain import CtVolume, LabelMap
from hsp_desktop.radiomics import extract_features

ALL_3D = {"shape": [], "firstorder": [], "glcm": [], "glrlm": [], "glszm": [], "gldm": [], "ngtdm": []}


def spleen(
    seed: int, shape: tuple[int, int, int] = (30, 64, 64), spacing=(0.8, 0.8, 2.0)
) -> tuple[CtVolume, LabelMap]:
    """An ellipsoid-ish 'spleen' with a lobulated outline and smooth texture inside fat-like background."""
    rng = np.random.default_rng(seed)
    z, y, x = np.mgrid[: shape[0], : shape[1], : shape[2]].astype(float)
    c = np.array(shape) / 2 + rng.normal(0, 1.5, 3)
    r = np.array([shape[0] * 0.36, shape[1] * 0.34, shape[2] * 0.3])
    bump = 1 + 0.1 * np.sin(3 * np.arctan2(y - c[1], x - c[2]) + seed)
    d = ((z - c[0]) / r[0]) ** 2 + ((y - c[1]) / (r[1] * bump)) ** 2 + ((x - c[2]) / r[2]) ** 2
    mask = (d < 1).astype(np.uint8)
    texture = gaussian_filter(rng.normal(0, 1, shape), 1.2) * (30 + 10 * seed)
    image = -90 + 25 * rng.normal(0, 1, shape)
    image[mask == 1] = 105 + 5 * seed + texture[mask == 1] + rng.normal(0, 6, int(mask.sum()))
    origin = (-30.5 + seed, 12.25, -7.0)
    return (
        CtVolume(array=image.astype(np.float32), spacing=spacing, origin=origin),
        LabelMap(array=mask, spacing=spacing, origin=origin),
    )


def pyradiomics_features(ct: CtVolume, mask: LabelMap, params: dict[str, Any]) -> dict[str, float]:
    from radiomics import featureextractor

    logging.getLogger("radiomics").setLevel(logging.ERROR)
    image = sitk.GetImageFromArray(ct.array)
    image.SetSpacing(ct.spacing)
    image.SetOrigin(ct.origin)
    labels = sitk.GetImageFromArray(mask.array)
    labels.CopyInformation(image)
    p = {k: (dict(v) if isinstance(v, dict) else v) for k, v in params.items()}
    p["setting"] = {**p.get("setting", {}), "additionalInfo": False}
    extractor = featureextractor.RadiomicsFeatureExtractor(p)
    return {k: float(v) for k, v in extractor.execute(image, labels).items()}


def assert_agree(ours: dict[str, float], ref: dict[str, float]) -> None:
    missing = sorted(set(ref) - set(ours))
    extra = sorted(set(ours) - set(ref))
    assert not missing and not extra, f"missing {missing[:5]}, extra {extra[:5]}"
    bad = []
    for key, want in ref.items():
        got = ours[key]
        if np.isnan(want) and np.isnan(got):
            continue
        rel = 1e-4 if "_shape_" in key else 1e-6
        if not abs(got - want) <= max(rel * abs(want), 1e-9):
            bad.append(f"{key}: ours {got!r}, PyRadiomics {want!r}")
    assert not bad, f"{len(bad)} features disagree:\n" + "\n".join(bad[:15])


MATRIX: list[tuple[str, dict[str, Any]]] = [
    ("defaults", {}),
    ("binCount", {"setting": {"binCount": 32}}),
    ("binWidth5-2D", {"setting": {"binWidth": 5, "force2D": True}, "featureClass": ALL_3D}),
    ("resample-linear", {"setting": {"resampledPixelSpacing": [1, 1, 1], "interpolator": "sitkLinear"}}),
    ("normalize-outliers", {"setting": {"normalize": True, "normalizeScale": 100, "removeOutliers": 2}}),
    ("resegment-absolute", {"setting": {"resegmentRange": [80, 170]}}),
    ("resegment-sigma", {"setting": {"resegmentRange": [-2, 2], "resegmentMode": "sigma", "binCount": 16}}),
    ("weighting-distances", {"setting": {"weightingNorm": "euclidean", "distances": [1, 2]}}),
    (
        "log",
        {
            "imageType": {"Original": {}, "LoG": {"sigma": [1.0, 2.0, 3.5]}},
            "featureClass": {"firstorder": [], "glcm": [], "glszm": []},
        },
    ),
    (
        "relative-reseg-shift",
        {"setting": {"resegmentRange": [0.5], "resegmentMode": "relative", "voxelArrayShift": 1000}},
    ),
    ("asymmetric-gldm-a", {"setting": {"symmetricalGLCM": False, "gldm_a": 1, "binWidth": 15}}),
    (
        "wavelet-haar-level2-gradient",
        {
            "imageType": {
                "Wavelet": {"wavelet": "haar", "level": 2, "binWidth": 10},
                "Gradient": {"gradientUseSpacing": False},
            },
            "featureClass": {"firstorder": [], "glrlm": []},
        },
    ),
]


@pytest.mark.parametrize(("name", "params"), MATRIX, ids=[m[0] for m in MATRIX])
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_matches_pyradiomics(name: str, params: dict[str, Any]) -> None:
    ct, mask = spleen(0)
    ours = extract_features(ct, mask, params, qc=False).values
    assert_agree(ours, pyradiomics_features(ct, mask, params))


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_other_spleens_resampled_log_wavelet(seed: int) -> None:
    ct, mask = spleen(seed, shape=(24, 56, 60), spacing=(0.7, 0.7, 2.5))
    params = {
        "imageType": {"Original": {}, "LoG": {"sigma": [1, 2.5]}, "Wavelet": {}},
        "featureClass": {"firstorder": [], "glcm": [], "glrlm": [], "ngtdm": []},
        "setting": {"resampledPixelSpacing": [1, 1, 1], "interpolator": "sitkLinear", "binWidth": 10},
    }
    ours = extract_features(ct, mask, params, qc=False).values
    assert_agree(ours, pyradiomics_features(ct, mask, params))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_wavelet_and_voxelwise_filters_without_resampling() -> None:
    ct, mask = spleen(3, shape=(22, 48, 50))
    params = {
        "imageType": {
            "Wavelet": {},
            "Square": {},
            "SquareRoot": {},
            "Logarithm": {},
            "Exponential": {},
            "Gradient": {},
        },
        "featureClass": {"firstorder": [], "glcm": [], "gldm": []},
        "setting": {"binCount": 24},
    }
    ours = extract_features(ct, mask, params, qc=False).values
    assert_agree(ours, pyradiomics_features(ct, mask, params))


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_full_matrix_all_classes_slow() -> None:
    ct, mask = spleen(4, shape=(36, 80, 80))
    params = {
        "imageType": {"Original": {}, "LoG": {"sigma": [1, 2, 3, 4, 5]}, "Wavelet": {}},
        "setting": {
            "resampledPixelSpacing": [1, 1, 1],
            "interpolator": "sitkLinear",
            "normalize": True,
            "removeOutliers": 3,
        },
        "featureClass": ALL_3D,
    }
    ours = extract_features(ct, mask, params, qc=False).values
    assert_agree(ours, pyradiomics_features(ct, mask, params))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize(
    "params",
    [
        {"setting": {"resegmentRange": [-500, 400], "binWidth": 25}},
        {"setting": {"resampledPixelSpacing": [2, 2, 2], "interpolator": "sitkLinear", "binCount": 32}},
    ],
    ids=["config-A-like", "resampled-binCount"],
)
def test_ibsi_ct_phantom(params: dict[str, Any], shared_dir) -> None:  # type: ignore[no-untyped-def]
    folder = shared_dir / "data" / "ibsi" / "ct_radiomics_phantom" / "nifti"
    if not (folder / "image" / "phantom.nii.gz").is_file():
        pytest.skip(
            "IBSI CT phantom not present under ../shared/data/ibsi (CC BY-NC: never copied into the project)"
        )
    image = sitk.ReadImage(str(folder / "image" / "phantom.nii.gz"), sitk.sitkFloat32)
    labels = sitk.ReadImage(str(folder / "mask" / "mask.nii.gz"))
    geometry = {"spacing": image.GetSpacing(), "origin": image.GetOrigin(), "direction": image.GetDirection()}
    ct = CtVolume(array=sitk.GetArrayFromImage(image), **geometry)
    mask = LabelMap(array=sitk.GetArrayFromImage(labels).astype(np.uint8), **geometry)
    ours = extract_features(ct, mask, params, qc=False).values
    assert_agree(ours, pyradiomics_features(ct, mask, params))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), keep=st.floats(0.3, 1.0), bin_width=st.sampled_from([5.0, 25.0]))
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_random_small_rois_match_pyradiomics(seed: int, keep: float, bin_width: float) -> None:
    rng = np.random.default_rng(seed)
    shape = (6, 9, 8)
    image = rng.normal(40, 30, shape).astype(np.float32)
    mask = (rng.random(shape) < keep).astype(np.uint8)
    mask[0], mask[:, 0], mask[:, :, 0] = 0, 0, 0
    mask[2:4, 3:5, 3:5] = 1  # at least a 2x2x2 block: a 3-D ROI
    ct = CtVolume(array=image, spacing=(0.9, 1.1, 2.0))
    labels = LabelMap(array=mask, spacing=(0.9, 1.1, 2.0))
    params = {"setting": {"binWidth": bin_width}}
    assert_agree(
        extract_features(ct, labels, params, qc=False).values, pyradiomics_features(ct, labels, params)
    )


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_single_slice_roi_with_shape2d() -> None:
    ct, mask = spleen(5, shape=(12, 48, 48))
    one = np.zeros_like(mask.array)
    one[6] = mask.array[6]
    labels = LabelMap(array=one, spacing=mask.spacing, origin=mask.origin)
    params = {
        "setting": {"force2D": True},
        "featureClass": {
            "shape2D": [
                "Perimeter",
                "MeshSurface",
                "PixelSurface",
                "PerimeterSurfaceRatio",
                "Sphericity",
                "MaximumDiameter",
                "MajorAxisLength",
                "MinorAxisLength",
                "Elongation",
                "SphericalDisproportion",
            ],
            "firstorder": [],
            "glcm": [],
        },
    }
    ours = extract_features(ct, labels, params, qc=False).values
    assert_agree(ours, pyradiomics_features(ct, labels, params))
    assert ours["original_shape2D_MeshSurface"] > 0


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_filters_on_padded_box_of_a_larger_image() -> None:
    # ROI far from the image border: LoG and wavelet run on the ROI box plus margins, not the whole image
    ct, mask = spleen(6, shape=(16, 40, 40))
    big_image = np.random.default_rng(6).normal(-90, 25, (40, 110, 120)).astype(np.float32)
    big_mask = np.zeros(big_image.shape, dtype=np.uint8)
    big_image[12:28, 35:75, 41:81] = ct.array
    big_mask[12:28, 35:75, 41:81] = mask.array
    ct = CtVolume(array=big_image, spacing=ct.spacing, origin=ct.origin)
    labels = LabelMap(array=big_mask, spacing=mask.spacing, origin=mask.origin)
    params = {
        "imageType": {"LoG": {"sigma": [1.0, 2.0]}, "Wavelet": {}},
        "featureClass": {"firstorder": [], "glcm": [], "glszm": []},
    }
    assert_agree(
        extract_features(ct, labels, params, qc=False).values, pyradiomics_features(ct, labels, params)
    )

"""extract_features: QC gate, provenance, and bad input (typed errors or PyRadiomics' documented values)."""

from __future__ import annotations

import dataclasses
import logging

import numpy as np
import pytest
import SimpleITK as sitk

from hsp_desktop.domain import CtVolume, FeatureVector, LabelMap
from hsp_desktop.errors import GeometryError, InputError, QcError
from hsp_desktop.radiomics import extract_features


def _case(flat: bool = False) -> tuple[CtVolume, LabelMap]:
    rng = np.random.default_rng(0)
    shape = (24, 60, 60)
    z, y, x = np.mgrid[: shape[0], : shape[1], : shape[2]]
    mask = ((((z - 12) / 8.0) ** 2 + ((y - 30) / 20.0) ** 2 + ((x - 30) / 16.0) ** 2) < 1).astype(np.uint8)
    image = rng.normal(-100, 20, shape).astype(np.float32)
    image[:, :5, :] = -1000.0  # air, as in a real abdominal CT
    image[:, -3:, :] = 400.0
    image[mask == 1] = 120.0 if flat else rng.normal(120, 15, int(mask.sum()))
    spacing = (1.2, 1.2, 3.0)
    return CtVolume(array=image, spacing=spacing, source="ct.nii.gz"), LabelMap(
        array=mask, spacing=spacing, source="mask.nii.gz"
    )


def test_feature_vector_with_qc_and_provenance() -> None:
    ct, mask = _case()
    fv = extract_features(ct, mask)
    assert isinstance(fv, FeatureVector)
    assert fv.qc is not None and fv.qc.passed
    assert fv.roi == "spleen" and "hsp-radiomics" in fv.engine
    assert fv.settings["setting"]["binWidth"] == 25.0 and fv.settings["mode"] == "pyradiomics"
    assert "original_shape_MeshVolume" in fv.values and "original_glcm_Contrast" in fv.values
    assert len(fv.values) == 107


def test_qc_blocks_a_mask_on_another_grid() -> None:
    ct, mask = _case()
    moved = dataclasses.replace(mask, origin=(5.0, 0.0, 0.0))
    with pytest.raises((QcError, InputError)):
        extract_features(ct, moved)


def test_ibsi_mode_reports_excess_kurtosis() -> None:
    ct, mask = _case()
    py = extract_features(ct, mask, qc=False).values["original_firstorder_Kurtosis"]
    ibsi = extract_features(ct, mask, mode="ibsi", qc=False).values["original_firstorder_Kurtosis"]
    assert ibsi == pytest.approx(py - 3.0)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_flat_region_gives_pyradiomics_values() -> None:
    from radiomics import featureextractor

    logging.getLogger("radiomics").setLevel(logging.ERROR)
    ct, mask = _case(flat=True)
    ours = extract_features(ct, mask, qc=False).values
    image = sitk.GetImageFromArray(ct.array)
    image.SetSpacing(ct.spacing)
    labels = sitk.GetImageFromArray(mask.array)
    labels.CopyInformation(image)
    ref = featureextractor.RadiomicsFeatureExtractor(additionalInfo=False).execute(image, labels)
    for key, value in ref.items():
        want = float(value)
        if np.isnan(want):
            assert np.isnan(ours[key]), key
        else:
            assert ours[key] == pytest.approx(want, rel=1e-6, abs=1e-9), key
    assert ours["original_firstorder_Variance"] == 0.0 and ours["original_glcm_Correlation"] == 1.0


def _one(ct: CtVolume, mask: LabelMap, **kw) -> InputError:
    with pytest.raises(InputError) as info:
        extract_features(ct, mask, qc=False, **kw)
    return info.value


def test_bad_inputs_are_typed_errors() -> None:
    ct, mask = _case()
    empty = dataclasses.replace(mask, array=np.zeros_like(mask.array))
    assert "empty" in str(_one(ct, empty))
    err = _one(ct, mask, label=2)
    assert err.field == "label" and "[1]" in str(err)
    one = np.zeros_like(mask.array)
    one[10, 30, 30] = 1
    assert "single voxel" in str(_one(ct, dataclasses.replace(mask, array=one)))
    line = np.zeros_like(mask.array)
    line[10, 30, 20:30] = 1
    assert "dimensions" in str(_one(ct, dataclasses.replace(mask, array=line)))
    nan = ct.array.copy()
    nan[12, 30, 30] = np.nan
    assert "NaN" in str(_one(dataclasses.replace(ct, array=nan), mask))
    assert _one(dataclasses.replace(ct, array=ct.array.astype(np.complex64)), mask).field == "ct"
    assert _one(dataclasses.replace(ct, array=ct.array[0]), mask).field == "ct"
    assert isinstance(_one(ct, dataclasses.replace(mask, array=mask.array[:, :, :-1])), GeometryError)
    assert _one(ct, dataclasses.replace(mask, array=mask.array.astype(np.float32))).field == "mask"
    assert _one(ct, mask, settings={"setting": {"binWidth": 0.001}}).field == "binWidth"
    assert (
        _one(
            ct,
            mask,
            settings={"setting": {"resampledPixelSpacing": [0.01, 0.01, 0.01], "interpolator": "sitkLinear"}},
        ).field
        == "resampledPixelSpacing"
    )
    assert _one(ct, mask, settings={"setting": {"resegmentRange": [500, 600]}}).field == "resegmentRange"


def test_integer_ct_is_accepted() -> None:
    ct, mask = _case()
    as_int = dataclasses.replace(ct, array=np.round(ct.array).astype(np.int16))
    values = extract_features(as_int, mask, qc=False).values
    assert np.isfinite(values["original_firstorder_Mean"])


def test_warm_up_and_lazy_package_attributes() -> None:
    import hsp_desktop.radiomics as radiomics

    assert radiomics.warm_up() > 0
    assert radiomics.load_params(None).bin_width == 25
    with pytest.raises(AttributeError):
        radiomics.no_such_thing  # noqa: B018


def test_threads_do_not_change_results() -> None:
    ct, mask = _case()
    params = {"imageType": {"Original": {}, "LoG": {"sigma": [1.0, 2.0]}, "Wavelet": {}, "Square": {}}}
    one = extract_features(ct, mask, params, qc=False, threads=1).values
    two = extract_features(ct, mask, params, qc=False, threads=2).values
    assert list(one) == list(two)
    assert all(one[k] == two[k] or (np.isnan(one[k]) and np.isnan(two[k])) for k in one)


def test_mask_off_grid_is_refused_or_corrected() -> None:
    ct, mask = _case()
    shifted = dataclasses.replace(mask, origin=(1.2, 0.0, 0.0))  # one voxel along x
    with pytest.raises(GeometryError, match="origin"):
        extract_features(ct, shifted, qc=False)
    fixed = extract_features(ct, shifted, {"setting": {"correctMask": True}}, qc=False).values
    plain = extract_features(ct, mask, qc=False).values
    assert fixed["original_shape_VoxelVolume"] == pytest.approx(plain["original_shape_VoxelVolume"], rel=0.05)

"""The synthetic CT phantom: organ volumes, lengths, attenuation and texture follow the anatomy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import ndimage

from hsp_desktop.errors import InputError
from hsp_desktop.synthetic.images import LOW_RES_GRID, CaseAnatomy, render_case


def _glcm_free_entropy(values: np.ndarray, bin_width: float = 25.0) -> float:
    """First-order entropy (bits) of the values discretised at a fixed bin width."""
    bins = np.floor(values / bin_width).astype(int)
    _, counts = np.unique(bins, return_counts=True)
    p = counts / counts.sum()
    return float(-(p * np.log2(p)).sum())


@pytest.mark.parametrize(
    ("volume", "length"), [(150.0, 8.0), (300.0, 11.0), (700.0, 14.5), (1500.0, 17.5), (3000.0, 21.0)]
)
def test_spleen_volume_and_length_match_the_clinical_row(volume: float, length: float) -> None:
    ct, labels = render_case(CaseAnatomy(volume, length, 1150.0, seed=11))
    assert labels.shape == ct.shape == (48, 128, 128)
    assert labels.spacing == ct.spacing == LOW_RES_GRID.spacing
    assert abs(labels.volume_ml(1) - volume) / volume < 0.02
    assert abs(labels.volume_ml(2) - 1150.0) / 1150.0 < 0.02
    slices = np.count_nonzero((labels.array == 1).any(axis=(1, 2)))
    extent_mm = slices * ct.spacing[2]
    assert abs(extent_mm - length * 10.0) <= max(0.1 * length * 10.0, 2 * ct.spacing[2])
    # one spleen, in one piece
    _, n = ndimage.label(labels.array == 1)
    assert n == 1


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    volume=st.floats(150.0, 3000.0),
    z_len=st.floats(-2.0, 2.0),
    liver=st.floats(600.0, 2500.0),
    ph=st.floats(-2.5, 2.5),
    hepatic=st.floats(-2.5, 2.5),
    texture=st.floats(-2.5, 2.5),
    seed=st.integers(0, 2**31 - 1),
)
def test_volumes_match_for_random_anatomies(
    volume: float, z_len: float, liver: float, ph: float, hepatic: float, texture: float, seed: int
) -> None:
    # spleen length tied to volume as in the cohort (r ~ 0.75 with ln SV), plus a random deviation
    length = float(np.clip(14.5 + 0.75 * 2.5 * np.log(volume / 700.0) / 0.42 + 1.5 * z_len, 6.0, 22.0))
    ct, labels = render_case(CaseAnatomy(volume, length, liver, ph, hepatic, texture, seed=seed))
    assert abs(labels.volume_ml(1) - volume) / volume < 0.02
    assert abs(labels.volume_ml(2) - liver) / liver < 0.02
    assert np.isfinite(ct.array).all()
    assert set(np.unique(labels.array)) <= {0, 1, 2}


def test_same_seed_same_image_other_seed_other_image() -> None:
    a = CaseAnatomy(700.0, 14.0, 1200.0, ph=1.0, texture=0.5, seed=5)
    ct1, lab1 = render_case(a)
    ct2, lab2 = render_case(a)
    assert np.array_equal(ct1.array, ct2.array)
    assert np.array_equal(lab1.array, lab2.array)
    ct3, _ = render_case(CaseAnatomy(700.0, 14.0, 1200.0, ph=1.0, texture=0.5, seed=6))
    assert not np.array_equal(ct1.array, ct3.array)
    # HU are integers, as they will be on disk
    assert np.array_equal(ct1.array, np.rint(ct1.array))


def test_spleen_attenuation_and_texture_follow_the_latent_factors() -> None:
    means, sds, entropies = [], [], []
    for texture in (-2.0, 0.0, 2.0):
        ct, labels = render_case(CaseAnatomy(800.0, 15.0, 1200.0, ph=0.0, texture=texture, seed=21))
        spleen = ndimage.binary_erosion(labels.array == 1, iterations=1)
        values = ct.array[spleen]
        means.append(float(values.mean()))
        sds.append(float(values.std()))
        entropies.append(_glcm_free_entropy(values, 10.0))
        assert 80.0 - 5 <= values.mean() <= 160.0 + 5
        assert 11.0 <= values.std() <= 21.0
        assert abs(values.mean() - ct.meta["spleen_mean_hu_target"]) < 3.0
    assert sds[0] < sds[1] < sds[2]
    assert entropies[0] < entropies[2]
    # the same u-draw: a higher texture factor raises the mean (0.5 loading)
    assert means[0] < means[2]


def test_texture_is_spatially_correlated_not_white_noise() -> None:
    ct, labels = render_case(CaseAnatomy(1500.0, 17.0, 1200.0, texture=1.5, scanner_noise_hu=6.0, seed=3))
    spleen = labels.array == 1
    both = spleen[:, :, 1:] & spleen[:, :, :-1]
    a = ct.array[:, :, 1:][both]
    b = ct.array[:, :, :-1][both]
    r = np.corrcoef(a, b)[0, 1]
    assert r > 0.3


def test_hyperdense_foci_only_with_high_portal_hypertension() -> None:
    ct_low, _ = render_case(CaseAnatomy(700.0, 14.0, 1200.0, ph=-0.5, seed=4))
    ct_high, labels = render_case(CaseAnatomy(700.0, 14.0, 1200.0, ph=2.5, seed=4))
    assert ct_low.meta["hyperdense_foci"] == 0
    assert 1 <= ct_high.meta["hyperdense_foci"] <= 5
    spleen = ct_high.array[labels.array == 1]
    assert spleen.max() > ct_high.meta["spleen_mean_hu_target"] + 100


def test_liver_darker_and_more_heterogeneous_with_hepatic_dysfunction() -> None:
    stats = []
    for hepatic in (-1.5, 2.0):
        ct, labels = render_case(CaseAnatomy(700.0, 14.0, 1200.0, hepatic=hepatic, seed=8))
        core = ndimage.binary_erosion(labels.array == 2, iterations=1)
        stats.append((ct.array[core].mean(), ct.array[core].std()))
    assert stats[1][0] < stats[0][0]
    assert stats[1][1] > stats[0][1]
    assert 60.0 < stats[0][0] < 140.0


def test_scanner_offset_shifts_everything() -> None:
    a, _ = render_case(CaseAnatomy(700.0, 14.0, 1200.0, scanner_offset_hu=0.0, seed=9))
    b, _ = render_case(CaseAnatomy(700.0, 14.0, 1200.0, scanner_offset_hu=10.0, seed=9))
    body = a.array > -500
    assert abs(float((b.array - a.array)[body].mean()) - 10.0) < 0.5


def test_bad_anatomy_is_rejected_with_the_field_named() -> None:
    with pytest.raises(InputError, match="spleen_volume_ml") as info:
        CaseAnatomy(-5.0, 14.0, 1200.0)
    assert info.value.field == "spleen_volume_ml"
    with pytest.raises(InputError, match="texture"):
        CaseAnatomy(700.0, 14.0, 1200.0, texture=float("nan"))


@pytest.mark.slow
def test_full_resolution_grid() -> None:
    ct, labels = render_case(CaseAnatomy(700.0, 14.5, 1500.0, texture=1.0, seed=2, full_res=True))
    assert ct.shape == (96, 512, 512)
    assert 0.7 <= ct.spacing[0] <= 0.8 and 1.0 <= ct.spacing[2] <= 2.5
    assert abs(labels.volume_ml(1) - 700.0) / 700.0 < 0.02
    values = ct.array[labels.array == 1]
    assert 12.0 <= values.std() <= 20.0


def test_organs_that_cannot_fit_are_refused_with_the_field() -> None:
    with pytest.raises(InputError, match="does not fit") as info:
        render_case(CaseAnatomy(5000.0, 12.0, 6000.0, seed=1))
    assert info.value.field in ("spleen_volume_ml", "liver_volume_ml")
    assert info.value.fix

"""Acceptance tests of the pre-operative simulator against CLINICAL.md section 2 (issue #2 'Done means')."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from hsp_desktop.clinical.derived import bsa_mosteller, child_pugh
from hsp_desktop.errors import InputError
from hsp_desktop.synthetic import simulate_preop
from hsp_desktop.synthetic.clinical import CLINICAL_COLUMNS, HIDDEN_COLUMNS

N = 50_000


@pytest.fixture(scope="module")
def big() -> pd.DataFrame:
    return simulate_preop(N, seed=11)


# (column, median, q1, q3) from CLINICAL.md section 2: lognormal median*exp(+-0.6745 s), normal mean+-0.6745 sd.
Z = 0.6744897501960817


def _ln(median: float, s: float) -> tuple[float, float, float]:
    return median, median * np.exp(-Z * s), median * np.exp(Z * s)


def _n(mean: float, sd: float) -> tuple[float, float, float]:
    return mean, mean - Z * sd, mean + Z * sd


TABLE = {
    "age": _n(50, 10),
    "bmi": _n(23.5, 3.2),
    "platelets": _ln(66, 0.70),
    "wbc": _ln(4.3, 0.56),
    "haemoglobin": _n(108, 30),
    "bilirubin": _ln(35, 1.0),
    "albumin": _n(33, 5.5),
    "inr": _ln(1.4, 0.25),
    "creatinine": _ln(70, 0.35),
    "sodium": _n(137, 5),
    "alt": _ln(30, 0.7),
    "ast": _ln(45, 0.7),
    "spleen_volume_ml": _ln(700, 0.42),
    "spleen_length_cm": _n(14.5, 2.5),
    "portal_vein_mm": _n(13.5, 2.5),
    "splenic_vein_mm": _n(10.5, 2.5),
    "splenic_artery_mm": _n(6.0, 1.3),
    "liver_volume_ml": _n(1150, 350),
}


@pytest.mark.parametrize("column", sorted(TABLE))
def test_median_and_iqr_within_5_percent(big: pd.DataFrame, column: str) -> None:
    median, q1, q3 = TABLE[column]
    values = big[column].dropna().to_numpy(dtype=float)
    got_q1, got_med, got_q3 = np.percentile(values, [25, 50, 75])
    assert abs(got_med - median) <= 0.05 * median, (column, got_med, median)
    assert abs((got_q3 - got_q1) - (q3 - q1)) <= 0.05 * (q3 - q1), (column, got_q1, got_q3, q1, q3)


def test_meld_by_hcc(big: pd.DataFrame) -> None:
    for hcc, median in ((0, 17.0), (1, 11.0)):
        vals = big.loc[big.hcc == hcc, "meld"]
        q1, med, q3 = np.percentile(vals, [25, 50, 75])
        e_med, e_q1, e_q3 = _ln(median, 0.5)
        assert abs(med - e_med) <= 0.05 * e_med
        assert abs((q3 - q1) - (e_q3 - e_q1)) <= 0.05 * (e_q3 - e_q1)
    assert big.meld.between(6, 40).all()


@pytest.mark.parametrize(
    ("column", "p"),
    [
        ("hcc", 0.40),
        ("ascites", 0.55),
        ("varices", 0.75),
        ("variceal_bleed", 0.35),
        ("encephalopathy", 0.25),
        ("pvt_partial", 0.12),
        ("splenorenal_shunt", 0.30),
    ],
)
def test_binary_prevalences(big: pd.DataFrame, column: str, p: float) -> None:
    assert abs(big[column].mean() - p) < 0.015


def test_categorical_mixes(big: pd.DataFrame) -> None:
    assert abs((big.sex == "M").mean() - 0.80) < 0.01
    shares = big.aetiology.value_counts(normalize=True)
    for name, p in {"hbv": 0.60, "hcv": 0.05, "alcohol": 0.12, "autoimmune": 0.08, "masld": 0.08}.items():
        assert abs(shares[name] - p) < 0.01
    assert abs((big.graft_type == "deceased_whole").mean() - 0.90) < 0.01
    partial = big.graft_type != "deceased_whole"
    assert big.grwr[partial].notna().all() and big.grwr[~partial].isna().all()
    assert abs(big.grwr[partial].mean() - 1.0) < 0.02


def test_correlation_sv_plt(big: pd.DataFrame) -> None:
    r = np.corrcoef(np.log(big.spleen_volume_ml), np.log(big.platelets))[0, 1]
    assert abs(r - (-0.4)) <= 0.05
    r_len = np.corrcoef(np.log(big.spleen_volume_ml), big.spleen_length_cm)[0, 1]
    assert abs(r_len - 0.75) <= 0.05


def test_latent_structure(big: pd.DataFrame) -> None:
    assert abs(np.corrcoef(big._ph, big._hepatic)[0, 1] - 0.3) < 0.05
    assert abs(np.corrcoef(big._ph, big._texture)[0, 1] - 0.5) < 0.03
    assert big._hepatic[big.hcc == 1].mean() < big._hepatic[big.hcc == 0].mean() - 0.5


def test_prevalence_and_discrimination(big: pd.DataFrame) -> None:
    y = big._y.to_numpy()
    assert abs(y.mean() - 0.25) <= 0.03
    assert abs(roc_auc_score(y, big._lp_preop) - 0.80) <= 0.02
    assert abs(roc_auc_score(y, -big.platelets) - 0.71) <= 0.03
    assert roc_auc_score(y, big._lp_true) > roc_auc_score(y, big._lp_preop) + 0.02
    residual = big._lp_true - big._lp_preop
    assert abs(residual.std() - 0.8) < 0.02


def test_missingness(big: pd.DataFrame) -> None:
    for col in ("haemoglobin", "bilirubin", "albumin", "inr", "creatinine", "sodium", "alt", "ast"):
        assert 0.04 <= big[col].isna().mean() <= 0.16, col
    for col in ("portal_vein_mm", "splenic_vein_mm", "splenic_artery_mm"):
        assert 0.09 <= big[col].isna().mean() <= 0.21, col
    for col in ("platelets", "wbc", "spleen_volume_ml", "age", "sex", "meld", "child_pugh"):
        assert big[col].notna().all(), col


def test_derived_columns(big: pd.DataFrame) -> None:
    sub = big.head(2000)
    assert np.allclose(sub.bsa, bsa_mosteller(sub.height_cm, sub.weight_kg), atol=0.006)
    assert np.allclose(sub.bmi, sub.weight_kg / (sub.height_cm / 100) ** 2, atol=0.06)
    full = sub.dropna(subset=["bilirubin", "albumin", "inr"])
    cp = child_pugh(full.bilirubin, full.albumin, full.inr, full.ascites, full.encephalopathy)
    assert (cp == full.child_pugh).mean() > 0.97  # rounding of the reported labs can move a boundary value
    assert big.child_pugh.between(5, 15).all()


def test_columns_and_determinism() -> None:
    a = simulate_preop(300, seed=5, prospective=20)
    b = simulate_preop(300, seed=5, prospective=20)
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns) == [*CLINICAL_COLUMNS, *HIDDEN_COLUMNS]
    assert (a.cohort == "development").sum() == 300 and (a.cohort == "validation").sum() == 20
    assert a.study_id.is_unique
    assert (pd.to_datetime(a.ct_date) < pd.to_datetime(a.transplant_date)).all()
    assert (
        pd.to_datetime(a.transplant_date[a.cohort == "validation"]).min()
        > pd.to_datetime(a.transplant_date[a.cohort == "development"]).max()
    )
    c = simulate_preop(300, seed=6)
    assert not np.allclose(a._ph[:300], c._ph)


def test_site_effects() -> None:
    df = simulate_preop(20_000, seed=3, sites=4)
    assert sorted(df.site.unique()) == ["site1", "site2", "site3", "site4"]
    per_site = df.groupby("site").agg(
        off=("_site_offset_hu", "first"),
        off_n=("_site_offset_hu", "nunique"),
        noise=("_site_noise_hu", "first"),
        prev=("_y", "mean"),
    )
    assert (per_site.off_n == 1).all()
    assert per_site.off.abs().max() <= 10 and per_site.off.nunique() == 4
    assert per_site.noise.nunique() == 4
    assert per_site.prev.max() - per_site.prev.min() > 0.03  # prevalence shifts between sites
    single = simulate_preop(500, seed=3)
    assert (single._site_offset_hu == 0).all() and (single.site == "site1").all()


@pytest.mark.parametrize(
    "kwargs",
    [{"n": 0, "seed": 1}, {"n": 5, "seed": -1}, {"n": 5, "seed": 1, "sites": 0}, {"n": 2.5, "seed": 1}],
)
def test_bad_arguments(kwargs: dict) -> None:
    with pytest.raises(InputError):
        simulate_preop(**kwargs)


def test_every_numeric_value_is_inside_the_dictionary_hard_range(big: pd.DataFrame) -> None:
    """The generator never writes a value the data dictionary would reject (e.g. an adult under 30 kg)."""
    from hsp_desktop.clinical.dictionary import VARIABLES

    outside = {}
    for name, var in VARIABLES.items():
        if var.range is None or name not in big.columns:
            continue
        col = pd.to_numeric(big[name], errors="coerce").dropna()
        bad = col[(col < var.range[0]) | (col > var.range[1])]
        if not bad.empty:
            outside[name] = (len(bad), float(bad.min()), float(bad.max()), var.range)
    assert not outside, outside

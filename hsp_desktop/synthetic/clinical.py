"""Synthetic pre-operative records following CLINICAL.md section 2 (vectorised, no images).

Two latent factors drive the correlations: portal hypertension ``ph ~ N(0, 1)`` and hepatic dysfunction (corr 0.3
with ``ph``, lower with HCC).  A third latent radiomic texture factor (corr 0.5 with ``ph``) enters the outcome
model and, through the image generator, the CT texture.  The outcome is drawn from the CLINICAL.md log-odds plus
``N(0, 0.8)`` post-transplant noise nobody can see before surgery.

Calibration (``simulate_preop(200_000, seed=1)``): prevalence 0.252; AUC of the true pre-operative predictor
(with texture) 0.806, of platelets alone 0.719, of spleen volume alone 0.728, of the oracle (with post-LT noise)
0.847; corr(ln SV, ln PLT) -0.400; every median of the CLINICAL.md table within 1 % and every IQR within 4 %
(age, reported in whole years, is the widest).

Hidden (ground-truth) columns start with ``_`` and must never reach a model: ``_ph``, ``_hepatic``, ``_texture``,
``_site_offset_hu``, ``_site_noise_hu``, ``_lp_preop``, ``_lp_true``, ``_p_oracle``, ``_y``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from hsp_desktop.clinical.derived import bmi as _bmi
from hsp_desktop.clinical.derived import bsa_mosteller, child_pugh
from hsp_desktop.errors import InputError

# --- CLINICAL.md section 2 ------------------------------------------------------------------------------------
AETIOLOGIES = ("hbv", "hcv", "alcohol", "autoimmune", "masld", "other")
AETIOLOGY_P = (0.60, 0.05, 0.12, 0.08, 0.08, 0.07)
GRAFTS = ("deceased_whole", "living", "split")
GRAFT_P = (0.90, 0.07, 0.03)
P_MALE = 0.80
P_HCC = 0.40
#: lognormal (median, log-SD) and normal (mean, SD) parameters of the table.
LOGNORMAL = {
    "platelets": (66.0, 0.70),
    "wbc": (4.3, 0.56),
    "bilirubin": (35.0, 1.0),
    "inr": (1.4, 0.25),
    "creatinine": (70.0, 0.35),
    "alt": (30.0, 0.7),
    "ast": (45.0, 0.7),
    "spleen_volume_ml": (700.0, 0.42),
}
MELD_MEDIAN = {0: 17.0, 1: 11.0}
MELD_LOG_SD = 0.5
NORMAL = {
    "age": (50.0, 10.0),
    "bmi": (23.5, 3.2),
    "haemoglobin": (108.0, 30.0),
    "albumin": (33.0, 5.5),
    "sodium": (137.0, 5.0),
    "spleen_length_cm": (14.5, 2.5),
    "portal_vein_mm": (13.5, 2.5),
    "splenic_vein_mm": (10.5, 2.5),
    "splenic_artery_mm": (6.0, 1.3),
    "liver_volume_ml": (1150.0, 350.0),
    "grwr": (1.0, 0.2),
}
HEIGHT = {"M": (170.0, 6.0), "F": (158.0, 6.0)}
BINARY_P = {
    "ascites": 0.55,
    "varices": 0.75,
    "variceal_bleed": 0.35,
    "encephalopathy": 0.25,
    "pvt_partial": 0.12,
    "splenorenal_shunt": 0.30,
}
#: Loadings (standardised scale) on the portal-hypertension factor ph (platelets -0.535 rather than the
#: document's -0.50 so that corr(ln SV, ln PLT) = -0.75 * 0.535 = -0.40, the stated target).
PH_LOADING = {
    "spleen_volume_ml": 0.75,
    "platelets": -0.535,
    "wbc": -0.35,
    "portal_vein_mm": 0.50,
    "splenic_vein_mm": 0.55,
    "splenic_artery_mm": 0.40,
    "liver_volume_ml": -0.15,
    "haemoglobin": -0.20,
}
#: Loadings on the standardised hepatic-dysfunction factor.
HEP_LOADING = {
    "bilirubin": 0.70,
    "inr": 0.60,
    "albumin": -0.55,
    "creatinine": 0.25,
    "sodium": -0.30,
    "liver_volume_ml": -0.35,
    "haemoglobin": -0.15,
    "alt": 0.20,
    "ast": 0.30,
}
MELD_HEP_LOADING = 0.85
#: Liability loadings of the binary findings on (ph, hepatic).
BINARY_LOADING = {
    "ascites": (0.40, 0.50),
    "varices": (0.60, 0.0),
    "variceal_bleed": (0.0, 0.0),  # drawn among recipients with varices
    "encephalopathy": (0.10, 0.55),
    "pvt_partial": (0.25, 0.10),
    "splenorenal_shunt": (0.45, 0.0),
}
CORR_PH_HEPATIC = 0.3
CORR_TEXTURE_PH = 0.5
#: Shift of the hepatic factor with HCC (HCC recipients have better liver function): ln(17/11) / 0.5 SD.
HCC_HEPATIC_SHIFT = float(np.log(17.0 / 11.0) / MELD_LOG_SD)
SPLEEN_LENGTH_CORR = 0.75
#: Missingness (fraction missing) -- labs 5-15 %, vessel diameters 10-20 %, none on PLT/WBC.
MISSING = {
    "haemoglobin": 0.05,
    "bilirubin": 0.06,
    "albumin": 0.08,
    "inr": 0.07,
    "creatinine": 0.05,
    "sodium": 0.10,
    "alt": 0.12,
    "ast": 0.12,
    "portal_vein_mm": 0.12,
    "splenic_vein_mm": 0.15,
    "splenic_artery_mm": 0.18,
}

# --- outcome model (log-odds) -----------------------------------------------------------------------------
#: Intercept calibrated for 25 % prevalence on a large sample (see tests/synthetic/test_clinical_simulation.py).
INTERCEPT = -1.84
COEF = {
    "ln_plt": -0.85,  # ln(PLT / 66)
    "ln_sv": 1.0,  # ln(SV / 700)
    "portal_vein": 0.14,  # per mm above 13.5
    "splenic_vein": 0.095,  # per mm above 10.5
    "ln_wbc": -0.38,  # ln(WBC / 4.3)
    "meld": 0.05,  # per 5 points above 14
    "hbv": 0.18,
    "age": 0.10,  # per 10 years above 50
    "shunt": 0.26,
    "small_living_graft": 0.40,  # living donor and GRWR < 0.8
    "texture": 0.47,  # per SD of the latent texture factor
}
POST_LT_NOISE_SD = 0.8

#: Dates: development transplants, prospective (validation) transplants, and the cohort's reference "today".
DEVELOPMENT_DATES = (dt.date(2021, 1, 4), dt.date(2024, 6, 28))
PROSPECTIVE_DATES = (dt.date(2025, 3, 3), dt.date(2025, 12, 19))
REFERENCE_DATE = dt.date(2026, 6, 30)

#: Column order of the public clinical table (CONTRACTS section A).
CLINICAL_COLUMNS = (
    "study_id",
    "site",
    "cohort",
    "transplant_date",
    "ct_date",
    "consent",
    "prior_splenectomy",
    "prior_splenic_embolisation",
    "splenic_artery_ligation",
    "post_lt_splenic_embolisation",
    "tips_or_portal_surgery",
    "perioperative_death",
    "haematological_disease",
    "age",
    "sex",
    "height_cm",
    "weight_kg",
    "bmi",
    "bsa",
    "aetiology",
    "hcc",
    "graft_type",
    "grwr",
    "meld",
    "child_pugh",
    "platelets",
    "wbc",
    "haemoglobin",
    "bilirubin",
    "albumin",
    "inr",
    "creatinine",
    "sodium",
    "alt",
    "ast",
    "ascites",
    "varices",
    "variceal_bleed",
    "encephalopathy",
    "pvt_partial",
    "splenorenal_shunt",
    "spleen_volume_ml",
    "spleen_length_cm",
    "portal_vein_mm",
    "splenic_vein_mm",
    "splenic_artery_mm",
    "liver_volume_ml",
)
HIDDEN_COLUMNS = (
    "_ph",
    "_hepatic",
    "_texture",
    "_site_offset_hu",
    "_site_noise_hu",
    "_lp_preop",
    "_lp_true",
    "_p_oracle",
    "_y",
)
#: Scanner noise (HU, SD) of the single-site default.
DEFAULT_SCANNER_NOISE_HU = 10.0


@dataclass(frozen=True)
class SiteEffects:
    """Per-site effects for multi-centre simulation.

    Attributes
    ----------
    name : str
        Site label, e.g. ``"site2"``.
    ph_shift : float
        Case-mix: mean shift of the portal-hypertension factor (SD units).
    hcc_p : float
        Case-mix: probability of HCC at this site.
    intercept_shift : float
        Prevalence shift (log-odds) from unmeasured site practice.
    offset_hu : float
        Scanner calibration offset (HU), within +/-10.
    noise_hu : float
        Scanner noise SD (HU).
    """

    name: str
    ph_shift: float
    hcc_p: float
    intercept_shift: float
    offset_hu: float
    noise_hu: float


def site_effects(sites: int, seed: int) -> tuple[SiteEffects, ...]:
    """Return the deterministic per-site effects for ``sites`` centres (one site: no effects)."""
    if sites == 1:
        return (SiteEffects("site1", 0.0, P_HCC, 0.0, 0.0, DEFAULT_SCANNER_NOISE_HU),)
    rng = np.random.default_rng([seed, 7919])
    out = []
    for k in range(sites):
        out.append(
            SiteEffects(
                name=f"site{k + 1}",
                ph_shift=float(rng.normal(0.0, 0.25)),
                hcc_p=float(np.clip(P_HCC + rng.normal(0.0, 0.08), 0.15, 0.65)),
                intercept_shift=float(rng.normal(0.0, 0.25)),
                offset_hu=float(rng.uniform(-10.0, 10.0)),
                noise_hu=float(rng.uniform(6.0, 16.0)),
            )
        )
    return tuple(out)


def _hepatic_median_offset() -> float:
    """Median of the unscaled hepatic mixture ``h - shift * hcc`` (h ~ N(0,1), hcc ~ Bernoulli(0.4))."""

    def cdf(x: float) -> float:
        return float((1 - P_HCC) * stats.norm.cdf(x) + P_HCC * stats.norm.cdf(x + HCC_HEPATIC_SHIFT) - 0.5)

    return float(optimize.brentq(cdf, -3.0, 3.0))


_HEP_CENTRE = _hepatic_median_offset()
_HEP_SCALE = float(np.sqrt(1.0 + HCC_HEPATIC_SHIFT**2 * P_HCC * (1 - P_HCC)))


def _check_args(n: int, seed: int, sites: int, prospective: int) -> None:
    for name, value, low in (("n", n, 1), ("sites", sites, 1), ("prospective", prospective, 0)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            raise InputError(
                f"invalid {name} for the synthetic cohort",
                expected=f"an integer >= {low}",
                found=repr(value),
                fix=f"pass {name} as a whole number >= {low}",
                field=name,
            )
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise InputError(
            "invalid seed for the synthetic cohort",
            expected="an integer >= 0",
            found=repr(seed),
            fix="pass a non-negative whole number",
            field="seed",
        )


def _loaded(z_factor: np.ndarray, loading: float, noise: np.ndarray) -> np.ndarray:
    """Standard-normal variable with correlation ``loading`` to the standard-normal factor."""
    return np.asarray(loading * z_factor + np.sqrt(1.0 - loading * loading) * noise)


def _dates(rng: np.random.Generator, n: int, bounds: tuple[dt.date, dt.date]) -> np.ndarray:
    span = (bounds[1] - bounds[0]).days
    days = np.sort(rng.integers(0, span + 1, size=n))
    return np.array([bounds[0] + dt.timedelta(days=int(d)) for d in days], dtype=object)


def simulate_preop(
    n: int,
    seed: int,
    sites: int = 1,
    *,
    prospective: int = 0,
    prospective_shift: float = 0.0,
    prospective_offset_hu: float = 0.0,
) -> pd.DataFrame:
    """Simulate pre-operative records with latent factors and the true outcome.

    Parameters
    ----------
    n : int
        Number of development-cohort recipients.
    seed : int
        Random seed; the same arguments always give the same table.
    sites : int, default 1
        Number of centres; with more than one, each site has its own case-mix (portal-hypertension and HCC
        shifts), prevalence shift and scanner HU offset / noise.
    prospective : int, default 0
        Additional recipients of the prospective (validation) cohort, transplanted later.
    prospective_shift : float, default 0
        Log-odds added to the prospective recipients' outcome model (a known intercept shift for monitoring
        tests); the random draws are unchanged, so only outcomes near the threshold change.
    prospective_offset_hu : float, default 0
        HU offset of the prospective recipients' scanner (a new scanner, added to the site offset).

    Returns
    -------
    pandas.DataFrame
        One row per recipient: the clinical columns of CONTRACTS section A in dictionary units (missing values
        as NaN/None) and the hidden ground-truth columns ``_ph, _hepatic, _texture, _site_offset_hu,
        _site_noise_hu, _lp_preop, _lp_true, _p_oracle, _y``.
    """
    _check_args(n, seed, sites, prospective)
    total = int(n) + int(prospective)
    ss = np.random.SeedSequence([int(seed), 20260])
    streams = [np.random.default_rng(s) for s in ss.spawn(6)]
    r_lat, r_var, r_bin, r_miss, r_out, r_adm = streams
    m = total

    effects = site_effects(int(sites), int(seed))
    site_idx = r_adm.integers(0, len(effects), size=m) if len(effects) > 1 else np.zeros(m, dtype=int)
    ph_shift = np.array([e.ph_shift for e in effects])[site_idx]
    hcc_p = np.array([e.hcc_p for e in effects])[site_idx]
    icpt_shift = np.array([e.intercept_shift for e in effects])[site_idx]
    offset_hu = np.array([e.offset_hu for e in effects])[site_idx]
    noise_hu = np.array([e.noise_hu for e in effects])[site_idx]
    later = np.arange(m) >= int(n)
    icpt_shift = icpt_shift + float(prospective_shift) * later
    offset_hu = offset_hu + float(prospective_offset_hu) * later

    # Latent factors.
    ph = r_lat.standard_normal(m) + ph_shift
    hcc = (r_lat.random(m) < hcc_p).astype(int)
    h_raw = _loaded(ph - ph_shift, CORR_PH_HEPATIC, r_lat.standard_normal(m))
    hepatic = (h_raw - HCC_HEPATIC_SHIFT * hcc - _HEP_CENTRE) / _HEP_SCALE
    texture = _loaded(ph - ph_shift, CORR_TEXTURE_PH, r_lat.standard_normal(m)) + CORR_TEXTURE_PH * ph_shift

    def z(name: str) -> np.ndarray:
        """Standard-normal score of a continuous variable from its loadings on ph and hepatic."""
        a = PH_LOADING.get(name, 0.0)
        b = HEP_LOADING.get(name, 0.0)
        shared = a * ph + b * hepatic
        var_shared = a * a + b * b + 2 * a * b * CORR_PH_HEPATIC
        return np.asarray(shared + np.sqrt(max(1.0 - var_shared, 0.0)) * r_var.standard_normal(m))

    out: dict[str, object] = {}
    # Demographics.
    age = np.empty(m)
    todo = np.arange(m)
    while todo.size:  # truncated normal within the study's 18-75 eligibility range
        age[todo] = r_var.normal(*NORMAL["age"], size=todo.size)
        todo = todo[(age[todo] < 17.5) | (age[todo] >= 75.5)]
    sex = np.where(r_var.random(m) < P_MALE, "M", "F")
    height = np.where(
        sex == "M",
        r_var.normal(*HEIGHT["M"], size=m),
        r_var.normal(*HEIGHT["F"], size=m),
    )
    bmi_true = np.clip(r_var.normal(*NORMAL["bmi"], size=m), 14.0, 50.0)
    height = np.round(height, 0)
    # the data dictionary's adult minimum (30 kg): a short recipient at the lowest BMI would fall below it
    weight = np.maximum(np.round(bmi_true * (height / 100.0) ** 2, 1), 30.0)
    aetiology = np.asarray(AETIOLOGIES)[r_var.choice(len(AETIOLOGIES), size=m, p=AETIOLOGY_P)]
    graft = np.asarray(GRAFTS)[r_var.choice(len(GRAFTS), size=m, p=GRAFT_P)]
    grwr = np.clip(r_var.normal(*NORMAL["grwr"], size=m), 0.45, 2.4)
    grwr = np.where(graft == "deceased_whole", np.nan, np.round(grwr, 2))

    # Continuous labs and imaging measurements.
    values: dict[str, np.ndarray] = {}
    for name, (median, log_sd) in LOGNORMAL.items():
        values[name] = median * np.exp(log_sd * z(name))
    for name in ("haemoglobin", "albumin", "sodium", "portal_vein_mm", "splenic_vein_mm"):
        mean, sd = NORMAL[name]
        values[name] = mean + sd * z(name)
    mean, sd = NORMAL["splenic_artery_mm"]
    values["splenic_artery_mm"] = mean + sd * z("splenic_artery_mm")
    mean, sd = NORMAL["liver_volume_ml"]
    values["liver_volume_ml"] = mean + sd * z("liver_volume_ml")
    z_sv = (
        np.log(values["spleen_volume_ml"] / LOGNORMAL["spleen_volume_ml"][0])
        / LOGNORMAL["spleen_volume_ml"][1]
    )
    mean, sd = NORMAL["spleen_length_cm"]
    values["spleen_length_cm"] = mean + sd * _loaded(z_sv, SPLEEN_LENGTH_CORR, r_var.standard_normal(m))
    meld_noise = r_var.standard_normal(m)
    # MELD: per-HCC-group lognormal, driven by the within-group hepatic factor.
    meld = np.array([MELD_MEDIAN[int(k)] for k in hcc]) * np.exp(
        MELD_LOG_SD * _loaded(h_raw, MELD_HEP_LOADING, meld_noise)
    )

    clip = {
        "platelets": (3.0, 1400.0),
        "wbc": (0.3, 90.0),
        "bilirubin": (5.0, 950.0),  # below 5 umol/L would read as a mg/dL unit trap
        "inr": (0.8, 9.0),
        "creatinine": (20.0, 1400.0),
        "alt": (3.0, 9000.0),
        "ast": (3.0, 9000.0),
        "spleen_volume_ml": (60.0, 4800.0),
        "haemoglobin": (40.0, 210.0),
        "albumin": (12.0, 58.0),
        "sodium": (105.0, 170.0),
        "portal_vein_mm": (5.0, 33.0),
        "splenic_vein_mm": (3.0, 28.0),
        "splenic_artery_mm": (1.5, 18.0),
        "liver_volume_ml": (350.0, 4800.0),
        "spleen_length_cm": (5.0, 33.0),
    }
    for name, (lo, hi) in clip.items():
        values[name] = np.clip(values[name], lo, hi)
    meld = np.clip(meld, 6.0, 40.0)

    # Binary findings (probit liabilities on the latent factors).
    flags: dict[str, np.ndarray] = {}
    for name, p in BINARY_P.items():
        a, b = BINARY_LOADING[name]
        var_shared = a * a + b * b + 2 * a * b * CORR_PH_HEPATIC
        liability = a * (ph - ph_shift) + b * hepatic + np.sqrt(1 - var_shared) * r_bin.standard_normal(m)
        flags[name] = (liability + a * ph_shift > stats.norm.ppf(1 - p)).astype(int)
    # A prior variceal bleed needs varices: P(bleed | varices) = 0.35 / 0.75.
    bleed_given_varices = BINARY_P["variceal_bleed"] / BINARY_P["varices"]
    flags["variceal_bleed"] = flags["varices"] * (r_bin.random(m) < bleed_given_varices).astype(int)

    # Outcome model (true, pre-operative values before any missingness).
    small_living = (graft == "living") & (np.nan_to_num(grwr, nan=9.0) < 0.8)
    lp_preop = (
        INTERCEPT
        + icpt_shift
        + COEF["ln_plt"] * np.log(values["platelets"] / 66.0)
        + COEF["ln_sv"] * np.log(values["spleen_volume_ml"] / 700.0)
        + COEF["portal_vein"] * (values["portal_vein_mm"] - 13.5)
        + COEF["splenic_vein"] * (values["splenic_vein_mm"] - 10.5)
        + COEF["ln_wbc"] * np.log(values["wbc"] / 4.3)
        + COEF["meld"] * (meld - 14.0) / 5.0
        + COEF["hbv"] * (aetiology == "hbv")
        + COEF["age"] * (age - 50.0) / 10.0
        + COEF["shunt"] * flags["splenorenal_shunt"]
        + COEF["small_living_graft"] * small_living
        + COEF["texture"] * texture
    )
    lp_true = lp_preop + r_out.normal(0.0, POST_LT_NOISE_SD, size=m)
    p_oracle = special.expit(lp_true)
    y = (r_out.random(m) < p_oracle).astype(int)

    cp = child_pugh(
        values["bilirubin"], values["albumin"], values["inr"], flags["ascites"], flags["encephalopathy"]
    ).astype(int)

    # Rounding to the precision a laboratory reports.
    decimals = {
        "platelets": 0,
        "wbc": 2,
        "haemoglobin": 0,
        "bilirubin": 1,
        "albumin": 1,
        "inr": 2,
        "creatinine": 0,
        "sodium": 1,
        "alt": 0,
        "ast": 0,
        "spleen_volume_ml": 1,
        "spleen_length_cm": 1,
        "portal_vein_mm": 1,
        "splenic_vein_mm": 1,
        "splenic_artery_mm": 1,
        "liver_volume_ml": 0,
    }
    for name, d in decimals.items():
        values[name] = np.round(values[name], d)
    # Missingness (after the outcome was drawn from the true values).
    for name, frac in MISSING.items():
        miss = r_miss.random(m) < frac
        values[name] = np.where(miss, np.nan, values[name])

    # Administrative columns.
    width = max(4, len(str(m)))
    study_id = [f"HSP-{i + 1:0{width}d}" for i in range(m)]
    cohort = np.array(["development"] * n + ["validation"] * prospective, dtype=object)
    tx = np.concatenate([_dates(r_adm, n, DEVELOPMENT_DATES), _dates(r_adm, prospective, PROSPECTIVE_DATES)])
    ct_gap = r_adm.integers(1, 61, size=m)
    ct_date = np.array([d - dt.timedelta(days=int(g)) for d, g in zip(tx, ct_gap, strict=True)], dtype=object)

    out["study_id"] = study_id
    out["site"] = [effects[int(k)].name for k in site_idx]
    out["cohort"] = cohort
    out["transplant_date"] = [d.isoformat() for d in tx]
    out["ct_date"] = [d.isoformat() for d in ct_date]
    out["consent"] = np.ones(m, dtype=int)
    for flag in (
        "prior_splenectomy",
        "prior_splenic_embolisation",
        "splenic_artery_ligation",
        "post_lt_splenic_embolisation",
        "tips_or_portal_surgery",
        "perioperative_death",
        "haematological_disease",
    ):
        out[flag] = np.zeros(m, dtype=int)
    out["age"] = np.round(age).astype(int)
    out["sex"] = sex
    out["height_cm"] = height
    out["weight_kg"] = weight
    out["bmi"] = np.round(_bmi(height, weight), 1)
    out["bsa"] = np.round(bsa_mosteller(height, weight), 2)
    out["aetiology"] = aetiology
    out["hcc"] = hcc
    out["graft_type"] = graft
    out["grwr"] = grwr
    out["meld"] = np.round(meld, 1)
    out["child_pugh"] = cp
    for name in ("platelets", "wbc", "haemoglobin", "bilirubin", "albumin", "inr", "creatinine", "sodium"):
        out[name] = values[name]
    out["alt"] = values["alt"]
    out["ast"] = values["ast"]
    for name in BINARY_P:
        out[name] = flags[name]
    for name in (
        "spleen_volume_ml",
        "spleen_length_cm",
        "portal_vein_mm",
        "splenic_vein_mm",
        "splenic_artery_mm",
        "liver_volume_ml",
    ):
        out[name] = values[name]
    out["_ph"] = ph
    out["_hepatic"] = hepatic
    out["_texture"] = texture
    out["_site_offset_hu"] = offset_hu
    out["_site_noise_hu"] = noise_hu
    out["_lp_preop"] = lp_preop
    out["_lp_true"] = lp_true
    out["_p_oracle"] = p_oracle
    out["_y"] = y
    frame = pd.DataFrame(out, columns=[*CLINICAL_COLUMNS, *HIDDEN_COLUMNS])
    for name in ("platelets",):
        frame[name] = frame[name].astype(int)
    return frame

"""Data dictionary: coverage of CLINICAL.md, labels, units, unit traps, every problem at once."""

from __future__ import annotations

import math

import pytest

from hsp_desktop.clinical import units
from hsp_desktop.clinical.dictionary import (
    FOLLOWUP_VARIABLES,
    UNIT_TRAPS,
    VARIABLES,
    validate_record,
    validate_records,
    validate_visit,
)
from hsp_desktop.errors import ValidationError
from hsp_desktop.synthetic import simulate_preop

CONTRACT_A = (
    "study_id site cohort transplant_date ct_date consent prior_splenectomy prior_splenic_embolisation "
    "splenic_artery_ligation post_lt_splenic_embolisation tips_or_portal_surgery perioperative_death "
    "haematological_disease age sex height_cm weight_kg bmi bsa aetiology hcc graft_type grwr meld child_pugh "
    "platelets wbc haemoglobin bilirubin albumin inr creatinine sodium alt ast ascites varices variceal_bleed "
    "encephalopathy pvt_partial splenorenal_shunt spleen_volume_ml spleen_length_cm portal_vein_mm "
    "splenic_vein_mm splenic_artery_mm liver_volume_ml"
).split()
CONTRACT_B = (
    "study_id date day platelets wbc haemoglobin spleen_volume_ml spleen_length_cm pv_complication ha_thrombosis "
    "rejection_or_graft_dysfunction infection myelotoxic_drugs intervention event bleeding notes"
).split()


def good_record() -> dict:
    return {
        "study_id": "HSP-0001",
        "site": "site1",
        "cohort": "development",
        "transplant_date": "2023-05-10",
        "ct_date": "2023-04-20",
        "consent": 1,
        "prior_splenectomy": 0,
        "prior_splenic_embolisation": 0,
        "splenic_artery_ligation": 0,
        "post_lt_splenic_embolisation": 0,
        "tips_or_portal_surgery": 0,
        "perioperative_death": 0,
        "haematological_disease": 0,
        "age": 52,
        "sex": "M",
        "height_cm": 172,
        "weight_kg": 70,
        "aetiology": "hbv",
        "hcc": 1,
        "graft_type": "deceased_whole",
        "meld": 14.2,
        "platelets": 66,
        "wbc": 4.3,
        "haemoglobin": 108,
        "bilirubin": 35.0,
        "albumin": 33.0,
        "inr": 1.4,
        "creatinine": 70,
        "sodium": 137,
        "alt": 30,
        "ast": 45,
        "ascites": 1,
        "varices": 1,
        "variceal_bleed": 0,
        "encephalopathy": 0,
        "pvt_partial": 0,
        "splenorenal_shunt": 0,
        "spleen_volume_ml": 700,
        "spleen_length_cm": 14.5,
        "portal_vein_mm": 13.5,
        "splenic_vein_mm": 10.5,
        "splenic_artery_mm": 6.0,
        "liver_volume_ml": 1150,
    }


def test_dictionary_covers_the_contract() -> None:
    assert list(VARIABLES) == CONTRACT_A
    assert list(FOLLOWUP_VARIABLES) == CONTRACT_B


@pytest.mark.parametrize("var", [*VARIABLES.values(), *FOLLOWUP_VARIABLES.values()], ids=lambda v: v.name)
def test_every_variable_is_fully_described(var) -> None:
    assert var.label_en and var.label_zh and var.label_zh != var.label_en
    assert any("\u4e00" <= ch <= "\u9fff" for ch in var.label_zh)
    assert var.type in {"str", "int", "float", "binary", "category", "date"}
    assert var.group
    if var.type in {"int", "float"}:
        assert var.decimals is not None
    if var.type == "category":
        assert var.choices and var.choice_labels_zh and len(var.choices) == len(var.choice_labels_zh)
    if var.range is not None:
        assert var.range[0] < var.range[1]
    for alt in var.alt_units:
        assert alt.factor > 0 and alt.symbol


def test_hard_ranges_match_clinical_md() -> None:
    expected = {
        "age": (18, 75),
        "height_cm": (120, 220),
        "weight_kg": (30, 250),
        "bmi": (12, 60),
        "grwr": (0.4, 2.5),
        "meld": (6, 40),
        "child_pugh": (5, 15),
        "platelets": (1, 1500),
        "wbc": (0.1, 100),
        "haemoglobin": (30, 220),
        "bilirubin": (1, 1000),
        "albumin": (10, 60),
        "inr": (0.7, 10),
        "creatinine": (10, 1500),
        "sodium": (100, 175),
        "alt": (1, 10000),
        "ast": (1, 10000),
        "spleen_volume_ml": (30, 5000),
        "spleen_length_cm": (3, 35),
        "portal_vein_mm": (4, 35),
        "splenic_vein_mm": (2, 30),
        "splenic_artery_mm": (1, 20),
        "liver_volume_ml": (300, 5000),
    }
    for name, rng in expected.items():
        assert VARIABLES[name].range == rng, name


def test_exact_conversion_factors() -> None:
    assert units.BILIRUBIN_MG_DL_TO_UMOL_L == 17.1
    assert units.CREATININE_MG_DL_TO_UMOL_L == 88.4
    assert units.G_DL_TO_G_L == 10.0
    assert units.PER_UL_TO_1E9_PER_L == 1e-3
    assert set(UNIT_TRAPS) == {"platelets", "wbc", "bilirubin", "creatinine", "albumin", "haemoglobin"}


def test_good_record_passes_and_derives() -> None:
    res = validate_record(good_record())
    assert res.ok, res.problems
    assert res.values["bmi"] == pytest.approx(23.7, abs=0.05)
    assert res.values["bsa"] == pytest.approx(math.sqrt(172 * 70 / 3600), abs=0.005)
    # bilirubin 35 (2), albumin 33 (2), INR 1.4 (1), ascites (2), no HE (1)
    assert res.values["child_pugh"] == 8
    assert res.raise_for_problems() is res


@pytest.mark.parametrize(
    ("field", "typed", "canonical"),
    [
        ("platelets", 66000, 66.0),
        ("wbc", 4300, 4.3),
        ("bilirubin", 2.0, 34.2),
        ("creatinine", 0.8, 70.72),
        ("albumin", 3.3, 33.0),
        ("haemoglobin", 10.8, 108.0),
    ],
)
def test_unit_traps_rejected_then_converted_on_confirmation(
    field: str, typed: float, canonical: float
) -> None:
    rec = good_record() | {field: typed}
    res = validate_record(rec)
    assert not res.ok
    (p,) = [p for p in res.problems if p.field == field]
    assert "looks like" in p.reason and "confirm" in p.fix and "=" in p.fix
    assert res.values[field] is None
    ok = validate_record(rec, confirm_units=True)
    assert ok.ok, ok.problems
    decimals = VARIABLES[field].decimals
    assert ok.values[field] == pytest.approx(round(canonical, decimals), abs=1e-9)
    (conv,) = [c for c in ok.conversions if c.field == field]
    assert conv.confirmed and conv.value == typed


@pytest.mark.parametrize(
    ("field", "typed", "canonical"),
    [
        ("platelets", "66000 /uL", 66.0),
        ("platelets", "66 x10^3/µL", 66.0),
        ("bilirubin", "2 mg/dL", 34.2),
        ("creatinine", "1.0 mg/dl", 88.0),
        ("haemoglobin", "10.8 g/dL", 108.0),
        ("weight_kg", "154 lb", 69.9),
        ("spleen_length_cm", "145 mm", 14.5),
        ("spleen_volume_ml", "0.7 L", 700.0),
        ("platelets", "66 ×10⁹/L", 66.0),
        ("albumin", "33,5", 33.5),
    ],
)
def test_explicit_units_convert_without_confirmation(field: str, typed: str, canonical: float) -> None:
    res = validate_record(good_record() | {field: typed})
    assert res.ok, res.problems
    assert res.values[field] == pytest.approx(canonical, abs=0.051)


def test_unit_column_and_conflicting_units() -> None:
    res = validate_record(good_record() | {"bilirubin": 2.0, "bilirubin_unit": "mg/dL"})
    assert res.ok and res.values["bilirubin"] == pytest.approx(34.2)
    bad = validate_record(good_record() | {"bilirubin": "2 mg/dL", "bilirubin_unit": "umol/L"})
    assert [p.field for p in bad.problems] == ["bilirubin"]
    wrong = validate_record(good_record() | {"platelets": "66 mmol/L"})
    assert "not accepted" in wrong.problems[0].reason and "×10⁹/L" in wrong.problems[0].fix


def test_every_problem_reported_at_once() -> None:
    rec = good_record() | {
        "age": 80,
        "platelets": 66000,
        "bilirubin": "abc",
        "sex": "X",
        "hcc": "maybe",
        "sodium": 200,
        "unknown_col": 1,
        "paltelets_x": 3,
    }
    del rec["meld"]
    res = validate_record(rec)
    fields = sorted(p.field for p in res.problems)
    assert fields == sorted(
        ["age", "platelets", "bilirubin", "sex", "hcc", "sodium", "unknown_col", "paltelets_x", "meld"]
    )
    for p in res.problems:
        assert p.reason and p.fix
    with pytest.raises(ValidationError) as info:
        validate_record(rec, raise_errors=True)
    assert len(info.value.problems) == 9
    assert "age=80" in str(info.value) and "HSP-0001" in str(info.value)


def test_cross_field_checks() -> None:
    swapped = validate_record(good_record() | {"transplant_date": "2023-04-20", "ct_date": "2023-05-10"})
    assert [p.field for p in swapped.problems] == ["ct_date"] and "swapped" in swapped.problems[0].reason
    assert validate_record(good_record() | {"graft_type": "living"}).problems[0].field == "grwr"
    assert validate_record(good_record() | {"grwr": 1.0}).problems[0].field == "grwr"
    assert validate_record(good_record() | {"graft_type": "living", "grwr": 0.7}).ok
    assert validate_record(good_record() | {"bmi": 30.0}).problems[0].field == "bmi"
    cp = validate_record(good_record() | {"child_pugh": 11})
    assert cp.ok and cp.warnings[0].field == "child_pugh" and cp.values["child_pugh"] == 11
    no_components = good_record() | {"bilirubin": None}
    assert validate_record(no_components).problems[0].field == "child_pugh"


def test_synonyms_and_chinese_entries() -> None:
    res = validate_record(good_record() | {"sex": "男", "hcc": "是", "ascites": "yes", "aetiology": "NASH"})
    assert res.ok
    assert (res.values["sex"], res.values["hcc"], res.values["ascites"], res.values["aetiology"]) == (
        "M",
        1,
        1,
        "masld",
    )


def test_thousands_separator_is_refused() -> None:
    res = validate_record(good_record() | {"platelets": "66,000"})
    assert res.problems[0].field == "platelets" and "thousands" in res.problems[0].fix


def test_synthetic_rows_validate_clean() -> None:
    df = simulate_preop(300, seed=2, prospective=10)
    public = df[[c for c in df.columns if not c.startswith("_")]]
    results = validate_records(public.to_dict("records"))
    problems = [p for r in results for p in r.problems]
    assert not problems, problems[:5]
    # Child-Pugh recomputed from the (rounded) labs agrees for nearly every row with complete labs (the synthetic
    # MELD is drawn beside its labs, not from them, so its recomputation warnings are not counted here)
    assert sum(bool([w for w in r.warnings if w.field != "meld"]) for r in results) <= 15


def test_visit_validation() -> None:
    visit = {
        "study_id": "HSP-0001",
        "date": "2023-11-06",
        "platelets": 85000,
        "wbc": 3.1,
        "intervention": "pse",
    }
    res = validate_visit(visit, transplant_date="2023-05-10")
    assert [p.field for p in res.problems] == ["platelets"]
    ok = validate_visit(visit, transplant_date="2023-05-10", confirm_units=True)
    assert ok.ok and ok.values["platelets"] == 85 and ok.values["day"] == 180
    before = validate_visit(visit | {"platelets": 85, "date": "2023-05-01"}, transplant_date="2023-05-10")
    assert before.problems[0].field == "date"
    mismatch = validate_visit(visit | {"platelets": 85, "day": 100}, transplant_date="2023-05-10")
    assert mismatch.problems[0].field == "day"
    empty = validate_visit({"study_id": "HSP-0001", "date": "2023-11-06"})
    assert empty.problems[0].field == "visit"
    assert validate_visit(visit | {"platelets": 85, "event": "died"}).values["event"] == "death"


def test_trap_value_accepted_with_explicit_canonical_unit() -> None:
    res = validate_record(good_record() | {"bilirubin": 4.8})
    assert "'4.8 µmol/L'" in res.problems[0].fix
    ok = validate_record(good_record() | {"bilirubin": "4.8 µmol/L"})
    assert ok.ok and ok.values["bilirubin"] == 4.8 and not ok.conversions


@pytest.mark.parametrize("sid", ["0.0", "HSP 0001", "HSP/1", "x" * 33, "病人1"])
def test_study_id_format(sid: str) -> None:
    res = validate_record(good_record() | {"study_id": sid})
    assert [p.field for p in res.problems] == ["study_id"]


def test_text_length_limits() -> None:
    assert validate_record(good_record() | {"site": "s" * 65}).problems[0].field == "site"
    visit = {"study_id": "HSP-1", "date": "2023-11-06", "platelets": 80, "notes": "n" * 2001}
    assert validate_visit(visit).problems[0].field == "notes"


def test_labels_by_language() -> None:
    sex = VARIABLES["sex"]
    assert sex.label("zh") == "性别" and sex.label("en") == "Sex" and sex.label("zh_CN") == "性别"
    assert sex.choice_label("F", "zh") == "女" and sex.choice_label("F") == "F"
    with pytest.raises(KeyError):
        sex.choice_label("X")


def test_meld_recomputed_from_labs_flags_a_disagreement_before_scoring() -> None:
    """Issue 16 item 11: a MELD of 40 typed beside labs that imply about 26 does not pass silently."""
    from hsp_desktop.clinical.derived import meld, score_disagreements

    # bilirubin 8 mg/dL, INR 2.0, creatinine 1.5 mg/dL: MELD 10*(0.957 ln1.5 + 0.378 ln8 + 1.12 ln2 + 0.643) = 26
    labs = {"bilirubin": 8 * 17.1, "inr": 2.0, "creatinine": 1.5 * 88.4}
    assert meld(**labs) == 26
    assert meld(5.0, 0.9, 40.0) == 6 and meld(800.0, 9.0, 1400.0) == 40  # floors at 1, creatinine cap 4, 6-40
    flags = score_disagreements({**labs, "meld": 40})
    assert [f["field"] for f in flags] == ["meld"] and flags[0]["computed"] == 26
    assert "MELD entered 40" in flags[0]["message"] and "units" in flags[0]["message"]
    assert score_disagreements({**labs, "meld": 28}) == []  # within 3 points
    assert score_disagreements({"meld": 40, "inr": 2.0}) == []  # not recomputable: no flag
    rec = good_record()
    computed = meld(rec["bilirubin"], rec["inr"], rec["creatinine"])
    res = validate_record(rec | {"meld": min(40, computed + 10)})
    assert res.ok and [w.field for w in res.warnings if w.field == "meld"] == ["meld"]
    assert (
        "computed from bilirubin, INR and creatinine"
        in next(w for w in res.warnings if w.field == "meld").reason
    )
    assert not [w for w in validate_record(rec | {"meld": computed}).warnings if w.field == "meld"]

"""Outcome definition: every branch and boundary of CLINICAL.md section 1."""

from __future__ import annotations

import datetime as dt

import pytest

from hsp_desktop.clinical.outcome import (
    DEFINITION_BASE_ID,
    EXCLUDED_FLAG,
    OutcomeDefinition,
    derive_outcome,
)
from hsp_desktop.errors import InputError, SettingsError

TX = dt.date(2024, 1, 1)
PREOP = {"platelets": 60.0, "wbc": 3.0, "spleen_volume_ml": 800.0, "bsa": 1.8}


def visit(day: int, **kw) -> dict:
    return {"date": (TX + dt.timedelta(days=day)).isoformat(), **kw}


def refractory(**extra) -> list[dict]:
    """Two cytopenic counts 14 days apart with an enlarged spleen: outcome 1."""
    return [
        visit(30, platelets=55, wbc=3.0),
        visit(90, platelets=60, wbc=3.2),
        visit(172, platelets=70, wbc=3.5, spleen_volume_ml=600, spleen_length_cm=15.0),
        visit(186, platelets=72, wbc=3.6, **extra),
    ]


def recovered() -> list[dict]:
    return [
        visit(30, platelets=90, wbc=4.5),
        visit(175, platelets=150, wbc=5.0, spleen_volume_ml=250, spleen_length_cm=11.0),
        visit(189, platelets=160, wbc=5.5),
    ]


def derive(visits, today=None, definition=None, preop=PREOP):
    return derive_outcome(preop, visits, TX, today=today, definition=definition)


# --- basic results -----------------------------------------------------------------------------------------
def test_refractory_is_1() -> None:
    r = derive(refractory())
    assert r.status == 1 and r.label == 1 and r.cytopenia and r.splenomegaly and not r.other_cause
    assert r.plt_window == pytest.approx(71) and r.wbc_window == pytest.approx(3.55)
    assert r.definition_id == DEFINITION_BASE_ID == "HSP-RH6-v2"
    assert r.window_dates == ("2024-05-30", "2024-07-29")
    assert r.secondary.severity == "moderate"  # 71 < 75


def test_recovered_is_0_with_reason() -> None:
    r = derive(recovered())
    assert r.status == 0 and r.label == 0 and r.cytopenia is False
    assert "no cytopenia" in r.reasons[0]


# --- window boundaries ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("first", "second", "status"), [(150, 210, 1), (149, 210, "pending"), (150, 211, "pending")]
)
def test_window_edges_inclusive(first: int, second: int, status) -> None:
    vs = [
        visit(first, platelets=70, wbc=3.0, spleen_volume_ml=600),
        visit(180, spleen_volume_ml=600),
        visit(second, platelets=70, wbc=3.0),
    ]
    r = derive(vs)
    assert r.status == status
    if status == "pending":
        assert "too_few_measurements" in r.flags


def test_one_measurement_only_is_pending_never_0() -> None:
    r = derive([visit(180, platelets=150, wbc=6.0, spleen_volume_ml=300)])
    assert r.status == "pending" and r.label is None and "too_few_measurements" in r.flags
    assert "need >= 2" in " ".join(r.reasons)


@pytest.mark.parametrize(("gap", "status"), [(7, 1), (6, "pending")])
def test_seven_day_spacing(gap: int, status) -> None:
    vs = [visit(170, platelets=70, wbc=3.0, spleen_volume_ml=600), visit(170 + gap, platelets=70, wbc=3.0)]
    assert derive(vs).status == status


def test_spacing_uses_first_and_last_of_many() -> None:
    vs = [visit(170 + k, platelets=70, wbc=3.0, spleen_volume_ml=600) for k in range(0, 8, 2)]  # 170..176
    assert derive(vs).status == "pending"
    vs.append(visit(177, platelets=70, wbc=3.0))
    assert derive(vs).status == 1


# --- thresholds ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("plt", "status"), [(100, 0), (99.9, 1)])
def test_platelets_exactly_100_is_not_cytopenia(plt: float, status) -> None:
    vs = [visit(170, platelets=plt, wbc=5.0, spleen_volume_ml=600), visit(180, platelets=plt, wbc=5.0)]
    assert derive(vs).status == status


@pytest.mark.parametrize(("wbc", "status"), [(4.0, 0), (3.99, 1)])
def test_wbc_exactly_4_is_not_cytopenia(wbc: float, status) -> None:
    vs = [visit(170, platelets=150, wbc=wbc, spleen_volume_ml=600), visit(180, platelets=150, wbc=wbc)]
    assert derive(vs).status == status


def test_mean_versus_lowest() -> None:
    vs = [visit(160, platelets=80, wbc=5, spleen_volume_ml=600), visit(180, platelets=130, wbc=5)]
    assert derive(vs).status == 0  # mean 105
    r = derive(vs, definition=OutcomeDefinition(aggregate="lowest"))
    assert r.status == 1 and r.plt_window == 80


def test_and_versus_or() -> None:
    only_plt = [visit(160, platelets=70, wbc=5, spleen_volume_ml=600), visit(180, platelets=70, wbc=5)]
    assert derive(only_plt).status == 1
    and_def = OutcomeDefinition(cytopenia_rule="and")
    assert derive(only_plt, definition=and_def).status == 0
    both = [visit(160, platelets=70, wbc=3, spleen_volume_ml=600), visit(180, platelets=70, wbc=3)]
    assert derive(both, definition=and_def).status == 1


def test_or_rule_with_one_count_missing() -> None:
    # platelets derivable and low, WBC measured once: "or" is already satisfied
    vs = [visit(160, platelets=70, wbc=5, spleen_volume_ml=600), visit(180, platelets=70)]
    assert derive(vs).status == 1
    # platelets normal but WBC not derivable: cannot say 0 under "or"
    vs = [visit(160, platelets=170, wbc=3, spleen_volume_ml=600), visit(180, platelets=170)]
    assert derive(vs).status == "pending"
    # ... while under "and" a normal platelet count already decides 0
    assert derive(vs, definition=OutcomeDefinition(cytopenia_rule="and")).status == 0


@pytest.mark.parametrize(("plt_thr", "status"), [(50, 0), (75, 1), (150, 1)])
def test_platelet_threshold_setting(plt_thr: float, status) -> None:
    vs = [visit(160, platelets=70, wbc=5, spleen_volume_ml=600), visit(180, platelets=70, wbc=5)]
    assert derive(vs, definition=OutcomeDefinition(plt_threshold=plt_thr)).status == status


@pytest.mark.parametrize(("wbc_thr", "status"), [(2.0, 0), (3.0, 1)])
def test_wbc_threshold_setting(wbc_thr: float, status) -> None:
    vs = [visit(160, platelets=150, wbc=2.5, spleen_volume_ml=600), visit(180, platelets=150, wbc=2.5)]
    assert derive(vs, definition=OutcomeDefinition(wbc_threshold=wbc_thr)).status == status


# --- splenomegaly criteria --------------------------------------------------------------------------------------
def cyto_with_spleen(**spleen) -> list[dict]:
    return [visit(160, platelets=70, wbc=3, **spleen), visit(180, platelets=70, wbc=3)]


@pytest.mark.parametrize(
    ("volume", "length", "bsa", "status"),
    [
        (274.0, 10.0, 1.8, 1),  # 152.2 ml/m2 > 152 (volume < 315, length < 13): volume/BSA criterion
        (273.6, 10.0, 1.8, 0),  # exactly 152 ml/m2 -> not enlarged
        (316.0, 10.0, 2.5, 1),  # > 315 ml (126 ml/m2)
        (315.0, 10.0, 2.5, 0),  # exactly 315 ml -> not enlarged
        (250.0, 13.0, 2.5, 1),  # length >= 13 cm
        (250.0, 12.9, 2.5, 0),
    ],
)
def test_each_splenomegaly_criterion(volume: float, length: float, bsa: float, status) -> None:
    vs = cyto_with_spleen(spleen_volume_ml=volume, spleen_length_cm=length)
    r = derive(vs, preop=PREOP | {"bsa": bsa})
    assert r.status == status and r.splenomegaly is bool(status)


def test_missing_spleen_measure_is_pending_not_0() -> None:
    # volume normal by both volume criteria, length unknown: cannot exclude splenomegaly
    r = derive(cyto_with_spleen(spleen_volume_ml=250.0), preop=PREOP | {"bsa": 2.5})
    assert r.status == "pending" and "no_spleen_measurement" in r.flags


def test_single_criterion_settings_and_none() -> None:
    vs = cyto_with_spleen(spleen_volume_ml=300.0, spleen_length_cm=12.0)  # 166.7 ml/m2
    assert derive(vs).status == 1
    assert derive(vs, definition=OutcomeDefinition(splenomegaly_criteria=("volume",))).status == 0
    assert derive(vs, definition=OutcomeDefinition(splenomegaly_criteria=("length",))).status == 0
    assert derive(vs, definition=OutcomeDefinition(splenomegaly_criteria=("volume_bsa",))).status == 1
    no_spleen = [visit(160, platelets=70, wbc=3), visit(180, platelets=70, wbc=3)]
    assert derive(no_spleen).status == "pending"
    assert "no_spleen_measurement" in derive(no_spleen).flags
    assert derive(no_spleen, definition=OutcomeDefinition(splenomegaly_criteria=())).status == 1


def test_bsa_from_height_weight_and_missing() -> None:
    vs = cyto_with_spleen(spleen_volume_ml=300.0, spleen_length_cm=11.0)
    preop = {"platelets": 60, "height_cm": 170, "weight_kg": 68}  # BSA 1.794 -> 167 ml/m2
    assert derive(vs, preop=preop).status == 1
    only_bsa = OutcomeDefinition(splenomegaly_criteria=("volume_bsa",))
    assert derive(vs, preop={"platelets": 60}, definition=only_bsa).status == "pending"
    # volume criterion alone decides when BSA is unknown
    assert derive(cyto_with_spleen(spleen_volume_ml=400.0), preop={}).status == 1


def test_spleen_outside_window_does_not_count() -> None:
    vs = [visit(100, spleen_volume_ml=900), visit(160, platelets=70, wbc=3), visit(180, platelets=70, wbc=3)]
    assert derive(vs).status == "pending"


# --- other causes ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "flag",
    ["pv_complication", "ha_thrombosis", "rejection_or_graft_dysfunction", "infection", "myelotoxic_drugs"],
)
def test_each_other_cause_flag_makes_0(flag: str) -> None:
    r = derive(refractory(**{flag: 1}))
    assert r.status == 0 and r.other_cause and "other_cause" in r.flags and f"other_cause:{flag}" in r.flags
    assert flag in r.reasons[0]
    # excluded from the definition: back to 1
    others = tuple(f for f in OutcomeDefinition().other_causes if f != flag)
    assert derive(refractory(**{flag: 1}), definition=OutcomeDefinition(other_causes=others)).status == 1


def test_other_cause_timing() -> None:
    early = [visit(60, infection=1), *refractory()]
    assert derive(early).status == 1  # before day 90: not this window's cause
    assert derive([visit(90, infection=1), *refractory()]).status == 0
    assert derive(early, definition=OutcomeDefinition(other_cause_from_day=30)).status == 0


# --- treatment, competing events, pending -----------------------------------------------------------------------
@pytest.mark.parametrize("intervention", ["splenectomy", "tpo_agonist"])
def test_treated_before_six_months_counts_as_1_flagged(intervention: str) -> None:
    vs = [
        visit(30, platelets=40, wbc=2.5),
        visit(120, intervention=intervention),
        visit(180, platelets=160, wbc=5),
    ]
    r = derive(vs, today=TX + dt.timedelta(days=130))
    assert r.status == 1 and "treated" in r.flags and "treated_before_6_months" in r.flags
    assert derive(vs, definition=OutcomeDefinition(treatment_counts=False)).status == "pending"


def test_treated_in_window_after_six_months() -> None:
    r = derive([*refractory(), visit(195, intervention="tpo_agonist")])
    assert r.status == 1 and "treated" in r.flags and "treated_before_6_months" not in r.flags


def test_treatment_after_window_is_ignored() -> None:
    r = derive([*recovered(), visit(300, intervention="splenectomy")])
    assert r.status == 0 and "treated" not in r.flags


@pytest.mark.parametrize("event", ["death", "retransplant"])
def test_competing_event_before_window(event: str) -> None:
    vs = [visit(30, platelets=40, wbc=2.5), visit(100, event=event)]
    r = derive(vs)
    assert (
        r.status == "competing" and r.label is None and f"competing:{event}" in r.flags and r.event_day == 100
    )


def test_event_inside_window() -> None:
    after_data = [*refractory(), visit(200, event="death")]
    assert derive(after_data).status == 1  # derivable from the window's counts before the death
    too_early = [visit(160, platelets=70, wbc=3, spleen_volume_ml=600), visit(163, event="retransplant")]
    r = derive(too_early)
    assert r.status == "competing" and "competing:retransplant" in r.flags
    # counts after the event are ignored
    late = [
        visit(160, platelets=70, wbc=3, spleen_volume_ml=600),
        visit(163, event="death"),
        visit(180, platelets=70),
    ]
    assert derive(late).status == "competing"


def test_treated_then_died_is_1() -> None:
    vs = [visit(100, intervention="splenectomy"), visit(140, event="death")]
    assert derive(vs).status == 1


def test_pending_before_day_210() -> None:
    vs = refractory()
    for day, status in ((186, "pending"), (209, "pending"), (210, 1)):
        r = derive(vs, today=TX + dt.timedelta(days=day))
        assert r.status == status, day
    assert "window_open" in derive(vs, today="2024-07-28").flags
    early = OutcomeDefinition(require_window_closed=False)
    assert derive(vs, today=TX + dt.timedelta(days=186), definition=early).status == 1


def test_visits_after_today_are_ignored() -> None:
    vs = refractory()
    r = derive(vs, today=TX + dt.timedelta(days=250))
    assert r.status == 1
    r = derive([*vs[:3], visit(300, platelets=10)], today=TX + dt.timedelta(days=250))
    assert r.status == "pending"  # only one count in the window


def test_no_visits_pending() -> None:
    assert derive([], today=TX + dt.timedelta(days=20)).status == "pending"
    assert derive([]).status == "pending"


# --- secondary measures ------------------------------------------------------------------------------------------
def test_secondary_measures() -> None:
    r = derive(refractory())
    s = r.secondary
    assert s.pct_change_plt == pytest.approx(100 * (71 - 60) / 60, abs=0.05)
    assert s.pct_change_wbc == pytest.approx(100 * (3.55 - 3.0) / 3.0, abs=0.05)
    assert s.sv_ratio == pytest.approx(600 / 800, abs=1e-3)
    assert s.days_to_plt_100 is None and s.recovery_grade == "none"
    g = derive(recovered()).secondary
    assert g.recovery_grade == "full" and g.days_to_plt_100 == 175 and g.severity is None
    partial = [visit(170, platelets=150, wbc=3, spleen_volume_ml=600), visit(180, platelets=150, wbc=3)]
    assert derive(partial).secondary.recovery_grade == "partial"


@pytest.mark.parametrize(("plt", "grade"), [(40, "severe"), (50, "moderate"), (74, "moderate"), (75, "mild")])
def test_severity_grade(plt: float, grade: str) -> None:
    vs = [visit(160, platelets=plt, wbc=5, spleen_volume_ml=600), visit(180, platelets=plt, wbc=5)]
    assert derive(vs).secondary.severity == grade


# --- the definition as a setting ------------------------------------------------------------------------------------
def test_definition_id_versions_non_defaults() -> None:
    a = OutcomeDefinition(plt_threshold=75)
    b = OutcomeDefinition(plt_threshold=75)
    c = OutcomeDefinition(plt_threshold=50)
    assert a.definition_id == b.definition_id != c.definition_id
    assert a.definition_id.startswith("HSP-RH6-v2+") and a.non_defaults() == {"plt_threshold": 75}
    assert OutcomeDefinition.from_dict(a.to_dict()).definition_id == a.definition_id
    assert OutcomeDefinition.from_dict({"window": [150, 210]}).definition_id == DEFINITION_BASE_ID
    assert "PLT < 75" in a.describe()
    with pytest.raises(AttributeError):
        a.plt_threshold = 100  # type: ignore[misc]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"plt_threshold": 90},
        {"wbc_threshold": 3.5},
        {"cytopenia_rule": "xor"},
        {"aggregate": "median"},
        {"window": (210, 150)},
        {"window": (150.5, 210)},
        {"min_measurements": 0},
        {"min_spacing_days": -1},
        {"splenomegaly_criteria": ("weight",)},
        {"spleen_volume_ml": 10.0},
        {"other_causes": ("bad_flag",)},
        {"other_cause_from_day": 200},
        {"severity_cuts": (75.0, 50.0)},
        {"treatment_counts": "yes"},
    ],
)
def test_invalid_settings(kwargs: dict) -> None:
    with pytest.raises(SettingsError) as info:
        OutcomeDefinition(**kwargs)
    assert next(iter(kwargs)) in str(info.value)


def test_all_invalid_settings_listed_and_unknown_key() -> None:
    with pytest.raises(SettingsError) as info:
        OutcomeDefinition(plt_threshold=90, wbc_threshold=9.0)
    assert "plt_threshold" in info.value.field and "wbc_threshold" in info.value.field
    with pytest.raises(SettingsError):
        OutcomeDefinition.from_dict({"plt_threshhold": 100})


def test_bad_dates() -> None:
    with pytest.raises(InputError):
        derive_outcome(PREOP, [], "not a date")
    with pytest.raises(InputError):
        derive_outcome(PREOP, [{"date": "2024-13-01", "platelets": 50}], TX)
    with pytest.raises(InputError):
        derive_outcome(PREOP, [{"platelets": 50}], TX)
    with pytest.raises(InputError):
        derive_outcome(PREOP, [{"date": "2024-01-11", "day": 12, "platelets": 50}], TX)


def test_day_only_visits_and_as_dict() -> None:
    vs = [{"day": 160, "platelets": 70, "wbc": 3, "spleen_volume_ml": 600}, {"day": 180, "platelets": 70}]
    r = derive_outcome(PREOP, vs, "2024-01-01")
    assert r.status == 1
    d = r.as_dict()
    assert d["status"] == 1 and d["secondary"]["sv_ratio"] == 0.75 and isinstance(d["flags"], list)


def test_int_and_float_settings_name_the_same_definition() -> None:
    a = OutcomeDefinition(plt_threshold=75, wbc_threshold=3, severity_cuts=(40, 70))
    b = OutcomeDefinition(plt_threshold=75.0, wbc_threshold=3.0, severity_cuts=[40.0, 70.0])
    assert a.definition_id == b.definition_id and a == b
    assert OutcomeDefinition(plt_threshold=100).definition_id == DEFINITION_BASE_ID


# --- splenic-artery intervention: a protocol exclusion by either entry route (issue 16 item 8) ----------------
@pytest.mark.parametrize("day", [60, 120, 195])
def test_post_transplant_embolisation_entered_at_a_visit_is_excluded(day: int) -> None:
    vs = [*refractory(), visit(day, intervention="pse")]
    r = derive(vs)
    assert r.status == "excluded" and r.label is None and r.flags == (EXCLUDED_FLAG,)
    assert "excluded by the protocol" in r.reasons[0] and f"day-{day} visit" in r.reasons[0]


@pytest.mark.parametrize("field", ["splenic_artery_ligation", "post_lt_splenic_embolisation"])
def test_splenic_artery_procedure_entered_at_enrolment_is_excluded(field: str) -> None:
    r = derive(recovered(), preop={**PREOP, field: 1})
    assert r.status == "excluded" and "recorded at enrolment" in r.reasons[0] and field in r.reasons[0]
    assert derive(recovered(), preop={**PREOP, field: 0}).status == 0


def test_splenic_artery_intervention_as_event_is_the_sensitivity_setting() -> None:
    event = OutcomeDefinition(splenic_artery_intervention="event")
    assert event.definition_id.startswith("HSP-RH6-v2+")
    r = derive([*recovered(), visit(120, intervention="pse")], definition=event)
    assert r.status == 1 and "splenic_artery_intervention" in r.flags
    assert derive(recovered(), preop={**PREOP, "splenic_artery_ligation": 1}, definition=event).status == 1
    with pytest.raises(SettingsError, match="splenic_artery_intervention"):
        OutcomeDefinition(splenic_artery_intervention="ignore")  # type: ignore[arg-type]


def test_embolisation_after_the_window_does_not_exclude() -> None:
    assert derive([*recovered(), visit(300, intervention="pse")]).status == 0

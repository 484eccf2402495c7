"""Synthetic post-transplant follow-up (CONTRACTS section B) consistent with the latent outcome.

Visits at months 1, 3 and 6 (with jitter) and, when already reached, month 12.  The 6-month assessment has two
visits 7-24 days apart inside the day 150-210 window (platelets, WBC, haemoglobin; spleen volume and length at the
first).  Counts follow CLINICAL.md::

    ln PLT6 = ln PLT0 + 0.9 - 0.35 ln(SV0 / 700) - 0.6 y + N(0, 0.35)
    SV6 / SV0 ~ N(0.80, 0.10) (+0.10 when y = 1);  WBC changes little

and are drawn *conditional on the outcome*: draws that the outcome definition would classify against the latent
``y`` are redrawn, and a non-refractory recipient who stays cytopenic with a large spleen gets the adjudicated
"other cause" that explains it (drugs, infection, rejection, portal-vein or hepatic-artery problems).  So the label
:func:`hsp_desktop.clinical.outcome.derive_outcome` gives on the generated rows equals ``y`` whenever it is derivable.

Some recipients deviate on purpose: treatment for hypersplenism before 6 months (partial splenic embolisation,
splenectomy, TPO-receptor agonist; counts as 1, flagged), death or re-transplantation before the window
(competing), too few counts in the window (pending), and prospective recipients whose window has not closed by the
cohort's reference date (pending).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from hsp_desktop.clinical.outcome import OutcomeDefinition, OutcomeResult, derive_outcome
from hsp_desktop.synthetic.clinical import REFERENCE_DATE

FOLLOWUP_COLUMNS = (
    "study_id",
    "date",
    "day",
    "platelets",
    "wbc",
    "haemoglobin",
    "spleen_volume_ml",
    "spleen_length_cm",
    "pv_complication",
    "ha_thrombosis",
    "rejection_or_graft_dysfunction",
    "infection",
    "myelotoxic_drugs",
    "intervention",
    "event",
    "bleeding",
    "notes",
)
CAUSE_FLAGS = (
    "pv_complication",
    "ha_thrombosis",
    "rejection_or_graft_dysfunction",
    "infection",
    "myelotoxic_drugs",
)
CAUSE_P = (0.10, 0.05, 0.20, 0.30, 0.35)
CAUSE_NOTES = {
    "pv_complication": "Doppler: portal-vein anastomotic stenosis",
    "ha_thrombosis": "CT angiography: hepatic-artery thrombosis",
    "rejection_or_graft_dysfunction": "biopsy: acute cellular rejection",
    "infection": "CMV viraemia, valganciclovir started",
    "myelotoxic_drugs": "MMF and TMP-SMX; cytopenia attributed to drugs",
}
INTERVENTION_NOTES = {
    "pse": "partial splenic embolisation for hypersplenism",
    "splenectomy": "splenectomy for hypersplenism",
    "tpo_agonist": "TPO-receptor agonist started for thrombocytopenia",
}

#: Rates of the deliberate deviations.
P_DEATH_EARLY = 0.03
P_RETRANSPLANT_EARLY = 0.01
P_TREATED_IF_Y = 0.12
P_TOO_FEW = 0.04
P_EARLY_FLAG = 0.15  # an adjudication flag at month 1 (outside the assessment), any recipient
P_CAUSE_IF_NOT_Y = 0.05  # a recipient without the outcome whose window carries another cause anyway


def _draw_window(
    rng: np.random.Generator,
    plt0: np.ndarray,
    wbc0: np.ndarray,
    sv0: np.ndarray,
    sl0: np.ndarray,
    y: np.ndarray,
) -> dict[str, np.ndarray]:
    """One draw of the 6-month values for every recipient."""
    m = len(y)
    ln_plt6 = np.log(plt0) + 0.9 - 0.35 * np.log(sv0 / 700.0) - 0.6 * y + rng.normal(0, 0.35, m)
    ratio = np.clip(rng.normal(0.80, 0.10, m) + 0.10 * y, 0.4, 1.3)
    ln_wbc6 = np.log(wbc0) + 0.20 - 0.15 * y + rng.normal(0, 0.22, m)
    return {
        "plt_a": np.exp(ln_plt6 + rng.normal(0, 0.08, m)),
        "plt_b": np.exp(ln_plt6 + rng.normal(0, 0.08, m)),
        "wbc_a": np.exp(ln_wbc6 + rng.normal(0, 0.08, m)),
        "wbc_b": np.exp(ln_wbc6 + rng.normal(0, 0.08, m)),
        "sv6": sv0 * ratio,
        "sl6": sl0 * ratio ** (1 / 3) + rng.normal(0, 0.3, m),
    }


def _classify(w: dict[str, np.ndarray], bsa: np.ndarray, d: OutcomeDefinition) -> np.ndarray:
    """Cytopenia-with-splenomegaly on the rounded values, as the outcome definition will see them."""
    plt = (np.round(w["plt_a"]) + np.round(w["plt_b"])) / 2
    wbc = (np.round(w["wbc_a"], 2) + np.round(w["wbc_b"], 2)) / 2
    if d.aggregate == "lowest":
        plt = np.minimum(np.round(w["plt_a"]), np.round(w["plt_b"]))
        wbc = np.minimum(np.round(w["wbc_a"], 2), np.round(w["wbc_b"], 2))
    low = plt < d.plt_threshold, wbc < d.wbc_threshold
    cyto = (low[0] | low[1]) if d.cytopenia_rule == "or" else (low[0] & low[1])
    sv, sl = np.round(w["sv6"], 1), np.round(w["sl6"], 1)
    big = np.zeros(len(sv), dtype=bool)
    if "volume_bsa" in d.splenomegaly_criteria:
        big |= sv / bsa > d.spleen_volume_bsa_ml_m2
    if "volume" in d.splenomegaly_criteria:
        big |= sv > d.spleen_volume_ml
    if "length" in d.splenomegaly_criteria:
        big |= sl >= d.spleen_length_cm
    if not d.splenomegaly_criteria:
        big[:] = True
    return np.asarray(cyto & big)


def simulate_followup(
    preop: pd.DataFrame, seed: int, *, reference_date: dt.date = REFERENCE_DATE
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Generate dated follow-up rows and the derived outcome of every recipient.

    Parameters
    ----------
    preop : pandas.DataFrame
        Output of :func:`hsp_desktop.synthetic.simulate_preop` (needs the hidden ``_y`` column).
    seed : int
        Random seed (combined with a fixed stream id, so it does not repeat the pre-operative draws).
    reference_date : date
        The cohort's "today": visits after it are not generated.

    Returns
    -------
    followup : pandas.DataFrame
        Long format, CONTRACTS section B columns, sorted by study id and day.
    outcomes : pandas.DataFrame
        Per recipient: ``study_id``, ``outcome_status`` (1/0/"pending"/"competing" as text), ``y`` (1/0, or NaN
        when not derivable), ``outcome_flags``, ``scenario`` (what the generator intended).
    """
    d = OutcomeDefinition()
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 61_806]))
    m = len(preop)
    y = preop["_y"].to_numpy(dtype=int)
    plt0 = preop["platelets"].to_numpy(dtype=float)
    wbc0 = preop["wbc"].to_numpy(dtype=float)
    sv0 = preop["spleen_volume_ml"].to_numpy(dtype=float)
    sl0 = preop["spleen_length_cm"].to_numpy(dtype=float)
    bsa = preop["bsa"].to_numpy(dtype=float)
    hb0 = preop["haemoglobin"].fillna(108.0).to_numpy(dtype=float)

    # Scenarios.
    u = rng.random(m)
    scenario = np.full(m, "standard", dtype=object)
    scenario[u < P_DEATH_EARLY] = "death"
    scenario[(u >= P_DEATH_EARLY) & (u < P_DEATH_EARLY + P_RETRANSPLANT_EARLY)] = "retransplant"
    free = scenario == "standard"
    treated = free & (y == 1) & (rng.random(m) < P_TREATED_IF_Y)
    scenario[treated] = "treated"
    free = scenario == "standard"
    too_few = free & (rng.random(m) < P_TOO_FEW)
    scenario[too_few] = "too_few"

    # 6-month values conditional on y: redraw the ones the definition would misclassify.
    w = _draw_window(rng, plt0, wbc0, sv0, sl0, y)
    other_cause = np.zeros(m, dtype=bool)
    for _ in range(30):
        wrong = _classify(w, bsa, d) != (y == 1)
        if not wrong.any():
            break
        redraw = _draw_window(rng, plt0, wbc0, sv0, sl0, y)
        for k in w:
            w[k] = np.where(wrong, redraw[k], w[k])
    wrong = _classify(w, bsa, d) != (y == 1)
    # Refractory recipients always end consistent (cytopenia with a large spleen is their typical draw); the rest
    # who stay cytopenic with a large spleen have another cause adjudicated.
    still_y1 = wrong & (y == 1)
    if still_y1.any():  # pragma: no cover - practically never after 30 draws
        w["plt_a"] = np.where(still_y1, np.minimum(w["plt_a"], 80.0), w["plt_a"])
        w["plt_b"] = np.where(still_y1, np.minimum(w["plt_b"], 85.0), w["plt_b"])
        w["sv6"] = np.where(still_y1, np.maximum(w["sv6"], 400.0), w["sv6"])
    other_cause |= wrong & (y == 0)
    other_cause |= (y == 0) & (rng.random(m) < P_CAUSE_IF_NOT_Y)

    cause_idx = rng.choice(len(CAUSE_FLAGS), size=m, p=CAUSE_P)
    early_flag = rng.random(m) < P_EARLY_FLAG
    early_idx = rng.choice(len(CAUSE_FLAGS), size=m, p=CAUSE_P)

    day_m1 = 30 + rng.integers(-5, 9, m)
    day_m3 = 90 + rng.integers(-10, 13, m)
    day_w1 = rng.integers(158, 183, m)
    day_w2 = day_w1 + rng.integers(7, 25, m)
    day_m12 = 365 + rng.integers(-14, 15, m)
    event_day = rng.integers(20, 146, m)
    treat_day = rng.integers(60, 171, m)
    treat_kind = rng.choice(["pse", "splenectomy", "tpo_agonist"], size=m, p=[0.5, 0.2, 0.3])
    # Early counts: partial recovery towards the 6-month value.
    ln_plt6 = np.log((w["plt_a"] * w["plt_b"]) ** 0.5)
    plt_m1 = np.exp(np.log(plt0) + 0.55 * (ln_plt6 - np.log(plt0)) + rng.normal(0, 0.25, m))
    plt_m3 = np.exp(np.log(plt0) + 0.85 * (ln_plt6 - np.log(plt0)) + rng.normal(0, 0.2, m))
    wbc_m1 = np.exp(np.log(wbc0) + rng.normal(0.05, 0.3, m))
    wbc_m3 = np.exp(np.log(wbc0) + rng.normal(0.08, 0.25, m))
    hb = np.clip(hb0[:, None] + np.array([5.0, 12.0, 18.0, 18.0, 22.0]) + rng.normal(0, 10, (m, 5)), 60, 180)
    bleed = rng.random((m, 5)) < (0.015 + 0.02 * y)[:, None]
    drop_second = rng.random(m) < 0.5  # too_few: which window count goes missing

    tx_dates = [dt.date.fromisoformat(t) for t in preop["transplant_date"]]
    rows: list[dict[str, Any]] = []
    for i in range(m):
        sid = preop["study_id"].iat[i]
        tx = tx_dates[i]
        horizon = (reference_date - tx).days
        visits: list[dict[str, Any]] = []

        def add(target: list[dict[str, Any]], day: int, **values: Any) -> None:
            target.append({"day": int(day), **values})

        add(
            visits,
            day_m1[i],
            platelets=plt_m1[i],
            wbc=wbc_m1[i],
            haemoglobin=hb[i, 0],
            bleeding=int(bleed[i, 0]),
            **({CAUSE_FLAGS[early_idx[i]]: 1} if early_flag[i] else {}),
            notes=CAUSE_NOTES[CAUSE_FLAGS[early_idx[i]]] if early_flag[i] else "",
        )
        add(
            visits,
            day_m3[i],
            platelets=plt_m3[i],
            wbc=wbc_m3[i],
            haemoglobin=hb[i, 1],
            bleeding=int(bleed[i, 1]),
        )
        window: list[dict[str, Any]] = [
            {
                "day": int(day_w1[i]),
                "platelets": w["plt_a"][i],
                "wbc": w["wbc_a"][i],
                "haemoglobin": hb[i, 2],
                "spleen_volume_ml": w["sv6"][i],
                "spleen_length_cm": w["sl6"][i],
                "bleeding": int(bleed[i, 2]),
            },
            {
                "day": int(day_w2[i]),
                "platelets": w["plt_b"][i],
                "wbc": w["wbc_b"][i],
                "haemoglobin": hb[i, 3],
                "bleeding": int(bleed[i, 3]),
            },
        ]
        if other_cause[i]:
            flag = CAUSE_FLAGS[cause_idx[i]]
            window[0][flag] = 1
            window[0]["notes"] = CAUSE_NOTES[flag]
        if scenario[i] == "too_few":
            keep = window[0] if drop_second[i] else window[1]
            keep = dict(keep)
            if not drop_second[i]:  # the spleen measurement goes with the first visit's imaging
                keep["spleen_volume_ml"] = window[0]["spleen_volume_ml"]
                keep["spleen_length_cm"] = window[0]["spleen_length_cm"]
                keep.update({k: v for k, v in window[0].items() if k in CAUSE_FLAGS or k == "notes"})
            window = [keep]
        visits.extend(window)
        add(
            visits, day_m12[i], platelets=np.exp(ln_plt6[i] + rng.normal(0.05, 0.2)), wbc=w["wbc_b"][i] * 1.02
        )
        if scenario[i] in ("death", "retransplant"):
            visits = [v for v in visits if v["day"] < event_day[i]]
            add(visits, event_day[i], event=scenario[i], notes=f"{scenario[i]} (competing event)")
        if scenario[i] == "treated":
            kind = str(treat_kind[i])
            add(visits, treat_day[i], intervention=kind, notes=INTERVENTION_NOTES[kind])
            # Counts after treatment improve.
            boost = 1.8 if kind != "tpo_agonist" else 1.5
            for v in visits:
                if v["day"] > treat_day[i] and "platelets" in v:
                    v["platelets"] = v["platelets"] * boost
        for v in sorted(visits, key=lambda r: r["day"]):
            if v["day"] > horizon:
                continue
            row = dict.fromkeys(FOLLOWUP_COLUMNS)
            row.update({k: 0 for k in (*CAUSE_FLAGS, "bleeding")})
            row.update({"intervention": "", "event": "", "notes": ""})
            row.update(v)
            row["study_id"] = sid
            row["date"] = (tx + dt.timedelta(days=int(v["day"]))).isoformat()
            rows.append(row)

    fu = pd.DataFrame(rows, columns=list(FOLLOWUP_COLUMNS))
    for name, decimals in (
        ("platelets", 0),
        ("wbc", 2),
        ("haemoglobin", 0),
        ("spleen_volume_ml", 1),
        ("spleen_length_cm", 1),
    ):
        fu[name] = pd.to_numeric(fu[name]).round(decimals)
    fu["platelets"] = fu["platelets"].clip(lower=3, upper=900)
    fu["wbc"] = fu["wbc"].clip(lower=0.3, upper=60)
    fu["day"] = fu["day"].astype(int)
    for name in (*CAUSE_FLAGS, "bleeding"):
        fu[name] = fu[name].astype(int)

    outcomes = derive_all(preop, fu, reference_date=reference_date, definition=d)
    outcomes["scenario"] = scenario
    return fu, outcomes


def derive_all(
    preop: pd.DataFrame,
    followup: pd.DataFrame,
    *,
    reference_date: dt.date = REFERENCE_DATE,
    definition: OutcomeDefinition | None = None,
) -> pd.DataFrame:
    """Derive every recipient's outcome from follow-up rows (as the product would, from the CSV values).

    Returns
    -------
    pandas.DataFrame
        ``study_id``, ``outcome_status`` (text), ``y`` (1.0/0.0/NaN) and ``outcome_flags`` (";"-joined).
    """
    definition = definition or OutcomeDefinition()
    groups = {sid: g for sid, g in followup.groupby("study_id", sort=False)}
    empty = followup.iloc[0:0]
    out = []
    for rec in preop[["study_id", "transplant_date", "platelets", "wbc", "spleen_volume_ml", "bsa"]].to_dict(
        "records"
    ):
        visits = groups.get(rec["study_id"], empty).drop(columns=["day"]).to_dict("records")
        res: OutcomeResult = derive_outcome(rec, visits, rec["transplant_date"], reference_date, definition)
        out.append(
            {
                "study_id": rec["study_id"],
                "outcome_status": str(res.status),
                "y": float(res.status) if res.status in (0, 1) else np.nan,
                "outcome_flags": ";".join(res.flags),
            }
        )
    return pd.DataFrame(out)

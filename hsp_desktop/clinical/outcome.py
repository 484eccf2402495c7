"""Refractory hypersplenism 6 months after liver transplantation (CLINICAL.md section 1).

Outcome = 1 when, in the window day 180 +/- 30 after transplantation, all of these hold:

1. cytopenia: platelets < 100 x10^9/L and/or WBC < 4.0 x10^9/L, from the mean (or the lowest) of >= 2
   measurements >= 7 days apart inside the window;
2. persistent splenomegaly in the window: volume / BSA > 152 ml/m^2, or volume > 315 ml, or craniocaudal
   length >= 13 cm;
3. no other cause: no adjudication flag (portal-vein stenosis/thrombosis, hepatic-artery thrombosis, rejection or
   graft dysfunction, CMV/EBV/sepsis, myelotoxic drugs) recorded from ``other_cause_from_day`` to the end of the
   window.

A recipient treated for hypersplenism (splenectomy, TPO-receptor agonist) before the outcome is assessed counts
as 1, flagged ``treated`` (and ``treated_before_6_months`` before day 180) so that sensitivity analyses can exclude
them.  Splenic-artery ligation during transplantation or splenic-artery embolisation after it is a protocol
exclusion (CLINICAL.md section 1, item 4), whichever route it is entered by - the eligibility fields
``splenic_artery_ligation`` / ``post_lt_splenic_embolisation`` or a follow-up visit's intervention ``pse`` - and the
status is then ``"excluded"`` with the flag ``excluded:splenic_artery_intervention``.  Because that excludes on an
event after baseline, the estimand is the risk for recipients who do not undergo splenic-artery intervention; the
setting ``splenic_artery_intervention="event"`` counts them as 1 instead (flagged), for the sensitivity analysis.  A result that cannot be derived yet (window not closed, too few
measurements, no spleen measurement) is ``"pending"``, never 0.  Death or re-transplantation before the window (or
inside it, before the outcome could be derived) is ``"competing"``.

Every threshold is a field of :class:`OutcomeDefinition`, a frozen dataclass validated once; its
:attr:`~OutcomeDefinition.definition_id` names the definition (``HSP-RH6-v1`` for the defaults, with a hash of the
non-default settings otherwise) and is stored with every derived outcome.  Versions: ``HSP-RH6-v1`` counted a
post-transplant splenic embolisation entered at a visit as outcome 1; ``HSP-RH6-v2`` excludes it (issue 16).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

from hsp_desktop.clinical.derived import bsa_mosteller
from hsp_desktop.errors import InputError, SettingsError

DEFINITION_BASE_ID = "HSP-RH6-v2"
SPLENOMEGALY_CRITERIA = ("volume_bsa", "volume", "length")
OTHER_CAUSES = (
    "pv_complication",
    "ha_thrombosis",
    "rejection_or_graft_dysfunction",
    "infection",
    "myelotoxic_drugs",
)
INTERVENTIONS = ("pse", "splenectomy", "tpo_agonist")
#: Visit interventions that are splenic-artery procedures (a protocol exclusion, not a treatment outcome).
SPLENIC_ARTERY_INTERVENTIONS = ("pse",)
#: Eligibility fields that record a splenic-artery procedure during or after transplantation.
SPLENIC_ARTERY_FIELDS = ("splenic_artery_ligation", "post_lt_splenic_embolisation")
EXCLUDED_FLAG = "excluded:splenic_artery_intervention"
COMPETING_EVENTS = ("death", "retransplant")

Status = Literal[1, 0, "pending", "competing", "excluded"]


@dataclass(frozen=True)
class OutcomeDefinition:
    """Settings of the outcome definition (defaults = CLINICAL.md section 1), validated once at construction.

    Attributes
    ----------
    plt_threshold : float
        Cytopenia when platelets < this (x10^9/L); one of 50, 75, 100, 150.
    wbc_threshold : float
        Cytopenia when WBC < this (x10^9/L); one of 2.0, 3.0, 4.0.
    cytopenia_rule : {"or", "and"}
        "or": platelets and/or WBC below threshold (default); "and": both.
    aggregate : {"mean", "lowest"}
        How the window's measurements are summarised.
    window : (int, int)
        First and last post-transplant day of the assessment window, inclusive (default 150-210).
    min_measurements : int
        Measurements of a count needed in the window (default 2).
    min_spacing_days : int
        Days between the first and the last of them (default 7).
    splenomegaly_criteria : tuple of str
        Any of ``"volume_bsa"``, ``"volume"``, ``"length"`` (splenomegaly when any selected one holds); empty
        tuple: splenomegaly not required.
    spleen_volume_bsa_ml_m2, spleen_volume_ml, spleen_length_cm : float
        Splenomegaly when volume / BSA > 152 ml/m^2, volume > 315 ml, length >= 13 cm.
    other_causes : tuple of str
        Adjudication flags that attribute the cytopenia to another cause.
    other_cause_from_day : int
        Flags count when recorded on a visit from this day to the end of the window.
    treatment_counts : bool
        Treated for hypersplenism before the outcome assessment counts as 1 (flagged).
    six_months_day : int
        Day that "before 6 months" refers to (flag ``treated_before_6_months``).
    require_window_closed : bool
        Keep the outcome pending until the window has closed (no early 0/1 from a partial window).
    splenic_artery_intervention : {"exclude", "event"}
        Splenic-artery ligation during or embolisation after transplantation (either entry route): a protocol
        exclusion (default), or outcome 1 flagged ``treated`` (the sensitivity analysis of the post-baseline
        exclusion).
    severity_cuts : (float, float)
        Platelet cut-offs of the severity grade: < first severe, < second moderate, else mild.
    recovery_plt, recovery_wbc : float
        "Full recovery" thresholds of the secondary outcome.
    """

    plt_threshold: float = 100.0
    wbc_threshold: float = 4.0
    cytopenia_rule: Literal["or", "and"] = "or"
    aggregate: Literal["mean", "lowest"] = "mean"
    window: tuple[int, int] = (150, 210)
    min_measurements: int = 2
    min_spacing_days: int = 7
    splenomegaly_criteria: tuple[str, ...] = SPLENOMEGALY_CRITERIA
    spleen_volume_bsa_ml_m2: float = 152.0
    spleen_volume_ml: float = 315.0
    spleen_length_cm: float = 13.0
    other_causes: tuple[str, ...] = OTHER_CAUSES
    other_cause_from_day: int = 90
    treatment_counts: bool = True
    six_months_day: int = 180
    require_window_closed: bool = True
    severity_cuts: tuple[float, float] = (50.0, 75.0)
    recovery_plt: float = 100.0
    recovery_wbc: float = 4.0
    splenic_artery_intervention: Literal["exclude", "event"] = "exclude"

    def __post_init__(self) -> None:
        # Coerce list inputs (from JSON settings) to tuples, then validate every constraint, all at once.
        for name in ("window", "splenomegaly_criteria", "other_causes", "severity_cuts"):
            value = getattr(self, name)
            if isinstance(value, list):
                object.__setattr__(self, name, tuple(value))
        # Numbers as floats, so that 75 and 75.0 name the same definition (same definition_id).
        for name in (
            "plt_threshold",
            "wbc_threshold",
            "spleen_volume_bsa_ml_m2",
            "spleen_volume_ml",
            "spleen_length_cm",
            "recovery_plt",
            "recovery_wbc",
        ):
            value = getattr(self, name)
            if isinstance(value, int) and not isinstance(value, bool):
                object.__setattr__(self, name, float(value))
        cuts = self.severity_cuts
        if isinstance(cuts, tuple) and all(
            isinstance(c, int | float) and not isinstance(c, bool) for c in cuts
        ):
            object.__setattr__(self, "severity_cuts", tuple(float(c) for c in cuts))
        errors: list[tuple[str, Any, str]] = []

        def need(ok: bool, name: str, expected: str) -> None:
            if not ok:
                errors.append((name, getattr(self, name), expected))

        need(self.plt_threshold in (50, 75, 100, 150), "plt_threshold", "one of 50, 75, 100, 150")
        need(self.wbc_threshold in (2.0, 3.0, 4.0), "wbc_threshold", "one of 2.0, 3.0, 4.0")
        need(self.cytopenia_rule in ("or", "and"), "cytopenia_rule", "'or' or 'and'")
        need(self.aggregate in ("mean", "lowest"), "aggregate", "'mean' or 'lowest'")
        w = self.window
        need(
            isinstance(w, tuple)
            and len(w) == 2
            and all(isinstance(d, int) and not isinstance(d, bool) for d in w)
            and 30 <= w[0] < w[1] <= 730,
            "window",
            "two whole days (start, end) with 30 <= start < end <= 730",
        )
        need(
            isinstance(self.min_measurements, int) and 1 <= self.min_measurements <= 10,
            "min_measurements",
            "a whole number 1-10",
        )
        need(
            isinstance(self.min_spacing_days, int) and 0 <= self.min_spacing_days <= 60,
            "min_spacing_days",
            "a whole number of days 0-60",
        )
        need(
            isinstance(self.splenomegaly_criteria, tuple)
            and all(c in SPLENOMEGALY_CRITERIA for c in self.splenomegaly_criteria)
            and len(set(self.splenomegaly_criteria)) == len(self.splenomegaly_criteria),
            "splenomegaly_criteria",
            f"distinct names from {SPLENOMEGALY_CRITERIA} (empty: splenomegaly not required)",
        )
        for name, lo, hi in (
            ("spleen_volume_bsa_ml_m2", 50.0, 1000.0),
            ("spleen_volume_ml", 100.0, 2000.0),
            ("spleen_length_cm", 8.0, 25.0),
            ("recovery_plt", 50.0, 200.0),
            ("recovery_wbc", 1.0, 10.0),
        ):
            value = getattr(self, name)
            need(isinstance(value, int | float) and lo <= value <= hi, name, f"a number {lo:g}-{hi:g}")
        need(
            isinstance(self.other_causes, tuple) and all(c in OTHER_CAUSES for c in self.other_causes),
            "other_causes",
            f"names from {OTHER_CAUSES}",
        )
        window_ok = not any(e[0] == "window" for e in errors)
        need(
            isinstance(self.other_cause_from_day, int)
            and 0 <= self.other_cause_from_day <= (w[0] if window_ok else 730),
            "other_cause_from_day",
            "a whole day from 0 to the window start",
        )
        need(isinstance(self.treatment_counts, bool), "treatment_counts", "True or False")
        need(
            self.splenic_artery_intervention in ("exclude", "event"),
            "splenic_artery_intervention",
            "'exclude' or 'event'",
        )
        need(isinstance(self.require_window_closed, bool), "require_window_closed", "True or False")
        need(
            isinstance(self.six_months_day, int) and 30 <= self.six_months_day <= 730,
            "six_months_day",
            "a whole number of days 30-730",
        )
        s = self.severity_cuts
        need(
            isinstance(s, tuple) and len(s) == 2 and 0 < s[0] < s[1] <= 200,
            "severity_cuts",
            "two platelet counts (severe, moderate) with 0 < severe < moderate <= 200",
        )
        if errors:
            text = "; ".join(f"{n}={v!r} (expected {e})" for n, v, e in errors)
            raise SettingsError(
                f"invalid outcome-definition setting{'s' if len(errors) > 1 else ''}: {text}",
                expected="; ".join(f"{n}: {e}" for n, _, e in errors),
                found="; ".join(f"{n}={v!r}" for n, v, _ in errors),
                fix="correct the setting(s) listed, or use the defaults of CLINICAL.md",
                field=",".join(n for n, _, _ in errors),
            )

    @classmethod
    def from_dict(cls, settings: Mapping[str, Any]) -> OutcomeDefinition:
        """Build a definition from a settings mapping; unknown keys raise :class:`SettingsError`."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(settings) - known)
        if unknown:
            raise SettingsError(
                f"unknown outcome-definition setting(s): {', '.join(unknown)}",
                expected=", ".join(sorted(known)),
                found=", ".join(unknown),
                fix="remove or rename the setting(s)",
                field=",".join(unknown),
            )
        return cls(**dict(settings))

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as JSON-compatible values."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    def non_defaults(self) -> dict[str, Any]:
        """Return the settings that differ from CLINICAL.md's defaults."""
        default = OutcomeDefinition().to_dict()
        return {k: v for k, v in self.to_dict().items() if v != default[k]}

    @property
    def definition_id(self) -> str:
        """Versioned identifier: ``HSP-RH6-v1`` for the defaults, ``HSP-RH6-v1+<hash>`` otherwise."""
        changed = self.non_defaults()
        if not changed:
            return DEFINITION_BASE_ID
        digest = hashlib.sha256(json.dumps(changed, sort_keys=True).encode()).hexdigest()[:10]
        return f"{DEFINITION_BASE_ID}+{digest}"

    def describe(self) -> str:
        """One line describing the definition (for reports)."""
        rule = "and/or" if self.cytopenia_rule == "or" else "and"
        spleen = ", ".join(self.splenomegaly_criteria) or "not required"
        return (
            f"{self.definition_id}: PLT < {self.plt_threshold:g} {rule} WBC < {self.wbc_threshold:g} x10^9/L "
            f"({self.aggregate} of >= {self.min_measurements} measurements >= {self.min_spacing_days} days apart, "
            f"days {self.window[0]}-{self.window[1]}); splenomegaly: {spleen}; no other cause"
        )


@dataclass(frozen=True)
class SecondaryMeasures:
    """Splenic-function recovery (secondary outcomes).

    Attributes
    ----------
    pct_change_plt, pct_change_wbc : float or None
        Percentage change pre-transplant -> window (mean of the window's measurements).
    sv_ratio : float or None
        Spleen volume in the window / pre-transplant volume (SV6 / SV0).
    days_to_plt_100 : int or None
        First post-transplant day with platelets >= 100 x10^9/L (None: not reached in the data).
    recovery_grade : {"full", "partial", "none"} or None
        Full: PLT >= 100, WBC >= 4 and normal spleen size; partial: some of them; none: none of them.
    severity : {"severe", "moderate", "mild"} or None
        Platelet grade of the cytopenia in the window (None when platelets are not below the threshold).
    """

    pct_change_plt: float | None = None
    pct_change_wbc: float | None = None
    sv_ratio: float | None = None
    days_to_plt_100: int | None = None
    recovery_grade: str | None = None
    severity: str | None = None


@dataclass(frozen=True)
class OutcomeResult:
    """The derived outcome of one recipient.

    Attributes
    ----------
    status : 1, 0, "pending", "competing" or "excluded"
    flags : tuple of str
        ``treated``, ``treated_before_6_months``, ``other_cause``, ``other_cause:<flag>``, ``competing:<event>``,
        ``window_open``, ``too_few_measurements``, ``no_spleen_measurement``.
    reasons : tuple of str
        Plain-language explanation of the status.
    secondary : SecondaryMeasures
    definition_id : str
    window_dates : (str, str) or None
        Calendar dates of the assessment window.
    plt_window, wbc_window : float or None
        Aggregated platelet and WBC counts of the window (None when not derivable).
    cytopenia, splenomegaly, other_cause : bool or None
        Component results (None: not determinable).
    """

    status: Status
    flags: tuple[str, ...]
    reasons: tuple[str, ...]
    secondary: SecondaryMeasures
    definition_id: str
    window_dates: tuple[str, str] | None = None
    plt_window: float | None = None
    wbc_window: float | None = None
    cytopenia: bool | None = None
    splenomegaly: bool | None = None
    other_cause: bool | None = None
    event_day: int | None = field(default=None)

    @property
    def label(self) -> int | None:
        """1 or 0 when derived, None when pending, competing or excluded."""
        return self.status if isinstance(self.status, int) else None

    def as_dict(self) -> dict[str, Any]:
        """Return JSON-compatible values (for the registry and exports)."""
        out = asdict(self)
        out["flags"] = list(self.flags)
        out["reasons"] = list(self.reasons)
        out["window_dates"] = list(self.window_dates) if self.window_dates else None
        return out


def _to_date(value: Any, name: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise InputError(
            f"{name} is not a date",
            expected="an ISO date YYYY-MM-DD",
            found=repr(value),
            fix=f"enter {name} as YYYY-MM-DD",
            field=name,
        ) from None


def _num(value: Any) -> float | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def _flag(value: Any) -> bool:
    x = _num(value)
    return bool(x) if x is not None else str(value).strip().lower() in {"yes", "true"}


@dataclass(frozen=True)
class _Visit:
    day: int
    values: Mapping[str, Any]


def _visits(visits: Sequence[Mapping[str, Any]], tx: dt.date) -> list[_Visit]:
    out = []
    for i, v in enumerate(visits):
        day = _num(v.get("day"))
        if v.get("date") not in (None, ""):
            computed = (_to_date(v["date"], f"visit {i + 1} date") - tx).days
            if day is not None and int(day) != computed:
                raise InputError(
                    f"visit {i + 1}: day and date disagree",
                    expected=f"day {computed} (from the date and transplant date {tx.isoformat()})",
                    found=f"day {int(day)}",
                    fix="correct the visit date or leave 'day' empty",
                    field="day",
                )
            day = computed
        if day is None:
            raise InputError(
                f"visit {i + 1} has neither a date nor a day",
                expected="a visit date (or days since transplant)",
                found="neither",
                fix="enter the visit date",
                field="date",
            )
        if day >= 0:
            out.append(_Visit(int(day), v))
    return sorted(out, key=lambda x: x.day)


def _summary(values: list[tuple[int, float]], how: str) -> float:
    xs = [x for _, x in values]
    return min(xs) if how == "lowest" else sum(xs) / len(xs)


def _enough(values: list[tuple[int, float]], d: OutcomeDefinition) -> bool:
    if len(values) < d.min_measurements:
        return False
    days = [day for day, _ in values]
    return max(days) - min(days) >= d.min_spacing_days


def derive_outcome(
    preop: Mapping[str, Any],
    visits: Sequence[Mapping[str, Any]],
    transplant_date: str | dt.date,
    today: str | dt.date | None = None,
    definition: OutcomeDefinition | None = None,
) -> OutcomeResult:
    """Derive refractory hypersplenism at 6 months and the secondary recovery measures.

    Parameters
    ----------
    preop : mapping
        Pre-operative record (canonical units): ``platelets``, ``wbc``, ``spleen_volume_ml``, and ``bsa`` or
        ``height_cm`` + ``weight_kg`` (for the volume/BSA criterion).
    visits : sequence of mapping
        Dated follow-up rows (CONTRACTS section B); ``day`` is computed from ``date`` when given.
    transplant_date : str or date
        Date of transplantation.
    today : str or date, optional
        Date of the derivation; visits after it are ignored and the window is open until it has passed.
        None: all data are complete.
    definition : OutcomeDefinition, optional
        The settings (default: CLINICAL.md).

    Returns
    -------
    OutcomeResult
        Status 1 / 0 / "pending" / "competing" with flags, reasons, components and secondary measures.
    """
    d = definition or OutcomeDefinition()
    tx = _to_date(transplant_date, "transplant_date")
    today_day = None if today is None else (_to_date(today, "today") - tx).days
    vs = [v for v in _visits(visits, tx) if today_day is None or v.day <= today_day]
    start, end = d.window
    window_dates = ((tx + dt.timedelta(days=start)).isoformat(), (tx + dt.timedelta(days=end)).isoformat())
    flags: list[str] = []
    reasons: list[str] = []

    treat = next((v for v in vs if str(v.values.get("intervention") or "").strip() in INTERVENTIONS), None)
    event = next((v for v in vs if str(v.values.get("event") or "").strip() in COMPETING_EVENTS), None)
    event_day = event.day if event else None
    # splenic-artery procedure, by either route: an eligibility field, or a visit before the outcome is assessed
    sa_fields = [f for f in SPLENIC_ARTERY_FIELDS if _flag(preop.get(f)) and preop.get(f) not in (None, "")]
    sa_visit = next(
        (
            v
            for v in vs
            if str(v.values.get("intervention") or "").strip() in SPLENIC_ARTERY_INTERVENTIONS
            and v.day <= end
            and (event is None or v.day <= event.day)
        ),
        None,
    )

    # Window measurements (before a competing event inside the window).
    last_day = end if event is None else min(end, event.day)
    in_window = [v for v in vs if start <= v.day <= last_day and (event is None or v.day < event.day)]

    def series(key: str) -> list[tuple[int, float]]:
        return [(v.day, x) for v in in_window if (x := _num(v.values.get(key))) is not None]

    plt, wbc = series("platelets"), series("wbc")
    sv, sl = series("spleen_volume_ml"), series("spleen_length_cm")
    plt_agg = _summary(plt, d.aggregate) if _enough(plt, d) else None
    wbc_agg = _summary(wbc, d.aggregate) if _enough(wbc, d) else None

    # 1. Cytopenia.
    below = [
        None if agg is None else agg < thr
        for agg, thr in ((plt_agg, d.plt_threshold), (wbc_agg, d.wbc_threshold))
    ]
    if d.cytopenia_rule == "or":
        cytopenia = True if True in below else (False if None not in below else None)
    else:
        cytopenia = False if False in below else (True if None not in below else None)

    # 2. Splenomegaly (mean of the window's spleen measurements).
    bsa = _num(preop.get("bsa"))
    if bsa is None:
        h, w = _num(preop.get("height_cm")), _num(preop.get("weight_kg"))
        bsa = float(bsa_mosteller(h, w)) if h is not None and w is not None else None
    sv_mean = sum(x for _, x in sv) / len(sv) if sv else None
    sl_mean = sum(x for _, x in sl) / len(sl) if sl else None
    tests: list[bool | None] = []
    for crit in d.splenomegaly_criteria:
        if crit == "volume_bsa":
            tests.append(
                None if sv_mean is None or bsa is None else sv_mean / bsa > d.spleen_volume_bsa_ml_m2
            )
        elif crit == "volume":
            tests.append(None if sv_mean is None else sv_mean > d.spleen_volume_ml)
        else:
            tests.append(None if sl_mean is None else sl_mean >= d.spleen_length_cm)
    if not d.splenomegaly_criteria:
        splenomegaly: bool | None = True
    elif True in tests:
        splenomegaly = True
    elif None in tests:
        splenomegaly = None
    else:
        splenomegaly = False

    # 3. Other causes.
    causes = sorted(
        {
            c
            for v in vs
            if d.other_cause_from_day <= v.day <= last_day and (event is None or v.day < event.day)
            for c in d.other_causes
            if _flag(v.values.get(c))
        }
    )
    other_cause = bool(causes)

    secondary = _secondary(preop, vs, plt, wbc, sv, sl, bsa, d, plt_agg)
    common = {
        "secondary": secondary,
        "definition_id": d.definition_id,
        "window_dates": window_dates,
        "plt_window": plt_agg,
        "wbc_window": wbc_agg,
        "cytopenia": cytopenia,
        "splenomegaly": splenomegaly,
        "other_cause": other_cause,
        "event_day": event_day,
    }

    # 4a. Splenic-artery ligation or embolisation: a protocol exclusion (or, as a sensitivity setting, 1 flagged).
    if sa_fields or sa_visit is not None:
        route = (
            f"recorded at enrolment ({', '.join(sa_fields)})"
            if sa_fields
            else f"entered at the day-{sa_visit.day} visit ({sa_visit.values.get('intervention')})"  # type: ignore[union-attr]
        )
        if d.splenic_artery_intervention == "exclude":
            reasons.append(
                f"splenic-artery ligation or embolisation {route}: excluded by the protocol (the estimand is the "
                "risk for recipients without splenic-artery intervention)"
            )
            return OutcomeResult("excluded", (EXCLUDED_FLAG,), tuple(reasons), **common)  # type: ignore[arg-type]
        reasons.append(
            f"splenic-artery ligation or embolisation {route}: counted as refractory hypersplenism "
            "(sensitivity setting; flagged)"
        )
        return OutcomeResult(1, ("treated", "splenic_artery_intervention"), tuple(reasons), **common)  # type: ignore[arg-type]

    # 4. Treated for hypersplenism before the outcome assessment (and before any competing event): 1, flagged.
    if (
        d.treatment_counts
        and treat is not None
        and treat.day <= end
        and (event is None or treat.day <= event.day)
    ):
        flags.append("treated")
        if treat.day < d.six_months_day:
            flags.append("treated_before_6_months")
        reasons.append(
            f"treated for hypersplenism ({treat.values.get('intervention')}) on day {treat.day}: counts as refractory "
            "hypersplenism (flagged for sensitivity analyses)"
        )
        return OutcomeResult(1, tuple(flags), tuple(reasons), **common)  # type: ignore[arg-type]

    if causes:
        flags.append("other_cause")
        flags.extend(f"other_cause:{c}" for c in causes)

    # Competing event before the window: not a 0.
    if event is not None and event.day < start:
        flags.append(f"competing:{event.values.get('event')}")
        reasons.append(
            f"{event.values.get('event')} on day {event.day}, before the assessment window (day {start})"
        )
        return OutcomeResult("competing", tuple(flags), tuple(reasons), **common)  # type: ignore[arg-type]

    window_closed = event is not None or today_day is None or today_day >= end
    if not window_closed and d.require_window_closed:
        flags.append("window_open")
        reasons.append(
            f"assessment window (days {start}-{end}) closes on {window_dates[1]}; today is day {today_day}"
        )
        return OutcomeResult("pending", tuple(flags), tuple(reasons), **common)  # type: ignore[arg-type]

    if cytopenia is False:
        status: Status = 0
        reasons.append(
            f"no cytopenia in the window (platelets {_fmt(plt_agg)}, WBC {_fmt(wbc_agg)}; "
            f"thresholds {d.plt_threshold:g} / {d.wbc_threshold:g}, rule '{d.cytopenia_rule}')"
        )
    elif splenomegaly is False:
        status = 0
        reasons.append(
            f"no splenomegaly in the window (volume {_fmt(sv_mean)} ml, length {_fmt(sl_mean)} cm)"
        )
    elif other_cause:
        status = 0
        reasons.append(f"cytopenia attributed to another cause: {', '.join(causes)}")
    elif cytopenia and splenomegaly:
        status = 1
        reasons.append(
            f"cytopenia (platelets {_fmt(plt_agg)}, WBC {_fmt(wbc_agg)}) with splenomegaly and no other cause"
        )
    else:
        status = "pending"
        if cytopenia is None:
            flags.append("too_few_measurements")
            reasons.append(
                f"too few counts in the window: platelets {len(plt)}, WBC {len(wbc)} "
                f"(need >= {d.min_measurements}, >= {d.min_spacing_days} days apart)"
            )
        if splenomegaly is None:
            flags.append("no_spleen_measurement")
            reasons.append("no spleen volume/length (or BSA) in the window to assess splenomegaly")
    if event is not None and status == "pending":
        flags.append(f"competing:{event.values.get('event')}")
        reasons.append(f"{event.values.get('event')} on day {event.day}, before the outcome could be derived")
        status = "competing"
    return OutcomeResult(status, tuple(flags), tuple(reasons), **common)  # type: ignore[arg-type]


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3g}"


def _secondary(
    preop: Mapping[str, Any],
    vs: list[_Visit],
    plt: list[tuple[int, float]],
    wbc: list[tuple[int, float]],
    sv: list[tuple[int, float]],
    sl: list[tuple[int, float]],
    bsa: float | None,
    d: OutcomeDefinition,
    plt_agg: float | None,
) -> SecondaryMeasures:
    def mean(xs: list[tuple[int, float]]) -> float | None:
        return sum(x for _, x in xs) / len(xs) if xs else None

    def pct(now: float | None, before: float | None) -> float | None:
        if now is None or before is None or before <= 0:
            return None
        return round(100.0 * (now - before) / before, 1)

    plt6, wbc6, sv6, sl6 = mean(plt), mean(wbc), mean(sv), mean(sl)
    plt0, wbc0, sv0 = (
        _num(preop.get("platelets")),
        _num(preop.get("wbc")),
        _num(preop.get("spleen_volume_ml")),
    )
    days_to = next(
        (v.day for v in vs if (x := _num(v.values.get("platelets"))) is not None and x >= d.recovery_plt),
        None,
    )
    normal_size: bool | None = None
    if sv6 is not None or sl6 is not None:
        checks = []
        if sv6 is not None:
            checks.append(sv6 <= d.spleen_volume_ml)
            if bsa is not None:
                checks.append(sv6 / bsa <= d.spleen_volume_bsa_ml_m2)
        if sl6 is not None:
            checks.append(sl6 < d.spleen_length_cm)
        normal_size = all(checks)
    grade = None
    if plt6 is not None and wbc6 is not None and normal_size is not None:
        parts = [plt6 >= d.recovery_plt, wbc6 >= d.recovery_wbc, normal_size]
        grade = "full" if all(parts) else ("partial" if any(parts) else "none")
    severity = None
    if plt_agg is not None and plt_agg < d.plt_threshold:
        severe, moderate = d.severity_cuts
        severity = "severe" if plt_agg < severe else ("moderate" if plt_agg < moderate else "mild")
    return SecondaryMeasures(
        pct_change_plt=pct(plt6, plt0),
        pct_change_wbc=pct(wbc6, wbc0),
        sv_ratio=None if sv6 is None or sv0 is None or sv0 <= 0 else round(sv6 / sv0, 3),
        days_to_plt_100=days_to,
        recovery_grade=grade,
        severity=severity,
    )

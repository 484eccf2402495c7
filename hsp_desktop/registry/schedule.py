"""Follow-up schedule: visit windows around post-transplant days 30, 90 and 180, and their states on a date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from hsp_desktop.errors import SettingsError


@dataclass(frozen=True)
class VisitWindow:
    """One scheduled visit.

    Attributes
    ----------
    day : int
        Target day after transplantation.
    before, after : int
        The window is ``[day - before, day + after]`` (inclusive).
    min_measurements : int
        Measurements needed inside the window for the visit to count as done (2 at day 180: the outcome needs two
        measurements at least 7 days apart).
    """

    day: int
    before: int
    after: int
    min_measurements: int = 1

    def __post_init__(self) -> None:
        if self.day < 0 or self.before < 0 or self.after < 0 or self.min_measurements < 1:
            raise SettingsError(
                "A follow-up visit window is invalid",
                expected="day >= 0, before >= 0, after >= 0, min_measurements >= 1",
                found=str(asdict(self)),
                fix="correct the followup_windows setting",
                field="followup_windows",
            )

    @property
    def start(self) -> int:
        """First day of the window."""
        return self.day - self.before

    @property
    def end(self) -> int:
        """Last day of the window."""
        return self.day + self.after


#: Default schedule: day 30 +/- 7, day 90 +/- 14, day 180 +/- 30 (the outcome window, two measurements).
DEFAULT_WINDOWS: tuple[VisitWindow, ...] = (
    VisitWindow(30, 7, 7, 1),
    VisitWindow(90, 14, 14, 1),
    VisitWindow(180, 30, 30, 2),
)


def windows_from_setting(value: Sequence[dict[str, Any]] | None) -> tuple[VisitWindow, ...]:
    """Build the schedule from the ``followup_windows`` setting (a list of dicts), or the default."""
    if not value:
        return DEFAULT_WINDOWS
    try:
        return tuple(VisitWindow(**dict(w)) for w in value)
    except TypeError as exc:
        raise SettingsError(
            "The followup_windows setting is malformed",
            expected="a list of {day, before, after, min_measurements}",
            found=repr(value)[:200],
            fix="reset the setting to its default",
            field="followup_windows",
        ) from exc


@dataclass(frozen=True)
class VisitState:
    """The state of one scheduled visit on a given date.

    ``state`` is ``"done"``, ``"upcoming"`` (window not open yet), ``"due"`` (window open, not done),
    ``"overdue"`` (window closed, not done) or ``"missed"`` (window closed, not done, and a later measurement was
    recorded: chasing it is pointless, the next visit is the one after).
    """

    day: int
    window_start: str
    window_end: str
    state: str
    measurements: int
    days_overdue: int = 0

    def as_dict(self) -> dict[str, Any]:
        """Return the state as a plain dict."""
        return asdict(self)


def visit_states(
    transplant_date: dt.date,
    visit_days: Iterable[int],
    today: dt.date,
    windows: Sequence[VisitWindow] = DEFAULT_WINDOWS,
) -> list[VisitState]:
    """Return the state of every scheduled visit of one recipient on ``today``.

    Parameters
    ----------
    transplant_date : datetime.date
        Day 0.
    visit_days : iterable of int
        Post-transplant days of the recorded follow-up measurements.
    today : datetime.date
        The date the schedule is evaluated on.
    windows : sequence of VisitWindow
        The schedule.

    Returns
    -------
    list of VisitState
    """
    days = sorted(visit_days)
    today_day = (today - transplant_date).days
    out = []
    for w in windows:
        n = sum(1 for d in days if w.start <= d <= w.end)
        start = (transplant_date + dt.timedelta(days=w.start)).isoformat()
        end = (transplant_date + dt.timedelta(days=w.end)).isoformat()
        if n >= w.min_measurements:
            state, late = "done", 0
        elif today_day < w.start:
            state, late = "upcoming", 0
        elif today_day <= w.end:
            state, late = "due", 0
        elif days and days[-1] > w.end:
            state, late = "missed", 0
        else:
            state, late = "overdue", today_day - w.end
        out.append(VisitState(w.day, start, end, state, n, late))
    return out


def next_visit(states: Sequence[VisitState]) -> VisitState | None:
    """Return the first visit that is not done (overdue before due before upcoming; missed ones skipped), or None."""
    for wanted in ("overdue", "due", "upcoming"):
        for s in states:
            if s.state == wanted:
                return s
    return None

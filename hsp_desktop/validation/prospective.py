"""Monitor the locked model on recipients whose 6-month outcome is known.

The prospective cohort is small (~30 recipients, ~8 events), so every figure comes with its confidence interval
and the summary says plainly when there are too few outcomes to compute it.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: Minimum events and non-events before an AUC / calibration is shown.
MIN_PER_CLASS = 2


@dataclass(frozen=True)
class BandRow:
    """Observed vs predicted event rate in one risk band."""

    band: str
    n: int
    events: int
    mean_predicted: float
    observed: float


@dataclass(frozen=True)
class ProspectiveSummary:
    """The validation dashboard's numbers."""

    n_scored: int
    n_outcome: int
    n_events: int
    n_pending: int
    n_competing: int
    auc: float | None = None
    auc_ci: tuple[float, float] | None = None
    calibration_intercept: float | None = None
    calibration_slope: float | None = None
    brier: float | None = None
    bands: tuple[BandRow, ...] = ()
    y: tuple[int, ...] = ()
    p: tuple[float, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)


def summarise(rows: Iterable[Mapping[str, Any]]) -> ProspectiveSummary:
    """Summarise recipients' latest predictions against their derived outcomes.

    Parameters
    ----------
    rows : iterable of mappings
        Each with ``risk`` (probability or None when not scored), ``band`` and ``outcome``
        (1, 0, "pending", "competing" or None).
    """
    from models.metrics import auc_delong, brier_score, calibration

    scored = [r for r in rows if r.get("risk") is not None]
    known = [r for r in scored if r.get("outcome") in (0, 1, "0", "1")]
    y = np.array([int(r["outcome"]) for r in known], dtype=int)
    p = np.array([float(r["risk"]) for r in known], dtype=float)
    pending = sum(1 for r in scored if r.get("outcome") in (None, "pending"))
    competing = sum(1 for r in scored if r.get("outcome") == "competing")
    notes: list[str] = []
    auc = auc_ci = intercept = slope = brier = None
    events = int(y.sum())
    if events >= MIN_PER_CLASS and len(y) - events >= MIN_PER_CLASS:
        res = auc_delong(y, p)
        auc, auc_ci = float(res.auc), (float(res.ci_low), float(res.ci_high))
        cal = calibration(y, p)
        intercept, slope = float(cal.intercept), float(cal.slope)
        brier = float(brier_score(y, p))
        if len(y) < 100:
            notes.append(
                f"{len(y)} outcomes, {events} events: a feasibility check; the AUC confidence interval is wide."
            )
    else:
        notes.append(
            f"Too few known outcomes for AUC and calibration ({events} events, {len(y) - events} non-events; "
            f"at least {MIN_PER_CLASS} of each needed)."
        )
    bands = []
    for band in ("low", "intermediate", "high"):
        sel = [i for i, r in enumerate(known) if r.get("band") == band]
        if sel:
            bands.append(
                BandRow(band, len(sel), int(y[sel].sum()), float(p[sel].mean()), float(y[sel].mean()))
            )
    return ProspectiveSummary(
        n_scored=len(scored),
        n_outcome=len(known),
        n_events=events,
        n_pending=pending,
        n_competing=competing,
        auc=auc,
        auc_ci=auc_ci,
        calibration_intercept=intercept,
        calibration_slope=slope,
        brier=brier,
        bands=tuple(bands),
        y=tuple(int(v) for v in y),
        p=tuple(float(v) for v in p),
        notes=tuple(notes),
    )


def summarise_registry(registry: Any) -> ProspectiveSummary:
    """Summarise every recipient in the registry with a prediction (latest prediction per recipient)."""
    return summarise(registry.worklist(limit=None))


def calibration_png(summary: ProspectiveSummary, *, width_in: float = 4.5, dpi: int = 100) -> bytes:
    """A calibration plot (observed vs predicted with a smoothed curve when possible) as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, width_in), dpi=dpi)
    ax = fig.add_subplot(1, 1, 1)
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label="ideal")
    if summary.y:
        y = np.asarray(summary.y, float)
        p = np.asarray(summary.p, float)
        order = np.argsort(p)
        groups = np.array_split(order, min(5, max(1, len(p) // 5)))
        xs = [p[g].mean() for g in groups if len(g)]
        ys = [y[g].mean() for g in groups if len(g)]
        ax.plot(xs, ys, "o-", color="#b00020", label="observed (grouped)")
        ax.plot(p, y + np.where(y > 0, -0.02, 0.02), "|", color="black", alpha=0.6)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("Predicted risk")
    ax.set_ylabel("Observed proportion")
    title = "Calibration (prospective)"
    if summary.calibration_slope is not None:
        title += f"\nslope {summary.calibration_slope:.2f}, intercept {summary.calibration_intercept:.2f}"
    ax.set_title(title, fontsize=9)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()

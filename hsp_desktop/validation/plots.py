"""Charts of one bundle's monitoring entry (PNG bytes) for the dashboard and the validation PDF."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from typing import Any

import numpy as np


def _figure(width_in: float, height_in: float, dpi: int) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure(figsize=(width_in, height_in), dpi=dpi)


def _png(fig: Any) -> bytes:
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def cusum_png(
    entry: Mapping[str, Any], *, width_in: float = 5.0, height_in: float = 3.0, dpi: int = 100
) -> bytes:
    """Both risk-adjusted CUSUM charts against transplant date, with their alarm limits and alarm points."""
    fig = _figure(width_in, height_in, dpi)
    ax = fig.add_subplot(1, 1, 1)
    colours = {True: "#b00020", False: "#1f5fa8"}
    for chart in entry.get("cusum", []):
        dates = [dt.date.fromisoformat(d) for d in chart["dates"]]
        up = chart["odds_ratio"] > 1
        sign = 1.0 if up else -1.0
        path = sign * np.asarray(chart["path"], dtype=float)
        ax.step(dates, path, where="post", color=colours[up], lw=1.4, label=f"OR {chart['odds_ratio']:g}")
        ax.axhline(sign * chart["limit"], color=colours[up], ls="--", lw=0.9)
        if chart["alarm"]:
            k = chart["study_ids"].index(chart["alarm_study_id"])
            ax.plot([dates[k]], [path[k]], "o", color="#b00020", ms=7)
            ax.annotate(f"alarm {chart['alarm_date']}", (dates[k], path[k]), fontsize=7, xytext=(-8, -14),
                        textcoords="offset points", ha="right", color="#b00020")  # fmt: skip
    ax.axhline(0, color="grey", lw=0.6)
    ax.set_xlabel("Transplant date")
    ax.set_ylabel("CUSUM (down: fewer events)")
    ax.set_title("Risk-adjusted CUSUM (Steiner 2000), dashed: alarm limits", fontsize=9)
    if entry.get("cusum"):
        ax.legend(loc="upper left", fontsize=7)
    fig.autofmt_xdate()
    return _png(fig)


def calibration_png(entry: Mapping[str, Any], *, width_in: float = 4.0, dpi: int = 100) -> bytes:
    """Observed vs predicted (grouped) for the bundle's recipients with a known outcome."""
    fig = _figure(width_in, width_in, dpi)
    ax = fig.add_subplot(1, 1, 1)
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label="ideal")
    rows = entry.get("outcomes", [])
    if rows:
        y = np.asarray([r["y"] for r in rows], dtype=float)
        p = np.asarray([r["p"] for r in rows], dtype=float)
        order = np.argsort(p)
        groups = [g for g in np.array_split(order, min(5, max(1, len(p) // 5))) if len(g)]
        ax.plot([p[g].mean() for g in groups], [y[g].mean() for g in groups], "o-", color="#b00020",
                label="observed (grouped)")  # fmt: skip
        ax.plot(p, y + np.where(y > 0, -0.02, 0.02), "|", color="black", alpha=0.6)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("Predicted risk")
    ax.set_ylabel("Observed proportion")
    cal = entry.get("performance", {}).get("calibration")
    title = "Calibration (prospective)"
    if cal:
        title += f"\nslope {cal['slope']:.2f}, intercept {cal['intercept']:.2f}"
    ax.set_title(title, fontsize=9)
    ax.legend(loc="upper left", fontsize=7)
    return _png(fig)


def cif_png(
    entry: Mapping[str, Any], *, width_in: float = 4.0, height_in: float = 3.0, dpi: int = 100
) -> bytes:
    """Aalen-Johansen cumulative incidence of the outcome (death / re-transplant competing)."""
    fig = _figure(width_in, height_in, dpi)
    ax = fig.add_subplot(1, 1, 1)
    cr = entry.get("competing_risks", {})
    curve = cr.get("curve")
    end = max([210.0, *(curve["times"] if curve else [])])
    if curve:
        ax.step([*curve["times"], end], [*curve["cif"], curve["cif"][-1]], where="post", color="#1f5fa8")
        for band in cr.get("by_band", []):
            ax.plot([end], [band["cif_at_horizon"]], "_", ms=10, color="grey")
            ax.annotate(band["band"], (end, band["cif_at_horizon"]), fontsize=6, xytext=(3, -2),
                        textcoords="offset points")  # fmt: skip
    ax.set_xlim(0, end * 1.08)
    ax.set_ylim(0, 1)
    ax.set_xlabel("Days after transplantation")
    ax.set_ylabel("Cumulative incidence")
    ax.set_title("Refractory hypersplenism (Aalen-Johansen)", fontsize=9)
    return _png(fig)


def trajectories_png(
    trajectories: Mapping[str, Any], *, width_in: float = 7.5, height_in: float = 2.4, dpi: int = 100
) -> bytes:
    """Per-recipient platelets, WBC and spleen volume over the days after transplantation (secondary outcomes)."""
    fig = _figure(width_in, height_in, dpi)
    panels = (
        ("platelets", "Platelets (x10^9/L)", 100.0),
        ("wbc", "WBC (x10^9/L)", 4.0),
        ("spleen_volume_ml", "Spleen volume (ml)", None),
    )
    recipients = trajectories.get("recipients", [])
    for j, (key, label, threshold) in enumerate(panels):
        ax = fig.add_subplot(1, 3, j + 1)
        for r in recipients:
            pts = r.get(key) or []
            if len(pts) >= 2:
                ax.plot([q[0] for q in pts], [q[1] for q in pts], color="#1f5fa8", alpha=0.35, lw=0.8)
        if threshold is not None:
            ax.axhline(threshold, color="#b00020", ls="--", lw=0.8)
        ax.set_title(label, fontsize=8)
        ax.set_xlabel("Day", fontsize=7)
        ax.tick_params(labelsize=6)
    return _png(fig)

"""Validation figures of a bundle: ROC with a bootstrap CI band, flexible calibration curve, decision curve.

Matplotlib with the Agg backend (no display); each figure is written as PNG and SVG with fixed metadata so that
re-running the same development gives the same files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from models.metrics import auc_delong, calibration, calibration_curve, decision_curve, roc_band


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    plt.rcParams["svg.hashsalt"] = "hsp-desktop"
    return plt


def _save(fig: Any, stem: Path) -> list[Path]:
    plt = _pyplot()
    stem.parent.mkdir(parents=True, exist_ok=True)
    png, svg = stem.with_suffix(".png"), stem.with_suffix(".svg")
    fig.savefig(png, dpi=110, metadata={"Software": None})
    fig.savefig(svg, metadata={"Date": None, "Creator": None})
    plt.close(fig)
    return [png, svg]


def roc_figure(
    y: ArrayLike, p: ArrayLike, stem: Path, *, title: str, n_boot: int = 200, seed: int = 0
) -> list[Path]:
    """ROC curve with a pointwise 95% bootstrap band (vertical averaging) and the DeLong AUC CI in the legend.

    Parameters
    ----------
    y, p : array-like
        Outcome and predicted probability.
    stem : Path
        Output path without suffix.
    title : str
        Figure title.
    n_boot : int
        Bootstrap resamples for the band.
    seed : int
        Random seed.

    Returns
    -------
    list of Path
        The PNG and SVG written.
    """
    plt = _pyplot()
    yy = np.asarray(y).astype(int)
    pp = np.asarray(p, dtype=float)
    band = roc_band(yy, pp, n_boot=n_boot, seed=seed)
    grid = np.asarray(band["fpr"])
    auc = auc_delong(yy, pp)
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.fill_between(
        grid, band["tpr_low"], band["tpr_high"], color="tab:blue", alpha=0.2, label="95% bootstrap band"
    )
    ax.plot(
        grid,
        band["tpr"],
        color="tab:blue",
        label=f"AUC {auc.auc:.3f} ({auc.ci_low:.3f}-{auc.ci_high:.3f})",
    )
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":")
    ax.set(xlabel="1 - specificity", ylabel="Sensitivity", title=title, xlim=(0, 1), ylim=(0, 1))
    ax.legend(loc="lower right")
    return _save(fig, stem)


def calibration_figure(y: ArrayLike, p: ArrayLike, stem: Path, *, title: str) -> list[Path]:
    """Flexible (restricted cubic spline) calibration curve with its 95% band and a risk histogram.

    Parameters
    ----------
    y, p : array-like
        Outcome and predicted probability.
    stem : Path
        Output path without suffix.
    title : str
        Figure title.

    Returns
    -------
    list of Path
        The PNG and SVG written.
    """
    plt = _pyplot()
    curve = calibration_curve(y, p)
    cal = calibration(y, p)
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.fill_between(curve.predicted, curve.ci_low, curve.ci_high, color="tab:green", alpha=0.2)
    ax.plot(
        curve.predicted,
        curve.observed,
        color="tab:green",
        label=f"slope {cal.slope:.2f}, intercept {cal.intercept:.2f}, Brier {cal.brier:.3f}",
    )
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":")
    counts, edges = np.histogram(np.asarray(p, dtype=float), bins=40, range=(0, 1))
    ax.bar(
        edges[:-1], counts / max(counts.max(), 1) * 0.1, width=edges[1] - edges[0], align="edge", color="grey"
    )
    ax.set(xlabel="Predicted risk", ylabel="Observed risk", title=title, xlim=(0, 1), ylim=(0, 1))
    ax.legend(loc="upper left")
    return _save(fig, stem)


def dca_figure(y: ArrayLike, p: ArrayLike, stem: Path, *, title: str) -> list[Path]:
    """Decision curve: net benefit of the model, treat-all and treat-none over 5-60% thresholds.

    Parameters
    ----------
    y, p : array-like
        Outcome and predicted probability.
    stem : Path
        Output path without suffix.
    title : str
        Figure title.

    Returns
    -------
    list of Path
        The PNG and SVG written.
    """
    plt = _pyplot()
    dc = decision_curve(y, p)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(dc.thresholds, dc.model, label="model", color="tab:red")
    ax.plot(dc.thresholds, dc.treat_all, label="treat all", color="grey")
    ax.plot(dc.thresholds, dc.treat_none, label="treat none", color="black", linestyle=":")
    top = max(float(np.max(dc.model)), float(np.max(dc.treat_all)), 0.05)
    ax.set(xlabel="Threshold probability", ylabel="Net benefit", title=title, ylim=(-0.05, top * 1.1))
    ax.legend()
    return _save(fig, stem)

"""Vector charts for the reports, drawn with ReportLab graphics (no matplotlib: fast, same fonts as the text).

Every chart is a :class:`reportlab.graphics.shapes.Drawing` that the renderers place in the page flow.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from reportlab.graphics.shapes import Drawing, Group, Line, Polygon, PolyLine, Rect, String
from reportlab.lib import colors

from hsp_desktop.domain import Contribution
from hsp_desktop.reporting.i18n import Language, t
from hsp_desktop.reporting.inputs import CalibrationCurve, CohortDistribution, DecisionCurve, RocCurve

RAISE = colors.HexColor("#c0392b")
LOWER = colors.HexColor("#2e6da4")
GRID = colors.HexColor("#d0d0d0")
AXIS = colors.HexColor("#404040")
BAND_FILL = {
    "low": colors.HexColor("#e3f1e0"),
    "intermediate": colors.HexColor("#fbefd5"),
    "high": colors.HexColor("#f6dcdc"),
}
BAND_STROKE = {
    "low": colors.HexColor("#2f7d32"),
    "intermediate": colors.HexColor("#b7791f"),
    "high": colors.HexColor("#b03a2e"),
}


def logit(p: float) -> float:
    """Log-odds of a probability (clipped to 1e-6 .. 1 - 1e-6)."""
    p = min(max(p, 1e-6), 1.0 - 1e-6)
    return math.log(p / (1.0 - p))


def expit(x: float) -> float:
    """Probability of a log-odds value."""
    return 1.0 / (1.0 + math.exp(-x))


def fmt_pct(p: float) -> str:
    """A probability as a percentage for print: one decimal below 10%, else whole numbers."""
    pct = 100.0 * p
    return f"{pct:.1f}%" if pct < 10.0 else f"{pct:.0f}%"


def fmt_risk(p: float) -> str:
    """A patient's risk for print, always with one decimal (so it never rounds across a band threshold)."""
    return f"{100.0 * p:.1f}%"


def fmt_log_odds(c: float) -> str:
    """A log-odds contribution with its sign (``0.00`` rather than ``-0.00``)."""
    return "0.00" if abs(c) < 0.005 else f"{c:+.2f}"


def fmt_value(value: float | str | None) -> str:
    """An input value for print, with precision that suits its size."""
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    v = float(value)
    if math.isnan(v):
        return "-"
    if v == int(v) and abs(v) < 1e6:
        return f"{int(v)}"
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def _text(
    x: float, y: float, text: str, font: str, size: float = 7, anchor: str = "start", **kw: object
) -> String:
    return String(x, y, text, fontName=font, fontSize=size, textAnchor=anchor, **kw)


def risk_histogram(
    distribution: CohortDistribution,
    probability: float,
    thresholds: tuple[float, float],
    language: Language,
    font: str,
    width: float = 250,
    height: float = 120,
) -> Drawing:
    """Histogram of the development cohort's predicted risks, bands shaded, with this recipient marked."""
    d = Drawing(width, height)
    left, bottom, right, top = 30.0, 24.0, width - 8.0, height - 16.0
    pw, ph = right - left, top - bottom
    edges, counts = distribution.histogram(bins=20)
    cmax = max(int(counts.max()), 1)
    lo, hi = thresholds
    for band, (a, b) in zip(("low", "intermediate", "high"), ((0.0, lo), (lo, hi), (hi, 1.0)), strict=True):
        d.add(Rect(left + a * pw, bottom, (b - a) * pw, ph, fillColor=BAND_FILL[band], strokeColor=None))
    for i, c in enumerate(counts):
        if c == 0:
            continue
        x0 = left + float(edges[i]) * pw
        bw = float(edges[i + 1] - edges[i]) * pw
        d.add(
            Rect(
                x0 + 0.5,
                bottom,
                bw - 1.0,
                ph * c / cmax,
                fillColor=colors.HexColor("#8c8c8c"),
                strokeColor=None,
            )
        )
    d.add(Line(left, bottom, right, bottom, strokeColor=AXIS, strokeWidth=0.6))
    d.add(Line(left, bottom, left, top, strokeColor=AXIS, strokeWidth=0.6))
    for tick in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0):
        x = left + tick * pw
        d.add(Line(x, bottom, x, bottom - 3, strokeColor=AXIS, strokeWidth=0.6))
        d.add(_text(x, bottom - 11, f"{tick * 100:.0f}%", font, anchor="middle"))
    d.add(_text(left + pw / 2, 2, t(language, "distribution_axis"), font, anchor="middle"))
    d.add(_text(left - 4, top - 3, str(cmax), font, anchor="end"))
    d.add(_text(left - 4, bottom, "0", font, anchor="end"))
    label = Group(_text(0, 0, t(language, "distribution_count"), font, size=6.5, anchor="middle"))
    label.transform = (0, 1, -1, 0, 10, bottom + ph / 2)
    d.add(label)
    # recipient marker
    xm = left + min(max(probability, 0.0), 1.0) * pw
    d.add(Line(xm, bottom, xm, top + 2, strokeColor=colors.black, strokeWidth=1.6))
    d.add(Polygon([xm - 4, top + 9, xm + 4, top + 9, xm, top + 2], fillColor=colors.black, strokeColor=None))
    anchor = "start" if probability < 0.6 else "end"
    dx = 6 if anchor == "start" else -6
    d.add(
        _text(
            xm + dx,
            top + 4,
            f"{t(language, 'this_recipient')} {fmt_risk(probability)}",
            font,
            size=7.5,
            anchor=anchor,
        )
    )
    return d


def waterfall(
    contributions: Sequence[Contribution],
    probability: float,
    language: Language,
    font: str,
    bold: str,
    baseline_log_odds: float | None = None,
    top: int = 7,
    width: float = 500,
    row: float = 15,
) -> Drawing:
    """Waterfall of per-patient contributions from the baseline to this recipient's risk.

    The axis is on the log-odds scale (where contributions add up) but labelled in risk percentages.
    ``baseline_log_odds`` defaults to ``logit(probability) - sum(contributions)``, so the bars always end at the
    printed risk.
    """
    final = logit(probability)
    total = sum(c.contribution for c in contributions)
    base = final - total if baseline_log_odds is None else baseline_log_odds
    ordered = sorted(contributions, key=lambda c: abs(c.contribution), reverse=True)
    shown = list(ordered[:top])
    rest = ordered[top:]
    rows: list[tuple[str, float]] = [(_contribution_label(c), c.contribution) for c in shown]
    if rest:
        rows.append((t(language, "contrib_other", n=len(rest)), sum(c.contribution for c in rest)))
    # the rows' log-odds path; the baseline tolerance absorbs rounding in a stored base
    path = [base]
    for _, c in rows:
        path.append(path[-1] + c)
    xmin, xmax = min([*path, final]), max([*path, final])
    pad = max(0.25, 0.08 * (xmax - xmin))
    xmin, xmax = xmin - pad, xmax + pad
    n_rows = len(rows) + 2
    label_w, value_w = 200.0, 34.0
    left, right = label_w, width - value_w
    bottom = 26.0
    height = bottom + n_rows * row + 16
    d = Drawing(width, height)
    pw = right - left

    def xpos(v: float) -> float:
        return left + (v - xmin) / (xmax - xmin) * pw

    candidates = (
        0.01,
        0.02,
        0.05,
        0.1,
        0.15,
        0.2,
        0.25,
        0.3,
        0.4,
        0.5,
        0.6,
        0.7,
        0.75,
        0.8,
        0.85,
        0.9,
        0.95,
        0.98,
        0.99,
    )
    ticks: list[float] = []
    for p in candidates:  # keep ticks at least 26 pt apart
        if xmin <= logit(p) <= xmax and (not ticks or xpos(logit(p)) - xpos(logit(ticks[-1])) >= 26):
            ticks.append(p)
    for p in ticks:
        x = xpos(logit(p))
        d.add(Line(x, bottom, x, height - 14, strokeColor=GRID, strokeWidth=0.4))
        d.add(_text(x, bottom - 10, fmt_pct(p), font, anchor="middle"))
    d.add(Line(left, bottom, right, bottom, strokeColor=AXIS, strokeWidth=0.6))
    d.add(_text(left + pw / 2, 3, t(language, "contrib_axis"), font, anchor="middle"))

    def ypos(i: int) -> float:
        return height - 16 - (i + 1) * row

    d.add(_text(width - 2, height - 9, t(language, "contrib_logodds"), font, 6.5, "end"))
    # baseline row
    y = ypos(0)
    d.add(
        _text(
            label_w - 6,
            y + 4,
            f"{t(language, 'contrib_baseline')} ({fmt_risk(expit(base))})",
            font,
            7.5,
            "end",
        )
    )
    d.add(Rect(xpos(base) - 1.5, y + 1, 3, row - 4, fillColor=colors.HexColor("#606060"), strokeColor=None))
    for i, (label, c) in enumerate(rows, start=1):
        y = ypos(i)
        x0, x1 = xpos(path[i - 1]), xpos(path[i])
        colour = RAISE if c > 0 else LOWER
        d.add(Rect(min(x0, x1), y + 1, max(abs(x1 - x0), 0.8), row - 4, fillColor=colour, strokeColor=None))
        d.add(Line(x0, y + row - 3, x0, y + row + 1, strokeColor=AXIS, strokeWidth=0.4))
        d.add(_text(label_w - 6, y + 4, label, font, 7.5, "end"))
        d.add(_text(width - 2, y + 4, fmt_log_odds(c), font, 7, "end", fillColor=colour))
    y = ypos(len(rows) + 1)
    d.add(
        _text(label_w - 6, y + 4, f"{t(language, 'contrib_final')} ({fmt_risk(probability)})", bold, 8, "end")
    )
    d.add(Rect(xpos(final) - 2, y + 1, 4, row - 4, fillColor=colors.black, strokeColor=None))
    return d


def _contribution_label(c: Contribution) -> str:
    value = fmt_value(c.value)
    return f"{c.label} = {value}" if c.value is not None else c.label


def _frame(
    d: Drawing,
    left: float,
    bottom: float,
    size: float,
    xlabel: str,
    ylabel: str,
    font: str,
    yrange: tuple[float, float] = (0.0, 1.0),
    xrange: tuple[float, float] = (0.0, 1.0),
) -> None:
    d.add(Rect(left, bottom, size, size, fillColor=None, strokeColor=AXIS, strokeWidth=0.6))
    for k in range(6):
        f = k / 5
        x = left + f * size
        yv = bottom + f * size
        d.add(Line(x, bottom, x, bottom - 3, strokeColor=AXIS, strokeWidth=0.5))
        d.add(_text(x, bottom - 11, f"{xrange[0] + f * (xrange[1] - xrange[0]):.1f}", font, 6.5, "middle"))
        d.add(Line(left, yv, left - 3, yv, strokeColor=AXIS, strokeWidth=0.5))
        d.add(_text(left - 5, yv - 2, f"{yrange[0] + f * (yrange[1] - yrange[0]):.2f}", font, 6.5, "end"))
    d.add(_text(left + size / 2, bottom - 22, xlabel, font, 7, "middle"))
    d.add(_text(2, bottom + size + 6, ylabel, font, 7))


def _points(
    xs: Sequence[float],
    ys: Sequence[float],
    left: float,
    bottom: float,
    size: float,
    yrange: tuple[float, float] = (0.0, 1.0),
    xrange: tuple[float, float] = (0.0, 1.0),
) -> list[float]:
    out: list[float] = []
    for x, y in zip(xs, ys, strict=True):
        fy = (min(max(y, yrange[0]), yrange[1]) - yrange[0]) / (yrange[1] - yrange[0])
        fx = (x - xrange[0]) / (xrange[1] - xrange[0])
        out += [left + fx * size, bottom + fy * size]
    return out


def roc_chart(curve: RocCurve, auc_text: str, language: Language, font: str, size: float = 150) -> Drawing:
    """ROC curve with its pointwise 95% band and the diagonal."""
    left, bottom = 34.0, 30.0
    d = Drawing(left + size + 10, bottom + size + 16)
    if curve.tpr_low and curve.tpr_high:
        upper = _points(curve.fpr, curve.tpr_high, left, bottom, size)
        lower = _points(curve.fpr[::-1], curve.tpr_low[::-1], left, bottom, size)
        d.add(Polygon(upper + lower, fillColor=colors.HexColor("#d6e4f0"), strokeColor=None))
    d.add(Line(left, bottom, left + size, bottom + size, strokeColor=GRID, strokeDashArray=[2, 2]))
    d.add(PolyLine(_points(curve.fpr, curve.tpr, left, bottom, size), strokeColor=LOWER, strokeWidth=1.4))
    _frame(d, left, bottom, size, t(language, "v_roc_fpr"), t(language, "v_roc_tpr"), font)
    d.add(_text(left + size - 4, bottom + 6, auc_text, font, 7, "end"))
    return d


def calibration_chart(curve: CalibrationCurve, language: Language, font: str, size: float = 150) -> Drawing:
    """Observed versus predicted risk: grouped points, flexible curve, ideal diagonal."""
    left, bottom = 34.0, 30.0
    d = Drawing(left + size + 10, bottom + size + 16)
    d.add(Line(left, bottom, left + size, bottom + size, strokeColor=GRID, strokeDashArray=[2, 2]))
    if curve.flexible_x:
        d.add(
            PolyLine(
                _points(curve.flexible_x, curve.flexible_y, left, bottom, size),
                strokeColor=LOWER,
                strokeWidth=1.2,
            )
        )
    pts = _points(curve.predicted, curve.observed, left, bottom, size)
    for i in range(0, len(pts), 2):
        d.add(Rect(pts[i] - 2, pts[i + 1] - 2, 4, 4, fillColor=colors.black, strokeColor=None))
    _frame(d, left, bottom, size, t(language, "v_cal_pred"), t(language, "v_cal_obs"), font)
    return d


def decision_chart(
    curve: DecisionCurve, prevalence: float, language: Language, font: str, size: float = 150
) -> Drawing:
    """Net benefit of the model, treat-all and treat-none across threshold probabilities."""
    left, bottom = 34.0, 30.0
    d = Drawing(left + size + 90, bottom + size + 16)
    xr = (0.0, max(curve.thresholds) if curve.thresholds else 1.0)
    ytop = max(prevalence, max(curve.net_benefit_model, default=0.0)) * 1.1 or 0.1
    yr = (-0.05, ytop)
    _frame(
        d,
        left,
        bottom,
        size,
        t(language, "v_dca_threshold"),
        t(language, "v_dca_nb"),
        font,
        yrange=yr,
        xrange=xr,
    )
    zero = _points([xr[0], xr[1]], [0.0, 0.0], left, bottom, size, yr, xr)
    d.add(Line(*zero, strokeColor=AXIS, strokeWidth=0.8))
    d.add(
        PolyLine(
            _points(curve.thresholds, curve.net_benefit_all, left, bottom, size, yr, xr),
            strokeColor=GRID,
            strokeWidth=1.2,
        )
    )
    d.add(
        PolyLine(
            _points(curve.thresholds, curve.net_benefit_model, left, bottom, size, yr, xr),
            strokeColor=LOWER,
            strokeWidth=1.4,
        )
    )
    lx = left + size + 8
    for i, (name, colour) in enumerate(
        (
            (t(language, "v_dca_model"), LOWER),
            (t(language, "v_dca_all"), GRID),
            (t(language, "v_dca_none"), AXIS),
        )
    ):
        y = bottom + size - 10 - 12 * i
        d.add(Line(lx, y + 2, lx + 14, y + 2, strokeColor=colour, strokeWidth=1.4))
        d.add(_text(lx + 18, y, name, font, 7))
    return d

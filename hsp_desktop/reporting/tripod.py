"""TRIPOD+AI sections of the model validation report that read the bundle's development record (issue 16).

Each ``*_section`` function returns the flowables of one section from :class:`TripodRecord` (built from the
manifest by :func:`hsp_desktop.reporting.build.tripod_record`); :class:`PageMark` records the page a section lands
on, and :func:`checklist_section` maps each TRIPOD+AI item to those pages (the report is rendered twice: the first
pass finds the pages, the second prints them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reportlab.platypus import Flowable, KeepTogether

from hsp_desktop.reporting.charts import fmt_pct
from hsp_desktop.reporting.fonts import FontSet
from hsp_desktop.reporting.i18n import Language, t
from hsp_desktop.reporting.layout import CONTENT_W, Styles, p, table

REGISTRATION = "ChiCTR2600121618"

#: TRIPOD+AI items (Collins et al., BMJ 2024) and the report sections (page marks) that address them.
CHECKLIST: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("1", "Title: development/validation, population, outcome", ("model",)),
    ("3", "Background and objectives: intended use", ("model",)),
    ("5", "Data sources, study dates", ("flow",)),
    ("6", "Participants: eligibility, setting", ("flow", "outcome")),
    ("7", "Data preparation, imaging and AI inputs", ("imaging",)),
    ("8", "Outcome: definition, time frame, how assessed", ("outcome",)),
    ("9", "Predictors: definition and measurement", ("equation", "imaging")),
    ("10", "Sample size", ("sample",)),
    ("11", "Missing data and how handled", ("outcome", "table1")),
    ("12", "Analytical methods: model building, selection, internal validation", ("candidates", "equation")),
    ("12e", "Model performance measures (discrimination, calibration, utility)", ("curves", "dca")),
    ("13", "Class imbalance", ("equation",)),
    ("14", "Fairness: subgroup performance", ("subgroups",)),
    ("15", "Model output: risk bands and their actions", ("model", "dca")),
    ("18", "Open science: registration, code and data availability", ("open",)),
    ("20", "Participants: flow, numbers, missing outcomes", ("flow", "outcome")),
    ("21", "Participant characteristics (table 1)", ("table1",)),
    ("22", "Model specification: full equation", ("equation",)),
    ("23", "Model performance with CIs; sensitivity analyses", ("candidates", "curves", "outcome")),
    ("24", "Model updating / prospective validation", ("prospective",)),
)


@dataclass(frozen=True)
class TripodRecord:
    """What the TRIPOD+AI sections print, read from the bundle manifest and model (all optional)."""

    outcome_definition: str | None = None
    missing_data: Mapping[str, Any] | None = None
    equation: Sequence[str] = ()
    calibration: Mapping[str, Any] | None = None
    dca_compare: Mapping[str, Any] | None = None
    subgroups: Sequence[Mapping[str, Any]] = ()
    radiomics: Mapping[str, Any] | None = None
    deep: Mapping[str, Any] | None = None
    class_weighting: str = ""
    command: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


class PageMark(Flowable):  # type: ignore[misc]
    """An invisible flowable that records the page it is drawn on under ``key``."""

    def __init__(self, key: str, pages: dict[str, int]) -> None:
        super().__init__()
        self.key = key
        self.pages = pages

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        """Take no space."""
        return 0.0, 0.0

    def draw(self) -> None:
        """Record the current page (the first time only)."""
        self.pages.setdefault(self.key, int(self.canv.getPageNumber()))


def _h(key: str, lang: Language, st: Styles, pages: dict[str, int], mark: str) -> list[Flowable]:
    return [PageMark(mark, pages), p(t(lang, key), st.h2)]


def equation_section(rec: TripodRecord, lang: Language, st: Styles, pages: dict[str, int]) -> list[Flowable]:
    """The full model equation: transforms, coefficients (shrunk), intercept, shrinkage, any Rad-score formula."""
    if not rec.equation:
        return []
    out = _h("t_equation", lang, st, pages, "equation")
    out += [p(line, st.small) for line in rec.equation]
    if rec.class_weighting:
        out.append(p(rec.class_weighting, st.small))
    return out


def calibration_sentence(rec: TripodRecord, lang: Language) -> str | None:
    """Calibration slope and intercept with CIs, ICI and E90 of the nested-CV predictions."""
    c = rec.calibration
    if not c or c.get("slope_ci") is None or c.get("ici") is None:
        return None
    return t(
        lang,
        "t_calibration",
        slope=f"{c['slope']:.2f}",
        slo=f"{c['slope_ci'][0]:.2f}",
        shi=f"{c['slope_ci'][1]:.2f}",
        intercept=f"{c['intercept']:.2f}",
        ilo=f"{c['intercept_ci'][0]:.2f}",
        ihi=f"{c['intercept_ci'][1]:.2f}",
        ici=f"{c['ici']:.3f}",
        e90=f"{c['e90']:.3f}",
    )


def dca_section(
    rec: TripodRecord, lang: Language, st: Styles, fonts: FontSet, pages: dict[str, int]
) -> list[Flowable]:
    """Net benefit (bootstrap 95% CI) of clinical-only and multimodal at chosen thresholds, interventions avoided."""
    d = rec.dca_compare
    if not d:
        return []
    thresholds = [float(x) for x in d["thresholds"]]
    models = [k for k in ("clinical", "multimodal") if k in d]
    head = [t(lang, "t_dca_threshold"), t(lang, "v_dca_all")]
    for k in models:
        head += [t(lang, f"t_dca_{k}"), t(lang, "t_dca_avoided")]
    rows: list[list[Any]] = [[p(h, st.cell_bold) for h in head]]
    for want in (0.10, 0.15, 0.20, 0.30, 0.40):
        i = min(range(len(thresholds)), key=lambda j: abs(thresholds[j] - want))
        row: list[Any] = [fmt_pct(thresholds[i]), f"{d['treat_all'][i]:.3f}"]
        for k in models:
            m = d[k]
            row += [
                f"{m['net_benefit'][i]:.3f} ({m['low'][i]:.3f} to {m['high'][i]:.3f})",
                f"{m['interventions_avoided_per_100'][i]:.1f}",
            ]
        rows.append(row)
    n = len(head)
    widths = [0.10 * CONTENT_W, 0.10 * CONTENT_W] + [0.80 * CONTENT_W / (n - 2)] * (n - 2)
    return [
        *_h("t_dca_heading", lang, st, pages, "dca"),
        table(rows, widths, fonts, size=7.5),
        p(t(lang, "t_dca_note", n_boot=d.get("n_boot", "-")), st.small),
    ]


def subgroup_section(
    rec: TripodRecord, lang: Language, st: Styles, fonts: FontSet, pages: dict[str, int]
) -> list[Flowable]:
    """AUC (DeLong CI) and observed (Wilson CI) versus mean predicted risk per subgroup."""
    if not rec.subgroups:
        return []
    rows: list[list[Any]] = [
        [
            p(t(lang, k), st.cell_bold)
            for k in ("t_sub_group", "v_sens_n", "t_sub_auc", "t_sub_obs", "t_sub_pred")
        ]
    ]
    for g in rec.subgroups:
        auc = (
            f"{g['auc']:.3f} ({g['auc_ci'][0]:.3f}-{g['auc_ci'][1]:.3f})"
            if g.get("auc") is not None
            else t(lang, "t_sub_few")
        )
        obs = f"{fmt_pct(g['observed'])} ({fmt_pct(g['observed_ci'][0])}-{fmt_pct(g['observed_ci'][1])})"
        rows.append([g["label"], f"{g['n']} ({g['events']})", auc, obs, fmt_pct(g["mean_predicted"])])
    widths = [0.28 * CONTENT_W, 0.14 * CONTENT_W, 0.22 * CONTENT_W, 0.22 * CONTENT_W, 0.14 * CONTENT_W]
    return [
        *_h("t_sub_heading", lang, st, pages, "subgroups"),
        table(rows, widths, fonts, size=7.5),
        p(t(lang, "t_sub_note"), st.small),
    ]


def imaging_section(rec: TripodRecord, lang: Language, st: Styles, pages: dict[str, int]) -> list[Flowable]:
    """CT protocol and segmentation, radiomics settings with the IBSI statement, the CNN's training summary."""
    out = _h("t_imaging_heading", lang, st, pages, "imaging")
    out.append(p(t(lang, "t_ct_protocol"), st.small))
    r = rec.radiomics or {}
    out.append(
        p(
            t(
                lang,
                "t_radiomics",
                engine=r.get("engine", "-"),
                settings=r.get("settings") or t(lang, "t_default_settings"),
                sha=str(r.get("settings_sha256", "-"))[:12],
            ),
            st.small,
        )
    )
    d = rec.deep
    if d:
        out.append(
            p(
                t(
                    lang,
                    "t_cnn",
                    artifact=d.get("artifact", "-"),
                    oof=d.get("out_of_fold", "-"),
                    sha=str(d.get("manifest_sha256", "-"))[:12],
                    used=t(lang, "t_cnn_used" if d.get("used") else "t_cnn_unused"),
                ),
                st.small,
            )
        )
    return out


def open_science_section(
    rec: TripodRecord, lang: Language, st: Styles, pages: dict[str, int]
) -> list[Flowable]:
    """Registration number, code and data availability, and how the bundle was built."""
    out = _h("t_open_heading", lang, st, pages, "open")
    out.append(p(t(lang, "t_open", registration=REGISTRATION), st.small))
    if rec.command:
        out.append(p(t(lang, "t_command", command=rec.command), st.small))
    return out


def checklist_section(
    lang: Language, st: Styles, fonts: FontSet, pages: Mapping[str, int], marks: dict[str, int]
) -> list[Flowable]:
    """TRIPOD+AI items mapped to the pages of this report (found by the first rendering pass)."""
    rows: list[list[Any]] = [[p(t(lang, k), st.cell_bold) for k in ("t_item", "t_item_text", "t_pages")]]
    for item, text, keys in CHECKLIST:
        found = sorted({pages[k] for k in keys if k in pages})
        rows.append([item, p(text, st.cell), ", ".join(str(x) for x in found) or t(lang, "t_not_reported")])
    return [
        KeepTogether(
            [
                *_h("t_checklist_heading", lang, st, marks, "checklist"),
                table(rows, [0.08 * CONTENT_W, 0.72 * CONTENT_W, 0.20 * CONTENT_W], fonts, size=7.5),
            ]
        )
    ]

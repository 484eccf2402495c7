"""The model validation report, structured after TRIPOD+AI (BMJ 2024).

Sections: model under report; 1 participants (cohort flow with exclusion counts); 2 characteristics by outcome;
3 candidate models compared (AUC with DeLong CI, optimism-corrected AUC, paired DeLong p); 4 ROC with CI band;
5 calibration (slope, intercept, Brier, curve); 6 decision curve; 7 selected predictors with odds ratios;
8 sample size; 9 prospective cohort (results once enough outcomes have accrued); intended use.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reportlab.platypus import Flowable, KeepTogether, Spacer, Table, TableStyle

from hsp_desktop.reporting import charts
from hsp_desktop.reporting.charts import fmt_pct
from hsp_desktop.reporting.fonts import FontSet, fonts_for
from hsp_desktop.reporting.i18n import Language, check_language, input_label, t
from hsp_desktop.reporting.inputs import ValidationReportInputs
from hsp_desktop.reporting.layout import CONTENT_W, Styles, any_text, build_pdf, numbered_canvas, p, table
from hsp_desktop.reporting.monitoring_section import monitoring_flowables
from hsp_desktop.reporting.patient import (
    auc_others_sentence,
    band_ranges,
    band_rate_text,
    bundle_use,
    choice_sentence,
    estimand_text,
)
from hsp_desktop.reporting.tripod import calibration_sentence

PER_ZH = {
    "per doubling": "每倍增",
    "per unit": "每单位",
    "per unit of score (log-odds scale)": "每单位评分（对数优势刻度）",
    "per SD of the score": "每评分标准差",
}


def fmt_p(value: float | None) -> str:
    """A p value as printed (``<0.001`` below one in a thousand)."""
    if value is None:
        return "-"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def _model_block(inp: ValidationReportInputs, lang: Language, st: Styles, fonts: FontSet) -> list[Flowable]:
    m = inp.model
    na = t(lang, "not_applicable")
    auc = na
    if m.auc is not None:
        auc = f"{m.auc:.3f}" + (f" ({m.auc_ci[0]:.3f} - {m.auc_ci[1]:.3f})" if m.auc_ci else "")
    ranges = band_ranges(m.band_thresholds)
    bands = "; ".join(
        f"{t(lang, 'band_' + b)} {ranges[b]}: {m.band_event_rates[b][0]}/{m.band_event_rates[b][1]} = "
        f"{band_rate_text(m.band_event_rates[b][0], m.band_event_rates[b][1], lang)}"
        for b in ("low", "intermediate", "high")
    )
    rows = [
        [p(t(lang, "site"), st.cell_bold), any_text(inp.site_name, st.cell)],
        [p(t(lang, "model_name"), st.cell_bold), f"{m.name}  ({t(lang, 'model_version')} {m.version})"],
        [p(t(lang, "model_hash"), st.cell_bold), p(m.sha256, st.small)],
        [p(t(lang, "model_auc"), st.cell_bold), auc],
        *([[p("", st.cell), p(others, st.small)]] if (others := auc_others_sentence(m, lang)) else []),
        [p(t(lang, "band"), st.cell_bold), p(bands, st.cell)],
        [p(t(lang, "report_date"), st.cell_bold), inp.report_date],
    ]
    return [
        p(t(lang, "validation_title"), st.title),
        p(t(lang, "validation_subtitle"), st.subtitle),
        Spacer(1, 3),
        table(
            rows,
            [0.28 * CONTENT_W, 0.72 * CONTENT_W],
            fonts,
            header=False,
            extra=[("FONTNAME", (0, 0), (0, -1), fonts.bold)],
        ),
        p(t(lang, "intended_use_heading"), st.h2),
        p(inp.intended_use, st.small),
        *bundle_use(m, lang, st),
    ]


def _flow(inp: ValidationReportInputs, lang: Language, st: Styles, fonts: FontSet) -> list[Flowable]:
    if not inp.flow:
        return [p(t(lang, "v_flow"), st.h2), p(t(lang, "v_none"), st.body)]
    rows: list[list[Any]] = [[t(lang, "v_flow_step"), t(lang, "v_flow_n"), t(lang, "v_flow_excluded")]]
    for step in inp.flow:
        excluded = "; ".join(f"{reason}: {count}" for reason, count in step.exclusions) or "-"
        label = step.label_zh if lang == "zh" and step.label_zh else step.label
        rows.append([p(label, st.cell), str(step.n), p(excluded, st.cell)])
    return [
        p(t(lang, "v_flow"), st.h2),
        table(rows, [0.38 * CONTENT_W, 0.12 * CONTENT_W, 0.50 * CONTENT_W], fonts),
    ]


def _outcome_handling(
    inp: ValidationReportInputs, lang: Language, st: Styles, fonts: FontSet
) -> list[Flowable]:
    """Estimand, recipients left out by reason, and the sensitivity analyses of that handling."""
    out: list[Flowable] = [p(t(lang, "v_outcome_heading"), st.h2)]
    rec = inp.tripod
    if rec is not None and rec.outcome_definition:
        out.append(p(t(lang, "t_outcome_def", definition=rec.outcome_definition), st.body))
    if rec is not None and rec.missing_data:
        md = rec.missing_data
        counts = ", ".join(f"{k} {v}" for k, v in (md.get("missing_per_predictor") or {}).items()) or "none"
        out.append(p(t(lang, "t_missing", counts=counts, method=md.get("method", "-")), st.small))
    estimand = estimand_text(inp.model, lang)
    if estimand:
        out.append(p(estimand, st.body))
    c = inp.outcome_counts
    if c:
        out.append(
            p(
                t(
                    lang,
                    "v_outcome_counts",
                    eligible=c.get("eligible", "-"),
                    derived=int(c.get("derived_0", 0)) + int(c.get("derived_1", 0)),
                    events=c.get("derived_1", "-"),
                    competing=c.get("competing", 0),
                    pending=c.get("pending", 0),
                    splenic=c.get("splenic_artery_intervention", 0),
                ),
                st.body,
            )
        )
    sens = inp.sensitivity
    if not sens or not sens.get("rows"):
        return out if len(out) > 1 else [*out, p(t(lang, "v_none"), st.body)]
    rows: list[list[Any]] = [
        [t(lang, k) for k in ("v_sens_scenario", "v_sens_n", "v_sens_auc", "v_sens_ors")]
    ]
    for r in sens["rows"]:
        ors = "; ".join(
            f"{(input_label(k, lang) or (k, ''))[0]} {v[0]:.2f} ({v[1]:.2f}-{v[2]:.2f})"
            for k, v in r["odds_ratios"].items()
        )
        events = r.get("events")
        n_text = (
            f"{r['n']} ({events})" if events is not None else f"{r['n']} (+{r.get('imputed', 0)} imputed)"
        )
        rows.append(
            [p(str(r["label"]), st.cell), n_text, f"{float(r['auc_nested_cv']):.3f}", p(ors, st.cell)]
        )
    out += [
        p(t(lang, "v_sens_heading"), st.h2),
        table(
            rows, [0.32 * CONTENT_W, 0.14 * CONTENT_W, 0.12 * CONTENT_W, 0.42 * CONTENT_W], fonts, size=7.5
        ),
        p(
            t(
                lang,
                "v_sens_procedure",
                procedure=str(sens.get("procedure", "")),
                note=str(sens.get("note", "")),
            ),
            st.small,
        ),
    ]
    return out


def _table1(inp: ValidationReportInputs, lang: Language, st: Styles, fonts: FontSet) -> list[Flowable]:
    rows: list[list[Any]] = [
        [
            t(lang, "v_table1_var"),
            t(lang, "v_outcome0", n=inp.n_without),
            t(lang, "v_outcome1", n=inp.n_with),
            t(lang, "v_p"),
        ]
    ]
    if not inp.table1:
        return [p(t(lang, "v_table1"), st.h2), p(t(lang, "v_table1_none"), st.body)]
    for r in inp.table1:
        label = r.label_zh if lang == "zh" and r.label_zh else r.label
        rows.append([p(label, st.cell), r.without_outcome, r.with_outcome, fmt_p(r.p_value)])
    return [
        p(t(lang, "v_table1"), st.h2),
        table(
            rows, [0.40 * CONTENT_W, 0.24 * CONTENT_W, 0.24 * CONTENT_W, 0.12 * CONTENT_W], fonts, size=7.5
        ),
    ]


def _candidates(inp: ValidationReportInputs, lang: Language, st: Styles, fonts: FontSet) -> list[Flowable]:
    if not inp.candidates:
        return [p(t(lang, "v_candidates"), st.h2), p(t(lang, "v_none"), st.body)]
    rows: list[list[Any]] = [
        [
            t(lang, "v_cand_model"),
            t(lang, "v_cand_params"),
            p(t(lang, "v_cand_auc"), st.cell_bold),
            p(t(lang, "v_cand_corrected"), st.cell_bold),
            p(t(lang, "v_cand_delong"), st.cell_bold),
        ]
    ]
    selected_rows = []
    for i, c in enumerate(inp.candidates, start=1):
        name = c.name + (f" ({t(lang, 'v_selected')})" if c.selected else "")
        if c.selected:
            selected_rows.append(i)
        if c.ci_low is not None and c.ci_high is not None:
            auc = f"{c.auc:.3f} ({c.ci_low:.3f} - {c.ci_high:.3f})"
        elif c.auc_sd:
            auc = f"{c.auc:.3f} (SD {c.auc_sd:.3f})"
        else:
            auc = f"{c.auc:.3f}"
        rows.append(
            [
                p(name, st.cell),
                str(c.n_params) if c.n_params is not None else "-",
                auc,
                f"{c.auc_corrected:.3f}" if c.auc_corrected is not None else "-",
                fmt_p(c.delong_p),
            ]
        )
    extra = [("FONTNAME", (0, r), (-1, r), fonts.bold) for r in selected_rows]
    widths = [0.30 * CONTENT_W, 0.10 * CONTENT_W, 0.22 * CONTENT_W, 0.18 * CONTENT_W, 0.20 * CONTENT_W]
    out: list[Flowable] = [p(t(lang, "v_candidates"), st.h2), table(rows, widths, fonts, extra=extra)]
    choice = choice_sentence(inp.model.choice, lang)
    if choice is not None:
        out.append(p(f"{t(lang, 'choice_heading')}: {choice}", st.body))
    return out


def _curves(inp: ValidationReportInputs, lang: Language, st: Styles, fonts: FontSet) -> list[Flowable]:
    out: list[Flowable] = []
    cells: list[Any] = []
    heads: list[Any] = []
    if inp.roc is not None:
        m = inp.model
        auc_text = t(lang, "auc_nested_short", auc=f"{m.auc:.3f}") if m.auc is not None else ""
        heads.append(p(t(lang, "v_roc"), st.h2))
        cells.append(charts.roc_chart(inp.roc, auc_text, lang, fonts.regular))
    if inp.calibration is not None:
        c = inp.calibration
        heads.append(p(t(lang, "v_calibration"), st.h2))
        cells.append(
            [
                charts.calibration_chart(c, lang, fonts.regular),
                p(
                    t(
                        lang,
                        "v_cal_sentence",
                        slope=f"{c.slope:.2f}",
                        intercept=f"{c.intercept:.2f}",
                        brier=f"{c.brier:.3f}",
                    ),
                    st.small,
                ),
                *(
                    [p(sentence, st.small)]
                    if inp.tripod is not None
                    and (sentence := calibration_sentence(inp.tripod, lang)) is not None
                    else []
                ),
            ]
        )
    if inp.roc is None and inp.roc_png is not None:
        import io

        from reportlab.platypus import Image

        img = Image(io.BytesIO(inp.roc_png))
        scale = (CONTENT_W / 2 - 8) / img.drawWidth
        img.drawWidth, img.drawHeight = img.drawWidth * scale, img.drawHeight * scale
        heads.insert(0, p(t(lang, "v_roc"), st.h2))
        cells.insert(0, img)
    if cells:
        tbl = Table([heads, cells], colWidths=[CONTENT_W / 2] * len(cells))
        tbl.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
        out.append(KeepTogether([tbl]))
    return out


def _decision(inp: ValidationReportInputs, lang: Language, st: Styles, fonts: FontSet) -> list[Flowable]:
    if inp.decision is None:
        return [p(t(lang, "v_dca"), st.h2), p(t(lang, "v_none"), st.body)]
    prevalence = inp.n_with / max(inp.n_with + inp.n_without, 1)
    out: list[Flowable] = [
        KeepTogether(
            [p(t(lang, "v_dca"), st.h2), charts.decision_chart(inp.decision, prevalence, lang, fonts.regular)]
        )
    ]
    check = (inp.risk_bands or {}).get("decision_curve_check")
    if check:
        parts = [
            f"{fmt_pct(float(k))}: {v['model']:.3f} vs treat-all {v['treat_all']:.3f}"
            for k, v in check.items()
            if isinstance(v, Mapping)
        ]
        out.append(p(t(lang, "band_dca", checks="; ".join(parts)), st.small))
    return out


def _odds(inp: ValidationReportInputs, lang: Language, st: Styles, fonts: FontSet) -> list[Flowable]:
    rows: list[list[Any]] = [[t(lang, "v_feat"), t(lang, "v_per"), t(lang, "v_or")]]
    for o in inp.odds_ratios:
        known = input_label(o.feature, lang) if o.feature else None
        label = f"{known[0]} ({known[1]})" if known and known[1] else (known[0] if known else o.label)
        per = PER_ZH.get(o.per, o.per) if lang == "zh" else o.per
        rows.append(
            [p(label, st.cell), p(per, st.cell), f"{o.odds_ratio:.2f} ({o.ci_low:.2f} - {o.ci_high:.2f})"]
        )
    if len(rows) == 1:
        return [p(t(lang, "v_features"), st.h2), p(t(lang, "v_none"), st.body)]
    out: list[Flowable] = [
        p(t(lang, "v_features"), st.h2),
        table(rows, [0.45 * CONTENT_W, 0.20 * CONTENT_W, 0.35 * CONTENT_W], fonts),
    ]
    m = inp.model
    if m.shrinkage is not None:
        inflation = m.interval_inflation if m.interval_inflation is not None else 1.0
        out.append(p(t(lang, "v_or_note", s=f"{m.shrinkage:.3f}", inflation=f"{inflation:.2f}"), st.small))
    return out


def _sample_size(inp: ValidationReportInputs, lang: Language, st: Styles) -> list[Flowable]:
    n = inp.n_with + inp.n_without
    events = inp.n_with
    params = max(inp.n_candidate_params, 1)
    text = t(
        lang,
        "v_sample_sentence",
        n=n,
        events=events,
        prevalence=100.0 * events / max(n, 1),
        params=inp.n_candidate_params,
        epp=events / params,
    )
    out = [p(t(lang, "v_sample_size"), st.h2), p(text, st.body)]
    ss = inp.sample_size
    if ss and ss.get("required_overall") is not None:
        out.append(
            p(
                t(
                    lang,
                    "v_sample_riley",
                    required=int(ss["required_overall"]),
                    max_params=int(ss.get("max_parameters", 0)),
                    verdict=t(lang, "v_sample_ok" if ss.get("ok") else "v_sample_not_ok"),
                ),
                st.body,
            )
        )
        if ss.get("override"):
            out.append(p(t(lang, "v_sample_override", reason=str(ss["override"])), st.caution))
        if ss.get("score_parameters"):
            out.append(p(t(lang, "v_sample_scores", note=str(ss["score_parameters"])), st.small))
    return out


def _prospective(inp: ValidationReportInputs, lang: Language, st: Styles) -> list[Flowable]:
    out: list[Flowable] = [p(t(lang, "v_prospective"), st.h2)]
    pr = inp.prospective
    if pr is None:
        out.append(p(t(lang, "v_none"), st.body))
        return out
    out.append(
        p(
            t(
                lang,
                "v_prosp_pending",
                n=pr.n,
                scored=pr.scored if pr.scored is not None else pr.n,
                complete=pr.complete,
                pending=pr.pending,
                competing=pr.competing,
                minimum=pr.minimum,
            ),
            st.body,
        )
    )
    if pr.complete >= pr.minimum and pr.auc is not None and pr.auc_ci is not None:
        out.append(
            p(
                t(
                    lang,
                    "v_prosp_results",
                    complete=pr.complete,
                    events=pr.events,
                    auc=f"{pr.auc:.3f}",
                    lo=f"{pr.auc_ci[0]:.3f}",
                    hi=f"{pr.auc_ci[1]:.3f}",
                    observed=100.0 * (pr.observed_rate or 0.0),
                    expected=100.0 * (pr.mean_predicted or 0.0),
                ),
                st.body,
            )
        )
        out.append(p(t(lang, "v_prosp_note"), st.small))
    return out


def render_validation_report(
    inputs: ValidationReportInputs, path: Path | str, *, language: str = "en", monitoring: Any = None
) -> Path:
    """Write the TRIPOD+AI-structured model validation report PDF and return its path.

    Parameters
    ----------
    inputs : ValidationReportInputs
        Development and validation results (see :func:`hsp_desktop.reporting.build.validation_inputs`).
    path : path-like
        Output PDF, written atomically.
    language : {"en", "zh"}
        Report language.

    Returns
    -------
    Path
        The written PDF.
    """
    lang = check_language(language)
    fonts = fonts_for(lang)
    st = Styles(fonts, lang)
    # two passes: the first finds the page of every section, the second prints them in the TRIPOD+AI checklist
    import tempfile

    found: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        _build(inputs, Path(tmp) / "pass1.pdf", lang, st, fonts, monitoring, found, {})
    return _build(inputs, Path(path), lang, st, fonts, monitoring, {}, found)


def _story(
    inputs: ValidationReportInputs,
    lang: Language,
    st: Styles,
    fonts: FontSet,
    monitoring: Any,
    marks: dict[str, int],
    pages: Mapping[str, int],
) -> list[Flowable]:
    """The report's sections in order, each preceded by a page mark for the checklist."""
    from hsp_desktop.reporting.tripod import (
        PageMark,
        checklist_section,
        dca_section,
        equation_section,
        imaging_section,
        open_science_section,
        subgroup_section,
    )

    rec = inputs.tripod

    def mark(key: str) -> list[Flowable]:
        return [PageMark(key, marks)]

    story: list[Flowable] = mark("model") + _model_block(inputs, lang, st, fonts)
    story += mark("flow") + _flow(inputs, lang, st, fonts)
    story += mark("outcome") + _outcome_handling(inputs, lang, st, fonts)
    story += mark("table1") + _table1(inputs, lang, st, fonts)
    story += mark("candidates") + _candidates(inputs, lang, st, fonts)
    story += mark("curves") + _curves(inputs, lang, st, fonts)
    story += _decision(inputs, lang, st, fonts)
    if rec is not None:
        story += dca_section(rec, lang, st, fonts, marks)
    story += _odds(inputs, lang, st, fonts)
    if rec is not None:
        story += equation_section(rec, lang, st, marks)
    story += mark("sample") + _sample_size(inputs, lang, st)
    if rec is not None:
        story += subgroup_section(rec, lang, st, fonts, marks)
        story += imaging_section(rec, lang, st, marks)
        story += open_science_section(rec, lang, st, marks)
    story += mark("prospective") + _prospective(inputs, lang, st)
    story += monitoring_flowables(monitoring, inputs.model.sha256, lang, st, fonts)  # `hsp monitor` report
    story += checklist_section(lang, st, fonts, pages, marks)
    return story


def _build(
    inputs: ValidationReportInputs,
    path: Path,
    lang: Language,
    st: Styles,
    fonts: FontSet,
    monitoring: Any,
    marks: dict[str, int],
    pages: Mapping[str, int],
) -> Path:
    story = _story(inputs, lang, st, fonts, monitoring, marks, pages)
    m = inputs.model
    footer_left = (
        f"{t(lang, 'footer', version=inputs.app_version, build=inputs.app_build)} | "
        f"{m.name} {m.version} ({m.sha256[:12]}) | {inputs.report_date}"
    )
    canvasmaker = numbered_canvas(
        footer_left, lambda page, pages: t(lang, "page", page=page, pages=pages), fonts.regular
    )
    return build_pdf(
        path,
        story,
        title=f"{t(lang, 'validation_title')} - {m.name} {m.version}",
        author="HSP Desktop",
        subject=m.name,
        canvasmaker=canvasmaker,
    )

"""The patient risk report: one recipient's prediction for the surgical chart (A4, two pages).

Page 1 answers "what is the risk and why": identity, the probability with its 95% CI and band (with the band
thresholds and the development cohort's observed rate per band), the recipient's place in the development
cohort, and the contributing factors.  Page 2 shows what the estimate rests on: key inputs with units, the CT QC
result, the CT key slices with the spleen outline, the model's identity and performance, intended use and
limitations, and signature lines.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Image, KeepTogether, Spacer, Table, TableStyle

from hsp_desktop.clinical.derived import score_disagreements
from hsp_desktop.domain import Contribution, QcReport
from hsp_desktop.reporting import charts
from hsp_desktop.reporting.charts import fmt_pct, fmt_risk, fmt_value
from hsp_desktop.reporting.fonts import FontSet, fonts_for
from hsp_desktop.reporting.i18n import (
    CATEGORIES,
    KEY_INPUTS,
    Language,
    check_language,
    input_label,
    t,
    unit_text,
)
from hsp_desktop.reporting.inputs import BANDS, ModelSummary, PatientReportInputs
from hsp_desktop.reporting.layout import CONTENT_W, Styles, any_text, build_pdf, numbered_canvas, p, table


def band_ranges(thresholds: tuple[float, float]) -> dict[str, str]:
    """Printed probability range of each band, e.g. ``{"low": "< 15%", ...}``."""
    lo, hi = thresholds
    return {
        "low": f"< {fmt_pct(lo)}",
        "intermediate": f"{fmt_pct(lo)} - < {fmt_pct(hi)}",
        "high": f">= {fmt_pct(hi)}",
    }


def choice_sentence(choice: Mapping[str, Any] | None, lang: Language) -> str | None:
    """The pre-specified model-choice rule and what it chose (None when the manifest does not record it)."""
    if not choice or choice.get("difference") is None:
        return None
    selected = str(choice.get("selected", ""))
    return t(
        lang,
        "choice_sentence",
        diff=f"{float(choice['difference']):+.3f}",
        lo=f"{float(choice['ci_low']):+.3f}",
        hi=f"{float(choice['ci_high']):+.3f}",
        p=f"{float(choice['p_value']):.2f}",
        selected=t(lang, "choice_selected_" + selected)
        if selected in ("multimodal", "clinical")
        else selected,
    )


def auc_others_sentence(m: ModelSummary, lang: Language) -> str | None:
    """One line with the bootstrap AUC estimates beside the nested-CV headline, and why they differ."""
    if m.auc_corrected is None and m.auc_632plus is None and m.auc_oob is None:
        return None

    def f(v: float | None) -> str:
        return f"{v:.3f}" if v is not None else t(lang, "not_applicable")

    return t(lang, "auc_others", harrell=f(m.auc_corrected), p632=f(m.auc_632plus), oob=f(m.auc_oob))


def ci_band_span(low: float, high: float, thresholds: tuple[float, float]) -> tuple[str, str] | None:
    """The bands at the two ends of a CI when it crosses a threshold (None when it lies in one band)."""
    a, b = band_of(low, thresholds), band_of(high, thresholds)
    return None if a == b else (a, b)


def band_rate_text(events: int, n: int, lang: Language) -> str:
    """Observed rate of a band with its Wilson 95% CI."""
    if not n:
        return t(lang, "not_applicable")
    from scipy import stats

    ci = stats.binomtest(int(events), int(n)).proportion_ci(method="wilson")
    return t(lang, "band_rate_ci", rate=fmt_pct(events / n), lo=fmt_pct(ci.low), hi=fmt_pct(ci.high))


def band_of(probability: float, thresholds: tuple[float, float]) -> str:
    """The band a probability falls in (lower bound inclusive)."""
    lo, hi = thresholds
    return "low" if probability < lo else ("intermediate" if probability < hi else "high")


def format_input(name: str, value: Any, decimals: int, language: Language) -> str:
    """An input value as printed (categories translated, 0/1 as no/yes, fixed decimals)."""
    if value is None or (isinstance(value, float) and value != value):
        return t(language, "missing")
    if decimals < 0:
        if name in {"splenorenal_shunt", "ascites", "varices"} or isinstance(value, bool | int):
            return t(language, "yes") if int(value) else t(language, "no")
        return CATEGORIES[language].get(str(value), str(value))
    return f"{float(value):.{decimals}f}"


#: Chinese labels of the model's learned scores (the model's own labels are English).
SCORE_LABELS_ZH = {"rad_score": "影像组学评分（脾脏）", "dl_score": "深度学习评分（CNN）"}


def feature_name(name: str, language: Language) -> str:
    """A model input's printed name (dictionary label for key inputs, else the column name)."""
    known = input_label(name, language)
    return known[0] if known else name


def localise_contribution(c: Contribution, language: Language) -> Contribution:
    """A contribution with the report's label and unit for key inputs (the model's own label otherwise)."""
    known = input_label(c.feature, language)
    if known is None:
        if language == "zh" and c.feature in SCORE_LABELS_ZH:
            return replace(c, label=SCORE_LABELS_ZH[c.feature])
        return c
    label, unit = known
    if "(imputed)" in c.label:
        label += " (" + t(language, "imputed") + ")"
    value: float | str | None = c.value
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = f"{fmt_value(float(value))} {unit}".strip()
    return replace(c, label=label, value=value)


def imaging_source_lines(extra: Mapping[str, Any], lang: str) -> list[str]:
    """The CT series and mask scored, and an identity override, as stored with the prediction (issue 14)."""
    src, ident = extra.get("imaging_source") or {}, extra.get("identity") or {}
    zh = lang == "zh"
    lines = []
    if src.get("series_uid"):
        lines.append(
            ("CT 序列" if zh else "CT series")
            + f" #{src.get('series_number')} {src.get('series_description') or ''} ({src.get('study_date') or '-'}),"
            f" UID {src['series_uid']}"
        )
    if src.get("spleen_segment"):
        lines.append(
            ("分割" if zh else "Mask")
            + f" {src.get('mask_file')}, {'脾段' if zh else 'spleen segment'} '{src['spleen_segment']}',"
            f" SHA-256 {str(src.get('mask_sha256') or '')[:16]}"
        )
    if ident.get("status") == "overridden":
        lines.append(
            ("身份核对被覆盖" if zh else "Identity check OVERRIDDEN")
            + f" ({ident.get('override_by')}): {ident.get('override_reason')}"
        )
    return lines


def _qc_rows(qc: QcReport | Mapping[str, Any] | None) -> tuple[str | None, list[dict[str, str]]]:
    if qc is None:
        return None, []
    if isinstance(qc, QcReport):
        checks = [c.__dict__ for c in qc.checks]
    else:
        checks = [dict(c) for c in qc.get("checks", [])]
    statuses = [str(c.get("status", "")) for c in checks]
    status = "fail" if "fail" in statuses else ("warn" if "warn" in statuses else "ok")
    return status, checks


def _header(inp: PatientReportInputs, lang: Language, st: Styles, fonts: FontSet) -> list[Flowable]:
    hidden = t(lang, "identity_hidden")
    name = inp.name if inp.show_identity and inp.name else hidden
    mrn = inp.mrn if inp.show_identity and inp.mrn else hidden
    na = t(lang, "not_applicable")
    c = st.cell
    rows = [
        [t(lang, "site"), any_text(inp.site_name, c), t(lang, "report_date"), inp.report_date],
        [t(lang, "study_id"), inp.study_id, t(lang, "clinician"), any_text(inp.clinician, c)],
        [t(lang, "name"), any_text(name, c), t(lang, "ct_date"), inp.ct_date or na],
        [t(lang, "mrn"), any_text(mrn, c), t(lang, "transplant_date"), inp.transplant_date or na],
    ]
    w = CONTENT_W
    tbl = table(
        rows,
        [0.16 * w, 0.34 * w, 0.17 * w, 0.33 * w],
        fonts,
        header=False,
        size=8.5,
        extra=[("FONTNAME", (0, 0), (0, -1), fonts.bold), ("FONTNAME", (2, 0), (2, -1), fonts.bold)],
    )
    return [
        p(t(lang, "patient_title"), st.title),
        p(t(lang, "patient_subtitle"), st.subtitle),
        Spacer(1, 3 * mm),
        tbl,
    ]


def _risk_block(inp: PatientReportInputs, lang: Language, st: Styles, fonts: FontSet) -> list[Flowable]:
    r = inp.risk
    band = r.band if r.band in BANDS else band_of(r.probability, inp.model.band_thresholds)
    colour = charts.BAND_STROKE[band]
    big = p(fmt_risk(r.probability), st.big)
    ci = p(f"{t(lang, 'ci95')} {fmt_risk(r.ci_low)} - {fmt_risk(r.ci_high)}", st.body)
    band_par = p(f"{t(lang, 'band')}: {t(lang, 'band_' + band)}", st.h2)
    cells: list[list[Any]] = [[big], [ci], [band_par]]
    spans = ci_band_span(r.ci_low, r.ci_high, inp.model.band_thresholds)
    if spans is not None:
        a, b = (t(lang, "band_" + x) for x in spans)
        cells.append([p(t(lang, "ci_spans", a=a, b=b), st.caution)])
    left = Table(cells, colWidths=[0.30 * CONTENT_W])
    left.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 1.4, colour),
                ("BACKGROUND", (0, 0), (-1, -1), charts.BAND_FILL[band]),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    ranges = band_ranges(inp.model.band_thresholds)
    head = [
        p(t(lang, k), st.cell_bold)
        for k in (
            "band_table_band",
            "band_table_range",
            "band_table_observed",
            "band_table_events",
            "band_table_action",
        )
    ]
    rows: list[list[Any]] = [head]
    for b in BANDS:
        events, n = inp.model.band_event_rates[b]
        rows.append(
            [
                t(lang, "band_" + b),
                ranges[b],
                p(band_rate_text(events, n, lang), st.cell),
                f"{events} / {n}",
                p(t(lang, "band_action_" + b), st.cell),
            ]
        )
    w = 0.66 * CONTENT_W
    row_index = 1 + BANDS.index(band)
    band_tbl = table(
        rows,
        [0.20 * w, 0.16 * w, 0.22 * w, 0.13 * w, 0.29 * w],
        fonts,
        size=7.5,
        extra=[
            ("BACKGROUND", (0, row_index), (-1, row_index), charts.BAND_FILL[band]),
            ("FONTNAME", (0, row_index), (-1, row_index), fonts.bold),
            ("BOX", (0, row_index), (-1, row_index), 0.8, colour),
        ],
    )
    right: list[Flowable] = [
        p(t(lang, "risk_sentence"), st.body),
        p(t(lang, "about_n_of_100", k=round(100 * r.probability)), st.body),
        Spacer(1, 2 * mm),
        band_tbl,
    ]
    for key, message in (
        ("measured_from_mask", "note_measured"),
        ("imputed", "caution_imputed"),
        ("outside_training_range", "caution_outside"),
    ):
        names = [feature_name(n, lang) for n in r.extra.get(key, [])]
        if names:
            right += [Spacer(1, 1.5 * mm), p(t(lang, message, names=", ".join(names)), st.caution)]
    for d in score_disagreements(inp.clinical):
        name = "MELD" if d["field"] == "meld" else ("Child-Pugh" if lang == "en" else "Child-Pugh评分")
        text = t(
            lang,
            "caution_scores",
            name=name,
            entered=f"{d['entered']:g}",
            computed=d["computed"],
            tol=d["tolerance"],
        )
        right += [Spacer(1, 1.5 * mm), p(text, st.caution)]
    outer = Table([[left, right]], colWidths=[0.32 * CONTENT_W, 0.68 * CONTENT_W])
    outer.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return [p(t(lang, "risk_heading"), st.h2), outer]


def _distribution(inp: PatientReportInputs, lang: Language, st: Styles, fonts: FontSet) -> list[Flowable]:
    dist = inp.model.distribution
    if dist is None:
        return []
    pct = dist.percentile(inp.risk.probability)
    drawing = charts.risk_histogram(
        dist, inp.risk.probability, inp.model.band_thresholds, lang, fonts.regular, width=300
    )
    text = p(t(lang, "distribution_sentence", pct=pct, n=dist.n), st.body)
    tbl = Table([[drawing, text]], colWidths=[310, CONTENT_W - 310])
    tbl.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return [KeepTogether([p(t(lang, "distribution_heading"), st.h2), tbl])]


def contrib_text(inp: PatientReportInputs, lang: Language) -> str:
    """What the waterfall's baseline is, and the cohort's event rate it is not."""
    text = t(lang, "contrib_sentence")
    n, events = inp.model.n_development, inp.model.events_development
    if n and events is not None:
        text += " " + t(lang, "contrib_rate", rate=fmt_pct(events / n), events=events, n=n)
    return text


def _contributions(inp: PatientReportInputs, lang: Language, st: Styles, fonts: FontSet) -> list[Flowable]:
    r = inp.risk
    if not r.contributions:
        return []
    base = r.extra.get("baseline_log_odds")
    drawing = charts.waterfall(
        [localise_contribution(c, lang) for c in r.contributions],
        r.probability,
        lang,
        fonts.regular,
        fonts.bold,
        baseline_log_odds=float(base) if base is not None else None,
        width=CONTENT_W,
    )
    return [
        KeepTogether([p(t(lang, "contrib_heading"), st.h2), p(contrib_text(inp, lang), st.small), drawing])
    ]


def _inputs_and_qc(inp: PatientReportInputs, lang: Language, st: Styles, fonts: FontSet) -> list[Flowable]:
    items = []
    for name, label_en, label_zh, unit, decimals in KEY_INPUTS:
        if name == "grwr" and inp.clinical.get("graft_type") in (None, "deceased_whole"):
            continue
        label = label_zh if lang == "zh" else label_en
        value = format_input(name, inp.clinical.get(name), decimals, lang)
        items.append([label, value, unit_text(unit, lang) if inp.clinical.get(name) is not None else ""])
    half = (len(items) + 1) // 2
    left, right = items[:half], items[half:]
    rows: list[list[str]] = [[t(lang, "variable"), t(lang, "value"), t(lang, "unit")] * 2]
    for i in range(half):
        rr = right[i] if i < len(right) else ["", "", ""]
        rows.append([*left[i], *rr])
    w = CONTENT_W / 2
    widths = [0.50 * w, 0.27 * w, 0.23 * w] * 2
    out: list[Flowable] = [p(t(lang, "inputs_heading"), st.h2)]
    out.append(table(rows, widths, fonts, size=7.5, extra=[("LINEAFTER", (2, 0), (2, -1), 0.6, colors.grey)]))

    out += [p(line, st.body) for line in imaging_source_lines(inp.risk.extra, lang)]
    status, checks = _qc_rows(inp.qc)
    qc_part: list[Flowable] = [p(t(lang, "qc_heading"), st.h2)]
    out.append(KeepTogether(qc_part))
    if status is None:
        qc_part.append(p(t(lang, "qc_none"), st.body))
        return out
    n_warn = sum(1 for c in checks if c.get("status") == "warn")
    verdict = {
        "ok": t(lang, "qc_passed"),
        "warn": t(lang, "qc_passed_warn", n=n_warn),
        "fail": t(lang, "qc_failed"),
    }[status]
    colour = {"ok": "#2f7d32", "warn": "#b7791f", "fail": "#b03a2e"}[status]
    shown = [c for c in checks if c.get("status") != "ok"]
    summary = f"{verdict}. " + (t(lang, "qc_all_ok", n=len(checks)) if not shown else "")
    qc_part.append(
        table(
            [[summary]],
            [CONTENT_W],
            fonts,
            header=False,
            size=8.5,
            extra=[
                ("TEXTCOLOR", (0, 0), (-1, -1), colors.HexColor(colour)),
                ("FONTNAME", (0, 0), (-1, -1), fonts.bold),
            ],
        )
    )
    if shown:
        rows2: list[list[Any]] = [
            [t(lang, "qc_check"), t(lang, "qc_status"), t(lang, "qc_measured"), t(lang, "qc_limit")]
        ]
        for c in shown:
            rows2.append(
                [
                    p(str(c.get("name", "")), st.cell),
                    str(c.get("status", "")).upper(),
                    str(c.get("value", "")),
                    str(c.get("limit", "")),
                ]
            )
        qc_part.append(
            table(
                rows2,
                [0.40 * CONTENT_W, 0.12 * CONTENT_W, 0.24 * CONTENT_W, 0.24 * CONTENT_W],
                fonts,
                size=7.5,
            )
        )
    return out


def _images(inp: PatientReportInputs, lang: Language, st: Styles, fonts: FontSet) -> list[Flowable]:
    from hsp_desktop.reporting.slices import slice_png

    out: list[Flowable] = [p(t(lang, "images_heading"), st.h2)]
    if inp.slices is None:
        out.append(p(t(lang, "images_none"), st.body))
        return out
    cells: list[Any] = []
    captions: list[Any] = []
    box_w, box_h = CONTENT_W / 2 - 6, 62 * mm
    for key, sl in (("axial", inp.slices.axial), ("coronal", inp.slices.coronal)):
        png, w_mm, h_mm = slice_png(sl)
        scale = min(box_w / w_mm, box_h / h_mm)
        cells.append(Image(io.BytesIO(png), width=w_mm * scale, height=h_mm * scale))
        captions.append(p(f"{t(lang, key)} - {sl.position}", st.small))
    tbl = Table([cells, captions], colWidths=[CONTENT_W / 2] * 2)
    tbl.setStyle(TableStyle([("ALIGN", (0, 0), (-1, -1), "CENTER"), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    out.append(tbl)
    return [KeepTogether(out)]


def _model(inp: PatientReportInputs, lang: Language, st: Styles, fonts: FontSet) -> list[Flowable]:
    m = inp.model
    na = t(lang, "not_applicable")
    auc = na
    if m.auc is not None:
        auc = f"{m.auc:.3f}"
        if m.auc_ci is not None:
            auc += f" ({m.auc_ci[0]:.3f} - {m.auc_ci[1]:.3f})"
    cal = na
    if m.calibration_slope is not None and m.calibration_intercept is not None:
        cal = f"{m.calibration_slope:.2f} / {m.calibration_intercept:.2f}"
    cohort = na
    if m.n_development is not None and m.events_development is not None:
        cohort = t(lang, "model_cohort_value", n=m.n_development, events=m.events_development)
    rows = [
        [p(t(lang, "model_name"), st.cell_bold), f"{m.name}  ({t(lang, 'model_version')} {m.version})"],
        [p(t(lang, "model_hash"), st.cell_bold), p(m.sha256, st.small)],
        [p(t(lang, "model_auc"), st.cell_bold), auc],
        *([[p("", st.cell), p(others, st.small)]] if (others := auc_others_sentence(m, lang)) else []),
        [p(t(lang, "model_calibration"), st.cell_bold), cal],
        [p(t(lang, "model_brier"), st.cell_bold), f"{m.brier:.3f}" if m.brier is not None else na],
        [p(t(lang, "model_cohort"), st.cell_bold), cohort],
        [p(t(lang, "input_hash"), st.cell_bold), p(inp.risk.input_sha256, st.small)],
    ]
    if inp.risk.extra.get("mask_provenance"):
        # a mask made in the app: how it was made and who reviewed it
        rows.append(
            [p(t(lang, "mask_provenance"), st.cell_bold), p(str(inp.risk.extra["mask_provenance"]), st.small)]
        )
    choice = choice_sentence(m.choice, lang)
    if choice is not None:
        rows.append([p(t(lang, "choice_heading"), st.cell_bold), p(choice, st.small)])
    if inp.prediction_id is not None:
        rows.append([p(t(lang, "prediction_id"), st.cell_bold), f"#{inp.prediction_id}"])
    return [
        p(t(lang, "model_heading"), st.h2),
        table(
            rows,
            [0.28 * CONTENT_W, 0.72 * CONTENT_W],
            fonts,
            header=False,
            size=8,
            extra=[("FONTNAME", (0, 0), (0, -1), fonts.bold)],
        ),
    ]


def _use_and_signatures(
    inp: PatientReportInputs, lang: Language, st: Styles, fonts: FontSet
) -> list[Flowable]:
    sig_rows = [
        [t(lang, "signed_reported"), "", t(lang, "signed_date"), ""],
        [t(lang, "signed_reviewed"), "", t(lang, "signed_date"), ""],
    ]
    sig = Table(
        sig_rows,
        colWidths=[0.26 * CONTENT_W, 0.44 * CONTENT_W, 0.08 * CONTENT_W, 0.22 * CONTENT_W],
        rowHeights=[12 * mm, 12 * mm],
    )
    sig.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), fonts.regular),
                ("FONTSIZE", (0, 0), (-1, -1), 8),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LINEBELOW", (1, 0), (1, -1), 0.6, colors.black),
                ("LINEBELOW", (3, 0), (3, -1), 0.6, colors.black),
            ]
        )
    )
    return [
        p(t(lang, "intended_use_heading"), st.h2),
        *([p(t(lang, "intended_use_translation"), st.small)] if t(lang, "intended_use_translation") else []),
        p(inp.intended_use, st.small),
        *bundle_use(inp.model, lang, st),
        p(t(lang, "limitations_heading"), st.h2),
        p(t(lang, "limitations"), st.small),
        KeepTogether([p(t(lang, "signature_heading"), st.h2), sig]),
    ]


def bundle_use(m: ModelSummary, lang: Language, st: Styles) -> list[Flowable]:
    """The model bundle's own intended-use statement (a demo bundle says it is synthetic), printed as written."""
    if not m.intended_use:
        return []
    return [p(t(lang, "bundle_use_heading"), st.cell_bold), p(m.intended_use, st.caution)]


def _estimand(inp: PatientReportInputs, lang: Language, st: Styles) -> list[Flowable]:
    """What the estimate means (the bundle's estimand statement)."""
    text = estimand_text(inp.model, lang)
    return [p(t(lang, "estimand_heading"), st.h2), p(text, st.small)] if text else []


def estimand_text(m: ModelSummary, lang: Language) -> str | None:
    """The bundle's estimand (English as recorded; Chinese from the outcome definition id)."""
    if not m.estimand:
        return None
    if lang == "zh":
        return t(lang, "estimand_text", definition=m.outcome_definition_id or "-")
    return m.estimand


def render_patient_report(inputs: PatientReportInputs, path: Path | str, *, language: str = "en") -> Path:
    """Write the patient risk report PDF and return its path.

    Parameters
    ----------
    inputs : PatientReportInputs
        The prediction, the model summary, the recipient's inputs and identity (see :mod:`.build`).
    path : path-like
        Output PDF; written atomically, so a failed render leaves no partial file.
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
    story: list[Flowable] = []
    story += _header(inputs, lang, st, fonts)
    story += _risk_block(inputs, lang, st, fonts)
    story += _distribution(inputs, lang, st, fonts)
    story += _contributions(inputs, lang, st, fonts)
    story += _estimand(inputs, lang, st)
    story += _inputs_and_qc(inputs, lang, st, fonts)
    story += _images(inputs, lang, st, fonts)
    story += _model(inputs, lang, st, fonts)
    story += _use_and_signatures(inputs, lang, st, fonts)
    footer_left = (
        f"{t(lang, 'footer', version=inputs.app_version, build=inputs.app_build)} | {inputs.study_id} | "
        f"{inputs.model.name} {inputs.model.version} ({inputs.model.sha256[:12]}) | {inputs.report_date}"
    )
    canvasmaker = numbered_canvas(
        footer_left, lambda page, pages: t(lang, "page", page=page, pages=pages), fonts.regular
    )
    return build_pdf(
        path,
        story,
        title=f"{t(lang, 'patient_title')} - {inputs.study_id}",
        author=inputs.clinician,
        subject=inputs.study_id,
        canvasmaker=canvasmaker,
    )

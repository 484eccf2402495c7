"""Validation report section: prospective monitoring of the reported bundle (from ``hsp monitor``'s report).

Counting rules, O/E with its exact CI, calibration with CIs (and the too-few-events statement), AUC, Brier, net
benefit at the band thresholds, subgroups, the risk-adjusted CUSUM chart with its alarm date, input drift and new
scanner metadata, competing-risk cumulative incidence with IPCW AUC/Brier, and every alarm.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from reportlab.platypus import Flowable, Image, KeepTogether

from hsp_desktop.reporting.fonts import FontSet
from hsp_desktop.reporting.layout import CONTENT_W, Styles, p, table

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "head": "10. Prospective monitoring of this locked bundle",
        "none": "No recipient has been scored with this bundle yet (manifest {sha}).",
        "rule": (
            "Only predictions made before the transplant date count (the latest per recipient); a recipient scored "
            "by two bundles counts for each. {scored} recipients scored before transplantation, {known} with a "
            "known 6-month outcome ({events} events), {pending} pending, {competing} competing events; "
            "{excluded} predictions made on or after the transplant date were excluded{ids}."
        ),
        "updated": "This bundle is an update of {parent} ({method}).",
        "measure": "Measure",
        "value": "Value (95% CI)",
        "oe": "Observed / expected events (exact Poisson CI)",
        "citl": "Calibration intercept (in the large)",
        "slope": "Calibration slope",
        "auc": "AUC (DeLong)",
        "brier": "Brier score",
        "nb": "Net benefit at {t:.0%} (treat all {all:.3f})",
        "cusum": (
            "Risk-adjusted CUSUM (Steiner et al. 2000) by transplant date; alarm limits set by simulation for an "
            "in-control false-alarm probability of {fa:.0%} per direction over this cohort."
        ),
        "alarm_at": "The {dir} chart would have alarmed at the recipient transplanted on {date}.",
        "no_alarm": "Neither chart crossed its limit.",
        "more": "more-events",
        "fewer": "fewer-events",
        "drift": "Input drift against the development cohort",
        "input": "Input",
        "outside": "Outside development range",
        "psi": "PSI (p)",
        "alarm": "Alarm",
        "scanner": "New since development: {field} {value!r} ({n} recipients).",
        "cr": (
            "Cumulative incidence of refractory hypersplenism at day {h} (Aalen-Johansen; death and re-transplant "
            "compete): {cif:.1%} overall ({events} events, {competing} competing, {censored} censored){bands}."
        ),
        "ipcw": "IPCW 6-month AUC {auc:.3f}, Brier {brier:.3f} (competing events as controls).",
        "alarms": "Alarms",
        "no_alarms": "No alarm.",
        "sub": "Subgroups",
        "secondary": "Secondary outcomes: splenic function recovery (all scored recipients)",
        "recovery": "recovery grade",
    },
    "zh": {
        "head": "10. 本锁定模型包的前瞻性监测",
        "none": "尚无受者由此模型包评分（清单 {sha}）。",
        "rule": (
            "仅计入移植日期之前作出的预测（每位受者取最近一次）；由两个模型包评分的受者分别计入。移植前评分 {scored} 例，"
            "已知6个月结局 {known} 例（事件 {events} 例），待定 {pending} 例，竞争事件 {competing} 例；"
            "移植当日或之后作出的 {excluded} 次预测已排除{ids}。"
        ),
        "updated": "本模型包由 {parent} 更新而来（{method}）。",
        "measure": "指标",
        "value": "数值（95% CI）",
        "oe": "观察/预期事件数（精确泊松CI）",
        "citl": "校准截距（总体校准）",
        "slope": "校准斜率",
        "auc": "AUC（DeLong）",
        "brier": "Brier 评分",
        "nb": "阈值 {t:.0%} 的净获益（全部治疗 {all:.3f}）",
        "cusum": "按移植日期的风险校正 CUSUM（Steiner 2000）；报警界值经模拟设定，每个方向受控误报概率 {fa:.0%}。",
        "alarm_at": "{dir}图将在移植日期为 {date} 的受者处报警。",
        "no_alarm": "两图均未越过界值。",
        "more": "事件偏多",
        "fewer": "事件偏少",
        "drift": "相对开发队列的输入漂移",
        "input": "输入",
        "outside": "超出开发范围",
        "psi": "PSI（p）",
        "alarm": "报警",
        "scanner": "开发后新出现：{field} {value!r}（{n} 例）。",
        "cr": (
            "第 {h} 天难治性脾功能亢进累积发生率（Aalen-Johansen；死亡与再移植为竞争事件）：总体 {cif:.1%}"
            "（事件 {events}，竞争 {competing}，删失 {censored}）{bands}。"
        ),
        "ipcw": "IPCW 6个月 AUC {auc:.3f}，Brier {brier:.3f}（竞争事件计为对照）。",
        "alarms": "报警",
        "no_alarms": "无报警。",
        "sub": "亚组",
        "secondary": "次要结局：脾功能恢复（全部已评分受者）",
        "recovery": "恢复分级",
    },
}


def _png(data: bytes, width: float) -> Image:
    img = Image(io.BytesIO(data))
    scale = width / img.drawWidth
    img.drawWidth, img.drawHeight = img.drawWidth * scale, img.drawHeight * scale
    return img


def _ci(value: float | None, lo: float | None, hi: float | None, fmt: str = ".2f") -> str:
    if value is None:
        return "-"
    if lo is None or hi is None:
        return format(value, fmt)
    return f"{value:{fmt}} ({lo:{fmt}} to {hi:{fmt}})"


def monitoring_flowables(
    report: Mapping[str, Any] | None, sha256: str, lang: str, st: Styles, fonts: FontSet
) -> list[Flowable]:
    """The section for the bundle with manifest ``sha256`` (nothing when no report was given)."""
    if report is None:
        return []
    from hsp_desktop.validation.plots import cif_png, cusum_png

    tx = TEXT["zh" if lang == "zh" else "en"]
    out: list[Flowable] = [p(tx["head"], st.h2)]
    entry = next((b for b in report.get("bundles", []) if b["manifest_sha256"] == sha256), None)
    if entry is None:
        out.append(p(tx["none"].format(sha=sha256[:12]), st.body))
        return out
    k = entry["counts"]
    ids = sorted({e["study_id"] for e in entry["excluded"]})
    out.append(
        p(
            tx["rule"].format(
                scored=k["scored_before_transplant"],
                known=k["with_outcome"],
                events=k["events"],
                pending=k["pending"],
                competing=k["competing"],
                excluded=k["excluded_predictions"],
                ids=f" ({', '.join(ids[:12])}{', ...' if len(ids) > 12 else ''})" if ids else "",
            ),
            st.body,
        )
    )
    if entry.get("parent_sha256"):
        out.append(
            p(
                tx["updated"].format(parent=entry["parent_sha256"][:12], method=entry["update_method"]),
                st.body,
            )
        )
    perf = entry["performance"]
    rows: list[list[Any]] = [[tx["measure"], tx["value"]]]
    oe = perf.get("observed_expected")
    if oe:
        rows.append(
            [
                tx["oe"],
                f"{oe['observed']} / {oe['expected']:.1f} = " + _ci(oe["ratio"], oe["ci_low"], oe["ci_high"]),
            ]
        )
    cal = perf.get("calibration")
    if cal:
        rows.append([tx["citl"], _ci(cal["intercept"], *cal["intercept_ci"])])
        rows.append([tx["slope"], _ci(cal["slope"], *cal["slope_ci"])])
    if perf.get("auc"):
        auc_lo, auc_hi = perf["auc"]["ci"]
        rows.append([tx["auc"], _ci(perf["auc"]["auc"], auc_lo, auc_hi, fmt=".3f")])
    if perf.get("brier") is not None:
        rows.append([tx["brier"], f"{perf['brier']:.3f}"])
    for nb in perf.get("net_benefit", []):
        rows.append([tx["nb"].format(t=nb["threshold"], all=nb["treat_all"]), f"{nb['model']:.3f}"])
    if len(rows) > 1:
        out.append(table(rows, [CONTENT_W * 0.55, CONTENT_W * 0.45], fonts))
    for note in perf.get("notes", []):
        out.append(p(note, st.caution))
    if entry["subgroups"]:
        sub = [[tx["sub"], "n", "events", "O/E (95% CI)", "AUC (95% CI)"]]
        for g in entry["subgroups"]:
            o = g.get("observed_expected") or [None, None, None]
            a = g.get("auc")
            auc_text = _ci(a[0], a[1], a[2], fmt=".3f") if a else g.get("note", "")
            sub.append(
                [f"{g['variable']} = {g['value']}", g["n"], g["events"], _ci(o[0], o[1], o[2]), auc_text]
            )
        out.append(table(sub, [CONTENT_W * w for w in (0.2, 0.08, 0.1, 0.27, 0.35)], fonts, size=7))
    charts = entry.get("cusum", [])
    if charts:
        lines = [p(tx["cusum"].format(fa=charts[0]["false_alarm"]), st.small)]
        fired = [c for c in charts if c["alarm"]]
        for c in fired:
            lines.append(
                p(
                    tx["alarm_at"].format(
                        dir=tx["more"] if c["odds_ratio"] > 1 else tx["fewer"], date=c["alarm_date"]
                    ),
                    st.caution,
                )
            )
        if not fired:
            lines.append(p(tx["no_alarm"], st.small))
        out.append(
            KeepTogether(
                [_png(cusum_png(entry, width_in=6.5, height_in=2.6, dpi=150), CONTENT_W * 0.8), *lines]
            )
        )
    drift = entry["drift"]
    out.append(p(tx["drift"], st.h2))
    out.append(p(drift["note"], st.small))
    psi = {d["input"]: d for d in drift["psi"]}
    drows: list[list[Any]] = [[tx["input"], tx["outside"], tx["psi"], tx["alarm"]]]
    for d in drift["out_of_range"]:
        q = psi.get(d["input"], {})
        drows.append(
            [
                d["input"],
                f"{d['outside']}/{d['n']} ({d['share']:.0%})",
                "-" if q.get("psi") is None else f"{q['psi']:.2f} ({q['p_value']:.2g})",
                "ALARM" if d["alarm"] or q.get("alarm") else "",
            ]
        )
    out.append(table(drows, [CONTENT_W * w for w in (0.45, 0.22, 0.2, 0.13)], fonts, size=7))
    for a in drift["new_acquisition"]:
        out.append(p(tx["scanner"].format(field=a["field"], value=a["value"], n=a["recipients"]), st.caution))
    cr = entry["competing_risks"]
    if "cif_at_horizon" in cr:
        bands = ", ".join(f"{b['band']} {b['cif_at_horizon']:.1%}" for b in cr["by_band"])
        text = [
            p(
                tx["cr"].format(
                    h=cr["horizon_days"], cif=cr["cif_at_horizon"], events=cr["events"], competing=cr["competing"],
                    censored=cr["censored"], bands=f"; {bands}" if bands else "",
                ),
                st.body,
            )
        ]  # fmt: skip
        if "ipcw" in cr:
            text.append(p(tx["ipcw"].format(**cr["ipcw"]), st.body))
        text.append(p(cr["note"], st.small))
        out.append(
            KeepTogether(
                [_png(cif_png(entry, width_in=4.5, height_in=2.4, dpi=150), CONTENT_W * 0.55), *text]
            )
        )
    traj = report.get("trajectories") or {}
    if traj.get("recipients"):
        from hsp_desktop.validation.plots import trajectories_png

        summ = traj.get("summaries", {})
        parts = [
            f"{label} {s['median']:.2f} ({s['q1']:.2f} to {s['q3']:.2f}, n {s['n']})"
            for key, label in (
                ("pct_change_plt", "%dPLT"),
                ("pct_change_wbc", "%dWBC"),
                ("sv_ratio", "SV6/SV0"),
            )
            if (s := summ.get(key)) and s.get("n")
        ]
        grades = ", ".join(f"{k} {v}" for k, v in sorted((traj.get("recovery_grades") or {}).items()))
        out.append(
            KeepTogether(
                [
                    p(tx["secondary"], st.h2),
                    _png(trajectories_png(traj, width_in=7.5, height_in=2.3, dpi=150), CONTENT_W),
                    p("; ".join(parts) + (f"; {tx['recovery']}: {grades}" if grades else ""), st.small),
                ]
            )
        )
    mine = [a for a in report.get("alarms", []) if a.get("manifest_sha256") == sha256]
    out.append(p(tx["alarms"], st.h2))
    if mine:
        out.extend(p(f"[{a['kind']}] {a['message']}", st.caution) for a in mine)
    else:
        out.append(p(tx["no_alarms"], st.body))
    return out

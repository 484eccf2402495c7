"""Report wording in English and Simplified Chinese.

Every sentence a report prints comes from :data:`TEXT`, so both languages always carry the same elements.  A key
missing from one language is a programming error caught by the tests (``test_every_key_in_both_languages``).
"""

from __future__ import annotations

from typing import Literal

from hsp_desktop.errors import SettingsError

Language = Literal["en", "zh"]
LANGUAGES: tuple[str, ...] = ("en", "zh")

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "patient_title": "Pre-transplant risk of refractory hypersplenism at 6 months",
        "patient_subtitle": "Decision-support report for the surgical chart",
        "site": "Site",
        "study_id": "Study ID",
        "name": "Name",
        "mrn": "MRN",
        "identity_hidden": "not shown (role or site setting)",
        "report_date": "Report date",
        "clinician": "Requested by",
        "ct_date": "CT date",
        "transplant_date": "Transplant date",
        "risk_heading": "Predicted risk",
        "risk_sentence": "Estimated probability of refractory hypersplenism 6 months after transplantation",
        "ci95": "95% CI",
        "band": "Risk band",
        "band_low": "LOW",
        "band_intermediate": "INTERMEDIATE",
        "band_high": "HIGH",
        "band_table_band": "Band",
        "band_table_range": "Predicted risk",
        "band_table_observed": "Observed rate in development cohort",
        "band_table_events": "events / recipients",
        "this_recipient": "this recipient",
        "distribution_heading": "Position in the development cohort",
        "distribution_sentence": "Predicted risk higher than {pct:.0f}% of the {n} development-cohort recipients.",
        "distribution_axis": "Predicted risk",
        "distribution_count": "Recipients",
        "inputs_heading": "Key inputs used by the model",
        "variable": "Variable",
        "value": "Value",
        "unit": "Unit",
        "missing": "not recorded",
        "caution_imputed": "Caution: not measured, imputed by the model: {names}.",
        "note_measured": "Measured on the CT segmentation (not entered): {names}.",
        "mask_provenance": "Spleen mask (made in the app)",
        "caution_outside": (
            "Caution: outside the range seen in the development cohort: {names}; the estimate is less reliable."
        ),
        "imputed": "imputed",
        "qc_heading": "CT quality control",
        "qc_passed": "PASSED",
        "qc_passed_warn": "PASSED with {n} warning(s)",
        "qc_failed": "FAILED",
        "qc_check": "Check",
        "qc_status": "Status",
        "qc_measured": "Measured",
        "qc_limit": "Limit",
        "qc_all_ok": "All {n} checks passed.",
        "qc_none": "No QC report recorded.",
        "contrib_heading": "Main contributing factors",
        "contrib_sentence": (
            "Each bar moves the risk from the baseline - the risk the model gives a recipient with the development "
            "cohort's mean value of every predictor, which is not the cohort's event rate - to this recipient's "
            "estimate; red raises, blue lowers the risk."
        ),
        "contrib_baseline": "Baseline (cohort-mean predictors)",
        "contrib_final": "This recipient",
        "contrib_other": "{n} other factors",
        "contrib_axis": "Risk (log-odds scale, labelled in %)",
        "images_heading": "CT key slices with spleen outline",
        "axial": "Axial",
        "coronal": "Coronal",
        "images_none": "No CT images attached to this prediction.",
        "model_heading": "Model",
        "model_name": "Model",
        "model_version": "Version",
        "model_hash": "Manifest SHA-256",
        "model_auc": "AUC, nested cross-validation on the development cohort (95% CI)",
        "model_auc_corrected": "bootstrap optimism-corrected",
        "model_calibration": "Calibration (slope / intercept)",
        "model_brier": "Brier score",
        "model_cohort": "Development cohort",
        "model_cohort_value": "{n} recipients, {events} events",
        "prediction_id": "Prediction",
        "input_hash": "Input SHA-256",
        "intended_use_heading": "Intended use",
        "intended_use_translation": "",
        "contrib_logodds": "log-odds",
        "limitations_heading": "Limitations",
        "limitations": (
            "The estimate comes from a model developed on a single-centre retrospective cohort; its prospective "
            "validation is ongoing and its confidence interval is wide. It does not account for events after "
            "transplantation (portal-vein complications, rejection, infection, myelotoxic drugs), which can cause "
            "or prevent cytopenia. Inputs outside the development cohort's ranges make the estimate less reliable. "
            "It must not be used as the sole basis for splenic intervention."
        ),
        "signature_heading": "Signatures",
        "signed_reported": "Reported by (name, signature)",
        "signed_reviewed": "Reviewed by (name, signature)",
        "signed_date": "Date",
        "footer": "HSP Desktop {version} (build {build})",
        "page": "page {page} of {pages}",
        "not_applicable": "n/a",
        "yes": "yes",
        "no": "no",
        # validation report
        "validation_title": "Model validation report",
        "validation_subtitle": "Structured after TRIPOD+AI (BMJ 2024)",
        "v_model": "Model under report",
        "v_flow": "1. Participants: cohort flow",
        "v_flow_step": "Step",
        "v_flow_n": "Recipients",
        "v_flow_excluded": "Excluded (reason: n)",
        "v_table1": "2. Characteristics by outcome (table 1)",
        "v_table1_var": "Variable",
        "v_outcome0": "No outcome (n={n})",
        "v_outcome1": "Outcome (n={n})",
        "v_p": "p",
        "v_table1_none": "Not available: the registry holds no development-cohort recipients with a derived outcome.",
        "v_candidates": "3. Candidate models compared",
        "v_cand_model": "Model",
        "v_cand_params": "Parameters",
        "v_cand_auc": "AUC (95% CI, or SD over CV repeats)",
        "v_cand_corrected": "Optimism-corrected AUC",
        "v_cand_delong": "Paired DeLong p vs selected",
        "v_selected": "selected",
        "v_roc": "4. Discrimination: ROC curve",
        "v_roc_fpr": "1 - specificity",
        "v_roc_tpr": "Sensitivity",
        "v_roc_band": "95% CI band",
        "v_calibration": "5. Calibration",
        "v_cal_sentence": "Calibration slope {slope} (ideal 1), intercept {intercept} (ideal 0), Brier {brier}.",
        "v_cal_pred": "Predicted risk",
        "v_cal_obs": "Observed proportion",
        "v_dca": "6. Clinical utility: decision curve",
        "v_dca_threshold": "Threshold probability",
        "v_dca_nb": "Net benefit",
        "v_dca_all": "Treat all",
        "v_dca_none": "Treat none",
        "v_dca_model": "Model",
        "v_features": "7. Selected predictors and odds ratios",
        "v_feat": "Predictor",
        "v_or": "Odds ratio of the locked (shrunk) model (95% CI)",
        "v_per": "per",
        "v_sample_size": "8. Sample size",
        "v_sample_sentence": (
            "{n} recipients with {events} outcome events ({prevalence:.1f}%), {params} candidate parameters: "
            "{epp:.1f} events per parameter."
        ),
        "v_sample_riley": (
            "Riley et al. (BMJ 2020) minimum sample size for these parameters: {required} recipients; the data "
            "support at most {max_params} parameters with shrinkage >= 0.9. {verdict}"
        ),
        "v_sample_ok": "The criteria are met.",
        "v_sample_not_ok": "The criteria are NOT met: interpret the model with caution.",
        "v_prospective": "9. Prospective validation cohort",
        "v_prosp_pending": (
            "{n} eligible recipients enrolled, {scored} scored by the model; of the scored, {complete} with a derived "
            "6-month outcome, {pending} pending, {competing} competing events. Results are shown once at least "
            "{minimum} scored recipients have an outcome."
        ),
        "v_prosp_results": (
            "{complete} recipients with a derived outcome ({events} events): AUC {auc} (95% CI {lo}-{hi}); "
            "observed {observed:.1f}% vs mean predicted {expected:.1f}% (calibration-in-the-large)."
        ),
        "v_prosp_note": "With about 30 recipients the AUC confidence interval is wide: a feasibility check, not proof.",
        "v_none": "Not available in the model manifest.",
        "caution_scores": "Entered {name} {entered} disagrees with {computed} recomputed from the entered labs (tolerance {tol} points): check the score and the labs before relying on this estimate.",
        "bundle_use_heading": "Intended use of this model (as stated by its bundle)",
        "about_n_of_100": "About {k} of 100 similar recipients would be expected to develop refractory hypersplenism.",
        "ci_spans": "95% CI spans {a}-{b}: the band is uncertain.",
        "band_table_action": "What the band implies",
        "band_action_low": "routine follow-up",
        "band_action_intermediate": "closer follow-up: monthly counts, spleen imaging at 3 and 6 months",
        "band_action_high": "early haematology review; plan for persistent cytopenia",
        "band_rate_ci": "{rate} (95% CI {lo}-{hi})",
        "band_dca": "Band thresholds (a site setting tied to these actions) checked against the decision curve: net benefit of the model at {checks}.",
        "estimand_text": "The model estimates, before transplantation, the probability of refractory hypersplenism at 6 months (outcome definition {definition}) for adult recipients who are alive without re-transplantation at 6 months and do not undergo splenic-artery ligation or embolisation.",
        "estimand_heading": "What the estimate means (estimand)",
        "v_outcome_heading": "1b. Outcome, estimand and recipients without a derived outcome",
        "v_outcome_counts": "Eligible recipients {eligible}: outcome derived {derived} ({events} events); left out: competing event (death or re-transplantation before the outcome) {competing}, pending (not yet derivable) {pending}, splenic-artery intervention (protocol exclusion) {splenic}. Handling: complete-case; the sensitivity analyses below handle them otherwise.",
        "v_sens_heading": "Sensitivity analyses of the outcome handling",
        "v_sens_scenario": "Scenario",
        "v_sens_n": "n (events)",
        "v_sens_auc": "Nested-CV AUC",
        "v_sens_ors": "Odds ratios (95% CI)",
        "v_sens_procedure": "Refitted: {procedure}. {note}.",
        "v_sample_override": "Locked although the criteria are not met, by a recorded override. Reason given: {reason}",
        "v_sample_scores": "How learned scores are counted: {note}.",
        "contrib_rate": "For comparison, the development cohort's observed event rate was {rate} ({events} of {n} recipients).",
        "v_or_note": "Odds ratios are those of the locked model, whose slopes are shrunk by the factor {s} (intercept re-estimated); the CIs come from the final model's covariance, widened by {inflation} as a bootstrap of the whole procedure showed.",
        "auc_nested_short": "AUC {auc} (nested CV)",
        "auc_others": "Other internal estimates on the same data: Harrell bootstrap {harrell}, .632+ {p632}, out-of-bag {oob}. They re-use the development sample to build the model and run higher than nested CV, which keeps every test fold out of all fitting; nested CV is the headline.",
        "choice_heading": "Model choice",
        "choice_sentence": "Rule fixed before fitting: lock the multimodal model only if the lower 95% bound of its nested-CV AUC gain over the clinical-only model is above 0, otherwise the simpler clinical-only model. Gain {diff} (95% CI {lo} to {hi}, p = {p}): the {selected} model is locked.",
        "choice_selected_multimodal": "multimodal",
        "choice_selected_clinical": "clinical-only",
    },
    "zh": {
        "patient_title": "肝移植术前难治性脾功能亢进（术后6个月）风险评估",
        "patient_subtitle": "供手术病历使用的临床决策支持报告",
        "site": "中心",
        "study_id": "研究编号",
        "name": "姓名",
        "mrn": "病历号",
        "identity_hidden": "不显示（角色或中心设置）",
        "report_date": "报告日期",
        "clinician": "申请医师",
        "ct_date": "CT日期",
        "transplant_date": "移植日期",
        "risk_heading": "预测风险",
        "risk_sentence": "肝移植术后6个月发生难治性脾功能亢进的估计概率",
        "ci95": "95%置信区间",
        "band": "风险分层",
        "band_low": "低风险",
        "band_intermediate": "中风险",
        "band_high": "高风险",
        "band_table_band": "分层",
        "band_table_range": "预测风险范围",
        "band_table_observed": "建模队列实际发生率",
        "band_table_events": "事件数 / 例数",
        "this_recipient": "本例受者",
        "distribution_heading": "在建模队列中的位置",
        "distribution_sentence": "预测风险高于建模队列 {n} 例受者中的 {pct:.0f}%。",
        "distribution_axis": "预测风险",
        "distribution_count": "例数",
        "inputs_heading": "模型使用的主要输入",
        "variable": "变量",
        "value": "数值",
        "unit": "单位",
        "missing": "未记录",
        "caution_imputed": "注意：以下输入未测量，由模型插补：{names}。",
        "note_measured": "以下数值由CT分割测量（未录入）：{names}。",
        "mask_provenance": "脾脏分割（本软件内生成）",
        "caution_outside": "注意：以下输入超出建模队列范围：{names}；估计的可靠性降低。",
        "imputed": "插补",
        "qc_heading": "CT质量控制",
        "qc_passed": "通过",
        "qc_passed_warn": "通过（{n} 项警告）",
        "qc_failed": "未通过",
        "qc_check": "检查项",
        "qc_status": "状态",
        "qc_measured": "测量值",
        "qc_limit": "界值",
        "qc_all_ok": "全部 {n} 项检查通过。",
        "qc_none": "无质量控制记录。",
        "contrib_heading": "主要影响因素",
        "contrib_sentence": "每一条表示该因素使风险从基线（模型对各预测因子均取建模队列均值的受者给出的风险，并非队列事件率）移向本例估计值；红色升高风险，蓝色降低风险。",
        "contrib_baseline": "基线（预测因子取队列均值）",
        "contrib_final": "本例受者",
        "contrib_other": "其他 {n} 个因素",
        "contrib_axis": "风险（对数优势刻度，以%标注）",
        "images_heading": "CT关键层面及脾脏轮廓",
        "axial": "轴位",
        "coronal": "冠状位",
        "images_none": "本次预测未附CT图像。",
        "model_heading": "模型",
        "model_name": "模型",
        "model_version": "版本",
        "model_hash": "清单 SHA-256",
        "model_auc": "建模队列嵌套交叉验证AUC（95%置信区间）",
        "model_auc_corrected": "bootstrap乐观校正后",
        "model_calibration": "校准（斜率 / 截距）",
        "model_brier": "Brier评分",
        "model_cohort": "建模队列",
        "model_cohort_value": "{n} 例受者，{events} 例事件",
        "prediction_id": "预测记录",
        "input_hash": "输入 SHA-256",
        "intended_use_heading": "预期用途",
        "intended_use_translation": (
            "HSP Desktop 在肝移植术前估计成人受者（18-75岁）在移植术后6个月发生难治性脾功能亢进的概率。本软件辅助而非"
            "取代移植团队的判断。仅供已注册观察性研究内的科研使用；未在不符合研究入选标准的受者中验证。以下为英文原文："
        ),
        "contrib_logodds": "对数优势",
        "limitations_heading": "局限性",
        "limitations": (
            "本估计来自单中心回顾性队列建立的模型，前瞻性验证尚在进行中，置信区间较宽。模型未考虑移植术后事件"
            "（门静脉并发症、排斥反应、感染、骨髓抑制药物），这些事件可导致或避免血细胞减少。输入值超出建模队列范围时"
            "估计的可靠性降低。不得作为脾脏干预的唯一依据。"
        ),
        "signature_heading": "签名",
        "signed_reported": "报告医师（姓名、签名）",
        "signed_reviewed": "审核医师（姓名、签名）",
        "signed_date": "日期",
        "footer": "HSP Desktop {version}（构建 {build}）",
        "page": "第 {page} 页，共 {pages} 页",
        "not_applicable": "不适用",
        "yes": "是",
        "no": "否",
        "validation_title": "模型验证报告",
        "validation_subtitle": "按 TRIPOD+AI（BMJ 2024）结构编写",
        "v_model": "报告模型",
        "v_flow": "1. 研究对象：队列流程",
        "v_flow_step": "步骤",
        "v_flow_n": "例数",
        "v_flow_excluded": "排除（原因：例数）",
        "v_table1": "2. 按结局分组的基线特征（表1）",
        "v_table1_var": "变量",
        "v_outcome0": "未发生（n={n}）",
        "v_outcome1": "发生（n={n}）",
        "v_p": "p值",
        "v_table1_none": "无法提供：登记库中没有已得出结局的建模队列受者。",
        "v_candidates": "3. 候选模型比较",
        "v_cand_model": "模型",
        "v_cand_params": "参数个数",
        "v_cand_auc": "AUC（95%置信区间，或交叉验证重复间标准差）",
        "v_cand_corrected": "乐观校正AUC",
        "v_cand_delong": "与入选模型配对DeLong检验p值",
        "v_selected": "入选",
        "v_roc": "4. 区分度：ROC曲线",
        "v_roc_fpr": "1 - 特异度",
        "v_roc_tpr": "灵敏度",
        "v_roc_band": "95%置信带",
        "v_calibration": "5. 校准度",
        "v_cal_sentence": "校准斜率 {slope}（理想值1），截距 {intercept}（理想值0），Brier评分 {brier}。",
        "v_cal_pred": "预测风险",
        "v_cal_obs": "实际比例",
        "v_dca": "6. 临床效用：决策曲线",
        "v_dca_threshold": "阈概率",
        "v_dca_nb": "净获益",
        "v_dca_all": "全部干预",
        "v_dca_none": "全不干预",
        "v_dca_model": "模型",
        "v_features": "7. 入选预测因子及比值比",
        "v_feat": "预测因子",
        "v_or": "锁定（收缩后）模型的比值比（95%置信区间）",
        "v_per": "每",
        "v_sample_size": "8. 样本量",
        "v_sample_sentence": "{n} 例受者，{events} 例结局事件（{prevalence:.1f}%），候选参数 {params} 个：每参数事件数 {epp:.1f}。",
        "v_sample_riley": "按 Riley 等（BMJ 2020）标准，该参数数所需最小样本量为 {required} 例；现有数据在收缩系数 >= 0.9 时最多支持 {max_params} 个参数。{verdict}",
        "v_sample_ok": "满足标准。",
        "v_sample_not_ok": "未满足标准：解释模型时需谨慎。",
        "v_prospective": "9. 前瞻性验证队列",
        "v_prosp_pending": (
            "已入组合格受者 {n} 例，其中 {scored} 例已由模型评分；评分者中 {complete} 例已得出6个月结局，{pending} 例待定，"
            "{competing} 例竞争事件。至少 {minimum} 例评分受者得出结局后显示结果。"
        ),
        "v_prosp_results": (
            "{complete} 例已得出结局（{events} 例事件）：AUC {auc}（95%置信区间 {lo}-{hi}）；"
            "实际发生率 {observed:.1f}%，平均预测 {expected:.1f}%（整体校准）。"
        ),
        "v_prosp_note": "约30例受者的AUC置信区间较宽：仅为可行性检验，不能作为证据。",
        "v_none": "模型清单中无此项。",
        "caution_scores": "录入的{name} {entered} 与根据录入检验值重新计算的 {computed} 不一致（容差 {tol} 分）：请在采用本估计前核对评分及检验值。",
        "bundle_use_heading": "本模型的预期用途（模型包自述，原文）",
        "about_n_of_100": "在100例类似受者中，约有 {k} 例预计会发生难治性脾功能亢进。",
        "ci_spans": "95%置信区间跨越{a}-{b}：风险分层不确定。",
        "band_table_action": "分层对应的处理",
        "band_action_low": "常规随访",
        "band_action_intermediate": "加强随访：每月血常规，3和6个月脾脏影像",
        "band_action_high": "尽早血液科会诊；制定持续性血细胞减少的处理计划",
        "band_rate_ci": "{rate}（95%置信区间 {lo}-{hi}）",
        "band_dca": "风险分层阈值（与上述处理对应的中心设置）已与决策曲线核对：模型在 {checks} 处的净获益。",
        "estimand_text": "本模型在移植前估计术后6个月发生难治性脾功能亢进（结局定义 {definition}）的概率，适用人群为术后6个月仍存活、未再次移植且未接受脾动脉结扎或栓塞的成年受者。竞争事件（结局评估前死亡或再移植）、尚待判定及接受脾动脉干预的受者不在建模数据中；敏感性分析采用其他处理方式。",
        "estimand_heading": "估计值的含义（估计目标）",
        "v_outcome_heading": "1b. 结局、估计目标及未得出结局的受者",
        "v_outcome_counts": "符合入选标准的受者 {eligible} 例：已得出结局 {derived} 例（事件 {events} 例）；未纳入：竞争事件（结局评估前死亡或再移植）{competing} 例，待定（尚不能得出）{pending} 例，脾动脉干预（方案排除）{splenic} 例。处理方式：完整病例分析；下方敏感性分析采用其他处理方式。",
        "v_sens_heading": "结局处理方式的敏感性分析",
        "v_sens_scenario": "情形",
        "v_sens_n": "例数（事件）",
        "v_sens_auc": "嵌套交叉验证AUC",
        "v_sens_ors": "比值比（95%置信区间）",
        "v_sens_procedure": "重新拟合：{procedure}。{note}。",
        "v_sample_override": "虽未满足标准，仍按记录在案的豁免锁定模型。所述理由：{reason}",
        "v_sample_scores": "学习所得评分的计数方式：{note}。",
        "contrib_rate": "作为对照，建模队列观察到的事件率为 {rate}（{n} 例受者中 {events} 例）。",
        "v_or_note": "比值比取自锁定模型，其斜率按收缩因子 {s} 收缩（截距重新估计）；置信区间来自最终模型的协方差，并按整个建模流程的bootstrap结果放宽 {inflation} 倍。",
        "auc_nested_short": "AUC {auc}（嵌套交叉验证）",
        "auc_others": "同一数据的其他内部估计：Harrell bootstrap {harrell}，.632+ {p632}，袋外 {oob}。这些估计在建模时重复使用建模样本，通常高于嵌套交叉验证（其测试折从不参与任何拟合）；以嵌套交叉验证为主要结果。",
        "choice_heading": "模型选择",
        "choice_sentence": "拟合前预先设定的规则：仅当多模态模型相对仅临床模型的嵌套交叉验证AUC增益的95%置信区间下限大于0时锁定多模态模型，否则锁定更简单的仅临床模型。增益 {diff}（95%置信区间 {lo} 至 {hi}，p = {p}）：锁定{selected}模型。",
        "choice_selected_multimodal": "多模态",
        "choice_selected_clinical": "仅临床",
    },
}

#: Labels and units of the key inputs printed on the patient report, in print order.
KEY_INPUTS: tuple[tuple[str, str, str, str, int], ...] = (
    # name, English label, Chinese label, unit, decimals (-1: categorical)
    ("platelets", "Platelets", "血小板", "×10^9/L", 0),
    ("wbc", "White cell count", "白细胞", "×10^9/L", 1),
    ("haemoglobin", "Haemoglobin", "血红蛋白", "g/L", 0),
    ("spleen_volume_ml", "Spleen volume (CT)", "脾脏体积（CT）", "ml", 0),
    ("spleen_length_cm", "Spleen length", "脾脏长径", "cm", 1),
    ("portal_vein_mm", "Portal-vein diameter", "门静脉直径", "mm", 1),
    ("splenic_vein_mm", "Splenic-vein diameter", "脾静脉直径", "mm", 1),
    ("splenic_artery_mm", "Splenic-artery diameter", "脾动脉直径", "mm", 1),
    ("meld", "MELD", "MELD评分", "points", 0),
    ("child_pugh", "Child-Pugh score", "Child-Pugh评分", "points", 0),
    ("bilirubin", "Bilirubin", "胆红素", "µmol/L", 0),
    ("albumin", "Albumin", "白蛋白", "g/L", 0),
    ("inr", "INR", "INR", "", 2),
    ("creatinine", "Creatinine", "肌酐", "µmol/L", 0),
    ("age", "Age", "年龄", "years", 0),
    ("sex", "Sex", "性别", "", -1),
    ("bmi", "BMI", "体重指数", "kg/m²", 1),
    ("aetiology", "Aetiology", "病因", "", -1),
    ("graft_type", "Graft", "移植物", "", -1),
    ("grwr", "GRWR", "GRWR", "%", 2),
    ("splenorenal_shunt", "Spontaneous splenorenal shunt", "自发性脾肾分流", "", -1),
    ("ascites", "Ascites", "腹水", "", -1),
    ("varices", "Varices", "静脉曲张", "", -1),
)

#: Units as printed in Chinese reports (the CJK fonts carry the Greek mu, not the micro sign, and no superscripts).
UNITS_ZH: dict[str, str] = {"µmol/L": "μmol/L", "kg/m²": "kg/m^2", "points": "分", "years": "岁"}


def unit_text(unit: str, language: Language) -> str:
    """A unit as printed in ``language``."""
    return UNITS_ZH.get(unit, unit) if language == "zh" else unit


def input_label(name: str, language: Language) -> tuple[str, str] | None:
    """Label and unit of a key input in ``language``, or None when ``name`` is not a key input."""
    for key, label_en, label_zh, unit, _ in KEY_INPUTS:
        if key == name:
            return (label_zh if language == "zh" else label_en), unit_text(unit, language)
    return None


#: Display of categorical codes.
CATEGORIES: dict[str, dict[str, str]] = {
    "en": {
        "M": "male",
        "F": "female",
        "hbv": "hepatitis B",
        "hcv": "hepatitis C",
        "alcohol": "alcohol",
        "autoimmune": "autoimmune / PBC / PSC",
        "masld": "MASLD / cryptogenic",
        "other": "other",
        "deceased_whole": "deceased donor, whole",
        "living": "living donor",
        "split": "split",
    },
    "zh": {
        "M": "男",
        "F": "女",
        "hbv": "乙型肝炎",
        "hcv": "丙型肝炎",
        "alcohol": "酒精性",
        "autoimmune": "自身免疫性 / PBC / PSC",
        "masld": "MASLD / 隐源性",
        "other": "其他",
        "deceased_whole": "公民逝世后捐献，全肝",
        "living": "活体供肝",
        "split": "劈离式",
    },
}


def check_language(language: str) -> Language:
    """Return ``language`` if it is a report language, else raise :class:`SettingsError`."""
    if language not in LANGUAGES:
        raise SettingsError(
            "Unknown report language",
            expected=" or ".join(LANGUAGES),
            found=repr(language),
            fix="choose 'en' (English) or 'zh' (Simplified Chinese)",
            field="language",
        )
    return language  # type: ignore[return-value]


def t(language: Language, key: str, **values: object) -> str:
    """Return the text ``key`` in ``language``, formatted with ``values``."""
    text = TEXT[language][key]
    return text.format(**values) if values else text

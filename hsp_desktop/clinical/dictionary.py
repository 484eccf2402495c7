"""The clinical data dictionary: the single source of truth for every recorded variable.

:data:`VARIABLES` (pre-operative record: identity, eligibility, demographics, liver disease, laboratory, portal
hypertension, CT measurements) and :data:`FOLLOWUP_VARIABLES` (one dated visit, CONTRACTS section B) map each
canonical name to a :class:`Variable`: English and Simplified-Chinese labels, type, canonical unit, accepted
alternative units with exact conversions, hard range, whether it is required, which model inputs use it, and what a
form needs to draw it (choices, decimals, group).

:func:`validate_record` and :func:`validate_visit` check a record against the dictionary and return **every**
problem at once (field, value, reason, fix).  A value with an explicit unit (``"2.0 mg/dL"`` or a
``"bilirubin_unit": "mg/dL"`` key) is converted exactly; a unit trap (a value typed without a unit that is only
plausible in another unit, e.g. platelets ``66000``) is converted only with ``confirm_units=True`` and otherwise
rejected with the conversion offered in the fix.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Literal

from hsp_desktop.clinical.derived import bmi as _bmi
from hsp_desktop.clinical.derived import bsa_mosteller, child_pugh, score_disagreements
from hsp_desktop.clinical.units import (
    BILIRUBIN_MG_DL_TO_UMOL_L,
    CREATININE_MG_DL_TO_UMOL_L,
    G_DL_TO_G_L,
    INCH_TO_CM,
    PER_UL_TO_1E9_PER_L,
    POUND_TO_KG,
    AltUnit,
    split_value_unit,
    unit_matches,
)
from hsp_desktop.errors import Problem, ValidationError

VarType = Literal["str", "int", "float", "binary", "category", "date"]

#: Model-input tags used in :attr:`Variable.model_inputs`.
CLINICAL_MODEL = (
    "clinical_model"  # candidate predictor of the pre-operative risk model (CLINICAL.md outcome model)
)
OUTCOME = "outcome"  # used by the outcome definition (hsp_desktop.clinical.outcome)
CHILD_PUGH = "child_pugh"  # component of the derived Child-Pugh score
BODY_SIZE = "bsa"  # component of BMI/BSA
ELIGIBILITY = "eligibility"  # used by the study-eligibility check


@dataclass(frozen=True)
class Variable:
    """One variable of the data dictionary.

    Attributes
    ----------
    name : str
        Canonical name (CSV column, registry field, model feature).
    label_en, label_zh : str
        Labels for forms and reports (English, Simplified Chinese).
    type : {"str", "int", "float", "binary", "category", "date"}
        Value type; ``binary`` is 0/1, ``date`` an ISO date.
    unit : str
        Canonical unit ("" when unitless).
    alt_units : tuple of AltUnit
        Accepted alternative units with exact conversions and unit-trap intervals.
    range : (float, float) or None
        Hard range in the canonical unit; entry outside it is rejected.
    required : bool
        Whether a record is incomplete without it.
    model_inputs : tuple of str
        Which model inputs use it (``clinical_model``, ``outcome``, ``child_pugh``, ``bsa``, ``eligibility``).
    choices : tuple of str or None
        Allowed values of a category (forms draw a drop-down).
    choice_labels_zh : tuple of str or None
        Chinese labels of the choices, same order.
    decimals : int or None
        Decimals a form shows and the registry keeps.
    group : str
        Form section.
    derived : bool
        Computed from other fields when absent (BMI, BSA, Child-Pugh).
    help_en : str
        One-line help text (definition, source).
    pattern : str or None
        Regular expression a text value must match in full (e.g. the study id).
    max_length : int or None
        Longest accepted text.
    """

    name: str
    label_en: str
    label_zh: str
    type: VarType
    unit: str = ""
    alt_units: tuple[AltUnit, ...] = ()
    range: tuple[float, float] | None = None
    required: bool = False
    model_inputs: tuple[str, ...] = ()
    choices: tuple[str, ...] | None = None
    choice_labels_zh: tuple[str, ...] | None = None
    decimals: int | None = None
    group: str = ""
    derived: bool = False
    help_en: str = ""
    pattern: str | None = None
    max_length: int | None = None

    def label(self, language: str = "en") -> str:
        """Return the label in ``language`` ("en" or "zh"; anything else gives English)."""
        return self.label_zh if language.lower().startswith("zh") else self.label_en

    def choice_label(self, choice: str, language: str = "en") -> str:
        """Return the display label of one choice of a category (the choice itself in English)."""
        if self.choices is None or choice not in self.choices:
            raise KeyError(f"{choice!r} is not a choice of {self.name}")
        if language.lower().startswith("zh") and self.choice_labels_zh is not None:
            return self.choice_labels_zh[self.choices.index(choice)]
        return choice

    def alt_unit(self, unit: str) -> AltUnit | None:
        """Return the alternative unit named ``unit`` (None when it is the canonical unit or unknown)."""
        for alt in self.alt_units:
            if unit_matches(unit, alt.symbol, alt.aliases):
                return alt
        return None

    def is_canonical_unit(self, unit: str) -> bool:
        """Tell whether ``unit`` spells the canonical unit (or is empty)."""
        return not unit.strip() or unit_matches(unit, self.unit, _CANONICAL_ALIASES.get(self.name, ()))


_PER_UL = AltUnit("/µL", PER_UL_TO_1E9_PER_L, ("/ul", "per ul", "cells/ul", "/mm3", "/cmm"))
_K_PER_UL = AltUnit("×10³/µL", 1.0, ("x10^3/ul", "10^3/ul", "k/ul", "x103/ul", "10*3/ul", "thou/ul"))
_G_DL = AltUnit("g/dL", G_DL_TO_G_L, ("g/dl", "g%"))
_CM_DIAM = AltUnit("cm", 10.0)
_LITRE = AltUnit("L", 1000.0, ("l", "litre", "liter", "dm3"))
_CM3 = AltUnit("cm³", 1.0, ("cm3", "cc", "ml"))

_CANONICAL_ALIASES: dict[str, tuple[str, ...]] = {
    "platelets": ("x10^9/l", "10^9/l", "x109/l", "g/l", "10*9/l"),
    "wbc": ("x10^9/l", "10^9/l", "x109/l", "g/l", "10*9/l"),
    "bilirubin": ("umol/l", "micromol/l"),
    "creatinine": ("umol/l", "micromol/l"),
    "spleen_volume_ml": ("ml", "cm3", "cc"),
    "liver_volume_ml": ("ml", "cm3", "cc"),
    "bsa": ("m2", "m^2"),
    "bmi": ("kg/m2", "kg/m^2"),
    "sodium": ("mmol/l", "meq/l"),
    "alt": ("u/l", "iu/l"),
    "ast": ("u/l", "iu/l"),
}

_YES_NO_ZH = ("否", "是")
#: Study ids: letters, digits, "-" and "_" (the registry's constraint), e.g. ``HSP-0001``.
STUDY_ID_PATTERN = r"[A-Za-z0-9_-]{1,32}"


def _flag(
    name: str, en: str, zh: str, group: str, *, required: bool = False, inputs: tuple[str, ...] = ()
) -> Variable:
    return Variable(
        name,
        en,
        zh,
        "binary",
        choices=("0", "1"),
        choice_labels_zh=_YES_NO_ZH,
        required=required,
        model_inputs=inputs,
        group=group,
        decimals=0,
    )


_PRE: tuple[Variable, ...] = (
    # Identity / administration
    Variable(
        "study_id",
        "Study ID",
        "研究编号",
        "str",
        required=True,
        group="identity",
        help_en="e.g. HSP-0001 (letters, digits, '-' and '_'; at most 32)",
        pattern=STUDY_ID_PATTERN,
        max_length=32,
    ),
    Variable("site", "Site", "中心", "str", group="identity", max_length=64),
    Variable(
        "cohort",
        "Cohort",
        "队列",
        "category",
        choices=("development", "validation"),
        choice_labels_zh=("建模队列", "验证队列"),
        group="identity",
    ),
    Variable("transplant_date", "Transplant date", "肝移植日期", "date", required=True, group="identity"),
    Variable(
        "ct_date",
        "Pre-operative CT date",
        "术前CT日期",
        "date",
        group="identity",
        help_en="portal-venous CT before transplantation",
    ),
    _flag(
        "consent",
        "Written informed consent",
        "已签署知情同意书",
        "eligibility",
        required=True,
        inputs=(ELIGIBILITY,),
    ),
    # Eligibility flags (study exclusions)
    _flag(
        "prior_splenectomy",
        "Splenectomy before transplant",
        "移植前脾切除术",
        "eligibility",
        required=True,
        inputs=(ELIGIBILITY,),
    ),
    _flag(
        "prior_splenic_embolisation",
        "Splenic-artery embolisation before transplant",
        "移植前脾动脉栓塞",
        "eligibility",
        required=True,
        inputs=(ELIGIBILITY,),
    ),
    _flag(
        "splenic_artery_ligation",
        "Splenic-artery ligation during transplant",
        "移植术中脾动脉结扎",
        "eligibility",
        required=True,
        inputs=(ELIGIBILITY,),
    ),
    _flag(
        "post_lt_splenic_embolisation",
        "Splenic embolisation after transplant",
        "移植后脾栓塞",
        "eligibility",
        required=True,
        inputs=(ELIGIBILITY,),
    ),
    _flag(
        "tips_or_portal_surgery",
        "TIPS or portal-pressure-lowering surgery",
        "TIPS或门静脉降压手术",
        "eligibility",
        required=True,
        inputs=(ELIGIBILITY,),
    ),
    _flag(
        "perioperative_death",
        "Perioperative death",
        "围手术期死亡",
        "eligibility",
        required=True,
        inputs=(ELIGIBILITY,),
    ),
    _flag(
        "haematological_disease",
        "Haematological disease",
        "血液系统疾病",
        "eligibility",
        required=True,
        inputs=(ELIGIBILITY,),
    ),
    # Demographics and body size
    Variable(
        "age",
        "Age",
        "年龄",
        "int",
        unit="years",
        range=(18, 75),
        required=True,
        model_inputs=(CLINICAL_MODEL, ELIGIBILITY),
        decimals=0,
        group="demographics",
        help_en="age at transplantation; the study enrols 18-75",
    ),
    Variable(
        "sex",
        "Sex",
        "性别",
        "category",
        choices=("M", "F"),
        choice_labels_zh=("男", "女"),
        required=True,
        group="demographics",
    ),
    Variable(
        "height_cm",
        "Height",
        "身高",
        "float",
        unit="cm",
        alt_units=(
            AltUnit("m", 100.0, ("metre", "meter"), trap=(1.0, 2.3)),
            AltUnit("in", INCH_TO_CM, ("inch",)),
        ),
        range=(120, 220),
        required=True,
        model_inputs=(BODY_SIZE, OUTCOME),
        decimals=0,
        group="demographics",
    ),
    Variable(
        "weight_kg",
        "Weight",
        "体重",
        "float",
        unit="kg",
        alt_units=(AltUnit("lb", POUND_TO_KG, ("lbs", "pound")),),
        range=(30, 250),
        required=True,
        model_inputs=(BODY_SIZE, OUTCOME),
        decimals=1,
        group="demographics",
    ),
    Variable(
        "bmi",
        "Body-mass index",
        "体重指数",
        "float",
        unit="kg/m²",
        range=(12, 60),
        decimals=1,
        group="demographics",
        derived=True,
        help_en="weight / height^2; computed from height and weight",
    ),
    Variable(
        "bsa",
        "Body-surface area (Mosteller)",
        "体表面积（Mosteller）",
        "float",
        unit="m²",
        range=(0.8, 3.2),
        model_inputs=(OUTCOME,),
        decimals=2,
        group="demographics",
        derived=True,
        help_en="sqrt(height_cm * weight_kg / 3600); computed from height and weight",
    ),
    # Liver disease and graft
    Variable(
        "aetiology",
        "Aetiology of liver disease",
        "肝病病因",
        "category",
        choices=("hbv", "hcv", "alcohol", "autoimmune", "masld", "other"),
        choice_labels_zh=("乙型肝炎", "丙型肝炎", "酒精性", "自身免疫性/PBC/PSC", "MASLD/隐源性", "其他"),
        required=True,
        model_inputs=(CLINICAL_MODEL,),
        group="liver",
    ),
    _flag("hcc", "Hepatocellular carcinoma", "肝细胞癌", "liver", required=True),
    Variable(
        "graft_type",
        "Graft type",
        "供肝类型",
        "category",
        choices=("deceased_whole", "living", "split"),
        choice_labels_zh=("尸体全肝", "活体肝", "劈离式肝"),
        required=True,
        model_inputs=(CLINICAL_MODEL,),
        group="liver",
    ),
    Variable(
        "grwr",
        "Graft-to-recipient weight ratio",
        "移植物受体重量比",
        "float",
        unit="%",
        range=(0.4, 2.5),
        model_inputs=(CLINICAL_MODEL,),
        decimals=2,
        group="liver",
        help_en="partial grafts (living, split) only",
    ),
    Variable(
        "meld",
        "MELD score",
        "MELD评分",
        "float",
        unit="points",
        range=(6, 40),
        required=True,
        model_inputs=(CLINICAL_MODEL,),
        decimals=1,
        group="liver",
    ),
    Variable(
        "child_pugh",
        "Child-Pugh score",
        "Child-Pugh评分",
        "int",
        unit="points",
        range=(5, 15),
        required=True,
        decimals=0,
        group="liver",
        derived=True,
        help_en="from bilirubin, albumin, INR, ascites and encephalopathy when not entered",
    ),
    # Laboratory
    Variable(
        "platelets",
        "Platelet count",
        "血小板计数",
        "float",
        unit="×10⁹/L",
        alt_units=(AltUnit(_PER_UL.symbol, _PER_UL.factor, _PER_UL.aliases, trap=(5000.0, 1.5e6)), _K_PER_UL),
        range=(1, 1500),
        required=True,
        model_inputs=(CLINICAL_MODEL, OUTCOME),
        decimals=0,
        group="labs",
    ),
    Variable(
        "wbc",
        "White-cell count",
        "白细胞计数",
        "float",
        unit="×10⁹/L",
        alt_units=(AltUnit(_PER_UL.symbol, _PER_UL.factor, _PER_UL.aliases, trap=(300.0, 1.0e5)), _K_PER_UL),
        range=(0.1, 100),
        required=True,
        model_inputs=(CLINICAL_MODEL, OUTCOME),
        decimals=2,
        group="labs",
    ),
    Variable(
        "haemoglobin",
        "Haemoglobin",
        "血红蛋白",
        "float",
        unit="g/L",
        alt_units=(AltUnit(_G_DL.symbol, _G_DL.factor, _G_DL.aliases, trap=(3.0, 22.0)),),
        range=(30, 220),
        decimals=0,
        group="labs",
    ),
    Variable(
        "bilirubin",
        "Total bilirubin",
        "总胆红素",
        "float",
        unit="µmol/L",
        alt_units=(AltUnit("mg/dL", BILIRUBIN_MG_DL_TO_UMOL_L, ("mg/dl", "mg%"), trap=(0.05, 4.9)),),
        range=(1, 1000),
        model_inputs=(CHILD_PUGH,),
        decimals=1,
        group="labs",
    ),
    Variable(
        "albumin",
        "Albumin",
        "白蛋白",
        "float",
        unit="g/L",
        alt_units=(AltUnit(_G_DL.symbol, _G_DL.factor, _G_DL.aliases, trap=(0.5, 6.5)),),
        range=(10, 60),
        model_inputs=(CHILD_PUGH,),
        decimals=1,
        group="labs",
    ),
    Variable(
        "inr",
        "INR",
        "国际标准化比值",
        "float",
        range=(0.7, 10),
        model_inputs=(CHILD_PUGH,),
        decimals=2,
        group="labs",
    ),
    Variable(
        "creatinine",
        "Creatinine",
        "肌酐",
        "float",
        unit="µmol/L",
        alt_units=(AltUnit("mg/dL", CREATININE_MG_DL_TO_UMOL_L, ("mg/dl", "mg%"), trap=(0.1, 9.9)),),
        range=(10, 1500),
        decimals=0,
        group="labs",
    ),
    Variable("sodium", "Sodium", "血钠", "float", unit="mmol/L", range=(100, 175), decimals=0, group="labs"),
    Variable(
        "alt",
        "Alanine aminotransferase",
        "丙氨酸氨基转移酶",
        "float",
        unit="U/L",
        alt_units=(AltUnit("µkat/L", 60.0, ("ukat/l",)),),
        range=(1, 10000),
        decimals=0,
        group="labs",
    ),
    Variable(
        "ast",
        "Aspartate aminotransferase",
        "天冬氨酸氨基转移酶",
        "float",
        unit="U/L",
        alt_units=(AltUnit("µkat/L", 60.0, ("ukat/l",)),),
        range=(1, 10000),
        decimals=0,
        group="labs",
    ),
    # Portal hypertension
    _flag("ascites", "Ascites", "腹水", "portal_hypertension", required=True, inputs=(CHILD_PUGH,)),
    _flag("varices", "Oesophagogastric varices", "食管胃静脉曲张", "portal_hypertension", required=True),
    _flag(
        "variceal_bleed", "Prior variceal bleeding", "既往静脉曲张出血", "portal_hypertension", required=True
    ),
    _flag(
        "encephalopathy",
        "Hepatic encephalopathy",
        "肝性脑病",
        "portal_hypertension",
        required=True,
        inputs=(CHILD_PUGH,),
    ),
    _flag(
        "pvt_partial",
        "Partial portal-vein thrombosis",
        "部分门静脉血栓",
        "portal_hypertension",
        required=True,
    ),
    _flag(
        "splenorenal_shunt",
        "Spontaneous splenorenal shunt",
        "自发性脾肾分流",
        "portal_hypertension",
        required=True,
        inputs=(CLINICAL_MODEL,),
    ),
    # CT measurements
    Variable(
        "spleen_volume_ml",
        "Spleen volume (CT)",
        "脾脏体积（CT）",
        "float",
        unit="ml",
        alt_units=(_CM3, AltUnit(_LITRE.symbol, _LITRE.factor, _LITRE.aliases, trap=(0.03, 5.0))),
        range=(30, 5000),
        required=True,
        model_inputs=(CLINICAL_MODEL, OUTCOME),
        decimals=1,
        group="imaging",
    ),
    Variable(
        "spleen_length_cm",
        "Spleen craniocaudal length",
        "脾脏上下径",
        "float",
        unit="cm",
        alt_units=(AltUnit("mm", 0.1, (), trap=(36.0, 350.0)),),
        range=(3, 35),
        required=True,
        model_inputs=(CLINICAL_MODEL, OUTCOME),
        decimals=1,
        group="imaging",
    ),
    Variable(
        "portal_vein_mm",
        "Portal-vein diameter",
        "门静脉直径",
        "float",
        unit="mm",
        alt_units=(AltUnit(_CM_DIAM.symbol, _CM_DIAM.factor, trap=(0.4, 3.99)),),
        range=(4, 35),
        model_inputs=(CLINICAL_MODEL,),
        decimals=1,
        group="imaging",
    ),
    Variable(
        "splenic_vein_mm",
        "Splenic-vein diameter",
        "脾静脉直径",
        "float",
        unit="mm",
        alt_units=(AltUnit(_CM_DIAM.symbol, _CM_DIAM.factor, trap=(0.2, 1.99)),),
        range=(2, 30),
        model_inputs=(CLINICAL_MODEL,),
        decimals=1,
        group="imaging",
    ),
    Variable(
        "splenic_artery_mm",
        "Splenic-artery diameter",
        "脾动脉直径",
        "float",
        unit="mm",
        alt_units=(AltUnit(_CM_DIAM.symbol, _CM_DIAM.factor, trap=(0.1, 0.99)),),
        range=(1, 20),
        decimals=1,
        group="imaging",
    ),
    Variable(
        "liver_volume_ml",
        "Liver volume (CT)",
        "肝脏体积（CT）",
        "float",
        unit="ml",
        alt_units=(_CM3, AltUnit(_LITRE.symbol, _LITRE.factor, _LITRE.aliases, trap=(0.3, 5.0))),
        range=(300, 5000),
        required=True,
        decimals=0,
        group="imaging",
    ),
)

_FU: tuple[Variable, ...] = (
    Variable(
        "study_id",
        "Study ID",
        "研究编号",
        "str",
        required=True,
        group="visit",
        pattern=STUDY_ID_PATTERN,
        max_length=32,
    ),
    Variable("date", "Visit date", "随访日期", "date", required=True, group="visit"),
    Variable(
        "day",
        "Days since transplant",
        "移植后天数",
        "int",
        unit="days",
        range=(0, 3650),
        model_inputs=(OUTCOME,),
        decimals=0,
        group="visit",
        derived=True,
        help_en="computed from the visit date and the transplant date",
    ),
    replace(_PRE[[v.name for v in _PRE].index("platelets")], required=False, group="labs"),
    replace(_PRE[[v.name for v in _PRE].index("wbc")], required=False, group="labs"),
    replace(_PRE[[v.name for v in _PRE].index("haemoglobin")], required=False, group="labs"),
    Variable(
        "spleen_volume_ml",
        "Spleen volume",
        "脾脏体积",
        "float",
        unit="ml",
        alt_units=(_CM3, AltUnit(_LITRE.symbol, _LITRE.factor, _LITRE.aliases, trap=(0.03, 5.0))),
        range=(30, 5000),
        model_inputs=(OUTCOME,),
        decimals=1,
        group="imaging",
    ),
    Variable(
        "spleen_length_cm",
        "Spleen craniocaudal length",
        "脾脏上下径",
        "float",
        unit="cm",
        alt_units=(AltUnit("mm", 0.1, (), trap=(36.0, 350.0)),),
        range=(3, 35),
        model_inputs=(OUTCOME,),
        decimals=1,
        group="imaging",
    ),
    _flag(
        "pv_complication",
        "Portal-vein stenosis or thrombosis",
        "门静脉狭窄或血栓",
        "adjudication",
        inputs=(OUTCOME,),
    ),
    _flag("ha_thrombosis", "Hepatic-artery thrombosis", "肝动脉血栓", "adjudication", inputs=(OUTCOME,)),
    _flag(
        "rejection_or_graft_dysfunction",
        "Rejection or graft dysfunction",
        "排斥反应或移植物功能不全",
        "adjudication",
        inputs=(OUTCOME,),
    ),
    _flag(
        "infection", "CMV / EBV infection or sepsis", "CMV/EBV感染或脓毒症", "adjudication", inputs=(OUTCOME,)
    ),
    _flag(
        "myelotoxic_drugs",
        "Myelotoxic drugs (MMF, valganciclovir, TMP-SMX, mTOR inhibitor)",
        "骨髓抑制药物（MMF、缬更昔洛韦、复方磺胺甲噁唑、mTOR抑制剂）",
        "adjudication",
        inputs=(OUTCOME,),
    ),
    Variable(
        "intervention",
        "Treatment for hypersplenism",
        "脾功能亢进治疗",
        "category",
        choices=("", "pse", "splenectomy", "tpo_agonist"),
        choice_labels_zh=("无", "部分脾栓塞", "脾切除术", "TPO受体激动剂"),
        model_inputs=(OUTCOME,),
        group="events",
    ),
    Variable(
        "event",
        "Competing event",
        "竞争事件",
        "category",
        choices=("", "death", "retransplant"),
        choice_labels_zh=("无", "死亡", "再次肝移植"),
        model_inputs=(OUTCOME,),
        group="events",
    ),
    _flag("bleeding", "Bleeding", "出血", "events"),
    Variable("notes", "Notes", "备注", "str", group="events", max_length=2000),
)

#: Pre-operative record variables in form order.
VARIABLES: Mapping[str, Variable] = MappingProxyType({v.name: v for v in _PRE})
#: Follow-up visit variables (CONTRACTS section B) in form order.
FOLLOWUP_VARIABLES: Mapping[str, Variable] = MappingProxyType({v.name: v for v in _FU})
#: Variables CLINICAL.md flags as unit traps, with the alternative unit each is checked for.
UNIT_TRAPS: Mapping[str, str] = MappingProxyType(
    {
        v.name: a.symbol
        for v in _PRE
        for a in v.alt_units
        if a.trap is not None
        and v.name in {"platelets", "wbc", "bilirubin", "creatinine", "albumin", "haemoglobin"}
    }
)


#: Abbreviations the ward writes, for the "did you mean" hint on an unknown field (never applied silently).
ALIASES: dict[str, str] = {
    "plt": "platelets",
    "plts": "platelets",
    "platelet": "platelets",
    "hb": "haemoglobin",
    "hgb": "haemoglobin",
    "hemoglobin": "haemoglobin",
    "wcc": "wbc",
    "leukocytes": "wbc",
    "sv": "spleen_volume_ml",
    "spleen_volume": "spleen_volume_ml",
    "sl": "spleen_length_cm",
    "spleen_length": "spleen_length_cm",
    "pv": "portal_vein_mm",
    "svd": "splenic_vein_mm",
    "bili": "bilirubin",
    "alb": "albumin",
    "cr": "creatinine",
    "na": "sodium",
}


@dataclass(frozen=True)
class Conversion:
    """A unit conversion applied to one field."""

    field: str
    value: float
    unit: str
    canonical: float
    canonical_unit: str
    confirmed: bool  # True: a unit trap converted on the user's confirmation; False: an explicit unit

    def __str__(self) -> str:
        how = "confirmed unit-trap conversion" if self.confirmed else "explicit unit"
        return f"{self.field}: {self.value:g} {self.unit} -> {self.canonical:g} {self.canonical_unit} ({how})"


@dataclass(frozen=True)
class ValidatedRecord:
    """The result of validating one record.

    Attributes
    ----------
    values : dict
        Canonical values (None where missing), derived fields filled in.
    problems : list of Problem
        Everything that blocks saving the record, all at once.
    warnings : list of Problem
        Plausibility remarks that do not block saving.
    conversions : list of Conversion
        Unit conversions applied.
    """

    values: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    conversions: list[Conversion] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no problem blocks the record."""
        return not self.problems

    def raise_for_problems(self) -> ValidatedRecord:
        """Raise :class:`~hsp_desktop.errors.ValidationError` listing every problem, or return ``self``."""
        if self.problems:
            n = len(self.problems)
            study = self.values.get("study_id")
            who = f" for {study}" if study else ""
            raise ValidationError(
                f"{n} problem{'s' if n != 1 else ''} in the record{who}",
                problems=self.problems,
                fix="correct each field listed and submit again",
            )
        return self


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _fmt(value: float) -> str:
    return f"{value:.6g}"


_TRUE = {"1", "1.0", "yes", "y", "true", "t", "是", "有"}
_FALSE = {"0", "0.0", "no", "n", "false", "f", "否", "无"}
_CATEGORY_SYNONYMS = {
    "sex": {"male": "M", "m": "M", "男": "M", "female": "F", "f": "F", "女": "F"},
    "aetiology": {
        "hepatitis b": "hbv",
        "hepatitis c": "hcv",
        "alcoholic": "alcohol",
        "ald": "alcohol",
        "nafld": "masld",
        "nash": "masld",
        "mash": "masld",
        "cryptogenic": "masld",
        "pbc": "autoimmune",
        "psc": "autoimmune",
        "aih": "autoimmune",
    },
    "graft_type": {
        "ddlt": "deceased_whole",
        "deceased": "deceased_whole",
        "ldlt": "living",
        "whole": "deceased_whole",
    },
    "intervention": {"none": "", "partial splenic embolisation": "pse", "eltrombopag": "tpo_agonist"},
    "event": {"none": "", "died": "death", "re-transplant": "retransplant", "relt": "retransplant"},
}


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: Characters that reorder or hide text (bidirectional overrides and isolates, zero-width characters, BOM) or
#: control characters: refused in free text and names, where they could make a record read differently.
UNSAFE_TEXT = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _parse_date(value: Any) -> dt.date:
    """A date from a date object or exactly ``YYYY-MM-DD`` (``2021-04-19junk``, ``20210419``, ``2021-W16-1`` refused)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if not _ISO_DATE.fullmatch(text):
        raise ValueError(f"not YYYY-MM-DD: {text!r}")
    return dt.date.fromisoformat(text)


class _Checker:
    """Validates one record against a variable mapping, collecting every problem."""

    def __init__(self, variables: Mapping[str, Variable], confirm_units: bool, row: int | None) -> None:
        self.variables = variables
        self.confirm_units = confirm_units
        self.row = row
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.conversions: list[Conversion] = []
        self.values: dict[str, Any] = {name: None for name in variables}

    def problem(self, name: str, value: Any, reason: str, fix: str, *, warning: bool = False) -> None:
        (self.warnings if warning else self.problems).append(Problem(name, value, reason, fix, row=self.row))

    def run(self, record: Mapping[str, Any]) -> None:
        units = {
            k[: -len("_unit")]: v
            for k, v in record.items()
            if k.endswith("_unit") and k[:-5] in self.variables
        }
        for key, raw in record.items():
            if key.endswith("_unit") and key[:-5] in self.variables:
                continue
            if key not in self.variables:
                alias = ALIASES.get(key.strip().lower())
                close = (
                    [alias]
                    if alias in self.variables
                    else difflib.get_close_matches(key, list(self.variables), n=1)
                )
                hint = (
                    f"did you mean '{close[0]}'?"
                    if close
                    else "remove the column or map it to a dictionary name"
                )
                self.problem(key, raw, "unknown field (not in the data dictionary)", hint)
                continue
            var = self.variables[key]
            if _is_missing(raw):
                continue
            unit = units.get(key)
            self.values[key] = self.parse(var, raw, None if _is_missing(unit) else str(unit))
        for name, var in self.variables.items():
            if var.required and self.values[name] is None and not var.derived and not self._had_error(name):
                self.problem(name, None, "required value missing", f"enter {var.label_en}" + _unit_hint(var))

    def _had_error(self, name: str) -> bool:
        return any(p.field == name for p in self.problems)

    def parse(self, var: Variable, raw: Any, unit: str | None) -> Any:
        if var.type == "str":
            text = str(raw).strip()
            if UNSAFE_TEXT.search(text):
                self.problem(
                    var.name,
                    raw.encode("unicode_escape").decode("ascii") if isinstance(raw, str) else raw,
                    "contains invisible or direction-changing characters",
                    "retype the text without pasting it (bidirectional overrides and zero-width characters are "
                    "refused)",
                )
                return None
            if var.max_length is not None and len(text) > var.max_length:
                self.problem(
                    var.name, raw, f"longer than {var.max_length} characters", f"shorten {var.label_en}"
                )
                return None
            if var.pattern is not None and not re.fullmatch(var.pattern, text):
                self.problem(
                    var.name,
                    raw,
                    "contains characters that are not allowed",
                    f"use letters, digits, '-' and '_' only ({var.help_en or var.label_en})",
                )
                return None
            return text
        if var.type == "date":
            try:
                return _parse_date(raw).isoformat()
            except ValueError:
                self.problem(var.name, raw, "not a date", "enter the date as YYYY-MM-DD")
                return None
        if var.type == "binary":
            text = str(raw).strip().lower()
            if isinstance(raw, bool):
                return int(raw)
            if text in _TRUE:
                return 1
            if text in _FALSE:
                return 0
            self.problem(var.name, raw, "not a yes/no value", "enter 1 (yes) or 0 (no)")
            return None
        if var.type == "category":
            assert var.choices is not None
            text = str(raw).strip()
            if text in var.choices:
                return text
            lowered = text.lower()
            for choice in var.choices:
                if choice.lower() == lowered:
                    return choice
            synonym = _CATEGORY_SYNONYMS.get(var.name, {}).get(lowered)
            if synonym is not None:
                return synonym
            shown = ", ".join(repr(c) for c in var.choices)
            self.problem(
                var.name, raw, f"not one of the allowed values ({shown})", "choose one of the listed values"
            )
            return None
        return self.parse_number(var, raw, unit)

    def parse_number(self, var: Variable, raw: Any, unit: str | None) -> Any:
        if isinstance(raw, bool):
            self.problem(var.name, raw, "a yes/no value where a number is expected", f"enter {var.label_en}")
            return None
        if isinstance(raw, int | float):
            number, written = float(raw), ""
        else:
            parsed = split_value_unit(str(raw))
            if parsed is None:
                self.problem(
                    var.name,
                    raw,
                    "not a number",
                    f"enter a number{_unit_hint(var)} (no thousands separator)",
                )
                return None
            number, written = parsed
        if not math.isfinite(number):
            self.problem(var.name, raw, "not a finite number", f"enter {var.label_en}{_unit_hint(var)}")
            return None
        if unit is not None and written and not unit_matches(written, unit):
            self.problem(
                var.name,
                raw,
                f"two different units given ('{written}' in the value, '{unit}' in {var.name}_unit)",
                "give the unit once",
            )
            return None
        written = unit if unit is not None else written
        value = number
        if written and not var.is_canonical_unit(written):
            alt = var.alt_unit(written)
            if alt is None:
                accepted = ", ".join([var.unit or "(no unit)", *(a.symbol for a in var.alt_units)])
                self.problem(
                    var.name,
                    raw,
                    f"unit '{written}' is not accepted for {var.label_en}",
                    f"use one of: {accepted}",
                )
                return None
            value = alt.to_canonical(number)
            self.conversions.append(
                Conversion(var.name, number, alt.symbol, value, var.unit, confirmed=False)
            )
        elif not written:
            for alt in var.alt_units:
                if alt.trap is not None and alt.trap[0] <= number <= alt.trap[1]:
                    converted = alt.to_canonical(number)
                    if self.confirm_units:
                        value = converted
                        self.conversions.append(
                            Conversion(var.name, number, alt.symbol, value, var.unit, confirmed=True)
                        )
                    else:
                        self.problem(
                            var.name,
                            raw,
                            f"{_fmt(number)} looks like {var.label_en} in {alt.symbol}, not {var.unit}",
                            f"confirm the conversion {_fmt(number)} {alt.symbol} x {_fmt(alt.factor)} = "
                            f"{_fmt(converted)} {var.unit} (confirm_units=True), or, if {_fmt(number)} {var.unit} is right, "
                            f"enter it with its unit ('{_fmt(number)} {var.unit}')",
                        )
                        return None
                    break
        if var.decimals is not None:
            value = round(value, var.decimals) if var.decimals > 0 else float(round(value))
        if var.range is not None and not (var.range[0] <= value <= var.range[1]):
            lo, hi = var.range
            self.problem(
                var.name,
                raw,
                f"outside the accepted range {_fmt(lo)}-{_fmt(hi)} {var.unit}".rstrip(),
                f"check the value and its unit ({var.unit or 'no unit'}); values outside {_fmt(lo)}-{_fmt(hi)} "
                "are not accepted",
            )
            return None
        if var.type == "int":
            if abs(value - round(value)) > 1e-9:
                self.problem(var.name, raw, "not a whole number", f"enter {var.label_en} as a whole number")
                return None
            return round(value)
        return value


def _unit_hint(var: Variable) -> str:
    return f" in {var.unit}" if var.unit else ""


def _cross_checks(chk: _Checker) -> None:
    v = chk.values
    h, w = v.get("height_cm"), v.get("weight_kg")
    if h is not None and w is not None:
        computed_bmi = round(float(_bmi(h, w)), 1)
        computed_bsa = round(float(bsa_mosteller(h, w)), 2)
        if v["bmi"] is not None and abs(v["bmi"] - computed_bmi) > 1.0:
            chk.problem(
                "bmi",
                v["bmi"],
                f"does not match height {h:g} cm and weight {w:g} kg (BMI {computed_bmi:g})",
                "check height, weight and BMI; leave BMI empty to compute it",
            )
        elif v["bmi"] is None:
            v["bmi"] = computed_bmi
        if v["bsa"] is not None and abs(v["bsa"] - computed_bsa) > 0.05:
            chk.problem(
                "bsa",
                v["bsa"],
                f"does not match height {h:g} cm and weight {w:g} kg (Mosteller BSA {computed_bsa:g} m²)",
                "check height and weight; leave BSA empty to compute it",
            )
        elif v["bsa"] is None:
            v["bsa"] = computed_bsa
        if v["bmi"] is not None and not (12 <= v["bmi"] <= 60):
            chk.problem("bmi", v["bmi"], "outside 12-60 kg/m²", "check height (cm) and weight (kg)")
    parts = [v.get(k) for k in ("bilirubin", "albumin", "inr", "ascites", "encephalopathy")]
    if all(p is not None for p in parts):
        computed = int(child_pugh(*parts))
        if v["child_pugh"] is None:
            v["child_pugh"] = computed
        elif v["child_pugh"] != computed:
            chk.problem(
                "child_pugh",
                v["child_pugh"],
                f"differs from the score computed from bilirubin, albumin, INR, ascites and HE ({computed}); "
                "graded ascites or encephalopathy can explain a difference",
                "check the components or the entered score",
                warning=True,
            )
    # MELD recomputed from the entered labs (issue 16 item 11): a disagreement is flagged before scoring
    for d in score_disagreements(v):
        if d["field"] == "meld":
            chk.problem(
                "meld",
                v["meld"],
                f"differs from the MELD computed from bilirubin, INR and creatinine ({d['computed']}) by more than "
                f"{d['tolerance']} points",
                "check the entered MELD, the labs and their units before scoring",
                warning=True,
            )
    components = ("child_pugh", "bilirubin", "albumin", "inr", "ascites", "encephalopathy")
    if v.get("child_pugh") is None and not any(chk._had_error(k) for k in components):
        chk.problem(
            "child_pugh",
            None,
            "required value missing and not computable",
            "enter the Child-Pugh score, or bilirubin, albumin, INR, ascites and encephalopathy",
        )
    graft = v.get("graft_type")
    if graft in ("living", "split") and v.get("grwr") is None and not chk._had_error("grwr"):
        chk.problem(
            "grwr", None, f"required for a {graft} graft", "enter the graft-to-recipient weight ratio in %"
        )
    if graft == "deceased_whole" and v.get("grwr") is not None:
        chk.problem(
            "grwr", v["grwr"], "given for a whole deceased-donor graft", "leave GRWR empty for whole grafts"
        )
    tx, ct = v.get("transplant_date"), v.get("ct_date")
    if tx is not None and ct is not None:
        gap = (dt.date.fromisoformat(tx) - dt.date.fromisoformat(ct)).days
        if gap < 0:
            chk.problem(
                "ct_date",
                ct,
                f"CT dated {-gap} days after the transplant ({tx}); the dates look swapped",
                "enter the pre-operative CT date and the transplant date in the right fields",
            )
        elif gap > 365:
            chk.problem(
                "ct_date",
                ct,
                f"CT {gap} days before transplant",
                "use a CT within a year before transplantation",
                warning=True,
            )
    if v.get("variceal_bleed") == 1 and v.get("varices") == 0:
        chk.problem(
            "variceal_bleed",
            1,
            "variceal bleeding recorded without varices",
            "check the varices and variceal-bleed fields",
            warning=True,
        )


def validate_record(
    record: Mapping[str, Any],
    *,
    confirm_units: bool = False,
    raise_errors: bool = False,
    row: int | None = None,
) -> ValidatedRecord:
    """Validate a pre-operative record against :data:`VARIABLES`.

    Parameters
    ----------
    record : mapping
        Field name -> value.  Values may be numbers, strings with a unit (``"2.0 mg/dL"``), or numbers with a
        ``"<field>_unit"`` key.  Missing values: None, NaN or "".
    confirm_units : bool, default False
        Convert suspected unit traps (e.g. platelets 66000 -> 66 x10^9/L).  Without it they are problems whose fix
        states the conversion.
    raise_errors : bool, default False
        Raise :class:`~hsp_desktop.errors.ValidationError` listing every problem instead of returning them.
    row : int, optional
        Row number to put in each problem (CSV import).

    Returns
    -------
    ValidatedRecord
        Canonical values with BMI, BSA and Child-Pugh derived where absent, every problem, warnings and the
        conversions applied.
    """
    chk = _Checker(VARIABLES, confirm_units, row)
    chk.run(record)
    _cross_checks(chk)
    result = ValidatedRecord(chk.values, chk.problems, chk.warnings, chk.conversions)
    return result.raise_for_problems() if raise_errors else result


def validate_visit(
    visit: Mapping[str, Any],
    *,
    transplant_date: str | dt.date | None = None,
    confirm_units: bool = False,
    raise_errors: bool = False,
    row: int | None = None,
) -> ValidatedRecord:
    """Validate one follow-up visit against :data:`FOLLOWUP_VARIABLES`.

    Parameters
    ----------
    visit : mapping
        One row of CONTRACTS section B.
    transplant_date : str or date, optional
        When given, ``day`` is computed from ``date`` (or checked against it) and a visit before the transplant is
        a problem.
    confirm_units, raise_errors, row
        As in :func:`validate_record`.

    Returns
    -------
    ValidatedRecord
        Canonical visit values and every problem.
    """
    chk = _Checker(FOLLOWUP_VARIABLES, confirm_units, row)
    chk.run(visit)
    v = chk.values
    if transplant_date is not None and v.get("date") is not None:
        tx = _parse_date(transplant_date)
        day = (dt.date.fromisoformat(v["date"]) - tx).days
        if day < 0:
            chk.problem(
                "date",
                v["date"],
                f"visit dated {-day} days before the transplant ({tx.isoformat()})",
                "check the visit date and the transplant date",
            )
        elif v["day"] is None:
            v["day"] = day
        elif v["day"] != day:
            chk.problem(
                "day",
                v["day"],
                f"does not match the visit date (day {day} after transplant {tx.isoformat()})",
                "leave 'day' empty to compute it from the date",
            )
    measured = [k for k in ("platelets", "wbc", "haemoglobin", "spleen_volume_ml", "spleen_length_cm")]
    flags = [
        "pv_complication",
        "ha_thrombosis",
        "rejection_or_graft_dysfunction",
        "infection",
        "myelotoxic_drugs",
        "bleeding",
    ]
    anything = any(v.get(k) is not None for k in measured) or any(v.get(k) for k in flags)
    if not anything and not v.get("intervention") and not v.get("event") and not chk.problems:
        chk.problem(
            "visit",
            None,
            "the visit records no measurement, flag, intervention or event",
            "enter at least one value or do not save the visit",
        )
    result = ValidatedRecord(v, chk.problems, chk.warnings, chk.conversions)
    return result.raise_for_problems() if raise_errors else result


def validate_records(
    records: Iterable[Mapping[str, Any]], *, confirm_units: bool = False, first_row: int = 1
) -> list[ValidatedRecord]:
    """Validate many records (a CSV import); each problem carries its row number (``first_row`` for the first)."""
    return [validate_record(r, confirm_units=confirm_units, row=first_row + i) for i, r in enumerate(records)]

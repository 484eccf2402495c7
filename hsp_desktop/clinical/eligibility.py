"""Study eligibility (CLINICAL.md section 1, "Study exclusions"), enforced at enrolment with every reason."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hsp_desktop.errors import EligibilityError

AGE_RANGE = (18, 75)


@dataclass(frozen=True)
class Exclusion:
    """One exclusion criterion: the flags that trigger it and the reason shown."""

    code: str
    flags: tuple[str, ...]
    reason_en: str
    reason_zh: str


#: The study's exclusion criteria (besides age and consent), in protocol order.
EXCLUSIONS: tuple[Exclusion, ...] = (
    Exclusion(
        "prior_splenic_procedure",
        ("prior_splenectomy", "prior_splenic_embolisation"),
        "splenectomy or splenic-artery embolisation before transplantation",
        "移植前脾切除或脾动脉栓塞",
    ),
    Exclusion(
        "splenic_artery_procedure",
        ("splenic_artery_ligation", "post_lt_splenic_embolisation"),
        "splenic-artery ligation during transplantation or splenic embolisation after it",
        "移植术中脾动脉结扎或术后脾栓塞",
    ),
    Exclusion(
        "portal_decompression",
        ("tips_or_portal_surgery",),
        "TIPS or other portal-pressure-lowering surgery",
        "TIPS或其他门静脉降压手术",
    ),
    Exclusion("perioperative_death", ("perioperative_death",), "perioperative death", "围手术期死亡"),
    Exclusion(
        "haematological_disease",
        ("haematological_disease",),
        "haematological disease",
        "血液系统疾病",
    ),
)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "1.0", "yes", "true", "y", "是"}
    return bool(value)


def check_eligibility(record: Mapping[str, Any], *, language: str = "en") -> tuple[bool, list[str]]:
    """Check a recipient against the study's eligibility criteria.

    Criteria: age 18-75 years, written consent, and none of the exclusions of :data:`EXCLUSIONS` (prior
    splenectomy or splenic embolisation; splenic-artery ligation during or embolisation after transplantation;
    TIPS or portal-pressure-lowering surgery; perioperative death; haematological disease).  An unrecorded
    criterion is itself a reason: eligibility cannot be confirmed without it.

    Parameters
    ----------
    record : mapping
        Pre-operative record with ``age``, ``consent`` and the exclusion flags (canonical names).
    language : {"en", "zh"}, default "en"
        Language of the reasons.

    Returns
    -------
    (bool, list of str)
        Eligible or not, and every reason it is not (empty when eligible).
    """
    zh = language.lower().startswith("zh")
    lo, hi = AGE_RANGE
    reasons: list[str] = []
    age = record.get("age")
    if _missing(age):
        reasons.append(
            f"未记录年龄：请填写移植时年龄（{lo}-{hi}岁）"
            if zh
            else f"age not recorded: enter the age at transplantation ({lo}-{hi} years)"
        )
    else:
        try:
            a = float(str(age).strip())
        except (TypeError, ValueError):
            reasons.append(
                f"年龄 {age!r} 不是数字" if zh else f"age {age!r} is not a number: enter the age in years"
            )
        else:
            if not (lo <= a <= hi):
                reasons.append(
                    f"年龄 {a:g} 岁，超出研究范围 {lo}-{hi} 岁"
                    if zh
                    else f"age {a:g} years is outside the study's {lo}-{hi} years"
                )
    consent = record.get("consent")
    if _missing(consent):
        reasons.append(
            "未记录知情同意：入组前须签署书面知情同意书"
            if zh
            else "consent not recorded: record written informed consent before enrolment"
        )
    elif not _truthy(consent):
        reasons.append("未签署书面知情同意书" if zh else "no written informed consent")
    for exc in EXCLUSIONS:
        present = [f for f in exc.flags if not _missing(record.get(f)) and _truthy(record.get(f))]
        unknown = [f for f in exc.flags if _missing(record.get(f))]
        if present:
            reasons.append(
                f"排除：{exc.reason_zh}（{', '.join(present)}）"
                if zh
                else f"excluded: {exc.reason_en} ({', '.join(present)})"
            )
        elif unknown:
            reasons.append(
                f"未记录：{', '.join(unknown)}（排除标准：{exc.reason_zh}）"
                if zh
                else f"not recorded: {', '.join(unknown)} (exclusion '{exc.reason_en}')"
            )
    return (not reasons, reasons)


def require_eligible(record: Mapping[str, Any]) -> None:
    """Raise :class:`~hsp_desktop.errors.EligibilityError` with every reason when the recipient is not eligible."""
    eligible, reasons = check_eligibility(record)
    if not eligible:
        study = record.get("study_id") or "the recipient"
        raise EligibilityError(
            f"{study} does not meet the study's eligibility criteria",
            reasons=reasons,
            expected="age 18-75, written consent, no exclusion criterion",
            found="; ".join(reasons),
            fix="correct the record if it is wrong; otherwise the recipient cannot be enrolled",
            field="eligibility",
        )

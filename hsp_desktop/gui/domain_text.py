"""Words and sentences the domain code produces, translated through the same Qt catalogue as the GUI.

The domain packages stay free of Qt and speak English codes and sentences (``too_few_measurements``,
``finite_voxels``, "no cytopenia in the window (...)").  The screens show them through :func:`tr_domain`: a code is
looked up in :data:`CODES`, a sentence is matched against :data:`SENTENCES` (its numbers and names are carried
into the translated template).  Every entry is in ``hsp_zh_CN.ts`` (context ``domain``), so the test that fails on
an untranslated GUI string covers these too, and ``tests/gui/test_domain_i18n.py`` fails when the domain code
produces a sentence no pattern here translates.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QCoreApplication

from hsp_desktop.gui.noop import QT_TRANSLATE_NOOP

#: Codes shown as words: outcome flags, QC check names and statuses, risk bands, recipient statuses, events.
CODES: dict[str, str] = {
    # outcome flags
    "treated": QT_TRANSLATE_NOOP("domain", "treated for hypersplenism"),
    "treated_before_6_months": QT_TRANSLATE_NOOP("domain", "treated before 6 months"),
    "other_cause": QT_TRANSLATE_NOOP("domain", "another cause of cytopenia"),
    "window_open": QT_TRANSLATE_NOOP("domain", "assessment window still open"),
    "too_few_measurements": QT_TRANSLATE_NOOP("domain", "too few measurements"),
    "no_spleen_measurement": QT_TRANSLATE_NOOP("domain", "no spleen measurement"),
    "competing": QT_TRANSLATE_NOOP("domain", "competing event"),
    "splenic_artery_intervention": QT_TRANSLATE_NOOP("domain", "splenic-artery ligation or embolisation"),
    "pv_complication": QT_TRANSLATE_NOOP("domain", "portal-vein stenosis/thrombosis"),
    "ha_thrombosis": QT_TRANSLATE_NOOP("domain", "hepatic-artery thrombosis"),
    "rejection_or_graft_dysfunction": QT_TRANSLATE_NOOP("domain", "rejection or graft dysfunction"),
    "infection": QT_TRANSLATE_NOOP("domain", "infection"),
    "myelotoxic_drugs": QT_TRANSLATE_NOOP("domain", "myelotoxic drugs"),
    "bleeding": QT_TRANSLATE_NOOP("domain", "bleeding"),
    "death": QT_TRANSLATE_NOOP("domain", "death"),
    "retransplant": QT_TRANSLATE_NOOP("domain", "re-transplantation"),
    "pse": QT_TRANSLATE_NOOP("domain", "partial splenic embolisation"),
    "splenectomy": QT_TRANSLATE_NOOP("domain", "splenectomy"),
    "tpo_agonist": QT_TRANSLATE_NOOP("domain", "TPO-receptor agonist"),
    # QC checks and their statuses
    "geometry": QT_TRANSLATE_NOOP("domain", "CT/mask geometry"),
    "finite_voxels": QT_TRANSLATE_NOOP("domain", "every voxel a number"),
    "slice_thickness": QT_TRANSLATE_NOOP("domain", "slice thickness"),
    "in_plane_spacing": QT_TRANSLATE_NOOP("domain", "in-plane pixel spacing"),
    "image_hu_range": QT_TRANSLATE_NOOP("domain", "CT values in HU"),
    "roi_present": QT_TRANSLATE_NOOP("domain", "region present in the mask"),
    "roi_size": QT_TRANSLATE_NOOP("domain", "region size"),
    "roi_extent": QT_TRANSLATE_NOOP("domain", "region inside the scan"),
    "roi_mean_hu": QT_TRANSLATE_NOOP("domain", "mean HU of the region"),
    "connected_components": QT_TRANSLATE_NOOP("domain", "region in one piece"),
    "spleen_volume": QT_TRANSLATE_NOOP("domain", "spleen volume"),
    "ok": QT_TRANSLATE_NOOP("domain", "ok"),
    "warn": QT_TRANSLATE_NOOP("domain", "warning"),
    "fail": QT_TRANSLATE_NOOP("domain", "failed"),
    # risk bands
    "low": QT_TRANSLATE_NOOP("domain", "low"),
    "intermediate": QT_TRANSLATE_NOOP("domain", "intermediate"),
    "high": QT_TRANSLATE_NOOP("domain", "high"),
    # recipient statuses
    "enrolled": QT_TRANSLATE_NOOP("domain", "enrolled"),
    "scored": QT_TRANSLATE_NOOP("domain", "scored"),
    "outcome": QT_TRANSLATE_NOOP("domain", "outcome known"),
    "excluded": QT_TRANSLATE_NOOP("domain", "excluded"),
    "pending": QT_TRANSLATE_NOOP("domain", "pending"),
    "lossy_compression": QT_TRANSLATE_NOOP("domain", "no lossy compression"),
    "spleen_side": QT_TRANSLATE_NOOP("domain", "spleen on the patient's left"),
    "skipped_files": QT_TRANSLATE_NOOP("domain", "no file of the series skipped"),
    # recovery grades
    "full": QT_TRANSLATE_NOOP("domain", "full"),
    "partial": QT_TRANSLATE_NOOP("domain", "partial"),
    "none": QT_TRANSLATE_NOOP("domain", "none"),
    # model terms
    "DL-score (CNN)": QT_TRANSLATE_NOOP("domain", "DL-score (CNN)"),
    # mask labels
    "spleen": QT_TRANSLATE_NOOP("domain", "spleen"),
    "liver": QT_TRANSLATE_NOOP("domain", "liver"),
}

_NUM = r"(-?[0-9.]+|n/a)"
#: Sentences of the outcome derivation (``clinical.outcome``): (pattern, translatable template).
SENTENCES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"treated for hypersplenism \((\w+)\) on day (-?\d+): counts as refractory hypersplenism .*"
        ),
        QT_TRANSLATE_NOOP(
            "domain",
            "treated for hypersplenism ({0}) on day {1}: counts as refractory hypersplenism "
            "(flagged for sensitivity analyses)",
        ),
    ),
    (
        re.compile(r"(\w+) on day (-?\d+), before the assessment window \(day (\d+)\)"),
        QT_TRANSLATE_NOOP("domain", "{0} on day {1}, before the assessment window (day {2})"),
    ),
    (
        re.compile(r"assessment window \(days (\d+)-(\d+)\) closes on ([0-9-]+); today is day (-?\d+|None)"),
        QT_TRANSLATE_NOOP("domain", "assessment window (days {0}-{1}) closes on {2}; today is day {3}"),
    ),
    (
        re.compile(
            rf"no cytopenia in the window \(platelets {_NUM}, WBC {_NUM}; thresholds {_NUM} / {_NUM}, "
            r"rule '(\w+)'\)"
        ),
        QT_TRANSLATE_NOOP(
            "domain",
            "no cytopenia in the window (platelets {0}, WBC {1}; thresholds {2} / {3}, rule '{4}')",
        ),
    ),
    (
        re.compile(rf"no splenomegaly in the window \(volume {_NUM} ml, length {_NUM} cm\)"),
        QT_TRANSLATE_NOOP("domain", "no splenomegaly in the window (volume {0} ml, length {1} cm)"),
    ),
    (
        re.compile(r"cytopenia attributed to another cause: (.+)"),
        QT_TRANSLATE_NOOP("domain", "cytopenia attributed to another cause: {0}"),
    ),
    (
        re.compile(rf"cytopenia \(platelets {_NUM}, WBC {_NUM}\) with splenomegaly and no other cause"),
        QT_TRANSLATE_NOOP(
            "domain", "cytopenia (platelets {0}, WBC {1}) with splenomegaly and no other cause"
        ),
    ),
    (
        re.compile(
            r"too few counts in the window: platelets (\d+), WBC (\d+) \(need >= (\d+), >= (\d+) days apart\)"
        ),
        QT_TRANSLATE_NOOP(
            "domain", "too few counts in the window: platelets {0}, WBC {1} (need >= {2}, >= {3} days apart)"
        ),
    ),
    (
        re.compile(r"no spleen volume/length \(or BSA\) in the window to assess splenomegaly()"),
        QT_TRANSLATE_NOOP("domain", "no spleen volume/length (or BSA) in the window to assess splenomegaly"),
    ),
    (
        re.compile(
            r"splenic-artery ligation or embolisation recorded at enrolment \((.+)\): excluded by the protocol .*"
        ),
        QT_TRANSLATE_NOOP(
            "domain",
            "splenic-artery ligation or embolisation recorded at enrolment ({0}): excluded by the protocol (the "
            "estimand is the risk for recipients without splenic-artery intervention)",
        ),
    ),
    (
        re.compile(
            r"splenic-artery ligation or embolisation entered at the day-(\d+) visit \((\w+)\): excluded .*"
        ),
        QT_TRANSLATE_NOOP(
            "domain",
            "splenic-artery ligation or embolisation entered at the day-{0} visit ({1}): excluded by the protocol "
            "(the estimand is the risk for recipients without splenic-artery intervention)",
        ),
    ),
    (
        re.compile(r"splenic-artery ligation or embolisation recorded at enrolment \((.+)\): counted as .*"),
        QT_TRANSLATE_NOOP(
            "domain",
            "splenic-artery ligation or embolisation recorded at enrolment ({0}): counted as refractory "
            "hypersplenism (sensitivity setting; flagged)",
        ),
    ),
    (
        re.compile(
            r"splenic-artery ligation or embolisation entered at the day-(\d+) visit \((\w+)\): counted .*"
        ),
        QT_TRANSLATE_NOOP(
            "domain",
            "splenic-artery ligation or embolisation entered at the day-{0} visit ({1}): counted as refractory "
            "hypersplenism (sensitivity setting; flagged)",
        ),
    ),
    (
        re.compile(r"(\w+) on day (-?\d+), before the outcome could be derived"),
        QT_TRANSLATE_NOOP("domain", "{0} on day {1}, before the outcome could be derived"),
    ),
)


def tr_code(code: str) -> str:
    """A code (``too_few_measurements``, ``other_cause:infection``, ``finite_voxels``) as words."""
    if code in CODES:
        return QCoreApplication.translate("domain", CODES[code])
    if ":" in code:  # compound flags such as ``competing:death``
        return ": ".join(tr_code(part) for part in code.split(":"))
    return code


def tr_domain(text: str) -> str:
    """Translate a code or a domain sentence; anything unknown is returned unchanged."""
    if text in CODES or (":" in text and " " not in text):
        return tr_code(text)
    for pattern, template in SENTENCES:
        match = pattern.fullmatch(text)
        if match:
            parts = [
                tr_code(", ".join(tr_code(p) for p in g.split(", "))) if g else g for g in match.groups()
            ]
            return QCoreApplication.translate("domain", template).format(*parts)
    return text


def factor_label(feature: str, label: str) -> str:
    """A model factor's label in the interface language (the data dictionary's Chinese name when it has one).

    Radiomics terms keep their PyRadiomics names (``spleen__original_shape_MeshVolume``) in both languages: they
    are identifiers the radiologists look up, with the region translated in front.
    """
    from PySide6.QtCore import QLocale

    if QLocale().language() != QLocale.Language.Chinese:
        return label
    from hsp_desktop.clinical.dictionary import VARIABLES

    var = VARIABLES.get(feature)
    if var is not None:
        return str(var.label_zh)
    region, sep, rest = feature.partition("__")
    if sep and region in CODES:
        return f"{tr_code(region)}：{rest}"
    score = re.fullmatch(r"Rad-score \((\d+) (\w+) radiomics features\)", label)
    if score:
        return QCoreApplication.translate("domain", "Rad-score ({0} {1} radiomics features)").format(
            score.group(1), tr_code(score.group(2))
        )
    return tr_code(label)


def is_translated(text: str) -> bool:
    """True when :func:`tr_domain` knows ``text`` (a code or a sentence with a pattern)."""
    if text in CODES or (":" in text and " " not in text and all(p in CODES for p in text.split(":"))):
        return True
    return any(pattern.fullmatch(text) for pattern, _ in SENTENCES)

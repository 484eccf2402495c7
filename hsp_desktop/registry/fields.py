"""Column specifications of the registry's clinical tables (names from CONTRACTS section A/B).

Column *names* and storage kinds are part of the schema (frozen in migrations); the numeric ranges and category
lists come from the data dictionary (:mod:`hsp_desktop.clinical.dictionary`) and become ``CHECK`` constraints.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    """One stored clinical column.

    Attributes
    ----------
    name : str
        Canonical variable name.
    kind : str
        ``"real"``, ``"int"``, ``"binary"`` (0/1), ``"category"`` or ``"text"``.
    low, high : float or None
        Inclusive hard range in the canonical unit.
    choices : tuple of str
        Allowed values of a category.
    unit : str
        Canonical unit ("" when none).
    """

    name: str
    kind: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    unit: str = ""


_PREOP_KINDS: tuple[tuple[str, str], ...] = (
    ("age", "int"),
    ("sex", "category"),
    ("height_cm", "real"),
    ("weight_kg", "real"),
    ("bmi", "real"),
    ("bsa", "real"),
    ("aetiology", "category"),
    ("hcc", "binary"),
    ("graft_type", "category"),
    ("grwr", "real"),
    ("meld", "real"),
    ("child_pugh", "int"),
    ("platelets", "real"),
    ("wbc", "real"),
    ("haemoglobin", "real"),
    ("bilirubin", "real"),
    ("albumin", "real"),
    ("inr", "real"),
    ("creatinine", "real"),
    ("sodium", "real"),
    ("alt", "real"),
    ("ast", "real"),
    ("ascites", "binary"),
    ("varices", "binary"),
    ("variceal_bleed", "binary"),
    ("encephalopathy", "binary"),
    ("pvt_partial", "binary"),
    ("splenorenal_shunt", "binary"),
    ("spleen_volume_ml", "real"),
    ("spleen_length_cm", "real"),
    ("portal_vein_mm", "real"),
    ("splenic_vein_mm", "real"),
    ("splenic_artery_mm", "real"),
    ("liver_volume_ml", "real"),
)

_FOLLOWUP_KINDS: tuple[tuple[str, str], ...] = (
    ("platelets", "real"),
    ("wbc", "real"),
    ("haemoglobin", "real"),
    ("spleen_volume_ml", "real"),
    ("spleen_length_cm", "real"),
    ("pv_complication", "binary"),
    ("ha_thrombosis", "binary"),
    ("rejection_or_graft_dysfunction", "binary"),
    ("infection", "binary"),
    ("myelotoxic_drugs", "binary"),
    ("intervention", "category"),
    ("event", "category"),
    ("bleeding", "binary"),
    ("notes", "text"),
)

_KIND = {
    "float": "real",
    "int": "int",
    "binary": "binary",
    "category": "category",
    "str": "text",
    "date": "date",
}


def dictionary_field(name: str, kind: str, *, followup: bool = False) -> Field:
    """Return the column of ``name`` with the dictionary's range/choices; its kind must match the schema's."""
    from hsp_desktop.clinical.dictionary import FOLLOWUP_VARIABLES, VARIABLES

    var = (FOLLOWUP_VARIABLES if followup else VARIABLES)[name]
    dict_kind = _KIND[var.type]
    if dict_kind != kind and not (kind == "real" and dict_kind == "int"):
        raise ValueError(
            f"data dictionary type of {name} ({var.type}) no longer matches the registry column ({kind})"
        )
    low, high = (float(var.range[0]), float(var.range[1])) if var.range is not None else (None, None)
    choices = tuple(c for c in (var.choices or ()) if c != "") if kind == "category" else ()
    return Field(name=name, kind=kind, low=low, high=high, choices=choices, unit=var.unit)


def preop_fields() -> tuple[Field, ...]:
    """Return the pre-operative columns with ranges and choices from the data dictionary."""
    return tuple(dictionary_field(n, k) for n, k in _PREOP_KINDS)


def followup_fields() -> tuple[Field, ...]:
    """Return the follow-up columns with ranges and choices from the dictionary's follow-up variables."""
    return tuple(dictionary_field(n, k, followup=True) for n, k in _FOLLOWUP_KINDS)


PREOP_NAMES: tuple[str, ...] = tuple(n for n, _ in _PREOP_KINDS)
FOLLOWUP_NAMES: tuple[str, ...] = tuple(n for n, _ in _FOLLOWUP_KINDS)

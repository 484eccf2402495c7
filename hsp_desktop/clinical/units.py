"""Units of the data dictionary: canonical units, accepted alternatives with exact conversions, unit traps.

Every conversion here is a multiplication: ``canonical = value * factor``.  Factors are exact by definition
(µL -> 10^9/L, g/dL -> g/L) or the conventional clinical-chemistry factors (bilirubin 17.1, creatinine 88.4).

A *unit trap* is a value typed without a unit that is only plausible in an alternative unit, e.g. platelets
``66000`` (per µL, i.e. 66 x10^9/L) or bilirubin ``2.0`` (mg/dL, i.e. 34.2 µmol/L).  The dictionary detects them with
the ``trap`` interval of :class:`AltUnit` (the raw value lies inside it) and converts only with an explicit
confirmation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class AltUnit:
    """An accepted alternative unit of one variable.

    Attributes
    ----------
    symbol : str
        The unit as written, e.g. ``"mg/dL"``.
    factor : float
        ``canonical = value * factor``.
    aliases : tuple of str
        Other spellings accepted in files and forms (compared case-insensitively, spaces ignored).
    trap : (float, float) or None
        Raw values typed *without* a unit that fall in ``[low, high]`` are suspected to be in this unit.
    """

    symbol: str
    factor: float
    aliases: tuple[str, ...] = ()
    trap: tuple[float, float] | None = None

    def to_canonical(self, value: float) -> float:
        """Convert ``value`` from this unit to the canonical unit."""
        return value * self.factor


def normalise_unit(text: str) -> str:
    """Return a unit spelling reduced for comparison (lower case, no spaces, ``µ``/``μ``/``u`` unified)."""
    t = text.strip().lower().replace(" ", "").replace("μ", "u").replace("µ", "u")
    t = t.replace("×", "x").replace("^", "").replace("**", "").replace("³", "3").replace("²", "2")
    t = t.replace("⁹", "9")
    return t


def unit_matches(unit: str, symbol: str, aliases: tuple[str, ...] = ()) -> bool:
    """Tell whether a written ``unit`` names ``symbol`` or one of its ``aliases``."""
    key = normalise_unit(unit)
    return key == normalise_unit(symbol) or any(key == normalise_unit(a) for a in aliases)


_NUMBER_UNIT = re.compile(r"^\s*([-+]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


def split_value_unit(text: str) -> tuple[float, str] | None:
    """Split ``"66000 /uL"`` into ``(66000.0, "/uL")``; return None when ``text`` does not start with a number.

    A thousands separator is not accepted (``"66,000"`` reads as 66.0 would be ambiguous), so a comma is read as a
    decimal mark only when it is followed by one or two digits.
    """
    m = _NUMBER_UNIT.match(text)
    if not m:
        return None
    number = m.group(1)
    if "," in number:
        head, _, tail = number.partition(",")
        if len(tail) == 3:  # "66,000": thousands separator, refuse to guess
            return None
        number = f"{head}.{tail}"
    return float(number), m.group(2)


# Conversion factors used by the dictionary (kept here so that tests can check them in one place).
PER_UL_TO_1E9_PER_L = 1e-3  # 1 /µL = 1e6 /L = 1e-3 x10^9/L
BILIRUBIN_MG_DL_TO_UMOL_L = 17.1
CREATININE_MG_DL_TO_UMOL_L = 88.4
G_DL_TO_G_L = 10.0
POUND_TO_KG = 0.45359237
INCH_TO_CM = 2.54

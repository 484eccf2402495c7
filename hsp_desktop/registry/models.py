"""Plain value types returned by the registry (no SQL here)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

#: Roles, from most to least privileged.
ROLES = ("admin", "clinician", "coordinator", "readonly")
#: Roles allowed to enter or change clinical data.
WRITE_ROLES = frozenset({"admin", "clinician", "coordinator"})
#: Roles allowed to lock records and export identifying data.
CLINICAL_ROLES = frozenset({"admin", "clinician"})
ADMIN_ROLES = frozenset({"admin"})
ALL_ROLES = frozenset(ROLES)


@dataclass(frozen=True)
class User:
    """A signed-in user (returned by :meth:`Registry.authenticate`); every write names one.

    ``session`` is the sign-in token (:mod:`hsp_desktop.registry.sessions`): the registry refuses a ``User``
    whose token it did not issue to that user, and re-reads the role and state from the database on every write,
    so a ``User`` built by hand grants nothing.
    """

    id: int
    username: str
    role: str
    session: str | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Rejection:
    """One rejected cell of an import: spreadsheet row (header = row 1), column, value, reason and fix."""

    row: int
    column: str
    value: Any
    reason: str
    fix: str = ""

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column} = {self.value!r}: {self.reason}" + (
            f"; {self.fix}" if self.fix else ""
        )


@dataclass
class ImportReport:
    """The outcome of a CSV import (all-or-nothing).

    Attributes
    ----------
    path : str
        The file imported.
    ok : bool
        True when every row was imported; False when nothing was.
    rows : int
        Data rows read.
    imported : int
        Rows written (``rows`` or 0).
    rejected : list of Rejection
        Every rejected cell (row, column, value, reason, fix).
    conversions : list of str
        Unit conversions applied, each with its row (unit-trap conversions only with ``confirm_units``).
    warnings : list of str
        Plausibility remarks that did not block the import.
    excluded : list of str
        Study ids imported as not eligible, with their reasons.
    """

    path: str
    ok: bool = False
    rows: int = 0
    imported: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    conversions: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    #: Study ids written by a recipients import (used to roll a combined import back; not in :meth:`as_dict`).
    written: list[str] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """Return the report as plain data (for JSON output and the GUI)."""
        out = asdict(self)
        out.pop("written")
        out["rejected"] = [asdict(r) for r in self.rejected]
        return out

    def summary(self) -> str:
        """Return a human-readable report (one line per rejected cell)."""
        head = (
            f"{self.path}: imported {self.imported} of {self.rows} rows"
            if self.ok
            else f"{self.path}: nothing imported; {len(self.rejected)} rejected cell(s) in {self.rows} rows"
        )
        lines = [head, *(f"  rejected: {r}" for r in self.rejected)]
        lines += [f"  converted: {c}" for c in self.conversions]
        lines += [f"  warning: {w}" for w in self.warnings]
        lines += [f"  not eligible: {e}" for e in self.excluded]
        return "\n".join(lines)

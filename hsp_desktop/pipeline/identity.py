"""Identity guard: checks that a DICOM CT is the recipient's own pre-operative CT.

Compared, for a DICOM series (a NIfTI/NRRD/MHA file carries no identity: the guard says so and passes):

* **PatientID** with the recipient: equal to the study id (a pseudonymised export), or, with the site key, the
  registry's keyed pseudonym (HMAC) of PatientID must be the recipient's (``Registry.find_by_mrn``); a
  PatientID the registry cannot confirm (no MRN stored, no site key) counts as unconfirmed;
* **name** where stored: any component group of the DICOM PatientName (alphabetic or ideographic, ``^`` and
  spaces ignored, case-insensitive) must equal the stored name;
* **birth date**: the registry stores the age, so the age at the StudyDate from PatientBirthDate must be within
  one year of it;
* **StudyDate** must equal the recipient's CT date.

A mismatch or an unconfirmed PatientID blocks scoring (:class:`~hsp_desktop.errors.IdentityError`); a user whose
role allows it (:data:`OVERRIDE_ROLES`) may override with a reason, which is saved with the prediction, written
to the audit trail with the saving transaction, and printed on the report.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from hsp_desktop.errors import AuthError, IdentityError, InputError

__all__ = ["OVERRIDE_ROLES", "IdentityCheck", "IdentityReport", "check_identity", "require_identity"]

#: Roles that may score despite an identity mismatch (with a reason).
OVERRIDE_ROLES = frozenset({"admin", "clinician"})


@dataclass(frozen=True)
class IdentityCheck:
    """One compared item: ``status`` is match, mismatch, unconfirmed or not stored."""

    item: str
    status: str
    detail: str


@dataclass(frozen=True)
class IdentityReport:
    """The guard's verdict for one CT and recipient."""

    study_id: str
    applicable: bool
    checks: tuple[IdentityCheck, ...]
    override_reason: str | None = None
    override_by: str | None = None

    @property
    def blocking(self) -> list[IdentityCheck]:
        """Checks that block scoring without an override."""
        return [c for c in self.checks if c.status in ("mismatch", "unconfirmed")]

    @property
    def status(self) -> str:
        """The verdict: not applicable, match, overridden or mismatch."""
        if not self.applicable:
            return "not applicable"
        if not self.blocking:
            return "match"
        return "overridden" if self.override_reason else "mismatch"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form, as stored with the prediction (no MRN or name in it)."""
        return {
            "status": self.status,
            "checks": [{"item": c.item, "status": c.status, "detail": c.detail} for c in self.checks],
            "override_reason": self.override_reason,
            "override_by": self.override_by,
        }


def _name_groups(pn: str) -> set[str]:
    return {re.sub(r"[\s^]+", "", g).lower() for g in pn.split("=") if g.strip()}


def _date(text: Any) -> dt.date | None:
    value = str(text or "").replace("-", "")[:8]
    if len(value) != 8 or not value.isdigit():
        return None
    try:
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        return None


def _patient_id(registry: Any, study_id: str, record: dict[str, Any], pid: str) -> IdentityCheck:
    if not pid:
        return IdentityCheck("PatientID", "unconfirmed", "the CT has no PatientID")
    if pid == study_id:
        return IdentityCheck("PatientID", "match", "PatientID is the study pseudonym")
    if not getattr(registry, "has_site_key", False) or not record.get("mrn"):
        return IdentityCheck(
            "PatientID",
            "unconfirmed",
            "the registry holds no MRN for this recipient (or no site key): the PatientID cannot be confirmed",
        )
    owner = registry.find_by_mrn(pid)
    if owner == study_id:
        return IdentityCheck("PatientID", "match", "keyed pseudonym of PatientID equals the recipient's MRN")
    if owner:
        return IdentityCheck("PatientID", "mismatch", f"PatientID belongs to another recipient ({owner})")
    return IdentityCheck("PatientID", "mismatch", "PatientID is not the recipient's MRN")


def check_identity(
    registry: Any, study_id: str, record: dict[str, Any], meta: dict[str, Any]
) -> IdentityReport:
    """Compare the CT's DICOM identity (``CtVolume.meta``) with the registered recipient (see module docstring)."""
    if str(meta.get("format", "")).upper() != "DICOM":
        return IdentityReport(
            study_id, False, (IdentityCheck("source", "not stored", "not DICOM: no identity"),)
        )
    checks = [_patient_id(registry, study_id, record, str(meta.get("patient_id") or "").strip())]
    stored_name = str(record.get("name") or "").strip()
    pn = str(meta.get("patient_name") or "")
    if stored_name:
        ok = re.sub(r"[\s^]+", "", stored_name).lower() in _name_groups(pn)
        checks.append(
            IdentityCheck(
                "name", "match" if ok else "mismatch", "PatientName matches" if ok else "PatientName differs"
            )
        )
    else:
        checks.append(IdentityCheck("name", "not stored", "no name in the registry"))
    study = _date(meta.get("study_date"))
    birth = _date(meta.get("birth_date"))
    age = record.get("age")
    if birth is not None and study is not None and age is not None:
        years = study.year - birth.year - ((study.month, study.day) < (birth.month, birth.day))
        ok = abs(years - float(age)) <= 1.0
        checks.append(
            IdentityCheck(
                "birth date",
                "match" if ok else "mismatch",
                f"age at the CT from PatientBirthDate {years} y, registered age {float(age):g} y",
            )
        )
    else:
        checks.append(
            IdentityCheck("birth date", "not stored", "no birth date in the CT or no age registered")
        )
    ct_date = _date(record.get("ct_date"))
    if ct_date is None:
        checks.append(IdentityCheck("study date", "not stored", "no CT date registered"))
    elif study is None:
        checks.append(IdentityCheck("study date", "unconfirmed", "the CT has no StudyDate"))
    else:
        ok = study == ct_date
        checks.append(
            IdentityCheck(
                "study date",
                "match" if ok else "mismatch",
                f"StudyDate {study.isoformat()}, registered CT date {ct_date.isoformat()}",
            )
        )
    return IdentityReport(study_id, True, tuple(checks))


def require_identity(report: IdentityReport, *, user: Any, override_reason: str | None) -> IdentityReport:
    """Return the report when it passed, or with the override recorded; raise when blocked.

    Raises
    ------
    IdentityError
        A mismatch or unconfirmed item and no override (each listed).
    AuthError
        An override by a user whose role may not override.
    InputError
        An override without a reason.
    """
    blocking = report.blocking
    if not blocking:
        return report
    found = "; ".join(f"{c.item}: {c.detail}" for c in blocking)
    if override_reason is None:
        raise IdentityError(
            f"The CT may belong to another patient than {report.study_id}",
            checks=report.checks,
            expected="PatientID, name, birth date and study date of the recipient",
            found=found,
            fix="choose the recipient's own CT; if this is right (e.g. a re-issued MRN), a clinician may override "
            "with a reason (--override-identity --reason TEXT)",
            field="identity",
        )
    role = getattr(user, "role", None)
    if role not in OVERRIDE_ROLES:
        raise AuthError(
            "This account may not override an identity mismatch",
            expected="role " + " or ".join(sorted(OVERRIDE_ROLES)),
            found=f"role {role!r}",
            fix="ask a clinician to check the CT and override",
            field="identity",
        )
    if not override_reason.strip():
        raise InputError(
            "An identity override needs a reason",
            expected="a reason (kept in the audit trail and printed on the report)",
            found="an empty reason",
            fix="state why this CT belongs to the recipient",
            field="reason",
        )
    return IdentityReport(
        report.study_id,
        report.applicable,
        report.checks,
        override_reason=override_reason.strip(),
        override_by=str(getattr(user, "username", "") or ""),
    )

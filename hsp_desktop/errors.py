"""The one error hierarchy of HSP Desktop.

Every error carries structured fields so that the CLI, the GUI and the logs can show the same three things:
what was expected, what was found, and how to fix it.  Messages follow the pattern::

    CT and mask spacing differ (ct 0.70x0.70x2.5 mm, mask 0.70x0.70x3.0 mm): re-export the mask from the same series.

Hierarchy::

    HspError
    ├── InputError (ValueError)        bad input from a user or a file
    │   ├── FileFormatError            a file that cannot be read as what it claims to be
    │   ├── GeometryError              image/mask grids disagree, missing slices, tilt, ...
    │   ├── QcError                    the QC gate blocked feature extraction
    │   ├── UnitError                  a value in the wrong unit (unit trap)
    │   ├── ValidationError            one or more field problems (carries the list)
    │   ├── EligibilityError           recipient outside the study's criteria
    │   └── SettingsError              unknown or invalid setting / parameter-file key
    ├── ModelArtefactError             model bundle missing, altered, incompatible
    ├── RegistryError                  database problems
    │   ├── AuthError                  sign-in failed, locked account, insufficient role
    │   └── TamperError                audit chain broken, data edited outside the app
    ├── PipelineError                  a scoring stage failed (names the stage)
    ├── CancelledError                 the user cancelled a long job
    ├── FederatedError                 federation set-up or run failed
    └── NetworkError                   a PACS node refused, timed out or answered with a failure status
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


class HspError(Exception):
    """Base of every error HSP Desktop raises on purpose.

    Parameters
    ----------
    message : str
        One sentence a clinician or coordinator can act on.
    expected, found : str, optional
        What the software expected and what it found.
    fix : str, optional
        What to do about it.
    field : str, optional
        The field, column, file or setting concerned.
    """

    def __init__(
        self,
        message: str,
        *,
        expected: str | None = None,
        found: str | None = None,
        fix: str | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.expected = expected
        self.found = found
        self.fix = fix
        self.field = field
        super().__init__(self.__str__())

    def __str__(self) -> str:
        text = self.message
        details = []
        if self.expected is not None:
            details.append(f"expected {self.expected}")
        if self.found is not None:
            details.append(f"found {self.found}")
        if details:
            text += f" ({'; '.join(details)})"
        if self.fix:
            text += f": {self.fix}"
        return text

    def as_dict(self) -> dict[str, Any]:
        """Return the structured fields (for logs, the GUI and JSON output)."""
        return {
            "type": type(self).__name__,
            "message": self.message,
            "expected": self.expected,
            "found": self.found,
            "fix": self.fix,
            "field": self.field,
        }


class InputError(HspError, ValueError):
    """Bad input from a user or a file."""


class FileFormatError(InputError):
    """A file cannot be read as what it claims to be (truncated, not an image, no pixel data...)."""


class GeometryError(InputError):
    """Image and mask grids disagree, or the image grid itself is unusable."""


class QcError(InputError):
    """The imaging QC gate blocked feature extraction; ``report`` holds the structured QC report."""

    def __init__(self, message: str, *, report: Any = None, **kwargs: Any) -> None:
        self.report = report
        super().__init__(message, **kwargs)


class IdentityError(InputError):
    """The CT's DICOM identity (PatientID, name, birth date, study date) does not match the recipient.

    ``checks`` lists each compared item; an audited override with a reason may proceed.
    """

    def __init__(self, message: str, *, checks: Sequence[Any] = (), **kwargs: Any) -> None:
        self.checks = list(checks)
        super().__init__(message, **kwargs)


class UnitError(InputError):
    """A value that looks like it was entered in another unit (a unit trap)."""


class SettingsError(InputError):
    """An unknown or invalid setting or parameter-file key."""


class EligibilityError(InputError):
    """The recipient does not meet the study's eligibility criteria; ``reasons`` lists why."""

    def __init__(self, message: str, *, reasons: Sequence[str] = (), **kwargs: Any) -> None:
        self.reasons = list(reasons)
        super().__init__(message, **kwargs)


@dataclass(frozen=True)
class Problem:
    """One problem with one field of a record."""

    field: str
    value: Any
    reason: str
    fix: str
    row: int | None = None

    def __str__(self) -> str:
        where = f"row {self.row}, " if self.row is not None else ""
        return f"{where}{self.field}={self.value!r}: {self.reason}; {self.fix}"


class ValidationError(InputError):
    """One or more field problems, all reported at once (``problems``)."""

    def __init__(self, message: str, *, problems: Sequence[Problem] = (), **kwargs: Any) -> None:
        self.problems = list(problems)
        super().__init__(message, **kwargs)

    def __str__(self) -> str:
        head = super().__str__()
        if not getattr(self, "problems", None):
            return head
        lines = "\n".join(f"  - {p}" for p in self.problems)
        return f"{head}\n{lines}"


class ModelArtefactError(HspError):
    """A model bundle is missing, altered (hash mismatch), or incompatible with the inputs."""


class RegistryError(HspError):
    """The registry database refused or failed an operation."""


class AuthError(RegistryError):
    """Sign-in failed, the account is locked, or the user's role does not permit the action."""


class TamperError(RegistryError):
    """The audit chain is broken: data was changed outside the application."""


class PipelineError(HspError):
    """A scoring stage failed; ``stage`` names it.  Nothing was saved."""

    def __init__(self, message: str, *, stage: str, **kwargs: Any) -> None:
        self.stage = stage
        super().__init__(message, **kwargs)


class CancelledError(HspError):
    """The user cancelled a long-running job; nothing was saved."""


class FederatedError(HspError):
    """Federated set-up or run failed."""


class NetworkError(HspError):
    """A DICOM node (PACS) could not be reached, refused the association or answered with a failure status."""

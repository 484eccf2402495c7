"""One place that turns errors into clinician-facing messages (title, text, details)."""

from __future__ import annotations

import traceback

from PySide6.QtCore import QCoreApplication

from hsp_desktop import errors


def _tr(text: str) -> str:
    return QCoreApplication.translate("messages", text)


TITLES: tuple[tuple[type[BaseException], str], ...] = (
    (errors.CancelledError, "Cancelled"),
    (errors.AuthError, "Not permitted"),
    (errors.TamperError, "Registry integrity problem"),
    (errors.RegistryError, "Registry problem"),
    (errors.GeometryError, "CT and mask do not match"),
    (errors.QcError, "Image quality check failed"),
    (errors.UnitError, "Check the unit"),
    (errors.ValidationError, "Please correct the form"),
    (errors.EligibilityError, "Recipient not eligible"),
    (errors.FileFormatError, "File cannot be read"),
    (errors.SettingsError, "Invalid setting"),
    (errors.InputError, "Input problem"),
    (errors.ModelArtefactError, "Model cannot be used"),
    (errors.PipelineError, "Scoring stopped"),
    (errors.FederatedError, "Federation problem"),
    (errors.HspError, "Problem"),
)


def describe(exc: BaseException) -> tuple[str, str, str]:
    """Return ``(title, text, details)`` for an error.

    Expected errors (:class:`~hsp_desktop.errors.HspError`) show their own message, which already says what was
    expected, what was found and the fix; anything else is an unexpected fault and shows its traceback as details.
    """
    for kind, title in TITLES:
        if isinstance(exc, kind):
            text = str(exc)
            if isinstance(exc, errors.PipelineError):
                text = _tr("Stage") + f" '{exc.stage}': {text}\n" + _tr("Nothing was saved.")
            return _tr(title), text, ""
    details = "".join(traceback.format_exception(exc))
    return (
        _tr("Unexpected error"),
        _tr("An unexpected error occurred; nothing was saved. Please report the details to the study team.")
        + f"\n\n{type(exc).__name__}: {exc}",
        details,
    )

"""One place that turns errors into clinician-facing messages (title, text, details)."""

from __future__ import annotations

import traceback

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from hsp_desktop import errors


def _tr(text: str) -> str:
    return QCoreApplication.translate("messages", text)


TITLES: tuple[tuple[type[BaseException], str], ...] = (
    (errors.CancelledError, QT_TRANSLATE_NOOP("messages", "Cancelled")),
    (errors.AuthError, QT_TRANSLATE_NOOP("messages", "Not permitted")),
    (errors.TamperError, QT_TRANSLATE_NOOP("messages", "Registry integrity problem")),
    (errors.RegistryError, QT_TRANSLATE_NOOP("messages", "Registry problem")),
    (errors.GeometryError, QT_TRANSLATE_NOOP("messages", "CT and mask do not match")),
    (errors.QcError, QT_TRANSLATE_NOOP("messages", "Image quality check failed")),
    (errors.UnitError, QT_TRANSLATE_NOOP("messages", "Check the unit")),
    (errors.ValidationError, QT_TRANSLATE_NOOP("messages", "Please correct the form")),
    (errors.EligibilityError, QT_TRANSLATE_NOOP("messages", "Recipient not eligible")),
    (errors.FileFormatError, QT_TRANSLATE_NOOP("messages", "File cannot be read")),
    (errors.SettingsError, QT_TRANSLATE_NOOP("messages", "Invalid setting")),
    (errors.InputError, QT_TRANSLATE_NOOP("messages", "Input problem")),
    (errors.ModelArtefactError, QT_TRANSLATE_NOOP("messages", "Model cannot be used")),
    (errors.PipelineError, QT_TRANSLATE_NOOP("messages", "Scoring stopped")),
    (errors.FederatedError, QT_TRANSLATE_NOOP("messages", "Federation problem")),
    (errors.HspError, QT_TRANSLATE_NOOP("messages", "Problem")),
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
                text = (
                    QCoreApplication.translate("messages", "Stage")
                    + f" '{exc.stage}': {text}\n"
                    + QCoreApplication.translate("messages", "Nothing was saved.")
                )
            return _tr(title), text, ""
    details = "".join(traceback.format_exception(exc))
    return (
        QCoreApplication.translate("messages", "Unexpected error"),
        QCoreApplication.translate(
            "messages",
            "An unexpected error occurred; nothing was saved. Please report the details to the study team.",
        )
        + f"\n\n{type(exc).__name__}: {exc}",
        details,
    )

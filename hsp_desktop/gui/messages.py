"""One place that turns errors into clinician-facing messages (title, text, details)."""

from __future__ import annotations

import traceback

from PySide6.QtCore import QCoreApplication

from hsp_desktop import errors
from hsp_desktop.gui.noop import QT_TRANSLATE_NOOP


def _tr(text: str) -> str:
    return QCoreApplication.translate("messages", text)


TITLES: tuple[tuple[type[BaseException], str], ...] = (
    (errors.CancelledError, QT_TRANSLATE_NOOP("messages", "Cancelled")),
    (errors.AuthError, QT_TRANSLATE_NOOP("messages", "Not permitted")),
    (errors.TamperError, QT_TRANSLATE_NOOP("messages", "Registry integrity problem")),
    (errors.RegistryError, QT_TRANSLATE_NOOP("messages", "Registry problem")),
    (errors.GeometryError, QT_TRANSLATE_NOOP("messages", "Image geometry problem")),
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


#: Scoring stages (``pipeline.run``) as the title of a dialog names them.
STAGES = {
    "recipient": QT_TRANSLATE_NOOP("messages", "the recipient's record"),
    "model": QT_TRANSLATE_NOOP("messages", "the locked model"),
    "import": QT_TRANSLATE_NOOP("messages", "reading CT and mask"),
    "qc": QT_TRANSLATE_NOOP("messages", "imaging quality control"),
    "radiomics": QT_TRANSLATE_NOOP("messages", "radiomics"),
    "deep": QT_TRANSLATE_NOOP("messages", "CNN features"),
    "features": QT_TRANSLATE_NOOP("messages", "the feature table"),
    "risk": QT_TRANSLATE_NOOP("messages", "the risk"),
    "report": QT_TRANSLATE_NOOP("messages", "the PDF report"),
    "save": QT_TRANSLATE_NOOP("messages", "saving"),
}


def title_of(exc: BaseException) -> str:
    """A dialog title naming what went wrong (a scoring failure is titled by its stage and its cause)."""
    if isinstance(exc, errors.PipelineError):
        stage = _tr(STAGES.get(exc.stage, exc.stage))
        cause = exc.__cause__
        if isinstance(cause, errors.HspError) and not isinstance(cause, errors.PipelineError):
            return QCoreApplication.translate("messages", "Scoring stopped at {0}: {1}").format(
                stage, title_of(cause)
            )
        return QCoreApplication.translate("messages", "Scoring stopped at {0}").format(stage)
    if isinstance(exc, errors.GeometryError) and "mask" in f"{exc.field} {exc.message}".lower():
        return QCoreApplication.translate("messages", "CT and mask do not match")
    for kind, title in TITLES:
        if isinstance(exc, kind):
            return _tr(title)
    return QCoreApplication.translate("messages", "Unexpected error")


def describe(exc: BaseException) -> tuple[str, str, str]:
    """Return ``(title, text, details)`` for an error.

    Expected errors (:class:`~hsp_desktop.errors.HspError`) show their own message, which already says what was
    expected, what was found and the fix; anything else is an unexpected fault and shows its traceback as details.
    """
    if isinstance(exc, errors.HspError):
        text = str(exc)
        if isinstance(exc, errors.PipelineError):
            text += "\n" + QCoreApplication.translate("messages", "Nothing was saved.")
        return title_of(exc), text, ""
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

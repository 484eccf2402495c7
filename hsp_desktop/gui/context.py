"""What every screen needs: the open registry, the signed-in user, where files live."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal


def default_data_dir() -> Path:
    """Per-user data folder (``HSP_DATA_DIR`` overrides): registry, reports, backups, Numba cache."""
    from hsp_desktop.pipeline.paths import user_data_dir

    return user_data_dir()


class Events(QObject):
    """Application-wide notifications so screens refresh when data change."""

    recipients_changed = Signal()
    recipient_selected = Signal(str)
    prediction_saved = Signal(str)
    followup_changed = Signal(str)
    model_changed = Signal()
    language_changed = Signal(str)


@dataclass
class AppContext:
    """The open registry and the signed-in user, shared by the screens."""

    registry: Any
    user: Any
    data_dir: Path
    events: Events = field(default_factory=Events)
    current_study_id: str | None = None
    #: CT and mask chosen on the Imaging screen for the current recipient.
    ct_path: Path | None = None
    mask_path: Path | None = None
    #: The CT and mask as loaded on the Imaging screen (CtVolume, LabelMap), for key slices.
    ct_volume: Any = None
    mask_volume: Any = None
    #: The series chosen in the study browser, the spleen segment the user picked, an identity override's reason.
    series_uid: str | None = None
    spleen_label: int | str | None = None
    identity_override: str | None = None

    @property
    def role(self) -> str:
        """The signed-in user's role."""
        return str(getattr(self.user, "role", "readonly"))

    def can_write(self) -> bool:
        """True unless the user is read-only."""
        return self.role != "readonly"

    def select(self, study_id: str) -> None:
        """Make ``study_id`` the current recipient and tell every screen."""
        if study_id != self.current_study_id:
            self.ct_path = self.mask_path = self.ct_volume = self.mask_volume = None
            self.series_uid = self.spleen_label = self.identity_override = None
        self.current_study_id = study_id
        self.events.recipient_selected.emit(study_id)

"""Settings: the site's configurable values with defaults, validated once, changed by administrators (audited)."""

from __future__ import annotations

from typing import Any

from hsp_desktop.errors import SettingsError
from hsp_desktop.registry import jsonutil as ju
from hsp_desktop.registry.db import Database, Layer
from hsp_desktop.registry.models import ADMIN_ROLES, User
from hsp_desktop.registry.outcomes import Outcomes
from hsp_desktop.registry.schedule import windows_from_setting

#: Settings with their defaults; any other key is refused.
DEFAULT_SETTINGS: dict[str, Any] = {
    "site_name": "",
    "language": "en",
    "outcome_definition": {},
    "followup_windows": [],
    "backup_keep": 30,
    "lockout_attempts": 5,
    "lockout_minutes": 15,
    "study_id_prefix": "HSP",
    "min_password_length": 8,
    "active_model": "",  # folder of the locked model bundle used for scoring ("" = the shipped demo model)
    "active_model_sha256": "",  # SHA-256 of that bundle's manifest, pinned at activation (registry.bundles)
    "allow_unsigned_bundles": False,  # score with bundles that carry no Ed25519 signature (administrators decide)
    "trusted_bundle_keys": [],  # Ed25519 public keys (PEM) of developing centres, besides the shipped ones
    "pacs_nodes": [],  # DICOM nodes (validated by hsp_desktop.pacs.nodes before they are stored)
    "pacs_local_ae": "HSPDESKTOP",  # this workstation's AE title
}


class Settings(Layer):
    """Read and change settings (unknown keys refused; values validated with one message per violation)."""

    def __init__(self, db: Database, outcomes: Outcomes) -> None:
        super().__init__(db)
        self._outcomes = outcomes

    def get_setting(self, key: str) -> Any:
        """Return a setting (site_name, language, outcome_definition, followup_windows, backup_keep, ...)."""
        if key not in DEFAULT_SETTINGS:
            raise SettingsError(
                f"Unknown setting {key}", expected=", ".join(DEFAULT_SETTINGS), found=key, field=key
            )
        with self._read():
            value = self._get_setting(key)
        return DEFAULT_SETTINGS[key] if value is None else value

    def settings(self) -> dict[str, Any]:
        """Return every setting with its current value."""
        return {k: self.get_setting(k) for k in DEFAULT_SETTINGS}

    def set_setting(self, key: str, value: Any, *, by: User, reason: str | None = None) -> None:
        """Change a setting (administrators).  Changing the outcome definition re-derives every outcome."""
        if key not in DEFAULT_SETTINGS:
            raise SettingsError(
                f"Unknown setting {key}", expected=", ".join(DEFAULT_SETTINGS), found=key, field=key
            )
        self._validate_setting(key, value)
        with self._tx(by, reason or f"setting {key}", roles=ADMIN_ROLES) as conn:
            self._put_setting(key, value)
            if key == "outcome_definition":
                ids = [r[0] for r in conn.execute("SELECT study_id FROM recipients")]
                for sid in ids:
                    self._outcomes.derive(sid, ju.today())

    def _validate_setting(self, key: str, value: Any) -> None:
        default = DEFAULT_SETTINGS[key]
        if key == "language" and value not in ("en", "zh"):
            raise SettingsError("Unknown language", expected="en or zh", found=repr(value), field=key)
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise SettingsError(f"Setting {key} must be true or false", found=repr(value), field=key)
            return
        if key == "trusted_bundle_keys":
            from models.signing import load_public_key

            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise SettingsError(
                    f"Setting {key} must be a list of PEM texts", found=repr(value)[:80], field=key
                )
            for text in value:
                load_public_key(text)
            return
        if key == "active_model_sha256" and value and not ju.is_sha256(value):
            raise SettingsError("active_model_sha256 must be a SHA-256 digest", found=repr(value), field=key)
        if key == "outcome_definition":
            self._outcomes.definition(value)
        elif key == "followup_windows":
            windows_from_setting(value)
        elif isinstance(default, int) and (
            not isinstance(value, int) or isinstance(value, bool) or value < 1
        ):
            raise SettingsError(
                f"Setting {key} must be a positive whole number", found=repr(value), field=key
            )
        elif isinstance(default, str) and not isinstance(value, str):
            raise SettingsError(f"Setting {key} must be text", found=repr(value), field=key)

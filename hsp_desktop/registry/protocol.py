"""The typed interface the scoring pipeline needs from a registry.

:class:`~hsp_desktop.registry.core.Registry` satisfies it, and so must every test double
(``tests/registry/test_registry_protocol.py`` compares the signatures), so a fake cannot drift from the real class.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from hsp_desktop.registry.models import User


@runtime_checkable
class ScoringRegistry(Protocol):
    """What :func:`hsp_desktop.pipeline.run.run_case` reads and writes."""

    path: str

    def transaction(self, *, by: User, reason: str | None = None) -> AbstractContextManager[Any]:
        """One all-or-nothing transaction around several writes."""
        ...

    def get_recipient(self, study_id: str) -> dict[str, Any]:
        """A recipient's record (enrolment, pre-operative values)."""
        ...

    def get_setting(self, key: str) -> Any:
        """A setting (``active_model``, ``language``)."""
        ...

    def add_imaging_study(
        self,
        study_id: str,
        *,
        ct_path: str | Path,
        mask_path: str | Path | None,
        ct_sha256: str,
        mask_sha256: str | None,
        qc_report: Any,
        by: User,
    ) -> int:
        """Record an imaging study; returns its id."""
        ...

    def save_features(
        self,
        study_id: str,
        imaging_id: int,
        features: Mapping[str, Any],
        settings: Any,
        engine: str,
        *,
        by: User,
    ) -> int:
        """Store a feature vector; returns its id."""
        ...

    def save_prediction(self, study_id: str, prediction: Any, *, by: User) -> int:
        """Store an immutable prediction; returns its id."""
        ...

"""Features, progress and risk results."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hsp_desktop.domain.imaging import QcReport


@dataclass(frozen=True)
class Progress:
    """One progress report of a long job: stage name, fraction done in [0, 1], a short message."""

    stage: str
    fraction: float
    message: str = ""


@dataclass(frozen=True)
class FeatureVector:
    """Radiomics (or deep) features of one ROI with their provenance.

    ``values`` uses PyRadiomics feature names (``original_firstorder_Mean``, ...).
    ``settings`` are the extraction settings as applied; ``engine`` names engine and version.
    """

    values: dict[str, float]
    settings: dict[str, Any]
    engine: str
    roi: str = "spleen"
    qc: QcReport | None = None


@dataclass(frozen=True)
class Contribution:
    """One input's contribution to a patient's risk, on the log-odds scale."""

    feature: str
    label: str
    value: float | str | None
    contribution: float


@dataclass(frozen=True)
class RiskResult:
    """A locked model's prediction for one recipient, with everything needed to trust and reproduce it."""

    probability: float
    ci_low: float
    ci_high: float
    band: str
    band_thresholds: tuple[float, float]
    contributions: tuple[Contribution, ...]
    model_id: str
    model_version: str
    model_sha256: str
    input_sha256: str
    features: dict[str, float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

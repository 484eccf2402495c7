"""Plain data types shared by every stage of the data flow (no I/O, no Qt)."""

from hsp_desktop.domain.imaging import CtVolume, LabelMap, QcCheck, QcReport
from hsp_desktop.domain.results import Contribution, FeatureVector, Progress, RiskResult

__all__ = [
    "Contribution",
    "CtVolume",
    "FeatureVector",
    "LabelMap",
    "Progress",
    "QcCheck",
    "QcReport",
    "RiskResult",
]

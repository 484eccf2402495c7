"""Plain inputs of the two PDF reports.

The renderers read only these dataclasses, so a report can be produced from the registry and the model manifest
(:mod:`hsp_desktop.reporting.build`), from a pipeline result, or from hand-made values in the tests.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from hsp_desktop import INTENDED_USE, __version__
from hsp_desktop.domain import QcReport, RiskResult
from hsp_desktop.errors import InputError

BANDS: tuple[str, str, str] = ("low", "intermediate", "high")


def app_build() -> str:
    """Return the build identifier printed on every page (``source`` in a source checkout)."""
    from hsp_desktop import build_id

    return build_id()


@dataclass(frozen=True)
class CohortDistribution:
    """Predicted risks of the development cohort (out-of-fold), to place one recipient among them."""

    risks: tuple[float, ...]

    def __post_init__(self) -> None:
        bad = [r for r in self.risks if not (0.0 <= r <= 1.0) or math.isnan(r)]
        if bad or not self.risks:
            raise InputError(
                "Development-cohort risk distribution is empty or holds values outside 0-1",
                expected="probabilities in [0, 1]",
                found=f"{len(self.risks)} values, {len(bad)} invalid",
                fix="rebuild the model bundle so its manifest carries the cohort's predicted risks",
                field="risk_distribution",
            )

    @property
    def n(self) -> int:
        """Number of recipients."""
        return len(self.risks)

    def percentile(self, probability: float) -> float:
        """Percentage of the cohort with a lower predicted risk (ties count half)."""
        arr = np.asarray(self.risks)
        below = float(np.count_nonzero(arr < probability))
        ties = float(np.count_nonzero(arr == probability))
        return 100.0 * (below + 0.5 * ties) / arr.size

    def histogram(self, bins: int = 20) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
        """Return ``(edges, counts)`` over 0-1 in ``bins`` equal bins."""
        counts, edges = np.histogram(np.asarray(self.risks), bins=bins, range=(0.0, 1.0))
        return edges, counts


@dataclass(frozen=True)
class ModelSummary:
    """What the reports say about the locked model (from its manifest)."""

    name: str
    version: str
    sha256: str
    band_thresholds: tuple[float, float]
    band_event_rates: Mapping[str, tuple[int, int]]
    """Band -> (events, recipients) observed in the development cohort."""
    auc: float | None = None
    auc_ci: tuple[float, float] | None = None
    auc_corrected: float | None = None
    calibration_slope: float | None = None
    calibration_intercept: float | None = None
    brier: float | None = None
    n_development: int | None = None
    events_development: int | None = None
    distribution: CohortDistribution | None = None
    auc_632plus: float | None = None
    auc_oob: float | None = None
    """Besides ``auc`` (nested CV, the headline) and ``auc_corrected`` (Harrell): the .632+ and the
    out-of-bag optimism-corrected AUC of the locked model."""
    shrinkage: float | None = None
    """Uniform shrinkage factor of the locked model's slopes."""
    interval_inflation: float | None = None
    """Factor by which a bootstrap of the whole procedure widened the final model's Wald intervals."""
    outcome_definition_id: str | None = None
    estimand: str | None = None
    """What the model estimates (population, outcome, handling of left-out recipients), from the manifest."""
    intended_use: str | None = None
    """The bundle's own intended-use statement (manifest ``intended_use``)."""
    choice: Mapping[str, Any] | None = None
    """The pre-specified model-choice rule's result (``selected``, ``difference``, ``ci_low``, ``ci_high``,
    ``p_value``), from the manifest's ``validation.model_choice``."""

    def __post_init__(self) -> None:
        lo, hi = self.band_thresholds
        if not 0.0 < lo < hi < 1.0:
            raise InputError(
                "Risk-band thresholds are not increasing probabilities",
                expected="0 < low/intermediate < intermediate/high < 1",
                found=f"{self.band_thresholds}",
                fix="check the band thresholds in the model manifest",
                field="band_thresholds",
            )
        missing = [b for b in BANDS if b not in self.band_event_rates]
        if missing:
            raise InputError(
                "Observed event rate per risk band is missing",
                expected=", ".join(BANDS),
                found=", ".join(sorted(self.band_event_rates)) or "none",
                fix="rebuild the model bundle so its manifest carries the development cohort's rate per band",
                field="band_event_rates",
            )


@dataclass(frozen=True)
class SliceImage:
    """One 2-D CT slice with the spleen outline source (rows top-to-bottom as displayed)."""

    hu: npt.NDArray[np.float32]
    mask: npt.NDArray[np.bool_]
    row_mm: float
    col_mm: float
    position: str = ""


@dataclass(frozen=True)
class KeySlices:
    """Axial and coronal key slices through the spleen."""

    axial: SliceImage
    coronal: SliceImage


@dataclass(frozen=True)
class PatientReportInputs:
    """Everything the patient risk report prints.

    ``clinical`` holds the recipient's pre-operative values in dictionary units (CONTRACTS section A).
    ``name``/``mrn`` are printed only when ``show_identity`` is true (decided from the user's role and the site
    setting by :func:`hsp_desktop.reporting.build.identity_permitted`).
    """

    site_name: str
    study_id: str
    report_date: str
    clinician: str
    risk: RiskResult
    model: ModelSummary
    clinical: Mapping[str, Any]
    qc: QcReport | Mapping[str, Any] | None = None
    slices: KeySlices | None = None
    show_identity: bool = False
    name: str | None = None
    mrn: str | None = None
    ct_date: str | None = None
    transplant_date: str | None = None
    prediction_id: int | None = None
    app_version: str = __version__
    app_build: str = field(default_factory=app_build)
    intended_use: str = INTENDED_USE

    def __post_init__(self) -> None:
        if self.risk.model_sha256 != self.model.sha256:
            raise InputError(
                "The prediction was made with a different model than the one described on the report",
                expected=f"model manifest {self.model.sha256[:12]}",
                found=f"prediction model {self.risk.model_sha256[:12]}",
                fix="render the report with the model bundle recorded on the prediction",
                field="model",
            )
        if not (0.0 <= self.risk.ci_low <= self.risk.probability <= self.risk.ci_high <= 1.0):
            raise InputError(
                "Risk and its confidence interval are inconsistent",
                expected="0 <= ci_low <= probability <= ci_high <= 1",
                found=f"{self.risk.ci_low} / {self.risk.probability} / {self.risk.ci_high}",
                fix="re-run the scoring; the stored prediction is damaged",
                field="risk",
            )
        _dt.date.fromisoformat(self.report_date[:10])


# --------------------------------------------------------------------------------------------- validation report
@dataclass(frozen=True)
class FlowStep:
    """One step of the cohort flow: recipients remaining and exclusions at this step (reason, count)."""

    label: str
    n: int
    exclusions: tuple[tuple[str, int], ...] = ()
    label_zh: str = ""
    """The label in Chinese (empty: the English label is printed)."""


@dataclass(frozen=True)
class Table1Row:
    """One row of table 1: summaries in recipients without / with the outcome and a p value."""

    label: str
    without_outcome: str
    with_outcome: str
    p_value: float | None = None
    label_zh: str = ""
    """The label in Chinese (empty: the English label is printed)."""


@dataclass(frozen=True)
class CandidateModel:
    """One candidate model's discrimination (DeLong CI when known, else the SD over nested-CV repeats)."""

    name: str
    n_params: int | None
    auc: float
    ci_low: float | None = None
    ci_high: float | None = None
    auc_corrected: float | None = None
    delong_p: float | None = None
    selected: bool = False
    auc_sd: float | None = None


@dataclass(frozen=True)
class RocCurve:
    """ROC curve points with a pointwise 95% band of sensitivity on the same false-positive-rate grid."""

    fpr: tuple[float, ...]
    tpr: tuple[float, ...]
    tpr_low: tuple[float, ...] = ()
    tpr_high: tuple[float, ...] = ()


@dataclass(frozen=True)
class CalibrationCurve:
    """Grouped observed-versus-predicted points, optional flexible curve, slope, intercept and Brier score."""

    predicted: tuple[float, ...]
    observed: tuple[float, ...]
    slope: float
    intercept: float
    brier: float
    flexible_x: tuple[float, ...] = ()
    flexible_y: tuple[float, ...] = ()


@dataclass(frozen=True)
class DecisionCurve:
    """Net benefit of the model and of treating everyone across threshold probabilities."""

    thresholds: tuple[float, ...]
    net_benefit_model: tuple[float, ...]
    net_benefit_all: tuple[float, ...]


@dataclass(frozen=True)
class OddsRatio:
    """A selected predictor's odds ratio per stated unit, with its 95% CI."""

    label: str
    per: str
    odds_ratio: float
    ci_low: float
    ci_high: float
    feature: str = ""
    """The model's column name, to print the dictionary label in the report language."""


@dataclass(frozen=True)
class ProspectiveSummary:
    """The prospective cohort as outcomes accrue."""

    n: int
    complete: int
    pending: int
    competing: int
    events: int
    scored: int | None = None
    """Recipients with a prediction; ``complete``/``pending``/``competing``/``events`` count among them."""
    auc: float | None = None
    auc_ci: tuple[float, float] | None = None
    observed_rate: float | None = None
    mean_predicted: float | None = None
    minimum: int = 10


@dataclass(frozen=True)
class ValidationReportInputs:
    """Everything the TRIPOD+AI-structured model validation report prints."""

    site_name: str
    report_date: str
    model: ModelSummary
    flow: Sequence[FlowStep]
    table1: Sequence[Table1Row]
    n_without: int
    n_with: int
    candidates: Sequence[CandidateModel]
    roc: RocCurve | None
    calibration: CalibrationCurve | None
    decision: DecisionCurve | None
    odds_ratios: Sequence[OddsRatio]
    n_candidate_params: int
    prospective: ProspectiveSummary | None = None
    roc_png: bytes | None = None
    """The bundle's own ROC figure (hash-verified), used when the manifest has no ROC points."""
    tripod: Any = None
    """:class:`hsp_desktop.reporting.tripod.TripodRecord` of the bundle (None: those sections are left out)."""
    risk_bands: Mapping[str, Any] | None = None
    """Band setting with its decision-curve check (manifest ``validation.risk_bands``)."""
    outcome_counts: Mapping[str, Any] | None = None
    """Eligible development recipients by outcome status (manifest ``validation.outcome_status_counts``)."""
    sensitivity: Mapping[str, Any] | None = None
    """Sensitivity analyses of the outcome handling (manifest ``validation.sensitivity``)."""
    sample_size: Mapping[str, Any] | None = None
    """Riley et al. check (``required_overall``, ``max_parameters``, ...), when the manifest carries it."""
    app_version: str = __version__
    app_build: str = field(default_factory=app_build)
    intended_use: str = INTENDED_USE

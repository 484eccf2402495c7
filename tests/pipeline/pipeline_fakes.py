"""Test doubles for the orchestration tests of ``run_case`` (never used by the product).

``FakeRegistry`` keeps rows in lists and rolls every write of a transaction back on error, like the real one;
``FakeModel`` is a fixed logistic model over three named columns.  The end-to-end test in
``test_pipeline_integration.py`` runs the real registry, importers, radiomics and model bundle instead.
"""

from __future__ import annotations

import copy
import math
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hsp_desktop.domain import CtVolume, FeatureVector, LabelMap, QcCheck, QcReport
from hsp_desktop.pipeline import Parts

RECORD = {
    "study_id": "HSP-0001",
    "age": 52,
    "sex": "M",
    "consent": 1,
    "platelets": 48.0,
    "wbc": 3.2,
    "spleen_volume_ml": 980.0,
    "spleen_length_cm": 15.9,
    "meld": 14,
    "transplant_date": "2026-10-01",
    "ct_date": "2026-09-20",
}


class FakeRegistry:
    path = ":memory:"

    def __init__(self, records: dict[str, dict[str, Any]] | None = None, fail_on: str | None = None) -> None:
        self.records = records if records is not None else {"HSP-0001": dict(RECORD)}
        self.tables: dict[str, list[dict[str, Any]]] = {"imaging": [], "features": [], "predictions": []}
        self.fail_on = fail_on
        self._snapshot: dict[str, list[dict[str, Any]]] | None = None

    @contextmanager
    def transaction(self, *, by: Any):
        self._snapshot = copy.deepcopy(self.tables)
        try:
            yield self
        except BaseException:
            self.tables = self._snapshot
            raise
        finally:
            self._snapshot = None

    def get_recipient(self, study_id: str) -> dict[str, Any]:
        from hsp_desktop.errors import RegistryError

        if study_id not in self.records:
            raise RegistryError(f"No recipient {study_id}", fix="check the study id", field="study_id")
        return dict(self.records[study_id])

    def _insert(self, table: str, row: dict[str, Any]) -> int:
        if self.fail_on == table:
            raise OSError("disk I/O error")
        self.tables[table].append(row)
        return len(self.tables[table])

    def add_imaging_study(self, study_id: str, **kw: Any) -> int:
        return self._insert("imaging", {"study_id": study_id, **kw})

    def save_features(
        self, study_id: str, imaging_id: int, features: dict, settings: dict, engine: str, *, by: Any
    ) -> int:
        return self._insert("features", {"study_id": study_id, "features": features, "engine": engine})

    def save_prediction(self, study_id: str, prediction: dict, *, by: Any) -> int:
        return self._insert("predictions", {"study_id": study_id, **prediction})

    def rows(self) -> int:
        return sum(len(v) for v in self.tables.values())


@dataclass
class FakePrediction:
    probability: float
    ci_low: float
    ci_high: float
    band: str
    contributions: list[tuple[str, str, Any, float]]


@dataclass
class FakeModel:
    feature_names: list[str] = field(
        default_factory=lambda: ["platelets", "spleen_volume_ml", "spleen__original_firstorder_Mean"]
    )
    sha256: str = "b" * 64
    seen: list[Any] = field(default_factory=list)

    @property
    def manifest(self) -> dict[str, Any]:
        return {
            "name": "fake-model",
            "version": "0.0.1",
            "bands": {
                "thresholds": [0.15, 0.35],
                "observed": {"low": [5, 60], "intermediate": [20, 90], "high": [25, 50]},
            },
            "metrics": {"auc": 0.77, "auc_ci": [0.70, 0.84], "n": 200, "events": 50},
            "development": {"risks": [0.05 * i for i in range(1, 20)]},
        }

    def predict(self, table: Any) -> list[FakePrediction]:
        self.seen.append(table)
        x = table.iloc[0]
        terms = [
            ("platelets", "Platelets", x["platelets"], -0.85 * math.log(x["platelets"] / 66)),
            (
                "spleen_volume_ml",
                "Spleen volume",
                x["spleen_volume_ml"],
                1.0 * math.log(x["spleen_volume_ml"] / 700),
            ),
            (
                "spleen__original_firstorder_Mean",
                "Spleen mean HU",
                x["spleen__original_firstorder_Mean"],
                0.0,
            ),
        ]
        lp = -1.2 + sum(t[3] for t in terms)
        p = 1 / (1 + math.exp(-lp))
        band = "low" if p < 0.15 else ("intermediate" if p < 0.35 else "high")
        return [FakePrediction(p, max(p - 0.1, 0.0), min(p + 0.1, 1.0), band, terms)]


def phantom() -> tuple[CtVolume, LabelMap]:
    shape = (24, 64, 64)
    z, y, x = np.mgrid[: shape[0], : shape[1], : shape[2]].astype(np.float32)
    ct = np.full(shape, -1000.0, dtype=np.float32)
    ct[((y - 32) / 28) ** 2 + ((x - 32) / 30) ** 2 < 1] = 40.0
    spleen = ((y - 34) / 8) ** 2 + ((x - 46) / 6) ** 2 + ((z - 12) / 8) ** 2 < 1
    ct[spleen] = 115.0
    labels = np.zeros(shape, dtype=np.uint8)
    labels[spleen] = 1
    return CtVolume(ct, (3.0, 3.0, 5.0), source="fake"), LabelMap(labels, (3.0, 3.0, 5.0), source="fake")


def fake_parts(**overrides: Any) -> Parts:
    ct, mask = phantom()
    qc = QcReport(checks=(QcCheck("geometry", "ok", "match", "1e-3", "grids match"),))
    values: dict[str, Any] = dict(
        load_model=lambda path: FakeModel(),
        read_ct=lambda path: ct,
        read_mask=lambda path, reference: mask,
        check_geometry=lambda c, m: None,
        qc=lambda c, m, label: qc,
        extract=lambda c, m, settings, label, qc_done: FeatureVector(
            {"original_firstorder_Mean": 115.0}, {}, "fake-engine"
        ),
        deep=lambda artifact, c, m: ({}, {}),
        validate=lambda record: dict(record),
        eligibility=lambda record: (True, []),
    )
    values.update(overrides)
    return Parts(**values)


def input_files(tmp: Path) -> tuple[Path, Path]:
    ct = tmp / "ct.nii.gz"
    mask = tmp / "mask.nii.gz"
    ct.write_bytes(b"fake ct bytes")
    mask.write_bytes(b"fake mask bytes")
    return ct, mask


@dataclass(frozen=True)
class FakeUser:
    id: int = 1
    username: str = "dr.demo"
    role: str = "clinician"

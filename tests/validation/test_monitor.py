"""Monitoring report from a registry: per-bundle counting rules, alarms on a known shift, drift, CLI = report."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from simhelpers import clinical_bundle, registry_clock, score_prospective

from hsp_desktop.registry import Registry
from hsp_desktop.registry.passwords import TEST_PARAMS
from hsp_desktop.synthetic.cohort import ProspectiveShift, generate_cohort
from hsp_desktop.validation.monitor import acquisition_of, monitor, monitor_registry
from models.bundle import load_bundle
from models.monitoring import reference_bins


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("bundles")
    return clinical_bundle(root / "a", seed=3), clinical_bundle(root / "b", seed=4, name="hsp-clinical-b")


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[tuple[Registry, Any]]:
    reg = Registry.open(tmp_path / "r.db", site_key=b"k" * 32, argon2_params=TEST_PARAMS)
    reg.add_user("admin", "admin-pass-1", "admin", by=None)
    user = reg.authenticate("admin", "admin-pass-1")
    yield reg, user
    reg.close()


def _cohort(tmp: Path, shift: float, prospective: int = 60, seed: int = 21) -> Path:
    return Path(
        generate_cohort(
            tmp / f"c{shift}",
            n=1,
            prospective=prospective,
            seed=seed,
            images=False,
            shift=ProspectiveShift(shift),
        )
    )


def test_counting_rules_per_bundle(
    registry: tuple[Registry, Any],
    bundles: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reg, user = registry
    cohort = _cohort(tmp_path, 0.0, prospective=24)
    ids = score_prospective(reg, user, cohort, bundles[0], monkeypatch, after_transplant=())
    # the second bundle scores the same recipients; two of them only after their transplant
    late = tuple(ids[:2])
    for sid in ids:
        assert len(reg.predictions(sid)) == 1
    model_b = load_bundle(bundles[1])
    for sid in ids:
        rec = reg.get_recipient(sid)
        row = pd.DataFrame([{n: float(rec[n]) for n in model_b.feature_names}])
        pr = model_b.predict(row)[0]
        tx = dt.date.fromisoformat(rec["transplant_date"])
        when = tx + dt.timedelta(days=3) if sid in late else tx - dt.timedelta(days=2)
        with registry_clock(monkeypatch, when):
            reg.save_prediction(
                sid,
                {
                    "model_id": "hsp-clinical-b 1",
                    "manifest_sha256": model_b.sha256,
                    "inputs": {"x": 1},
                    "features": {n: float(rec[n]) for n in model_b.feature_names},
                    "probability": pr.probability,
                    "band": pr.band,
                },
                by=user,
            )
    report = monitor_registry(reg, None, extra_bundles=bundles)
    by_name = {b["name"]: b for b in report["bundles"]}
    a, b = by_name["hsp-clinical-test"], by_name["hsp-clinical-b"]
    known = report["counts"]["with_outcome"]
    assert a["counts"]["scored_before_transplant"] == len(ids)
    assert b["counts"]["scored_before_transplant"] == len(ids) - 2
    assert b["counts"]["excluded_predictions"] == 2
    assert sorted(e["study_id"] for e in b["excluded"]) == sorted(late)
    assert all(e["reason"] == "made on or after the transplant date" for e in b["excluded"])
    assert a["counts"]["with_outcome"] == known
    assert a["manifest_sha256"] != b["manifest_sha256"]
    json.dumps(report)  # JSON-ready


def test_shifted_cohort_fires_the_cusum_and_unshifted_does_not(
    registry: tuple[Registry, Any],
    bundles: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reg, user = registry
    cohort = _cohort(tmp_path, 2.0, prospective=80)
    score_prospective(reg, user, cohort, bundles[0], monkeypatch)
    report = monitor_registry(reg, None, extra_bundles=bundles)
    entry = report["bundles"][0]
    up = next(c for c in entry["cusum"] if c["odds_ratio"] > 1)
    assert up["alarm"], entry["performance"]
    assert up["alarm_date"] is not None
    assert any(a["kind"] == "calibration" for a in report["alarms"])
    oe = entry["performance"]["observed_expected"]
    assert oe["ci_low"] > 1.0
    cal = entry["performance"]["calibration"]
    assert cal["intercept_ci"][0] > 0


def test_unshifted_cohort_has_no_calibration_alarm(
    registry: tuple[Registry, Any],
    bundles: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reg, user = registry
    cohort = _cohort(tmp_path, 0.0, prospective=40, seed=5)
    score_prospective(reg, user, cohort, bundles[0], monkeypatch)
    report = monitor_registry(reg, None, extra_bundles=bundles)
    assert not any(a["kind"] == "calibration" for a in report["alarms"]), report["alarms"]
    entry = report["bundles"][0]
    k = entry["counts"]
    assert entry["competing_risks"]["n"] == k["scored_before_transplant"] - k["outcome_excluded"]
    assert 0.0 <= entry["competing_risks"]["cif_at_horizon"] <= 1.0
    assert report["trajectories"]["recipients"]


def _record(i: int, y: int, acquisition: dict[str, Any] | None, plt: float) -> dict[str, Any]:
    sv = float(np.random.default_rng(i).normal(700, 100))
    return {
        "study_id": f"S{i:03d}",
        "transplant_date": (dt.date(2025, 1, 1) + dt.timedelta(days=i)).isoformat(),
        "outcome": y,
        "flags": [],
        "event_day": None,
        "last_day": 200,
        "secondary": {},
        "baseline": {},
        "visits": [],
        "acquisition": acquisition,
        "predictions": [
            {
                "id": i,
                "manifest_sha256": "a" * 64,
                "model_id": "m 1",
                "probability": 0.25,
                "band": "intermediate",
                "created_at": "2024-12-01T10:00:00Z",
                "features": {"platelets": plt, "spleen_volume_ml": sv},
            }
        ],
    }


def test_drift_psi_out_of_range_and_new_scanner() -> None:
    rng = np.random.default_rng(1)
    dev = rng.lognormal(np.log(66), 0.7, 300)
    manifest = {
        "name": "m",
        "version": "1",
        "bands": {"thresholds": [0.15, 0.4]},
        "features": [
            {
                "name": "platelets",
                "train_min": float(dev.min()),
                "train_max": float(dev.max()),
                "block": "clinical",
            },
            {"name": "spleen_volume_ml", "train_min": 100.0, "train_max": 2000.0, "block": "clinical"},
        ],
    }
    ref = {
        "source": "test",
        "inputs": {
            "platelets": reference_bins(dev),
            "spleen_volume_ml": reference_bins(rng.normal(700, 100, 300)),
        },
        "acquisition": {
            "manufacturer": ["A"],
            "kernel": ["B30f"],
            "slice_thickness_mm": [1.0, 5.0],
            "phase": ["PV"],
        },
    }
    same = {"manufacturer": "A", "kernel": "B30f", "slice_thickness_mm": 3.0, "phase": "PV"}
    new = {"manufacturer": "A", "kernel": "FC52", "slice_thickness_mm": 3.0, "phase": "PV"}
    recs = [_record(i, i % 4 == 0, same, float(v)) for i, v in enumerate(rng.lognormal(np.log(66), 0.7, 30))]
    quiet = monitor(recs, {"a" * 64: (Path("."), manifest)}, {"a" * 64: ref})
    assert not [a for a in quiet["alarms"] if a["kind"] in ("drift", "scanner")], quiet["alarms"]
    moved = [
        _record(i, i % 4 == 0, new if i > 20 else same, float(v))
        for i, v in enumerate(rng.lognormal(np.log(66) + 1.2, 0.7, 30))
    ]
    loud = monitor(moved, {"a" * 64: (Path("."), manifest)}, {"a" * 64: ref})
    kinds = {a["kind"] for a in loud["alarms"]}
    assert {"drift", "scanner"} <= kinds
    scanner = loud["bundles"][0]["drift"]["new_acquisition"]
    assert scanner == [
        {"field": "kernel", "value": "FC52", "recipients": 9, "study_ids": [f"S{i:03d}" for i in range(21, 30)],
         "alarm": True}
    ]  # fmt: skip
    psi = {d["input"]: d for d in loud["bundles"][0]["drift"]["psi"]}
    assert psi["platelets"]["alarm"] and not psi["spleen_volume_ml"]["alarm"]


def test_acquisition_metadata_is_read_from_the_dicom_series(tmp_path: Path) -> None:
    cohort = Path(
        generate_cohort(
            tmp_path / "img",
            n=1,
            prospective=1,
            seed=5,
            shift=ProspectiveShift(scanner_kernel="FC52"),
            workers=1,
        )
    )
    dev = acquisition_of(cohort / "images" / "HSP-0001" / "dicom")
    new = acquisition_of(cohort / "images" / "HSP-0002" / "dicom")
    assert dev is not None and new is not None
    assert dev["kernel"] == "" and new["kernel"] == "FC52"
    assert new["manufacturer"] == "Synthetic NewScan" and new["phase"] == "PORTAL_VENOUS"
    assert acquisition_of(cohort / "images" / "HSP-0001" / "ct.nii.gz") is None


def test_store_reference_from_a_development_cohort(bundles: tuple[Path, Path], tmp_path: Path) -> None:
    from hsp_desktop.validation.cli import store_reference
    from hsp_desktop.validation.monitor import load_reference

    cohort = Path(generate_cohort(tmp_path / "dev", n=60, prospective=0, seed=8, images=False))
    path = store_reference(bundles[0], cohort, tmp_path / "data")
    model = load_bundle(bundles[0])
    ref = load_reference({}, model.sha256, tmp_path / "data")
    assert ref is not None and path.is_file()
    assert set(ref["inputs"]) == {"platelets", "spleen_volume_ml"}
    assert sum(ref["inputs"]["platelets"]["proportions"]) == pytest.approx(1.0)
    assert ref["inputs"]["platelets"]["n"][0] > 40  # development recipients with a derived outcome
    assert ref["acquisition"]["kernel"] == []  # no images in this cohort: nothing to compare against

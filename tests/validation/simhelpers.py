"""Synthetic prospective studies for the monitoring tests: a small clinical bundle and a replayed registry.

The bundle is fitted on a synthetic development cohort (platelets and spleen volume, the two strongest published
predictors) and written with the real ``save_bundle`` so it passes the strict loader.  A prospective cohort is
generated with ``generate_cohort`` (optionally with a known shift), imported into a registry, and each recipient is
scored on the day of the CT, before the transplant: the registry's clock is set back to that day for the save,
which is what happened in the study (scoring now, outcomes six months later).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hsp_desktop.synthetic.clinical import simulate_preop
from hsp_desktop.validation.monitor import build_reference
from models.bundle import feature_entries, load_bundle, save_bundle
from models.logistic import fit_logistic

DEV_ACQUISITION = {
    "manufacturer": "HSP Desktop synthetic phantom",
    "kernel": "",
    "slice_thickness_mm": 5.0,
    "phase": "PORTAL_VENOUS",
}


def clinical_bundle(out: Path, *, n: int = 400, seed: int = 3, name: str = "hsp-clinical-test") -> Path:
    """Fit and lock a two-term logistic model (log2 platelets, log2 spleen volume) on a development cohort."""
    preop = simulate_preop(n, seed)
    table = preop[["platelets", "spleen_volume_ml"]].astype(float)
    y = preop["_y"].to_numpy(dtype=np.float64)
    X = np.log2(table.to_numpy())
    fit = fit_logistic(X, y)
    spec: dict[str, Any] = {
        "kind": "hsp-linear-stack",
        "format": 1,
        "clinical": [
            {"name": c, "transform": "log2", "median": float(np.median(X[:, j])), "label": c, "unit": u}
            for j, (c, u) in enumerate((("platelets", "x10^9/L"), ("spleen_volume_ml", "ml")))
        ],
        "scores": [],
        "deep_score": None,
        "meta": {
            "terms": ["platelets", "spleen_volume_ml"],
            "intercept": float(fit.coef[0]),
            "coef": [float(v) for v in fit.coef[1:]],
            "cov": fit.cov.tolist(),
            "term_means": X.mean(axis=0).tolist(),
        },
    }
    p = 1 / (1 + np.exp(-(fit.coef[0] + X @ fit.coef[1:])))
    bands = {}
    for band, sel in (("low", p < 0.15), ("intermediate", (p >= 0.15) & (p < 0.4)), ("high", p >= 0.4)):
        bands[band] = {"n": int(sel.sum()), "events": int(y[sel].sum()), "rate": float(y[sel].mean())}
    save_bundle(
        out,
        spec,
        name=name,
        version="1",
        features=feature_entries(spec, table),
        band_thresholds=[0.15, 0.4],
        band_observed=bands,
        training_summary={
            "recipients_used": n,
            "events": int(y.sum()),
            "source": f"simulate_preop({n}, {seed})",
        },
        validation={},
        outcome_definition_id="HSP-RH6-v1",
        intended_use="test bundle (synthetic)",
        extra={
            "monitoring_reference": build_reference(
                table,
                ["platelets", "spleen_volume_ml"],
                [DEV_ACQUISITION],
                f"synthetic development cohort (seed {seed})",
            )
        },
    )
    return out


@contextlib.contextmanager
def registry_clock(monkeypatch: Any, day: dt.date) -> Iterator[None]:
    """Set the registry's timestamp source to ``day`` (noon UTC) for the saves inside the block."""
    stamp = f"{day.isoformat()}T12:00:00.000000Z"
    import hsp_desktop.registry.core as core

    with monkeypatch.context() as m:
        m.setattr(core, "_now", lambda: stamp, raising=False)
        try:
            import hsp_desktop.registry.jsonutil as ju
        except ModuleNotFoundError:
            pass
        else:
            m.setattr(ju, "now", lambda: stamp)
        yield


def score_prospective(
    registry: Any,
    user: Any,
    cohort: Path,
    bundle: Path,
    monkeypatch: Any,
    *,
    after_transplant: tuple[str, ...] = (),
) -> list[str]:
    """Import a cohort's prospective recipients and score each on its CT day (``after_transplant``: 7 days after)."""
    clinical = pd.read_csv(cohort / "clinical.csv")
    registry.import_csv(cohort / "clinical.csv", by=user, confirm_units=True)
    registry.import_followup_csv(cohort / "followup.csv", by=user, confirm_units=True)
    model = load_bundle(bundle)
    prosp = clinical[clinical["cohort"] == "validation"].reset_index(drop=True)
    preds = model.predict(prosp[model.feature_names].astype(float))
    for i, pr in enumerate(preds):
        sid = str(prosp["study_id"].iat[i])
        when = dt.date.fromisoformat(str(prosp["ct_date"].iat[i]))
        if sid in after_transplant:
            when = dt.date.fromisoformat(str(prosp["transplant_date"].iat[i])) + dt.timedelta(days=7)
        record = {
            "model_id": f"{model.name} {model.version}",
            "manifest_sha256": model.sha256,
            "inputs": {n: float(prosp[n].iat[i]) for n in model.feature_names},
            "features": {n: float(prosp[n].iat[i]) for n in model.feature_names},
            "probability": pr.probability,
            "ci_low": pr.ci_low,
            "ci_high": pr.ci_high,
            "band": pr.band,
        }
        with registry_clock(monkeypatch, when):
            series = cohort / "images" / sid / "dicom"
            if series.is_dir():
                ct = cohort / "images" / sid / "ct.nii.gz"
                record["imaging_id"] = registry.add_imaging_study(
                    sid,
                    ct_path=series,
                    mask_path=None,
                    ct_sha256=hashlib.sha256(ct.read_bytes()).hexdigest(),
                    mask_sha256=None,
                    qc_report={"passed": True, "checks": []},
                    by=user,
                )
            registry.save_prediction(sid, record, by=user)
    registry.refresh_outcomes(by=user, today=dt.date(2026, 6, 30))
    return [str(s) for s in prosp["study_id"]]

"""The shipped demo bundle verifies, predicts, and carries what the app and the reports read."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from models.bundle import load_bundle

DEMO = Path(__file__).resolve().parents[2] / "models" / "artifacts" / "hsp-demo-1"


def test_demo_bundle_loads_and_predicts():
    model = load_bundle(DEMO)
    m = model.manifest
    assert m["kind"] == "risk-model" and m["name"] == "hsp-demo-1"
    assert model.feature_names[:2] == ["platelets", "spleen_volume_ml"]
    # the pre-specified rule chose the locked model (issue 16): multimodal only with a significant AUC gain
    v = m["validation"]
    choice = v["model_choice"]
    assert choice["selected"] == v["selected"] == ("multimodal" if choice["ci_low"] > 0 else "clinical")
    assert any(f.startswith("spleen__") for f in model.feature_names) == (choice["selected"] == "multimodal")
    assert v["bootstrap"][v["selected"]]["n_boot"] >= 60
    assert v["sample_size"]["ok"] or v["sample_size"]["override"]
    assert "estimand" in v and {r["scenario"] for r in v["sensitivity"]["rows"]} >= {
        "primary",
        "splenic_artery_as_1",
    }
    assert m["outcome_definition_id"] == "HSP-RH6-v2" and "synthetic" in m["intended_use"]
    assert set(m["bands"]["observed"]) == {"low", "intermediate", "high"}
    # a recipient at the training medians, then one with low platelets and a big spleen
    med = {f["name"]: f["train_median"] for f in m["features"]}
    table = pd.DataFrame([med, {**med, "platelets": 25.0, "spleen_volume_ml": 1800.0}])[model.feature_names]
    typical, severe = model.predict(table)
    assert typical.ci_low < typical.probability < typical.ci_high
    assert severe.probability > typical.probability
    assert np.isclose(typical.baseline_log_odds + sum(c[3] for c in typical.contributions), typical.log_odds)

"""Statistics of the TRIPOD+AI validation report (issue 16)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from models.reporting_stats import (
    calibration_errors,
    decision_curves_compared,
    subgroup_performance,
    table_one,
)


def sample(n: int = 600, seed: int = 0, miscalibrated: bool = False) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    lp = rng.normal(-1.2, 1.0, n)
    y = (rng.random(n) < special.expit(lp)).astype(int)
    p = special.expit(2 * lp + 1) if miscalibrated else special.expit(lp)
    return y, p


def test_ici_and_e90_small_when_calibrated_large_when_not():
    y, p = sample(5000)
    good = calibration_errors(y, p)
    bad = calibration_errors(*sample(5000, miscalibrated=True))
    assert good["ici"] < 0.02 and good["e50"] <= good["e90"] <= good["emax"]
    assert bad["ici"] > 2 * good["ici"] and bad["e90"] > good["e90"]


def test_decision_curves_compared_have_bands_and_interventions_avoided():
    y, p = sample()
    noise = np.random.default_rng(1).random(len(y)) * 0.5
    out = decision_curves_compared(y, {"clinical": noise, "multimodal": p}, n_boot=50, seed=2)
    nb = np.array(out["multimodal"]["net_benefit"])
    assert np.all(np.array(out["multimodal"]["low"]) <= nb + 1e-12) and np.all(
        nb <= np.array(out["multimodal"]["high"]) + 1e-12
    )
    i = out["thresholds"].index(0.2)
    t = 0.2
    expected = 100 * (nb[i] - out["treat_all"][i]) / (t / (1 - t))
    assert out["multimodal"]["interventions_avoided_per_100"][i] == expected
    assert out["multimodal"]["net_benefit"][i] > out["clinical"]["net_benefit"][i]


def test_subgroups_and_table_one():
    y, p = sample(400, seed=3)
    rng = np.random.default_rng(3)
    clinical = pd.DataFrame(
        {
            "sex": rng.choice(["M", "F"], 400, p=[0.8, 0.2]),
            "hcc": rng.integers(0, 2, 400),
            "aetiology": rng.choice(["hbv", "alcohol"], 400),
            "graft_type": rng.choice(["deceased_whole", "living"], 400, p=[0.9, 0.1]),
            "age": rng.normal(50, 10, 400),
            "platelets": np.where(rng.random(400) < 0.05, np.nan, rng.lognormal(4.2, 0.7, 400)),
        }
    )
    rows = {r["label"]: r for r in subgroup_performance(y, p, clinical)}
    assert rows["Male"]["n"] + rows["Female"]["n"] == 400
    assert rows["HCC"]["n"] + rows["No HCC"]["n"] == 400
    assert rows["Living or split graft"]["n"] == int((clinical.graft_type == "living").sum())
    assert rows["Male"]["auc_ci"][0] < rows["Male"]["auc"] < rows["Male"]["auc_ci"][1]
    t1 = {r["label"]: r for r in table_one(clinical, y)}
    assert t1["Platelets, x10^9/L, median (IQR)"]["missing"] == int(clinical.platelets.isna().sum()) > 0
    assert t1["Male sex, n (%)"]["p"] is not None

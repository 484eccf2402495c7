"""Shared fixtures of the model tests: a synthetic development table with a simulated radiomics block."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from radiomics_fixture import simulate_radiomics


def make_table(n: int, seed: int, n_features: int = 300) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    from hsp_desktop.synthetic import simulate_preop

    pre = simulate_preop(n, seed=seed)
    rad, rep = simulate_radiomics(
        pre, n_features=n_features, n_families=20 if n_features < 1000 else 40, seed=0
    )
    clinical = pre.set_index("study_id")[
        ["platelets", "spleen_volume_ml", "splenic_vein_mm", "portal_vein_mm", "wbc"]
    ]
    return pd.concat([clinical, rad], axis=1), pre["_y"].to_numpy().astype(int), rep


@pytest.fixture(scope="session")
def dev_table():
    return make_table(200, seed=101)


@pytest.fixture(scope="session")
def test_table():
    return make_table(2000, seed=202)

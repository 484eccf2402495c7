"""DeLong AUC, CI and paired test agree with R's pROC 1.18 (issue #5: to 1e-6 on the same data).

``tests/data/proc/reference.csv`` was computed by ``tests/data/proc/proc_reference.R`` (pROC 1.18.0, R 4.2.2) on
``cases.csv`` (written by ``make_cases.py``: 8 data sets, n 12-400, 4-50 % events, heavy ties, AUC 0.4-0.96).
Where Rscript with pROC is installed, the reference is also recomputed live, so the stored file cannot go stale.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models.metrics import auc_delong, delong_paired_test

PROC = Path(__file__).resolve().parents[1] / "data" / "proc"
TOL = 1e-6


def _ours(cases: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for case, x in cases.groupby("case", sort=True):
        a1 = auc_delong(x["y"], x["s1"])
        a2 = auc_delong(x["y"], x["s2"])
        t = delong_paired_test(x["y"], x["s1"], x["s2"])
        rows.append(
            {
                "case": case,
                "auc1": a1.auc,
                "auc2": a2.auc,
                "var1": a1.se**2,
                "var2": a2.se**2,
                # pROC clips the CI of one AUC to [0, 1]
                "ci1_low": max(a1.ci_low, 0.0),
                "ci1_high": min(a1.ci_high, 1.0),
                "z": t.z,
                "p": t.p_value,
                "diff_ci_low": t.ci_low,
                "diff_ci_high": t.ci_high,
            }
        )
    return pd.DataFrame(rows)


def _compare(ours: pd.DataFrame, ref: pd.DataFrame) -> None:
    assert list(ours["case"]) == list(ref["case"])
    for col in ref.columns.drop("case"):
        diff = np.abs(ours[col].to_numpy() - ref[col].to_numpy())
        assert diff.max() <= TOL, f"{col}: max |ours - pROC| = {diff.max():.2e} (case {int(np.argmax(diff))})"


def test_delong_matches_stored_proc_reference() -> None:
    cases = pd.read_csv(PROC / "cases.csv")
    _compare(_ours(cases), pd.read_csv(PROC / "reference.csv"))


def test_stored_cases_are_what_the_generator_writes() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_cases", PROC / "make_cases.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    stored = pd.read_csv(PROC / "cases.csv")
    pd.testing.assert_frame_equal(module.cases(), stored, check_exact=False, rtol=1e-15, atol=0)


def _has_proc() -> bool:
    rscript = shutil.which("Rscript")
    if rscript is None:
        return False
    probe = subprocess.run(
        [rscript, "-e", "quit(status = !requireNamespace('pROC', quietly = TRUE))"], capture_output=True
    )
    return probe.returncode == 0


@pytest.mark.skipif(
    not _has_proc(), reason="Rscript with the pROC package is not installed (apt: r-cran-proc)"
)
def test_delong_matches_live_proc(tmp_path: Path) -> None:
    shutil.copy(PROC / "cases.csv", tmp_path / "cases.csv")
    subprocess.run(
        ["Rscript", str(PROC / "proc_reference.R"), str(tmp_path)], check=True, capture_output=True
    )
    live = pd.read_csv(tmp_path / "reference.csv")
    _compare(_ours(pd.read_csv(tmp_path / "cases.csv")), live)
    pd.testing.assert_frame_equal(live, pd.read_csv(PROC / "reference.csv"), rtol=1e-12, atol=0)

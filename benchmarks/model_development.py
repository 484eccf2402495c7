"""Benchmark and acceptance run of the model development (issue #5 "Done means").

Development cohort: ``simulate_preop(200, seed)`` + a SIMULATED radiomics-like block of ~1,300 features (TEST
FIXTURE from tests/models/radiomics_fixture.py - features "already extracted"; real radiomics come from the
images).  Runs the full development (Riley check, 6 candidates under 5x5 nested CV, 200 bootstrap resamples for
the multimodal model, 100 for the clinical one, final fit) on 2 worker processes and times it; then scores an
independent synthetic test cohort (n = 5,000, other seed) with the locked coefficients.

Usage::

    .venv/bin/python benchmarks/model_development.py [--n-boot 200] [--n-repeats 5] [--jobs 2] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "models"))

from radiomics_fixture import simulate_radiomics  # noqa: E402

from hsp_desktop.synthetic import simulate_preop  # noqa: E402
from models.development import DevelopmentConfig, develop  # noqa: E402
from models.metrics import auc_delong, calibration, delong_paired_test  # noqa: E402

CLINICAL = [
    "age",
    "platelets",
    "wbc",
    "spleen_volume_ml",
    "spleen_length_cm",
    "splenic_vein_mm",
    "portal_vein_mm",
    "meld",
]


def cohort(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    pre = simulate_preop(n, seed=seed)
    rad, rep = simulate_radiomics(pre, n_features=1300, seed=0)
    table = pd.concat([pre.set_index("study_id")[CLINICAL], rad], axis=1)
    return table, pre["_y"].to_numpy().astype(int), rep


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=20260101)
    ap.add_argument("--dev-seed", type=int, default=1)
    ap.add_argument("--test-seed", type=int, default=2)
    ap.add_argument("--n-boot", type=int, default=200)
    ap.add_argument("--n-repeats", type=int, default=5)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--n-test", type=int, default=5000)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()

    X, y, rep = cohort(200, args.dev_seed)
    print(
        f"development: {X.shape[0]} recipients, {int(y.sum())} events, {X.shape[1]} columns "
        f"({sum('__' in c for c in X.columns)} radiomics)"
    )
    cfg = DevelopmentConfig(seed=args.seed, n_repeats=args.n_repeats, n_boot=args.n_boot, n_jobs=args.jobs)
    t0 = time.perf_counter()
    res = develop(X, y, replicates=rep, config=cfg)
    elapsed = time.perf_counter() - t0
    from joblib.externals.loky import get_reusable_executor

    get_reusable_executor().shutdown(wait=True)  # so the workers' CPU time is counted below
    import resource

    cpu = sum(
        getattr(resource.getrusage(who), f)
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
        for f in ("ru_utime", "ru_stime")
    )
    Xt, yt, _ = cohort(args.n_test, args.test_seed)
    p_multi = res.model.predict_proba(Xt)[:, 1]
    clinical = res.candidates["clinical"].fit(X, y)
    p_clin = clinical.predict_proba(Xt)[:, 1]
    auc_t = auc_delong(yt, p_multi)
    cal_t = calibration(yt, p_multi)
    boot = res.bootstrap["multimodal"]
    out = {
        "elapsed_s": elapsed,
        "cpu_s_including_workers": cpu,
        "cpu_s_per_core_on_2_cores": cpu / 2,
        "load_average_at_end": list(__import__("os").getloadavg()),
        "config": cfg.__dict__,
        "terms": res.model.terms_,
        "selection": res.model.selection_report_,
        "sample_size": res.sample_size.as_dict(),
        "nested_cv_auc": {k: v.auc_mean for k, v in res.nested.items()},
        "bootstrap": boot.as_dict(),
        "paired_delong_dev_oof": res.paired,
        "odds_ratios": res.odds_ratios,
        "test": {
            "n": len(yt),
            "events": int(yt.sum()),
            "auc": auc_t.as_dict(),
            "calibration": cal_t.as_dict(),
            "clinical_auc": auc_delong(yt, p_clin).as_dict(),
            "paired_delong_multimodal_vs_clinical": delong_paired_test(yt, p_multi, p_clin).as_dict(),
            "true_preop_lp_auc": auc_delong(
                yt, simulate_preop(args.n_test, seed=args.test_seed)["_lp_preop"]
            ).auc,
        },
        "checks": {
            "harrell_corrected_auc_in_0.72_0.82": 0.72 <= boot.corrected["auc"] <= 0.82,
            "test_auc_within_0.03_of_harrell": abs(auc_t.auc - boot.corrected["auc"]) <= 0.03,
            "oob_corrected_auc_in_0.72_0.82": 0.72 <= boot.auc_oob_optimism_corrected <= 0.82,
            "test_auc_within_0.03_of_oob_corrected": abs(auc_t.auc - boot.auc_oob_optimism_corrected) <= 0.03,
            "nested_cv_auc_in_0.72_0.82": 0.72 <= res.nested["multimodal"].auc_mean <= 0.82,
            "test_auc_within_0.03_of_nested_cv": abs(auc_t.auc - res.nested["multimodal"].auc_mean) <= 0.03,
            "test_slope_in_0.8_1.2": 0.8 <= cal_t.slope <= 1.2,
            "multimodal_ge_clinical_test": auc_t.auc >= auc_delong(yt, p_clin).auc,
            "under_10_min": elapsed < 600,
        },
    }
    print(json.dumps(out, indent=1, default=float))
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, default=float) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

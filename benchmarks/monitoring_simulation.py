"""Operating characteristics of the prospective monitoring and updating on synthetic cohorts with a known shift.

    .venv/bin/python benchmarks/monitoring_simulation.py [--reps 300] [--update-reps 100] [--json out.json]

A two-term clinical bundle (log2 platelets, log2 spleen volume) is fitted and locked on a synthetic development
cohort (tests/validation/simhelpers.py).  Prospective cohorts come from the project's generator
(``simulate_preop(..., prospective_shift=...)`` + ``simulate_followup``: outcomes derived by the protocol definition,
pending and competing recipients included) and go through the same :func:`hsp_desktop.validation.monitor.monitor`
as ``hsp monitor``:

1. unshifted, n = 30: share of repetitions with no alarm of any kind (CUSUM, PSI, out-of-range, scanner);
2. intercept shift (+1 log-odds) and a new scanner kernel, n = 30 and n = 80: CUSUM and scanner alarm rates;
3. closed testing on an updating cohort of 600 (unshifted -> "none", shifted -> "intercept") and the final model's
   calibration on a fresh cohort of 1000 (intercept CI covers 0, slope CI covers 1, both), beside the same coverage
   for the best two-term model of that population (fitted on 50,000: the ceiling, ~0.95 x 0.95).  For speed
   this part uses the generator's true outcome ``_y`` (complete follow-up); the registry tests use the derived one.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "validation"))

from simhelpers import DEV_ACQUISITION, clinical_bundle

from hsp_desktop.synthetic.clinical import simulate_preop
from hsp_desktop.synthetic.followup import simulate_followup
from hsp_desktop.validation.monitor import monitor
from models.bundle import load_bundle

NEW_SCANNER = {**DEV_ACQUISITION, "manufacturer": "Synthetic NewScan", "kernel": "FC52"}


def cohort(n: int, seed: int, shift: float) -> tuple[Any, Any]:
    """Prospective recipients (and their derived outcomes) of one synthetic study."""
    preop = simulate_preop(1, seed, prospective=n, prospective_shift=shift)
    follow, outcomes = simulate_followup(preop, seed)
    keep = (preop["cohort"] == "validation").to_numpy()
    return preop[keep].reset_index(drop=True), (outcomes[keep].reset_index(drop=True), follow)


def records(model: Any, preop: Any, extra: Any, acquisition: dict[str, Any]) -> list[dict[str, Any]]:
    """Monitoring records as ``records_from_registry`` builds them (scored on the CT day, before transplant)."""
    outcomes, follow = extra
    probs = model.predict_proba(preop[model.feature_names].astype(float))
    by_id = dict(iter(follow.groupby("study_id")))
    empty = follow.iloc[0:0]
    out = []
    for i in range(len(preop)):
        sid = str(preop["study_id"].iat[i])
        status = str(outcomes["outcome_status"].iat[i])
        visits = by_id.get(sid, empty)
        ev = visits[visits["event"].fillna("").astype(str).isin(["death", "retransplant"])]
        out.append(
            {
                "study_id": sid,
                "transplant_date": str(preop["transplant_date"].iat[i]),
                "outcome": int(status) if status in ("0", "1") else status,
                "flags": [],
                "event_day": int(ev["day"].iat[0]) if len(ev) else None,
                "last_day": int(visits["day"].max()) if len(visits) else None,
                "secondary": {},
                "baseline": {},
                "visits": [],
                "acquisition": acquisition,
                "predictions": [
                    {
                        "id": i,
                        "manifest_sha256": model.sha256,
                        "model_id": "m",
                        "probability": float(probs[i]),
                        "band": None,
                        "created_at": str(preop["ct_date"].iat[i]) + "T10:00:00Z",
                        "features": {n: float(preop[n].iat[i]) for n in model.feature_names},
                    }
                ],
            }
        )
    return out


def alarm_rates(
    model: Any, reps: int, n: int, shift: float, acquisition: dict[str, Any], seed0: int
) -> dict[str, Any]:
    """Share of repetitions with each kind of alarm."""
    bundles = {model.sha256: (model.path, model.manifest)}
    refs = {model.sha256: model.manifest["monitoring_reference"]}
    kinds: dict[str, int] = {"any": 0, "calibration": 0, "drift": 0, "scanner": 0}
    for r in range(reps):
        preop, extra = cohort(n, seed0 + r, shift)
        rep = monitor(records(model, preop, extra, acquisition), bundles, refs)
        seen = {a["kind"] for a in rep["alarms"]}
        kinds["any"] += bool(seen)
        for k in seen:
            kinds[k] += 1
    return {"reps": reps, "n": n, "shift": shift, **{k: v / reps for k, v in kinds.items()}}


def _covers(cal: Any) -> tuple[bool, bool]:
    return cal.intercept_ci[0] <= 0 <= cal.intercept_ci[1], cal.slope_ci[0] <= 1 <= cal.slope_ci[1]


def updating(
    model: Any, reps: int, shift: float, seed0: int, tmp: Path, n_update: int = 600
) -> dict[str, Any]:
    """Closed-testing choices and fresh-cohort calibration of the updated bundle (and of the best 2-term model)."""
    from hsp_desktop.validation.updating import update_from_table
    from models.logistic import fit_logistic
    from models.metrics import calibration

    big = simulate_preop(1, seed0 + 77_777, prospective=50_000, prospective_shift=shift).iloc[1:]
    X = np.log2(big[model.feature_names].to_numpy(dtype=float))
    best = fit_logistic(X, big["_y"].to_numpy(dtype=float)).coef  # the best two-term model in that population
    picks: dict[str, int] = {}
    cover = {"intercept": 0, "slope": 0, "both": 0, "both_best_model": 0}
    for r in range(reps):
        preop = simulate_preop(1, seed0 + r, prospective=n_update, prospective_shift=shift).iloc[1:]
        res = update_from_table(model.path, preop, preop["_y"].to_numpy(), tmp / f"u{shift}-{r}")
        picks[res.method] = picks.get(res.method, 0) + 1
        fresh = simulate_preop(1, 90_000 + seed0 + r, prospective=1000, prospective_shift=shift).iloc[1:]
        y = fresh["_y"].to_numpy()
        Xf = fresh[model.feature_names].astype(float)
        final = load_bundle(res.out) if res.out is not None else model
        ci, cs = _covers(calibration(y, final.predict_proba(Xf)))
        cover["intercept"] += ci
        cover["slope"] += cs
        cover["both"] += ci and cs
        p_best = 1 / (1 + np.exp(-(best[0] + np.log2(Xf.to_numpy()) @ best[1:])))
        cover["both_best_model"] += all(_covers(calibration(y, p_best)))
    return {
        "reps": reps,
        "shift": shift,
        "n_update": n_update,
        "picks": {k: v / reps for k, v in sorted(picks.items())},
        "fresh_calibration_ci_covers": {k: v / reps for k, v in cover.items()},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=300, help="repetitions of the unshifted scenario")
    ap.add_argument("--shift-reps", type=int, default=100, help="repetitions of each shifted scenario")
    ap.add_argument("--update-reps", type=int, default=100)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        model = load_bundle(clinical_bundle(Path(tmp) / "bundle", n=1000))
        results: dict[str, Any] = {
            "unshifted_n30": alarm_rates(model, args.reps, 30, 0.0, DEV_ACQUISITION, 10_000),
            "shifted_n30": alarm_rates(model, args.shift_reps, 30, 1.0, NEW_SCANNER, 20_000),
            "shifted_n80": alarm_rates(model, args.shift_reps, 80, 1.0, NEW_SCANNER, 30_000),
            "update_unshifted": updating(model, args.update_reps, 0.0, 40_000, Path(tmp)),
            "update_shifted": updating(model, args.update_reps, 1.0, 50_000, Path(tmp)),
        }
    results["seconds"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(results, indent=1))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

"""The monitoring statistics against reference implementations and against their definitions."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from scipy import special

from models.monitoring import (
    aalen_johansen,
    cusum_limit,
    cusum_path,
    cusum_weights,
    ipcw_accuracy,
    observed_expected,
    population_stability,
    reference_bins,
    risk_adjusted_cusum,
)
from models.updating import closed_test, updated_meta

DATA = Path(__file__).resolve().parent / "data"


def _example() -> dict[str, list[float] | float]:
    return json.loads((DATA / "competing_example.json").read_text())


def test_aalen_johansen_equals_lifelines_reference() -> None:
    d = _example()
    ref = json.loads((DATA / "lifelines_aj_reference.json").read_text())
    est = aalen_johansen(d["time"], d["status"], cause=1)
    ours = np.array([est.at(t) for t in ref["times"]])
    assert np.max(np.abs(ours - np.asarray(ref["cif"]))) < 1e-9
    assert est.events == 25 and est.competing == 16


def test_aalen_johansen_equals_lifelines_live() -> None:
    lifelines = pytest.importorskip("lifelines", reason="lifelines (dev reference) not installed")
    d = _example()
    fitter = lifelines.AalenJohansenFitter(calculate_variance=False)
    fitter.fit(np.asarray(d["time"]), np.asarray(d["status"]), event_of_interest=1)
    cif = fitter.cumulative_density_
    est = aalen_johansen(d["time"], d["status"], cause=1)
    ours = np.array([est.at(t) for t in cif.index])
    assert np.max(np.abs(ours - cif.iloc[:, 0].to_numpy())) < 1e-9


def test_aalen_johansen_without_competing_events_is_one_minus_kaplan_meier() -> None:
    t = np.array([1.0, 2, 2, 3, 4, 5, 6])
    s = np.array([1, 0, 1, 1, 0, 1, 0])
    est = aalen_johansen(t, s)
    km, surv = {}, 1.0
    for u in np.unique(t[s == 1]):
        surv *= 1 - np.sum((t == u) & (s == 1)) / np.sum(t >= u)
        km[u] = 1 - surv
    for u, v in km.items():
        assert est.at(u) == pytest.approx(v, abs=1e-12)


def test_ipcw_auc_and_brier_equal_riskregression_score_reference() -> None:
    d = _example()
    ref = json.loads((DATA / "riskregression_reference.json").read_text())
    acc = ipcw_accuracy(d["time"], d["status"], d["risk"], float(d["horizon"]))  # type: ignore[arg-type]
    assert abs(acc.auc - ref["auc"]) < 1e-9
    assert abs(acc.brier - ref["brier"]) < 1e-9


def test_ipcw_auc_and_brier_equal_riskregression_score_live() -> None:
    if shutil.which("Rscript") is None:
        pytest.skip("R is not installed (packaging/bootstrap.sh --dev installs r-cran-riskregression)")
    check = subprocess.run(
        ["Rscript", "-e", "library(riskRegression); library(jsonlite)"], capture_output=True, check=False
    )
    if check.returncode != 0:
        pytest.skip("riskRegression is not installed (apt r-cran-riskregression)")
    out = subprocess.run(
        ["Rscript", str(DATA / "riskregression_score.R"), str(DATA / "competing_example.json")],
        capture_output=True,
        text=True,
        check=True,
    )
    ref = json.loads(out.stdout)
    d = _example()
    acc = ipcw_accuracy(d["time"], d["status"], d["risk"], float(d["horizon"]))  # type: ignore[arg-type]
    assert abs(acc.auc - ref["auc"]) < 1e-9
    assert abs(acc.brier - ref["brier"]) < 1e-9


def test_ipcw_without_censoring_is_the_plain_auc_and_brier() -> None:
    from models.metrics import auc_delong

    rng = np.random.default_rng(3)
    risk = rng.uniform(0.05, 0.9, 50)
    status = (rng.random(50) < risk).astype(int)
    time = np.where(status == 1, rng.uniform(1, 170, 50), 400.0)
    acc = ipcw_accuracy(time, status, risk, 180.0)
    assert acc.auc == pytest.approx(auc_delong(status, risk).auc, abs=1e-12)
    assert acc.brier == pytest.approx(float(np.mean((status - risk) ** 2)), abs=1e-12)


def test_observed_expected_exact_poisson_interval() -> None:
    oe = observed_expected([1] * 8 + [0] * 22, [8 / 30] * 30)
    assert oe.ratio == pytest.approx(1.0)
    # Garwood exact limits for 8 events: 3.4538 and 15.7632
    assert oe.ci_low == pytest.approx(3.4538 / 8, abs=1e-4)
    assert oe.ci_high == pytest.approx(15.7632 / 8, abs=1e-4)
    zero = observed_expected([0] * 10, [0.1] * 10)
    assert zero.ci_low == 0.0 and zero.ci_high == pytest.approx(3.6889, abs=1e-4)


def test_cusum_weights_and_path_follow_steiner() -> None:
    w = cusum_weights([1, 0, 0, 1], [0.2, 0.2, 0.5, 0.5], 2.0)
    assert w[0] == pytest.approx(np.log(2) - np.log(1.2))
    assert w[1] == pytest.approx(-np.log(1.2))
    assert list(cusum_path([0.5, -1.0, 0.3, 0.4])) == pytest.approx([0.5, 0.0, 0.3, 0.7])


def test_cusum_limit_gives_the_stated_false_alarm_rate() -> None:
    rng = np.random.default_rng(11)
    p = rng.uniform(0.05, 0.5, 30)
    h = cusum_limit(p, 2.0, 0.05, n_sim=4000, seed=1)
    sims = (np.random.default_rng(99).random((4000, 30)) < p).astype(float)
    alarms = [np.max(cusum_path(cusum_weights(y, p, 2.0))) >= h for y in sims]
    assert 0.03 <= float(np.mean(alarms)) <= 0.06


def test_cusum_alarms_when_events_are_more_frequent_than_predicted() -> None:
    rng = np.random.default_rng(5)
    p = rng.uniform(0.05, 0.4, 60)
    y = (rng.random(60) < special.expit(special.logit(p) + 1.5)).astype(int)
    res = risk_adjusted_cusum(y, p, 2.0, 0.01)
    assert res.alarm_index is not None
    assert res.path[res.alarm_index] >= res.limit


def test_psi_small_when_unshifted_and_large_when_shifted() -> None:
    rng = np.random.default_rng(2)
    dev = rng.lognormal(np.log(66), 0.7, 200)
    ref = reference_bins(dev)
    same = population_stability(rng.lognormal(np.log(66), 0.7, 3000), ref)
    moved = population_stability(rng.lognormal(np.log(66) + 0.8, 0.7, 30), ref)
    assert same.psi < 0.05
    assert moved.psi > 0.25 and moved.p_value < 0.01
    assert sum(ref["proportions"]) == pytest.approx(1.0)


def _meta_and_design(rng: np.random.Generator, n: int) -> tuple[dict[str, object], np.ndarray]:
    meta = {
        "terms": ["platelets", "spleen_volume_ml", "rad_score"],
        "intercept": 2.0,
        "coef": [-0.9, 0.4, 1.0],
        "cov": np.eye(4).tolist(),
    }
    M = np.column_stack([rng.normal(6.3, 0.8, n), rng.normal(9.3, 0.6, n) - 3.0, rng.normal(0.0, 0.6, n)])
    return meta, M


def _simulate(meta: dict[str, object], M: np.ndarray, rng: np.random.Generator, kind: str) -> np.ndarray:
    lp = float(meta["intercept"]) + M @ np.asarray(meta["coef"])  # type: ignore[arg-type]
    if kind == "intercept":
        lp = lp + 1.0
    elif kind == "recalibration":
        lp = -0.3 + 0.4 * lp
    elif kind == "revision":
        lp = lp + 1.2 * (M[:, 1] - M[:, 1].mean())
    return (rng.random(len(lp)) < special.expit(lp)).astype(int)


@pytest.mark.parametrize("kind", ["none", "intercept", "recalibration", "revision"])
def test_closed_testing_picks_the_method_the_simulated_shift_calls_for(kind: str) -> None:
    picks = []
    for rep in range(20):
        rng = np.random.default_rng(1000 + rep)
        meta, M = _meta_and_design(rng, 1500)
        y = _simulate(meta, M, rng, kind)
        picks.append(closed_test(y, M, meta, ["rad_score"]).method)
    # each test has level 0.05: the intended method wins in the large majority of repetitions
    assert picks.count(kind) >= 16, picks


@pytest.mark.parametrize("method", ["intercept", "recalibration", "revision"])
def test_updated_meta_reproduces_the_fitted_candidate(method: str) -> None:
    rng = np.random.default_rng(7)
    meta, M = _meta_and_design(rng, 400)
    y = _simulate(meta, M, rng, "revision")
    choice = closed_test(y, M, meta, ["rad_score"])
    new = updated_meta(meta, choice, method, ["rad_score"])
    lp_new = new["intercept"] + M @ np.asarray(new["coef"])
    lp0 = float(meta["intercept"]) + M @ np.asarray(meta["coef"])  # type: ignore[arg-type]
    theta = np.asarray(choice.params[method])
    if method == "intercept":
        expected = theta[0] + lp0
    elif method == "recalibration":
        expected = theta[0] + theta[1] * lp0
    else:
        expected = theta[0] + M[:, :2] @ theta[1:3] + theta[3] * (M[:, 2] * 1.0)
    assert np.allclose(lp_new, expected, atol=1e-10)
    cov = np.asarray(new["cov"])
    assert cov.shape == (4, 4) and np.all(np.linalg.eigvalsh((cov + cov.T) / 2) > -1e-10)

"""Federated training and evaluation with every site in this process: same site and coordinator code as Flower."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hsp_desktop.errors import FederatedError
from hsp_desktop.federated import core
from hsp_desktop.federated.coordinator import pooled_reference, run_in_process
from hsp_desktop.federated.site import (
    SiteWorker,
    approve_plan,
    load_site_data,
    outbox,
    revoke_plan,
    verify_outbox,
)
from models.metrics import auc_delong
from models.multimodal import RANKED_CLINICAL

SITES = ("site1", "site2", "site3")

#: Largest difference allowed between federated and pooled coefficients (standardised scale, where the pooled
#: fit's standard errors are 0.15-0.25): FedAvg/FedProx converge to a fixed point biased by site heterogeneity.
COEF_TOL = 0.15


def make_plan(**kw: object) -> core.Plan:
    base = dict(
        federation="test",
        app_sha256="in-process",
        model_version=core.MODEL_VERSION,
        features=tuple(core.default_features(RANKED_CLINICAL)),
        sites=SITES,
        rounds=4,
    )
    base.update(kw)
    return core.Plan(**base)  # type: ignore[arg-type]


def workers(site_data: list, tmp_path: Path, plan: core.Plan, approve: tuple[str, ...] = SITES) -> list:
    out = []
    for d in site_data:
        sd = tmp_path / d.site
        if d.site in approve:
            approve_plan(sd, plan, by="site lead")
        out.append(SiteWorker(d, sd))
    return out


def test_site_loading_uses_the_outcome_definition(cohort3: Path, site_data: list) -> None:
    from hsp_desktop.development.cohort import derive_outcomes

    clinical, labels, _, _ = derive_outcomes(cohort3)
    for d in site_data:
        ids = [s for s in clinical.index if s in labels and clinical.loc[s, "site"] == d.site]
        assert d.n == len(ids)
        assert d.y.sum() == sum(labels[s] for s in ids)
    with pytest.raises(FederatedError, match="site9"):
        load_site_data(cohort3, "site9")
    with pytest.raises(FederatedError, match="data-path"):
        load_site_data(cohort3 / "nope.txt", "site1")


def test_secure_moments_give_the_pooled_scaler(site_data: list, tmp_path: Path) -> None:
    plan = make_plan()
    ws = workers(site_data, tmp_path, plan)
    msgs = [w.moments(plan, {"round": 1}) for w in ws]
    avg = core.weighted_average([a for a, _ in msgs], [n for _, n in msgs])[0]
    n_total = sum(n for _, n in msgs)
    mean, sd = core.pooled_scaler(avg * n_total)
    z = np.vstack([core.reference_scaled(d.values, plan.features, d.n) for d in site_data])
    np.testing.assert_allclose(mean, np.nanmean(z, axis=0), rtol=0, atol=1e-12)
    np.testing.assert_allclose(sd, np.nanstd(z, axis=0, ddof=1), rtol=1e-10)


@pytest.mark.parametrize(
    ("strategy", "mu", "steps", "rounds"), [("fedavg", 0.0, 1, 10), ("fedprox", 0.1, 5, 10)]
)
def test_federated_matches_pooled(
    site_data: list, tmp_path: Path, strategy: str, mu: float, steps: int, rounds: int
) -> None:
    plan = make_plan(strategy=strategy, mu=mu, local_steps=steps, rounds=rounds)
    res = run_in_process(plan, workers(site_data, tmp_path, plan))
    ref = pooled_reference(plan, site_data)
    diff = np.abs(np.array(res["coef_standardised"]) - ref["coef_standardised"])
    assert diff.max() < COEF_TOL, diff
    exact = auc_delong(ref["y"], ref["eta"]).auc
    assert abs(res["pooled"]["auc"] - exact) < 0.02
    assert res["pooled"]["n"] == sum(d.n for d in site_data)
    assert res["pooled"]["events"] == int(sum(d.y.sum() for d in site_data))
    assert set(res["per_site"]) == set(SITES) and set(res["leave_one_site_out"]) == set(SITES)
    assert 0 <= res["heterogeneity_auc"]["i2"] <= 1
    assert len(res["pooled"]["decision_curve"]["model"]) == 12
    assert 0.5 < res["pooled"]["calibration_slope"] < 1.5


def test_histogram_auc_equals_pooled_auc_at_bin_resolution(site_data: list, tmp_path: Path) -> None:
    plan = make_plan(rounds=3)
    res = run_in_process(plan, workers(site_data, tmp_path, plan))
    w = np.array(res["coef_standardised"])
    mean, sd = np.array(res["scaler"]["mean"]), np.array(res["scaler"]["sd"])
    etas, ys = [], []
    for d in site_data:
        x = core.standardise(core.reference_scaled(d.values, plan.features, d.n), mean, sd)
        etas.append(np.column_stack([np.ones(d.n), x]) @ w)
        ys.append(d.y)
    eta, y = np.concatenate(etas), np.concatenate(ys)
    # the pooled-data AUC of the binned score is exactly the histogram AUC
    binned = core.binned_linear_predictor(eta, plan.bins)
    assert res["pooled"]["auc"] == pytest.approx(auc_delong(y, binned).auc, abs=1e-12)
    # and within the bin resolution of the unbinned AUC: only pairs tied in one bin can differ
    exact = auc_delong(y, eta).auc
    hist = core.score_histogram(eta, y, plan.bins)
    tied = float(np.sum(hist[0] * hist[1])) / (hist[0].sum() * hist[1].sum())
    assert abs(res["pooled"]["auc"] - exact) <= tied / 2 + 1e-12


def test_leave_one_site_out_model_never_sees_the_left_out_site(site_data: list, tmp_path: Path) -> None:
    plan = make_plan(rounds=3)
    res = run_in_process(plan, workers(site_data, tmp_path / "a", plan))
    # flip site3's outcomes: the global model changes, site3's leave-out model must not
    flipped = dataclasses.replace(site_data[2], y=1.0 - site_data[2].y)
    res2 = run_in_process(plan, workers([site_data[0], site_data[1], flipped], tmp_path / "b", plan))
    np.testing.assert_allclose(
        res["loso_coef_standardised"]["site3"], res2["loso_coef_standardised"]["site3"], atol=1e-12
    )
    assert np.abs(np.array(res["coef_standardised"]) - res2["coef_standardised"]).max() > 0.1
    assert res["leave_one_site_out"]["site3"]["n"] == site_data[2].n


def test_everything_a_site_sends_is_parameter_shaped(site_data: list, tmp_path: Path, cohort3: Path) -> None:
    plan = make_plan(rounds=2)
    ws = workers(site_data, tmp_path, plan)
    sent: list[tuple[str, list[np.ndarray]]] = []
    for w in ws:
        for name in ("moments", "train", "evaluate"):
            orig = getattr(w, name)

            def spy(*a: object, _orig=orig, _name=name, **k: object) -> object:  # type: ignore[no-untyped-def]
                arrays, n = _orig(*a, **k)
                sent.append((_name, arrays))
                return arrays, n

            object.__setattr__(w, name, spy)
    run_in_process(plan, ws)
    k, p = len(SITES), len(plan.features)
    shapes = {"moments": [(3, p)], "train": [(k + 1, p + 1)], "evaluate": [(2, k, 2, plan.bins)]}
    clinical = pd.read_csv(cohort3 / "clinical.csv", dtype={"study_id": str})
    raw_values = set(np.round(clinical.select_dtypes("number").to_numpy(dtype=float).ravel(), 6))
    for name, arrays in sent:
        assert [a.shape for a in arrays] == shapes[name]
        for a in arrays:
            assert a.dtype == np.float64
            vals = a[a != 0]
            # no raw value of any recipient appears (all values are scaled sums / parameters)
            assert not (set(np.round(vals, 6)) & raw_values - {0.0, 1.0}), name
    # every message is in the outbox with its size; nothing in the log names a recipient
    for w in ws:
        log = outbox(w.site_dir)
        assert [e["type"] for e in log] == ["handshake", "moments", "train", "train", "evaluate"]
        assert all(e["bytes"] >= 0 for e in log)
        assert verify_outbox(w.site_dir)
        text = json.dumps(log)
        assert "HSP-" not in text and "study_id" not in text


def test_outbox_chain_detects_edits(site_data: list, tmp_path: Path) -> None:
    plan = make_plan(rounds=1)
    ws = workers(site_data, tmp_path, plan)
    run_in_process(plan, ws)
    path = ws[0].site_dir / "outbox.jsonl"
    lines = path.read_text().splitlines()
    entry = json.loads(lines[1])
    entry["bytes"] = 1
    lines[1] = json.dumps(entry, sort_keys=True)
    path.write_text("\n".join(lines) + "\n")
    assert not verify_outbox(ws[0].site_dir)


def test_unapproved_plan_is_refused_and_others_continue(site_data: list, tmp_path: Path) -> None:
    plan = make_plan(rounds=2)
    ws = workers(site_data, tmp_path, plan, approve=("site1", "site2"))
    res = run_in_process(plan, ws)
    assert "not approved" in res["excluded"]["site3"]
    assert set(res["sites"]) == {"site1", "site2"}
    # the refusing site computed and sent nothing but its refusal
    assert [e["type"] for e in outbox(ws[2].site_dir)] == ["handshake"]
    assert outbox(ws[2].site_dir)[0]["accepted"] is False
    # with a quorum of 3 the run stops with a clear error
    plan3 = make_plan(rounds=2, min_sites=3)
    with pytest.raises(FederatedError, match="Too few sites accepted"):
        run_in_process(plan3, workers(site_data, tmp_path / "q", plan3, approve=("site1", "site2")))


def test_approval_withdrawn_mid_run_stops_that_site(site_data: list, tmp_path: Path) -> None:
    plan = make_plan(rounds=2)
    ws = workers(site_data, tmp_path, plan)
    revoke_plan(ws[1].site_dir, plan.sha256)
    with pytest.raises(FederatedError, match="has not approved"):
        ws[1].moments(plan, {"round": 1})


def test_incompatible_model_version_or_features(site_data: list, tmp_path: Path) -> None:
    plan = make_plan(model_version="hsp-fedlogit-0")
    ws = workers(site_data, tmp_path, plan)
    reply = ws[0].handshake(plan)
    assert not reply["accepted"] and "model version" in reply["reason"]
    with pytest.raises(FederatedError, match="Too few sites"):
        run_in_process(plan, ws)
    # a site lacking a feature is excluded; the others run
    plan = make_plan(rounds=2)
    d2 = dataclasses.replace(
        site_data[1], values={k: v for k, v in site_data[1].values.items() if k != "wbc"}
    )
    ws = workers([site_data[0], d2, site_data[2]], tmp_path / "f", plan)
    res = run_in_process(plan, ws)
    assert "missing wbc" in res["excluded"]["site2"]
    assert set(res["sites"]) == {"site1", "site3"}


def test_site_dropping_mid_training(site_data: list, tmp_path: Path) -> None:
    plan = make_plan(rounds=4)
    res = run_in_process(plan, workers(site_data, tmp_path, plan), drop={"site2": 3})
    assert "round 3" in res["dropped"]["site2"]
    assert set(res["sites"]) == {"site1", "site3"}
    assert set(res["per_site"]) == {"site1", "site3"}
    assert np.all(np.isfinite(res["coef_standardised"]))
    assert res["pooled"]["n"] == site_data[0].n + site_data[2].n


def test_wrong_app_hash_refused(site_data: list, tmp_path: Path) -> None:
    plan = make_plan()
    sd = tmp_path / "s"
    approve_plan(sd, plan, by="lead")
    w = SiteWorker(site_data[0], sd, app_sha256="0" * 64)
    reply = w.handshake(plan)
    assert not reply["accepted"] and "differs from the app named in the plan" in reply["reason"]


def test_differential_privacy_reports_budget(site_data: list, tmp_path: Path) -> None:
    plan = make_plan(rounds=4, dp_clip=0.5, dp_noise_multiplier=0.8)
    res = run_in_process(plan, workers(site_data, tmp_path, plan))
    dp = res["differential_privacy"]
    assert dp["enabled"] and np.isfinite(dp["epsilon"]) and dp["epsilon"] > 0
    # more noise, smaller epsilon
    assert core.dp_epsilon(2.0, 4, 1e-5) < core.dp_epsilon(0.8, 4, 1e-5) < core.dp_epsilon(0.4, 4, 1e-5)
    assert res["pooled"]["auc"] > 0.6


def test_feature_election_majority() -> None:
    votes = {"site1": ["a", "b", "c"], "site2": ["a", "c"], "site3": ["a", "d"]}
    assert core.elect_features(votes) == ["a", "c"]
    assert core.elect_features(votes, quorum=0.7) == ["a"]
    with pytest.raises(FederatedError):
        core.elect_features({})


def test_histogram_metrics_known_values() -> None:
    bins = 4
    hist = np.array([[0, 1, 1, 2], [3, 1, 1, 0]], dtype=float)
    # pairs: events at bins 1,2,3,3 vs non-events at 0,0,0,1,2
    assert core.auc_from_histogram(hist) == pytest.approx((3 + 0.5 + (4 + 0.5) + 5 + 5) / 20)
    m = core.histogram_metrics(hist)
    assert m["n"] == 9 and m["events"] == 4
    assert core.score_histogram(np.array([-100.0, 100.0]), np.array([0, 1]), bins).tolist() == [
        [0, 0, 0, 1],
        [1, 0, 0, 0],
    ]
    het = core.heterogeneity([0.8, 0.8, 0.8], [0.05, 0.05, 0.05])
    assert het["q"] == pytest.approx(0.0) and het["i2"] == 0.0


def test_rad_score_joins_the_model_when_every_site_holds_one(cohort3: Path, tmp_path: Path) -> None:
    import shutil

    # a site-computed Rad-score (here: the generator's latent texture factor plus noise; tests may read it)
    cohort = tmp_path / "cohort"
    cohort.mkdir()
    for name in ("clinical.csv", "followup.csv"):
        shutil.copy(cohort3 / name, cohort / name)
    truth = pd.read_csv(cohort3 / "ground_truth.csv", dtype={"study_id": str})
    rng = np.random.default_rng(0)
    pd.DataFrame(
        {"study_id": truth["study_id"], "rad_score": truth["texture"] + rng.normal(0, 0.5, len(truth))}
    ).to_csv(cohort / "radscore.csv", index=False)
    datas = [load_site_data(cohort, s) for s in SITES]
    assert all("rad_score" in d.values for d in datas)
    base = make_plan(rounds=4)
    plus = make_plan(rounds=4, features=tuple(core.default_features([*RANKED_CLINICAL, "rad_score"])))
    r0 = run_in_process(base, workers(datas, tmp_path / "a", base))
    r1 = run_in_process(plus, workers(datas, tmp_path / "b", plus))
    assert r1["coef_transformed_units"]["rad_score"] > 0
    assert r1["pooled"]["auc"] > r0["pooled"]["auc"]
    ref = pooled_reference(plus, datas)
    assert np.abs(np.array(r1["coef_standardised"]) - ref["coef_standardised"]).max() < COEF_TOL


def test_a_site_reads_its_registry_through_the_app_code(cohort3: Path, tmp_path: Path) -> None:
    from hsp_desktop.registry import Registry
    from hsp_desktop.registry.passwords import TEST_PARAMS

    clin = pd.read_csv(cohort3 / "clinical.csv", dtype=str, keep_default_na=False)
    mine = clin[clin["site"] == "site1"]
    mine.to_csv(tmp_path / "clinical.csv", index=False)
    fu = pd.read_csv(cohort3 / "followup.csv", dtype=str, keep_default_na=False)
    fu[fu["study_id"].isin(mine["study_id"])].to_csv(tmp_path / "followup.csv", index=False)
    db = tmp_path / "site1.db"
    with Registry.open(db, argon2_params=TEST_PARAMS) as reg:
        reg.add_user("admin", "correct horse 1", "admin", by=None)
        user = reg.authenticate("admin", "correct horse 1")
        assert reg.import_csv(tmp_path / "clinical.csv", by=user, confirm_units=True).ok
        assert reg.import_followup_csv(tmp_path / "followup.csv", by=user, confirm_units=True).ok
    from_registry = load_site_data(db, "site1")
    from_cohort = load_site_data(cohort3, "site1")
    assert from_registry.n == from_cohort.n and from_registry.y.sum() == from_cohort.y.sum()
    for name in RANKED_CLINICAL:
        np.testing.assert_allclose(
            np.sort(from_registry.values[name]), np.sort(from_cohort.values[name]), equal_nan=True
        )
    # every message the site sends is also recorded in its registry's audit trail (type and size only)
    worker = SiteWorker(from_registry, tmp_path / "site1-dir")
    reply = worker.handshake(make_plan(rounds=1), {"run": 1, "round": 0})
    with Registry.open(db, argon2_params=TEST_PARAMS) as reg:
        logged = reg.federated_messages()
        assert [m["kind"] for m in logged] == ["handshake"]
        assert logged[0]["bytes"] > 0 and logged[0]["details"]["plan_sha256"] == reply["plan_sha256"]
        assert reg.audit_log(table="federation_messages") and reg.verify().ok


def test_two_nodes_claiming_one_site_stop_the_run(site_data: list, tmp_path: Path) -> None:
    plan = make_plan(rounds=1)
    ws = workers(site_data, tmp_path, plan)
    twin = SiteWorker(site_data[0], tmp_path / "twin")
    approve_plan(twin.site_dir, plan, by="x")
    with pytest.raises(FederatedError, match="claim the same site"):
        run_in_process(plan, [*ws, twin])

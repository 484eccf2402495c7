from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.metrics import auc_delong
from models.multimodal import MultimodalRiskModel
from models.validation import auc_632plus, bootstrap_validation, nested_cv

FAST = dict(n_stability=10, n_Cs=8, inner_cv=3, n_crossfit=3)


@pytest.fixture(scope="module")
def fitted(dev_table):
    X, y, rep = dev_table
    return MultimodalRiskModel(**FAST).set_params(deep=False).fit(X, y, replicates=rep)


def test_fit_predict_and_exact_contributions(fitted, dev_table, test_table):
    X, _y, _ = dev_table
    Xt, yt, _ = test_table
    assert fitted.terms_ == ["platelets", "spleen_volume_ml", "splenic_vein_mm", "rad_score"]
    p = fitted.predict_proba(Xt)[:, 1]
    assert p.shape == (len(Xt),) and np.all((p > 0) & (p < 1))
    assert auc_delong(yt, p).auc > 0.7
    baseline, contrib = fitted.contributions(Xt.iloc[:50])
    np.testing.assert_allclose(
        baseline + contrib.sum(axis=1), fitted.decision_function(Xt.iloc[:50]), atol=1e-10
    )
    # platelets lower risk, spleen size raises it
    coef = dict(zip(fitted.terms_, fitted.coef_, strict=True))
    assert coef["platelets"] < 0 < coef["spleen_volume_ml"]
    assert 0 < fitted.shrinkage_factor_ <= 1
    rep = fitted.selection_report_["rad_score"]
    assert rep["icc_assessed"] and rep["after_icc"] < rep["candidates"]
    assert set(fitted.scores_[0].inputs) <= set(X.columns)


def test_icc_filter_drops_unstable_features(dev_table):
    X, y, rep = dev_table
    stable = MultimodalRiskModel(**FAST).set_params(deep=False, clinical=()).fit(X, y, replicates=rep)
    kept = stable.selection_report_["rad_score"]["after_icc"]
    assert kept < 0.85 * stable.selection_report_["rad_score"]["candidates"]
    no_rep = MultimodalRiskModel(**FAST).set_params(deep=False, clinical=()).fit(X, y)
    assert no_rep.selection_report_["rad_score"]["icc_assessed"] is False


def test_missing_values_are_imputed_from_training(dev_table, fitted):
    X, _, _ = dev_table
    Xm = X.iloc[:5].copy()
    Xm.loc[Xm.index[0], "splenic_vein_mm"] = np.nan
    Xm.loc[Xm.index[1], fitted.scores_[0].inputs[0]] = np.nan
    assert np.all(np.isfinite(fitted.predict_proba(Xm)))


def test_bad_tables_are_refused(dev_table):
    X, y, _ = dev_table
    with pytest.raises(ValueError, match="missing from the feature table"):
        MultimodalRiskModel(clinical=("nope",), radiomics=False, deep=False).fit(X, y)
    with pytest.raises(ValueError, match="deep features requested"):
        MultimodalRiskModel(radiomics=False, deep=True).fit(X, y)
    with pytest.raises(TypeError, match="DataFrame"):
        MultimodalRiskModel().fit(X.to_numpy(), y)


def test_deep_score_and_embedding_paths(dev_table):
    X, y, _ = dev_table
    rng = np.random.default_rng(0)
    Xd = X.copy()
    # deep_score is the CNN's logit (log-odds), used as it comes: no second logit
    Xd["deep_score"] = -1.2 + 1.0 * y + rng.normal(0, 0.8, len(y))
    m = MultimodalRiskModel(**FAST).set_params(radiomics=False).fit(Xd, y)
    assert m.terms_[-1] == "dl_score" and m.uses_deep_score_
    np.testing.assert_array_equal(m.design(Xd)[:, -1], Xd["deep_score"].to_numpy())
    assert m.coef_[-1] > 0 and m.to_dict()["deep_score"]["transform"] == "identity"
    Xd.iloc[3, Xd.columns.get_loc("deep_score")] = np.nan
    with pytest.raises(ValueError, match="deep_score has missing"):
        m.predict_proba(Xd)
    emb = pd.DataFrame(rng.normal(size=(len(y), 8)) + y[:, None] * 0.5, index=X.index).add_prefix("deep_emb_")
    m2 = MultimodalRiskModel(**FAST).set_params(radiomics=False).fit(pd.concat([X, emb], axis=1), y)
    assert m2.terms_[-1] == "dl_score" and not m2.uses_deep_score_


def test_tree_comparators_predict(dev_table):
    X, y, rep = dev_table
    for meta in ("gbm", "rf"):
        m = MultimodalRiskModel(**FAST).set_params(deep=False, meta=meta, class_weight="balanced")
        p = m.fit(X, y, replicates=rep).predict_proba(X)[:, 1]
        assert np.all((p > 0) & (p < 1))
        with pytest.raises(ValueError, match="logistic"):
            m.to_dict()


def test_leakage_guard_permuted_outcome(dev_table):
    """With the outcome permuted, the whole procedure inside nested CV must find nothing (AUC 0.5 +/- 0.06)."""
    X, y, rep = dev_table
    yp = np.random.default_rng(7).permutation(y)
    res = nested_cv(
        MultimodalRiskModel(**FAST).set_params(deep=False),
        X,
        yp,
        replicates=rep,
        n_splits=5,
        n_repeats=2,
        seed=3,
    )
    assert abs(res.auc_mean - 0.5) < 0.06, res.auc_per_repeat
    assert not np.isnan(res.oof).any()


def test_bootstrap_optimism_and_632(dev_table):
    X, y, rep = dev_table
    m = MultimodalRiskModel(**FAST).set_params(deep=False)
    res = bootstrap_validation(m, X, y, replicates=rep, n_boot=6, seed=1)
    assert res.n_failed == 0 and len(res.per_boot["auc"]) == 6
    assert res.corrected["auc"] == pytest.approx(res.apparent["auc"] - res.optimism["auc"])
    assert 0.5 < res.auc_632plus <= res.apparent["auc"] + 1e-9
    assert res.auc_oob_optimism_corrected <= res.apparent["auc"] + 1e-9


def test_632plus_formula():
    # no overfitting (oob == apparent): .632+ equals both
    assert auc_632plus(0.8, 0.8) == pytest.approx(0.8)
    # relative overfitting R = (0.3 - 0.2) / (0.5 - 0.2) = 1/3; w = .632 / (1 - .368/3)
    w = 0.632 / (1 - 0.368 / 3)
    assert auc_632plus(0.8, 0.7) == pytest.approx(1 - ((1 - w) * 0.2 + w * 0.3))
    # out-of-bag worse than chance is capped at the no-information error
    assert auc_632plus(0.8, 0.4) == pytest.approx(0.5)


def test_scores_are_centred_and_stacking_weights_non_negative(dev_table):
    X, y, _ = dev_table
    m = MultimodalRiskModel(**FAST).set_params(radiomics=False, deep=True)
    dropped = 0
    for seed in range(6):
        rng = np.random.default_rng(seed)
        emb = pd.DataFrame(rng.normal(size=(len(y), 6)), index=X.index).add_prefix("deep_emb_")  # no signal
        fit = m.fit(pd.concat([X, emb], axis=1), y)
        if fit.dropped_scores_:
            # dropped for a negative weight: no longer a term, its inputs no longer needed
            assert fit.dropped_scores_ == ["dl_score"] and fit.terms_ == list(X.columns[:0]) + list(
                m.clinical
            )
            assert not any(c.startswith("deep_emb_") for c in fit.input_features())
            assert fit.selection_report_["dl_score"]["dropped_by_meta_learner"]
            assert fit.cov_.shape == (len(m.clinical) + 1,) * 2
            np.testing.assert_allclose(fit.predict_proba(X), fit.predict_proba(pd.concat([X, emb], axis=1)))
            dropped += 1
        else:
            dl = fit.design(pd.concat([X, emb], axis=1))[:, -1]
            assert abs(dl.mean()) < 1e-9  # centred on the training rows
            assert fit.coef_[-1] > 0  # an oriented score never gets a negative weight
    assert dropped >= 1  # noise scores do get negative weights unconstrained: the rule is exercised

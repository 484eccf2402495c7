from __future__ import annotations

import numpy as np
import pytest

from models.selection import (
    LassoSelector,
    MRMRSelector,
    ScoreBuilder,
    StabilitySelector,
    VarianceCorrelationFilter,
    icc_2_1,
)


def test_icc_shrout_fleiss_example():
    # Shrout & Fleiss (1979) Table 2: 6 targets x 4 judges; ICC(2,1) = 0.29
    data = np.array(
        [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]], dtype=float
    )
    assert icc_2_1(data[:, :, None])[0] == pytest.approx(0.2898, abs=5e-4)


def _informative(n=200, p=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    lp = 1.2 * X[:, 0] - 1.0 * X[:, 1] + 0.8 * X[:, 2]
    y = (rng.random(n) < 1 / (1 + np.exp(-lp))).astype(int)
    return X, y


def test_variance_correlation_filter_keeps_one_per_cluster():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(100, 3))
    X = np.column_stack(
        [base[:, 0], base[:, 0] * 2 + 0.01 * rng.normal(size=100), base[:, 1], base[:, 2], np.ones(100)]
    )
    f = VarianceCorrelationFilter(corr_threshold=0.9).fit(X)
    support = f.get_support()
    assert support[4] is np.False_  # constant
    assert support[:2].sum() == 1 and support[2] and support[3]


def test_supervised_selectors_find_the_signal():
    X, y = _informative()
    assert set(MRMRSelector(n_features=5).fit(X, y).ranking_[:3]) == {0, 1, 2}
    lasso = LassoSelector(n_Cs=15).fit(X, y)
    assert set(np.flatnonzero(lasso.get_support())) >= {0, 1, 2}
    assert lasso.get_support().sum() <= 15
    assert lasso.path_.C_1se <= lasso.path_.C_min  # 1-SE rule: more regularised
    stab = StabilitySelector(n_resamples=30).fit(X, y)
    assert set(np.flatnonzero(stab.get_support())) >= {0, 1, 2}
    assert stab.frequencies_[:3].min() > stab.frequencies_[3:].max()


def test_score_builder_is_a_linear_predictor():
    X, y = _informative()
    sb = ScoreBuilder(name="rad_score").fit(X, y)
    s = sb.transform(X)[:, 0]
    z = (X - sb.mean_) / sb.scale_
    np.testing.assert_allclose(s, sb.intercept_ + z @ sb.coef_)
    assert sb.get_feature_names_out().tolist() == ["rad_score"]
    assert np.corrcoef(s, 1.2 * X[:, 0] - X[:, 1] + 0.8 * X[:, 2])[0, 1] > 0.9


def test_single_class_is_refused():
    X, _ = _informative()
    with pytest.raises(ValueError, match="1 class"):
        MRMRSelector().fit(X, np.zeros(len(X)))


def test_fast_l1_fit_equals_public_estimator():
    from sklearn.linear_model import LogisticRegression

    from models.selection import l1_fit

    X, y = _informative()
    Z = (X - X.mean(0)) / X.std(0)
    for C in (0.02, 0.1, 1.0):
        coef, icpt = l1_fit(Z, y, C, 0)
        ref = LogisticRegression(
            C=C, l1_ratio=1.0, solver="liblinear", intercept_scaling=100.0, max_iter=1000, random_state=0
        ).fit(Z, y)
        np.testing.assert_allclose(coef, ref.coef_[0], atol=1e-10)
        assert icpt == pytest.approx(ref.intercept_[0], abs=1e-10)


def test_selected_score_builder_tunes_with_the_selection_inside_the_cv():
    """On pure noise, tuning after pre-selection on all rows memorises; tuning with it inside the CV does not."""
    from models.metrics import auc_delong
    from models.selection import SelectedScoreBuilder

    rng = np.random.default_rng(7)
    X = rng.normal(size=(160, 400))
    y = (rng.random(160) < 0.3).astype(int)
    pre = MRMRSelector(n_features=20).fit(X, y).get_support()
    naive = ScoreBuilder(n_Cs=10, cv=5).fit(X[:, pre], y)
    honest = SelectedScoreBuilder(n_mrmr=20, n_stability=10, n_Cs=10, cv=5).fit(X, y)
    auc_naive = auc_delong(y, naive.transform(X[:, pre])[:, 0]).auc
    auc_honest = auc_delong(y, honest.transform(X)[:, 0]).auc
    assert auc_naive > 0.8  # the naive score "finds" signal in noise
    assert auc_honest < auc_naive - 0.05
    assert honest.factor_ <= honest.path_.Cs[len(honest.path_.Cs) // 2]  # the heavy end of the grid
    assert np.all(honest.coef_[~honest.preselected_] == 0)
    # with real signal it keeps it
    Xs, ys = _informative()
    sig = SelectedScoreBuilder(n_mrmr=10, n_stability=10, n_Cs=10).fit(Xs, ys)
    assert set(np.flatnonzero(sig.coef_)) >= {0, 1, 2}

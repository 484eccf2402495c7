"""Every custom transformer/selector in models.selection passes scikit-learn's estimator checks."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from models.selection import (
    IccStabilityFilter,
    LassoSelector,
    MRMRSelector,
    ScoreBuilder,
    SelectedScoreBuilder,
    StabilitySelector,
    VarianceCorrelationFilter,
)

ESTIMATORS = [
    IccStabilityFilter(),
    VarianceCorrelationFilter(),
    MRMRSelector(n_features=2),
    LassoSelector(n_Cs=5, cv=3),
    StabilitySelector(n_resamples=5),
    ScoreBuilder(n_Cs=5, cv=3),
    SelectedScoreBuilder(n_mrmr=2, n_stability=5, n_Cs=5, cv=3),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_icc_filter_with_replicates_is_checked_separately():
    # the estimator checks fit without replicates (passthrough); with replicates the filter must select
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 2))
    rep = np.stack([X + rng.normal(scale=[0.05, 3.0], size=X.shape) for _ in range(2)], axis=1)
    f = IccStabilityFilter().fit(X, replicates=rep)
    assert f.assessed_ and f.get_support().tolist() == [True, False]
    with pytest.raises(ValueError, match="replicates must have shape"):
        IccStabilityFilter().fit(X, replicates=rep[:, :, :1])

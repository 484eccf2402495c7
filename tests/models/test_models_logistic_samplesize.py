from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from models.logistic import fit_logistic, odds_ratios
from models.samplesize import max_r2cs, r2cs_from_auc, riley_check


def test_irls_matches_sklearn_unpenalised():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    y = (rng.random(400) < 1 / (1 + np.exp(-(0.5 + X @ [1.0, -0.5, 0.0])))).astype(float)
    fit = fit_logistic(X, y)
    sk = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10000).fit(X, y)
    np.testing.assert_allclose(fit.coef, np.r_[sk.intercept_, sk.coef_[0]], atol=1e-5)
    assert fit.converged


def test_two_by_two_table_standard_error():
    # a=30 exposed events, b=20 exposed non-events, c=15 unexposed events, d=35 unexposed non-events
    x = np.r_[np.ones(50), np.zeros(50)]
    y = np.r_[np.ones(30), np.zeros(20), np.ones(15), np.zeros(35)]
    fit = fit_logistic(x[:, None], y)
    assert fit.coef[1] == pytest.approx(math.log(30 * 35 / (20 * 15)), abs=1e-8)
    assert fit.se[1] == pytest.approx(math.sqrt(1 / 30 + 1 / 20 + 1 / 15 + 1 / 35), abs=1e-8)
    (o,) = odds_ratios(fit, ["exposed"])
    assert o.odds_ratio == pytest.approx(3.5) and o.ci_low < 3.5 < o.ci_high
    assert o.ci_low == pytest.approx(math.exp(fit.coef[1] - 1.959963984540054 * fit.se[1]))


def test_offset_only_intercept():
    rng = np.random.default_rng(1)
    lp = rng.normal(size=3000)
    y = (rng.random(3000) < 1 / (1 + np.exp(-(lp + 0.7)))).astype(float)
    fit = fit_logistic(np.zeros((3000, 0)), y, offset=lp)
    assert fit.coef[0] == pytest.approx(0.7, abs=0.12)


def test_riley_criteria():
    assert max_r2cs(0.5) == pytest.approx(0.75)
    r2 = r2cs_from_auc(0.78, 0.25)
    assert 0.1 < r2 < max_r2cs(0.25)
    assert r2cs_from_auc(0.85, 0.25) > r2  # more discrimination, more explained variation
    c = riley_check(200, 50, 12, r2cs=0.15)
    # criterion 1 by hand: n = p / ((S - 1) ln(1 - R2/S))
    assert c.required_n["shrinkage"] == pytest.approx(12 / (-0.1 * math.log(1 - 0.15 / 0.9)))
    assert not c.ok and "WARNING" in c.report()
    small = riley_check(200, 50, c.max_parameters, r2cs=0.15)
    assert small.ok and "WARNING" not in small.report()
    assert riley_check(200, 50, c.max_parameters + 1, r2cs=0.15).ok is False
    with pytest.raises(ValueError, match="events"):
        riley_check(100, 0, 3)

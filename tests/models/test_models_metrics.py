"""DeLong (fast midrank algorithm) against an independent slow exact U-statistic implementation and hand cases.

The slow reference implements pROC's ``delong`` variance (structural components, DeLong 1988, ``n - 1``
denominators, Wald CI on the AUC scale) from pairwise kernels, independently of the fast code, and the
hand-computed case was worked on paper.  Agreement with R's pROC itself: ``test_models_proc_agreement.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from models.metrics import (
    auc_delong,
    bootstrap_classification,
    calibration,
    calibration_curve,
    classification_at,
    decision_curve,
    delong_covariance,
    delong_paired_test,
    evaluate_predictions,
    roc_curve_points,
)


def slow_delong(y, scores):
    """O(m n) structural components: psi(x, y) = 1, 1/2, 0; V10_i, V01_j; S = S10/m + S01/n."""
    y = np.asarray(y)
    scores = np.atleast_2d(scores)
    k = scores.shape[0]
    aucs, v10s, v01s = [], [], []
    for r in range(k):
        pos = scores[r][y == 1]
        neg = scores[r][y == 0]
        psi = (pos[:, None] > neg[None, :]).astype(float) + 0.5 * (pos[:, None] == neg[None, :])
        aucs.append(psi.mean())
        v10s.append(psi.mean(axis=1))
        v01s.append(psi.mean(axis=0))
    v10, v01 = np.array(v10s), np.array(v01s)
    m, n = v10.shape[1], v01.shape[1]
    s10 = np.array(
        [
            [np.sum((v10[a] - v10[a].mean()) * (v10[b] - v10[b].mean())) / (m - 1) for b in range(k)]
            for a in range(k)
        ]
    )
    s01 = np.array(
        [
            [np.sum((v01[a] - v01[a].mean()) * (v01[b] - v01[b].mean())) / (n - 1) for b in range(k)]
            for a in range(k)
        ]
    )
    return np.array(aucs), s10 / m + s01 / n


@pytest.mark.parametrize("seed", range(6))
def test_fast_delong_equals_slow_reference_with_ties(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(20, 120))
    y = (rng.random(n) < 0.3).astype(int)
    y[:2] = [0, 1]
    s1 = np.round(y * 0.8 + rng.normal(size=n), 1)  # rounding creates ties
    s2 = np.round(y * 0.3 + rng.normal(size=n), 1)
    s3 = rng.integers(0, 3, size=n).astype(float)  # heavy ties
    fast_auc, fast_cov = delong_covariance(y, np.vstack([s1, s2, s3]))
    slow_auc, slow_cov = slow_delong(y, np.vstack([s1, s2, s3]))
    np.testing.assert_allclose(fast_auc, slow_auc, atol=1e-12)
    np.testing.assert_allclose(fast_cov, slow_cov, atol=1e-12)


def test_hand_computed_case():
    # events score 0.8, 0.4; non-events 0.6, 0.2: pairs (0.8>0.6, 0.8>0.2, 0.4<0.6, 0.4>0.2) -> AUC 3/4
    # V10 = [1, 0.5], V01 = [0.5, 1]; var(V10) = var(V01) = 0.125 (n-1); S = 0.125/2 + 0.125/2 = 0.125
    y = [1, 1, 0, 0]
    res = auc_delong(y, [0.8, 0.4, 0.6, 0.2])
    assert res.auc == pytest.approx(0.75, abs=1e-15)
    assert res.se == pytest.approx(np.sqrt(0.125), abs=1e-15)
    assert res.ci_low == pytest.approx(max(0.0, 0.75 - 1.959963984540054 * np.sqrt(0.125)), abs=1e-12)
    assert res.ci_high == 1.0


def test_auc_equals_mann_whitney():
    rng = np.random.default_rng(3)
    y = np.r_[np.ones(40), np.zeros(60)].astype(int)
    s = rng.normal(size=100) + y
    u = stats.mannwhitneyu(s[y == 1], s[y == 0]).statistic
    assert auc_delong(y, s).auc == pytest.approx(u / (40 * 60), abs=1e-12)


def test_paired_test_against_slow_reference():
    rng = np.random.default_rng(8)
    y = (rng.random(150) < 0.25).astype(int)
    a = y + rng.normal(size=150)
    b = 0.5 * y + rng.normal(size=150) + 0.3 * a
    res = delong_paired_test(y, a, b)
    aucs, cov = slow_delong(y, np.vstack([a, b]))
    var = cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]
    z = (aucs[0] - aucs[1]) / np.sqrt(var)
    assert res.difference == pytest.approx(aucs[0] - aucs[1], abs=1e-12)
    assert res.z == pytest.approx(z, abs=1e-9)
    assert res.p_value == pytest.approx(2 * stats.norm.sf(abs(z)), abs=1e-9)
    same = delong_paired_test(y, a, a)
    assert same.difference == 0 and same.p_value == 1.0


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="both outcomes"):
        auc_delong([1, 1, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="coded 0/1"):
        auc_delong([0, 2, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="NaN"):
        auc_delong([0, 1, 1], [0.1, np.nan, 0.3])


def test_calibration_of_true_probabilities():
    rng = np.random.default_rng(0)
    lp = rng.normal(-1.2, 1.2, size=20000)
    p = 1 / (1 + np.exp(-lp))
    y = (rng.random(p.size) < p).astype(int)
    cal = calibration(y, p)
    assert abs(cal.intercept) < 0.05 and abs(cal.slope - 1) < 0.05
    assert cal.slope_ci[0] < 1 < cal.slope_ci[1]
    # overfitted predictions (log-odds doubled) give a slope near 0.5
    over = 1 / (1 + np.exp(-2 * lp))
    assert calibration(y, over).slope == pytest.approx(0.5, abs=0.03)
    curve = calibration_curve(y, p)
    assert np.max(np.abs(curve.observed - curve.predicted)) < 0.05
    assert np.all(curve.ci_low <= curve.observed) and np.all(curve.observed <= curve.ci_high)


def test_decision_curve_hand_case():
    y = np.array([1, 1, 0, 0, 0])
    p = np.array([0.9, 0.3, 0.6, 0.1, 0.05])
    dc = decision_curve(y, p, thresholds=[0.2, 0.5])
    # pt 0.2: treated = {0.9, 0.3, 0.6} -> TP 2, FP 1 -> 2/5 - 1/5 * 0.25 = 0.35
    # pt 0.5: treated = {0.9, 0.6} -> TP 1, FP 1 -> 1/5 - 1/5 * 1 = 0
    np.testing.assert_allclose(dc.model, [0.35, 0.0])
    np.testing.assert_allclose(dc.treat_all, [0.4 - 0.6 * 0.25, 0.4 - 0.6])
    assert decision_curve(y, p).thresholds[0] == 0.05 and decision_curve(y, p).thresholds[-1] == 0.6
    with pytest.raises(ValueError, match="strictly between"):
        decision_curve(y, p, thresholds=[0.0])


def test_classification_and_bootstrap_ci():
    y = np.array([1, 1, 0, 0, 0, 1, 0, 0])
    p = np.array([0.9, 0.3, 0.6, 0.1, 0.05, 0.7, 0.2, 0.45])
    c = classification_at(y, p, 0.4)
    assert (c["tp"], c["fp"], c["tn"], c["fn"]) == (2, 2, 3, 1)
    assert c["sensitivity"] == pytest.approx(2 / 3) and c["ppv"] == pytest.approx(0.5)
    boot = bootstrap_classification(y, p, [0.4], n_boot=200, seed=1)["0.40"]
    for key in ("sensitivity", "specificity", "ppv", "npv"):
        assert boot[key]["ci_low"] <= boot[key]["estimate"] <= boot[key]["ci_high"]


def test_roc_points_and_evaluate_predictions():
    rng = np.random.default_rng(2)
    y = (rng.random(300) < 0.3).astype(int)
    p = np.clip(0.2 + 0.3 * y + rng.normal(0, 0.15, 300), 0.01, 0.99)
    fpr, tpr, _ = roc_curve_points(y, p)
    assert fpr[0] == 0 and tpr[-1] == 1 and np.all(np.diff(fpr) >= 0)
    # trapezoid area of the empirical ROC equals the Mann-Whitney AUC
    assert np.trapezoid(tpr, fpr) == pytest.approx(auc_delong(y, p).auc, abs=1e-12)
    rep = evaluate_predictions(y, p, n_boot=50)
    assert set(rep) >= {
        "auc",
        "calibration",
        "calibration_curve",
        "decision_curve",
        "classification",
        "bootstrap",
    }
    assert rep["bootstrap"]["auc"]["ci_low"] < rep["auc"]["auc"] < rep["bootstrap"]["auc"]["ci_high"]


def test_roc_band_contains_curve_and_matches_points():
    from models.metrics import roc_band

    rng = np.random.default_rng(4)
    y = (rng.random(200) < 0.3).astype(int)
    p = np.round(y * 0.5 + rng.normal(size=200), 1)
    band = roc_band(y, p, n_boot=100, seed=0)
    fpr, tpr, _ = roc_curve_points(y, p)
    np.testing.assert_allclose(band["tpr"], np.interp(band["fpr"], fpr, tpr))
    assert np.all(np.array(band["tpr_low"]) <= np.array(band["tpr_high"]))

"""The pre-specified model-choice rule (issue 16 item 3)."""

from __future__ import annotations

from models.development import CHOICE_RULE, choose_model


def paired(diff: float, lo: float, hi: float, p: float = 0.3) -> dict[str, float]:
    return {"auc1": 0.78, "auc2": 0.78 - diff, "difference": diff, "ci_low": lo, "ci_high": hi, "p_value": p}


def test_multimodal_locked_only_when_the_lower_bound_of_the_gain_is_above_zero():
    win = choose_model(paired(0.05, 0.01, 0.09, 0.01), has_scores=True)
    assert win["selected"] == "multimodal" and win["rule"] == CHOICE_RULE
    assert "lower bound above 0" in win["reason"]


def test_simpler_model_when_the_gain_is_uncertain_or_negative():
    # the demo cohort's situation: multimodal 0.768 vs clinical 0.770, p = 0.51
    tie = choose_model(paired(-0.002, -0.04, 0.036, 0.51), has_scores=True)
    assert tie["selected"] == "clinical" and tie["difference"] == -0.002
    assert "clinical-only model locked" in tie["reason"]
    assert choose_model(paired(0.04, -0.001, 0.08), has_scores=True)["selected"] == "clinical"


def test_no_scores_means_clinical():
    assert choose_model(None, has_scores=False)["selected"] == "clinical"


def test_odds_ratios_are_the_locked_models(dev_table):
    import numpy as np

    from models.development import final_odds_ratios
    from models.multimodal import MultimodalRiskModel

    X, y, _ = dev_table
    model = MultimodalRiskModel(radiomics=False, deep=False).fit(X, y)
    model.interval_inflation_ = 1.2
    ors = final_odds_ratios(model, ["per doubling"] * len(model.terms_))
    np.testing.assert_allclose([o["odds_ratio"] for o in ors], np.exp(model.coef_), rtol=1e-12)
    se = np.sqrt(np.diag(model.cov_))[1:] * 1.2
    np.testing.assert_allclose(
        [o["ci_high"] for o in ors], np.exp(model.coef_ + 1.959963984540054 * se), rtol=1e-9
    )
    unshrunk = np.exp(model.unshrunk_.coef[1:])
    assert all(abs(np.log(o["odds_ratio"])) < abs(np.log(u)) for o, u in zip(ors, unshrunk, strict=True))
    assert {o["scale"] for o in ors} == {"shrunk"}


def test_band_table_has_wilson_cis_and_the_thresholds_are_checked_on_the_decision_curve():
    import numpy as np
    from scipy import stats

    from models.development import BAND_ACTIONS, band_dca_check, band_table

    rng = np.random.default_rng(4)
    p = rng.beta(2, 5, 400)
    y = (rng.random(400) < p).astype(int)
    table = band_table(y, p, (0.15, 0.40))
    for b, row in table.items():
        ci = stats.binomtest(row["events"], row["n"]).proportion_ci(method="wilson")
        assert row["rate_ci_wilson"] == [ci.low, ci.high] and b in BAND_ACTIONS
    check = band_dca_check(y, p, (0.15, 0.40))
    assert check["0.15"]["useful"] and check["all_useful"]
    # a useless model (noise) at a low threshold does not beat treat-all
    noise = band_dca_check(y, rng.random(400) * 0.3, (0.05, 0.40))
    assert not noise["0.05"]["useful"] and not noise["all_useful"]

from __future__ import annotations

import json

import numpy as np
import pytest

from hsp_desktop.errors import ModelArtefactError, ValidationError
from models.bundle import feature_entries, load_bundle, save_bundle
from models.development import DevelopmentConfig, develop, write_bundle

FAST = DevelopmentConfig(
    seed=5,
    n_splits=3,
    n_repeats=1,
    n_boot=3,
    n_jobs=1,
    comparators=False,
    n_boot_ci=20,
    model_params=(("n_stability", 10), ("n_Cs", 8), ("inner_cv", 3), ("n_crossfit", 3)),
)


@pytest.fixture(scope="module")
def developed(dev_table, tmp_path_factory):
    X, y, rep = dev_table
    result = develop(X, y, replicates=rep, config=FAST, log=lambda s: None)
    out = tmp_path_factory.mktemp("bundles") / "hsp-test-1"
    write_bundle(
        result,
        X,
        y,
        out,
        name="hsp-test-1",
        version="1",
        outcome_definition_id="hsp-outcome-test",
        training_summary={"n": len(y)},
        config=FAST,
    )
    return result, out


def test_roundtrip_equals_fitted_model(developed, test_table):
    result, out = developed
    Xt, _, _ = test_table
    model = load_bundle(out)
    assert model.feature_names[:2] == ["platelets", "spleen_volume_ml"]
    table = Xt[model.feature_names]
    np.testing.assert_allclose(model.predict_proba(table), result.model.predict_proba(Xt)[:, 1], atol=1e-12)
    preds = model.predict(table.iloc[:20])
    lo, hi = result.model.predict_interval(Xt.iloc[:20])
    np.testing.assert_allclose([pr.ci_low for pr in preds], lo, atol=1e-12)
    np.testing.assert_allclose([pr.ci_high for pr in preds], hi, atol=1e-12)
    assert model.spec["meta"]["interval_inflation"] == result.model.interval_inflation_ >= 1.0
    for pr in preds:
        assert pr.ci_low < pr.probability < pr.ci_high
        assert pr.band in ("low", "intermediate", "high")
        total = pr.baseline_log_odds + sum(c[3] for c in pr.contributions)
        assert total == pytest.approx(pr.log_odds, abs=1e-10)
    m = model.manifest
    assert m["bands"]["thresholds"] == [0.15, 0.4]
    assert set(m["bands"]["observed"]) == {"low", "intermediate", "high"}
    assert sum(b["n"] for b in m["bands"]["observed"].values()) == 200
    assert {"python", "numpy", "scikit-learn"} <= set(m["versions"])
    assert m["outcome_definition_id"] == "hsp-outcome-test"
    assert "auc" in m["validation"]["multimodal_oof"] and m["validation"]["odds_ratios"]
    assert set(m["validation"]["global_contributions"]["terms"]) == set(result.model.terms_)
    assert m["kind"] == "risk-model" and m["metrics"]["optimism_corrected_auc"] > 0.5
    assert {"figures/roc.png", "figures/roc.svg", "figures/calibration.png", "figures/dca.svg"} <= set(
        m["files"]
    )
    assert all(f["unit"] for f in m["features"])


def test_bundle_with_dl_score_roundtrips(dev_table, test_table, tmp_path):
    X, y, rep = dev_table
    rng = np.random.default_rng(1)
    # a DL-score strong enough that the pre-specified rule locks the multimodal model
    Xd = X.assign(deep_score=-1.2 + 2.5 * y + rng.normal(0, 0.8, len(y)))
    result = develop(Xd, y, replicates=rep, config=FAST, log=lambda s: None)
    assert result.selected == "multimodal" and result.model.terms_[-1] == "dl_score"
    out = write_bundle(
        result,
        Xd,
        y,
        tmp_path / "hsp-dl-1",
        name="hsp-dl-1",
        version="1",
        outcome_definition_id="hsp-outcome-test",
        training_summary={"n": len(y)},
        config=FAST,
    )
    model = load_bundle(out)
    assert model.feature_names[-1] == "deep_score"
    entry = model.manifest["features"][-1]
    assert entry["unit"] == "log-odds" and entry["block"] == "deep"
    Xt, yt, _ = test_table
    Xt = Xt.assign(deep_score=-1.2 + 2.5 * yt + rng.normal(0, 0.8, len(yt)))
    np.testing.assert_allclose(
        model.predict_proba(Xt[model.feature_names]), result.model.predict_proba(Xt)[:, 1], atol=1e-12
    )
    with pytest.raises(ValidationError, match="input problem"):
        model.predict_proba(Xt[model.feature_names].assign(deep_score=np.nan))


def test_missing_radiomics_input_is_imputed_and_named(dev_table, test_table, tmp_path):
    from models.multimodal import MultimodalRiskModel

    X, y, rep = dev_table
    fitted = MultimodalRiskModel(n_stability=10, n_Cs=8, inner_cv=3, n_crossfit=3, deep=False).fit(
        X, y, replicates=rep
    )
    spec = fitted.to_dict()
    out = save_bundle(
        tmp_path / "rad",
        spec,
        name="rad",
        version="1",
        features=feature_entries(spec, X),
        band_thresholds=(0.15, 0.4),
        band_observed={},
        training_summary={},
        validation={},
        outcome_definition_id="d",
        intended_use="test",
    )
    model = load_bundle(out)
    Xt, _, _ = test_table
    rad = next(f for f in model.feature_names if "__" in f)
    imputed = Xt[model.feature_names].iloc[:3].copy()
    imputed[rad] = np.nan
    assert rad in model.predict(imputed)[0].imputed


def test_tampering_is_detected(developed, tmp_path):
    _, out = developed
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    spec = json.loads((copy / "model.json").read_text())
    spec["meta"]["intercept"] += 0.1
    (copy / "model.json").write_text(json.dumps(spec))
    with pytest.raises(ModelArtefactError, match=r"model\.json: SHA-256 differs"):
        load_bundle(copy)
    (copy / "model.json").unlink()
    with pytest.raises(ModelArtefactError, match=r"model\.json: missing"):
        load_bundle(copy)
    with pytest.raises(ModelArtefactError, match="No model bundle"):
        load_bundle(tmp_path / "nowhere")


def test_version_and_format_checks(developed, tmp_path):
    _, out = developed
    import shutil

    for field, value, message in (("bundle_format", 99, "format"), ("versions", {"numpy": "1.0"}, "NumPy")):
        copy = tmp_path / f"v-{field}"
        shutil.copytree(out, copy)
        manifest = json.loads((copy / "manifest.json").read_text())
        manifest[field] = value
        (copy / "manifest.json").write_text(json.dumps(manifest))
        with pytest.raises(ModelArtefactError, match=message):
            load_bundle(copy)


def test_feature_table_checks(developed, test_table):
    _, out = developed
    Xt, _, _ = test_table
    model = load_bundle(out)
    table = Xt[model.feature_names].iloc[:3]
    with pytest.raises(ModelArtefactError, match=r"missing \['platelets'\]"):
        model.predict(table.drop(columns=["platelets"]))
    with pytest.raises(ModelArtefactError, match=r"extra \['wbc'\]"):
        model.predict(Xt[[*model.feature_names, "wbc"]].iloc[:3])
    with pytest.raises(ModelArtefactError, match="another order"):
        model.predict(table[list(reversed(model.feature_names))])
    bad = table.copy()
    bad.iloc[0, 0] = 66000.0  # platelets typed per microlitre
    with pytest.raises(ValidationError, match="platelets") as info:
        model.predict(bad)
    assert info.value.problems[0].row == 0
    missing = table.copy()
    missing.iloc[1, 0] = np.nan
    with pytest.raises(ValidationError, match="required"):
        model.predict(missing)


def test_save_refuses_overwrite_and_bad_bands(developed, dev_table, tmp_path):
    result, out = developed
    X, _, _ = dev_table
    spec = result.model.to_dict()
    kwargs = dict(
        name="x",
        version="1",
        features=feature_entries(spec, X),
        band_observed={},
        training_summary={},
        validation={},
        outcome_definition_id="d",
        intended_use="test",
    )
    with pytest.raises(ModelArtefactError, match="already exists"):
        save_bundle(out, spec, band_thresholds=(0.15, 0.4), **kwargs)
    with pytest.raises(ValueError, match="band thresholds"):
        save_bundle(tmp_path / "b", spec, band_thresholds=(0.5, 0.4), **kwargs)
    assert not (tmp_path / "b").exists() and not list(tmp_path.glob(".b.*"))


def test_locked_model_is_the_one_the_rule_chose(developed):
    result, out = developed
    model = load_bundle(out)
    choice = model.manifest["validation"]["model_choice"]
    assert choice["selected"] == result.selected == model.manifest["validation"]["selected"]
    expected = "multimodal" if choice["ci_low"] > 0 else "clinical"
    assert result.selected == expected
    if expected == "clinical":
        assert model.spec["scores"] == [] and "rad_score" not in model.spec["meta"]["terms"]
    oof = result.nested[result.selected].mean_oof
    assert model.manifest["development"]["risks"] == [round(float(v), 6) for v in oof]


def test_development_result_contents(developed):
    result, _ = developed
    assert set(result.nested) == {"clinical", "rad_score", "multimodal"}
    assert "clinical" in result.paired and 0 <= result.paired["clinical"]["p_value"] <= 1
    names = [o["name"] for o in result.odds_ratios]
    ors = {o["name"]: o for o in result.odds_ratios}
    assert names[:2] == ["platelets", "spleen_volume_ml"]
    assert ors["platelets"]["odds_ratio"] < 1 < ors["spleen_volume_ml"]["odds_ratio"]
    assert result.sample_size.parameters == len(result.model.terms_)


def test_riley_failure_blocks_locking_unless_overridden_with_a_reason(developed, dev_table, tmp_path):
    import dataclasses

    from models.samplesize import riley_check

    result, _ = developed
    X, y, _ = dev_table
    failing = dataclasses.replace(result, sample_size=riley_check(len(y), int(y.sum()), 12, auc=0.75))
    assert not failing.sample_size.ok
    kwargs = dict(name="x", version="1", outcome_definition_id="d", training_summary={"n": len(y)})
    with pytest.raises(ModelArtefactError, match="more parameters than the sample size supports") as err:
        write_bundle(failing, X, y, tmp_path / "blocked", config=FAST, **kwargs)
    assert "--riley-override" in err.value.fix and not (tmp_path / "blocked").exists()
    reason = "pilot model for the registry demonstration; external validation planned"
    out = write_bundle(
        failing, X, y, tmp_path / "over", config=dataclasses.replace(FAST, riley_override=reason), **kwargs
    )
    ss = load_bundle(out).manifest["validation"]["sample_size"]
    assert ss["override"] == reason and ss["ok"] is False

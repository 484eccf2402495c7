"""Cohort folder -> feature table, the resumable feature cache, and the `hsp develop` / `hsp validate` commands."""

from __future__ import annotations

import json
import types

import numpy as np
import pandas as pd
import pytest

from hsp_desktop.cli import main
from hsp_desktop.development.cohort import FeatureCache, extract_radiomics, load_cohort
from hsp_desktop.errors import FileFormatError, InputError


def write_cohort(folder, n, seed):
    from hsp_desktop.synthetic import simulate_followup, simulate_preop

    pre = simulate_preop(n, seed=seed)
    fu, outcomes = simulate_followup(pre, seed=seed)
    folder.mkdir(parents=True, exist_ok=True)
    pre[[c for c in pre.columns if not c.startswith("_")]].to_csv(folder / "clinical.csv", index=False)
    fu.to_csv(folder / "followup.csv", index=False)
    return pre, outcomes


@pytest.fixture(scope="module")
def cohorts(tmp_path_factory):
    root = tmp_path_factory.mktemp("cohorts")
    dev_pre, dev_out = write_cohort(root / "dev", 200, seed=31)
    _val_pre, _ = write_cohort(root / "val", 300, seed=32)
    return root, dev_pre, dev_out


def test_load_cohort_derives_outcomes_without_ground_truth(cohorts):
    root, _pre, outcomes = cohorts
    c = load_cohort(root / "dev", radiomics=False)
    derived = outcomes.set_index("study_id")["y"]
    assert c.y.tolist() == derived.loc[c.table.index].astype(int).tolist()
    # pending / competing left out (never 0), and splenic embolisation after transplant excluded by the protocol
    embolised = set(pd.read_csv(root / "dev" / "followup.csv").query("intervention == 'pse'")["study_id"])
    assert embolised and not embolised & set(c.table.index)
    assert len(c.excluded) == int(derived.isna().sum())
    assert 0 < c.summary["outcome"]["status_counts"]["excluded"] <= len(embolised)
    assert "platelets" in c.table.columns and "study_id" not in c.table.columns
    assert c.summary["events"] == int(c.y.sum()) and c.outcome_definition_id


def test_outcome_scenarios_and_sensitivity_analyses(cohorts):
    from hsp_desktop.development.cohort import outcome_scenarios
    from models.multimodal import MultimodalRiskModel
    from models.sensitivity import SCENARIO_LABELS, estimand, sensitivity_analyses

    root, _pre, _ = cohorts
    clinical, scenarios, pending, counts = outcome_scenarios(root / "dev")
    c = load_cohort(root / "dev", radiomics=False)
    assert scenarios["primary"] == dict(zip(c.table.index, c.y.tolist(), strict=True))
    n0, n1 = counts.get("0", 0), counts.get("1", 0)
    assert len(scenarios["competing_as_1"]) == n0 + n1 + counts["competing"]
    assert sum(scenarios["competing_as_1"].values()) == n1 + counts["competing"]
    assert sum(scenarios["competing_as_0"].values()) == n1
    assert len(scenarios["splenic_artery_as_1"]) == n0 + n1 + counts["excluded"]
    assert sum(scenarios["splenic_artery_as_1"].values()) == n1 + counts["excluded"]
    assert len(pending) == counts.get("pending", 0)
    model = MultimodalRiskModel(clinical=("platelets", "spleen_volume_ml"), radiomics=False, deep=False).fit(
        c.table, c.y
    )
    pending = pending or [next(iter(scenarios["primary"]))]  # the imputation path runs even without pending
    out = sensitivity_analyses(model, clinical, scenarios, pending, seed=3, n_imputations=5)
    rows = {r["scenario"]: r for r in out["rows"]}
    assert set(rows) == set(SCENARIO_LABELS)
    assert rows["primary"]["n"] == len(c.y) and rows["primary"]["events"] == int(c.y.sum())
    assert rows["competing_as_1"]["events"] == n1 + counts["competing"]
    for r in rows.values():
        assert 0.5 < r["auc_nested_cv"] < 1
        lo_ok = [v[1] < v[0] < v[2] for v in r["odds_ratios"].values()]
        assert all(lo_ok) and set(r["odds_ratios"]) == {"platelets", "spleen_volume_ml"}
    assert "do not undergo splenic-artery ligation or embolisation" in estimand("HSP-RH6-v2")


def test_missing_files_are_clear_errors(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_cohort(tmp_path / "nope", radiomics=False)
    (tmp_path / "c").mkdir()
    with pytest.raises(FileFormatError, match=r"clinical\.csv"):
        load_cohort(tmp_path / "c", radiomics=False)


def test_develop_and_validate_commands(cohorts, tmp_path, capsys):
    root, _, _ = cohorts
    out = tmp_path / "hsp-clin-1"
    args = [
        "develop",
        "--cohort",
        str(root / "dev"),
        "--out",
        str(out),
        "--no-radiomics",
        "--n-boot",
        "3",
        "--n-repeats",
        "1",
        "--n-splits",
        "3",
        "--jobs",
        "1",
        "--no-comparators",
        "--seed",
        "4",
    ]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "Sample-size check" in text and "Paired DeLong multimodal vs clinical" in text
    assert text.index("Sample-size check") < text.index("Nested CV AUC")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["training"]["recipients_used"] > 150
    v = manifest["validation"]
    assert "alive without re-transplantation at 6 months" in v["estimand"]
    counts = v["outcome_status_counts"]
    assert counts["derived_0"] + counts["derived_1"] == manifest["training"]["recipients_used"]
    assert {r["scenario"] for r in v["sensitivity"]["rows"]} >= {
        "primary",
        "competing_as_1",
        "splenic_artery_as_1",
    }
    assert main(args) == 2  # refuses to overwrite
    assert "already exists" in capsys.readouterr().err
    report = tmp_path / "val.json"
    assert (
        main(
            [
                "validate",
                "--model",
                str(out),
                "--cohort",
                str(root / "val"),
                "--out",
                str(report),
                "--n-boot",
                "20",
            ]
        )
        == 0
    )
    res = json.loads(report.read_text())
    assert 0.6 < res["metrics"]["auc"]["auc"] < 0.95
    assert res["model"]["manifest_sha256"] and set(res["bands"]) == {"low", "intermediate", "high"}
    assert main(["validate", "--model", "no-such-model", "--cohort", str(root / "val")]) == 2
    assert "No such model bundle" in capsys.readouterr().err
    # a cohort lacking a model input is refused, naming it
    bad = tmp_path / "badval"
    bad.mkdir()
    pd.read_csv(root / "val" / "clinical.csv").drop(columns=["platelets"]).to_csv(
        bad / "clinical.csv", index=False
    )
    (bad / "followup.csv").write_text((root / "val" / "followup.csv").read_text())
    assert main(["validate", "--model", str(out), "--cohort", str(bad), "--n-boot", "10"]) == 2
    assert "platelets" in capsys.readouterr().err


def _fake_radiomics(monkeypatch, calls):
    import hsp_desktop.radiomics as rad

    def extract_features(ct, mask, settings=None, *, label=1):
        roi = mask.array == label
        vals = ct.array[roi].astype(float)
        calls.append(int(roi.sum()))
        return types.SimpleNamespace(
            values={
                "original_firstorder_Mean": float(vals.mean()),
                "original_shape_VoxelVolume": float(roi.sum()),
            },
            engine="fake-engine 0",
        )

    monkeypatch.setattr(rad, "extract_features", extract_features, raising=False)
    monkeypatch.setattr(rad, "load_params", lambda s: s, raising=False)


def test_feature_cache_resumes_and_perturbs(tmp_path, monkeypatch):
    from hsp_desktop.domain import CtVolume, LabelMap
    from hsp_desktop.importers import write_image

    ids = ["HSP-0001", "HSP-0002", "HSP-0003"]
    rng = np.random.default_rng(0)
    for k, sid in enumerate(ids):
        d = tmp_path / "images" / sid
        d.mkdir(parents=True)
        arr = (100 + 10 * rng.normal(size=(8, 12, 12))).astype(np.float32)
        mask = np.zeros((8, 12, 12), np.uint8)
        mask[2:6, 3 : 8 + k, 3:9] = 1
        write_image(CtVolume(arr, (1.0, 1.0, 2.0)), d / "ct.nii.gz")
        write_image(LabelMap(mask, (1.0, 1.0, 2.0)), d / "mask.nii.gz")
    calls: list[int] = []
    _fake_radiomics(monkeypatch, calls)
    cache = FeatureCache(tmp_path / "cache")
    table, reps, prov = extract_radiomics(tmp_path, ids, cache=cache, icc_subset=2)
    assert list(table.columns) == ["spleen__original_firstorder_Mean", "spleen__original_shape_VoxelVolume"]
    assert len(calls) == 3 + 2 * 2  # three originals, eroded + dilated masks for the first two
    assert reps.shape == (3, 2, 2) and np.isnan(reps[2]).all()
    vol = table["spleen__original_shape_VoxelVolume"].to_numpy()
    assert np.all(reps[:2, 0, 1] < vol[:2]) and np.all(
        reps[:2, 1, 1] > vol[:2]
    )  # erosion shrinks, dilation grows
    calls.clear()
    again, reps2, _ = extract_radiomics(tmp_path, ids, cache=cache, icc_subset=2)
    assert calls == [] and again.equals(table) and np.allclose(reps2, reps, equal_nan=True)
    # a changed image invalidates only that recipient
    m = LabelMap(np.pad(np.ones((2, 2, 2), np.uint8), ((2, 4), (3, 7), (3, 7))), (1.0, 1.0, 2.0))
    from hsp_desktop.importers import write_image as w

    w(m, tmp_path / "images" / "HSP-0003" / "mask.nii.gz")
    extract_radiomics(tmp_path, ids, cache=cache, icc_subset=2)
    assert calls == [8]
    assert prov["engine"] == "fake-engine 0"


def test_missing_image_is_named(tmp_path, monkeypatch):
    _fake_radiomics(monkeypatch, [])
    with pytest.raises(FileFormatError, match=r"HSP-0009 has no ct\.nii\.gz"):
        extract_radiomics(tmp_path, ["HSP-0009"], cache=FeatureCache(tmp_path / "c"))


def _fake_cnn(folder, cohort, ids, *, trained_here=True):
    """A CNN artefact folder holding only what the DL-score needs from it: manifest + out-of-fold logits."""
    from hsp_desktop.development.cohort import sha256_file

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(3)
    oof = pd.DataFrame({"study_id": ids, "fold": 0, "deep_score": rng.normal(-1.0, 1.0, len(ids)).round(6)})
    oof.to_csv(folder / "oof_scores.csv", index=False)
    manifest = {
        "kind": "cnn",
        "files": {"oof_scores.csv": sha256_file(folder / "oof_scores.csv")},
        "training_cohort": {
            "cohort_manifest_sha256": sha256_file(cohort / "manifest.json") if trained_here else "0" * 64
        },
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return oof.set_index("study_id")["deep_score"]


def test_dl_score_is_out_of_fold_for_the_cnns_training_cohort(cohorts, tmp_path, capsys):
    from hsp_desktop.errors import HspError, ModelArtefactError

    root, _, _ = cohorts
    dev = root / "dev"
    (dev / "manifest.json").write_text(json.dumps({"generator": "test", "seed": 31}))
    ids = list(load_cohort(dev, radiomics=False).table.index)
    oof = _fake_cnn(tmp_path / "cnn", dev, ids)
    c = load_cohort(dev, radiomics=False, deep=tmp_path / "cnn")
    np.testing.assert_array_equal(c.table["deep_score"].to_numpy(), oof.loc[c.table.index].to_numpy())
    prov = c.table.attrs["provenance"]["deep"]
    assert prov["out_of_fold"] == len(ids) and prov["inference"] == 0 and prov["trained_on_this_cohort"]

    out = tmp_path / "hsp-dl-1"
    args = ["develop", "--cohort", str(dev), "--out", str(out), "--no-radiomics", "--no-comparators"]
    args += [
        "--n-boot",
        "3",
        "--n-repeats",
        "1",
        "--n-splits",
        "3",
        "--jobs",
        "1",
        "--deep",
        str(tmp_path / "cnn"),
    ]
    assert main(args) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    # the fake CNN's scores are noise: the pre-specified rule locks the clinical-only model, without the DL-score
    assert manifest["validation"]["model_choice"]["selected"] == "clinical"
    assert "deep_score" not in [f["name"] for f in manifest["features"]]
    assert manifest["deep"]["artifact"] == "cnn" and manifest["deep"]["out_of_fold"] == len(ids)
    assert "--deep" in manifest["command"]
    capsys.readouterr()

    # an edited out-of-fold file is refused; a CNN trained elsewhere is run, never read from its OOF file
    (tmp_path / "cnn" / "oof_scores.csv").write_text("study_id,fold,deep_score\nHSP-0001,0,9.0\n")
    with pytest.raises(ModelArtefactError, match="out-of-fold scores do not match"):
        load_cohort(dev, radiomics=False, deep=tmp_path / "cnn")
    _fake_cnn(tmp_path / "other", dev, ids, trained_here=False)
    with pytest.raises(HspError):  # no images in this cohort: the CNN cannot run, and OOF is not a fallback
        load_cohort(dev, radiomics=False, deep=tmp_path / "other")
    # a malformed out-of-fold file (even one whose hash the manifest records) and an unreadable manifest
    bad = tmp_path / "bad"
    _fake_cnn(bad, dev, ids)
    (bad / "oof_scores.csv").write_text("study_id,fold,logit\nHSP-0001,0,1.0\n")
    manifest = json.loads((bad / "manifest.json").read_text())
    from hsp_desktop.development.cohort import sha256_file

    manifest["files"]["oof_scores.csv"] = sha256_file(bad / "oof_scores.csv")
    (bad / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelArtefactError, match="malformed") as err:
        load_cohort(dev, radiomics=False, deep=bad)
    assert "deep_score" in err.value.found
    (bad / "manifest.json").write_text("{not json")
    with pytest.raises(ModelArtefactError, match="manifest cannot be read"):
        load_cohort(dev, radiomics=False, deep=bad)
    (tmp_path / "cnn" / "oof_scores.csv").unlink()
    with pytest.raises(ModelArtefactError, match="out-of-fold scores are missing"):
        load_cohort(dev, radiomics=False, deep=tmp_path / "cnn")
    with pytest.raises(InputError, match="no manifest"):
        load_cohort(dev, radiomics=False, deep=tmp_path / "nowhere")

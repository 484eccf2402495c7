"""``hsp update``: closed testing on a shifted cohort, a new strict-loadable bundle with lineage; ``hsp monitor``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from simhelpers import clinical_bundle, score_prospective

from hsp_desktop.cli import main
from hsp_desktop.development.cohort import load_cohort
from hsp_desktop.registry import Registry
from hsp_desktop.registry.passwords import TEST_PARAMS
from hsp_desktop.synthetic.cohort import ProspectiveShift, generate_cohort
from hsp_desktop.validation.monitor import monitor_registry
from models.bundle import load_bundle
from models.metrics import calibration


@pytest.fixture(scope="module")
def parent(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return clinical_bundle(tmp_path_factory.mktemp("parent") / "hsp-clinical-test", n=600, seed=3)


def _cohort(tmp: Path, shift: float, n: int, seed: int) -> Path:
    return Path(
        generate_cohort(
            tmp / f"c{seed}", n=1, prospective=n, seed=seed, images=False, shift=ProspectiveShift(shift)
        )
    )


@pytest.mark.slow
def test_update_picks_recalibration_in_the_large_and_the_new_bundle_is_calibrated(
    parent: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cohort = _cohort(tmp_path, 1.0, 2500, 31)
    out = tmp_path / "updated"
    rc = main(["update", "--bundle", str(parent), "--cohort", str(cohort), "--out", str(out), "--json"])
    assert rc == 0
    res = json.loads(capsys.readouterr().out)
    assert res["method"] == "intercept", res["closed_testing"]
    assert res["closed_testing"]["tests"][0]["significant"]
    new = load_bundle(out)  # strict loader: hashes, format, feature list
    old = load_bundle(parent)
    up = new.manifest["update"]
    assert up["parent_sha256"] == old.sha256 == res["parent_sha256"]
    assert up["method"] == "intercept" and len(up["data_sha256"]) == 64
    assert new.manifest["lineage"][-1]["sha256"] == old.sha256
    assert new.version == "1.1" and new.feature_names == old.feature_names
    assert old.manifest.get("update") is None  # the parent is never edited
    # fresh cohort with the same shift: the updated model's calibration is within its CIs of 0 / 1
    fresh = load_cohort(_cohort(tmp_path, 1.0, 1000, 77), subset="validation", radiomics=False)
    y, X = fresh.y, fresh.table[new.feature_names]
    cal = calibration(y, new.predict_proba(X))
    assert cal.intercept_ci[0] <= 0 <= cal.intercept_ci[1], cal
    assert cal.slope_ci[0] <= 1 <= cal.slope_ci[1], cal
    before = calibration(y, old.predict_proba(X))
    assert before.intercept_ci[0] > 0  # the parent under-predicts the shifted cohort


def test_update_keeps_the_model_when_nothing_shifted(
    parent: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cohort = _cohort(tmp_path, 0.0, 500, 41)
    out = tmp_path / "none"
    rc = main(["update", "--bundle", str(parent), "--cohort", str(cohort), "--out", str(out)])
    text = capsys.readouterr().out
    assert rc == 0
    assert "method: none" in text and not out.exists()


def test_monitor_json_equals_the_report(
    parent: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "r.db"
    reg = Registry.open(db, site_key=None, argon2_params=TEST_PARAMS)
    reg.add_user("admin", "admin-pass-1", "admin", by=None)
    user = reg.authenticate("admin", "admin-pass-1")
    score_prospective(reg, user, _cohort(tmp_path, 1.5, 40, 51), parent, monkeypatch)
    data = tmp_path / "data"
    (data / "models").mkdir(parents=True)
    shutil.copytree(parent, data / "models" / parent.name)
    expected = monitor_registry(reg, data)
    reg.close()
    monkeypatch.setenv("HSP_DATA_DIR", str(data))
    monkeypatch.setenv("HSP_PASSWORD", "admin-pass-1")
    rc = main(["monitor", "--json", "--db", str(db), "--user", "admin"])
    assert rc == 0
    got = json.loads(capsys.readouterr().out)
    assert got == json.loads(json.dumps(expected))
    assert got["bundles"][0]["counts"]["scored_before_transplant"] == 40
    rc = main(["monitor", "--db", str(db), "--user", "admin"])
    text = capsys.readouterr().out
    oe = got["bundles"][0]["performance"]["observed_expected"]
    assert rc == 0 and f"O/E {oe['ratio']:.2f} (95% CI {oe['ci_low']:.2f}-{oe['ci_high']:.2f})" in text

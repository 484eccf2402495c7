"""The validation dashboard shows the monitoring report's numbers (the same mapping ``hsp monitor --json`` prints)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from simhelpers import clinical_bundle, score_prospective

from hsp_desktop.registry import Registry
from hsp_desktop.registry.passwords import TEST_PARAMS
from hsp_desktop.synthetic.cohort import ProspectiveShift, generate_cohort
from hsp_desktop.validation.monitor import monitor_registry

pytestmark = pytest.mark.gui


def test_dashboard_shows_the_report_numbers_and_alarms(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hsp_desktop.gui.context import AppContext
    from hsp_desktop.gui.pages.dashboard import DashboardPage

    data = tmp_path / "data"
    bundle = clinical_bundle(data / "models" / "hsp-clinical-test")
    cohort = generate_cohort(
        tmp_path / "c", n=1, prospective=60, seed=21, images=False, shift=ProspectiveShift(2.0)
    )
    reg = Registry.open(tmp_path / "r.db", site_key=None, argon2_params=TEST_PARAMS)
    try:
        reg.add_user("admin", "admin-pass-1", "admin", by=None)
        user = reg.authenticate("admin", "admin-pass-1")
        score_prospective(reg, user, Path(cohort), bundle, monkeypatch)
        expected = json.loads(json.dumps(monitor_registry(reg, data)))
        page = DashboardPage(AppContext(registry=reg, user=user, data_dir=data), window=None)
        qtbot.addWidget(page)
        page.refresh()  # computed in a worker thread; the screen stays responsive
        assert page.worker is not None
        qtbot.waitUntil(lambda: page.worker is None, timeout=120_000)
        assert json.loads(json.dumps(page.report)) == expected
        c = expected["counts"]
        assert page.counts.text().startswith(f"{c['scored']} scored, {c['with_outcome']} with outcome")
        entry = expected["bundles"][0]
        oe = entry["performance"]["observed_expected"]
        assert (
            f"O/E {oe['ratio']:.2f} (exact 95% CI {oe['ci_low']:.2f}-{oe['ci_high']:.2f})" in page.auc.text()
        )
        auc = entry["performance"]["auc"]
        assert f"AUC {auc['auc']:.3f}" in page.auc.text()
        alarm = next(a for a in expected["alarms"] if a["kind"] == "calibration")
        assert alarm["message"] in page.alarms.text() and alarm["date"] in page.alarms.text()
        assert page.bands.rowCount() == len(entry["bands"])
        assert page.drift.rowCount() == len(entry["drift"]["out_of_range"])
        cr = entry["competing_risks"]
        assert f"{cr['cif_at_horizon']:.1%}" in page.competing.text()
        assert not page.cusum.pixmap().isNull() and not page.plot.pixmap().isNull()
        # a bundle copied elsewhere is the same locked bundle (same manifest hash): still one entry
        shutil.copytree(bundle, tmp_path / "copy")
        assert len(monitor_registry(reg, data, extra_bundles=[tmp_path / "copy"])["bundles"]) == 1
    finally:
        reg.close()

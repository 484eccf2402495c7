"""The validation PDF's prospective-monitoring section carries the monitoring report's numbers and alarms."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from simhelpers import clinical_bundle, score_prospective

from hsp_desktop.registry import Registry
from hsp_desktop.registry.passwords import TEST_PARAMS
from hsp_desktop.synthetic.cohort import ProspectiveShift, generate_cohort
from hsp_desktop.validation.monitor import monitor_registry
from models.bundle import load_bundle


def _text(path: Path) -> str:
    from pypdf import PdfReader

    return " ".join(" ".join((pg.extract_text() or "").split()) for pg in PdfReader(str(path)).pages)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_validation_pdf_has_the_monitoring_section(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, language: str
) -> None:
    from hsp_desktop.reporting.build import validation_inputs
    from hsp_desktop.reporting.validation import render_validation_report

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
        report = json.loads(json.dumps(monitor_registry(reg, data)))
    finally:
        reg.close()
    model = load_bundle(bundle)
    pdf = render_validation_report(
        validation_inputs(model), tmp_path / "v.pdf", language=language, monitoring=report
    )
    text = _text(pdf)
    entry = report["bundles"][0]
    oe = entry["performance"]["observed_expected"]
    assert f"{oe['ratio']:.2f} ({oe['ci_low']:.2f} to {oe['ci_high']:.2f})" in text
    alarm = next(c for c in entry["cusum"] if c["alarm"])
    assert alarm["alarm_date"] in text
    assert ("Prospective monitoring" in text) == (language == "en")
    other = render_validation_report(validation_inputs(model), tmp_path / "w.pdf", language=language)
    assert alarm["alarm_date"] not in _text(other)  # no report given: no section

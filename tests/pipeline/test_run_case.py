"""Orchestration of ``run_case`` with test doubles: stage order, cancellation, errors, nothing half-saved."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from pipeline_fakes import FakeModel, FakeRegistry, FakeUser, fake_parts, input_files

from hsp_desktop.errors import (
    CancelledError,
    EligibilityError,
    GeometryError,
    ModelArtefactError,
    PipelineError,
)
from hsp_desktop.pipeline import STAGES, run_case, run_to_end


def _run(tmp_path: Path, registry: FakeRegistry | None = None, **kw):
    registry = registry if registry is not None else FakeRegistry()
    ct, mask = input_files(tmp_path)
    reports = tmp_path / "reports"
    kw.setdefault("parts", fake_parts())
    kw.setdefault("user", FakeUser())
    gen = run_case(registry, "HSP-0001", ct, mask, report_dir=reports, **kw)
    progress = []
    result = run_to_end(gen, progress.append)
    return registry, reports, progress, result


def test_stages_in_order_and_everything_saved(tmp_path: Path) -> None:
    registry, reports, progress, result = _run(tmp_path)
    stages = list(dict.fromkeys(p.stage for p in progress))
    assert stages == list(STAGES)
    fractions = [p.fraction for p in progress]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert result.study_id == "HSP-0001"
    assert 0 < result.risk.ci_low <= result.risk.probability <= result.risk.ci_high < 1
    assert result.risk.model_sha256 == "b" * 64 and len(result.risk.input_sha256) == 64
    assert list(result.features) == FakeModel().feature_names
    assert result.features["spleen__original_firstorder_Mean"] == 115.0
    assert len(registry.tables["imaging"]) == 1 and len(registry.tables["predictions"]) == 1
    saved = registry.tables["predictions"][0]
    assert (
        saved["probability"] == result.risk.probability and saved["input_sha256"] == result.risk.input_sha256
    )
    assert saved["manifest_sha256"] == "b" * 64 and saved["app_version"]
    assert result.report_path is not None and result.report_path.is_file()
    assert [p.name for p in reports.iterdir()] == [result.report_path.name]  # no partial file left
    assert set(result.timings) == set(STAGES) == set(result.cpu_timings)


def test_input_hash_changes_with_the_inputs(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _, _, _, a = _run(tmp_path / "a")
    registry = FakeRegistry()
    registry.records["HSP-0001"]["platelets"] = 49.0
    _, _, _, b = _run(tmp_path / "b", registry)
    assert a.risk.input_sha256 != b.risk.input_sha256


@pytest.mark.parametrize("cancel_at", ["model", "radiomics", "report"])
def test_cancel_between_stages_saves_nothing(tmp_path: Path, cancel_at: str) -> None:
    registry = FakeRegistry()
    event = threading.Event()
    ct, mask = input_files(tmp_path)
    gen = run_case(
        registry,
        "HSP-0001",
        ct,
        mask,
        user=FakeUser(),
        cancel=event,
        report_dir=tmp_path / "r",
        parts=fake_parts(),
    )
    with pytest.raises(CancelledError, match="nothing was saved"):
        for p in gen:
            if STAGES.index(p.stage) + 1 == STAGES.index(cancel_at):
                event.set()
    assert registry.rows() == 0
    assert not (tmp_path / "r").exists() or list((tmp_path / "r").iterdir()) == []


def _boom(exc: Exception):
    def f(*args, **kwargs):
        raise exc

    return f


@pytest.mark.parametrize(
    ("part", "exc", "stage"),
    [
        (
            "load_model",
            ModelArtefactError("model.skops SHA-256 differs from the manifest", fix="reinstall"),
            "model",
        ),
        ("read_ct", OSError("no such file"), "import"),
        ("check_geometry", GeometryError("CT and mask spacing differ", fix="re-export the mask"), "qc"),
        ("extract", RuntimeError("kernel failed"), "radiomics"),
        ("render", OSError("disk full"), "report"),
    ],
)
def test_stage_failure_names_the_stage_and_saves_nothing(
    tmp_path: Path, part: str, exc: Exception, stage: str
) -> None:
    registry = FakeRegistry()
    with pytest.raises(PipelineError) as info:
        _run(tmp_path, registry, parts=fake_parts(**{part: _boom(exc)}))
    err = info.value
    assert err.stage == stage
    assert err.__cause__ is exc
    assert "Nothing was saved" in str(err) and err.fix
    assert registry.rows() == 0
    assert not (tmp_path / "reports").exists() or list((tmp_path / "reports").iterdir()) == []


def test_registry_failure_rolls_back_and_leaves_no_pdf(tmp_path: Path) -> None:
    registry = FakeRegistry(fail_on="predictions")
    with pytest.raises(PipelineError) as info:
        _run(tmp_path, registry)
    assert info.value.stage == "save"
    assert registry.rows() == 0
    assert list((tmp_path / "reports").iterdir()) == []


def test_ineligible_recipient_is_refused_before_any_work(tmp_path: Path) -> None:
    registry = FakeRegistry()
    calls = []
    parts = fake_parts(
        eligibility=lambda r: (False, ["excluded: prior splenectomy (prior_splenectomy)"]),
        read_ct=lambda p: calls.append(p),
    )
    with pytest.raises(PipelineError) as info:
        _run(tmp_path, registry, parts=parts)
    assert info.value.stage == "recipient"
    assert isinstance(info.value.__cause__, EligibilityError)
    assert "prior splenectomy" in str(info.value)
    assert calls == [] and registry.rows() == 0


def test_readonly_user_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match="may not save predictions") as info:
        _run(tmp_path, user=FakeUser(role="readonly"))
    assert info.value.stage == "recipient"


def test_feature_list_mismatch_lists_missing_columns(tmp_path: Path) -> None:
    model = FakeModel(
        feature_names=["platelets", "spleen__original_glcm_Contrast", "spleen__original_firstorder_Mean"]
    )
    with pytest.raises(PipelineError) as info:
        _run(tmp_path, parts=fake_parts(load_model=lambda p: model))
    assert info.value.stage == "features"
    assert "spleen__original_glcm_Contrast" in str(info.value)


def test_unknown_recipient(tmp_path: Path) -> None:
    registry = FakeRegistry(records={})
    with pytest.raises(PipelineError, match="No recipient HSP-0001") as info:
        _run(tmp_path, registry)
    assert info.value.stage == "recipient"


class _ModelWithSettings(FakeModel):
    recorded: str = ""

    @property
    def manifest(self):  # type: ignore[override]
        return {**super().manifest, "radiomics": {"settings": None, "settings_sha256": self.recorded}}


def test_radiomics_settings_must_match_the_development_hash(tmp_path: Path) -> None:
    from hsp_desktop.pipeline.model_info import settings_sha256

    good = _ModelWithSettings()
    good.recorded = settings_sha256(None)
    (tmp_path / "a").mkdir()
    _run(tmp_path / "a", parts=fake_parts(load_model=lambda p: good))
    bad = _ModelWithSettings()
    bad.recorded = "0" * 64
    (tmp_path / "b").mkdir()
    registry = FakeRegistry()
    with pytest.raises(PipelineError, match="radiomics settings differ") as info:
        _run(tmp_path / "b", registry, parts=fake_parts(load_model=lambda p: bad))
    assert info.value.stage == "model" and registry.rows() == 0


def test_missing_spleen_volume_is_measured_on_the_mask(tmp_path: Path) -> None:
    from pipeline_fakes import phantom

    registry = FakeRegistry()
    registry.records["HSP-0001"]["spleen_volume_ml"] = None
    _, _, _, result = _run(tmp_path, registry)
    _, mask = phantom()
    assert result.features["spleen_volume_ml"] == round(mask.volume_ml(1), 1)
    assert result.risk.extra["measured_from_mask"] == ["spleen_volume_ml"]
    assert registry.tables["predictions"][0]["measured_from_mask"] == ["spleen_volume_ml"]


def test_qc_failure_keeps_the_structured_report(tmp_path: Path) -> None:
    from hsp_desktop.domain import QcCheck, QcReport
    from hsp_desktop.errors import QcError

    report = QcReport(checks=(QcCheck("slice gap", "fail", "12 mm", "<= 5 mm", "missing slices"),))
    registry = FakeRegistry()
    with pytest.raises(PipelineError) as info:
        _run(
            tmp_path, registry, parts=fake_parts(qc=_boom(QcError("QC blocked", report=report, fix="rescan")))
        )
    assert info.value.stage == "qc" and info.value.qc_report is report and registry.rows() == 0

"""The self-test the installed app runs: every check passes in the source tree, and a broken check is reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hsp_desktop import selftest


def _run(**kwargs: object) -> selftest.SelfTestReport:
    gen = selftest.run_selftest(**kwargs)  # type: ignore[arg-type]
    try:
        while True:
            next(gen)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]


def test_selftest_passes_in_the_source_tree() -> None:
    report = _run()
    assert report.passed, [c for c in report.checks if not c.passed]
    assert {c.name for c in report.checks} == {
        "IBSI digital phantom",
        "model hashes",
        "known recipient risk",
        "registry write/read/backup",
    }
    assert report.provider.endswith("ExecutionProvider")


def test_selftest_fails_when_the_reference_risk_differs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = tmp_path / "reference.json"
    wrong.write_text(json.dumps({"recipient_risk": 0.5}), encoding="utf-8")
    monkeypatch.setattr(selftest, "REFERENCE", wrong)
    report = _run()
    failed = [c.name for c in report.checks if not c.passed]
    assert failed == ["known recipient risk"] and not report.passed

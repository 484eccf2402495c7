"""Fast tests of the frozen entry point and the build helpers (no bundle needed)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from hsp_desktop import frozen, selftest

ROOT = Path(__file__).resolve().parents[2]


def _build_tools():
    spec = importlib.util.spec_from_file_location("build_tools", ROOT / "packaging" / "build_tools.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_tools"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("argv", "cli"),
    [
        (["/opt/hsp-desktop/hsp-desktop"], False),
        (["/opt/hsp-desktop/hsp-desktop", "gui", "-platform", "offscreen"], False),
        (["/opt/hsp-desktop/hsp-desktop", "selftest"], True),
        (["/opt/hsp-desktop/hsp-desktop", "--version"], True),
        (["/opt/hsp-desktop/hsp"], True),
        (["C:/HSP/hsp.exe", "demo"], True),
    ],
)
def test_wants_cli(argv: list[str], cli: bool) -> None:
    assert frozen.wants_cli(argv) is cli


def test_first_start_selftest_is_due_until_a_pass_is_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HSP_DATA_DIR", str(tmp_path))
    assert selftest.first_start_selftest_due() is False  # source tree: never on start
    monkeypatch.setattr(selftest, "is_frozen", lambda: True)
    assert selftest.first_start_selftest_due() is True
    marker = selftest.record_selftest({"passed": False}, via="cli")
    assert marker.parent == tmp_path / "selftest"
    assert selftest.first_start_selftest_due() is True  # a failed self-test runs again next start
    selftest.record_selftest({"passed": True, "risk": 0.25})
    assert selftest.first_start_selftest_due() is False
    saved = json.loads(marker.read_text(encoding="utf-8"))
    assert saved["build"] == selftest.build_id() and saved["via"] == "gui" and saved["risk"] == 0.25
    marker.write_text("{not json", encoding="utf-8")
    assert selftest.first_start_selftest_due() is True


def test_build_id_depends_only_on_version_commit_and_source_date() -> None:
    tools = _build_tools()
    one = tools.make_build_id("0.1.0", "320d4e7-dirty", 1_795_944_937)
    assert one == tools.make_build_id("0.1.0", "320d4e7-dirty", 1_795_944_937)
    assert one == "0.1.0+320d4e7-dirty.20261129"
    assert tools.make_build_id("0.1.0", "v0.1/rc 1", 0) == "0.1.0+v0.1.rc.1.19700101"


def test_manifest_detects_changed_missing_and_extra_files(tmp_path: Path) -> None:
    tools = _build_tools()
    bundle = tmp_path / "hsp-desktop"
    (bundle / "_internal").mkdir(parents=True)
    (bundle / "hsp-desktop").write_bytes(b"exe")
    (bundle / "_internal" / "lib.so").write_bytes(b"lib")
    manifest = tools.write_manifest(bundle)
    assert manifest == tmp_path / "hsp-desktop.sha256"
    assert "hsp-desktop/_internal/lib.so" in manifest.read_text(encoding="utf-8")
    assert tools.verify_manifest(bundle) == []
    (bundle / "_internal" / "lib.so").write_bytes(b"LIB")
    (bundle / "hsp-desktop").unlink()
    (bundle / "extra.txt").write_text("x", encoding="utf-8")
    assert tools.verify_manifest(bundle) == [
        "missing: hsp-desktop/hsp-desktop",
        "not in manifest: hsp-desktop/extra.txt",
        "changed: hsp-desktop/_internal/lib.so",
    ]

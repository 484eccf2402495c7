"""The frozen application (dist/hsp-desktop) computes what the source tree computes.

Builds the bundle with ``packaging/build --app`` unless dist/ holds a build of this commit whose files match its
hash manifest (``HSP_REBUILD=1`` forces a build, ``HSP_REUSE_BUNDLE=1`` takes any verified build), then starts the frozen executable offscreen: ``hsp selftest``
with an empty per-user Numba cache (cold) and again (warm), ``hsp demo``, and the GUI. Minutes on two cores.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "dist" / "hsp-desktop"
EXE = BUNDLE / "hsp-desktop"
CLI = BUNDLE / "hsp"
TOLERANCE = 1e-9


def _build_tools() -> Any:
    spec = importlib.util.spec_from_file_location("build_tools", ROOT / "packaging" / "build_tools.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_tools"] = module
    spec.loader.exec_module(module)
    return module


def _expected_build_id(tools: Any) -> str:
    from hsp_desktop import __version__

    return str(tools.make_build_id(__version__, tools.git_describe(), tools.source_date_epoch()))


def _bundle_build_id() -> str | None:
    marker = BUNDLE / "_internal" / "hsp_desktop" / "BUILD"
    return marker.read_text(encoding="utf-8").strip() if marker.is_file() else None


@pytest.fixture(scope="module")
def bundle() -> Path:
    tools = _build_tools()
    # A build of this commit is reused; HSP_REUSE_BUNDLE=1 reuses any build (its manifest is still verified).
    fresh = (
        EXE.is_file()
        and BUNDLE.with_name("hsp-desktop.sha256").is_file()
        and (os.environ.get("HSP_REUSE_BUNDLE") == "1" or _bundle_build_id() == _expected_build_id(tools))
        and not os.environ.get("HSP_REBUILD")
    )
    if not fresh:
        env = {**os.environ, "HSP_SKIP_SELFTEST": "1"}
        subprocess.run(
            [str(ROOT / "packaging" / "build"), "--app"], cwd=ROOT, env=env, check=True, timeout=3600
        )
    assert tools.verify_manifest(BUNDLE) == []
    return BUNDLE


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NUMBA_", "PYTHON", "HSP_"))}
    env.update({"HSP_DATA_DIR": str(data_dir), "QT_QPA_PLATFORM": "offscreen"})
    return env


def _run(
    args: list[str], data_dir: Path, timeout: float = 1800, **extra: str
) -> tuple[subprocess.CompletedProcess[str], float]:
    start = time.perf_counter()
    proc = subprocess.run(
        args, env={**_env(data_dir), **extra}, capture_output=True, text=True, timeout=timeout, cwd=data_dir
    )
    return proc, time.perf_counter() - start


@pytest.fixture(scope="module")
def frozen_selftest(bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    data = tmp_path_factory.mktemp("frozen-user")
    cold, cold_s = _run([str(CLI), "selftest", "--json"], data)
    assert cold.returncode == 0, cold.stdout + cold.stderr
    cache = sorted((data / "numba-cache").rglob("*.nbi"))
    warm, warm_s = _run([str(CLI), "selftest", "--json"], data)
    assert warm.returncode == 0, warm.stdout + warm.stderr
    print(f"\nfrozen selftest: cold {cold_s:.1f} s (empty Numba cache), warm {warm_s:.1f} s")
    return {
        "cold": json.loads(cold.stdout),
        "warm": json.loads(warm.stdout),
        "cache": cache,
        "data": data,
    }


def test_bundle_ships_what_runs_and_nothing_for_training(bundle: Path) -> None:
    internal = bundle / "_internal"
    assert (internal / "hsp_desktop" / "BUILD").read_text(encoding="utf-8").strip().startswith("0.")
    # Numba locates its cache from the kernels' source files.
    assert (internal / "kernels" / "glcm.py").is_file() and (internal / "kernels" / "_jit.py").is_file()
    platforms = {p.name for p in (internal / "PySide6" / "Qt" / "plugins" / "platforms").iterdir()}
    assert {"libqoffscreen.so", "libqxcb.so"} <= platforms
    assert (internal / "hsp_desktop" / "selftest_data" / "ibsi_phantom.nii.gz").is_file()
    shipped = internal / "models" / "artifacts"
    source = ROOT / "models" / "artifacts"
    for manifest in source.glob("*/manifest.json"):
        assert (shipped / manifest.relative_to(source)).read_bytes() == manifest.read_bytes()
    names = {p.relative_to(internal).parts[0] for p in internal.iterdir()}
    assert not names & {"torch", "flwr", "pytest", "_pytest", "hypothesis", "radiomics"}
    assert not list(internal.rglob("libtorch*"))


def test_frozen_selftest_passes_and_caches_kernels_per_user(frozen_selftest: dict[str, Any]) -> None:
    for run in ("cold", "warm"):
        report = frozen_selftest[run]
        assert report["passed"], report["checks"]
        assert "CPUExecutionProvider" in report["provider"] or report["provider"] == "no CNN shipped"
    # The per-user cache (not the read-only install folder) holds the compiled kernels.
    assert frozen_selftest["cache"], "no Numba index files in the per-user cache"
    assert not list(BUNDLE.rglob("*.nbi"))
    marker = json.loads(
        next((frozen_selftest["data"] / "selftest").glob("*.json")).read_text(encoding="utf-8")
    )
    assert marker["passed"] is True and marker["via"] == "cli"


def test_frozen_risk_equals_source_tree(frozen_selftest: dict[str, Any], tmp_path: Path) -> None:
    from hsp_desktop.selftest import score_known_recipient

    risk, registry = score_known_recipient(tmp_path)
    registry.close()
    assert abs(frozen_selftest["cold"]["risk"] - risk) <= TOLERANCE
    assert abs(frozen_selftest["warm"]["risk"] - risk) <= TOLERANCE


def test_frozen_demo_scores_like_the_source_tree(bundle: Path, tmp_path: Path) -> None:
    from hsp_desktop.pipeline.demo import run_demo

    data = tmp_path / "user"
    data.mkdir()
    proc, _ = _run([str(CLI), "demo", "--out", str(tmp_path / "frozen-demo")], data)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "PDF report:" in proc.stdout
    con = sqlite3.connect(tmp_path / "frozen-demo" / "demo-registry.sqlite")
    try:
        rows = con.execute("SELECT study_id, probability FROM predictions").fetchall()
    finally:
        con.close()
    assert len(rows) == 1
    source = run_demo(tmp_path / "source-demo")
    assert rows[0][0] == source.study_id
    assert abs(rows[0][1] - source.risk.probability) <= TOLERANCE


def test_frozen_gui_starts_offscreen(bundle: Path, tmp_path: Path) -> None:
    proc, _ = _run([str(EXE)], tmp_path, timeout=600, HSP_GUI_SMOKE_MS="4000")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "gui-smoke: platform offscreen" in proc.stdout
    assert "gui-smoke: visible SignInDialog" in proc.stdout, proc.stdout

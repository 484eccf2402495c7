"""Shared fixtures: offscreen Qt, per-test Numba cache, data paths, and a thread-leak guard."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TESTS = Path(__file__).resolve().parent
DATA = TESTS / "data"
#: ../shared beside the project root (absent on a fresh clone outside the workplace).
SHARED = TESTS.parent.parent / "shared"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The suite's own small data (IBSI digital phantom, reference values)."""
    return DATA


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` (IBSI CT phantom etc.); tests that need it skip with a reason when it is absent."""
    if not SHARED.is_dir():
        pytest.skip("../shared is absent (fresh clone): the IBSI CT phantom is CC BY-NC and never shipped")
    return SHARED


@pytest.fixture(scope="session")
def pacs_cohort(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``hsp synth --pacs`` output (8-recipient tables + PACS exports of three recipients), made once per run."""
    from hsp_desktop.synthetic.pacs import generate_pacs_cohort

    return generate_pacs_cohort(tmp_path_factory.mktemp("pacs") / "cohort", 8, 1)


@pytest.fixture(autouse=True)
def _no_leaked_threads() -> Iterator[None]:
    """Fail any test that leaves a non-daemon thread running (napari's practice)."""
    before = set(threading.enumerate())
    yield
    leaked = [t for t in threading.enumerate() if t not in before and t.is_alive() and not t.daemon]
    for t in leaked:
        t.join(timeout=5)
    still = [t.name for t in leaked if t.is_alive()]
    assert not still, f"test leaked running threads: {still}"

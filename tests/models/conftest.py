"""Shared fixtures of the model tests: a synthetic development table with a simulated radiomics block."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from radiomics_fixture import make_table


@pytest.fixture(scope="session")
def dev_table():
    return make_table(200, seed=101)


@pytest.fixture(scope="session")
def test_table():
    return make_table(2000, seed=202)

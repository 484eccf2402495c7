"""A 3-site synthetic cohort (site effects on, no images) shared by the federated tests."""

from __future__ import annotations

from pathlib import Path

import pytest

SITES = ("site1", "site2", "site3")


@pytest.fixture(scope="session")
def cohort3(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from hsp_desktop.synthetic import generate_cohort

    out = tmp_path_factory.mktemp("fed") / "cohort"
    generate_cohort(out, n=300, prospective=0, seed=1, sites=3, images=False)
    return out


@pytest.fixture(scope="session")
def site_data(cohort3: Path) -> list:
    from hsp_desktop.federated.site import load_site_data

    return [load_site_data(cohort3, s) for s in SITES]

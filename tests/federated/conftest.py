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


@pytest.fixture(scope="session")
def radcohort(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same 3-centre cohort with CT images, its spleen radiomics (small parameter set) in the feature cache.

    About 35 s on 2 cores (images 20 s, first extraction with the Numba load 15 s); shared by the election tests.
    """
    from hsp_desktop.federated.service import DEMO_RADIOMICS, prefill_feature_cache
    from hsp_desktop.synthetic import generate_cohort

    out = tmp_path_factory.mktemp("fedrad") / "cohort"
    generate_cohort(out, n=300, prospective=0, seed=1, sites=3, images=True, workers=2)
    prefill_feature_cache(out, DEMO_RADIOMICS)
    return out


@pytest.fixture(scope="session")
def candidates() -> list[str]:
    from hsp_desktop.federated.radiomics import candidate_names
    from hsp_desktop.federated.service import DEMO_RADIOMICS

    return candidate_names(DEMO_RADIOMICS)

"""Fixtures of the pipeline tests: a small real model bundle and a rendered synthetic case on disk."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "reporting"))


@pytest.fixture(scope="session")
def clinical_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real locked bundle (clinical predictors only, fast development settings) built by models.development."""
    from hsp_desktop.synthetic import simulate_preop
    from models.development import DevelopmentConfig, develop, write_bundle

    config = DevelopmentConfig(
        seed=5, n_splits=3, n_repeats=1, n_boot=3, n_jobs=1, comparators=False, n_boot_ci=20
    )
    pre = simulate_preop(200, seed=11)
    table = pre.set_index("study_id")[
        ["platelets", "spleen_volume_ml", "splenic_vein_mm", "portal_vein_mm", "wbc"]
    ]
    y = pre["_y"].to_numpy().astype(int)
    result = develop(table, y, config=config, log=lambda s: None)
    out = tmp_path_factory.mktemp("bundles") / "hsp-test-clinical"
    bundle = write_bundle(
        result,
        table,
        y,
        out,
        name="hsp-test-clinical",
        version="1",
        outcome_definition_id="hsp-outcome-test",
        training_summary={"recipients_in_file": 200, "recipients_used": 200, "events": int(y.sum())},
        config=config,
    )
    # signed with the demonstration key (trusted by the shipped public key), as a developing centre would
    from models.signing import sign_bundle

    sign_bundle(
        bundle, (HERE.parents[1] / "packaging" / "demo-signing" / "demo-bundle-signing-key.pem").read_bytes()
    )
    return bundle


@pytest.fixture(scope="session")
def rendered_case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A low-resolution synthetic CT and its mask (spleen 980 ml) written as NIfTI."""
    from hsp_desktop.importers import write_image
    from hsp_desktop.synthetic.images import CaseAnatomy, render_case

    folder = tmp_path_factory.mktemp("case")
    ct, mask = render_case(CaseAnatomy(980.0, 15.5, 1150.0, ph=1.0, texture=0.5, seed=3))
    return write_image(ct, folder / "ct.nii.gz"), write_image(mask, folder / "mask.nii.gz")

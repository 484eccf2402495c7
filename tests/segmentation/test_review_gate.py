"""Scoring refuses an unreviewed app-made mask; a reviewed one is scored and its provenance is on the PDF."""

from __future__ import annotations

import copy
import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from hsp_desktop.errors import InputError, PipelineError
from hsp_desktop.importers import read_ct, read_mask
from hsp_desktop.segmentation import (
    read_provenance,
    require_reviewed,
    review_mask,
    save_mask,
    segment_semiauto,
)
from hsp_desktop.segmentation.provenance import sidecar_path

PIPELINE = Path(__file__).resolve().parents[1] / "pipeline"
REPORTING = Path(__file__).resolve().parents[1] / "reporting"
for folder in (PIPELINE, REPORTING):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
_spec = importlib.util.spec_from_file_location("pipeline_fixtures", PIPELINE / "conftest.py")
assert _spec is not None and _spec.loader is not None
_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_fixtures)
clinical_bundle = _fixtures.clinical_bundle  # the pipeline tests' small real bundle (a shared fixture)
rendered_case = _fixtures.rendered_case


@pytest.fixture
def app_mask(rendered_case, tmp_path: Path) -> Path:
    """A semi-automatic spleen mask made from one click, saved with its provenance (not reviewed)."""
    ct_path, truth_path = rendered_case
    ct = read_ct(ct_path)
    truth = read_mask(truth_path, reference=ct).array == 1
    k, j, i = (int(v) for v in np.argwhere(truth).mean(axis=0).round())
    if not truth[k, j, i]:
        k, j, i = (int(v) for v in np.argwhere(truth)[len(np.argwhere(truth)) // 2])
    labels, provenance, _ = segment_semiauto(ct, {"spleen": [(i, j, k)]}, user="dr.wu")
    return save_mask(labels, provenance, tmp_path / "app-mask.nii.gz")


def test_gate_on_files(app_mask: Path, rendered_case) -> None:
    ct = read_ct(rendered_case[0])
    mask = read_mask(app_mask, reference=ct)
    # a mask made elsewhere (no app header, no sidecar) passes as before
    assert require_reviewed(rendered_case[1], read_mask(rendered_case[1], reference=ct)) is None
    with pytest.raises(InputError, match="not been reviewed"):
        require_reviewed(app_mask, mask)
    reviewed = review_mask(app_mask, "dr.li", note="checked hilum")
    assert reviewed.review is not None and reviewed.review.reviewer == "dr.li"
    assert require_reviewed(app_mask, read_mask(app_mask, reference=ct)) == reviewed
    # edited after the review (labels changed, stale provenance kept): refused
    changed = mask.array.copy()
    changed[changed == 1] = 0
    changed[tuple(np.argwhere(mask.array == 1)[0])] = 1
    from dataclasses import replace

    save_mask(replace(mask, array=changed), reviewed, app_mask)
    with pytest.raises(InputError, match="changed after it was reviewed"):
        require_reviewed(app_mask, read_mask(app_mask, reference=ct))
    # the sidecar lost: the app header still tells the gate the mask was made in the app
    sidecar_path(app_mask).unlink()
    with pytest.raises(InputError, match="provenance file is missing"):
        require_reviewed(app_mask, read_mask(app_mask, reference=ct))
    with pytest.raises(InputError, match="reviewer's name"):
        reviewed.reviewed("  ", changed)
    # a file without a NIfTI header ITK can read is not app-made (the importer reports what is wrong with it)
    garbage = app_mask.with_name("other.nii.gz")
    garbage.write_bytes(b"not an image")
    assert require_reviewed(garbage, mask) is None


def test_scoring_refuses_unreviewed_then_reports_the_reviewed_provenance(
    app_mask: Path, rendered_case, clinical_bundle: Path, tmp_path: Path
) -> None:
    from report_helpers import pdf_pages_text
    from test_run_case_registry import RECORD

    from hsp_desktop.pipeline import run_case, run_to_end
    from hsp_desktop.registry import Registry
    from hsp_desktop.registry.passwords import TEST_PARAMS

    r = Registry.open(tmp_path / "registry.db", argon2_params=TEST_PARAMS)
    try:
        admin = r.add_user("admin", "correct horse battery", "admin", by=None)
        r.add_recipient(copy.deepcopy(RECORD), by=admin)
        ct_path = rendered_case[0]
        with pytest.raises(PipelineError, match="not been reviewed") as info:
            run_to_end(run_case(r, "HSP-0001", ct_path, app_mask, user=admin, model=clinical_bundle,
                                report_dir=tmp_path / "rep"))  # fmt: skip
        assert info.value.stage == "import" and not r.predictions("HSP-0001")
        review_mask(app_mask, "Dr Li Na")
        result = run_to_end(run_case(r, "HSP-0001", ct_path, app_mask, user=admin, model=clinical_bundle,
                                     report_dir=tmp_path / "rep"))  # fmt: skip
        assert "reviewed by Dr Li Na" in result.risk.extra["mask_provenance"]
        text = " ".join(pdf_pages_text(result.report_path))
        assert "Spleen mask (made in the app)" in text and "reviewed by Dr Li Na" in text
        assert "semi-automatic from 1 click(s)" in text
        stored = json.loads(sidecar_path(app_mask).read_text())
        assert stored["review"]["reviewer"] == "Dr Li Na" and read_provenance(app_mask) is not None
    finally:
        r.close()

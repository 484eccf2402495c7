"""Scoring from `hsp synth --pacs` exports with the real registry, importers and the shipped demo model.

The chosen series is carried to the stored prediction and the PDF; several candidate series without a choice are
refused with the list; a CT of another patient is refused and an audited override works; a lossy series is
blocked; the same through `hsp score`.  Series UIDs are checked against pydicom's own reading of the files.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pydicom
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reporting"))

from hsp_desktop.errors import AuthError, IdentityError, PipelineError
from hsp_desktop.pipeline import run_case, run_to_end
from hsp_desktop.registry import Registry
from hsp_desktop.registry.crypto import generate_site_key, load_site_key
from hsp_desktop.registry.passwords import TEST_PARAMS

PASSWORD = "correct horse battery"


def _truth(cohort: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((cohort / "pacs" / "ground_truth.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture
def pacs_registry(tmp_path: Path, pacs_cohort: Path) -> Iterator[tuple[Registry, Any, Path]]:
    """A keyed registry holding the cohort, with the MRN and name of the three PACS recipients."""
    key_file = tmp_path / "site.key"
    generate_site_key(key_file)
    reg = Registry.open(tmp_path / "r.db", argon2_params=TEST_PARAMS, site_key=load_site_key(key_file))
    admin = reg.add_user("admin", PASSWORD, "admin", by=None)
    reg.add_user("coord", PASSWORD, "coordinator", by=admin)
    reg.import_csv(pacs_cohort / "clinical.csv", by=admin)
    for sid, ident in _truth(pacs_cohort)["recipients"].items():
        reg.update_preop(
            sid, {"mrn": ident["mrn"], "name": ident["name"]}, by=admin, reason="identity from HIS"
        )
    yield reg, admin, key_file
    reg.close()


def _score(reg: Registry, user: Any, sid: str, ct: Path, mask: Path, out: Path, **kw: Any) -> Any:
    return run_to_end(run_case(reg, sid, ct, mask, user=user, report_dir=out, **kw))


def test_portal_venous_series_reaches_the_prediction_and_pdf(
    pacs_registry, pacs_cohort: Path, tmp_path: Path
) -> None:
    from report_helpers import pdf_pages_text

    reg, admin, _ = pacs_registry
    truth = _truth(pacs_cohort)["exports"]["A_HSP-0001"]
    export = pacs_cohort / "pacs" / "A_HSP-0001"
    mask = pacs_cohort / "pacs" / "masks" / "HSP-0001" / "seg_liver_first"
    result = _score(
        reg, admin, "HSP-0001", export, mask, tmp_path, series_uid=truth["portal_venous_series_uid"]
    )
    stored = reg.predictions("HSP-0001")[-1]["output"]
    src = stored["imaging_source"]
    pv = next(s for s in truth["series"] if s["uid"] == truth["portal_venous_series_uid"])
    assert src["series_uid"] == str(
        pydicom.dcmread(export / pv["files"][0], stop_before_pixels=True).SeriesInstanceUID
    )
    assert src["series_number"] == 4 and src["series_description"] == "Abdomen PV 5.0 B30f"
    assert src["spleen_segment"] == "Spleen" and src["spleen_value"] == 2  # liver-first SEG: spleen by name
    assert stored["identity"]["status"] == "match"
    text = " ".join(pdf_pages_text(result.report_path))
    assert truth["portal_venous_series_uid"] in text and "seg_liver_first" in text and "'Spleen'" in text


def test_several_series_refused_with_the_list_and_localizer_never_scored(
    pacs_registry, pacs_cohort: Path, tmp_path: Path
) -> None:
    reg, admin, _ = pacs_registry
    export = pacs_cohort / "pacs" / "A_HSP-0001"
    mask = pacs_cohort / "pacs" / "masks" / "HSP-0001" / "seg_liver_first"
    with pytest.raises(PipelineError) as info:
        _score(reg, admin, "HSP-0001", export, mask, tmp_path)
    assert (
        info.value.stage == "import"
        and "5 CT series" in str(info.value)
        and "Topogram" not in str(info.value)
    )
    with pytest.raises(PipelineError, match="localizer"):
        _score(reg, admin, "HSP-0001", export, mask, tmp_path, series_number=1)
    assert reg.predictions("HSP-0001") == []


def test_wrong_patient_refused_then_audited_override(
    pacs_registry, pacs_cohort: Path, tmp_path: Path
) -> None:
    reg, admin, _ = pacs_registry
    truth = _truth(pacs_cohort)["exports"]["D_two_patients"]
    export = pacs_cohort / "pacs" / "D_two_patients"
    other_series = truth["series_uids"]["HSP-0002"]  # Wang Fang's CT offered for Zhang Wei
    mask = pacs_cohort / "pacs" / "masks" / "HSP-0002" / "mask.nii.gz"
    with pytest.raises(PipelineError) as info:
        _score(reg, admin, "HSP-0001", export, mask, tmp_path, series_uid=other_series)
    cause = info.value.__cause__
    assert isinstance(cause, IdentityError)
    assert {c.item for c in cause.checks if c.status == "mismatch"} >= {"PatientID", "name", "study date"}
    assert "HSP-0002" in str(info.value)  # the keyed pseudonym names whose MRN it is
    assert reg.predictions("HSP-0001") == []
    coord = reg.authenticate("coord", PASSWORD)
    with pytest.raises(PipelineError) as refused:
        _score(
            reg, coord, "HSP-0001", export, mask, tmp_path, series_uid=other_series, override_identity="sure"
        )
    assert isinstance(refused.value.__cause__, AuthError)
    reason = "MRN re-issued after merge of records (ticket 4711)"
    result = _score(
        reg, admin, "HSP-0001", export, mask, tmp_path, series_uid=other_series, override_identity=reason
    )
    stored = reg.predictions("HSP-0001")[-1]["output"]
    assert stored["identity"]["status"] == "overridden" and stored["identity"]["override_reason"] == reason
    assert result.identity["override_by"] == "admin"
    audited = reg.audit_log(table="predictions")
    assert any(reason in str(row.get("reason") or "") for row in audited)


def test_lossy_series_blocked_by_qc(pacs_registry, pacs_cohort: Path, tmp_path: Path) -> None:
    reg, admin, _ = pacs_registry
    export = pacs_cohort / "pacs" / "C_HSP-0003"
    mask = pacs_cohort / "pacs" / "masks" / "HSP-0003" / "mask.nii.gz"
    with pytest.raises(PipelineError) as info:
        _score(reg, admin, "HSP-0003", export, mask, tmp_path, series_number=4)
    assert info.value.stage == "qc" and "lossy_compression" in str(info.value)
    assert reg.predictions("HSP-0003") == []


@pytest.mark.slow
def test_every_case_through_hsp_score(
    pacs_registry, pacs_cohort: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    from hsp_desktop.cli import main

    reg, _, key_file = pacs_registry
    db = Path(reg.path)
    truth = _truth(pacs_cohort)
    monkeypatch.setenv("HSP_PASSWORD", PASSWORD)
    common = ["--db", str(db), "--user", "admin", "--site-key-file", str(key_file), "--out", str(tmp_path)]
    pacs = pacs_cohort / "pacs"
    a_mask = str(pacs / "masks" / "HSP-0001" / "seg_liver_first")
    # several series, no choice: refused with the list
    assert (
        main(
            ["score", "--recipient", "HSP-0001", "--ct", str(pacs / "A_HSP-0001"), "--mask", a_mask, *common]
        )
        != 0
    )
    assert "Abdomen PV 5.0 B30f" in capsys.readouterr().err
    # the right series by number
    args = ["score", "--recipient", "HSP-0001", "--ct", str(pacs / "A_HSP-0001"), "--mask", a_mask, *common]
    assert main([*args, "--series-number", "4"]) == 0
    out = capsys.readouterr().out
    assert truth["exports"]["A_HSP-0001"]["portal_venous_series_uid"] in out and "'Spleen'" in out
    # wrong patient, then the override
    d = ["score", "--recipient", "HSP-0001", "--ct", str(pacs / "D_two_patients"), "--mask",
         str(pacs / "masks" / "HSP-0002" / "mask.nii.gz"), *common,
         "--series", truth["exports"]["D_two_patients"]["series_uids"]["HSP-0002"]]  # fmt: skip
    assert main(d) != 0 and "another patient" in capsys.readouterr().err
    assert main([*d, "--override-identity"]) != 0 and "needs a reason" in capsys.readouterr().err
    assert main([*d, "--override-identity", "--reason", "checked with the radiologist"]) == 0
    assert "OVERRIDDEN" in capsys.readouterr().out
    # ambiguous spleen asks for --spleen-label; the lossy series is blocked
    c = ["score", "--recipient", "HSP-0003", "--ct", str(pacs / "C_HSP-0003"), "--mask",
         str(pacs / "masks" / "HSP-0003" / "mask.nii.gz"), "--series-number", "4", *common]  # fmt: skip
    assert main(c) != 0 and "lossy" in capsys.readouterr().err

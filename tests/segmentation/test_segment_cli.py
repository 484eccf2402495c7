from __future__ import annotations

from pathlib import Path

import pytest
from conftest import deepest_spleen_voxel

from hsp_desktop.cli import main
from hsp_desktop.importers import read_mask, write_image
from hsp_desktop.segmentation import agreement, read_provenance


def test_hsp_segment_from_a_click_then_review(case, tmp_path: Path, capsys) -> None:
    ct, labels = case
    ct_path = write_image(ct, tmp_path / "ct.nii.gz")
    i, j, k = deepest_spleen_voxel(labels)
    out = tmp_path / "mask.nii.gz"
    code = main(
        ["segment", "--ct", str(ct_path), "--seed", f"{i},{j},{k}", "--out", str(out), "--user", "dr.wu"]
    )
    printed = capsys.readouterr().out
    assert code == 0 and "spleen:" in printed and "hsp segment-review" in printed
    mask = read_mask(out, reference=ct)
    assert mask.array.max() == 1  # spleen only: no liver seed given
    assert agreement(mask.array == 1, labels.array == 1, ct.spacing).dice > 0.95
    provenance = read_provenance(out)
    assert provenance is not None and provenance.created_by == "dr.wu" and provenance.review is None
    assert provenance.details["organs"]["spleen"]["seeds"] == [[i, j, k]]
    assert main(["segment-review", str(out), "--reviewer", "dr.li"]) == 0
    assert "reviewed by dr.li" in capsys.readouterr().out
    # typed errors become exit code 2 with the fix
    code = main(["segment", "--ct", str(ct_path), "--seed", "999,1,1", "--out", str(out)])
    assert code == 2 and "outside the CT" in capsys.readouterr().err
    assert main(["segment-review", str(ct_path), "--reviewer", "x"]) == 2
    with pytest.raises(SystemExit):
        main(["segment", "--ct", str(ct_path), "--seed", "1,2", "--out", str(out)])

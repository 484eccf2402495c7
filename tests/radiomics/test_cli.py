"""``hsp extract`` on one case and on a batch."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import pytest

from hsp_desktop.cli import main

spec = importlib.util.spec_from_file_location("_batch_helpers", Path(__file__).with_name("test_batch.py"))
assert spec is not None and spec.loader is not None
_helpers = importlib.util.module_from_spec(spec)
spec.loader.exec_module(_helpers)
make_case = _helpers.make_case


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_single_case(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ct, mk = make_case(tmp_path / "c", 0)
    params = tmp_path / "p.yaml"
    params.write_text("featureClass:\n  firstorder:\n  shape:\nsetting:\n  binWidth: 10\n", encoding="utf-8")
    out = tmp_path / "f.csv"
    rc = main(
        [
            "extract",
            "--image",
            str(ct),
            "--mask",
            str(mk),
            "--label",
            "1",
            "--params",
            str(params),
            "--out",
            str(out),
        ]
    )
    assert rc == 0 and "features" in capsys.readouterr().out
    rows = _read(out)
    assert len(rows) == 1 and rows[0]["Label"] == "1"
    assert float(rows[0]["original_shape_MeshVolume"]) > 30_000
    ibsi = tmp_path / "g.csv"
    assert (
        main(
            [
                "extract",
                "--image",
                str(ct),
                "--mask",
                str(mk),
                "--mode",
                "ibsi",
                "--params",
                str(params),
                "--out",
                str(ibsi),
            ]
        )
        == 0
    )
    assert float(_read(ibsi)[0]["original_firstorder_Kurtosis"]) == pytest.approx(
        float(rows[0]["original_firstorder_Kurtosis"]) - 3
    )


def test_errors_are_readable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ct, mk = make_case(tmp_path / "c", 1)
    out = tmp_path / "f.csv"
    assert main(["extract", "--image", str(ct), "--mask", str(mk), "--label", "7", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "label" in err and not out.exists()
    bad = tmp_path / "bad.yaml"
    bad.write_text("setting:\n  binwidth: 25\n", encoding="utf-8")
    assert (
        main(["extract", "--image", str(ct), "--mask", str(mk), "--params", str(bad), "--out", str(out)]) == 2
    )
    assert "binwidth" in capsys.readouterr().err


def test_batch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ct, mk = make_case(tmp_path / "a", 2)
    (tmp_path / "cases.csv").write_text(f"Image,Mask\n{ct},{mk}\nmissing.nii.gz,{mk}\n", encoding="utf-8")
    out = tmp_path / "features.csv"
    rc = main(["extract", "--batch", str(tmp_path / "cases.csv"), "--out", str(out), "--jobs", "1"])
    captured = capsys.readouterr()
    assert rc == 1 and "row 3" in captured.err and "skipped" in captured.err
    assert len(_read(out)) == 1
    assert len(_read(tmp_path / "features.errors.csv")) == 1


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_cross_check_with_pyradiomics_on_int16_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the files are int16 NIfTI: PyRadiomics reads them itself and resamples with its default sitkBSpline
    ct, mk = make_case(tmp_path / "c", 3)
    params = tmp_path / "p.yaml"
    params.write_text(
        "imageType:\n  Original: {}\n  LoG: {sigma: [2.0]}\n  Wavelet: {}\n"
        "featureClass:\n  firstorder:\n  glcm:\n  shape:\n"
        "setting:\n  binWidth: 10\n  resampledPixelSpacing: [1, 1, 1]\n",
        encoding="utf-8",
    )
    args = ["extract", "--image", str(ct), "--mask", str(mk), "--params", str(params), "--out"]
    rc = main([*args, str(tmp_path / "f.csv"), "--cross-check"])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "cross-check with PyRadiomics" in out and "agrees on" in out


def test_cross_check_reports_the_largest_difference() -> None:
    from hsp_desktop.radiomics.crosscheck import compare_features

    ref = {
        "original_firstorder_Mean": 100.0,
        "original_glcm_Contrast": 2.0,
        "original_shape_MeshVolume": 10.0,
    }
    same = compare_features(dict(ref), ref, "3.0.1")
    assert same.agrees and same.compared == 3
    ours = {**ref, "original_glcm_Contrast": 2.0 * (1 + 3e-6), "original_shape_MeshVolume": 10.0 * (1 + 5e-5)}
    check = compare_features(ours, {**ref, "original_ngtdm_Busyness": 1.0}, "3.0.1")
    assert not check.agrees
    assert check.failed == ("original_glcm_Contrast",)  # shape has its own (mesh) tolerance 1e-4
    assert check.missing == ("original_ngtdm_Busyness",)
    assert check.worst_feature == "original_shape_MeshVolume" and "DISAGREES" in check.summary()

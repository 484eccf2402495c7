"""Cohort glue: training and inference paths preprocess bit-identically; grid checks; labels; CLI end to end."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from hsp_desktop.deep.cohort import (
    check_same_grid,
    cohort_ids,
    preprocess_cohort,
    preprocess_volume,
    read_case,
    read_labels_csv,
)
from hsp_desktop.deep.features import as_feature_vector, deep_features_for_case, deep_features_for_cohort
from hsp_desktop.domain import LabelMap
from hsp_desktop.errors import FileFormatError, GeometryError, InputError, ValidationError
from hsp_desktop.importers import write_image
from hsp_desktop.synthetic.images import CaseAnatomy, render_case
from models.cnn.preprocess import PreprocessSpec
from models.deep import CPU, DeepModel

SPEC = PreprocessSpec(grid=16, spacing_mm=12.0)


def anatomy(i: int) -> CaseAnatomy:
    rng = np.random.default_rng(i)
    return CaseAnatomy(
        spleen_volume_ml=float(rng.uniform(300, 1400)),
        spleen_length_cm=float(rng.uniform(11, 18)),
        liver_volume_ml=float(rng.uniform(900, 1500)),
        ph=float(rng.normal()),
        texture=float(rng.normal()),
        seed=i,
    )


@pytest.fixture(scope="module")
def mini_cohort(tmp_path_factory):
    """A cohort folder of 16 rendered recipients (CONTRACTS section C layout, no follow-up)."""
    root = tmp_path_factory.mktemp("cohort")
    ids = [f"HSP-{i:04d}" for i in range(1, 17)]
    rows = []
    for i, sid in enumerate(ids):
        a = anatomy(i)
        ct, mask = render_case(a)
        folder = root / "images" / sid
        write_image(ct, folder / "ct.nii.gz")
        write_image(mask, folder / "mask.nii.gz")
        rows.append({"study_id": sid, "spleen_volume_ml": f"{a.spleen_volume_ml:.1f}"})
    with (root / "clinical.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["study_id", "spleen_volume_ml"])
        writer.writeheader()
        writer.writerows(rows)
    # outcome: the larger half of the spleens are events (a signal a tiny CNN can find)
    volumes = [anatomy(i).spleen_volume_ml for i in range(len(ids))]
    median = float(np.median(volumes))
    with (root / "labels.csv").open("w", newline="") as fh:
        fh.write("study_id,y\n")
        for sid, v in zip(ids, volumes, strict=True):
            fh.write(f"{sid},{int(v > median)}\n")
    return root


def test_training_and_inference_paths_are_bit_identical(mini_cohort, tmp_path):
    """The array training sees (cohort files) equals the array scoring sees (in-memory volumes), bit for bit."""
    ids, train_x = preprocess_cohort(mini_cohort, SPEC, progress=False)
    assert ids == cohort_ids(mini_cohort) and train_x.shape == (16, 3, 16, 16, 16)
    for i, sid in enumerate(ids):
        ct, mask = read_case(
            mini_cohort / "images" / sid / "ct.nii.gz", mini_cohort / "images" / sid / "mask.nii.gz"
        )
        infer_x = preprocess_volume(ct, mask, SPEC)
        assert infer_x.tobytes() == train_x[i].tobytes()


def test_grid_mismatch_is_refused():
    ct, mask = render_case(anatomy(1))
    shifted = LabelMap(
        array=mask.array, spacing=mask.spacing, origin=(5.0, 0.0, 0.0), direction=mask.direction
    )
    with pytest.raises(GeometryError, match="not on the same grid") as info:
        check_same_grid(ct, shifted)
    assert "origin" in str(info.value.found)
    coarse = LabelMap(array=mask.array, spacing=(3.0, 3.0, 5.0), origin=mask.origin, direction=mask.direction)
    with pytest.raises(GeometryError, match="spacing"):
        preprocess_volume(ct, coarse, SPEC)


def test_cohort_subset_keeps_only_development_rows(tmp_path):
    (tmp_path / "clinical.csv").write_text(
        "study_id,cohort\nHSP-0001,development\nHSP-0002,validation\nHSP-0003,development\n"
    )
    assert cohort_ids(tmp_path) == ["HSP-0001", "HSP-0002", "HSP-0003"]
    assert cohort_ids(tmp_path, "development") == ["HSP-0001", "HSP-0003"]
    (tmp_path / "clinical.csv").write_text("study_id,cohort\nHSP-0001,development\nHSP-0001,development\n")
    with pytest.raises(ValidationError, match="more than once"):
        cohort_ids(tmp_path)


def test_labels_csv_and_cohort_errors(tmp_path, mini_cohort):
    labels = read_labels_csv(mini_cohort / "labels.csv")
    assert len(labels) == 16 and sorted(set(labels.values())) == [0, 1]
    bad = tmp_path / "bad.csv"
    bad.write_text("study_id,y\nHSP-0001,1\nHSP-0002,yes\nHSP-0003,\nHSP-0004,2\n")
    with pytest.raises(ValidationError) as info:
        read_labels_csv(bad)
    assert [p.row for p in info.value.problems] == [3, 5]
    with pytest.raises(FileFormatError, match=r"no clinical\.csv"):
        cohort_ids(tmp_path)
    (tmp_path / "clinical.csv").write_text("study_id\nHSP-0001\n")
    with pytest.raises(FileFormatError, match=r"has no ct\.nii\.gz"):
        preprocess_cohort(tmp_path, SPEC, progress=False)


def test_missing_spleen_names_the_recipient(tmp_path, mini_cohort):
    ct, mask = read_case(
        mini_cohort / "images/HSP-0001/ct.nii.gz", mini_cohort / "images/HSP-0001/mask.nii.gz"
    )
    empty = LabelMap(
        array=np.where(mask.array == 1, 0, mask.array).astype(np.uint8),
        spacing=mask.spacing,
        origin=mask.origin,
        direction=mask.direction,
    )
    root = tmp_path / "c"
    write_image(ct, root / "images" / "HSP-0009" / "ct.nii.gz")
    write_image(empty, root / "images" / "HSP-0009" / "mask.nii.gz")
    (root / "clinical.csv").write_text("study_id\nHSP-0009\n")
    with pytest.raises(InputError, match="recipient HSP-0009: the mask has no spleen voxels"):
        preprocess_cohort(root, SPEC, progress=False)


@pytest.fixture(scope="module")
def trained(mini_cohort, tmp_path_factory):
    """`hsp train-cnn` end to end on the mini cohort (tiny network, 2 folds, few epochs)."""
    from hsp_desktop.cli import main

    out = tmp_path_factory.mktemp("art") / "cnn-mini"
    argv = [
        "train-cnn",
        "--cohort",
        str(mini_cohort),
        "--out",
        str(out),
        "--labels",
        str(mini_cohort / "labels.csv"),
        "--folds",
        "2",
        "--epochs",
        "3",
        "--grid",
        "16",
        "--spacing",
        "12",
        "--width",
        "4",
        "--threads",
        "1",
        "--quiet",
    ]
    assert main(argv) == 0
    return out


def test_train_cnn_cli_writes_a_complete_artefact(trained, mini_cohort):
    manifest = json.loads((trained / "manifest.json").read_text())
    assert set(manifest["files"]) == {"model.onnx", "oof_scores.csv", "training_history.json", "README.md"}
    assert manifest["training_cohort"]["n"] == 16
    assert manifest["training_cohort"]["outcomes"]["source"] == "labels file labels.csv"
    assert manifest["validation"]["torch_onnx_max_abs_diff"] <= 1e-4
    oof = manifest["validation"]["out_of_fold"]
    assert oof["method"] == "DeLong" and 0.0 <= oof["ci_low"] <= oof["auc"] <= oof["ci_high"] <= 1.0
    assert manifest["preprocessing"] == SPEC.as_dict()
    with (trained / "oof_scores.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert [r["study_id"] for r in rows] == cohort_ids(mini_cohort)
    assert {r["fold"] for r in rows} == {"0", "1"}


def test_deep_features_cli_and_api_agree(trained, mini_cohort, tmp_path):
    from hsp_desktop.cli import main

    out_csv = tmp_path / "deep.csv"
    assert (
        main(
            [
                "deep-features",
                "--model",
                str(trained),
                "--cohort",
                str(mini_cohort),
                "--out",
                str(out_csv),
                "--provider",
                "cpu",
                "--threads",
                "1",
                "--quiet",
            ]
        )
        == 0
    )
    with out_csv.open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 16 and all(r["provider"] == CPU for r in rows)
    model = DeepModel(trained, provider="cpu")
    api_rows = deep_features_for_cohort(model, mini_cohort, batch_size=5, progress=False)
    ct, mask = read_case(
        mini_cohort / "images/HSP-0003/ct.nii.gz", mini_cohort / "images/HSP-0003/mask.nii.gz"
    )
    single = deep_features_for_case(model, ct, mask)
    assert single.score == pytest.approx(api_rows[2]["deep_score"], abs=1e-5)
    assert float(rows[2]["deep_score"]) == pytest.approx(single.score, abs=1e-5)
    # the model's own preprocessing (spec rebuilt from its manifest) gives the training bits too
    _, train_x = preprocess_cohort(mini_cohort, SPEC, ["HSP-0003"], progress=False)
    assert (
        model.preprocess(ct.array, mask.array, ct.spacing, direction=ct.direction).tobytes()
        == train_x[0].tobytes()
    )
    fv = as_feature_vector(single)
    assert fv.values["deep_score"] == single.score and "CPUExecutionProvider" in fv.engine
    one_csv = tmp_path / "one.csv"
    assert (
        main(
            [
                "deep-features",
                "--model",
                str(trained),
                "--ct",
                str(mini_cohort / "images/HSP-0003/ct.nii.gz"),
                "--mask",
                str(mini_cohort / "images/HSP-0003/mask.nii.gz"),
                "--out",
                str(one_csv),
                "--quiet",
            ]
        )
        == 0
    )


def test_cli_errors_are_typed(trained, tmp_path, capsys):
    from hsp_desktop.cli import main

    assert (
        main(
            [
                "deep-features",
                "--model",
                str(tmp_path / "none"),
                "--cohort",
                str(tmp_path),
                "--out",
                str(tmp_path / "x.csv"),
            ]
        )
        == 2
    )
    assert "CNN model folder does not exist" in capsys.readouterr().err
    assert main(["train-cnn", "--cohort", str(tmp_path), "--out", str(tmp_path / "new"), "--quiet"]) == 2
    assert "the cohort has no clinical.csv" in capsys.readouterr().err
    assert main(["train-cnn", "--cohort", str(tmp_path), "--out", str(trained), "--quiet"]) == 2
    assert "already exists" in capsys.readouterr().err  # refused before any work


def test_runtime_glue_does_not_import_torch():
    import subprocess

    code = "import sys, hsp_desktop.deep.features, hsp_desktop.deep.cli; print('torch' in sys.modules)"
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_outcomes_are_derived_from_followup_never_from_ground_truth(tmp_path):
    import pandas as pd

    from hsp_desktop.deep.cohort import cohort_outcomes
    from hsp_desktop.synthetic import generate_cohort

    root = generate_cohort(tmp_path / "c", n=30, prospective=4, seed=3, images=False)
    truth = pd.read_csv(root / "ground_truth.csv").set_index("study_id")
    (root / "ground_truth.csv").unlink()  # the product must not need it
    labels, summary = cohort_outcomes(root)
    assert summary["definition_id"].startswith("HSP-RH6")
    counts = summary["status_counts"]
    assert sum(counts.values()) == 34 and len(labels) == counts.get("0", 0) + counts.get("1", 0)
    assert len(labels) >= 28
    # the follow-up-derived outcome is the generator's outcome for every derivable recipient
    assert all(int(truth.loc[sid, "y"]) == y for sid, y in labels.items())

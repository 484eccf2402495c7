"""Batch extraction: parallel cases, a failing case reported and skipped, atomic CSV."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from hsp_desktop.domain import CtVolume, LabelMap
from hsp_desktop.errors import InputError
from hsp_desktop.importers import write_image
from hsp_desktop.radiomics.batch import Case, extract_batch, read_cases, write_csv


def make_case(folder: Path, seed: int) -> tuple[Path, Path]:
    rng = np.random.default_rng(seed)
    shape = (20, 50, 50)
    z, y, x = np.mgrid[: shape[0], : shape[1], : shape[2]]
    mask = ((((z - 10) / 7.0) ** 2 + ((y - 25) / 17.0) ** 2 + ((x - 25) / 14.0) ** 2) < 1).astype(np.uint8)
    image = rng.normal(-100, 20, shape).astype(np.float32)
    image[:, :4, :] = -1000.0
    image[:, -3:, :] = 400.0
    image[mask == 1] = rng.normal(120 + seed, 15, int(mask.sum()))
    spacing = (1.4, 1.4, 3.0)
    folder.mkdir(parents=True, exist_ok=True)
    ct = write_image(
        CtVolume(array=np.round(image).astype(np.float32), spacing=spacing), folder / "ct.nii.gz"
    )
    mk = write_image(LabelMap(array=mask, spacing=spacing), folder / "mask.nii.gz")
    return ct, mk


def test_batch_keeps_good_cases_and_reports_the_bad_one(tmp_path: Path) -> None:
    good = [make_case(tmp_path / f"case{i}", i) for i in range(2)]
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "ct.nii.gz").write_bytes(b"not a nifti")
    rows = ["Image,Mask,Label"] + [f"{c.relative_to(tmp_path)},{m.relative_to(tmp_path)},1" for c, m in good]
    rows.insert(2, f"broken/ct.nii.gz,{good[0][1].relative_to(tmp_path)},1")
    (tmp_path / "cases.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    cases = read_cases(tmp_path / "cases.csv")
    seen: list[tuple[int, int]] = []
    result = extract_batch(
        cases,
        {"featureClass": {"firstorder": [], "shape": []}},
        jobs=2,
        progress=lambda d, t: seen.append((d, t)),
    )
    assert [r["Image"] for r in result.rows] == [str(c) for c, _ in good]
    assert len(result.failures) == 1 and result.failures[0]["row"] == 3
    assert result.failures[0]["error"] == "FileFormatError"
    assert seen[-1] == (3, 3)
    means = [r["original_firstorder_Mean"] for r in result.rows]
    assert means[0] != means[1]
    out = write_csv(result.rows, tmp_path / "out" / "features.csv")
    with out.open(encoding="utf-8") as fh:
        table = list(csv.DictReader(fh))
    assert len(table) == 2 and float(table[1]["original_firstorder_Mean"]) == means[1]


def test_serial_equals_parallel(tmp_path: Path) -> None:
    ct, mk = make_case(tmp_path, 5)
    cases = [Case(ct, mk, 1, 2), Case(ct, mk, None, 3)]
    params = {"featureClass": {"firstorder": [], "glcm": []}}
    serial = extract_batch(cases, params, jobs=1, qc=False)
    parallel = extract_batch(cases, params, jobs=2, qc=False)
    assert serial.rows == parallel.rows and not serial.failures


def test_bad_case_lists(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        read_cases(tmp_path / "none.csv")
    (tmp_path / "a.csv").write_text("Img,Msk\nx,y\n", encoding="utf-8")
    with pytest.raises(InputError, match="Image/Mask"):
        read_cases(tmp_path / "a.csv")
    (tmp_path / "b.csv").write_text("Image,Mask,Label\nx,y,one\n", encoding="utf-8")
    with pytest.raises(InputError, match="row 2"):
        read_cases(tmp_path / "b.csv")
    (tmp_path / "c.csv").write_text("Image,Mask\n", encoding="utf-8")
    with pytest.raises(InputError, match="empty"):
        read_cases(tmp_path / "c.csv")

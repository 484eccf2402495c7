"""The known shift of ``hsp synth --prospective-shift/--prospective-scanner`` touches only what it says."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from hsp_desktop.cli import main
from hsp_desktop.synthetic.clinical import simulate_preop


def test_intercept_shift_changes_only_prospective_outcomes() -> None:
    base = simulate_preop(200, 5, prospective=400)
    moved = simulate_preop(200, 5, prospective=400, prospective_shift=1.5, prospective_offset_hu=25.0)
    public = [c for c in base.columns if not c.startswith("_")]
    assert base[public].equals(moved[public])  # the same recipients and records
    dev = (base["cohort"] == "development").to_numpy()
    assert np.array_equal(base["_y"][dev], moved["_y"][dev])
    assert np.allclose(moved["_lp_preop"][~dev] - base["_lp_preop"][~dev], 1.5)
    assert moved["_y"][~dev].mean() > base["_y"][~dev].mean() + 0.1
    assert np.allclose(moved["_site_offset_hu"][~dev] - base["_site_offset_hu"][~dev], 25.0)


def test_synth_cli_records_the_shift(tmp_path: Path) -> None:
    out = tmp_path / "c"
    args = ["synth", "--out", str(out), "--n", "2", "--prospective", "3", "--no-images", "--quiet"]
    assert main([*args, "--prospective-shift", "1.0", "--prospective-scanner", "FC52"]) == 0
    shift = json.loads((out / "manifest.json").read_text())["arguments"]["prospective_shift"]
    assert shift["intercept"] == 1.0 and shift["scanner_kernel"] == "FC52"
    assert main(["synth", "--prospective-shift", "1.0"]) == 2  # an option without --out is refused

"""The one check of an artefact folder against its manifest's file list (bundle and CNN both use it)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from models.filehashes import file_problems, sha256_file


def test_file_problems_names_each_altered_missing_or_escaping_file(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text("{}")
    (tmp_path / "b.txt").write_text("kept")
    good = {"a.json": sha256_file(tmp_path / "a.json"), "b.txt": hashlib.sha256(b"kept").hexdigest()}
    assert file_problems(tmp_path, good) == []
    (tmp_path / "b.txt").write_text("edited")
    files = {**good, "gone.onnx": "0" * 64, "../outside.txt": "0" * 64}
    assert file_problems(tmp_path, files) == [
        "../outside.txt: outside the folder",
        "b.txt: SHA-256 differs from the manifest",
        "gone.onnx: missing",
    ]

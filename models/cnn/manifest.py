"""The CNN artefact's manifest: hashing, atomic writing and strict reading (NumPy/stdlib only, no torch).

An artefact folder holds ``manifest.json`` and the files it lists with their SHA-256 (``files``).  The
manifest also carries the ONNX input/output specification, the preprocessing record, the versions of every
library involved, the training-cohort summary and the validation metrics.  Any ONNX model can be installed
in place of the shipped one if its manifest honours the same input and output specification.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hsp_desktop.errors import ModelArtefactError
from models.filehashes import file_problems
from models.filehashes import sha256_file as sha256_file  # re-exported: callers import it from here

MANIFEST_NAME = "manifest.json"
FORMAT = "hsp-cnn-artefact"
FORMAT_VERSION = 1
REQUIRED_KEYS: tuple[str, ...] = (
    "format",
    "format_version",
    "name",
    "model_file",
    "files",
    "input",
    "outputs",
    "preprocessing",
    "versions",
)


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of a byte string."""
    return hashlib.sha256(data).hexdigest()


def list_files(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder`` except the manifest itself, keyed by POSIX relative path."""
    folder = Path(folder)
    out: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name != MANIFEST_NAME:
            out[path.relative_to(folder).as_posix()] = sha256_file(path)
    return out


def write_manifest(folder: Path, record: Mapping[str, Any]) -> Path:
    """Write ``manifest.json`` into ``folder`` with the hash of every other file in it (atomic replace).

    Parameters
    ----------
    folder : Path
        The artefact folder, with every other file already written.
    record : mapping
        The manifest body; ``format``, ``format_version`` and ``files`` are filled in here.

    Returns
    -------
    Path
        The manifest path.
    """
    folder = Path(folder)
    body = dict(record)
    body["format"] = FORMAT
    body["format_version"] = FORMAT_VERSION
    body["files"] = list_files(folder)
    text = json.dumps(body, indent=2, sort_keys=True, allow_nan=False) + "\n"
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".manifest-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        Path(tmp).chmod(0o644)  # mkstemp makes it private; the manifest ships with the model
        os.replace(tmp, folder / MANIFEST_NAME)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return folder / MANIFEST_NAME


def read_manifest(folder: Path | str) -> dict[str, Any]:
    """Read and structurally check an artefact's manifest.

    Raises
    ------
    ModelArtefactError
        Folder or manifest missing, not JSON, another format, or required keys absent.
    """
    folder = Path(folder)
    path = folder / MANIFEST_NAME
    if not folder.is_dir():
        raise ModelArtefactError(
            "the CNN model folder does not exist",
            expected="a folder holding manifest.json and model.onnx",
            found=str(folder),
            fix="install the model folder (e.g. models/artifacts/cnn-demo-1) or correct the path",
            field="model",
        )
    if not path.is_file():
        raise ModelArtefactError(
            "the CNN model folder has no manifest.json",
            expected=str(path),
            found="no such file",
            fix="re-install the complete model folder; a model without its manifest is never run",
            field="manifest.json",
        )
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelArtefactError(
            "the CNN manifest cannot be read as JSON",
            expected="a JSON object",
            found=f"{type(exc).__name__}: {exc}",
            fix="re-install the model folder",
            field="manifest.json",
        ) from exc
    if not isinstance(body, dict):
        raise ModelArtefactError(
            "the CNN manifest is not a JSON object",
            expected="a JSON object",
            found=type(body).__name__,
            fix="re-install the model folder",
            field="manifest.json",
        )
    missing = [k for k in REQUIRED_KEYS if k not in body]
    if missing:
        raise ModelArtefactError(
            "the CNN manifest lacks required entries",
            expected=", ".join(REQUIRED_KEYS),
            found=f"missing {', '.join(missing)}",
            fix="re-export the model with `hsp train-cnn`",
            field="manifest.json",
        )
    if body["format"] != FORMAT or body["format_version"] != FORMAT_VERSION:
        raise ModelArtefactError(
            "the manifest is not a CNN artefact manifest this version understands",
            expected=f"{FORMAT} v{FORMAT_VERSION}",
            found=f"{body['format']} v{body['format_version']}",
            fix="install a CNN artefact made for this version of HSP Desktop",
            field="format",
        )
    if not isinstance(body["files"], dict) or body["model_file"] not in body["files"]:
        raise ModelArtefactError(
            "the manifest does not list the hash of its model file",
            expected=f"files[{body.get('model_file')!r}] = sha256",
            found=f"files: {sorted(body['files']) if isinstance(body['files'], dict) else body['files']!r}",
            fix="re-export the model with `hsp train-cnn`",
            field="files",
        )
    return body


def verify_files(folder: Path | str, manifest: Mapping[str, Any]) -> None:
    """Check every file the manifest lists against its SHA-256.

    Raises
    ------
    ModelArtefactError
        Listing each missing or altered file.
    """
    problems = file_problems(folder, manifest["files"])
    if problems:
        raise ModelArtefactError(
            "the CNN model files do not match their manifest",
            expected="every file's SHA-256 as recorded in manifest.json",
            found="; ".join(problems),
            fix="re-install the model folder from its release; never edit model files in place",
            field="files",
        )

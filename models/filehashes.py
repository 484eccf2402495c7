"""SHA-256 of files and the check of a folder against its manifest's file list: one home for both.

The locked model bundle (:mod:`models.bundle`) and the CNN artefact (:mod:`models.cnn.manifest`) each record the
SHA-256 of every file in their ``manifest.json``; both verify a folder with :func:`file_problems` and word the
refusal for their own artefact.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path


def sha256_file(path: Path | str) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks.

    Parameters
    ----------
    path : Path or str
        File to hash.

    Returns
    -------
    str
        Hex digest.
    """
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_problems(folder: Path | str, files: Mapping[str, str]) -> list[str]:
    """Every way ``folder`` differs from the file list of its manifest (empty when it matches).

    Parameters
    ----------
    folder : Path or str
        The artefact folder.
    files : mapping
        POSIX relative path -> expected SHA-256, as the manifest records them.

    Returns
    -------
    list of str
        ``"<path>: outside the folder"``, ``"<path>: missing"`` or ``"<path>: SHA-256 differs from the
        manifest"``, in path order.
    """
    folder = Path(folder)
    root = folder.resolve()
    problems = []
    for rel, digest in sorted(files.items()):
        path = folder / rel
        if not path.resolve().is_relative_to(root):  # "../x" or "/etc/x" would read outside the artefact
            problems.append(f"{rel}: outside the folder")
        elif not path.is_file():
            problems.append(f"{rel}: missing")
        elif sha256_file(path) != digest:
            problems.append(f"{rel}: SHA-256 differs from the manifest")
    return problems

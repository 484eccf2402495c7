r"""The embedded demo cohort: generated offline on first use, deterministically, and cached per user.

The cache lives in ``$HSP_DATA_DIR/demo`` when ``HSP_DATA_DIR`` is set, otherwise in the platform's per-user data
folder (``~/.local/share/hsp-desktop`` on Linux, ``%LOCALAPPDATA%\hsp-desktop`` on Windows,
``~/Library/Application Support/hsp-desktop`` on macOS).  Its name carries the generator version and the seed, so
a new generator never reuses an old cohort.
"""

from __future__ import annotations

import json
from pathlib import Path

from hsp_desktop.datadir import user_data_dir
from hsp_desktop.errors import InputError
from hsp_desktop.synthetic.cohort import GENERATOR_VERSION, ProgressCallback, generate_cohort

#: Arguments of the demo cohort (the README's first command uses it).
DEMO_ARGS = {"n": 200, "prospective": 30, "seed": 20260, "sites": 1}


__all__ = ["DEMO_ARGS", "demo_cohort_dir", "user_data_dir"]


def _complete(folder: Path, images: bool) -> bool:
    """A cached cohort is usable when its manifest matches the demo arguments and every listed file exists."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    args = manifest.get("arguments", {})
    if manifest.get("generator_version") != GENERATOR_VERSION:
        return False
    if any(args.get(k) != v for k, v in DEMO_ARGS.items()) or args.get("images") != images:
        return False
    return all((folder / rel).is_file() for rel in manifest.get("files", {}))


def demo_cohort_dir(
    *, images: bool = True, refresh: bool = False, progress: ProgressCallback | None = None
) -> Path:
    """Return the demo cohort folder, generating it on first use (offline, deterministic, about a minute).

    Parameters
    ----------
    images : bool, default True
        Include CT, masks and DICOM series (a table-only variant is cached separately).
    refresh : bool, default False
        Regenerate even when a complete cached copy exists.
    progress : callable, optional
        Receives :class:`~hsp_desktop.domain.Progress` reports while generating.

    Returns
    -------
    Path
        Folder with ``manifest.json``, ``clinical.csv``, ``followup.csv``, ``ground_truth.csv`` and ``images/``.
    """
    name = f"{GENERATOR_VERSION}-seed{DEMO_ARGS['seed']}" + ("" if images else "-tables")
    folder = user_data_dir() / "demo" / name
    if not refresh and _complete(folder, images):
        return folder
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            "cannot create the demo data folder",
            expected="a writable per-user data folder",
            found=f"{folder.parent}: {exc.strerror or exc}",
            fix="set HSP_DATA_DIR to a writable folder",
            field="HSP_DATA_DIR",
        ) from exc
    try:
        generate_cohort(
            folder,
            DEMO_ARGS["n"],
            DEMO_ARGS["prospective"],
            DEMO_ARGS["seed"],
            sites=DEMO_ARGS["sites"],
            images=images,
            progress=progress,
            overwrite=True,
        )
    except InputError:
        # Another process finished the same cohort first: use it.
        if _complete(folder, images):
            return folder
        raise
    return folder

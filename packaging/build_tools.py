"""Helpers of ``packaging/build``: the build id, the generated ``hsp_desktop/_build.py`` and the hash manifest.

    python packaging/build_tools.py stamp --out build/stamp      # prints the build id, writes _build.py + BUILD
    python packaging/build_tools.py manifest dist/hsp-desktop    # writes dist/hsp-desktop.sha256
    python packaging/build_tools.py verify dist/hsp-desktop      # checks the bundle against that manifest

The build id is ``<version>+<git describe>.<UTC date of SOURCE_DATE_EPOCH>``: the same commit built twice gets the
same id (no wall-clock time in it), and a build from uncommitted changes says ``dirty``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD_MODULE = ROOT / "hsp_desktop" / "_build.py"


def source_date_epoch() -> int:
    """Return ``SOURCE_DATE_EPOCH`` if set, else the last commit's time (never the wall clock)."""
    env = os.environ.get("SOURCE_DATE_EPOCH")
    if env:
        return int(env)
    out = subprocess.run(
        ["git", "log", "-1", "--format=%ct"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return int(out.stdout.strip())


def git_describe() -> str:
    """Return ``git describe --always --tags --dirty`` of the project (``nogit`` outside a checkout)."""
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--tags", "--dirty"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "nogit"
    return out.stdout.strip() or "nogit"


def make_build_id(version: str, describe: str, epoch: int) -> str:
    """Compose the build id from the version, the git description and the source date.

    Parameters
    ----------
    version : str
        The package version (``hsp_desktop.__version__``).
    describe : str
        ``git describe`` output; characters other than letters, digits, ``.`` and ``-`` become ``.``.
    epoch : int
        ``SOURCE_DATE_EPOCH`` in seconds.

    Returns
    -------
    str
        e.g. ``0.1.0+320d4e7.20261129`` or ``0.1.0+320d4e7-dirty.20261129``.
    """
    safe = "".join(c if c.isalnum() or c in ".-" else "." for c in describe)
    date = time.strftime("%Y%m%d", time.gmtime(epoch))
    return f"{version}+{safe}.{date}"


def write_stamp(out: Path) -> str:
    """Write ``hsp_desktop/_build.py`` and ``out/BUILD`` and return the build id."""
    sys.path.insert(0, str(ROOT))
    from hsp_desktop import __version__

    epoch = source_date_epoch()
    build = make_build_id(__version__, git_describe(), epoch)
    BUILD_MODULE.write_text(
        '"""Written by packaging/build; do not edit (not in git)."""\n\n'
        f"BUILD_ID = {build!r}\nSOURCE_DATE_EPOCH = {epoch}\n",
        encoding="utf-8",
    )
    out.mkdir(parents=True, exist_ok=True)
    (out / "BUILD").write_text(build + "\n", encoding="utf-8")
    return build


def file_sha256(path: Path) -> str:
    """Return the SHA-256 hex digest of one file."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def bundle_files(folder: Path) -> list[Path]:
    """Return every regular file under ``folder`` (links followed), sorted by relative POSIX path."""
    return sorted(
        (p for p in folder.rglob("*") if p.is_file()), key=lambda p: p.relative_to(folder).as_posix()
    )


def write_manifest(folder: Path) -> Path:
    """Write ``<folder>.sha256`` beside the bundle, in ``sha256sum`` format (``sha256sum -c`` checks it)."""
    folder = folder.resolve()
    lines = [
        f"{file_sha256(p)}  {folder.name}/{p.relative_to(folder).as_posix()}" for p in bundle_files(folder)
    ]
    manifest = folder.with_name(folder.name + ".sha256")
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return manifest


def verify_manifest(folder: Path) -> list[str]:
    """Return the differences between the bundle and its manifest (empty when they agree)."""
    folder = folder.resolve()
    manifest = folder.with_name(folder.name + ".sha256")
    expected = {}
    for line in manifest.read_text(encoding="utf-8").splitlines():
        digest, _, rel = line.partition("  ")
        expected[rel] = digest
    found = {f"{folder.name}/{p.relative_to(folder).as_posix()}": p for p in bundle_files(folder)}
    problems = [f"missing: {rel}" for rel in sorted(set(expected) - set(found))]
    problems += [f"not in manifest: {rel}" for rel in sorted(set(found) - set(expected))]
    problems += [
        f"changed: {rel}"
        for rel in sorted(set(found) & set(expected))
        if file_sha256(found[rel]) != expected[rel]
    ]
    return problems


def main(argv: list[str] | None = None) -> int:
    """Command line of the build helpers (see the module docstring)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="what", required=True)
    sub.add_parser("stamp").add_argument("--out", type=Path, required=True)
    sub.add_parser("manifest").add_argument("folder", type=Path)
    sub.add_parser("verify").add_argument("folder", type=Path)
    args = parser.parse_args(argv)
    if args.what == "stamp":
        print(write_stamp(args.out))
    elif args.what == "manifest":
        print(write_manifest(args.folder))
    else:
        problems = verify_manifest(args.folder)
        for p in problems:
            print(p, file=sys.stderr)
        print(f"{args.folder}: {'OK' if not problems else f'{len(problems)} differences'}")
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())

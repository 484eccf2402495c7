"""Helpers for the reporting tests (not a conftest: imported by name): read a PDF's text back and rasterise it with pdftoppm."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def pdf_pages_text(path: Path) -> list[str]:
    """Text of every page, whitespace collapsed to single spaces."""
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    return [" ".join((page.extract_text() or "").split()) for page in reader.pages]


def rasterise(path: Path, out: Path) -> list[Path]:
    """Render every page with ``pdftoppm -png -r 50`` (skips the test when poppler is absent)."""
    exe = shutil.which("pdftoppm")
    if exe is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed: cannot rasterise the PDF")
    subprocess.run([exe, "-png", "-r", "50", str(path), str(out / "page")], check=True, timeout=60)
    return sorted(out.glob("page*.png"))

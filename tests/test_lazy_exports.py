"""Lazily exported names: every one resolves, type checkers see every one, and the package import stays light.

``radiomics``, ``reporting`` and ``synthetic`` keep their heavy modules (Numba, ReportLab, SimpleITK) out of
``import hsp_desktop.<package>`` with a module ``__getattr__`` over an ``_EXPORTS`` table; a misspelt table entry
would only fail when a user reaches it (the app's warm-up once imported a name that did not exist).
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

LAZY = ("hsp_desktop.radiomics", "hsp_desktop.reporting", "hsp_desktop.synthetic")
#: What each package's import must not pull in (the reason it is lazy).
HEAVY = {
    "hsp_desktop.radiomics": ("numba", "SimpleITK", "hsp_desktop.radiomics.extractor"),
    "hsp_desktop.reporting": ("reportlab", "matplotlib"),
    "hsp_desktop.synthetic": ("SimpleITK", "pydicom", "hsp_desktop.synthetic.cohort"),
}


def _type_checking_names(package: str) -> set[str]:
    """Names imported under ``if TYPE_CHECKING:`` or at module level in the package's ``__init__``."""
    spec = importlib.util.find_spec(package)
    assert spec is not None and spec.origin is not None
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        body = node.body if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING" else [node]
        for stmt in body:
            if isinstance(stmt, ast.ImportFrom) and stmt.module != "__future__":
                names.update(alias.asname or alias.name for alias in stmt.names)
            elif isinstance(stmt, ast.Assign):
                names.update(t.id for t in stmt.targets if isinstance(t, ast.Name))
    return names


@pytest.mark.parametrize("package", LAZY)
def test_every_lazy_export_resolves_to_what_its_table_names(package: str) -> None:
    module = importlib.import_module(package)
    table: dict[str, str] = module._EXPORTS
    for name in module.__all__:
        value = getattr(module, name)
        assert value is not None, f"{package}.{name}"
        if name in table:
            assert value is getattr(importlib.import_module(table[name]), name)
            assert getattr(value, "__name__", name) == name, f"{package}.{name} is {value!r}"
    assert set(table) <= set(module.__all__)
    assert set(module.__all__) <= set(dir(module))
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        _ = module.not_a_name


@pytest.mark.parametrize("package", LAZY)
def test_type_checkers_see_every_export(package: str) -> None:
    # mypy reads the TYPE_CHECKING imports: a lazily exported name missing there would be typed Any.
    module = importlib.import_module(package)
    missing = set(module.__all__) - _type_checking_names(package)
    assert not missing, f"{package}: add {sorted(missing)} to its TYPE_CHECKING imports"


@pytest.mark.parametrize("package", LAZY)
def test_importing_the_package_stays_light(package: str) -> None:
    heavy = HEAVY[package]
    code = f"import sys, {package}; print(','.join(m for m in {heavy!r} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "", f"import {package} loaded {out.stdout.strip()}"

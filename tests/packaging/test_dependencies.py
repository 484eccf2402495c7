"""Dependencies: every runtime requirement has a runtime use, every import has a requirement, one SOUP list.

The product code (``hsp_desktop``, ``models``, ``kernels``) is scanned for imports (module level and inside
functions); each third-party top-level module is mapped to the distribution that installs it.
"""

from __future__ import annotations

import ast
import functools
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("hsp_desktop", "models", "kernels")
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _name(requirement: str) -> str:
    """The normalised distribution name of a requirement string."""
    match = re.match(r"[A-Za-z0-9_.\-]+", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group(0)).lower()


RUNTIME = {_name(r) for r in PYPROJECT["dependencies"]}
EXTRAS = {extra: {_name(r) for r in reqs} for extra, reqs in PYPROJECT["optional-dependencies"].items()}


@functools.cache
def _imported_top_levels() -> dict[str, set[str]]:
    """Third-party top-level module -> the product files importing it."""
    own = set(PRODUCT)
    found: dict[str, set[str]] = {}
    for package in PRODUCT:
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    tops = [alias.name.split(".")[0] for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    tops = [node.module.split(".")[0]]
                else:
                    continue
                for top in tops:
                    if top not in own and top not in sys.stdlib_module_names and top != "__future__":
                        found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


@functools.cache
def _top_level_owners() -> dict[str, list[str]]:
    return metadata.packages_distributions()


def _distributions(top: str) -> set[str]:
    return {_name(d) for d in _top_level_owners().get(top, [])}


#: Runtime dependencies used without an import by name: pydicom finds its pixel-data decoder plugins itself.
PLUGINS = {"pylibjpeg", "pylibjpeg-openjpeg", "pyjpegls"}


def test_every_runtime_dependency_is_imported_by_the_product() -> None:
    used = set().union(*(_distributions(top) for top in _imported_top_levels()))
    unused = RUNTIME - used - PLUGINS
    assert not unused, f"runtime dependencies nothing in {PRODUCT} imports: {sorted(unused)}"
    assert PLUGINS <= RUNTIME, "a plugin left the runtime dependencies: drop it from PLUGINS too"


def test_every_import_has_a_requirement() -> None:
    declared = RUNTIME.union(*EXTRAS.values())
    missing = {
        top: sorted(files)[:3]
        for top, files in _imported_top_levels().items()
        if not (_distributions(top) & declared)
    }
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"


def test_test_only_and_unused_packages_stay_out_of_the_runtime() -> None:
    for name in (
        "pynrrd",
        "skops",
        "pypdf",
        "pyradiomics",
        "onnx",
        "torch",
        "onnxruntime",
        "onnxruntime-gpu",
    ):
        assert name not in RUNTIME, name
    assert {"pypdf", "pyradiomics"} <= EXTRAS["dev"]


def test_onnx_runtime_is_a_cpu_or_gpu_install_of_the_same_module() -> None:
    assert EXTRAS["cpu"] == {"onnxruntime"} and EXTRAS["gpu"] == {"onnxruntime-gpu"}
    bootstrap = (ROOT / "packaging" / "bootstrap.sh").read_text(encoding="utf-8")
    assert 'extras="[$flavour' in bootstrap  # bootstrap installs exactly one of the two


def test_the_about_pages_soup_list_is_the_runtime_dependencies() -> None:
    about = ast.parse((ROOT / "hsp_desktop" / "gui" / "pages" / "about.py").read_text(encoding="utf-8"))
    soup = next(
        node.value
        for node in about.body
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "SOUP" for t in node.targets)
    )
    listed = {_name(name) for name in ast.literal_eval(soup)}
    assert listed == RUNTIME | EXTRAS["cpu"] | EXTRAS["gpu"] | EXTRAS["federated"]

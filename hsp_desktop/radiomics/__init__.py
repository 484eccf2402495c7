"""Radiomics engine: PyRadiomics-compatible (and IBSI-1) features on Numba kernels.

Public API: :func:`extract_features`, :func:`load_params`, :class:`ExtractionSettings`, :func:`warm_up`.  Heavy modules are
imported on first use so that importing the package stays cheap (``tests/test_lazy_exports.py`` checks that every
name in ``_EXPORTS`` resolves and that type checkers see each one).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hsp_desktop.radiomics.extractor import extract_features, warm_up
    from hsp_desktop.radiomics.settings import ExtractionSettings, load_params

#: Public name -> the module that defines it (imported on first access).
_EXPORTS = {
    "extract_features": "hsp_desktop.radiomics.extractor",
    "warm_up": "hsp_desktop.radiomics.extractor",
    "ExtractionSettings": "hsp_desktop.radiomics.settings",
    "load_params": "hsp_desktop.radiomics.settings",
}

__all__ = ["ExtractionSettings", "extract_features", "load_params", "warm_up"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'hsp_desktop.radiomics' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})

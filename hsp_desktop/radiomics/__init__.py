"""Radiomics engine: PyRadiomics-compatible (and IBSI-1) features on Numba kernels.

Public API: :func:`extract_features`, :func:`load_params`, :class:`ExtractionSettings`, :func:`warm_up`.  Heavy modules are
imported on first use so that importing the package stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hsp_desktop.radiomics.extractor import extract_features, warm_up
    from hsp_desktop.radiomics.settings import ExtractionSettings, load_params

__all__ = ["ExtractionSettings", "extract_features", "load_params", "warm_up"]


def __getattr__(name: str) -> Any:
    if name in ("extract_features", "warm_up"):
        from hsp_desktop.radiomics import extractor

        return getattr(extractor, name)
    if name in ("ExtractionSettings", "load_params"):
        from hsp_desktop.radiomics import settings

        return getattr(settings, name)
    raise AttributeError(f"module 'hsp_desktop.radiomics' has no attribute {name!r}")

"""Radiomics engine: PyRadiomics-compatible (and IBSI-1) features on Numba kernels.

Public API: :func:`extract_features`, :func:`load_params`, :class:`ExtractionSettings`.  Heavy modules are
imported on first use so that importing the package stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hsp_desktop.radiomics.extractor import extract_features
    from hsp_desktop.radiomics.settings import ExtractionSettings, load_params

__all__ = ["ExtractionSettings", "extract_features", "load_params"]


def __getattr__(name: str) -> Any:
    if name == "extract_features":
        from hsp_desktop.radiomics.extractor import extract_features

        return extract_features
    if name in ("ExtractionSettings", "load_params"):
        from hsp_desktop.radiomics import settings

        return getattr(settings, name)
    raise AttributeError(f"module 'hsp_desktop.radiomics' has no attribute {name!r}")

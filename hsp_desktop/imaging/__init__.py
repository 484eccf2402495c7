"""Imaging checks before feature extraction: grid agreement (`geometry`) and the QC gate (`qc`).

``resample`` (the radiomics engine's resampling helpers) lives beside them.  The QC gate (which loads
``scipy.ndimage``) is imported on first use, so reading a mask (which checks geometry) stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hsp_desktop.imaging.geometry import check_geometry, geometry_differences, resample_labels_to

if TYPE_CHECKING:
    from hsp_desktop.imaging.qc import QcLimits, require_qc, run_qc

__all__ = ["QcLimits", "check_geometry", "geometry_differences", "require_qc", "resample_labels_to", "run_qc"]


def __getattr__(name: str) -> Any:
    if name in ("QcLimits", "require_qc", "run_qc"):
        from hsp_desktop.imaging import qc

        return getattr(qc, name)
    raise AttributeError(f"module 'hsp_desktop.imaging' has no attribute {name!r}")

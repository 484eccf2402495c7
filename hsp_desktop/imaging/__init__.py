"""Imaging checks before feature extraction: grid agreement (`geometry`) and the QC gate (`qc`).

``resample`` (the radiomics engine's resampling helpers) lives beside them.
"""

from hsp_desktop.imaging.geometry import check_geometry, geometry_differences, resample_labels_to
from hsp_desktop.imaging.qc import QcLimits, require_qc, run_qc

__all__ = ["QcLimits", "check_geometry", "geometry_differences", "require_qc", "resample_labels_to", "run_qc"]

"""Spleen and liver masks made in the app: semi-automatic growing, editing, ONNX auto-segmentation, review.

Public API::

    grow_region(ct, seeds, *, window=None, smoothness=2) -> GrowResult      one organ from clicks
    segment_semiauto(ct, {"spleen": seeds, ...}, user=...) -> (LabelMap, MaskProvenance, results)
    save_mask(labels, provenance, path) / load_mask(path) / review_mask(path, reviewer)
    require_reviewed(mask_path, mask)        the scoring gate: refuses unreviewed app-made masks
    EditHistory + paint/erase/threshold_paint/fill_holes/keep_largest/smooth   editing with undo/redo
    agreement(test, reference, spacing) -> Agreement                         Dice, surface distance, volume
"""

from __future__ import annotations

from hsp_desktop.segmentation.editing import EditHistory
from hsp_desktop.segmentation.masks import (
    ORGANS,
    load_mask,
    provenance_line,
    review_mask,
    save_mask,
    segment_semiauto,
)
from hsp_desktop.segmentation.metrics import Agreement, agreement
from hsp_desktop.segmentation.provenance import MaskProvenance, read_provenance, require_reviewed
from hsp_desktop.segmentation.semiauto import GrowResult, grow_region, suggest_window

__all__ = [
    "ORGANS",
    "Agreement",
    "EditHistory",
    "GrowResult",
    "MaskProvenance",
    "agreement",
    "grow_region",
    "load_mask",
    "provenance_line",
    "read_provenance",
    "require_reviewed",
    "review_mask",
    "save_mask",
    "segment_semiauto",
    "suggest_window",
]

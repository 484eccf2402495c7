"""The synthetic cohort: how HSP Desktop is demonstrated and tested (no patient data exists).

Public entry points (imported lazily so that ``import hsp_desktop.synthetic`` stays light):

- :func:`simulate_preop` -- pre-operative table with hidden ground truth (fast, no images);
- :func:`generate_cohort` -- the cohort folder of CONTRACTS section C (CSV files, images, DICOM, manifest);
- :func:`demo_cohort_dir` -- the embedded demo cohort, generated once offline and cached.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "simulate_preop": "hsp_desktop.synthetic.clinical",
    "simulate_followup": "hsp_desktop.synthetic.followup",
    "generate_cohort": "hsp_desktop.synthetic.cohort",
    "demo_cohort_dir": "hsp_desktop.synthetic.demo",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'hsp_desktop.synthetic' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)

"""The synthetic cohort: how HSP Desktop is demonstrated and tested (no patient data exists).

Public entry points (imported lazily so that ``import hsp_desktop.synthetic`` stays light):

- :func:`simulate_preop` -- pre-operative table with hidden ground truth (fast, no images);
- :func:`generate_cohort` -- the cohort folder of CONTRACTS section C (CSV files, images, DICOM, manifest);
- :func:`demo_cohort_dir` -- the embedded demo cohort, generated once offline and cached.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hsp_desktop.synthetic.clinical import simulate_preop
    from hsp_desktop.synthetic.cohort import generate_cohort
    from hsp_desktop.synthetic.demo import demo_cohort_dir
    from hsp_desktop.synthetic.followup import simulate_followup

#: Public name -> the module that defines it (imported on first access).
_EXPORTS = {
    "simulate_preop": "hsp_desktop.synthetic.clinical",
    "simulate_followup": "hsp_desktop.synthetic.followup",
    "generate_cohort": "hsp_desktop.synthetic.cohort",
    "demo_cohort_dir": "hsp_desktop.synthetic.demo",
}

__all__ = ["demo_cohort_dir", "generate_cohort", "simulate_followup", "simulate_preop"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'hsp_desktop.synthetic' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})

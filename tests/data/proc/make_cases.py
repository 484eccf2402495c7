"""Write ``cases.csv``: the inputs on which R's pROC computed ``reference.csv`` (run ``proc_reference.R``).

Regenerate both with::

    .venv/bin/python tests/data/proc/make_cases.py && Rscript tests/data/proc/proc_reference.R tests/data/proc
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def cases() -> pd.DataFrame:
    """Eight paired-score data sets: sizes 12-400, event rates 4-50 %, heavy ties, AUCs 0.5-0.95."""
    rng = np.random.default_rng(20261129)
    rows = []
    specs = [  # (n, event rate, signal 1, signal 2, rounding decimals or None)
        (200, 0.25, 1.2, 0.9, None),
        (400, 0.22, 1.5, 1.45, None),
        (60, 0.5, 0.8, 0.2, None),
        (150, 0.04, 1.0, 1.3, None),
        (120, 0.3, 1.0, 0.7, 0),  # heavy ties: integers
        (300, 0.2, 2.5, 2.0, 1),
        (12, 0.5, 1.0, 0.5, None),
        (250, 0.3, 0.0, 0.1, None),  # no information
    ]
    for case, (n, rate, a1, a2, dec) in enumerate(specs):
        y = (rng.random(n) < rate).astype(int)
        y[:2] = [0, 1]
        shared = rng.standard_normal(n)
        s1 = a1 * y + 0.7 * shared + 0.7 * rng.standard_normal(n)
        s2 = a2 * y + 0.7 * shared + 0.7 * rng.standard_normal(n)
        if dec is not None:
            s1, s2 = np.round(s1, dec), np.round(s2, dec)
        rows.append(pd.DataFrame({"case": case, "y": y, "s1": s1, "s2": s2}))
    return pd.concat(rows, ignore_index=True)


if __name__ == "__main__":
    cases().to_csv(Path(__file__).with_name("cases.csv"), index=False, float_format="%.17g")

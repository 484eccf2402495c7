"""Write an updated model bundle: a NEW version whose manifest records its parent, the method and the evidence.

The method is chosen by the closed testing procedure of :mod:`models.updating` on a cohort with known outcomes
(or forced with ``method=``).  The parent bundle is never touched.  The new bundle is written with the same
``save_bundle`` as every other, reloaded with the strict loader, and its predictions on the updating cohort are
checked against the updated linear predictor computed independently (to 1e-9).
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from hsp_desktop.errors import InputError

#: Manifest keys save_bundle writes itself; every other parent key is carried over.
_OWN_KEYS = frozenset(
    {"name", "version", "bundle_format", "kind", "model_kind", "files", "versions", "features", "bands",
     "training", "validation", "outcome_definition_id", "intended_use"}
)  # fmt: skip


@dataclass(frozen=True)
class UpdateResult:
    """What ``hsp update`` did."""

    method: str
    chosen_by: str
    choice: dict[str, Any]
    out: Path | None
    sha256: str | None
    data_sha256: str
    n: int
    events: int
    calibration_before: dict[str, Any]
    calibration_after: dict[str, Any] | None


def data_hash(table: pd.DataFrame, y: np.ndarray) -> str:
    """SHA-256 of the updating data: the model's input columns and the outcome, as canonical CSV."""
    frame = table.copy()
    frame["__outcome__"] = np.asarray(y, dtype=np.int64)
    text = frame.to_csv(index=True, float_format="%.17g", lineterminator="\n")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _score_terms(spec: dict[str, Any]) -> list[str]:
    terms = [str(s["name"]) for s in spec.get("scores", [])]
    if spec.get("deep_score"):
        terms.append("dl_score")
    return terms


def _calibration(y: np.ndarray, p: np.ndarray) -> dict[str, Any]:
    from models.metrics import calibration

    c = calibration(y, p)
    return {
        "intercept": c.intercept,
        "intercept_ci": list(c.intercept_ci),
        "slope": c.slope,
        "slope_ci": list(c.slope_ci),
        "brier": c.brier,
    }


def update_from_table(
    bundle: Path | str,
    table: pd.DataFrame,
    y: np.ndarray,
    out: Path | str,
    *,
    method: str = "auto",
    alpha: float = 0.05,
    version: str | None = None,
    source: dict[str, Any] | None = None,
) -> UpdateResult:
    """Choose and apply the update on a feature table with outcomes; write the new bundle unless "none".

    Parameters
    ----------
    bundle : Path
        Parent bundle folder (verified by the strict loader).
    table : pandas.DataFrame
        Updating cohort with at least the parent's input columns.
    y : ndarray
        Outcomes 0/1.
    out : Path
        New bundle folder (must not exist).
    method : {"auto", "intercept", "recalibration", "revision"}
        "auto" runs the closed testing procedure.
    alpha : float
        Level of each closed test.
    version : str, optional
        New version (default: parent version + ".1", ".2" ... by lineage depth).
    source : mapping, optional
        Description of the cohort (path, subset) for the manifest.
    """
    from models.bundle import load_bundle, save_bundle
    from models.updating import METHODS, closed_test, updated_meta

    if method not in ("auto", *METHODS[1:]):
        raise InputError(
            "Unknown updating method",
            expected="auto, intercept, recalibration or revision",
            found=method,
            fix="choose one of them (auto = closed testing)",
            field="method",
        )
    parent = load_bundle(bundle)
    missing = [c for c in parent.feature_names if c not in table.columns]
    if missing:
        raise InputError(
            "The updating cohort lacks inputs of the model",
            expected=", ".join(parent.feature_names),
            found=f"missing {missing}",
            fix="use a cohort with the model's inputs (radiomics extracted)",
            field="cohort",
        )
    yy = np.asarray(y, dtype=np.int64)
    if yy.sum() < 1 or yy.sum() == yy.size:
        raise InputError(
            "The updating cohort has no outcome contrast",
            expected="events and non-events",
            found=f"{int(yy.sum())} events in {yy.size}",
            fix="use a cohort whose 6-month outcomes are known",
            field="cohort",
        )
    X = table[parent.feature_names]
    p0 = parent.predict_proba(X)  # validates the inputs (ranges, required values)
    M = parent.design(X.apply(pd.to_numeric, errors="coerce").astype(np.float64))
    spec = copy.deepcopy(parent.spec)
    scores = _score_terms(spec)
    choice = closed_test(yy, M, spec["meta"], scores, alpha=alpha)
    chosen = choice.method if method == "auto" else method
    digest = data_hash(X, yy)
    before = _calibration(yy, p0)
    if chosen == "none":
        return UpdateResult(
            "none",
            "closed testing",
            choice.as_dict(),
            None,
            None,
            digest,
            int(yy.size),
            int(yy.sum()),
            before,
            None,
        )
    spec["meta"] = updated_meta(spec["meta"], choice, chosen, scores)
    lp = float(spec["meta"]["intercept"]) + M @ np.asarray(spec["meta"]["coef"], dtype=np.float64)
    p1 = special.expit(lp)
    lineage = [*parent.manifest.get("lineage", []), {"sha256": parent.sha256, "name": parent.name,
                                                      "version": parent.version}]  # fmt: skip
    new_version = version or f"{parent.version}.{len(lineage)}"
    lo, hi = parent.band_thresholds
    bands = {}
    for band, sel in (("low", p1 < lo), ("intermediate", (p1 >= lo) & (p1 < hi)), ("high", p1 >= hi)):
        if sel.any():
            bands[band] = {
                "n": int(sel.sum()),
                "events": int(yy[sel].sum()),
                "rate": float(yy[sel].mean()),
                "mean_predicted": float(p1[sel].mean()),
            }
    after = _calibration(yy, p1)
    extra = {k: v for k, v in parent.manifest.items() if k not in _OWN_KEYS}
    chosen_by = "closed testing (Vergouwe et al. 2017)" if method == "auto" else "pre-specified (forced)"
    update: dict[str, Any] = {
        "parent_sha256": parent.sha256,
        "parent_name": parent.name,
        "parent_version": parent.version,
        "method": chosen,
        "chosen_by": "closed testing (Vergouwe et al. 2017)"
        if method == "auto"
        else "pre-specified (forced)",
        "closed_testing": choice.as_dict(),
        "data_sha256": digest,
        "cohort": dict(source or {}),
        "n": int(yy.size),
        "events": int(yy.sum()),
        "calibration_before": before,
        "calibration_after_apparent": after,
        "date": dt.date.today().isoformat(),
    }
    extra.update(
        {
            "update": update,
            "lineage": lineage,
            "bands": {
                "thresholds": [lo, hi],
                "observed": bands,
                "source": "updating cohort, updated model (apparent)",
            },
            "command": f"hsp update --bundle {parent.path} (method {chosen})",
        }
    )
    if "metrics" in extra:
        extra["metrics"] = {**extra["metrics"], "source": "parent model's development metrics (before update): "
                            + str(extra["metrics"].get("source", ""))}  # fmt: skip
    save_bundle(
        out,
        spec,
        name=parent.name,
        version=new_version,
        features=parent.manifest["features"],
        band_thresholds=[lo, hi],
        band_observed=bands,
        training_summary=parent.manifest.get("training", {}),
        validation={**parent.manifest.get("validation", {}), "update_cohort_apparent": after},
        outcome_definition_id=str(parent.manifest.get("outcome_definition_id", "")),
        intended_use=str(parent.manifest.get("intended_use", "")),
        extra=extra,
    )
    new = load_bundle(out)  # the same strict loader as any bundle
    got = new.predict_proba(X)
    if not np.allclose(got, p1, rtol=0, atol=1e-9):
        raise InputError(
            "The updated bundle does not reproduce the updated model",
            expected="predictions equal to the updated linear predictor (1e-9)",
            found=f"largest difference {float(np.max(np.abs(got - p1))):.3g}",
            fix="report this as a bug; the new bundle must not be used",
            field="out",
        )
    return UpdateResult(
        chosen, chosen_by, choice.as_dict(), Path(out), new.sha256, digest, int(yy.size), int(yy.sum()),
        before, after,
    )  # fmt: skip


def update_from_cohort(
    bundle: Path | str,
    cohort: Path | str,
    out: Path | str,
    *,
    subset: str = "validation",
    method: str = "auto",
    alpha: float = 0.05,
    version: str | None = None,
) -> UpdateResult:
    """Load a cohort folder's feature table (radiomics only when the model needs it) and update the bundle."""
    from hsp_desktop.development.cohort import load_cohort
    from models.bundle import load_bundle

    parent = load_bundle(bundle)
    needs_radiomics = any("__" in n for n in parent.feature_names)
    if parent.spec.get("deep_score"):
        raise InputError(
            "This bundle uses a DL-score; updating it from a cohort folder needs the CNN scores",
            expected="a bundle without a DL-score term",
            found="deep_score in the model",
            fix="update from a feature table with deep_score (update_from_table)",
            field="bundle",
        )
    ct = load_cohort(cohort, subset=subset, radiomics=needs_radiomics)
    return update_from_table(
        bundle,
        ct.table,
        ct.y,
        out,
        method=method,
        alpha=alpha,
        version=version,
        source={"path": str(Path(cohort).resolve()), "subset": subset},
    )

"""Radiomics for the federated Rad-score: candidate names, a site's feature rows, and its own feature selection.

Nothing here invents a format or a selector:

* a cohort folder's radiomics come from the development pipeline's per-recipient feature cache
  (:func:`hsp_desktop.development.cohort.extract_radiomics`, ``<cohort>/.hsp_feature_cache``, keyed by image
  hashes and the settings hash; missing entries are extracted with the plan's settings);
* a registry's come from the feature vectors scoring stored (``spleen__<PyRadiomics name>`` keys, see
  :meth:`hsp_desktop.registry.Registry.features`), the latest vector extracted with the plan's settings;
* a site's selection is the development chain of :mod:`models.selection` with the development defaults of
  :class:`models.multimodal.MultimodalRiskModel`: near-constant / correlation filter, mRMR, then stability
  selection + LASSO-logistic (1-SE rule) (``"stability"``) or LASSO-logistic with the 1-SE rule alone
  (``"lasso"``).  There is no ICC filter at a site: perturbation replicates are a development-time extra.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hsp_desktop.errors import FederatedError
from hsp_desktop.federated.core import FeatureSpec, FloatArray

#: ROI whose radiomics enter the Rad-score (the development pipeline's column prefix).
ROI = "spleen"


def settings_json(params: Any) -> str:
    """Canonical JSON of extraction settings (PyRadiomics parameter layout) as the plan carries them.

    Parameters
    ----------
    params : path, dict, ExtractionSettings or None
        Anything :func:`hsp_desktop.radiomics.load_params` reads (None: PyRadiomics' defaults).

    Returns
    -------
    str
        ``json.dumps(load_params(params).as_dict(), sort_keys=True)``.
    """
    from hsp_desktop.radiomics import load_params

    return json.dumps(load_params(params).as_dict(), sort_keys=True, default=list)


def candidate_names(params: Any) -> list[str]:
    """Every feature the extraction settings produce, as feature-table columns (``spleen__<name>``), sorted.

    The names depend on the settings only, so they are read off an extraction of a small synthetic phantom (no
    recipient's data); the order is the development feature table's.

    Parameters
    ----------
    params : path, dict, ExtractionSettings or None
        Extraction settings.

    Returns
    -------
    list of str
        Candidate column names.
    """
    from hsp_desktop.domain import CtVolume, LabelMap
    from hsp_desktop.radiomics import extract_features

    rng = np.random.default_rng(0)
    z, y, x = np.mgrid[:12, :16, :16]
    labels = ((((z - 6) / 4.5) ** 2 + ((y - 8) / 6.0) ** 2 + ((x - 8) / 6.0) ** 2) < 1).astype(np.uint8)
    ct = CtVolume(array=rng.normal(100, 20, labels.shape).astype(np.float32), spacing=(1.0, 1.0, 2.0))
    mask = LabelMap(array=labels, spacing=(1.0, 1.0, 2.0))
    fv = extract_features(ct, mask, json.loads(settings_json(params)), qc=False)
    return [f"{ROI}__{n}" for n in sorted(fv.values)]


def radiomics_specs(
    names: Sequence[str], reference: Mapping[str, tuple[float, float]] | None = None
) -> tuple[FeatureSpec, ...]:
    """Feature specs of the candidates: identity transform, public reference centre and scale.

    The pooled scaler is exact for any centre/scale (moments are affine); the constants only keep the summed
    values in range (SecAgg+ clips at +-8 after dividing by ``n``: give reference scales of the order of each
    feature's spread when SecAgg+ is on).

    Parameters
    ----------
    names : sequence of str
        Candidate columns.
    reference : mapping, optional
        Name -> (centre, scale); default (0, 1).

    Returns
    -------
    tuple of FeatureSpec
        One spec per candidate.
    """
    ref = dict(reference or {})
    out = []
    for n in names:
        c, s = ref.get(n, (0.0, 1.0))
        out.append(FeatureSpec(str(n), "identity", float(c), float(s) if s > 0 else 1.0))
    return tuple(out)


def read_reference(path: Path) -> dict[str, tuple[float, float]]:
    """Public reference centre and scale per candidate from a CSV with columns ``feature, center, scale``.

    Parameters
    ----------
    path : Path
        The reference table (e.g. medians and IQR/1.35 of a public or synthetic cohort; no site's rows).

    Returns
    -------
    dict
        Feature column -> (centre, scale).
    """
    import pandas as pd

    path = Path(path)
    try:
        table = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise FederatedError(
            "The radiomics reference table cannot be read",
            found=f"{path}: {exc}",
            field="radiomics-reference",
        ) from exc
    missing = [c for c in ("feature", "center", "scale") if c not in table.columns]
    bad = table[~(pd.to_numeric(table.get("scale"), errors="coerce") > 0)] if not missing else table.iloc[:0]
    if missing or len(bad):
        raise FederatedError(
            "The radiomics reference table is not usable",
            expected="columns feature, center, scale with scale > 0",
            found=f"missing {', '.join(missing)}"
            if missing
            else f"scale <= 0 for {', '.join(bad['feature'][:5])}",
            fix="write one row per candidate feature",
            field="radiomics-reference",
        )
    return {str(r.feature): (float(r.center), float(r.scale)) for r in table.itertuples()}


def reference_table(values: Mapping[str, Any]) -> dict[str, tuple[float, float]]:
    """Reference centre (median) and scale (SD, else 1) of each column of a public reference population.

    With SecAgg+ the summed ``z`` and ``z^2`` per site must stay within the clipping range: a scale of the order
    of the feature's SD keeps the mean ``z^2`` near 1 (an IQR-based scale does not for heavy-tailed features).

    Parameters
    ----------
    values : mapping
        Column -> values of a reference population (e.g. a synthetic cohort; never a site's rows).

    Returns
    -------
    dict
        Column -> (centre, scale).
    """
    out = {}
    for name, v in values.items():
        a = np.asarray(v, dtype=np.float64)
        a = a[np.isfinite(a)]
        if a.size == 0:
            continue
        sd = float(a.std(ddof=1)) if a.size > 1 else 0.0
        out[str(name)] = (float(np.median(a)), sd if sd > 0 else 1.0)
    return out


# ------------------------------------------------------------------------------------------------ site rows
def site_radiomics(
    source: Path, ids: Sequence[str], names: Sequence[str], settings: str
) -> dict[str, FloatArray]:
    """A site's candidate radiomics, row-aligned with its recipients, read the way the application reads them.

    Parameters
    ----------
    source : Path
        The site's cohort folder or registry database.
    ids : sequence of str
        The site's recipients (rows of its :class:`~hsp_desktop.federated.site.SiteData`).
    names : sequence of str
        Candidate columns (``spleen__<name>``).
    settings : str
        Canonical JSON of the extraction settings (from the plan).

    Returns
    -------
    dict
        Candidate column -> values (NaN where a recipient has none).

    Raises
    ------
    FederatedError
        The site holds no radiomics for the candidates (no images, no stored feature vectors, other settings).
    """
    from hsp_desktop.federated.site import REGISTRY_SUFFIXES

    source = Path(source)
    if source.is_file() and source.suffix in REGISTRY_SUFFIXES:
        table = _from_registry(source, ids, settings)
    else:
        table = _from_cohort(source, ids, settings)
    missing = [n for n in names if n not in table or bool(np.all(np.isnan(table[n])))]
    if missing:
        raise FederatedError(
            "The site's radiomics lack candidate features of the plan",
            expected=f"{len(names)} candidates extracted with the plan's settings",
            found=f"missing {len(missing)}: {', '.join(missing[:5])}" + (" ..." if len(missing) > 5 else ""),
            fix="extract the spleen radiomics with the plan's settings (score the scans, or `hsp develop` on the "
            "cohort folder), or ask the coordinator for a candidate list every site holds",
            field="radiomics",
        )
    return {n: np.asarray(table[n], dtype=np.float64) for n in names}


def _from_cohort(folder: Path, ids: Sequence[str], settings: str) -> dict[str, FloatArray]:
    from hsp_desktop.development.cohort import FeatureCache, extract_radiomics
    from hsp_desktop.errors import HspError

    cache = folder / ".hsp_feature_cache"
    if not (folder / "images").is_dir() and not cache.is_dir():
        raise FederatedError(
            "The site's radiomics cannot be read",
            expected=f"images/<id>/ct.nii.gz and mask.nii.gz or a feature cache in {folder}",
            found="neither an images folder nor .hsp_feature_cache",
            fix="write the cohort with images, or run `hsp develop` once to fill the feature cache",
            field="radiomics",
        )
    try:
        table, _reps, _prov = extract_radiomics(
            folder,
            list(ids),
            cache=FeatureCache(cache),
            settings=json.loads(settings),
            icc_subset=0,
        )
    except HspError as exc:
        raise FederatedError(
            "The site's radiomics cannot be read",
            expected="images/<id>/ct.nii.gz and mask.nii.gz (or their cached features) for every recipient",
            found=str(exc),
            fix="complete the cohort's images or run `hsp develop` once to fill the feature cache",
            field="radiomics",
        ) from exc
    return {c: table[c].to_numpy(dtype=np.float64) for c in table.columns}


def _same_settings(stored: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    return all(
        json.dumps(stored.get(k), sort_keys=True, default=list)
        == json.dumps(wanted.get(k), sort_keys=True, default=list)
        for k in ("imageType", "featureClass", "setting")
    )


def _from_registry(db: Path, ids: Sequence[str], settings: str) -> dict[str, FloatArray]:
    from hsp_desktop.registry import Registry

    wanted = json.loads(settings)
    rows: list[dict[str, float]] = []
    with Registry.open(db) as reg:
        for sid in ids:
            values: dict[str, float] = {}
            for fv in reg.features(sid):  # oldest first: the latest matching vector wins
                feats = fv.get("features") or {}
                if any(str(k).startswith(f"{ROI}__") for k in feats) and _same_settings(
                    fv.get("settings") or {}, wanted
                ):
                    values = {str(k): float(v) for k, v in feats.items() if str(k).startswith(f"{ROI}__")}
            rows.append(values)
    names = sorted({k for r in rows for k in r})
    return {n: np.array([r.get(n, np.nan) for r in rows], dtype=np.float64) for n in names}


# ------------------------------------------------------------------------------------------------ selection
def select_features(
    x: FloatArray, y: FloatArray, method: str = "stability", seed: int = 0
) -> NDArray[np.bool_]:
    """A site's own Rad-score feature selection: the development pipeline's chain on its rows.

    Parameters
    ----------
    x : ndarray of shape (n, c)
        The site's candidate radiomics (NaN = missing, imputed with the site's medians as in development).
    y : ndarray of shape (n,)
        Outcome 0/1.
    method : {"stability", "lasso"}
        ``"stability"``: correlation filter, mRMR, stability selection, LASSO-logistic (1-SE) - the features
        with a non-zero coefficient in the site's Rad-score; ``"lasso"``: correlation filter, mRMR, LASSO (1-SE).
        The LASSO is tuned on the mRMR-pre-selected features (liberal), not with the pre-selection inside the
        inner folds as development's :class:`models.selection.SelectedScoreBuilder` does: a vote only nominates
        candidates, the majority across sites is the guard against chance picks, and the Rad-score itself is then
        fitted on all sites' rows.  (With the selection-aware penalty each ~90-recipient site keeps one feature,
        no two sites agree and every election falls back to the most-voted feature - measured.)
    seed : int
        Seed of the resamples and inner folds.

    Returns
    -------
    ndarray of bool, shape (c,)
        The site's vote.
    """
    from models.multimodal import MultimodalRiskModel
    from models.selection import (
        LassoSelector,
        MRMRSelector,
        ScoreBuilder,
        StabilitySelector,
        VarianceCorrelationFilter,
    )

    d = MultimodalRiskModel().get_params()  # the development defaults
    x = np.asarray(x, dtype=np.float64)
    yb = np.asarray(y).astype(np.int64)
    with np.errstate(all="ignore"):
        med = np.nanmedian(x, axis=0)
    x = np.where(np.isnan(x), np.where(np.isfinite(med), med, 0.0), x)
    idx = np.arange(x.shape[1])
    varcorr = VarianceCorrelationFilter(corr_threshold=d["corr_threshold"]).fit(x)
    idx = idx[varcorr.get_support()]
    if idx.size > d["n_mrmr"]:
        idx = idx[MRMRSelector(n_features=d["n_mrmr"]).fit(x[:, idx], yb).get_support()]
    if method == "stability":
        if idx.size > 3:
            stab = StabilitySelector(n_resamples=d["n_stability"], random_state=seed).fit(x[:, idx], yb)
            idx = idx[stab.get_support()]
        score = ScoreBuilder(n_Cs=d["n_Cs"], cv=d["inner_cv"], random_state=seed).fit(x[:, idx], yb)
        idx = idx[score.coef_ != 0]
    elif method == "lasso":
        idx = idx[
            LassoSelector(n_Cs=d["n_Cs"], cv=d["inner_cv"], random_state=seed)
            .fit(x[:, idx], yb)
            .get_support()
        ]
    else:
        raise FederatedError("Unknown per-site selection method", expected="stability or lasso", found=method)
    vote = np.zeros(x.shape[1], dtype=bool)
    vote[idx] = True
    return vote

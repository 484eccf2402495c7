"""Cohort folder -> feature table (clinical + spleen radiomics [+ deep]) with a resumable per-recipient cache.

A cohort folder follows CONTRACTS section C.  This module reads ``clinical.csv`` and ``followup.csv`` (never
``ground_truth.csv``), keeps eligible recipients, derives the outcome with the clinical definition (pending and
competing recipients are left out, never counted as 0), optionally adds the CNN's DL-score (out-of-fold for
recipients the CNN was trained on), extracts spleen radiomics from ``images/<id>/ct.nii.gz`` +
``mask.nii.gz`` and, for the first ``icc_subset`` recipients, re-extracts them from perturbed masks (one-voxel
erosion and dilation) for the ICC stability filter.

The cache holds one JSON file per recipient, keyed by the CT and mask SHA-256 and the settings hash, written
atomically; an interrupted run resumes where it stopped, and a changed image or setting is re-extracted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hsp_desktop.errors import FileFormatError, InputError, ModelArtefactError, PipelineError

ProgressFn = Callable[[int, int, str], None]
RADIOMICS_ROI = "spleen"
CACHE_VERSION = 1


@dataclass
class CohortTable:
    """A cohort as model inputs: the feature table, outcomes and perturbation replicates."""

    table: pd.DataFrame
    y: np.ndarray
    replicates: np.ndarray | None
    outcome_definition_id: str
    summary: dict[str, Any]
    excluded: dict[str, str] = field(default_factory=dict)


def sha256_file(path: Path) -> str:
    """SHA-256 hex digest of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _read_csv(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise FileFormatError(
            f"The cohort has no {path.name}",
            expected=f"{path.name} in the cohort folder (CONTRACTS section C)",
            found=f"no file at {path}",
            fix="point --cohort at a folder written by `hsp synth` or a registry export",
            field=path.name,
        )
    try:
        return pd.read_csv(path, dtype={"study_id": str}, keep_default_na=True)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise FileFormatError(
            f"{path.name} cannot be read as CSV",
            expected="a comma-separated table with a header",
            found=str(exc),
            fix="re-export the file",
            field=path.name,
        ) from exc


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()}
        for r in frame.to_dict("records")
    ]


def data_cutoff(cohort: Path) -> dt.date | None:
    """The cohort's data cut-off (``reference_date`` in its manifest.json), or None for "today".

    Outcomes are derived as of the date the follow-up was exported: a window that closed after the cut-off has
    not been observed, whatever today's date is.
    """
    import json

    try:
        value = json.loads((cohort / "manifest.json").read_text(encoding="utf-8")).get("reference_date")
    except (OSError, ValueError):
        return None
    return dt.date.fromisoformat(value) if isinstance(value, str) else None


def derive_outcomes(cohort: Path) -> tuple[pd.DataFrame, dict[str, int], dict[str, str], dict[str, Any]]:
    """Eligible recipients with a derivable 6-month outcome.

    Parameters
    ----------
    cohort : Path
        Cohort folder.

    Returns
    -------
    clinical : pandas.DataFrame
        ``clinical.csv`` rows (all recipients, index ``study_id``).
    labels : dict
        Study id -> 0/1 for eligible recipients whose outcome is derivable.
    excluded : dict
        Study id -> reason (ineligible, pending, competing event).
    summary : dict
        Outcome definition id and counts.
    """
    from hsp_desktop.clinical.eligibility import check_eligibility
    from hsp_desktop.clinical.outcome import SPLENIC_ARTERY_FIELDS, OutcomeDefinition, derive_outcome

    clinical = _read_csv(cohort / "clinical.csv")
    if "study_id" not in clinical.columns:
        raise FileFormatError(
            "clinical.csv has no study_id column",
            expected="a study_id column",
            found=str(list(clinical.columns)[:8]),
            fix="export the cohort with CONTRACTS section A column names",
            field="study_id",
        )
    follow = _read_csv(cohort / "followup.csv")
    visits: dict[str, list[dict[str, Any]]] = {}
    for row in _records(follow):
        visits.setdefault(str(row["study_id"]), []).append(row)
    definition = OutcomeDefinition()
    as_of = data_cutoff(cohort)
    labels: dict[str, int] = {}
    excluded: dict[str, str] = {}
    counts: dict[str, int] = {}
    for rec in _records(clinical):
        sid = str(rec["study_id"])
        ok, reasons = check_eligibility(rec)
        if not ok and check_eligibility({**rec, **dict.fromkeys(SPLENIC_ARTERY_FIELDS, 0)})[0]:
            # ineligible only for a splenic-artery procedure: the outcome definition excludes it (one reason, one
            # count, whichever route it was entered by)
            ok = True
        if not ok:
            excluded[sid] = "ineligible: " + "; ".join(reasons)
            counts["ineligible"] = counts.get("ineligible", 0) + 1
            continue
        result = derive_outcome(rec, visits.get(sid, []), rec["transplant_date"], as_of, definition)
        counts[str(result.status)] = counts.get(str(result.status), 0) + 1
        if result.status in (0, 1):
            labels[sid] = int(result.status)
        else:
            excluded[sid] = f"outcome {result.status}"
    summary = {"definition_id": definition.definition_id, "status_counts": counts}
    return clinical.set_index("study_id", drop=False), labels, excluded, summary


def outcome_scenarios(
    cohort: Path, subset: str = "all"
) -> tuple[pd.DataFrame, dict[str, dict[str, int]], list[str], dict[str, int]]:
    """Labels of the eligible recipients under each handling of the left-out ones (sensitivity analyses).

    Parameters
    ----------
    cohort : Path
        Cohort folder.
    subset : str
        ``"all"`` or a ``cohort`` column value.

    Returns
    -------
    clinical : pandas.DataFrame
        ``clinical.csv`` rows of the eligible recipients of the subset (index ``study_id``).
    scenarios : dict
        ``"primary"`` (derived 0/1 only), ``"competing_as_0"``, ``"competing_as_1"``, ``"splenic_artery_as_1"``:
        study id -> label.
    pending : list of str
        Eligible recipients whose outcome is pending.
    counts : dict
        Eligible recipients by status (``"1"``, ``"0"``, ``"competing"``, ``"pending"``, ``"excluded"``).
    """
    from hsp_desktop.clinical.eligibility import check_eligibility
    from hsp_desktop.clinical.outcome import SPLENIC_ARTERY_FIELDS, OutcomeDefinition, derive_outcome

    clinical = _read_csv(cohort / "clinical.csv")
    follow = _read_csv(cohort / "followup.csv")
    visits: dict[str, list[dict[str, Any]]] = {}
    for row in _records(follow):
        visits.setdefault(str(row["study_id"]), []).append(row)
    as_of = data_cutoff(cohort)
    default, as_event = OutcomeDefinition(), OutcomeDefinition(splenic_artery_intervention="event")
    keys = ("primary", "competing_as_0", "competing_as_1", "splenic_artery_as_1")
    scenarios: dict[str, dict[str, int]] = {k: {} for k in keys}
    pending: list[str] = []
    counts: dict[str, int] = {}
    ids = []
    for rec in _records(clinical):
        sid = str(rec["study_id"])
        if subset != "all" and rec.get("cohort") not in (None, subset):
            continue
        if not check_eligibility({**rec, **dict.fromkeys(SPLENIC_ARTERY_FIELDS, 0)})[0]:
            continue
        ids.append(sid)
        result = derive_outcome(rec, visits.get(sid, []), rec["transplant_date"], as_of, default)
        status = str(result.status)
        counts[status] = counts.get(status, 0) + 1
        if status in ("0", "1"):
            for k in keys:
                scenarios[k][sid] = int(status)
        elif status == "competing":
            scenarios["competing_as_0"][sid] = 0
            scenarios["competing_as_1"][sid] = 1
        elif status == "pending":
            pending.append(sid)
        elif status == "excluded":
            alt = derive_outcome(rec, visits.get(sid, []), rec["transplant_date"], as_of, as_event)
            if alt.status in (0, 1):
                scenarios["splenic_artery_as_1"][sid] = int(alt.status)
    return clinical.set_index("study_id", drop=False).loc[ids], scenarios, pending, counts


def _perturbed_masks(mask: Any) -> list[Any]:
    from dataclasses import replace

    from scipy import ndimage

    roi = mask.array == 1
    other = (mask.array != 0) & ~roi
    out = []
    for op in (ndimage.binary_erosion, ndimage.binary_dilation):
        new_roi = op(roi, iterations=1)
        arr = np.where(new_roi, 1, np.where(other & ~new_roi, mask.array, 0)).astype(np.uint8)
        out.append(replace(mask, array=arr))
    return out


def _settings_hash(settings: Any) -> str:
    as_dict = settings.as_dict() if hasattr(settings, "as_dict") else settings
    blob = json.dumps(as_dict, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()


class FeatureCache:
    """One JSON file per recipient under ``folder``; entries are valid for given image hashes and settings."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def _path(self, sid: str) -> Path:
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in sid)
        return self.folder / f"{safe}.json"

    def get(self, sid: str, key: dict[str, str]) -> dict[str, Any] | None:
        """Cached entry of a recipient if its key matches, else None."""
        path = self._path(sid)
        if not path.is_file():
            return None
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return None
        return entry if entry.get("key") == key else None

    def put(self, sid: str, key: dict[str, str], entry: dict[str, Any]) -> None:
        """Write an entry atomically."""
        path = self._path(sid)
        tmp = path.with_suffix(".json.partial")
        tmp.write_text(json.dumps({"key": key, **entry}), encoding="utf-8")
        os.replace(tmp, path)


def extract_radiomics(
    cohort: Path,
    study_ids: list[str],
    *,
    cache: FeatureCache,
    settings: Any = None,
    icc_subset: int = 30,
    progress: ProgressFn | None = None,
) -> tuple[pd.DataFrame, np.ndarray | None, dict[str, Any]]:
    """Spleen radiomics for every recipient (cached), and perturbation replicates for the first ``icc_subset``.

    Parameters
    ----------
    cohort : Path
        Cohort folder.
    study_ids : list of str
        Recipients in table order.
    cache : FeatureCache
        Resumable cache.
    settings : optional
        Extraction settings (path, dict or ExtractionSettings; None = engine defaults).
    icc_subset : int
        Recipients re-extracted with eroded and dilated masks.
    progress : callable, optional
        ``(done, total, study_id)``.

    Returns
    -------
    table : pandas.DataFrame
        ``spleen__<feature>`` columns, index ``study_id``.
    replicates : ndarray or None
        Shape (n, 2, n_features), NaN rows for recipients outside the subset.
    provenance : dict
        Engine and settings hash.
    """
    try:
        from hsp_desktop.radiomics import extract_features, load_params
    except ImportError as exc:
        raise PipelineError(
            "The radiomics engine is not available in this build",
            stage="radiomics",
            expected="hsp_desktop.radiomics.extract_features",
            found=str(exc),
            fix="develop without radiomics (--no-radiomics) or install the full build",
        ) from exc
    from hsp_desktop.importers import read_ct, read_mask

    resolved = load_params(settings) if settings is not None else None
    shash = _settings_hash(resolved.as_dict() if resolved is not None else {"defaults": True})
    rows: dict[str, dict[str, float]] = {}
    reps: dict[str, list[dict[str, float]]] = {}
    engine = ""
    for i, sid in enumerate(study_ids):
        folder = cohort / "images" / sid
        ct_path, mask_path = folder / "ct.nii.gz", folder / "mask.nii.gz"
        for p in (ct_path, mask_path):
            if not p.is_file():
                raise FileFormatError(
                    f"Recipient {sid} has no {p.name}",
                    expected=f"images/{sid}/{p.name}",
                    found="no such file",
                    fix="write the cohort with images, or remove the recipient",
                    field=str(p),
                )
        want_reps = i < icc_subset
        key = {
            "ct": sha256_file(ct_path),
            "mask": sha256_file(mask_path),
            "settings": shash,
            "v": str(CACHE_VERSION),
        }
        entry = cache.get(sid, key)
        if entry is None or (want_reps and not entry.get("replicates")):
            ct = read_ct(ct_path)
            mask = read_mask(mask_path, reference=ct)
            fv = extract_features(ct, mask, resolved, label=1)
            entry = {
                "engine": fv.engine,
                "values": {k: float(v) for k, v in fv.values.items()},
                "replicates": [],
            }
            if want_reps:
                for pm in _perturbed_masks(mask):
                    pv = extract_features(ct, pm, resolved, label=1)
                    entry["replicates"].append({k: float(v) for k, v in pv.values.items()})
            cache.put(sid, key, entry)
        engine = str(entry.get("engine", engine))
        rows[sid] = entry["values"]
        if entry.get("replicates") and want_reps:
            reps[sid] = entry["replicates"]
        if progress:
            progress(i + 1, len(study_ids), sid)
    names = sorted(set().union(*(r.keys() for r in rows.values()))) if rows else []
    table = pd.DataFrame(
        [[rows[s].get(n, np.nan) for n in names] for s in study_ids],
        index=pd.Index(study_ids, name="study_id"),
        columns=[f"{RADIOMICS_ROI}__{n}" for n in names],
    )
    replicates = None
    if reps:
        k = max(len(v) for v in reps.values())
        replicates = np.full((len(study_ids), k, len(names)), np.nan)
        for r, sid in enumerate(study_ids):
            for j, rep in enumerate(reps.get(sid, [])):
                replicates[r, j] = [rep.get(n, np.nan) for n in names]
    return table, replicates, {"engine": engine, "settings_sha256": shash, "roi": RADIOMICS_ROI}


def deep_scores(root: Path, ids: list[str], artifact: Path | str) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The DL-score (``deep_score``, the CNN's logit) of every recipient, without leakage from CNN training.

    When the CNN was trained on this cohort (its manifest records the SHA-256 of the cohort's ``manifest.json``),
    a recipient it was trained on gets the *out-of-fold* logit from the artefact's ``oof_scores.csv`` (the fold
    model that never saw it); every other recipient gets the final CNN's logit through ONNX Runtime, as at
    scoring time.  The out-of-fold file's hash is checked against the artefact's manifest.

    Parameters
    ----------
    root : Path
        Cohort folder (images under ``images/<study_id>/``).
    ids : list of str
        Recipients, in table order.
    artifact : Path or str
        CNN artefact folder (``models/artifacts/cnn-demo-1``).

    Returns
    -------
    (pandas.DataFrame, dict)
        One ``deep_score`` column indexed by study_id, and provenance (artefact, hashes, how many out-of-fold).
    """
    folder = Path(artifact)
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise InputError(
            "The CNN artefact folder has no manifest.json",
            expected="a folder written by `hsp train-cnn` (manifest.json, model.onnx, oof_scores.csv)",
            found=str(folder),
            fix="give --deep the CNN artefact folder, e.g. models/artifacts/cnn-demo-1",
            field="deep",
        )
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelArtefactError(
            "The CNN artefact's manifest cannot be read",
            expected="a JSON manifest written by `hsp train-cnn`",
            found=f"{type(exc).__name__}: {exc}",
            fix="reinstall the CNN artefact from its original source",
            field=str(manifest_path),
        ) from exc
    oof: dict[str, float] = {}
    oof_name = "oof_scores.csv"
    trained_on = (manifest.get("training_cohort") or {}).get("cohort_manifest_sha256")
    this_cohort = sha256_file(root / "manifest.json") if (root / "manifest.json").is_file() else None
    same_cohort = trained_on is not None and trained_on == this_cohort
    if same_cohort and not (folder / oof_name).is_file():
        raise ModelArtefactError(
            "The CNN was trained on this cohort but its out-of-fold scores are missing",
            expected=f"{oof_name} in {folder}",
            found="no such file",
            fix="reinstall the complete CNN artefact (its in-sample scores would leak the outcome)",
            field=oof_name,
        )
    if same_cohort:
        expected = (manifest.get("files") or {}).get(oof_name)
        if expected != sha256_file(folder / oof_name):
            raise ModelArtefactError(
                "The CNN's out-of-fold scores do not match its manifest",
                expected=f"SHA-256 {str(expected)[:12]}",
                found=f"SHA-256 {sha256_file(folder / oof_name)[:12]}",
                fix="reinstall the CNN artefact from its original source; never edit it",
                field=oof_name,
            )
        frame = _read_csv(folder / oof_name)
        missing = [c for c in ("study_id", "deep_score") if c not in frame.columns]
        values = pd.to_numeric(frame["deep_score"], errors="coerce") if not missing else None
        if missing or values is None or not np.all(np.isfinite(values)):
            raise ModelArtefactError(
                "The CNN's out-of-fold scores are malformed",
                expected="columns study_id and deep_score, a finite logit on every row",
                found=f"missing columns {missing}" if missing else "empty or non-numeric deep_score cells",
                fix="reinstall the CNN artefact from its original source",
                field=oof_name,
            )
        oof = {str(k): float(v) for k, v in zip(frame["study_id"], values, strict=True)}
    to_infer = [s for s in ids if s not in oof]
    values = {s: oof[s] for s in ids if s in oof}
    provider = None
    if to_infer:
        from hsp_desktop.deep.features import deep_features_for_cohort, load_model

        model = load_model(folder)
        for row in deep_features_for_cohort(model, root, to_infer, progress=False):
            values[str(row["study_id"])] = float(row["deep_score"])
            provider = row.get("provider")
    table = pd.DataFrame({"deep_score": [values[s] for s in ids]}, index=pd.Index(ids, name="study_id"))
    provenance = {
        "artifact": folder.name,
        "manifest_sha256": sha256_file(manifest_path),
        "score": "CNN logit (log-odds)",
        "out_of_fold": len(ids) - len(to_infer),
        "inference": len(to_infer),
        "provider": provider,
        "trained_on_this_cohort": same_cohort,
    }
    return table, provenance


def load_cohort(
    cohort: Path | str,
    *,
    cache_dir: Path | str | None = None,
    radiomics: bool = True,
    settings: Any = None,
    icc_subset: int = 30,
    progress: ProgressFn | None = None,
    subset: str = "all",
    deep: Path | str | None = None,
) -> CohortTable:
    """Build the development (or validation) feature table of a cohort folder.

    Parameters
    ----------
    cohort : Path
        Cohort folder (CONTRACTS section C).
    cache_dir : Path, optional
        Feature cache (default ``<cohort>/.hsp_feature_cache``).
    radiomics : bool
        Extract spleen radiomics from the images.
    settings : optional
        Radiomics extraction settings.
    icc_subset : int
        Recipients re-extracted with perturbed masks.
    progress : callable, optional
        ``(done, total, study_id)``.
    subset : {"all", "development", "validation"}
        Recipients of that ``cohort`` column value only (a synthetic folder holds both).
    deep : Path, optional
        CNN artefact folder: adds ``deep_score`` (see :func:`deep_scores`).

    Returns
    -------
    CohortTable
        Feature table (clinical columns in dictionary units + radiomics), outcomes, replicates.
    """
    from models.features import assemble

    root = Path(cohort)
    if not root.is_dir():
        raise InputError(
            "The cohort folder does not exist",
            expected="a folder with clinical.csv and followup.csv",
            found=str(root),
            fix="check the --cohort path",
            field="cohort",
        )
    if subset not in ("all", "development", "validation"):
        raise InputError(
            "Unknown cohort subset",
            expected="all, development or validation",
            found=repr(subset),
            fix="choose one of the three",
            field="subset",
        )
    clinical, labels, excluded, outcome_summary = derive_outcomes(root)
    ids = [s for s in clinical.index if s in labels]
    if subset != "all" and "cohort" in clinical.columns:
        ids = [s for s in ids if clinical.loc[s, "cohort"] == subset]
    if not ids:
        raise InputError(
            "No recipient with a derivable outcome in the chosen subset",
            expected="at least one",
            found=f"0 of {len(clinical)} (subset {subset})",
            fix="choose another --subset or cohort",
            field="subset",
        )
    if len(set(labels.values())) < 2:
        raise InputError(
            "The cohort has no usable outcome contrast",
            expected="events and non-events among eligible recipients",
            found=f"{len(ids)} recipients, outcomes {sorted(set(labels.values()))}",
            fix="use a cohort whose 6-month follow-up is complete",
            field="followup.csv",
        )
    numeric = clinical.loc[ids].drop(columns=[c for c in ("study_id",) if c in clinical.columns])
    numeric = numeric.select_dtypes(include=[np.number])
    numeric.index.name = "study_id"
    blocks = {"clinical": numeric}
    provenance: dict[str, dict[str, Any]] = {"clinical": {"source": str(root / "clinical.csv")}}
    replicates = None
    if radiomics:
        cache = FeatureCache(Path(cache_dir) if cache_dir else root / ".hsp_feature_cache")
        rad, replicates, prov = extract_radiomics(
            root, ids, cache=cache, settings=settings, icc_subset=icc_subset, progress=progress
        )
        blocks["radiomics"] = rad
        provenance["radiomics"] = prov
    if deep is not None:
        blocks["deep"], provenance["deep"] = deep_scores(root, ids, deep)
    table = assemble(blocks, provenance)
    y = np.array([labels[s] for s in ids], dtype=np.int64)
    summary = {
        "cohort": str(root),
        "recipients_in_file": len(clinical),
        "recipients_used": len(ids),
        "subset": subset,
        "events": int(y.sum()),
        "event_rate": float(y.mean()),
        "outcome": outcome_summary,
        "sites": sorted({str(s) for s in clinical.loc[ids, "site"]}) if "site" in clinical.columns else [],
        "median_age": float(clinical.loc[ids, "age"].median()) if "age" in clinical.columns else None,
        "median_platelets": float(clinical.loc[ids, "platelets"].median())
        if "platelets" in clinical.columns
        else None,
        "median_spleen_volume_ml": float(clinical.loc[ids, "spleen_volume_ml"].median())
        if "spleen_volume_ml" in clinical.columns
        else None,
    }
    return CohortTable(
        table=table,
        y=y,
        replicates=replicates,
        outcome_definition_id=str(outcome_summary["definition_id"]),
        summary=summary,
        excluded=excluded,
    )

"""Prospective monitoring of every locked model that scored recipients: one report for the CLI, GUI and PDF.

Rules (the study protocol's estimand for the prospective arm):

* figures are computed **per locked bundle** (its manifest SHA-256), never across bundles; a recipient scored by
  two bundles counts once for each;
* only a prediction made **before the transplant date** counts (the latest such prediction of that bundle); a
  prediction made on or after the transplant date is listed and excluded;
* every figure carries its confidence interval, and the report says plainly when events are too few.

:func:`records_from_registry` reads the registry through its public methods; :func:`monitor` is a pure function of
those records, the bundles' manifests and their development reference distributions, and returns plain JSON-ready
data.  ``hsp monitor --json`` prints exactly what :func:`monitor_registry` returns, and the validation dashboard
shows the same mapping.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

#: Report format version (bump when keys change).
FORMAT = 1
#: Horizon of the primary outcome and of the competing-risk estimates (days after transplantation).
HORIZON_DAYS = 180
#: In-control false-alarm probability of each CUSUM direction over the monitored cohort.
CUSUM_FALSE_ALARM = 0.01
#: Odds ratios the two CUSUM charts are tuned to detect (more / fewer events than predicted).
CUSUM_ODDS_RATIOS = (2.0, 0.5)
CUSUM_SIMULATIONS = 4000
CUSUM_SEED = 20001
#: Events (and non-events) below which the calibration slope is declared uninformative.
MIN_EVENTS_SLOPE = 20
#: Events and non-events a subgroup needs before its AUC is shown.
MIN_SUBGROUP_PER_CLASS = 5
#: Drift alarm: PSI at least this (a "major shift" by convention) and significant at DRIFT_ALPHA / inputs.
PSI_ALARM = 0.25
DRIFT_ALPHA = 0.01
#: Out-of-range alarm: more than this share of recipients outside the development range, and at least 3.
OUT_OF_RANGE_ALARM = 0.10
#: Acquisition metadata compared with the development cohort's.
ACQUISITION_KEYS = ("manufacturer", "kernel", "slice_thickness_mm", "phase")
#: Inputs whose distribution is compared (PSI) when the bundle uses them; Rad-score inputs are added per bundle.
PSI_CLINICAL = ("platelets", "spleen_volume_ml")


# ----------------------------------------------------------------------------------------------------- records
def _day(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    return dt.date.fromisoformat(str(value)[:10])


def acquisition_of(ct_path: str | Path | None) -> dict[str, Any] | None:
    """Scanner / protocol metadata of a CT series folder (first DICOM file's header); None when not DICOM."""
    if not ct_path:
        return None
    path = Path(ct_path)
    candidates: list[Path] = []
    if path.is_dir():
        candidates = sorted(p for p in path.iterdir() if p.is_file())[:5]
    elif path.is_file() and not path.name.endswith((".nii", ".nii.gz", ".nrrd", ".mha", ".mhd")):
        candidates = [path]
    if not candidates:
        return None
    import pydicom
    from pydicom.errors import InvalidDicomError

    for f in candidates:
        try:
            ds = pydicom.dcmread(f, stop_before_pixels=True)
        except (InvalidDicomError, OSError):
            continue
        thickness = ds.get("SliceThickness")
        return {
            "manufacturer": str(ds.get("Manufacturer", "") or ""),
            "kernel": str(ds.get("ConvolutionKernel", "") or ""),
            "slice_thickness_mm": float(thickness) if thickness not in (None, "") else None,
            "phase": str(ds.get("ContrastBolusAgentPhase", "") or ""),
        }
    return None


def _ct_path_of(studies: Sequence[Mapping[str, Any]], preds: Sequence[Mapping[str, Any]]) -> str | None:
    """CT path of the imaging study behind the recipient's latest prediction that names one."""
    by_id = {s.get("id"): s for s in studies}
    for p in reversed(preds):
        study = by_id.get((p.get("output") or {}).get("imaging_id"))
        if study is not None and study.get("ct_path"):
            return str(study["ct_path"])
    return None


def attach_acquisition(records: Sequence[dict[str, Any]]) -> None:
    """Read each record's scanner metadata from its CT series header (file reads: run off the GUI thread)."""
    for r in records:
        if r.get("acquisition") is None and r.get("ct_path"):
            r["acquisition"] = acquisition_of(r["ct_path"])


def records_from_registry(registry: Any) -> list[dict[str, Any]]:
    """One plain record per recipient with at least one prediction (registry public methods only)."""
    out = []
    for row in registry.worklist(limit=None):
        sid = str(row["study_id"])
        preds = registry.predictions(sid)
        if not preds:
            continue
        rec = registry.get_recipient(sid)
        outcome = registry.outcome(sid)
        visits = registry.followups(sid)
        components = (outcome.get("secondary") or {}).get("components") or {}
        competing = next(
            (str(f).split(":", 1)[1] for f in outcome.get("flags", []) if str(f).startswith("competing:")),
            None,
        )
        tx = _day(rec.get("transplant_date"))
        days = [int(v["day"]) for v in visits if v.get("day") is not None]
        studies = registry.imaging_studies(sid)
        out.append(
            {
                "study_id": sid,
                "transplant_date": None if tx is None else tx.isoformat(),
                "site": rec.get("site"),
                "sex": rec.get("sex"),
                "hcc": rec.get("hcc"),
                "outcome": outcome.get("status"),
                "flags": list(outcome.get("flags") or []),
                "event_day": components.get("event_day"),
                "competing_event": competing,
                "last_day": max(days) if days else None,
                "secondary": {k: v for k, v in (outcome.get("secondary") or {}).items() if k != "components"},
                "baseline": {k: rec.get(k) for k in ("platelets", "wbc", "spleen_volume_ml")},
                "visits": [
                    {k: v.get(k) for k in ("day", "platelets", "wbc", "spleen_volume_ml")}
                    for v in sorted(visits, key=lambda v: int(v.get("day") or 0))
                ],
                "predictions": [
                    {
                        "id": p["id"],
                        "manifest_sha256": p["manifest_sha256"],
                        "model_id": p["model_id"],
                        "probability": float(p["probability"]),
                        "band": p.get("band"),
                        "created_at": p["created_at"],
                        "features": dict((p.get("output") or {}).get("features") or {}),
                        "imaging_id": (p.get("output") or {}).get("imaging_id"),
                    }
                    for p in preds
                ],
                "acquisition": None,
                "ct_path": _ct_path_of(studies, preds),
            }
        )
    return out


# ---------------------------------------------------------------------------------------------- references
def build_reference(
    table: Any, names: Sequence[str], acquisitions: Iterable[Mapping[str, Any] | None], source: str
) -> dict[str, Any]:
    """A development reference: quantile bins of each input and the set of acquisition metadata values."""
    from models.monitoring import reference_bins

    inputs = {}
    for n in names:
        if n in table.columns:
            vals = np.asarray(table[n], dtype=np.float64)
            if np.isfinite(vals).sum() >= 10:
                inputs[n] = reference_bins(vals)
    acq: dict[str, list[Any]] = {k: [] for k in ACQUISITION_KEYS}
    for a in acquisitions:
        if not a:
            continue
        for k in ACQUISITION_KEYS:
            v = a.get(k)
            if v not in (None, "") and v not in acq[k]:
                acq[k].append(v)
    return {"source": source, "inputs": inputs, "acquisition": acq}


def reference_file(data_dir: Path, manifest_sha256: str) -> Path:
    """Where ``hsp monitor --reference`` keeps a bundle's development reference."""
    return Path(data_dir) / "monitoring" / f"reference-{manifest_sha256[:16]}.json"


def load_reference(manifest: Mapping[str, Any], sha: str, data_dir: Path | None) -> dict[str, Any] | None:
    """The bundle's development reference: its manifest's ``monitoring_reference``, else the stored file."""
    ref = manifest.get("monitoring_reference")
    if isinstance(ref, dict):
        return ref
    if data_dir is not None:
        f = reference_file(data_dir, sha)
        if f.is_file():
            loaded: dict[str, Any] = json.loads(f.read_text(encoding="utf-8"))
            return loaded
    return None


def bundle_index(data_dir: Path | None, extra: Iterable[Path] = ()) -> dict[str, tuple[Path, dict[str, Any]]]:
    """Manifest SHA-256 -> (folder, manifest) of every bundle on the workstation (shipped, installed, extra)."""
    from hsp_desktop.modelstore import SHIPPED, list_model_dirs
    from models.bundle import sha256_file

    folders = list_model_dirs(data_dir) if data_dir is not None else []
    if data_dir is None and SHIPPED.is_dir():
        folders = [p for p in sorted(SHIPPED.iterdir()) if (p / "manifest.json").is_file()]
    out = {}
    for folder in [*folders, *extra]:
        mpath = Path(folder) / "manifest.json"
        if mpath.is_file():
            out[sha256_file(mpath)] = (Path(folder), json.loads(mpath.read_text(encoding="utf-8")))
    return out


# -------------------------------------------------------------------------------------------------- figures
def _num(v: float | None, nd: int = 6) -> float | None:
    return None if v is None or not math.isfinite(float(v)) else round(float(v), nd)


def _performance(y: np.ndarray, p: np.ndarray, thresholds: Sequence[float]) -> dict[str, Any]:
    from models.metrics import auc_delong, brier_score, calibration, decision_curve
    from models.monitoring import observed_expected

    events, n = int(y.sum()), int(y.size)
    out: dict[str, Any] = {"n": n, "events": events, "notes": []}
    if n == 0:
        out["notes"].append("No recipient with a known 6-month outcome yet.")
        return out
    oe = observed_expected(y, p)
    out["observed_expected"] = {k: _num(v) for k, v in oe.as_dict().items()}
    out["brier"] = _num(brier_score(y, p))
    if events >= 2 and n - events >= 2:
        auc = auc_delong(y, p)
        out["auc"] = {"auc": _num(auc.auc), "ci": [_num(auc.ci_low), _num(auc.ci_high)]}
        cal = calibration(y, p)
        out["calibration"] = {
            "intercept": _num(cal.intercept),
            "intercept_ci": [_num(cal.intercept_ci[0]), _num(cal.intercept_ci[1])],
            "slope": _num(cal.slope),
            "slope_ci": [_num(cal.slope_ci[0]), _num(cal.slope_ci[1])],
            "slope_informative": min(events, n - events) >= MIN_EVENTS_SLOPE,
        }
        if min(events, n - events) < MIN_EVENTS_SLOPE:
            out["notes"].append(
                f"{min(events, n - events)} {'events' if events <= n - events else 'non-events'}: too few for the "
                f"calibration slope to be informative (at least {MIN_EVENTS_SLOPE} needed); its CI is shown, "
                "judge calibration by O/E and calibration-in-the-large."
            )
        dc = decision_curve(y, p, thresholds=list(thresholds))
        out["net_benefit"] = [
            {"threshold": _num(t), "model": _num(m), "treat_all": _num(a)}
            for t, m, a in zip(dc.thresholds, dc.model, dc.treat_all, strict=True)
        ]
    else:
        out["notes"].append(
            f"Too few outcomes for AUC and calibration ({events} events, {n - events} non-events; at least 2 of "
            "each needed)."
        )
    return out


def _subgroups(rows: list[dict[str, Any]], y: np.ndarray, p: np.ndarray) -> list[dict[str, Any]]:
    from models.metrics import auc_delong
    from models.monitoring import observed_expected

    out = []
    for key, label in (("sex", "sex"), ("hcc", "HCC"), ("site", "site")):
        values = sorted({str(r.get(key)) for r in rows if r.get(key) not in (None, "")})
        if len(values) < 2:
            continue
        for v in values:
            idx = np.array([str(r.get(key)) == v for r in rows])
            yy, pp = y[idx], p[idx]
            ev = int(yy.sum())
            entry: dict[str, Any] = {"variable": label, "value": v, "n": int(idx.sum()), "events": ev}
            if idx.sum():
                oe = observed_expected(yy, pp)
                entry["observed_expected"] = [_num(oe.ratio), _num(oe.ci_low), _num(oe.ci_high)]
            if ev >= MIN_SUBGROUP_PER_CLASS and yy.size - ev >= MIN_SUBGROUP_PER_CLASS:
                auc = auc_delong(yy, pp)
                entry["auc"] = [_num(auc.auc), _num(auc.ci_low), _num(auc.ci_high)]
            else:
                entry["note"] = f"AUC needs at least {MIN_SUBGROUP_PER_CLASS} events and non-events"
            out.append(entry)
    return out


def _cusum(rows: list[dict[str, Any]], y: np.ndarray, p: np.ndarray) -> list[dict[str, Any]]:
    from models.monitoring import risk_adjusted_cusum

    charts = []
    dates = [r["transplant_date"] for r in rows]
    for ratio in CUSUM_ODDS_RATIOS:
        res = risk_adjusted_cusum(y, p, ratio, CUSUM_FALSE_ALARM, n_sim=CUSUM_SIMULATIONS, seed=CUSUM_SEED)
        k = res.alarm_index
        charts.append(
            {
                "odds_ratio": ratio,
                "detects": "more events than predicted" if ratio > 1 else "fewer events than predicted",
                "limit": _num(res.limit),
                "false_alarm": res.false_alarm,
                "dates": dates,
                "study_ids": [r["study_id"] for r in rows],
                "path": [_num(v) for v in res.path],
                "alarm": k is not None,
                "alarm_date": None if k is None else dates[k],
                "alarm_study_id": None if k is None else rows[k]["study_id"],
            }
        )
    return charts


def _drift(
    scored: list[tuple[dict[str, Any], dict[str, Any]]],
    manifest: Mapping[str, Any],
    reference: Mapping[str, Any] | None,
) -> dict[str, Any]:
    from models.monitoring import population_stability

    features = {str(f["name"]): f for f in manifest.get("features", [])}
    out_range = []
    for name, f in features.items():
        vals = [p["features"].get(name) for _, p in scored]
        vals = [float(v) for v in vals if v is not None and math.isfinite(float(v))]
        lo, hi = f.get("train_min"), f.get("train_max")
        if not vals or lo is None or hi is None:
            continue
        outside = sum(1 for v in vals if v < float(lo) or v > float(hi))
        share = outside / len(vals)
        out_range.append(
            {
                "input": name,
                "n": len(vals),
                "outside": outside,
                "share": _num(share),
                "range": [float(lo), float(hi)],
                "alarm": share > OUT_OF_RANGE_ALARM and outside >= 3,
            }
        )
    psi = []
    acquisition: list[dict[str, Any]] = []
    if reference is None:
        note = (
            "No development reference distribution for this bundle: PSI and scanner comparison not computed "
            "(run `hsp monitor --reference <development cohort folder>` once)."
        )
    else:
        note = f"Reference: {reference.get('source', 'development cohort')}."
        rad_inputs = [n for n, f in features.items() if f.get("block") == "radiomics"]
        wanted = [n for n in (*PSI_CLINICAL, *rad_inputs) if n in reference.get("inputs", {})]
        for name in wanted:
            vals = [p["features"].get(name) for _, p in scored]
            arr = np.asarray([float(v) for v in vals if v is not None], dtype=np.float64)
            res = population_stability(arr, reference["inputs"][name])
            psi.append(
                {
                    "input": name,
                    "n": res.n,
                    "psi": _num(res.psi),
                    "p_value": _num(res.p_value),
                    "alarm": bool(
                        res.n > 0 and res.psi >= PSI_ALARM and res.p_value < DRIFT_ALPHA / max(1, len(wanted))
                    ),
                }
            )
        known = reference.get("acquisition", {})
        for key in ACQUISITION_KEYS:
            seen: dict[str, list[str]] = {}
            for rec, _ in scored:
                a = rec.get("acquisition") or {}
                v = a.get(key)
                if v in (None, ""):
                    continue
                seen.setdefault(str(v), []).append(rec["study_id"])
            ref_values = [str(v) for v in known.get(key, [])]
            for value, ids in sorted(seen.items()):
                if key == "slice_thickness_mm" and ref_values:
                    nums = [float(v) for v in ref_values]
                    new = not (min(nums) <= float(value) <= max(nums))
                else:
                    new = value not in ref_values
                if new:
                    acquisition.append(
                        {
                            "field": key,
                            "value": value,
                            "recipients": len(ids),
                            "study_ids": ids,
                            "alarm": True,
                        }
                    )
    return {"note": note, "out_of_range": out_range, "psi": psi, "new_acquisition": acquisition}


def _time_to_event(rec: Mapping[str, Any]) -> tuple[float, int] | None:
    """(time, status) for the competing-risk estimates; None when the outcome cannot be placed in time."""
    from models.monitoring import CENSORED, COMPETING, EVENT

    status = rec.get("outcome")
    last = rec.get("last_day")
    if status in (1, "1"):
        return float(HORIZON_DAYS), EVENT
    if status in (0, "0"):
        return float(max(int(last or 0), HORIZON_DAYS + 1)), CENSORED
    if status == "competing":
        day = rec.get("event_day")
        return (float(day), COMPETING) if day is not None else None
    if (
        status == "excluded"
    ):  # protocol exclusion after baseline (splenic-artery intervention): not in the estimand
        return None
    return float(last or 0), CENSORED


def _competing(rows: list[dict[str, Any]], p: np.ndarray, bands: list[str]) -> dict[str, Any]:
    from models.monitoring import aalen_johansen, ipcw_accuracy

    tte = [_time_to_event(r) for r in rows]
    keep = [i for i, v in enumerate(tte) if v is not None]
    if not keep:
        return {"note": "No recipient with follow-up yet."}
    t = np.array([tte[i][0] for i in keep], dtype=np.float64)  # type: ignore[index]
    s = np.array([tte[i][1] for i in keep], dtype=np.int64)  # type: ignore[index]
    pp, bb = p[keep], [bands[i] for i in keep]
    overall = aalen_johansen(t, s)
    out: dict[str, Any] = {
        "horizon_days": HORIZON_DAYS,
        "n": int(t.size),
        "events": overall.events,
        "competing": overall.competing,
        "censored": int(np.sum(s == 0)),
        "cif_at_horizon": _num(overall.at(HORIZON_DAYS)),
        "curve": {"times": list(overall.times), "cif": [_num(v) for v in overall.cif]},
        "by_band": [],
        "note": (
            "Outcome ascertained at day 180 (refractory hypersplenism is a 6-month state); death and "
            "re-transplantation before the window compete; recipients still pending are censored at their last visit."
        ),
    }
    for band in ("low", "intermediate", "high"):
        idx = [i for i, b in enumerate(bb) if b == band]
        if idx:
            est = aalen_johansen(t[idx], s[idx])
            out["by_band"].append(
                {
                    "band": band,
                    "n": len(idx),
                    "events": est.events,
                    "cif_at_horizon": _num(est.at(HORIZON_DAYS)),
                }
            )
    if np.any((s == 1) & (t <= HORIZON_DAYS)):
        acc = ipcw_accuracy(t, s, pp, HORIZON_DAYS)
        out["ipcw"] = {"auc": _num(acc.auc), "brier": _num(acc.brier)}
    return out


def _trajectories(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    from models.monitoring import summary_quantiles

    per = []
    for r in records:
        series: dict[str, list[list[float]]] = {}
        for key in ("platelets", "wbc", "spleen_volume_ml"):
            pts = []
            if r.get("baseline", {}).get(key) is not None:
                pts.append([0.0, float(r["baseline"][key])])
            for v in r.get("visits", []):
                if v.get(key) is not None and v.get("day") is not None:
                    pts.append([float(v["day"]), float(v[key])])
            series[key] = pts
        per.append({"study_id": r["study_id"], **series})
    secondary = [r.get("secondary") or {} for r in records]
    summaries = {
        k: summary_quantiles([s.get(k) for s in secondary])
        for k in ("pct_change_plt", "pct_change_wbc", "sv_ratio", "days_to_plt_100")
    }
    grades: dict[str, int] = {}
    for s in secondary:
        g = s.get("recovery_grade")
        if g:
            grades[str(g)] = grades.get(str(g), 0) + 1
    return {"recipients": per, "summaries": summaries, "recovery_grades": grades}


# ------------------------------------------------------------------------------------------------- the report
def monitor(
    records: Sequence[Mapping[str, Any]],
    bundles: Mapping[str, tuple[Path, Mapping[str, Any]]],
    references: Mapping[str, Mapping[str, Any] | None],
    *,
    as_of: str | None = None,
) -> dict[str, Any]:
    """The monitoring report of every bundle that scored a recipient.

    Parameters
    ----------
    records : sequence of mapping
        From :func:`records_from_registry`.
    bundles : mapping
        Manifest SHA-256 -> (folder, manifest) (:func:`bundle_index`).
    references : mapping
        Manifest SHA-256 -> development reference (or None).
    as_of : str, optional
        Date stamp of the report.

    Returns
    -------
    dict
        JSON-ready: ``counts``, ``bundles`` (one entry per manifest hash), ``alarms``, ``trajectories``.
    """
    shas: list[str] = []
    for r in records:
        for p in r["predictions"]:
            if p["manifest_sha256"] not in shas:
                shas.append(p["manifest_sha256"])
    outcome_known = [r for r in records if r.get("outcome") in (0, 1, "0", "1")]
    report: dict[str, Any] = {
        "format": FORMAT,
        "as_of": as_of,
        "settings": {
            "horizon_days": HORIZON_DAYS,
            "cusum_false_alarm_per_direction": CUSUM_FALSE_ALARM,
            "cusum_odds_ratios": list(CUSUM_ODDS_RATIOS),
            "cusum_simulations": CUSUM_SIMULATIONS,
            "psi_alarm": PSI_ALARM,
            "drift_alpha": DRIFT_ALPHA,
            "out_of_range_alarm": OUT_OF_RANGE_ALARM,
            "min_events_slope": MIN_EVENTS_SLOPE,
        },
        "counts": {
            "scored": len(records),
            "with_outcome": len(outcome_known),
            "events": sum(1 for r in outcome_known if r["outcome"] in (1, "1")),
            "pending": sum(1 for r in records if r.get("outcome") in (None, "pending")),
            "competing": sum(1 for r in records if r.get("outcome") == "competing"),
            "excluded": sum(1 for r in records if r.get("outcome") == "excluded"),
        },
        "bundles": [],
        "alarms": [],
        "trajectories": _trajectories(records),
    }
    for sha in shas:
        folder, manifest = bundles.get(sha, (None, {}))
        name = str(manifest.get("name", "unknown bundle"))
        version = str(manifest.get("version", "?"))
        thresholds = [float(t) for t in (manifest.get("bands") or {}).get("thresholds", [0.15, 0.4])]
        scored: list[tuple[dict[str, Any], dict[str, Any]]] = []
        excluded = []
        for r in records:
            mine = [p for p in r["predictions"] if p["manifest_sha256"] == sha]
            if not mine:
                continue
            tx = _day(r.get("transplant_date"))
            before = [p for p in mine if tx is not None and _day(p["created_at"]) < tx]  # type: ignore[operator]
            for p in mine:
                if p not in before:
                    excluded.append(
                        {
                            "study_id": r["study_id"],
                            "prediction_id": p["id"],
                            "created_at": p["created_at"],
                            "transplant_date": r.get("transplant_date"),
                            "reason": "no transplant date"
                            if tx is None
                            else "made on or after the transplant date",
                        }
                    )
            if before:
                scored.append((dict(r), before[-1]))
        scored.sort(key=lambda rp: (str(rp[0].get("transplant_date")), rp[0]["study_id"]))
        known = [(r, p) for r, p in scored if r.get("outcome") in (0, 1, "0", "1")]
        y = np.array([int(r["outcome"]) for r, _ in known], dtype=np.int64)
        p = np.array([float(q["probability"]) for _, q in known], dtype=np.float64)
        rows = [r for r, _ in known]
        entry: dict[str, Any] = {
            "manifest_sha256": sha,
            "name": name,
            "version": version,
            "folder": None if folder is None else str(folder),
            "parent_sha256": (manifest.get("update") or {}).get("parent_sha256"),
            "update_method": (manifest.get("update") or {}).get("method"),
            "band_thresholds": thresholds,
            "counts": {
                "scored_before_transplant": len(scored),
                "with_outcome": len(known),
                "events": int(y.sum()),
                "pending": sum(1 for r, _ in scored if r.get("outcome") in (None, "pending")),
                "competing": sum(1 for r, _ in scored if r.get("outcome") == "competing"),
                "outcome_excluded": sum(1 for r, _ in scored if r.get("outcome") == "excluded"),
                "excluded_predictions": len(excluded),
            },
            "excluded": excluded,
            "performance": _performance(y, p, thresholds),
            "bands": [],
            "subgroups": _subgroups(rows, y, p),
            "cusum": _cusum(rows, y, p) if len(rows) else [],
            "drift": _drift(scored, manifest, references.get(sha)),
            "competing_risks": _competing(
                [r for r, _ in scored],
                np.array([float(q["probability"]) for _, q in scored], dtype=np.float64),
                [str(q.get("band")) for _, q in scored],
            ),
            "outcomes": [
                {
                    "study_id": r["study_id"],
                    "transplant_date": r["transplant_date"],
                    "y": int(yy),
                    "p": _num(pp),
                }
                for r, yy, pp in zip(rows, y, p, strict=True)
            ],
        }
        if manifest == {}:
            entry["performance"]["notes"].append("The bundle is not installed on this workstation.")
        for band in ("low", "intermediate", "high"):
            idx = [i for i, (_, q) in enumerate(known) if q.get("band") == band]
            if idx:
                entry["bands"].append(
                    {
                        "band": band,
                        "n": len(idx),
                        "events": int(y[idx].sum()),
                        "mean_predicted": _num(float(p[idx].mean())),
                        "observed": _num(float(y[idx].mean())),
                    }
                )
        label = f"{name} {version}"
        for chart in entry["cusum"]:
            if chart["alarm"]:
                report["alarms"].append(
                    {
                        "kind": "calibration",
                        "bundle": label,
                        "manifest_sha256": sha,
                        "date": chart["alarm_date"],
                        "message": f"CUSUM ({chart['detects']}) crossed its limit {chart['limit']:.2f} at the "
                        f"recipient transplanted {chart['alarm_date']} ({chart['alarm_study_id']})",
                    }
                )
        for item in entry["drift"]["psi"]:
            if item["alarm"]:
                report["alarms"].append(
                    {
                        "kind": "drift",
                        "bundle": label,
                        "manifest_sha256": sha,
                        "date": None,
                        "message": f"{item['input']}: PSI {item['psi']:.2f} against the development cohort "
                        f"(p = {item['p_value']:.2g})",
                    }
                )
        for item in entry["drift"]["out_of_range"]:
            if item["alarm"]:
                report["alarms"].append(
                    {
                        "kind": "drift",
                        "bundle": label,
                        "manifest_sha256": sha,
                        "date": None,
                        "message": f"{item['input']}: {item['outside']} of {item['n']} recipients outside the "
                        f"development range {item['range'][0]:g}-{item['range'][1]:g}",
                    }
                )
        for item in entry["drift"]["new_acquisition"]:
            report["alarms"].append(
                {
                    "kind": "scanner",
                    "bundle": label,
                    "manifest_sha256": sha,
                    "date": None,
                    "message": f"new {item['field'].replace('_', ' ')} {item['value']!r} since development "
                    f"({item['recipients']} recipients)",
                }
            )
        report["bundles"].append(entry)
    return report


def monitor_records(
    records: list[dict[str, Any]],
    data_dir: Path | None,
    *,
    extra_bundles: Iterable[Path] = (),
    as_of: str | None = None,
) -> dict[str, Any]:
    """Scanner metadata, bundles and references for ``records``, then :func:`monitor` (no registry access)."""
    attach_acquisition(records)
    bundles = bundle_index(data_dir, extra_bundles)
    references = {sha: load_reference(m, sha, data_dir) for sha, (_, m) in bundles.items()}
    return monitor(records, bundles, references, as_of=as_of or dt.date.today().isoformat())


def monitor_registry(
    registry: Any, data_dir: Path | None, *, extra_bundles: Iterable[Path] = (), as_of: str | None = None
) -> dict[str, Any]:
    """The monitoring report of a registry (what ``hsp monitor --json`` prints and the dashboard shows)."""
    return monitor_records(
        records_from_registry(registry), data_dir, extra_bundles=extra_bundles, as_of=as_of
    )

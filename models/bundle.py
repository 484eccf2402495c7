"""The locked model bundle (CONTRACTS section F): save, strict load, and prediction without scikit-learn.

A bundle is a folder::

    manifest.json        name, version, bundle format, SHA-256 of every other file, library versions, ordered
                         feature list (block, unit, label, training range, hard range), risk bands with the
                         development cohort's observed events per band, training-cohort summary, every validation
                         metric with CIs, outcome-definition id, intended use
    model.json           the fitted pipeline as plain coefficients (never pickle): clinical transforms and
                         imputation medians, the linear Rad-score/DL-score, meta-learner coefficients + covariance
    figures/*.png|svg    ROC with CI band, calibration curve, decision curve

Loading verifies every file's hash and the format/library versions, and refuses a feature table with missing,
extra or reordered columns (listing them).  ``LockedModel.predict`` gives probability, 95% CI (delta method on the
log-odds scale with the meta-learner's covariance; the selection/Rad-score uncertainty is not propagated), band and
exact log-odds contributions.
"""

from __future__ import annotations

import json
import math
import os
import platform
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from hsp_desktop.errors import ModelArtefactError, Problem, ValidationError
from models.features import CLINICAL_UNITS, block_of
from models.filehashes import file_problems
from models.filehashes import sha256_file as sha256_file  # re-exported: callers import it from here

BUNDLE_FORMAT = 1
MODEL_FILE = "model.json"
MANIFEST_FILE = "manifest.json"
BANDS = ("low", "intermediate", "high")
#: Clinical inputs that must be measured (never imputed) for a prediction.
REQUIRED_INPUTS = frozenset({"platelets", "spleen_volume_ml", "wbc", "deep_score"})


def library_versions() -> dict[str, str]:
    """Versions of the libraries a bundle was built with."""
    import scipy
    import sklearn

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "pandas": pd.__version__,
        "scikit-learn": sklearn.__version__,
    }


def band_of(probability: float, thresholds: Sequence[float]) -> str:
    """Risk band of a probability.

    Parameters
    ----------
    probability : float
        Predicted risk.
    thresholds : sequence of two floats
        Low/intermediate and intermediate/high cut-offs.

    Returns
    -------
    str
        ``"low"``, ``"intermediate"`` or ``"high"``.
    """
    lo, hi = thresholds
    return "low" if probability < lo else ("intermediate" if probability < hi else "high")


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating | float):
        v = float(obj)
        return v if math.isfinite(v) else None
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def _dump(obj: Any, path: Path) -> None:
    path.write_text(
        json.dumps(_jsonable(obj), indent=1, sort_keys=False, allow_nan=False) + "\n", encoding="utf-8"
    )


def save_bundle(
    out: Path | str,
    model_spec: Mapping[str, Any],
    *,
    name: str,
    version: str,
    features: Sequence[Mapping[str, Any]],
    band_thresholds: Sequence[float],
    band_observed: Mapping[str, Mapping[str, Any]],
    training_summary: Mapping[str, Any],
    validation: Mapping[str, Any],
    outcome_definition_id: str,
    intended_use: str,
    figures: Sequence[Path] = (),
    extra: Mapping[str, Any] | None = None,
    overwrite: bool = False,
) -> Path:
    """Write a bundle atomically (into a temporary sibling folder, then renamed).

    Parameters
    ----------
    out : Path
        Bundle folder to create.
    model_spec : mapping
        Coefficients from :meth:`models.multimodal.MultimodalRiskModel.to_dict`.
    name, version : str
        Model identity.
    features : sequence of mapping
        Ordered input features (``name``, ``block``, ``unit``, ``label``, ``train_min``, ``train_max`` ...).
    band_thresholds : sequence of two floats
        Risk-band cut-offs.
    band_observed : mapping
        Band -> ``{"n", "events", "rate"}`` in the development cohort.
    training_summary : mapping
        Cohort description.
    validation : mapping
        Every validation metric with CIs.
    outcome_definition_id : str
        Outcome definition the labels were derived with.
    intended_use : str
        Intended-use statement.
    figures : sequence of Path
        Figure files to copy into ``figures/``.
    extra : mapping, optional
        More manifest fields (radiomics settings, deep artefact...).
    overwrite : bool
        Replace an existing bundle.

    Returns
    -------
    Path
        The bundle folder.
    """
    out = Path(out)
    if out.exists() and not overwrite:
        raise ModelArtefactError(
            "A model bundle already exists there",
            expected="a new folder",
            found=str(out),
            fix="choose another --out name or pass --overwrite",
            field="out",
        )
    lo, hi = (float(t) for t in band_thresholds)
    if not 0 < lo < hi < 1:
        raise ValueError(f"band thresholds must satisfy 0 < low < high < 1 (found {lo}, {hi})")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        os.chmod(tmp, 0o755)  # mkdtemp makes it private; a bundle is read by every user of the workstation
        _dump(model_spec, tmp / MODEL_FILE)
        (tmp / "figures").mkdir()
        for fig in figures:
            shutil.copyfile(fig, tmp / "figures" / Path(fig).name)
        files = {p.relative_to(tmp).as_posix(): sha256_file(p) for p in sorted(tmp.rglob("*")) if p.is_file()}
        manifest: dict[str, Any] = {
            "name": name,
            "version": version,
            "bundle_format": BUNDLE_FORMAT,
            "kind": "risk-model",
            "model_kind": model_spec.get("kind"),
            "files": files,
            "versions": library_versions(),
            "features": [dict(f) for f in features],
            "bands": {
                "thresholds": [lo, hi],
                "observed": {b: dict(band_observed[b]) for b in BANDS if b in band_observed},
                "source": "development cohort, nested cross-validation out-of-fold predictions",
            },
            "training": dict(training_summary),
            "validation": dict(validation),
            "outcome_definition_id": outcome_definition_id,
            "intended_use": intended_use,
        }
        if extra:
            manifest.update(dict(extra))
        _dump(manifest, tmp / MANIFEST_FILE)
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


@dataclass(frozen=True)
class Prediction:
    """One recipient's prediction from a locked model."""

    probability: float
    ci_low: float
    ci_high: float
    band: str
    contributions: list[tuple[str, str, float | None, float]]
    log_odds: float
    baseline_log_odds: float
    imputed: list[str] = field(default_factory=list)
    outside_training_range: list[str] = field(default_factory=list)


class LockedModel:
    """A verified bundle: ordered ``feature_names``, ``manifest``, ``sha256`` (of the manifest) and ``predict``."""

    def __init__(self, path: Path, manifest: dict[str, Any], spec: dict[str, Any], sha256: str) -> None:
        self.path = path
        self.manifest = manifest
        self.spec = spec
        self.sha256 = sha256
        self.name = str(manifest["name"])
        self.version = str(manifest["version"])
        self.feature_names: list[str] = [str(f["name"]) for f in manifest["features"]]
        self._features = {str(f["name"]): f for f in manifest["features"]}
        meta = spec["meta"]
        self._terms = list(meta["terms"])
        self._intercept = float(meta["intercept"])
        self._coef = np.asarray(meta["coef"], dtype=np.float64)
        self._cov = np.asarray(meta["cov"], dtype=np.float64)
        self._means = np.asarray(meta["term_means"], dtype=np.float64)
        # bootstrap-of-the-procedure widening of the Wald interval (absent in older bundles: 1)
        self._inflation = float(meta.get("interval_inflation") or 1.0)
        self.band_thresholds = tuple(float(t) for t in manifest["bands"]["thresholds"])

    def check_columns(self, table: pd.DataFrame) -> None:
        """Refuse missing, extra or reordered columns, listing them.

        Parameters
        ----------
        table : pandas.DataFrame
            Feature table.

        Raises
        ------
        ModelArtefactError
            Naming the missing and extra columns, or the first out-of-order position.
        """
        cols = [str(c) for c in table.columns]
        missing = [c for c in self.feature_names if c not in cols]
        extra = [c for c in cols if c not in self._features]
        if missing or extra:
            raise ModelArtefactError(
                f"The feature table does not match model {self.name} {self.version}",
                expected=f"exactly the {len(self.feature_names)} columns of the manifest, in order",
                found=f"missing {missing or 'none'}; extra {extra or 'none'}",
                fix="build the table with the model's feature list (table[model.feature_names])",
                field="features",
            )
        if cols != self.feature_names:
            pos = next(i for i, (a, b) in enumerate(zip(cols, self.feature_names, strict=True)) if a != b)
            raise ModelArtefactError(
                f"The feature table's columns are in another order than model {self.name} expects",
                expected=f"column {pos} = {self.feature_names[pos]!r}",
                found=repr(cols[pos]),
                fix="reorder with table[model.feature_names]",
                field="features",
            )

    def _values(self, table: pd.DataFrame) -> pd.DataFrame:
        problems = []
        frame = pd.DataFrame(index=table.index)
        for name in self.feature_names:
            col = pd.to_numeric(table[name], errors="coerce")
            bad = table[name].notna() & col.isna()
            for i in np.flatnonzero(bad.to_numpy()):
                problems.append(
                    Problem(name, table[name].iloc[i], "not a number", "enter a numeric value", row=int(i))
                )
            rng = self._features[name].get("hard_range")
            if rng is not None:
                lo, hi = float(rng[0]), float(rng[1])
                out = col.notna() & ((col < lo) | (col > hi))
                for i in np.flatnonzero(out.to_numpy()):
                    problems.append(
                        Problem(
                            name,
                            float(col.iloc[i]),
                            f"outside the plausible range {lo:g}-{hi:g} {self._features[name].get('unit', '')}",
                            "check the value and its unit",
                            row=int(i),
                        )
                    )
            if name in REQUIRED_INPUTS:
                for i in np.flatnonzero(col.isna().to_numpy()):
                    problems.append(
                        Problem(name, None, "required by the model", "measure and enter it", row=int(i))
                    )
            frame[name] = col.astype(np.float64)
        if problems:
            raise ValidationError(
                f"{len(problems)} input problem(s) for model {self.name}", problems=problems, field="features"
            )
        return frame

    def design(self, frame: pd.DataFrame) -> np.ndarray:
        """Meta-learner design matrix (one column per term) of a validated value table."""
        cols = []
        for c in self.spec["clinical"]:
            v = frame[c["name"]].to_numpy(dtype=np.float64)
            v = np.log2(np.maximum(v, 1e-3)) if c["transform"] == "log2" else v
            cols.append(np.where(np.isnan(v), float(c["median"]), v))
        for s in self.spec["scores"]:
            x = frame[s["inputs"]].to_numpy(dtype=np.float64) if s["inputs"] else np.zeros((len(frame), 0))
            x = np.where(np.isnan(x), np.asarray(s["medians"], dtype=np.float64), x)
            cols.append(float(s["intercept"]) + x @ np.asarray(s["coef"], dtype=np.float64))
        deep = self.spec.get("deep_score")
        if deep:
            z = frame["deep_score"].to_numpy(dtype=np.float64)
            # "identity": the CNN's logit as it comes (format of every bundle with a DL-score); "logit": a
            # probability input, kept readable for bundles that declared one
            cols.append(special.logit(np.clip(z, 1e-4, 1 - 1e-4)) if deep.get("transform") == "logit" else z)
        return np.column_stack(cols)

    def predict(self, table: pd.DataFrame) -> list[Prediction]:
        """Predict every row of a feature table.

        Parameters
        ----------
        table : pandas.DataFrame
            Exactly ``feature_names`` as columns, in order (dictionary units).

        Returns
        -------
        list of Prediction
            Probability, delta-method 95% CI, band, exact log-odds contributions per row.
        """
        self.check_columns(table)
        frame = self._values(table)
        M = self.design(frame)
        eta = self._intercept + M @ self._coef
        g = np.column_stack([np.ones(len(M)), M])
        se = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", g, self._cov, g), 0, None)) * self._inflation
        baseline = float(self._intercept + self._means @ self._coef)
        contrib = (M - self._means) * self._coef
        labels = self._term_labels()
        out = []
        for i in range(len(M)):
            imputed = [n for n in self.feature_names if math.isnan(float(frame[n].iloc[i]))]
            outside = []
            for n in self.feature_names:
                v = float(frame[n].iloc[i])
                f = self._features[n]
                if (
                    not math.isnan(v)
                    and f.get("train_min") is not None
                    and (v < float(f["train_min"]) or v > float(f["train_max"]))
                ):
                    outside.append(n)
            items: list[tuple[str, str, float | None, float]] = []
            for j, term in enumerate(self._terms):
                value: float | None
                if term in frame.columns:
                    raw = float(frame[term].iloc[i])
                    value = None if math.isnan(raw) else raw
                else:
                    value = float(M[i, j])
                label = labels[j] + (" (imputed)" if term in imputed else "")
                items.append((term, label, value, float(contrib[i, j])))
            p = float(special.expit(eta[i]))
            out.append(
                Prediction(
                    probability=p,
                    ci_low=float(special.expit(eta[i] - 1.959963984540054 * se[i])),
                    ci_high=float(special.expit(eta[i] + 1.959963984540054 * se[i])),
                    band=band_of(p, self.band_thresholds),
                    contributions=items,
                    log_odds=float(eta[i]),
                    baseline_log_odds=baseline,
                    imputed=imputed,
                    outside_training_range=outside,
                )
            )
        return out

    def predict_proba(self, table: pd.DataFrame) -> np.ndarray:
        """Predicted event probabilities (one per row), for validation.

        Parameters
        ----------
        table : pandas.DataFrame
            Feature table with exactly ``feature_names``.

        Returns
        -------
        ndarray of shape (n,)
            Probabilities.
        """
        self.check_columns(table)
        M = self.design(self._values(table))
        return np.asarray(special.expit(self._intercept + M @ self._coef), dtype=np.float64)

    def _term_labels(self) -> list[str]:
        labels = []
        for term in self._terms:
            if term == "rad_score":
                n = next(len(s["inputs"]) for s in self.spec["scores"] if s["name"] == "rad_score")
                labels.append(f"Rad-score ({n} spleen radiomics features)")
            elif term == "dl_score":
                labels.append("DL-score (CNN)")
            else:
                label, unit, _ = CLINICAL_UNITS.get(term, (term, "", (0, 0)))
                labels.append(f"{label} ({unit})" if unit else label)
        return labels


def load_bundle(path: Path | str) -> LockedModel:
    """Load a bundle strictly: manifest, hashes of every file, bundle format and library versions.

    Parameters
    ----------
    path : Path
        Bundle folder.

    Returns
    -------
    LockedModel
        The verified model.

    Raises
    ------
    ModelArtefactError
        Missing folder/manifest/file, altered file (hash mismatch), unknown format or incompatible versions.
    """
    folder = Path(path)
    mpath = folder / MANIFEST_FILE
    if not mpath.is_file():
        raise ModelArtefactError(
            "No model bundle there",
            expected=f"{MANIFEST_FILE} in the folder",
            found=f"{folder} ({'folder exists' if folder.is_dir() else 'no such folder'})",
            fix="choose a bundle folder written by `hsp develop`",
            field="model",
        )
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelArtefactError(
            "The model manifest cannot be read",
            expected="valid JSON",
            found=str(exc),
            fix="re-export the bundle",
            field=MANIFEST_FILE,
        ) from exc
    for key in ("name", "version", "bundle_format", "files", "features", "bands", "versions"):
        if key not in manifest:
            raise ModelArtefactError(
                "The model manifest is incomplete",
                expected=f"field {key!r}",
                found="absent",
                fix="re-export the bundle with this version of HSP Desktop",
                field=key,
            )
    if manifest["bundle_format"] != BUNDLE_FORMAT:
        raise ModelArtefactError(
            "Unsupported model bundle format",
            expected=f"format {BUNDLE_FORMAT}",
            found=f"format {manifest['bundle_format']}",
            fix="use a bundle built by this version of HSP Desktop",
            field="bundle_format",
        )
    built = str(manifest["versions"].get("numpy", "0")).split(".")[0]
    if built != np.__version__.split(".")[0]:
        raise ModelArtefactError(
            "The bundle was built with an incompatible NumPy",
            expected=f"NumPy {built}.x",
            found=f"NumPy {np.__version__}",
            fix="install the NumPy major version named in the manifest",
            field="versions.numpy",
        )
    problems = [] if MODEL_FILE in manifest["files"] else [f"{MODEL_FILE}: not listed"]
    problems += file_problems(folder, manifest["files"])
    if problems:
        raise ModelArtefactError(
            "The model bundle was altered or is incomplete",
            expected="every file present with the SHA-256 recorded in the manifest",
            found="; ".join(problems),
            fix="restore the bundle from its original source; never edit a locked model",
            field="files",
        )
    spec = json.loads((folder / MODEL_FILE).read_text(encoding="utf-8"))
    if spec.get("kind") != "hsp-linear-stack":
        raise ModelArtefactError(
            "Unknown model kind in the bundle",
            expected="hsp-linear-stack",
            found=str(spec.get("kind")),
            fix="use a bundle built by `hsp develop`",
            field=MODEL_FILE,
        )
    deep = spec.get("deep_score")
    if deep and deep.get("transform") not in ("identity", "logit"):
        raise ModelArtefactError(
            "Unknown DL-score transform in the bundle",
            expected="'identity' (CNN logit) or 'logit' (probability)",
            found=str(deep.get("transform")),
            fix="use a bundle built by `hsp develop`",
            field=MODEL_FILE,
        )
    names = [str(f["name"]) for f in manifest["features"]]
    needed = [c["name"] for c in spec["clinical"]] + [i for s in spec["scores"] for i in s["inputs"]]
    if spec.get("deep_score"):
        needed.append("deep_score")
    if sorted(needed) != sorted(names):
        raise ModelArtefactError(
            "The manifest's feature list disagrees with the model's inputs",
            expected=str(sorted(needed)),
            found=str(sorted(names)),
            fix="re-export the bundle",
            field="features",
        )
    sha = sha256_file(mpath)
    return LockedModel(folder, manifest, spec, sha)


def feature_entries(model_spec: Mapping[str, Any], table: pd.DataFrame) -> list[dict[str, Any]]:
    """Ordered feature list of a model spec with block, unit, label, training range and hard range.

    Parameters
    ----------
    model_spec : mapping
        From :meth:`models.multimodal.MultimodalRiskModel.to_dict`.
    table : pandas.DataFrame
        The development feature table (for the training ranges).

    Returns
    -------
    list of dict
        One entry per input, in model order.
    """
    names = [c["name"] for c in model_spec["clinical"]] + [
        i for s in model_spec["scores"] for i in s["inputs"]
    ]
    if model_spec.get("deep_score"):
        names.append("deep_score")
    out = []
    for n in names:
        col = pd.to_numeric(table[n], errors="coerce")
        label, unit, hard = CLINICAL_UNITS.get(n, (n, "feature units", None))  # type: ignore[arg-type]
        out.append(
            {
                "name": n,
                "block": block_of(n),
                "label": label,
                "unit": unit,
                "train_min": float(col.min()),
                "train_max": float(col.max()),
                "train_median": float(col.median()),
                "missing_fraction": float(col.isna().mean()),
                "hard_range": list(hard) if hard is not None else None,
            }
        )
    return out

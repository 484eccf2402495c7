"""What the pipeline and the reports read from a locked model bundle's manifest, in one place.

The manifest layout belongs to :mod:`models.bundle`; this module is the only reader of its fields outside
``models``, so a layout change is one edit here.  A field a report needs but the manifest lacks raises
:class:`~hsp_desktop.errors.ModelArtefactError` naming it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from hsp_desktop import INTENDED_USE, __version__, build_id
from hsp_desktop.domain import RiskResult
from hsp_desktop.errors import ModelArtefactError, SettingsError


def find(manifest: Mapping[str, Any], *paths: str, default: Any = None) -> Any:
    """The first present value among dotted ``paths`` (``"metrics.auc"``), else ``default``."""
    for path in paths:
        node: Any = manifest
        for part in path.split("."):
            if isinstance(node, Mapping) and part in node:
                node = node[part]
            else:
                break
        else:
            return node
    return default


def require(manifest: Mapping[str, Any], *paths: str) -> Any:
    """Like :func:`find` but raise :class:`ModelArtefactError` naming the field when absent."""
    value = find(manifest, *paths)
    if value is None:
        raise ModelArtefactError(
            "The model manifest lacks a field the application needs",
            expected=" or ".join(paths),
            found="absent",
            fix="use a model bundle built by this version of HSP Desktop",
            field=paths[0],
        )
    return value


def model_identity(model: Any) -> tuple[str, str]:
    """(name, version) of a loaded bundle."""
    manifest = model.manifest
    name = getattr(model, "name", None) or find(manifest, "name", "model_id", "model.name")
    version = getattr(model, "version", None) or find(manifest, "version", "model_version", "model.version")
    return str(name or "unnamed"), str(version or "0")


def band_thresholds(manifest: Mapping[str, Any]) -> tuple[float, float]:
    """(low/intermediate, intermediate/high) probability thresholds."""
    raw = require(manifest, "bands.thresholds", "band_thresholds", "risk_bands.thresholds")
    lo, hi = (float(v) for v in raw)
    return lo, hi


def band_event_rates(manifest: Mapping[str, Any]) -> dict[str, tuple[int, int]]:
    """Band -> (events, recipients) observed in the development cohort."""
    raw = require(manifest, "bands.observed", "band_event_rates", "risk_bands.observed")
    out: dict[str, tuple[int, int]] = {}
    for band, entry in raw.items():
        if isinstance(entry, Mapping):
            out[str(band)] = (int(entry["events"]), int(entry["n"]))
        else:
            events, n = entry
            out[str(band)] = (int(events), int(n))
    return out


def settings_sha256(settings: Any) -> str:
    """SHA-256 of extraction settings as the development records it (``{"defaults": true}`` for the defaults)."""
    import hashlib
    import json

    as_dict = settings.as_dict() if hasattr(settings, "as_dict") else (settings or {"defaults": True})
    return hashlib.sha256(json.dumps(as_dict, sort_keys=True, default=str).encode()).hexdigest()


def radiomics_settings(manifest: Mapping[str, Any], bundle: Path | None = None) -> Any:
    """The radiomics settings the model's features were developed with, checked against the recorded hash.

    ``radiomics.settings`` is a parameter file (looked up as given, then inside the bundle) or a mapping, or
    None for the engine defaults.  When the manifest records ``radiomics.settings_sha256``, the settings found
    must hash to it: features extracted with other settings would silently shift the risk.

    Raises
    ------
    ModelArtefactError
        The settings file is missing, or its settings differ from the ones the model was developed with.
    """
    block = find(manifest, "radiomics", default={}) or {}
    raw = block.get("settings") if isinstance(block, Mapping) else None
    resolved: Any = None
    if raw is not None:
        from hsp_desktop.radiomics import load_params

        source: Any = raw
        if isinstance(raw, str):
            candidates = [Path(raw)] + ([bundle / Path(raw).name] if bundle is not None else [])
            found = next((c for c in candidates if c.is_file()), None)
            if found is None:
                raise ModelArtefactError(
                    "The radiomics parameter file the model was developed with is not available",
                    expected=" or ".join(str(c) for c in candidates),
                    found="no such file",
                    fix="ship the parameter file inside the model bundle, or reinstall the bundle",
                    field="radiomics.settings",
                )
            source = found
        resolved = load_params(source)
    expected = block.get("settings_sha256") if isinstance(block, Mapping) else None
    if expected and settings_sha256(resolved) != expected:
        raise ModelArtefactError(
            "The radiomics settings differ from those the model was developed with",
            expected=f"settings with SHA-256 {str(expected)[:12]}",
            found=f"settings with SHA-256 {settings_sha256(resolved)[:12]}",
            fix="use the parameter file recorded in the model bundle",
            field="radiomics.settings",
        )
    return resolved


#: The shipped CNN artefact (CONTRACTS section F), used when a bundle does not name its own.
DEFAULT_CNN = "cnn-demo-1"


def deep_artifact(manifest: Mapping[str, Any], bundle: Path) -> Path:
    """The CNN artefact folder of a bundle that uses deep features.

    Named in the manifest (resolved beside the bundle), else the shipped ``cnn-demo-1``.
    """
    name = find(manifest, "deep.artifact", "cnn_artifact", "deep_artifact", default=DEFAULT_CNN)
    path = Path(str(name))
    return path if path.is_absolute() else bundle.parent / path


def development_risks(manifest: Mapping[str, Any]) -> Sequence[float] | None:
    """The development cohort's (out-of-fold) predicted risks, if the manifest carries them."""
    raw = find(manifest, "development.risks", "risk_distribution", "development.predicted")
    return [float(v) for v in raw] if raw is not None else None


def registry_setting(registry: Any, key: str, default: Any) -> Any:
    """A registry setting, or ``default`` when the registry has no such setting."""
    getter = getattr(registry, "get_setting", None) or getattr(registry, "setting", None)
    if getter is None:
        return default
    try:
        value = getter(key)
    except (KeyError, LookupError, SettingsError):  # a setting this registry version does not know
        return default
    return default if value is None else value


def prediction_record(
    risk: RiskResult, manifest: Mapping[str, Any], *, imaging_id: int, report_name: str | None
) -> dict[str, Any]:
    """The immutable prediction row: probability, CI, band, every hash, and everything needed to re-render it.

    The registry keeps the whole mapping as the prediction's ``output`` JSON.
    """
    return {
        "model_id": f"{risk.model_id} {risk.model_version}",
        "model_name": risk.model_id,
        "model_version": risk.model_version,
        "manifest_sha256": risk.model_sha256,
        "input_sha256": risk.input_sha256,
        "probability": risk.probability,
        "ci_low": risk.ci_low,
        "ci_high": risk.ci_high,
        "band": risk.band,
        "band_thresholds": list(risk.band_thresholds),
        "contributions": [
            {"feature": c.feature, "label": c.label, "value": c.value, "contribution": c.contribution}
            for c in risk.contributions
        ],
        "features": risk.features,
        "imaging_id": imaging_id,
        "report": report_name,
        "app_version": __version__,
        "app_build": build_id(),
        "intended_use": INTENDED_USE,
        "bundle_format": find(manifest, "bundle_format", "format_version", default=None),
        **{k: v for k, v in risk.extra.items() if k not in ("app_version",)},
    }

"""Cross-check: one case recomputed with PyRadiomics itself, compared feature by feature.

A user who needs to show that this engine gives PyRadiomics' numbers on *their* images (a new scanner, a new
protocol, a reviewer's question) runs ``hsp extract --cross-check``: the case is read by PyRadiomics from the
same files with the same parameters (diagnostics off) and the largest difference is reported, with the
tolerances of the project's agreement tests (relative 1e-6, absolute 1e-9 near zero; shape 1e-4).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hsp_desktop.errors import InputError
from hsp_desktop.radiomics.settings import ExtractionSettings

__all__ = ["CrossCheck", "compare_features", "cross_check", "pyradiomics_params"]

#: Relative tolerance of first-order and texture features; shape features (mesh-based) get SHAPE_TOLERANCE.
TOLERANCE = 1e-6
SHAPE_TOLERANCE = 1e-4
#: Absolute tolerance for values near zero.
ABSOLUTE = 1e-9


@dataclass(frozen=True)
class CrossCheck:
    """Result of comparing our features with PyRadiomics' on one case."""

    compared: int
    worst_feature: str
    ours: float
    pyradiomics: float
    relative: float
    failed: tuple[str, ...]
    missing: tuple[str, ...]
    pyradiomics_version: str

    @property
    def agrees(self) -> bool:
        """Every feature within tolerance and the same feature names on both sides."""
        return not self.failed and not self.missing

    def summary(self) -> str:
        """One line for the command line or the GUI."""
        verdict = "agrees" if self.agrees else "DISAGREES"
        text = (
            f"cross-check with PyRadiomics {self.pyradiomics_version}: {verdict} on {self.compared} features; "
            f"largest relative difference {self.relative:.2e} ({self.worst_feature}: ours {self.ours!r}, "
            f"PyRadiomics {self.pyradiomics!r})"
        )
        if self.failed:
            text += f"; {len(self.failed)} beyond tolerance, e.g. {', '.join(self.failed[:3])}"
        if self.missing:
            text += f"; {len(self.missing)} names on one side only, e.g. {', '.join(self.missing[:3])}"
        return text


#: Settings PyRadiomics' schema types as integers (ours may hold them as floats).
_INTEGER_SETTINGS = frozenset(
    {
        "voxelArrayShift",
        "padDistance",
        "label",
        "binCount",
        "minimumROIDimensions",
        "minimumROISize",
        "force2Ddimension",
        "start_level",
        "level",
        "distances",
    }
)


def _plain(key: str, value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_plain(key, v) for v in value]
    if key in _INTEGER_SETTINGS and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def pyradiomics_params(settings: ExtractionSettings) -> dict[str, Any]:
    """The settings as a PyRadiomics parameter dict (diagnostics off; our own keys and unset values left out)."""
    plain = settings.as_dict()
    setting = {
        key: _plain(key, value)
        for key, value in plain["setting"].items()
        if value is not None and key != "mode"
    }
    setting["additionalInfo"] = False
    return {"imageType": plain["imageType"], "featureClass": plain["featureClass"], "setting": setting}


def compare_features(ours: dict[str, float], reference: dict[str, float], version: str = "") -> CrossCheck:
    """Compare two feature dicts by the agreement tests' rule."""
    common = sorted(set(ours) & set(reference))
    missing = tuple(sorted(set(ours) ^ set(reference)))
    worst = ("", math.nan, math.nan, 0.0)
    failed = []
    for name in common:
        a, b = float(ours[name]), float(reference[name])
        if math.isnan(a) and math.isnan(b):
            continue
        rel = abs(a - b) / abs(b) if b != 0 else (0.0 if a == b else math.inf)
        tol = SHAPE_TOLERANCE if "_shape" in name else TOLERANCE
        if not abs(a - b) <= max(tol * abs(b), ABSOLUTE):
            failed.append(name)
        if rel > worst[3] or not worst[0]:
            worst = (name, a, b, rel)
    return CrossCheck(len(common), worst[0], worst[1], worst[2], worst[3], tuple(failed), missing, version)


def cross_check(
    image: Path, mask: Path, settings: ExtractionSettings, label: int, ours: dict[str, float]
) -> CrossCheck:
    """Recompute one case with PyRadiomics from the same files and compare it with ``ours``.

    Raises
    ------
    InputError
        ``ibsi`` mode (PyRadiomics does not implement it), an image PyRadiomics cannot read (a DICOM
        folder), or PyRadiomics not installed.
    """
    if settings.mode != "pyradiomics":
        raise InputError(
            "the cross-check compares with PyRadiomics, which has no IBSI mode",
            expected="--mode pyradiomics",
            found=f"mode {settings.mode}",
            fix="drop --cross-check or use --mode pyradiomics",
            field="cross-check",
        )
    if not image.is_file() or not mask.is_file():
        raise InputError(
            "the cross-check needs the CT and the mask as image files",
            expected="NIfTI, NRRD or MHA files that PyRadiomics reads itself",
            found=f"{image} / {mask}",
            fix="export the DICOM series as NIfTI (hsp can write it) and cross-check that file",
            field="cross-check",
        )
    try:
        import radiomics
        from radiomics import featureextractor
    except ImportError as exc:
        raise InputError(
            "PyRadiomics is not installed",
            expected="the pyradiomics package (installed with HSP Desktop)",
            found=str(exc),
            fix="reinstall with packaging/bootstrap.sh",
            field="cross-check",
        ) from exc
    import logging

    logging.getLogger("radiomics").setLevel(logging.ERROR)
    extractor = featureextractor.RadiomicsFeatureExtractor(pyradiomics_params(settings))
    result = extractor.execute(str(image), str(mask), label=label)
    reference = {str(k): float(v) for k, v in result.items() if not str(k).startswith("diagnostics_")}
    return compare_features(ours, reference, str(radiomics.__version__))

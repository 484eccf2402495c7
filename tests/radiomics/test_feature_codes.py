"""Every feature the engine produces has its IBSI code (or a stated reason for none) in the product's map."""

from __future__ import annotations

import numpy as np

from hsp_desktop.domain import CtVolume, LabelMap
from hsp_desktop.radiomics import extract_features
from hsp_desktop.radiomics.ibsi_codes import FEATURE_BY_CODE, NO_IBSI_CODE, ibsi_codes

CLASSES = ("shape", "firstorder", "glcm", "glrlm", "glszm", "gldm", "ngtdm")
#: PyRadiomics' deprecated shape features: produced only when asked for by name.
ON_REQUEST = ["Compactness1", "Compactness2", "SphericalDisproportion"]


def _produced() -> set[str]:
    """Feature names (without the image type) of an extraction with every class enabled."""
    rng = np.random.default_rng(0)
    z, y, x = np.mgrid[:12, :16, :16]
    labels = ((((z - 6) / 4.5) ** 2 + ((y - 8) / 6.0) ** 2 + ((x - 8) / 6.0) ** 2) < 1).astype(np.uint8)
    ct = CtVolume(array=rng.normal(100, 20, labels.shape).astype(np.float32), spacing=(1.0, 1.0, 2.0))
    mask = LabelMap(array=labels, spacing=(1.0, 1.0, 2.0))
    names: set[str] = set()
    for shape in ([], ON_REQUEST):
        params = {"imageType": {"Original": {}}, "featureClass": {c: [] for c in CLASSES} | {"shape": shape}}
        values = extract_features(ct, mask, params, qc=False).values
        names |= {name.split("_", 1)[1] for name in values if name.startswith("original_")}
    assert {n.split("_", 1)[0] for n in names} == set(CLASSES)
    return names


def test_every_produced_feature_has_an_ibsi_code_or_a_reason() -> None:
    produced = _produced()
    without = sorted(n for n in produced if not ibsi_codes(n) and n not in NO_IBSI_CODE)
    assert not without, f"features with neither an IBSI code nor a reason in ibsi_codes.py: {without}"
    unknown = sorted(set(FEATURE_BY_CODE.values()) - produced)
    assert not unknown, f"ibsi_codes.py names features the engine does not produce: {unknown}"
    assert not (set(NO_IBSI_CODE) - produced), "a reason for a feature the engine does not produce"
    assert not (set(NO_IBSI_CODE) & set(FEATURE_BY_CODE.values())), "a feature both coded and excused"


def test_codes_look_like_ibsi_codes() -> None:
    # IBSI codes are four upper-case letters or digits; the one exception is named in the map's comment.
    odd = [c for c in FEATURE_BY_CODE if not (len(c) == 4 and c.isalnum() and c.upper() == c)]
    assert odd == ["szm_sze"]
    assert ibsi_codes("glszm_LowGrayLevelZoneEmphasis") == ["S1RA", "XMSY"]

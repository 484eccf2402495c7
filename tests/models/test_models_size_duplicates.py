"""Spleen size is not counted twice: size-shape features stay out of the Rad-score beside the clinical volume
(issue 16 item 4)."""

from __future__ import annotations

import numpy as np

from models.features import size_duplicates
from models.multimodal import MultimodalRiskModel

FAST = dict(n_stability=10, n_Cs=8, inner_cv=3, n_crossfit=3, deep=False)


def test_size_duplicates_by_name():
    cols = [
        "spleen__original_shape_MeshVolume",
        "spleen__original_shape_MajorAxisLength",
        "spleen__original_shape_Sphericity",
        "spleen__original_glcm_Contrast",
        "liver__original_shape_MeshVolume",
    ]
    assert size_duplicates(cols, ["platelets", "spleen_volume_ml"]) == cols[:2]
    assert size_duplicates(cols, ["platelets"]) == []
    assert size_duplicates(cols, ["spleen_length_cm"]) == cols[:2]


def test_perturbation_replicates_follow_the_excluded_columns(dev_table):
    from models.features import radiomics_columns

    X, y, rep = dev_table
    assert rep is not None
    cols = radiomics_columns(X.columns)
    renamed = {cols[0]: "spleen__original_shape_MeshVolume"}
    Xs = X.rename(columns=renamed)
    model = MultimodalRiskModel(**FAST).fit(Xs, y, replicates=rep)
    report = model.selection_report_["rad_score"]
    assert report["excluded_size_duplicates"] == ["spleen__original_shape_MeshVolume"]
    assert report["icc_assessed"] and report["candidates"] == len(cols) - 1


def test_rad_score_beside_spleen_volume_has_no_size_shape(dev_table):
    X, y, _ = dev_table
    rng = np.random.default_rng(0)
    sv = X["spleen_volume_ml"].to_numpy()
    # a mesh volume that is the clinical volume re-measured: the strongest single radiomics feature
    Xs = X.assign(
        spleen__original_shape_MeshVolume=sv * rng.normal(1.0, 0.02, len(sv)),
        spleen__original_shape_Maximum3DDiameter=np.cbrt(sv) * rng.normal(1.0, 0.03, len(sv)),
    )
    multimodal = MultimodalRiskModel(**FAST).fit(Xs, y, replicates=None)
    report = multimodal.selection_report_["rad_score"]
    assert report["excluded_size_duplicates"] == [
        "spleen__original_shape_MeshVolume",
        "spleen__original_shape_Maximum3DDiameter",
    ]
    assert not set(multimodal.input_features()) & set(report["excluded_size_duplicates"])
    alone = MultimodalRiskModel(**FAST).set_params(clinical=()).fit(Xs, y, replicates=None)
    assert alone.selection_report_["rad_score"]["excluded_size_duplicates"] == []
    # without a clinical size term the size-shape features stay candidates
    assert alone.selection_report_["rad_score"]["candidates"] == report["candidates"] + 2

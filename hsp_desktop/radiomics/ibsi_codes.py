"""IBSI-1 feature codes of the radiomics engine's features (PyRadiomics names), and the features without one.

The map is the product's statement of which Image Biomarker Standardisation Initiative feature each of our
features computes; ``tests/radiomics/test_ibsi.py`` checks the values against IBSI's reference values through it
and ``tests/radiomics/test_feature_codes.py`` checks that every feature the engine produces is listed here.
"""

from __future__ import annotations

#: IBSI code -> our feature (without the image-type prefix).  ``szm_sze`` stands for GLSZM small zone emphasis,
#: whose code is missing from the reference table.  GLDZM's grey-level emphases (S1RA, K26C) equal GLSZM's: both
#: matrices share the zones, and these features use only the zones' grey levels.
FEATURE_BY_CODE: dict[str, str] = {
    # morphology
    "RNU0": "shape_MeshVolume",
    "YEKZ": "shape_VoxelVolume",
    "C0JK": "shape_SurfaceArea",
    "2PR5": "shape_SurfaceVolumeRatio",
    "SKGS": "shape_Compactness1",
    "BQWJ": "shape_Compactness2",
    "KRCK": "shape_SphericalDisproportion",
    "QCFX": "shape_Sphericity",
    "L0JK": "shape_Maximum3DDiameter",
    "TDIC": "shape_MajorAxisLength",
    "P9VJ": "shape_MinorAxisLength",
    "7J51": "shape_LeastAxisLength",
    "Q3CK": "shape_Elongation",
    "N17B": "shape_Flatness",
    # intensity-based statistics
    "Q4LE": "firstorder_Mean",
    "ECT3": "firstorder_Variance",
    "KE2A": "firstorder_Skewness",
    "IPH6": "firstorder_Kurtosis",
    "Y12H": "firstorder_Median",
    "1GSF": "firstorder_Minimum",
    "QG58": "firstorder_10Percentile",
    "8DWT": "firstorder_90Percentile",
    "84IY": "firstorder_Maximum",
    "SALO": "firstorder_InterquartileRange",
    "2OJQ": "firstorder_Range",
    "4FUA": "firstorder_MeanAbsoluteDeviation",
    "1128": "firstorder_RobustMeanAbsoluteDeviation",
    "N8CA": "firstorder_Energy",
    "5ZWQ": "firstorder_RootMeanSquared",
    # intensity histogram (on the discretised image, as PyRadiomics computes them)
    "TLU2": "firstorder_Entropy",
    "BJ5W": "firstorder_Uniformity",
    # GLCM
    "GYBY": "glcm_MaximumProbability",
    "60VM": "glcm_JointAverage",
    "UR99": "glcm_SumSquares",
    "TU9B": "glcm_JointEntropy",
    "TF7R": "glcm_DifferenceAverage",
    "D3YU": "glcm_DifferenceVariance",
    "NTRS": "glcm_DifferenceEntropy",
    "ZGXS": "glcm_SumAverage",
    "P6QZ": "glcm_SumEntropy",
    "8ZQL": "glcm_JointEnergy",
    "ACUI": "glcm_Contrast",
    "IB1Z": "glcm_Id",
    "NDRX": "glcm_Idn",
    "WF0Z": "glcm_Idm",
    "1QCO": "glcm_Idmn",
    "E8JP": "glcm_InverseVariance",
    "NI2N": "glcm_Correlation",
    "QWB0": "glcm_Autocorrelation",
    "DG8W": "glcm_ClusterTendency",
    "7NFM": "glcm_ClusterShade",
    "AE86": "glcm_ClusterProminence",
    "R8DG": "glcm_Imc1",
    "JN9H": "glcm_Imc2",
    # GLRLM
    "22OV": "glrlm_ShortRunEmphasis",
    "W4KF": "glrlm_LongRunEmphasis",
    "V3SW": "glrlm_LowGrayLevelRunEmphasis",
    "G3QZ": "glrlm_HighGrayLevelRunEmphasis",
    "HTZT": "glrlm_ShortRunLowGrayLevelEmphasis",
    "GD3A": "glrlm_ShortRunHighGrayLevelEmphasis",
    "IVPO": "glrlm_LongRunLowGrayLevelEmphasis",
    "3KUM": "glrlm_LongRunHighGrayLevelEmphasis",
    "R5YN": "glrlm_GrayLevelNonUniformity",
    "OVBL": "glrlm_GrayLevelNonUniformityNormalized",
    "W92Y": "glrlm_RunLengthNonUniformity",
    "IC23": "glrlm_RunLengthNonUniformityNormalized",
    "9ZK5": "glrlm_RunPercentage",
    "8CE5": "glrlm_GrayLevelVariance",
    "SXLW": "glrlm_RunVariance",
    "HJ9O": "glrlm_RunEntropy",
    # GLSZM (+ GLDZM grey-level emphases)
    "szm_sze": "glszm_SmallAreaEmphasis",
    "48P8": "glszm_LargeAreaEmphasis",
    "XMSY": "glszm_LowGrayLevelZoneEmphasis",
    "5GN9": "glszm_HighGrayLevelZoneEmphasis",
    "S1RA": "glszm_LowGrayLevelZoneEmphasis",
    "K26C": "glszm_HighGrayLevelZoneEmphasis",
    "5RAI": "glszm_SmallAreaLowGrayLevelEmphasis",
    "HW1V": "glszm_SmallAreaHighGrayLevelEmphasis",
    "YH51": "glszm_LargeAreaLowGrayLevelEmphasis",
    "J17V": "glszm_LargeAreaHighGrayLevelEmphasis",
    "JNSA": "glszm_GrayLevelNonUniformity",
    "Y1RO": "glszm_GrayLevelNonUniformityNormalized",
    "4JP3": "glszm_SizeZoneNonUniformity",
    "VB3A": "glszm_SizeZoneNonUniformityNormalized",
    "P30P": "glszm_ZonePercentage",
    "BYLV": "glszm_GrayLevelVariance",
    "3NSA": "glszm_ZoneVariance",
    "GU8N": "glszm_ZoneEntropy",
    # NGTDM
    "QCDE": "ngtdm_Coarseness",
    "65HE": "ngtdm_Contrast",
    "NQ30": "ngtdm_Busyness",
    "HDEZ": "ngtdm_Complexity",
    "1X9X": "ngtdm_Strength",
    # NGLDM (PyRadiomics GLDM with alpha 0, distance 1)
    "SODN": "gldm_SmallDependenceEmphasis",
    "IMOQ": "gldm_LargeDependenceEmphasis",
    "TL9H": "gldm_LowGrayLevelEmphasis",
    "OAE7": "gldm_HighGrayLevelEmphasis",
    "EQ3F": "gldm_SmallDependenceLowGrayLevelEmphasis",
    "JA6D": "gldm_SmallDependenceHighGrayLevelEmphasis",
    "NBZI": "gldm_LargeDependenceLowGrayLevelEmphasis",
    "9QMG": "gldm_LargeDependenceHighGrayLevelEmphasis",
    "FP8K": "gldm_GrayLevelNonUniformity",
    "Z87G": "gldm_DependenceNonUniformity",
    "OKJI": "gldm_DependenceNonUniformityNormalized",
    "1PFV": "gldm_GrayLevelVariance",
    "DNX2": "gldm_DependenceVariance",
    "FCBV": "gldm_DependenceEntropy",
}

#: Our features with no IBSI-1 code or reference value, with the reason.
NO_IBSI_CODE: dict[str, str] = {
    "firstorder_TotalEnergy": "PyRadiomics-only (energy x voxel volume)",
    "glcm_MCC": "maximal correlation coefficient is not in IBSI-1",
    "shape_Maximum2DDiameterSlice": "PyRadiomics-only",
    "shape_Maximum2DDiameterColumn": "PyRadiomics-only",
    "shape_Maximum2DDiameterRow": "PyRadiomics-only",
}


def ibsi_codes(feature: str) -> list[str]:
    """The IBSI codes of ``feature`` (without its image-type prefix, e.g. ``glcm_Idmn``); empty when it has none.

    Parameters
    ----------
    feature : str
        A feature name as the engine writes it, without the image type (``original_``).

    Returns
    -------
    list of str
        Its IBSI codes (two for the GLSZM grey-level emphases, which equal GLDZM's).
    """
    return sorted(code for code, name in FEATURE_BY_CODE.items() if name == feature)

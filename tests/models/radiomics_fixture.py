"""TEST FIXTURE ONLY: a simulated radiomics-like block for model tests and benchmarks.

Real radiomics come from ``hsp_desktop.radiomics.extract_features`` on the synthetic CT images; this module stands
in for them where a test needs 1,300 features fast.  It is never imported by product code.

Structure: ``n_families`` latent families of correlated features.  Some families load on the hidden texture factor
(``_texture``), some on spleen size (ln spleen volume, i.e. shape features), some on the scanner offset (first-order
intensity), the rest are pure noise.  Each feature = monotone transform of (family latent + idiosyncratic noise).
Mask-perturbation replicates add measurement noise whose size is feature-specific: about 70% of features are stable
(ICC > 0.9), the rest unstable (ICC well below 0.75) - including some texture-carrying ones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CLASSES = ("firstorder", "glcm", "glrlm", "glszm", "gldm", "ngtdm", "shape")
FILTERS = (
    "original",
    "wavelet-LLH",
    "wavelet-LHL",
    "wavelet-HLL",
    "wavelet-HHH",
    "log-sigma-2-0-mm",
    "square",
)


def simulate_radiomics(
    preop: pd.DataFrame,
    *,
    n_features: int = 1300,
    n_families: int = 40,
    n_replicates: int = 2,
    seed: int = 0,
    roi: str = "spleen",
) -> tuple[pd.DataFrame, np.ndarray]:
    """Return (features, replicates) for the recipients of ``simulate_preop`` output.

    The family structure (loadings, stability, transforms) depends only on ``seed`` - not on the cohort - so a
    development and a test cohort share the same "feature definitions".
    """
    struct = np.random.default_rng(seed)
    rng = np.random.default_rng([seed, len(preop), int(preop["platelets"].iloc[0] * 1000) % 100_000])
    n = len(preop)
    texture = preop["_texture"].to_numpy(float)
    size = np.log(preop["spleen_volume_ml"].to_numpy(float) / 700.0) / 0.42
    offset = preop["_site_offset_hu"].to_numpy(float) / 10.0
    kinds = np.array(["texture"] * 8 + ["size"] * 4 + ["intensity"] * 4 + ["noise"] * (n_families - 16))
    family = struct.integers(0, n_families, size=n_features)
    family[:n_families] = np.arange(n_families)
    loading = struct.uniform(0.6, 0.95, size=n_features)
    stable = struct.random(n_features) < 0.7
    rep_sd = np.where(stable, struct.uniform(0.05, 0.2, n_features), struct.uniform(0.9, 1.6, n_features))
    transform = struct.integers(0, 3, size=n_features)
    scale = np.exp(struct.normal(0, 2, n_features))
    names = []
    used: set[str] = set()
    for j in range(n_features):
        base = f"{roi}__{FILTERS[j % len(FILTERS)]}_{CLASSES[(j // 7) % len(CLASSES)]}_F{j:04d}"
        assert base not in used
        used.add(base)
        names.append(base)
    latent = np.empty((n, n_families))
    for f in range(n_families):
        noise = rng.standard_normal(n)
        if kinds[f] == "texture":
            latent[:, f] = 0.85 * texture + np.sqrt(1 - 0.85**2) * noise
        elif kinds[f] == "size":
            latent[:, f] = 0.9 * size + np.sqrt(1 - 0.9**2) * noise
        elif kinds[f] == "intensity":
            latent[:, f] = 0.5 * offset + 0.8 * noise
        else:
            latent[:, f] = noise
    true = latent[:, family] * loading + rng.standard_normal((n, n_features)) * np.sqrt(1 - loading**2)

    def observe(values: np.ndarray) -> np.ndarray:
        out = np.where(
            transform == 0, values, np.where(transform == 1, np.exp(0.4 * values), values + 0.1 * values**2)
        )
        return out * scale

    base_noise = rng.standard_normal((n, n_features)) * rep_sd
    X = observe(true + base_noise)
    reps = np.stack(
        [observe(true + rng.standard_normal((n, n_features)) * rep_sd) for _ in range(n_replicates)], axis=1
    )
    table = pd.DataFrame(X, columns=names, index=preop["study_id"].to_numpy())
    return table, reps


def make_table(n: int, seed: int, n_features: int = 300) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    from hsp_desktop.synthetic import simulate_preop

    pre = simulate_preop(n, seed=seed)
    rad, rep = simulate_radiomics(
        pre, n_features=n_features, n_families=20 if n_features < 1000 else 40, seed=0
    )
    clinical = pre.set_index("study_id")[
        ["platelets", "spleen_volume_ml", "splenic_vein_mm", "portal_vein_mm", "wbc"]
    ]
    return pd.concat([clinical, rad], axis=1), pre["_y"].to_numpy().astype(int), rep

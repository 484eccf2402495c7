"""Texture kernels (GLCM, GLRLM, GLSZM, GLDM, NGTDM) against their plain NumPy references."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from texture_reference import (
    angles_reference,
    glcm_reference,
    gldm_reference,
    glrlm_reference,
    glszm_reference,
    ngtdm_reference,
)

from kernels.glcm import glcm_matrices
from kernels.gldm import gldm_matrix
from kernels.glrlm import glrlm_matrices
from kernels.glszm import glszm_matrix
from kernels.ngtdm import ngtdm_matrix
from kernels.texture_common import MAX_LEVELS, check_angles, encode_roi, texture_angles
from kernels.texture_neighbours import neighbour_matrices

ROOT = Path(__file__).resolve().parents[2]


def _volume(rng: np.random.Generator, shape: tuple[int, int, int], n_levels: int, fill: float):
    levels = rng.integers(1, n_levels + 1, shape).astype(np.int32)
    mask = rng.random(shape) < fill
    mask.flat[rng.integers(0, mask.size)] = True
    # outside the ROI the values are irrelevant: make them hostile
    levels[~mask] = rng.integers(-5, 50, int((~mask).sum()))
    return levels, mask


def dense_glszm(levels, mask, n_levels, offsets) -> np.ndarray:
    """The kernel's (matrix, sizes) spread to PyRadiomics' dense (Ng, largest zone) layout."""
    matrix, sizes = glszm_matrix(levels, mask, n_levels, offsets)
    assert np.all(np.diff(sizes) > 0) and matrix.sum(axis=0).all()
    dense = np.zeros((matrix.shape[0], int(sizes.max())))
    dense[:, sizes - 1] = matrix
    return dense


def _all_matrices(levels, mask, n_levels, distances, dim2d, alpha):
    shape = levels.shape
    mono = texture_angles(shape, distances, force2d_dimension=dim2d)
    mono1 = texture_angles(shape, (1,), force2d_dimension=dim2d)
    bi = texture_angles(shape, distances, bidirectional=True, force2d_dimension=dim2d)
    bi1 = texture_angles(shape, (1,), bidirectional=True, force2d_dimension=dim2d)
    pairs = []
    if len(mono):
        pairs.append(
            (glcm_matrices(levels, mask, n_levels, mono), glcm_reference(levels, mask, n_levels, mono))
        )
        pairs.append(
            (
                gldm_matrix(levels, mask, n_levels, bi, alpha),
                gldm_reference(levels, mask, n_levels, bi, alpha),
            )
        )
        pairs.append((ngtdm_matrix(levels, mask, n_levels, bi), ngtdm_reference(levels, mask, n_levels, bi)))
        fused = neighbour_matrices(levels, mask, n_levels, mono, alpha)
        pairs.append((fused[0], pairs[0][1]))
        pairs.append((fused[1], pairs[1][1]))
        pairs.append((fused[2], pairs[2][1]))
    if len(mono1):
        pairs.append(
            (glrlm_matrices(levels, mask, n_levels, mono1), glrlm_reference(levels, mask, n_levels, mono1))
        )
        pairs.append((dense_glszm(levels, mask, n_levels, bi1), glszm_reference(levels, mask, n_levels, bi1)))
    return pairs


@pytest.mark.parametrize("seed", range(12))
def test_kernels_equal_references_on_random_volumes(seed: int) -> None:
    rng = np.random.default_rng(seed)
    shape = tuple(int(s) for s in rng.integers(1, 8, 3))
    n_levels = int(rng.integers(1, 6))
    levels, mask = _volume(rng, shape, n_levels, float(rng.uniform(0.2, 0.95)))
    levels[mask] = rng.integers(1, n_levels + 1, int(mask.sum()))
    distances = ((1,), (1, 2), (2,))[seed % 3]
    dim2d = (None, 0, 1, 2)[seed % 4]
    for got, want in _all_matrices(levels, mask, n_levels, distances, dim2d, seed % 3):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=0)


@settings(max_examples=40, deadline=None)
@given(
    shape=st.tuples(st.integers(1, 6), st.integers(1, 6), st.integers(1, 6)),
    n_levels=st.integers(1, 5),
    fill=st.floats(0.05, 1.0),
    seed=st.integers(0, 2**32 - 1),
    distances=st.sampled_from([(1,), (1, 2), (2,), (3, 1)]),
    dim2d=st.sampled_from([None, 0, 1, 2]),
    alpha=st.integers(0, 3),
)
def test_kernels_property_against_references(shape, n_levels, fill, seed, distances, dim2d, alpha) -> None:
    rng = np.random.default_rng(seed)
    levels, mask = _volume(rng, shape, n_levels, fill)
    levels[mask] = rng.integers(1, n_levels + 1, int(mask.sum()))
    for got, want in _all_matrices(levels, mask, n_levels, distances, dim2d, alpha):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=0)


@settings(max_examples=60, deadline=None)
@given(
    shape=st.tuples(st.integers(1, 7), st.integers(1, 7), st.integers(1, 7)),
    distances=st.sampled_from([(1,), (2,), (1, 2), (3, 1), (2, 3)]),
    bidirectional=st.booleans(),
    dim2d=st.sampled_from([None, 0, 1, 2]),
)
def test_angles_equal_brute_force(shape, distances, bidirectional, dim2d) -> None:
    got = texture_angles(shape, distances, bidirectional=bidirectional, force2d_dimension=dim2d)
    np.testing.assert_array_equal(got, angles_reference(shape, distances, bidirectional, dim2d))


def test_angle_counts_match_pyradiomics_conventions() -> None:
    assert len(texture_angles((5, 5, 5))) == 13
    assert len(texture_angles((5, 5, 5), bidirectional=True)) == 26
    assert len(texture_angles((5, 5, 5), force2d_dimension=0)) == 4
    assert len(texture_angles((5, 5, 5), bidirectional=True, force2d_dimension=0)) == 8
    assert len(texture_angles((1, 5, 5))) == 4  # one-slice box: in-plane only
    assert len(texture_angles((1, 1, 1))) == 0
    np.testing.assert_array_equal(texture_angles((3, 3, 3))[0], [1, 1, 1])


def test_padding_and_outside_values_change_nothing() -> None:
    rng = np.random.default_rng(7)
    levels, mask = _volume(rng, (5, 6, 7), 4, 0.7)
    levels[mask] = rng.integers(1, 5, int(mask.sum()))
    big_levels = np.pad(levels, 3, constant_values=99)
    big_mask = np.pad(mask, 3)
    angles = texture_angles(levels.shape)
    bi = texture_angles(levels.shape, bidirectional=True)
    np.testing.assert_array_equal(
        glcm_matrices(levels, mask, 4, angles), glcm_matrices(big_levels, big_mask, 4, angles)
    )
    np.testing.assert_array_equal(dense_glszm(levels, mask, 4, bi), dense_glszm(big_levels, big_mask, 4, bi))
    np.testing.assert_array_equal(
        gldm_matrix(levels, mask, 4, bi, 1), gldm_matrix(big_levels, big_mask, 4, bi, 1)
    )
    np.testing.assert_array_equal(
        ngtdm_matrix(levels, mask, 4, bi), ngtdm_matrix(big_levels, big_mask, 4, bi)
    )
    small = glrlm_matrices(levels, mask, 4, angles)
    big = glrlm_matrices(big_levels, big_mask, 4, angles)
    np.testing.assert_array_equal(small, big[:, :, : small.shape[2]])
    assert not big[:, :, small.shape[2] :].any()


def test_glrlm_direction_across_a_one_voxel_thick_roi_is_empty() -> None:
    levels = np.ones((3, 4, 4), dtype=np.int32)
    mask = np.zeros((3, 4, 4), dtype=bool)
    mask[1] = True  # one slice inside a 3-slice box
    angles = texture_angles(levels.shape)
    out = glrlm_matrices(levels, mask, 1, angles)
    through = [a for a, (dz, _, _) in enumerate(angles) if dz != 0]
    assert not out[through].any()
    assert out[[a for a in range(len(angles)) if a not in through]].sum() > 0


def test_glszm_uses_26_connectivity_and_8_in_2d() -> None:
    levels = np.ones((2, 2, 2), dtype=np.int32)
    mask = np.zeros((2, 2, 2), dtype=bool)
    mask[0, 0, 0] = mask[1, 1, 1] = True  # corner-touching only
    zones3d = dense_glszm(levels, mask, 1, texture_angles(levels.shape, bidirectional=True))
    assert zones3d.tolist() == [[0.0, 1.0]]
    zones2d = dense_glszm(
        levels, mask, 1, texture_angles(levels.shape, bidirectional=True, force2d_dimension=0)
    )
    assert zones2d.tolist() == [[2.0]]


@pytest.mark.parametrize(
    ("levels", "mask", "n_levels", "message"),
    [
        (np.ones((2, 2)), np.ones((2, 2), bool), 1, "3D"),
        (np.ones((2, 2, 2)), np.ones((2, 2, 2), bool), 1, "integer"),
        (np.ones((2, 2, 2), np.int32), np.ones((2, 2, 3), bool), 1, "differs"),
        (np.ones((2, 2, 2), np.int32), np.zeros((2, 2, 2), bool), 1, "empty"),
        (np.full((2, 2, 2), 3, np.int32), np.ones((2, 2, 2), bool), 2, "1..2"),
        (np.zeros((2, 2, 2), np.int32), np.ones((2, 2, 2), bool), 2, "1..2"),
        (np.ones((2, 2, 2), np.int32), np.ones((2, 2, 2), np.float32), 1, "boolean"),
        (np.ones((2, 2, 2), np.int32), np.ones((2, 2, 2), bool), MAX_LEVELS + 1, "n_levels"),
    ],
)
def test_bad_inputs_raise_value_error(levels, mask, n_levels, message) -> None:
    with pytest.raises(ValueError, match=message):
        encode_roi(levels, mask, n_levels)


def test_bad_angles_and_settings_raise_value_error() -> None:
    with pytest.raises(ValueError, match="shape"):
        check_angles(np.zeros((3, 2), dtype=np.int64))
    with pytest.raises(ValueError, match="zero offset"):
        check_angles(np.zeros((1, 3), dtype=np.int64))
    with pytest.raises(ValueError, match="distinct"):
        texture_angles((3, 3, 3), (1, 1))
    with pytest.raises(ValueError, match="force2d_dimension"):
        texture_angles((3, 3, 3), force2d_dimension=3)
    with pytest.raises(ValueError, match="alpha"):
        gldm_matrix(np.ones((2, 2, 2), np.int32), np.ones((2, 2, 2), bool), 1, texture_angles((2, 2, 2)), -1)
    with pytest.raises(ValueError, match="alpha"):
        neighbour_matrices(
            np.ones((2, 2, 2), np.int32), np.ones((2, 2, 2), bool), 1, texture_angles((2, 2, 2)), -2
        )
    with pytest.raises(ValueError, match="opposite pairs"):
        glszm_matrix(np.ones((2, 2, 2), np.int32), np.ones((2, 2, 2), bool), 1, texture_angles((2, 2, 2)))


def test_encoding_pads_only_when_needed_and_keeps_levels() -> None:
    levels = np.arange(1, 28, dtype=np.int64).reshape(3, 3, 3)
    mask = np.ones((3, 3, 3), bool)
    coded = encode_roi(levels, mask, 27, margin=2)
    assert coded.dtype == np.uint16 and coded.shape == (7, 7, 7)
    np.testing.assert_array_equal(coded[2:5, 2:5, 2:5], levels)
    assert coded.sum() == levels.sum()
    roomy = np.pad(mask, 1)
    coded = encode_roi(np.pad(levels, 1), roomy, 27, margin=1)
    assert coded.shape == (5, 5, 5)  # already has the border: no copy with padding


def test_integer_mask_is_accepted() -> None:
    rng = np.random.default_rng(3)
    levels, mask = _volume(rng, (4, 4, 4), 3, 0.6)
    levels[mask] = rng.integers(1, 4, int(mask.sum()))
    angles = texture_angles(levels.shape)
    np.testing.assert_array_equal(
        glcm_matrices(levels, mask.astype(np.uint8), 3, angles), glcm_matrices(levels, mask, 3, angles)
    )


_NOJIT_SCRIPT = """
import numpy as np
from kernels.texture_common import texture_angles
from kernels.glcm import glcm_matrices
from kernels.glrlm import glrlm_matrices
from kernels.glszm import glszm_matrix
from kernels.gldm import gldm_matrix
from kernels.ngtdm import ngtdm_matrix
from hsp_desktop.radiomics.texture import texture_features, TextureSettings
rng = np.random.default_rng(0)
lv = rng.integers(1, 4, (3, 5, 6)).astype(np.int32)
mk = rng.random((3, 5, 6)) < 0.8
a = texture_angles(lv.shape); b = texture_angles(lv.shape, bidirectional=True)
from kernels.texture_neighbours import neighbour_matrices
mats = [*neighbour_matrices(lv, mk, 3, a, 1), glcm_matrices(lv, mk, 3, a), glrlm_matrices(lv, mk, 3, a), glszm_matrix(lv, mk, 3, b)[0],
        gldm_matrix(lv, mk, 3, b, 1), ngtdm_matrix(lv, mk, 3, b)]
feats = texture_features(lv, mk, (1.0, 1.0, 2.0), TextureSettings(weighting_norm="euclidean"))
import json
print(json.dumps([float(m.sum()) for m in mats]))
print(json.dumps(feats))
"""


def test_pure_python_mode_gives_the_same_numbers() -> None:
    def run(disable: str) -> str:
        env = dict(os.environ, NUMBA_DISABLE_JIT=disable, PYTHONPATH=str(ROOT))
        proc = subprocess.run(
            [sys.executable, "-c", _NOJIT_SCRIPT],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    nojit = run("1")
    jit = run("0")
    assert nojit.splitlines()[0] == jit.splitlines()[0]
    got = json.loads(nojit.splitlines()[1])
    want = json.loads(jit.splitlines()[1])
    assert got.keys() == want.keys() and len(got) == 75
    for key, value in want.items():
        assert got[key] == pytest.approx(value, rel=1e-12, abs=1e-15, nan_ok=True), key


def test_glszm_union_plan_checks_few_neighbours() -> None:
    from kernels.glszm import _union_plan
    from kernels.texture_common import flat_offsets

    shape = (5, 6, 7)
    offsets = texture_angles(shape, bidirectional=True)
    primary, backward, extras = _union_plan(offsets, flat_offsets(offsets, shape))
    assert primary == -1 and len(backward) == 12 and len(extras) == 4  # 26-connectivity
    offsets = texture_angles(shape, bidirectional=True, force2d_dimension=0)
    primary, backward, extras = _union_plan(offsets, flat_offsets(offsets, shape))
    assert primary == -1 and len(backward) == 3 and extras.tolist() == [-7 + 1]  # 8-connectivity
    offsets = texture_angles(shape, bidirectional=True, force2d_dimension=2)
    primary, backward, extras = _union_plan(offsets, flat_offsets(offsets, shape))
    assert primary == -7 and len(extras) == 1  # in the (z, y) plane the previous voxel is y - 1


@settings(max_examples=30, deadline=None)
@given(
    shape=st.tuples(st.integers(1, 6), st.integers(1, 6), st.integers(1, 6)),
    n_levels=st.integers(1, 5),
    fill=st.floats(0.05, 1.0),
    seed=st.integers(0, 2**32 - 1),
    dim2d=st.sampled_from([None, 0, 1, 2]),
)
def test_shared_roi_structures_give_the_reference_matrices(shape, n_levels, fill, seed, dim2d) -> None:
    """Segments, voxel list and one encoding found once serve several images of the same ROI."""
    from kernels.glrlm import glrlm_from_segments, run_segments
    from kernels.glszm import glszm_from_coded
    from kernels.texture_common import encode_box, roi_voxels
    from kernels.texture_neighbours import neighbour_matrices_coded

    rng = np.random.default_rng(seed)
    levels, mask = _volume(rng, shape, n_levels, fill)
    mono = texture_angles(shape, (1,), force2d_dimension=dim2d)
    bi = texture_angles(shape, (1,), bidirectional=True, force2d_dimension=dim2d)
    if not len(mono):
        return
    padded = np.pad(mask, 1)
    segments = run_segments(padded, mono)
    voxels = roi_voxels(padded)
    for _ in range(2):  # two images of one ROI
        levels[mask] = rng.integers(1, n_levels + 1, int(mask.sum()))
        coded, low, high, counts = encode_box(levels, mask, (0, 0, 0), 1)
        assert 1 <= low <= high <= n_levels and counts.sum() == mask.sum()
        np.testing.assert_array_equal(counts, np.bincount(levels[mask], minlength=high + 1))
        np.testing.assert_array_equal(
            glrlm_from_segments(coded, mono, segments, n_levels, max(shape)),
            glrlm_reference(levels, mask, n_levels, mono),
        )
        zones, sizes = glszm_from_coded(coded, voxels, bi, n_levels)
        dense = np.zeros((n_levels, int(sizes.max())))
        dense[:, sizes - 1] = zones
        np.testing.assert_array_equal(dense, glszm_reference(levels, mask, n_levels, bi))
        fused = neighbour_matrices_coded(coded, n_levels, mono, 1)
        np.testing.assert_array_equal(fused[0], glcm_reference(levels, mask, n_levels, mono))


def test_shared_roi_structures_refuse_another_roi() -> None:
    from kernels.glrlm import glrlm_from_segments, run_segments
    from kernels.glszm import glszm_from_coded
    from kernels.texture_common import encode_box, roi_voxels
    from kernels.texture_neighbours import neighbour_matrices_coded

    rng = np.random.default_rng(3)
    levels, mask = _volume(rng, (4, 5, 6), 3, 0.6)
    levels[mask] = rng.integers(1, 4, int(mask.sum()))
    other = mask.copy()
    other.flat[np.flatnonzero(mask)[0]] = False
    angles = texture_angles(mask.shape)
    coded = encode_box(levels, mask, (0, 0, 0), 1)[0]
    with pytest.raises(ValueError, match="do not belong"):
        glrlm_from_segments(coded, angles, run_segments(np.pad(other, 1), angles), 3, 6)
    with pytest.raises(ValueError, match="roi_voxels"):
        glszm_from_coded(
            coded, roi_voxels(np.pad(other, 1)), texture_angles(mask.shape, bidirectional=True), 3
        )
    with pytest.raises(ValueError, match="roi_voxels"):
        glszm_from_coded(coded, roi_voxels(coded)[::-1], texture_angles(mask.shape, bidirectional=True), 3)
    with pytest.raises(ValueError, match="exceed"):
        neighbour_matrices_coded(coded, 2, angles)
    with pytest.raises(ValueError, match="outside voxel"):
        run_segments(mask, angles)  # no border
    with pytest.raises(ValueError, match="uint16"):
        neighbour_matrices_coded(coded.astype(np.int32), 3, angles)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="does not fit"):
        encode_box(levels, mask, (1, 0, 0), 1)


def test_glszm_cover_is_the_neighbour_touching_all_others() -> None:
    from kernels.glszm import _cover
    from kernels.texture_common import flat_offsets

    shape = (5, 6, 7)
    offsets = texture_angles(shape, bidirectional=True)
    assert _cover(offsets, flat_offsets(offsets, shape)) == -6 * 7  # z - 1 in 3D
    offsets = texture_angles(shape, bidirectional=True, force2d_dimension=0)
    assert _cover(offsets, flat_offsets(offsets, shape)) == -7  # y - 1 in an axial plane
    offsets = texture_angles((5, 6, 1), bidirectional=True)
    assert (
        _cover(offsets, flat_offsets(offsets, (5, 6, 1))) == -6
    )  # x is one voxel: z - 1 of the (z, y) plane


@pytest.mark.parametrize("alpha", [0, 2])
def test_neighbour_kernel_takes_offsets_of_either_sign(alpha: int) -> None:
    rng = np.random.default_rng(11)
    levels, mask = _volume(rng, (4, 5, 6), 4, 0.7)
    levels[mask] = rng.integers(1, 5, int(mask.sum()))
    angles = texture_angles(levels.shape, (1, 2))
    angles[::3] *= -1  # some offsets pointing backwards
    bi = np.concatenate([angles, -angles])
    glcm, gldm, ngtdm = neighbour_matrices(levels, mask, 4, angles, alpha)
    np.testing.assert_array_equal(glcm, glcm_reference(levels, mask, 4, angles))
    np.testing.assert_array_equal(gldm, gldm_reference(levels, mask, 4, bi, alpha))
    np.testing.assert_allclose(ngtdm, ngtdm_reference(levels, mask, 4, bi), rtol=1e-13)

"""The shared CNN preprocessing: geometry, resampling maths, determinism and clear errors."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from hsp_desktop.errors import GeometryError, InputError, SettingsError
from models.cnn.preprocess import (
    PREPROCESS_NAME,
    PREPROCESS_VERSION,
    PreprocessSpec,
    preprocess_batch,
    preprocess_case,
)


def phantom(shape=(30, 50, 60), spacing=(3.0, 3.0, 4.0), radius_mm=30.0, seed=0):
    """Textured CT (int16 HU) with an ellipsoidal spleen (1) and a liver block (2); spacing (x, y, z)."""
    rng = np.random.default_rng(seed)
    z, y, x = np.meshgrid(*(np.arange(n, dtype=np.float64) for n in shape), indexing="ij")
    sx, sy, sz = spacing
    cz, cy, cx = shape[0] / 2, shape[1] / 2, shape[2] * 0.7
    r2 = ((z - cz) * sz) ** 2 + ((y - cy) * sy) ** 2 + ((x - cx) * sx) ** 2
    mask = np.zeros(shape, np.uint8)
    mask[(np.abs((x - shape[2] * 0.25) * sx) < 40) & (np.abs((y - cy) * sy) < 45)] = 2
    mask[r2 < radius_mm**2] = 1
    ct = rng.normal(40.0, 30.0, shape)
    ct[mask == 1] = rng.normal(115.0, 15.0, int((mask == 1).sum()))
    ct[mask == 2] = rng.normal(100.0, 10.0, int((mask == 2).sum()))
    ct[:, :3, :] = -1000.0
    return ct.astype(np.int16), mask, spacing


def test_shape_dtype_range_and_volume_preserved():
    ct, mask, spacing = phantom()
    spec = PreprocessSpec(grid=32, spacing_mm=4.0)
    out = preprocess_case(ct, mask, spacing, spec)
    assert out.shape == (3, 32, 32, 32) and out.dtype == np.float32 and out.flags.c_contiguous
    assert out[0].min() >= -1.0 and out[0].max() <= 1.0
    assert 0.0 <= out[1:].min() and out[1:].max() <= 1.0 + 1e-6
    spleen_ml = float((mask == 1).sum()) * np.prod(spacing) / 1000.0
    resampled_ml = float(out[1].astype(np.float64).sum()) * 4.0**3 / 1000.0
    assert resampled_ml == pytest.approx(spleen_ml, rel=0.01)
    # the spleen's centre of mass is at the centre of the cube
    com = ndimage.center_of_mass(out[1])
    assert np.allclose(com, [15.5, 15.5, 15.5], atol=0.2)


def test_linear_interpolation_matches_scipy_when_input_is_coarser():
    """With input voxels no finer than the grid, the tent kernel is exactly linear interpolation."""
    ct, mask, spacing = phantom(spacing=(4.0, 4.0, 4.0))
    spec = PreprocessSpec(grid=16, spacing_mm=2.5, hu_window=(-1000.0, 1000.0))
    out = preprocess_case(ct, mask, spacing, spec)
    spleen = np.argwhere(mask == 1).mean(axis=0)
    offsets = (np.arange(16) - 7.5) * 2.5 / 4.0
    coords = np.stack(np.meshgrid(*(spleen[a] + offsets for a in range(3)), indexing="ij"))
    ref = ndimage.map_coordinates(ct.astype(np.float64), coords, order=1, mode="nearest")
    assert np.allclose(out[0] * 1000.0, ref, atol=1e-2)


def test_anti_aliasing_average_when_input_is_finer():
    """A uniform region stays uniform and fine white noise is averaged down (not aliased through)."""
    rng = np.random.default_rng(1)
    shape = (60, 80, 80)
    mask = np.zeros(shape, np.uint8)
    mask[20:40, 30:50, 30:50] = 1
    ct = rng.normal(50.0, 40.0, shape)
    out = preprocess_case(ct, mask, (0.8, 0.8, 1.0), PreprocessSpec(grid=8, spacing_mm=4.0))
    # 4 mm tent over 0.8 mm voxels averages ~ (5 x 5 x 4) x 2.25 voxels: SD falls far below 40 HU / 200
    assert out[0].std() < 0.2 * 40.0 / 200.0


def test_bit_identical_across_dtypes_layouts_and_calls():
    ct, mask, spacing = phantom(seed=3)
    spec = PreprocessSpec(grid=24, spacing_mm=5.0)
    a = preprocess_case(ct, mask, spacing, spec)
    b = preprocess_case(ct.astype(np.float32), mask.astype(np.int32), list(spacing), spec)
    c = preprocess_case(np.asfortranarray(ct), np.asfortranarray(mask), spacing, spec)
    d = preprocess_batch([(ct, mask, spacing, None), (ct, mask, spacing, None)], spec)
    assert a.tobytes() == b.tobytes() == c.tobytes() == d[0].tobytes() == d[1].tobytes()


def test_direction_flips_and_permutations_are_undone():
    ct, mask, spacing = phantom(shape=(28, 40, 44), spacing=(3.0, 3.5, 4.0), seed=5)
    spec = PreprocessSpec(grid=16, spacing_mm=4.0)
    ref = preprocess_case(ct, mask, spacing, spec)
    # x axis stored right-to-left
    flipped = preprocess_case(
        ct[:, :, ::-1], mask[:, :, ::-1], spacing, spec, direction=(-1, 0, 0, 0, 1, 0, 0, 0, 1)
    )
    assert np.allclose(flipped, ref, atol=1e-5)
    # image x and y axes swapped (array (z, x, y)), spacing reported in image-axis order
    swapped = preprocess_case(
        np.swapaxes(ct, 1, 2),
        np.swapaxes(mask, 1, 2),
        (spacing[1], spacing[0], spacing[2]),
        spec,
        direction=(0, 1, 0, 1, 0, 0, 0, 0, 1),
    )
    assert np.allclose(swapped, ref, atol=1e-5)


def test_crop_beyond_the_scan_reads_as_air_and_background():
    ct, mask, spacing = phantom(shape=(10, 50, 60))  # only 40 mm of z coverage
    out = preprocess_case(ct, mask, spacing, PreprocessSpec(grid=32, spacing_mm=4.0))
    assert np.all(out[0, 0] == -1.0) and np.all(out[1:, 0] == 0.0)


def test_spec_round_trip_and_manifest_record():
    spec = PreprocessSpec(grid=40, spacing_mm=4.5, hu_window=(-100, 300))
    record = spec.as_dict()
    assert record["name"] == PREPROCESS_NAME and record["version"] == PREPROCESS_VERSION
    assert record["channels"] == ["ct", "spleen", "liver"]
    again = PreprocessSpec.from_dict(record)
    assert again.as_dict() == record and again.input_shape == (3, 40, 40, 40)
    with pytest.raises(SettingsError, match="another CNN preprocessing"):
        PreprocessSpec.from_dict({**record, "version": "0.9"})
    with pytest.raises(SettingsError, match="incomplete or unknown"):
        PreprocessSpec.from_dict({**record, "parameters": {**record["parameters"], "zoom": 2}})


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"grid": 4}, "grid"),
        ({"spacing_mm": 0.0}, "spacing_mm"),
        ({"hu_window": (200.0, 100.0)}, "hu_window"),
        ({"liver_label": 1}, "liver_label"),
    ],
)
def test_invalid_spec_names_the_setting(kwargs, field):
    with pytest.raises(SettingsError) as info:
        PreprocessSpec(**kwargs)
    assert info.value.field == field


def test_bad_inputs_raise_typed_errors():
    ct, mask, spacing = phantom()
    spec = PreprocessSpec(grid=16, spacing_mm=4.0)
    with pytest.raises(InputError, match="no spleen voxels") as info:
        preprocess_case(ct, np.where(mask == 1, 0, mask).astype(np.uint8), spacing, spec)
    assert info.value.field == "mask" and "labels [0, 2]" in str(info.value)
    with pytest.raises(GeometryError, match="different grids"):
        preprocess_case(ct, mask[:-1], spacing, spec)
    with pytest.raises(InputError, match="3-D volume"):
        preprocess_case(ct[0], mask[0], spacing, spec)
    with pytest.raises(InputError, match="spacing"):
        preprocess_case(ct, mask, (1.0, 0.0, 1.0), spec)
    bad = ct.astype(np.float32)
    bad[0, 0, 0] = np.nan
    with pytest.raises(InputError, match="NaN"):
        preprocess_case(bad, mask, spacing, spec)
    with pytest.raises(InputError, match="label map"):
        preprocess_case(ct, mask.astype(np.float32), spacing, spec)
    with pytest.raises(GeometryError, match="oblique"):
        c, s = np.cos(0.3), np.sin(0.3)
        preprocess_case(ct, mask, spacing, spec, direction=(c, -s, 0, s, c, 0, 0, 0, 1))

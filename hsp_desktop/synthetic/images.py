"""Synthetic portal-venous abdominal CT phantoms with spleen and liver label maps.

`render_case` draws one recipient's CT from a :class:`CaseAnatomy`: a body outline (subcutaneous fat, muscle wall,
visceral fat and bowel), spine, aorta and IVC, kidneys, portal and splenic veins, the liver (label 2) and the spleen
(label 1).  Everything is laid out in physical millimetres (LPS, ``x`` to the patient's left, ``y`` posterior,
``z`` superior), so the low-resolution grid and the ``full_res`` grid show the same anatomy.

How the latent factors of CLINICAL.md section 3 enter the image:

* spleen volume: the mask holds exactly ``round(spleen_volume_ml / voxel volume)`` voxels (the level set of a
  bent, lobulated ellipsoid is cut at the quantile that gives that count), and its craniocaudal extent is
  ``spleen_length_cm`` (clipped to the field of view);
* spleen attenuation: mean ``115 + 15 * z`` HU clipped to 80-160, where ``z = 0.5 texture + 0.3 ph + 0.71 u``
  (``u`` a per-case normal draw, so ``z`` has unit variance when corr(ph, texture) = 0.5);
* spleen texture: within-spleen SD ``clip(16 + 2 texture, 12, 20)`` HU including scanner noise, made of spatially
  correlated Gaussian fields (a fine and a coarse one; the coarse share rises with ``texture``);
* Gamna-Gandy-like hyperdense foci: none unless ``ph > 0.8``, then 1-5;
* liver: volume ``liver_volume_ml`` (exact voxel count), mean about ``100 - 8 hepatic`` HU, heterogeneity and
  surface nodularity rising with ``hepatic``;
* scanner: a global HU offset and white noise of the given SD.

The same :class:`CaseAnatomy` (including its seed) always gives the same arrays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from hsp_desktop.domain import CtVolume, LabelMap
from hsp_desktop.errors import InputError

__all__ = ["FULL_RES_GRID", "LOW_RES_GRID", "CaseAnatomy", "GridSpec", "render_case"]

FloatArray = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]

SPLEEN = 1
LIVER = 2


@dataclass(frozen=True)
class GridSpec:
    """An image grid: shape (x, y, z) in voxels and spacing (x, y, z) in mm; centred on the body."""

    size: tuple[int, int, int]
    spacing: tuple[float, float, float]

    @property
    def origin(self) -> tuple[float, float, float]:
        """Physical position (mm) of the first voxel centre, chosen so that (0, 0, 0) is the grid centre."""
        return tuple(-(n - 1) * s / 2.0 for n, s in zip(self.size, self.spacing, strict=True))  # type: ignore[return-value]

    @property
    def voxel_ml(self) -> float:
        """Volume of one voxel in millilitres."""
        return self.spacing[0] * self.spacing[1] * self.spacing[2] / 1000.0


#: Default grid: 128 x 128 x 48 at 2.9 x 2.9 x 5 mm (371 x 371 x 240 mm field of view).
LOW_RES_GRID = GridSpec((128, 128, 48), (2.9, 2.9, 5.0))
#: ``full_res`` grid: 512 x 512 x 96 at 0.75 x 0.75 x 2.5 mm (384 x 384 x 240 mm field of view).
FULL_RES_GRID = GridSpec((512, 512, 96), (0.75, 0.75, 2.5))


@dataclass(frozen=True)
class CaseAnatomy:
    """What one synthetic recipient's CT must show.

    Attributes
    ----------
    spleen_volume_ml, spleen_length_cm, liver_volume_ml : float
        Organ sizes of the clinical row; the spleen mask matches the volume to one voxel.
    ph, hepatic, texture : float
        Latent portal-hypertension, hepatic-dysfunction and radiomic-texture factors (SD units).
    scanner_offset_hu, scanner_noise_hu : float
        Site calibration offset added to every voxel, and the SD of the scanner's white noise.
    seed : int
        Seeds every random choice (shape details, texture, noise); same anatomy + seed = same image.
    full_res : bool
        512 x 512 x 96 at 0.75 x 0.75 x 2.5 mm instead of the default 128 x 128 x 48 at 2.9 x 2.9 x 5 mm.
    """

    spleen_volume_ml: float
    spleen_length_cm: float
    liver_volume_ml: float
    ph: float = 0.0
    hepatic: float = 0.0
    texture: float = 0.0
    scanner_offset_hu: float = 0.0
    scanner_noise_hu: float = 10.0
    seed: int = 0
    full_res: bool = False

    def __post_init__(self) -> None:
        """Reject values no phantom can show."""
        checks = [
            ("spleen_volume_ml", self.spleen_volume_ml, 10.0, 6000.0, "ml"),
            ("spleen_length_cm", self.spleen_length_cm, 2.0, 40.0, "cm"),
            ("liver_volume_ml", self.liver_volume_ml, 200.0, 6000.0, "ml"),
            ("scanner_noise_hu", self.scanner_noise_hu, 0.0, 60.0, "HU"),
            ("scanner_offset_hu", self.scanner_offset_hu, -100.0, 100.0, "HU"),
        ]
        for name, value, lo, hi, unit in checks:
            if not (math.isfinite(value) and lo <= value <= hi):
                raise InputError(
                    f"CaseAnatomy.{name} is outside what the phantom can render",
                    expected=f"{lo:g}-{hi:g} {unit}",
                    found=f"{value!r}",
                    fix=f"pass a {name} inside the range",
                    field=name,
                )
        for name in ("ph", "hepatic", "texture"):
            value = getattr(self, name)
            if not math.isfinite(value):
                raise InputError(
                    f"CaseAnatomy.{name} must be a finite number",
                    expected="a finite latent value in SD units",
                    found=repr(value),
                    fix=f"pass a finite {name}",
                    field=name,
                )

    @property
    def grid(self) -> GridSpec:
        """The grid this case is rendered on."""
        return FULL_RES_GRID if self.full_res else LOW_RES_GRID


# --------------------------------------------------------------------------------------------------------------
# grid helpers


class _Grid:
    """Voxel-centre coordinates of a :class:`GridSpec` and sub-boxes of it."""

    def __init__(self, spec: GridSpec) -> None:
        self.spec = spec
        nx, ny, nz = spec.size
        self.shape = (nz, ny, nx)
        ox, oy, oz = spec.origin
        sx, sy, sz = spec.spacing
        self.x = (ox + sx * np.arange(nx)).astype(np.float32)
        self.y = (oy + sy * np.arange(ny)).astype(np.float32)
        self.z = (oz + sz * np.arange(nz)).astype(np.float32)

    def box(
        self, lo: tuple[float, float, float], hi: tuple[float, float, float]
    ) -> tuple[tuple[slice, slice, slice], FloatArray, FloatArray, FloatArray] | None:
        """Index slices (z, y, x) and broadcastable coordinates of the voxels inside [lo, hi] (x, y, z mm)."""
        slices = []
        coords = []
        for axis, lo_v, hi_v in zip((self.x, self.y, self.z), lo, hi, strict=True):
            i0 = int(np.searchsorted(axis, lo_v, side="left"))
            i1 = int(np.searchsorted(axis, hi_v, side="right"))
            if i1 <= i0:
                return None
            slices.append(slice(i0, i1))
            coords.append(axis[i0:i1])
        sx, sy, sz = slices
        cx, cy, cz = coords
        return (sz, sy, sx), cz[:, None, None], cy[None, :, None], cx[None, None, :]


def _smooth_field(
    rng: np.random.Generator, shape: tuple[int, ...], sigma_mm: float, spacing_zyx: tuple[float, ...]
) -> FloatArray:
    """Gaussian-smoothed white noise normalised to zero mean and unit SD (a correlated texture field).

    Wide kernels are applied on a coarser lattice (at most ~1.5 voxels per sigma) and interpolated linearly to
    ``shape``, which keeps full-resolution phantoms fast without changing the field's character.
    """
    sigma = [max(sigma_mm / sp, 0.5) for sp in spacing_zyx]
    factor = [max(1, int(sg // 1.5)) for sg in sigma]
    coarse_shape = tuple(max(2, -(-n // f) + 1) if f > 1 else n for n, f in zip(shape, factor, strict=True))
    noise = rng.standard_normal(coarse_shape, dtype=np.float32)
    coarse_sigma = [sg / f for sg, f in zip(sigma, factor, strict=True)]
    field = ndimage.gaussian_filter(noise, sigma=coarse_sigma, mode="reflect", truncate=3.0)
    if coarse_shape != tuple(shape):
        zoom = [n / c for n, c in zip(shape, coarse_shape, strict=True)]
        field = ndimage.zoom(field, zoom, order=1, mode="nearest", grid_mode=False)
        field = field[tuple(slice(0, n) for n in shape)]
    field -= field.mean()
    sd = float(field.std())
    if sd > 0:
        field /= sd
    return field.astype(np.float32, copy=False)


def _wave_field(
    rng: np.random.Generator,
    cz: FloatArray,
    cy: FloatArray,
    cx: FloatArray,
    terms: int,
    wavelength_mm: tuple[float, float],
) -> FloatArray:
    """A smooth resolution-independent field: sum of separable cosine products, roughly unit SD."""
    out: FloatArray | None = None
    for _ in range(terms):
        parts = []
        for c in (cz, cy, cx):
            k = 2.0 * math.pi / rng.uniform(*wavelength_mm)
            phase = rng.uniform(0.0, 2.0 * math.pi)
            parts.append(np.cos(k * c + phase).astype(np.float32))
        term = parts[0] * parts[1] * parts[2]
        out = term if out is None else out + term
    assert out is not None
    return out * np.float32(math.sqrt(8.0 / terms))


def _select_smallest(level: FloatArray, count: int, organ: str, field: str, ml: float) -> BoolArray:
    """Boolean mask of exactly ``count`` voxels with the smallest finite ``level``."""
    flat = level.ravel()
    finite = int(np.count_nonzero(np.isfinite(flat)))
    if count > finite:
        raise InputError(
            f"The {organ} ({ml:g} ml) does not fit in the phantom's abdomen beside the other organs",
            expected=f"at most about {finite / count * ml:.0f} ml for this anatomy",
            found=f"{ml:g} ml",
            fix=f"use a smaller {field} (or a smaller volume of the other organ)",
            field=field,
        )
    out = np.zeros(flat.shape, dtype=bool)
    if count > 0:
        idx = np.argpartition(flat, count - 1)[:count]
        out[idx] = True
    return out.reshape(level.shape)


def _capsule(
    grid: _Grid, p0: tuple[float, float, float], p1: tuple[float, float, float], radius: float
) -> tuple[tuple[slice, slice, slice], BoolArray] | None:
    """Voxels within ``radius`` mm of the segment p0-p1 (x, y, z mm), as (box slices, mask in the box)."""
    a = np.asarray(p0, dtype=np.float64)
    b = np.asarray(p1, dtype=np.float64)
    lo = np.minimum(a, b) - radius
    hi = np.maximum(a, b) + radius
    box = grid.box(tuple(lo), tuple(hi))  # type: ignore[arg-type]
    if box is None:
        return None
    sl, cz, cy, cx = box
    d = b - a
    dd = float(d @ d) or 1.0
    t = ((cx - a[0]) * d[0] + (cy - a[1]) * d[1] + (cz - a[2]) * d[2]) / dd
    t = np.clip(t, 0.0, 1.0)
    dist2 = (cx - a[0] - t * d[0]) ** 2 + (cy - a[1] - t * d[1]) ** 2 + (cz - a[2] - t * d[2]) ** 2
    return sl, dist2 <= radius * radius


# --------------------------------------------------------------------------------------------------------------
# anatomy

# Body cross-section (mm): outer ellipse, subcutaneous fat and muscle wall thickness.
_BODY_A, _BODY_B, _BODY_CY = 165.0, 120.0, 5.0
_FAT, _WALL = 15.0, 10.0
_CAV_A, _CAV_B = _BODY_A - _FAT - _WALL, _BODY_B - _FAT - _WALL


def _ellipse(x: FloatArray, y: FloatArray, cx: float, cy: float, a: float, b: float) -> BoolArray:
    return ((x - cx) / a) ** 2 + ((y - cy) / b) ** 2 <= 1.0


def _cross_section(grid: _Grid) -> dict[str, BoolArray]:
    """2-D (y, x) masks of the structures that run the length of the field of view."""
    y = grid.y[:, None]
    x = grid.x[None, :]
    body = _ellipse(x, y, 0.0, _BODY_CY, _BODY_A, _BODY_B)
    inner_fat = _ellipse(x, y, 0.0, _BODY_CY, _BODY_A - _FAT, _BODY_B - _FAT)
    cavity = _ellipse(x, y, 0.0, _BODY_CY, _CAV_A, _CAV_B)
    vert_body = _ellipse(x, y, 0.0, 62.0, 19.0, 17.0)
    vert_cancellous = _ellipse(x, y, 0.0, 62.0, 16.5, 14.5)
    canal = _ellipse(x, y, 0.0, 92.0, 8.0, 8.0)
    posterior = _ellipse(x, y, 0.0, 94.0, 15.0, 14.0) & ~canal
    paraspinal = _ellipse(x, y, -36.0, 96.0, 22.0, 17.0) | _ellipse(x, y, 36.0, 96.0, 22.0, 17.0)
    aorta = _ellipse(x, y, 16.0, 33.0, 11.0, 11.0)
    ivc = _ellipse(x, y, -24.0, 30.0, 12.0, 10.0)
    retro = vert_body | posterior | canal | paraspinal | aorta | ivc
    return {
        "body": body,
        "subcut": body & ~inner_fat,
        "wall": inner_fat & ~cavity,
        "cavity": cavity & ~retro,
        "vert_body": vert_body,
        "vert_cancellous": vert_cancellous,
        "canal": canal,
        "posterior": posterior,
        "paraspinal": paraspinal & body,
        "aorta": aorta,
        "ivc": ivc,
    }


def _spleen_frame(length_mm: float, volume_mm3: float) -> dict[str, Any]:
    """Centre, in-plane axes and semi-axes of the spleen ellipsoid before the volume cut."""
    c = length_mm / 2.0
    ab = 3.0 * volume_mm3 / (4.0 * math.pi * c)
    b = math.sqrt(ab / 1.7)
    a = 1.7 * b
    # Point on the cavity wall, posterolateral left, and the wall's tangent and inward normal there.
    t0 = math.radians(38.0)
    px, py = _CAV_A * math.cos(t0), _BODY_CY + _CAV_B * math.sin(t0)
    nx, ny = -(px / _CAV_A**2), -((py - _BODY_CY) / _CAV_B**2)
    norm = math.hypot(nx, ny)
    nx, ny = nx / norm, ny / norm
    tx, ty = -ny, nx
    if (
        ty < 0
    ):  # tangent pointing posterior-medial ... keep it anterior-lateral -> posterior-medial consistent
        tx, ty = -tx, -ty
    inset = min(b, 0.45 * _CAV_B) + 4.0
    return {
        "a": a,
        "b": b,
        "c": c,
        "cx": px + nx * inset,
        "cy": py + ny * inset,
        "t": (tx, ty),
        "n": (nx, ny),
    }


def _keep_one_piece(mask: BoolArray, level: FloatArray) -> BoolArray:
    """Keep the largest face-connected part and regrow it to the same voxel count from its lowest-level shell."""
    structure = ndimage.generate_binary_structure(3, 1)
    comp, n = ndimage.label(mask, structure=structure)
    if n <= 1:
        return mask
    count = int(np.count_nonzero(mask))
    sizes = np.bincount(comp.ravel())
    sizes[0] = 0
    main = comp == int(np.argmax(sizes))
    finite = np.isfinite(level)
    while (deficit := count - int(np.count_nonzero(main))) > 0:
        shell = ndimage.binary_dilation(main, structure=structure) & ~main & finite
        idx = np.flatnonzero(shell)
        if idx.size == 0:
            break
        take = idx if idx.size <= deficit else idx[np.argpartition(level.ravel()[idx], deficit - 1)[:deficit]]
        main.ravel()[take] = True
    return main


def _spleen_level(
    grid: _Grid,
    allowed2d: BoolArray,
    length: float,
    volume: float,
    z_top: float,
    lobe_seed: int,
) -> tuple[tuple[slice, slice, slice], FloatArray, dict[str, float]]:
    """The spleen's level-set function over its search box (inf where the spleen may not go)."""
    c = length / 2.0
    # Level set |s/a|^2 + |n/b|^2 + |dz/c|^3 (volume 1.5 pi a b c): blunt poles keep the craniocaudal extent near
    # 2c when the in-plane room is clipped by the body wall.
    ab = volume / (1.5 * math.pi * c)
    f = _spleen_frame(2.0 * c, 4.0 / 3.0 * math.pi * ab * c)
    b = math.sqrt(ab / 1.7)
    a = 1.7 * b
    zc = z_top - 10.0 - c
    cx, cy = f["cx"], f["cy"]
    tx, ty = f["t"]
    nx, ny = f["n"]
    reach = 1.8 * max(a, b) + 10.0
    lo = (max(cx - reach, -45.0), max(cy - reach, _BODY_CY - _CAV_B), zc - 2.5 * c)
    hi = (min(cx + reach, _CAV_A), min(cy + reach, _BODY_CY + _CAV_B), zc + 2.5 * c)
    box = grid.box(lo, hi)
    assert box is not None
    sl, pz, py, px = box
    dx, dy, dz = px - np.float32(cx), py - np.float32(cy), pz - np.float32(zc)
    s = dx * np.float32(tx) + dy * np.float32(ty)
    n = dx * np.float32(nx) + dy * np.float32(ny)
    # Superior pole posterior, inferior pole anterior; crescent bent around the wall; hilum notch medially.
    s = s + np.float32(0.25 * a / c) * dz
    n = n - np.float32(0.35 * b) * (s / np.float32(a)) ** 2
    level = (s / np.float32(a)) ** 2 + (n / np.float32(b)) ** 2 + np.abs(dz / np.float32(c)) ** 3
    level += (
        np.float32(0.25)
        * np.exp(
            -((s / np.float32(a)) ** 2) / np.float32(0.08) - (dz / np.float32(c)) ** 2 / np.float32(0.15)
        )
        * np.clip(n / np.float32(b), 0.0, 1.0)
    )
    level += np.float32(0.05) * _wave_field(np.random.default_rng(lobe_seed), dz, dy, dx, 4, (45.0, 90.0))
    level = np.where(allowed2d[sl[1], sl[2]][None, :, :], level, np.float32(np.inf)).astype(np.float32)
    info = {"a": a, "b": b, "c": c, "cx": cx, "cy": cy, "cz": zc, "nx": nx, "ny": ny}
    return sl, level, info


def _fit_spleen(
    grid: _Grid,
    cavity2d: BoolArray,
    anatomy: CaseAnatomy,
    lobe_seed: int,
    z_top: float,
    c_start: float | None,
) -> tuple[tuple[slice, slice, slice], BoolArray, FloatArray, dict[str, float]]:
    """Cut the spleen level set at its volume; adjust the semi-axis c until the extent matches the length."""
    fov_z = float(grid.z[-1] - grid.z[0])
    sz = grid.spec.spacing[2]
    length = float(np.clip(anatomy.spleen_length_cm * 10.0, 30.0, fov_z - 20.0))
    volume = anatomy.spleen_volume_ml * 1000.0
    count = round(volume / (grid.spec.voxel_ml * 1000.0))
    # Massive spleens may cross the midline in front of the aorta but not wrap around the right side.
    allowed2d = cavity2d & (grid.x[None, :] > -30.0)
    if count > int(np.count_nonzero(allowed2d)) * grid.shape[0] * 0.8:
        allowed2d = cavity2d
    c_shape = c_start if c_start is not None else length / 2.0
    best: tuple[float, tuple[slice, slice, slice], BoolArray, FloatArray, dict[str, float]] | None = None
    for _ in range(1 if c_start is not None else 4):
        sl, level, info = _spleen_level(grid, allowed2d, 2.0 * c_shape, volume, z_top, lobe_seed)
        mask = _select_smallest(level, count, "spleen", "spleen_volume_ml", anatomy.spleen_volume_ml)
        extent = float(np.count_nonzero(mask.any(axis=(1, 2)))) * sz
        info["length_mm"] = extent
        info["target_length_mm"] = length
        err = abs(extent - length)
        if best is None or err < best[0]:
            best = (err, sl, mask, level, info)
        if err <= sz:
            break
        c_shape = float(np.clip(c_shape * length / max(extent, sz), 10.0, fov_z / 2.0 - 5.0))
    assert best is not None
    return best[1], best[2], best[3], best[4]


def _render_spleen(
    grid: _Grid, cavity2d: BoolArray, anatomy: CaseAnatomy, rng: np.random.Generator, z_top: float
) -> tuple[tuple[slice, slice, slice], BoolArray, dict[str, float]]:
    lobe_seed = int(rng.integers(2**63))
    c_start = None
    if grid.spec.voxel_ml < LOW_RES_GRID.voxel_ml / 4:
        # find the craniocaudal semi-axis on the default grid (same field of view), then cut once at full size
        low = _Grid(LOW_RES_GRID)
        _, _, _, info = _fit_spleen(low, _cross_section(low)["cavity"], anatomy, lobe_seed, z_top, None)
        c_start = info["c"]
    sl, mask, level, info = _fit_spleen(grid, cavity2d, anatomy, lobe_seed, z_top, c_start)
    mask = _keep_one_piece(mask, level)
    return sl, mask, info


def _render_liver(
    grid: _Grid, allowed: BoolArray, anatomy: CaseAnatomy, rng: np.random.Generator, z_top: float
) -> BoolArray:
    """Liver mask on the full grid (``allowed`` excludes body wall, retroperitoneum and spleen)."""
    scale = (anatomy.liver_volume_ml / 2300.0) ** (1.0 / 3.0)
    ra, rb, rc = 100.0 * scale, 85.0 * scale, 80.0 * scale
    rz = z_top - 8.0 - rc
    box = grid.box((-_CAV_A, -_CAV_B + _BODY_CY, float(grid.z[0])), (_CAV_A, _CAV_B + _BODY_CY, z_top))
    assert box is not None
    sl, pz, py, px = box
    right = ((px + 55.0) / ra) ** 2 + ((py - 5.0) / rb) ** 2 + ((pz - rz) / rc) ** 2
    la, lb, lc = 70.0 * scale, 35.0 * scale, 45.0 * scale
    lz = z_top - 12.0 - lc
    left = ((px - 25.0) / la) ** 2 + ((py + 50.0) / lb) ** 2 + ((pz - lz) / lc) ** 2
    level = np.minimum(right, 1.15 * left)
    # Nodular surface: mid-frequency bumps whose amplitude rises with hepatic dysfunction.
    amp = float(np.clip(0.03 + 0.03 * anatomy.hepatic, 0.01, 0.12))
    level = level + 0.03 * _wave_field(rng, pz, py, px, terms=4, wavelength_mm=(60.0, 120.0))
    level = level + amp * _wave_field(rng, pz, py, px, terms=6, wavelength_mm=(14.0, 28.0))
    level = np.where(allowed[sl], level, np.float32(np.inf)).astype(np.float32)
    count = round(anatomy.liver_volume_ml / grid.spec.voxel_ml)
    full = np.zeros(grid.shape, dtype=bool)
    selected = _select_smallest(level, count, "liver", "liver_volume_ml", anatomy.liver_volume_ml)
    full[sl] = _keep_one_piece(selected, level)
    return full


def _ellipsoid(
    grid: _Grid, centre: tuple[float, float, float], semi: tuple[float, float, float]
) -> tuple[tuple[slice, slice, slice], FloatArray] | None:
    """Normalised squared radius of an axis-aligned ellipsoid over its bounding box."""
    lo = tuple(c - s for c, s in zip(centre, semi, strict=True))
    hi = tuple(c + s for c, s in zip(centre, semi, strict=True))
    box = grid.box(lo, hi)  # type: ignore[arg-type]
    if box is None:
        return None
    sl, pz, py, px = box
    r = (
        ((px - centre[0]) / semi[0]) ** 2
        + ((py - centre[1]) / semi[1]) ** 2
        + ((pz - centre[2]) / semi[2]) ** 2
    )
    return sl, r


def render_case(anatomy: CaseAnatomy) -> tuple[CtVolume, LabelMap]:
    """Render one synthetic portal-venous CT and its label map (1 = spleen, 2 = liver).

    Parameters
    ----------
    anatomy : CaseAnatomy
        Organ sizes, latent factors, scanner effects, seed and resolution.

    Returns
    -------
    ct : CtVolume
        HU rounded to integers (float32), identity direction, LPS origin centred on the body.
    labels : LabelMap
        uint8 label map on the same grid.

    Notes
    -----
    The spleen mask has exactly ``round(spleen_volume_ml / voxel_ml)`` voxels, so its volume matches the clinical
    row to within one voxel (0.04 ml on the default grid); the liver likewise.  See the module docstring for how
    each latent factor shows in the image.
    """
    spec = anatomy.grid
    grid = _Grid(spec)
    rng = np.random.default_rng([int(anatomy.seed) & 0xFFFFFFFF, 0x5B1EE7])
    nz, ny, nx = grid.shape
    spacing_zyx = (spec.spacing[2], spec.spacing[1], spec.spacing[0])
    z_top = float(grid.z[-1])
    xs = _cross_section(grid)

    labels = np.zeros(grid.shape, dtype=np.uint8)

    # ---- fixed structures: one 2-D cross-section repeated along z ------------------------------------------
    template = np.full((ny, nx), -1000.0, dtype=np.float32)
    for key, hu in (
        ("body", -95.0),  # visceral fat (bowel is added below)
        ("subcut", -105.0),
        ("wall", 55.0),
        ("paraspinal", 52.0),
        ("vert_body", 520.0),
        ("vert_cancellous", 240.0),
        ("posterior", 420.0),
        ("canal", 25.0),
        ("aorta", 165.0),
        ("ivc", 140.0),
    ):
        template[xs[key]] = hu
    ct = np.empty(grid.shape, dtype=np.float32)
    ct[...] = template
    # intervertebral discs every 32 mm
    vb = xs["vert_body"]
    for k in np.flatnonzero(np.mod(grid.z - 7.0, 32.0) < 7.0):
        ct[k][vb] = 90.0

    # bowel loops in the cavity: two slowly varying 2-D fields blended along z
    cav = xs["cavity"]
    f1 = _smooth_field(rng, (ny, nx), 9.0, spacing_zyx[1:])
    f2 = _smooth_field(rng, (ny, nx), 9.0, spacing_zyx[1:])
    phase = (2.0 * math.pi / 120.0) * grid.z
    for k in range(nz):
        f = math.cos(phase[k]) * f1 + math.sin(phase[k]) * f2
        sl2 = ct[k]
        sl2[cav & (f > 0.25)] = 30.0
        sl2[cav & (f > 1.7)] = -900.0

    # ---- spleen and liver (exact volumes) -------------------------------------------------------------------
    sp_sl, sp_mask, sp = _render_spleen(grid, cav, anatomy, rng, z_top)
    labels[sp_sl][sp_mask] = SPLEEN
    allowed_liver = np.broadcast_to(cav, grid.shape) & (labels == 0)
    liver = _render_liver(grid, allowed_liver, anatomy, rng, z_top)
    labels[liver] = LIVER
    organ = labels > 0

    # ---- lung bases in the posterior costophrenic recesses of the top slices -----------------------------------
    lung_top = grid.z >= z_top - 35.0
    if lung_top.any():
        recess = cav & (grid.y[:, None] > _BODY_CY - 10.0) & (np.abs(grid.x[None, :]) > 30.0)
        for k in np.flatnonzero(lung_top):
            depth = (float(grid.z[k]) - (z_top - 35.0)) / 35.0  # 0 at the lowest lung slice, 1 at the top
            inner = _ellipse(
                grid.x[None, :], grid.y[:, None], 0.0, _BODY_CY, _CAV_A - 45.0 * depth, _CAV_B - 30.0 * depth
            )
            lung = recess & ~inner & ~organ[k]
            ct[k][lung] = -860.0

    # ---- kidneys and veins (never over spleen or liver) -----------------------------------------------------
    for centre in ((72.0, 58.0, z_top - 150.0), (-70.0, 58.0, z_top - 165.0)):
        ell = _ellipsoid(grid, centre, (30.0, 24.0, 55.0))
        if ell is None:
            continue
        sl, r = ell
        free = ~organ[sl]
        region = ct[sl]
        region[(r <= 1.0) & free] = 165.0
        region[(r <= 0.35) & free] = 120.0
        region[(r <= 0.08) & free] = 10.0  # renal pelvis (unopacified in portal-venous phase)
    hilum = (
        sp["cx"] + sp["nx"] * sp["b"] * 0.9,
        sp["cy"] + sp["ny"] * sp["b"] * 0.9,
        sp["cz"] - 0.15 * sp["c"],
    )
    confluence = (6.0, 22.0, z_top - 115.0)
    porta = (-45.0, 8.0, z_top - 75.0)
    for p0, p1, radius in ((hilum, confluence, 5.0), (confluence, porta, 6.5)):
        cap = _capsule(grid, p0, p1, radius)
        if cap is None:
            continue
        sl, m = cap
        region = ct[sl]
        region[m & ~organ[sl] & (region > -500.0)] = 175.0

    # ---- liver parenchyma -----------------------------------------------------------------------------------
    liver_mean = 100.0 - 8.0 * anatomy.hepatic + rng.normal(0.0, 6.0)
    liver_het = float(np.clip(6.0 + 4.0 * anatomy.hepatic, 3.0, 18.0))
    lbox = ndimage.find_objects(liver.astype(np.uint8))[0] if liver.any() else None
    if lbox is not None:
        lf = _smooth_field(rng, tuple(s.stop - s.start for s in lbox), 6.0, spacing_zyx)
        region = ct[lbox]
        lm = liver[lbox]
        region[lm] = (liver_mean + liver_het * lf)[lm]

    # ---- spleen parenchyma ----------------------------------------------------------------------------------
    u = rng.normal()
    hu_latent = 0.5 * anatomy.texture + 0.3 * anatomy.ph + math.sqrt(0.51) * u
    spleen_mean = float(np.clip(115.0 + 15.0 * hu_latent, 80.0, 160.0))
    total_sd = float(np.clip(16.0 + 2.0 * anatomy.texture, 12.0, 20.0))
    field_sd = math.sqrt(max(total_sd**2 - anatomy.scanner_noise_hu**2, 9.0))
    coarse_w = float(np.clip(0.45 + 0.15 * anatomy.texture, 0.15, 0.85))
    fine_w = math.sqrt(1.0 - coarse_w**2)
    tight = ndimage.find_objects(sp_mask.astype(np.uint8))[0]
    sp_sl = tuple(slice(o.start + t.start, o.start + t.stop) for o, t in zip(sp_sl, tight, strict=True))  # type: ignore[assignment]
    sp_mask = sp_mask[tight]
    sp_shape = sp_mask.shape
    fine = _smooth_field(rng, sp_shape, 1.8, spacing_zyx)
    coarse = _smooth_field(rng, sp_shape, 6.0, spacing_zyx)
    tex = fine_w * fine + coarse_w * coarse
    inside = tex[sp_mask]
    tex = (tex - inside.mean()) / max(float(inside.std()), 1e-6)
    region = ct[sp_sl]
    region[sp_mask] = (spleen_mean + field_sd * tex)[sp_mask]

    # Gamna-Gandy-like hyperdense foci
    n_foci = 0 if anatomy.ph <= 0.8 else int(min(5, 1 + rng.poisson(1.5 * (anatomy.ph - 0.8))))
    core = ndimage.binary_erosion(sp_mask, iterations=2)
    candidates = np.flatnonzero(core)
    foci_done = 0
    if n_foci and candidates.size:
        picks = rng.choice(candidates, size=min(n_foci, candidates.size), replace=False)
        sz0, sy0, sx0 = sp_sl
        for flat in np.sort(picks):
            kz, ky, kx = np.unravel_index(int(flat), sp_shape)
            centre = (
                float(grid.x[sx0.start + kx]),
                float(grid.y[sy0.start + ky]),
                float(grid.z[sz0.start + kz]),
            )
            radius = float(rng.uniform(2.5, 4.0))
            ell = _ellipsoid(grid, centre, (radius, radius, max(radius, spec.spacing[2] / 2)))
            if ell is None:
                continue
            sl, r = ell
            spot = (r <= 1.0) & (labels[sl] == SPLEEN)
            region = ct[sl]
            region[spot] += float(rng.uniform(120.0, 200.0))
            foci_done += 1

    # ---- scanner ---------------------------------------------------------------------------------------------
    noise = rng.standard_normal(grid.shape, dtype=np.float32)
    ct += np.float32(anatomy.scanner_noise_hu) * noise
    ct += np.float32(anatomy.scanner_offset_hu)
    np.clip(ct, -1024.0, 3071.0, out=ct)
    np.rint(ct, out=ct)

    meta: dict[str, Any] = {
        "modality": "CT",
        "phase": "portal venous",
        "contrast_agent": "iodinated contrast (synthetic)",
        "kvp": 120.0,
        "synthetic": True,
        "seed": int(anatomy.seed),
        "spleen_mean_hu_target": round(spleen_mean + anatomy.scanner_offset_hu, 3),
        "spleen_sd_hu_target": round(total_sd, 3),
        "liver_mean_hu_target": round(liver_mean + anatomy.scanner_offset_hu, 3),
        "spleen_length_mm_rendered": round(
            float(np.count_nonzero(sp_mask.any(axis=(1, 2)))) * spec.spacing[2], 3
        ),
        "hyperdense_foci": foci_done,
    }
    ct_vol = CtVolume(
        array=ct,
        spacing=spec.spacing,
        origin=spec.origin,
        source=f"synthetic:seed={anatomy.seed}",
        meta=meta,
    )
    lab = LabelMap(
        array=labels,
        spacing=spec.spacing,
        origin=spec.origin,
        labels={SPLEEN: "spleen", LIVER: "liver"},
        source=f"synthetic:seed={anatomy.seed}",
    )
    return ct_vol, lab

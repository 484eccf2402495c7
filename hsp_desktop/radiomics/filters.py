"""Image types (filters) evaluated on the padded ROI box only.

PyRadiomics filters the whole image it holds (the whole CT without resampling, the resampled ROI box plus
``padDistance`` with resampling) and then crops to the ROI bounding box.  Here each filter reads only the region
it needs around the ROI box:

* LoG (:func:`kernels.filters.laplacian_of_gaussian`: ITK's ``LaplacianRecursiveGaussianImageFilter`` as
  PyRadiomics runs it, bit-equal on the same grid and ~3x faster): the box plus ``LOG_MARGIN_SIGMAS`` sigmas each
  side; the recursive (IIR) filter's boundary influence decays as ``exp(-1.7 d / sigma)``, so the ROI values agree
  with whole-image filtering to ~1e-12 relative; passes after the first along an axis run on the box's lines only;
* Wavelet (PyWavelets ``swtn``, PyRadiomics' ``_swt3``): the box plus the filter length per level; the
  undecimated transform is shift-equivariant, so ROI values are bit-equal to whole-image filtering; where the
  margin meets the image edge the whole axis is used with PyRadiomics' wrap padding; the last level runs axis
  by axis on the lines the later axes still need (:func:`_swtn_on_box`);
* Gradient (SimpleITK ``GradientMagnitudeImageFilter``): the box plus one voxel;
* Square, SquareRoot, Logarithm, Exponential (:mod:`kernels.filters`): the box, scaled by the whole image's
  maximum absolute value.

Each generator yields ``(image_type_name, values_on_roi_box)`` with PyRadiomics' names.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

from hsp_desktop.radiomics.preprocess import ImageSource, Slices
from hsp_desktop.radiomics.settings import ExtractionSettings
from kernels.filters import intensity_filter, laplacian_of_gaussian

__all__ = ["LOG_MARGIN_SIGMAS", "filtered_images"]

LOG_MARGIN_SIGMAS = 16.0


def _grow(box: Slices, margins: tuple[int, int, int], shape: tuple[int, int, int]) -> Slices:
    return tuple(
        slice(max(0, b.start - m), min(n, b.stop + m)) for b, m, n in zip(box, margins, shape, strict=True)
    )  # type: ignore[return-value]


def _inner(box: Slices, region: Slices) -> Slices:
    return tuple(slice(b.start - r.start, b.stop - r.start) for b, r in zip(box, region, strict=True))  # type: ignore[return-value]


def _sitk_image(values: npt.NDArray[np.generic], source: ImageSource, region: Slices):  # type: ignore[no-untyped-def]
    import SimpleITK as sitk

    image = sitk.GetImageFromArray(np.ascontiguousarray(values))
    image.SetSpacing(source.spacing)
    image.SetDirection(source.direction)
    return image


def log_name(sigma: float) -> str:
    """PyRadiomics' image-type name of a LoG sigma (``log-sigma-2-0-mm-3D`` for 2.0)."""
    return "log-sigma-{}-mm-3D".format(str(sigma).replace(".", "-"))


def _log_images(
    source: ImageSource, box: Slices, s: ExtractionSettings
) -> Iterator[tuple[str, npt.NDArray[np.floating]]]:

    size = np.array(source.shape[::-1])
    spacing = np.array(source.spacing)
    if np.min(size) < 4:
        return
    for sigma in s.sigma:
        if not np.all(size >= np.ceil(sigma / spacing) + 1):
            continue
        margins = tuple(math.ceil(LOG_MARGIN_SIGMAS * sigma / sp) for sp in source.spacing[::-1])
        region = _grow(box, margins, source.shape)  # type: ignore[arg-type]
        out = laplacian_of_gaussian(source.region(region), source.spacing, float(sigma), _inner(box, region))
        yield log_name(sigma), out


def _wavelet_axis(lo: int, hi: int, margin: int, n: int) -> tuple[int, int, bool]:
    a, b = lo - margin, hi + margin
    if a <= 0 or b >= n:
        return 0, n, True
    if (b - a) % 2:
        if b + 1 < n:
            b += 1
        elif a - 1 > 0:
            a -= 1
        else:
            return 0, n, True
    return a, b, False


def _wavelet_images(
    source: ImageSource, box: Slices, s: ExtractionSettings
) -> Iterator[tuple[str, npt.NDArray[np.floating]]]:
    import pywt

    wavelet = pywt.Wavelet(s.wavelet)
    margin = wavelet.dec_len * (s.start_level + s.level) + 2
    axes_order = [2, 1, 0]
    if s.force2d:
        axes_order.remove(s.force2d_dimension)
    spans = []
    for axis in range(3):
        if axis in axes_order:
            spans.append(_wavelet_axis(box[axis].start, box[axis].stop, margin, source.shape[axis]))
        else:
            spans.append((box[axis].start, box[axis].stop, False))
    region = tuple(slice(a, b) for a, b, _ in spans)
    data = np.array(source.native_region(region))  # type: ignore[arg-type]  # int16 -> float64 in pywt, as PyRadiomics
    padding = tuple((0, 1 if (full and data.shape[i] % 2) else 0) for i, (_, _, full) in enumerate(spans))
    data = np.pad(data, padding, "wrap")
    crop = _inner(box, region)  # type: ignore[arg-type]
    for _ in range(s.start_level):
        data = pywt.swtn(data, wavelet, level=1, start_level=0, axes=tuple(axes_order))[0][
            "a" * len(axes_order)
        ].copy()
    approx_key = "a" * len(axes_order)
    for idx in range(1, s.level + 1):
        prefix = "wavelet" if idx == 1 else f"wavelet{idx}"
        if idx < s.level:
            dec = pywt.swtn(data, wavelet, level=1, start_level=0, axes=tuple(axes_order))[0]
            data = dec[approx_key].copy()
            dec = {key: values[crop] for key, values in dec.items()}
        else:
            dec = _swtn_on_box(data, wavelet, axes_order, crop)
        for key, values in dec.items():
            if key == approx_key:
                continue
            name = str(key).replace("a", "L").replace("d", "H")
            yield f"{prefix}-{name}", np.array(values)
    yield f"{prefix}-{'L' * len(axes_order)}", np.array(dec[approx_key])


def _swtn_on_box(
    data: npt.NDArray[np.generic], wavelet: Any, axes: list[int], crop: Slices
) -> dict[str, npt.NDArray[np.generic]]:
    """One level of ``pywt.swtn`` (same axis order, same 1-D transforms, same bits), cropped to the ROI box.

    A transform along one axis never mixes the lines along the others, so once an axis is transformed only the
    ROI box along it is needed: each transform runs on the lines the later ones still need (about a quarter less
    work than ``swtn`` on the padded region followed by a crop).
    """
    import pywt

    coeffs: list[tuple[str, npt.NDArray[np.generic]]] = [("", data)]
    previous: int | None = None
    for axis in axes:
        # the axis transformed last is not mixed again: keep only the ROI box along it
        keep = tuple(crop[a] if a == previous else slice(None) for a in range(data.ndim))
        new = []
        for key, values in coeffs:
            ((approx, detail),) = pywt.swt(values[keep], wavelet, level=1, start_level=0, axis=axis)
            new.extend([(key + "a", approx), (key + "d", detail)])
        coeffs = new
        previous = axis
    untouched = [a for a in range(data.ndim) if a not in axes]
    last = tuple(crop[a] if a == previous or a in untouched else slice(None) for a in range(data.ndim))
    return {key: values[last] for key, values in coeffs}


def _gradient_image(
    source: ImageSource, box: Slices, s: ExtractionSettings
) -> Iterator[tuple[str, npt.NDArray[np.floating]]]:
    import SimpleITK as sitk

    region = _grow(box, (1, 1, 1), source.shape)
    image = _sitk_image(source.native_region(region), source, region)  # the stored pixel type, as PyRadiomics
    flt = sitk.GradientMagnitudeImageFilter()
    flt.SetUseImageSpacing(s.gradient_use_spacing)
    out = sitk.GetArrayFromImage(flt.Execute(image))
    yield "gradient", np.array(out[_inner(box, region)])


def filtered_images(
    image_type: str, source: ImageSource, box: Slices, s: ExtractionSettings
) -> Iterator[tuple[str, npt.NDArray[np.floating]]]:
    """Yield ``(name, values on the ROI box)`` for one image type.

    Parameters
    ----------
    image_type : str
        One of :data:`~hsp_desktop.radiomics.settings.IMAGE_TYPES`.
    source : ImageSource
        The whole image as PyRadiomics holds it.
    box : tuple of slices
        The ROI bounding box in ``source``.
    s : ExtractionSettings
        Settings with this image type's overrides applied.

    Yields
    ------
    (str, ndarray)
        PyRadiomics' image-type name (``original``, ``log-sigma-1-0-mm-3D``, ``wavelet-LHL``, ``square`` ...) and
        the filtered values on ``box``.
    """
    if image_type == "Original":
        yield "original", source.region(box)
    elif image_type == "LoG":
        yield from _log_images(source, box, s)
    elif image_type == "Wavelet":
        yield from _wavelet_images(source, box, s)
    elif image_type == "Gradient":
        yield from _gradient_image(source, box, s)
    else:
        kind = image_type.lower()
        values = source.region(box)
        yield kind, intensity_filter(values, kind, source.abs_max())

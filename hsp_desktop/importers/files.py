"""NIfTI, NRRD and MetaImage files through SimpleITK: read as CtVolume / LabelMap, write deterministically."""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from hsp_desktop.domain import CtVolume, LabelMap
from hsp_desktop.errors import FileFormatError, InputError

if TYPE_CHECKING:
    import SimpleITK as sitk

__all__ = ["IMAGE_SUFFIXES", "image_suffix", "read_sitk", "to_sitk", "write_image"]

#: File suffixes read and written through SimpleITK.
IMAGE_SUFFIXES = (".nii.gz", ".nii", ".nrrd", ".nhdr", ".mha", ".mhd")


def image_suffix(path: Path) -> str | None:
    """The image suffix of ``path`` (``.nii.gz`` counts as one), or None when it is not an image file name."""
    name = path.name.lower()
    for suffix in IMAGE_SUFFIXES:
        if name.endswith(suffix):
            return suffix
    return None


def _truncated(path: Path, what: str, detail: str) -> FileFormatError:
    return FileFormatError(
        f"The {what} file {path.name} cannot be read as an image",
        expected="a complete NIfTI (.nii/.nii.gz), NRRD or MHA file",
        found=detail,
        fix="export the file again (it may be truncated, still copying, or not an image)",
        field=str(path),
    )


def _check_nifti(path: Path, what: str) -> None:
    """Refuse a NIfTI-1/2 file whose data are shorter than its header promises (ITK reads those silently)."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            head = f.read(540)
            total = len(head)
            while chunk := f.read(1 << 22):
                total += len(chunk)
    except (EOFError, OSError, zlib.error) as exc:
        raise _truncated(path, what, f"a damaged or truncated compressed stream ({exc})") from exc
    if len(head) < 348:
        raise _truncated(path, what, f"{len(head)} bytes, shorter than a NIfTI header")
    for endian in ("<", ">"):
        size = struct.unpack(f"{endian}i", head[:4])[0]
        if size == 348:
            dims = struct.unpack(f"{endian}8h", head[40:56])
            bitpix = struct.unpack(f"{endian}h", head[72:74])[0]
            offset = struct.unpack(f"{endian}f", head[108:112])[0]
            break
        if size == 540:
            dims = struct.unpack(f"{endian}8q", head[16:80])
            bitpix = struct.unpack(f"{endian}h", head[14:16])[0]
            offset = struct.unpack(f"{endian}q", head[168:176])[0]
            break
    else:
        raise _truncated(path, what, "no NIfTI header")
    ndim = max(1, min(int(dims[0]), 7))
    voxels = 1
    for d in dims[1 : ndim + 1]:
        voxels *= max(int(d), 1)
    expected = int(offset) + voxels * max(int(bitpix), 8) // 8
    if total < expected:
        raise _truncated(path, what, f"{total} bytes of data where the header promises {expected}")


def read_sitk(path: Path, what: str) -> sitk.Image:
    """Read a 3-D image file with SimpleITK, turning every failure into :class:`FileFormatError`.

    Parameters
    ----------
    path : Path
        NIfTI, NRRD or MetaImage file.
    what : str
        "CT" or "mask", for the messages.

    Returns
    -------
    SimpleITK.Image
        The image (3-D, one component).
    """
    import SimpleITK as sitk

    if not path.is_file():
        raise FileFormatError(
            f"The {what} file {path} does not exist",
            expected="an existing NIfTI, NRRD or MHA file",
            found="no such file",
            fix="check the path",
            field=str(path),
        )
    if image_suffix(path) in (".nii", ".nii.gz"):
        _check_nifti(path, what)
    try:
        reader = sitk.ImageFileReader()
        reader.SetFileName(str(path))
        image = reader.Execute()
    except RuntimeError as exc:
        lines = str(exc).strip().splitlines()
        detail = next((line for line in reversed(lines) if line.strip()), "unreadable")
        raise _truncated(path, what, f"a file SimpleITK rejects ({detail[:160]})") from exc
    if image.GetDimension() != 3 or image.GetNumberOfComponentsPerPixel() != 1:
        raise FileFormatError(
            f"The {what} file {path.name} is not a 3-D single-channel image",
            expected="a 3-D scalar volume",
            found=f"{image.GetDimension()}-D, {image.GetNumberOfComponentsPerPixel()} component(s), "
            f"size {image.GetSize()}",
            fix="export the whole series as one 3-D volume",
            field=str(path),
        )
    return image


def to_sitk(volume: CtVolume | LabelMap) -> sitk.Image:
    """A SimpleITK image with the volume's array and geometry (array dtype kept)."""
    import SimpleITK as sitk

    image = sitk.GetImageFromArray(np.ascontiguousarray(volume.array))
    image.SetSpacing(tuple(float(v) for v in volume.spacing))
    image.SetOrigin(tuple(float(v) for v in volume.origin))
    image.SetDirection(tuple(float(v) for v in volume.direction))
    return image


def write_image(volume: CtVolume | LabelMap, path: Path | str) -> Path:
    """Write a CT (int16 HU) or label map (uint8) as NIfTI, NRRD or MHA, chosen by the suffix.

    Parameters
    ----------
    volume : CtVolume or LabelMap
        What to write; CT values are rounded to whole HU.
    path : Path or str
        ``.nii.gz``, ``.nii``, ``.nrrd`` or ``.mha``.  Written to a temporary name first and renamed, so a failed
        write never leaves a partial file; the bytes depend only on the image (no time stamps).

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    InputError
        Unknown suffix, or CT values that do not fit int16.
    """
    import SimpleITK as sitk

    path = Path(path)
    suffix = image_suffix(path)
    if suffix not in (".nii.gz", ".nii", ".nrrd", ".mha"):
        raise InputError(
            f"Cannot write an image named {path.name}",
            expected="a name ending in .nii.gz, .nii, .nrrd or .mha",
            found=repr(path.suffix or path.name),
            fix="choose one of those file types",
            field=str(path),
        )
    if volume.kind == "label":
        array = np.asarray(volume.array)
        if array.size and (array.min() < 0 or array.max() > 255 or not np.array_equal(array, np.rint(array))):
            raise InputError(
                "Label maps are written as 8-bit labels",
                expected="integer labels 0-255",
                found=f"values {array.min()}..{array.max()}",
                fix="relabel the mask",
                field=str(path),
            )
        data = array.astype(np.uint8)
    else:
        hu = np.rint(np.asarray(volume.array, dtype=np.float64))
        if not np.isfinite(hu).all() or (hu.size and (hu.min() < -32768 or hu.max() > 32767)):
            raise InputError(
                "CT values do not fit a 16-bit integer file",
                expected="finite HU within -32768..32767",
                found=f"values {np.nanmin(hu)}..{np.nanmax(hu)}, finite={bool(np.isfinite(hu).all())}",
                fix="clip or correct the volume before writing",
                field=str(path),
            )
        data = hu.astype(np.int16)
    image = sitk.GetImageFromArray(data)
    image.SetSpacing(tuple(float(v) for v in volume.spacing))
    image.SetOrigin(tuple(float(v) for v in volume.origin))
    image.SetDirection(tuple(float(v) for v in volume.direction))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name[: -len(suffix)]}.part{suffix}")
    try:
        sitk.WriteImage(image, str(tmp), useCompression=suffix != ".nii")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path

"""Reading CT volumes and masks from DICOM, NIfTI, NRRD and MHA, and writing images.

Public API::

    list_dicom_series(folder) -> list[SeriesInfo]
    read_ct(path, *, series_uid=None, series_number=None) -> CtVolume
    scan_export(folder) -> generator of Progress returning StudyTree (patient -> study -> series)
    read_mask(path, *, reference=None, labels=None, resample=False) -> LabelMap
    write_image(volume, path) -> Path
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from hsp_desktop.domain import CtVolume
from hsp_desktop.errors import FileFormatError
from hsp_desktop.importers.dicom import SeriesInfo, list_dicom_series, read_dicom_ct, read_header
from hsp_desktop.importers.files import image_suffix, read_sitk, write_image
from hsp_desktop.importers.masks import read_mask

if TYPE_CHECKING:
    import SimpleITK as sitk

__all__ = ["SeriesInfo", "list_dicom_series", "read_ct", "read_mask", "write_image"]


def read_ct(
    path: Path | str,
    *,
    series_uid: str | None = None,
    series_number: int | None = None,
    stored_type: bool = False,
) -> CtVolume:
    """Read a CT in HU from a DICOM folder or a NIfTI/NRRD/MHA file.

    Parameters
    ----------
    path : Path or str
        A folder of DICOM files (several series allowed, see ``series_uid``), one DICOM file of a series (the
        series is read from its folder), or an image file.
    series_uid : str, optional
        The SeriesInstanceUID to read when the folder holds several CT series (:func:`list_dicom_series`).
    series_number : int, optional
        Or the SeriesNumber of that series (must be unique in the folder).
    stored_type : bool
        NIfTI/NRRD/MHA: keep the file's pixel type (int16 HU as stored, the image PyRadiomics reads) without
        copying the voxels SimpleITK read; default float32 HU.

    Returns
    -------
    CtVolume
        float32 HU with spacing, origin and direction; ``meta`` says where it came from.

    Raises
    ------
    FileFormatError
        Missing, truncated or non-image files; DICOM without pixel data.
    GeometryError
        Unusable DICOM geometry (missing slices, uneven spacing, gantry tilt, oblique, mixed sizes).
    InputError
        Several CT series and no ``series_uid``; no CT series at all.
    """
    import SimpleITK as sitk

    path = Path(path)
    if path.is_dir():
        return read_dicom_ct(path, series_uid=series_uid, series_number=series_number)
    if image_suffix(path) is None:
        header = read_header(path) if path.is_file() else None
        if header is not None and "SeriesInstanceUID" in header:
            # one slice of a series: read the whole series from its folder
            return read_dicom_ct(path.parent, series_uid=str(header.SeriesInstanceUID))
        if path.is_file():
            raise FileFormatError(
                f"{path.name} is not a CT file type HSP Desktop reads",
                expected="a DICOM folder or a .nii/.nii.gz/.nrrd/.mha file",
                found=repr(path.suffix or path.name),
                fix="choose the folder of the DICOM series, or export the CT as NIfTI",
                field=str(path),
            )
        raise FileFormatError(
            f"The CT {path} does not exist",
            expected="a DICOM folder or a NIfTI/NRRD/MHA file",
            found="no such file or folder",
            fix="check the path",
            field=str(path),
        )
    image = read_sitk(path, "CT")
    array = _pixels(image) if stored_type else sitk.GetArrayFromImage(image).astype(np.float32)
    return CtVolume(
        array=array,
        spacing=tuple(float(v) for v in image.GetSpacing()),  # type: ignore[arg-type]
        origin=tuple(float(v) for v in image.GetOrigin()),  # type: ignore[arg-type]
        direction=tuple(float(v) for v in image.GetDirection()),  # type: ignore[arg-type]
        source=str(path),
        meta={"format": image_suffix(path).lstrip(".").upper()},  # type: ignore[union-attr]
    )


class _Pixels:
    """Exposes a SimpleITK image's buffer to NumPy and keeps the image alive as the array's base."""

    def __init__(self, image: sitk.Image) -> None:
        import SimpleITK as sitk

        self._image = image
        self.__array_interface__ = sitk.GetArrayViewFromImage(image).__array_interface__


def _pixels(image: sitk.Image) -> npt.NDArray[Any]:
    """The voxels of ``image`` (z, y, x) in its pixel type, without a copy."""
    return np.asarray(_Pixels(image))

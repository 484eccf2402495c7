"""Images with their geometry, and the QC report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

Vec3 = tuple[float, float, float]
Direction = tuple[float, float, float, float, float, float, float, float, float]
IDENTITY: Direction = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)


@dataclass(frozen=True, eq=False)
class CtVolume:
    """A CT volume in Hounsfield units with its physical geometry.

    Attributes
    ----------
    array : ndarray, shape (z, y, x)
        Voxel values in HU (float32), indexed slice, row, column (SimpleITK's ``GetArrayFromImage`` order).
    spacing : (sx, sy, sz)
        Voxel size in mm, in x, y, z order (SimpleITK order).
    origin : (ox, oy, oz)
        Physical position of the first voxel centre, mm (LPS).
    direction : 9 floats
        Row-major direction cosine matrix (SimpleITK order).
    source : str
        Where the volume came from (file or folder), for messages and provenance.
    meta : dict
        Acquisition details (series UID, description, phase, kVp, ...), as available.
    """

    array: npt.NDArray[np.float32]
    spacing: Vec3
    origin: Vec3 = (0.0, 0.0, 0.0)
    direction: Direction = IDENTITY
    source: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    kind: Literal["intensity"] = "intensity"

    @property
    def shape(self) -> tuple[int, int, int]:
        """Array shape (z, y, x)."""
        z, y, x = self.array.shape
        return int(z), int(y), int(x)

    @property
    def voxel_volume_ml(self) -> float:
        """Volume of one voxel in millilitres."""
        return float(self.spacing[0] * self.spacing[1] * self.spacing[2]) / 1000.0


@dataclass(frozen=True, eq=False)
class LabelMap:
    """An integer label map on a CT grid (nearest-neighbour interpolation only).

    Attributes
    ----------
    array : ndarray, shape (z, y, x)
        Integer labels (uint8); 0 is background.
    labels : dict
        Label value -> structure name, e.g. ``{1: "spleen", 2: "liver"}``.
    """

    array: npt.NDArray[np.uint8]
    spacing: Vec3
    origin: Vec3 = (0.0, 0.0, 0.0)
    direction: Direction = IDENTITY
    labels: dict[int, str] = field(default_factory=lambda: {1: "spleen", 2: "liver"})
    source: str = ""

    kind: Literal["label"] = "label"

    @property
    def shape(self) -> tuple[int, int, int]:
        """Array shape (z, y, x)."""
        z, y, x = self.array.shape
        return int(z), int(y), int(x)

    def volume_ml(self, label: int) -> float:
        """Volume of one label in millilitres."""
        voxels = int(np.count_nonzero(self.array == label))
        return voxels * float(self.spacing[0] * self.spacing[1] * self.spacing[2]) / 1000.0


QcStatus = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class QcCheck:
    """One imaging quality check: its name, status, the measured value and the limit it was held to."""

    name: str
    status: QcStatus
    value: str
    limit: str
    message: str


@dataclass(frozen=True)
class QcReport:
    """The QC gate's result, kept with the features it allowed."""

    checks: tuple[QcCheck, ...]
    ct_source: str = ""
    mask_source: str = ""

    @property
    def passed(self) -> bool:
        """True when no check failed (warnings allowed)."""
        return all(c.status != "fail" for c in self.checks)

    @property
    def failures(self) -> tuple[QcCheck, ...]:
        """The failed checks."""
        return tuple(c for c in self.checks if c.status == "fail")

    @property
    def warnings(self) -> tuple[QcCheck, ...]:
        """The checks that passed with a warning."""
        return tuple(c for c in self.checks if c.status == "warn")

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable form."""
        return {
            "passed": self.passed,
            "ct_source": self.ct_source,
            "mask_source": self.mask_source,
            "checks": [c.__dict__ for c in self.checks],
        }

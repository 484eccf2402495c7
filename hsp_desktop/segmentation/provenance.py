"""Provenance of a mask made or edited in HSP Desktop, its review, and the gate that refuses unreviewed masks.

A mask made in the app is saved as a NIfTI label map whose header description says it was made in the app, with a
JSON sidecar beside it (``<name>.provenance.json``) holding how it was made (method, seeds, HU window, model
hash), every edit (who, when, which tool) and the review (who confirmed it, when).  The sidecar pins the mask by a
hash of its labels, so a mask changed after review is no longer reviewed.

:func:`require_reviewed` is what scoring calls: an app-made mask without a review, or whose labels changed after
the review, is refused; a mask made outside the app (no app header, no sidecar) is used as before.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from hsp_desktop import __version__
from hsp_desktop.domain import LabelMap
from hsp_desktop.errors import FileFormatError, InputError

__all__ = [
    "APP_MADE_DESCRIPTION",
    "FORMAT",
    "EditRecord",
    "MaskProvenance",
    "Review",
    "labels_sha256",
    "now_utc",
    "read_provenance",
    "require_reviewed",
    "sidecar_path",
]

#: Format tag of the sidecar file.
FORMAT = "hsp-mask-provenance/1"
#: NIfTI header description of a mask written by the app (tells the scoring gate to look for the sidecar).
APP_MADE_DESCRIPTION = "HSP Desktop app-made mask; see .provenance.json"


def now_utc() -> str:
    """The current time, ISO 8601 in UTC to the second."""
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()


def labels_sha256(array: npt.NDArray[Any]) -> str:
    """SHA-256 of a label array's shape and uint8 voxels (independent of the file format it is stored in)."""
    data = np.ascontiguousarray(array, dtype=np.uint8)
    digest = hashlib.sha256(repr(tuple(int(n) for n in data.shape)).encode())
    digest.update(data.tobytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class EditRecord:
    """One edit of the mask: who, when, which tool, where, and how many voxels changed."""

    user: str
    time: str
    tool: str
    label: int
    params: dict[str, Any] = field(default_factory=dict)
    voxels_changed: int = 0


@dataclass(frozen=True)
class Review:
    """A named user's confirmation that the mask is fit for scoring."""

    reviewer: str
    time: str
    labels_sha256: str
    note: str = ""


@dataclass(frozen=True)
class MaskProvenance:
    """How a mask was made, every edit after that, and its review.

    Attributes
    ----------
    method : str
        ``"semi-automatic"`` (region growing from clicks), ``"onnx-model"``, ``"imported"`` or ``"manual"``.
    created_by, created_at : str
        User and UTC time of creation.
    ct_source : str
        The CT the mask was drawn on.
    labels : dict
        Label value -> structure name.
    details : dict
        Method details: seeds (i, j, k), HU window, smoothness per organ; model name, SHA-256, licence and
        intended use for a model; the source file for an import.
    edits : tuple of EditRecord
        The edits in order.
    review : Review or None
        The review; None until a named user confirms the mask.
    app_version : str
        The HSP Desktop version that made it.
    """

    method: str
    created_by: str
    created_at: str
    ct_source: str
    labels: dict[int, str]
    details: dict[str, Any] = field(default_factory=dict)
    edits: tuple[EditRecord, ...] = ()
    review: Review | None = None
    app_version: str = __version__

    def with_edit(self, edit: EditRecord) -> MaskProvenance:
        """A copy with one more edit; an edit voids an earlier review."""
        return replace(self, edits=(*self.edits, edit), review=None)

    def without_last_edit(self) -> MaskProvenance:
        """A copy without the last edit (undo); an undo voids an earlier review too."""
        return replace(self, edits=self.edits[:-1], review=None)

    def reviewed(self, reviewer: str, array: npt.NDArray[Any], note: str = "") -> MaskProvenance:
        """A copy reviewed by ``reviewer`` for exactly the labels in ``array``.

        Raises
        ------
        InputError
            No reviewer name, or an empty mask.
        """
        if not reviewer.strip():
            raise InputError(
                "A mask review needs the reviewer's name",
                expected="the signed-in user's name",
                found="an empty name",
                fix="sign in, or pass --reviewer NAME",
                field="reviewer",
            )
        if not np.asarray(array).any():
            raise InputError(
                "An empty mask cannot be reviewed",
                expected="at least one labelled voxel",
                found="0 labelled voxels",
                fix="segment the organ first",
                field="mask",
            )
        return replace(self, review=Review(reviewer.strip(), now_utc(), labels_sha256(array), note))

    def summary(self) -> str:
        """One line for the report: method (with seeds or model hash), number of edits, reviewer and date."""
        text = self.method
        if self.method == "onnx-model" and "model_sha256" in self.details:
            text += (
                f" {self.details.get('model_name', '')} (SHA-256 {str(self.details['model_sha256'])[:12]})"
            )
        elif self.method == "semi-automatic":
            seeds = self.details.get("organs", {})
            clicks = sum(len(v.get("seeds", [])) for v in seeds.values()) if isinstance(seeds, dict) else 0
            text += f" from {clicks} click(s)"
        text += f"; {len(self.edits)} edit(s)"
        if self.review is not None:
            text += f"; reviewed by {self.review.reviewer} {self.review.time[:10]}"
        else:
            text += "; not reviewed"
        return text

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (the sidecar's content)."""
        out = asdict(self)
        out["format"] = FORMAT
        out["labels"] = {str(k): v for k, v in self.labels.items()}
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "") -> MaskProvenance:
        """Rebuild from :meth:`as_dict`.

        Raises
        ------
        FileFormatError
            Another format, or missing fields.
        """
        if data.get("format") != FORMAT:
            raise FileFormatError(
                f"{source or 'The provenance record'} is not an HSP Desktop mask provenance file",
                expected=FORMAT,
                found=repr(data.get("format")),
                fix="save the mask again from HSP Desktop",
                field=source or "provenance",
            )
        try:
            review = data.get("review")
            return cls(
                method=str(data["method"]),
                created_by=str(data["created_by"]),
                created_at=str(data["created_at"]),
                ct_source=str(data["ct_source"]),
                labels={int(k): str(v) for k, v in data["labels"].items()},
                details=dict(data.get("details", {})),
                edits=tuple(EditRecord(**e) for e in data.get("edits", [])),
                review=Review(**review) if review else None,
                app_version=str(data.get("app_version", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise FileFormatError(
                f"{source or 'The provenance record'} is incomplete",
                expected="method, created_by, created_at, ct_source, labels, edits, review",
                found=f"{type(exc).__name__}: {exc}",
                fix="save the mask again from HSP Desktop",
                field=source or "provenance",
            ) from exc


def sidecar_path(mask_path: Path | str) -> Path:
    """``mask.nii.gz`` -> ``mask.provenance.json`` (beside the mask)."""
    path = Path(mask_path)
    name = path.name
    for suffix in (".nii.gz", ".nii", ".nrrd", ".mha", ".dcm"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return path.with_name(name + ".provenance.json")


def read_provenance(mask_path: Path | str) -> MaskProvenance | None:
    """The provenance sidecar of ``mask_path``, or None when there is none."""
    side = sidecar_path(mask_path)
    if not side.is_file():
        return None
    try:
        data = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise FileFormatError(
            f"The mask provenance file {side.name} cannot be read",
            expected="a JSON file written by HSP Desktop",
            found=f"{type(exc).__name__}: {exc}",
            fix="save the mask again from HSP Desktop and review it",
            field=str(side),
        ) from exc
    if not isinstance(data, dict):
        raise FileFormatError(
            f"The mask provenance file {side.name} is not a JSON object",
            expected="a JSON object",
            found=type(data).__name__,
            fix="save the mask again from HSP Desktop and review it",
            field=str(side),
        )
    return MaskProvenance.from_dict(data, side.name)


def _app_made(mask_path: Path) -> bool:
    """True when the file's header says it was written by the app (NIfTI description)."""
    import SimpleITK as sitk

    if not mask_path.is_file() or not mask_path.name.endswith((".nii.gz", ".nii")):
        return False
    reader = sitk.ImageFileReader()  # type: ignore[no-untyped-call]
    reader.SetFileName(str(mask_path))  # type: ignore[no-untyped-call]
    try:
        reader.ReadImageInformation()  # type: ignore[no-untyped-call]
    except RuntimeError:
        # no NIfTI header ITK can read: not a file the app wrote (reading it as a mask is the importer's job)
        return False
    if not reader.HasMetaDataKey("descrip"):  # type: ignore[no-untyped-call]
        return False
    return str(reader.GetMetaData("descrip")).startswith("HSP Desktop")  # type: ignore[no-untyped-call]


def require_reviewed(mask_path: Path | str, mask: LabelMap) -> MaskProvenance | None:
    """Refuse an app-made mask that is not reviewed (or changed after its review); return its provenance.

    Parameters
    ----------
    mask_path : path-like
        The mask file about to be scored.
    mask : LabelMap
        The labels read from it (on the CT grid).

    Returns
    -------
    MaskProvenance or None
        The reviewed provenance, or None for a mask made outside the app.

    Raises
    ------
    InputError
        An app-made mask without its provenance file, not reviewed, or edited after the review.
    """
    path = Path(mask_path)
    provenance = read_provenance(path)
    if provenance is None:
        if _app_made(path):
            raise InputError(
                f"The mask {path.name} was made in HSP Desktop but its provenance file is missing",
                expected=f"{sidecar_path(path).name} beside the mask",
                found="no provenance file",
                fix="keep the mask and its .provenance.json together, or segment and review it again",
                field=str(path),
            )
        return None
    if provenance.review is None:
        raise InputError(
            f"The mask {path.name} was made in HSP Desktop and has not been reviewed",
            expected="a review by a named user",
            found=f"{provenance.method} mask with {len(provenance.edits)} edit(s), no review",
            fix="review the mask (Segment screen: Review, or hsp segment-review) before scoring",
            field=str(path),
        )
    current = labels_sha256(mask.array)
    if current != provenance.review.labels_sha256:
        raise InputError(
            f"The mask {path.name} changed after it was reviewed",
            expected=f"labels SHA-256 {provenance.review.labels_sha256[:12]} (reviewed)",
            found=f"labels SHA-256 {current[:12]}",
            fix="review the mask again",
            field=str(path),
        )
    return provenance

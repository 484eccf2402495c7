"""Find the spleen and the liver in a mask by segment name (never by position), and read label tables.

Names are matched case-insensitively on words, in English, Chinese and a few other languages ("Spleen",
"spleen_1", "Milz (spleen)", "脾", "脾脏"; "Liver", "肝脏").  A name that matches both organs ("liver and spleen")
matches neither.  Label tables beside label maps are read from:

* 3D Slicer ``.seg.nrrd`` header keys ``SegmentN_Name`` / ``SegmentN_LabelValue`` (layer 0);
* a nnU-Net / TotalSegmentator style JSON beside the image (``<stem>.json`` with ``{"labels": {"spleen": 1}}``
  or ``{"1": "spleen"}``);
* an ITK-SNAP label description file beside the image (``<stem>.txt``, ``<stem>_labels.txt`` or
  ``label_descriptions.txt``; lines ``IDX R G B A VIS MSH "LABEL"``).
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hsp_desktop.domain import LabelMap
from hsp_desktop.errors import FileFormatError, InputError

__all__ = ["OrganChoice", "label_table", "organ_of", "resolve_organs"]

_SPLEEN = {"spleen", "splenic", "lien", "milz", "bazo", "milt", "splen"}
_LIVER = {"liver", "hepar", "hepatic", "leber", "foie", "higado", "lever"}
_SPLEEN_ZH = ("脾",)
_LIVER_ZH = ("肝",)


def organ_of(name: str) -> str | None:
    """The organ a segment name means: spleen, liver or None (EN/ZH synonyms, case-insensitive, whole words)."""
    text = name.strip().lower()
    words = set(re.split(r"[^a-z]+", text))
    spleen = bool(words & _SPLEEN) or any(c in text for c in _SPLEEN_ZH)
    liver = bool(words & _LIVER) or any(c in text for c in _LIVER_ZH)
    if spleen == liver:
        return None
    return "spleen" if spleen else "liver"


@dataclass(frozen=True)
class OrganChoice:
    """Which segment of the mask was taken as spleen (and liver), for the record and the report."""

    spleen_value: int
    spleen_name: str
    liver_value: int | None
    liver_name: str | None
    segments: dict[int, str]
    chosen_by: str  # "name" or "user"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "spleen_segment": self.spleen_name,
            "spleen_value": self.spleen_value,
            "liver_segment": self.liver_name,
            "liver_value": self.liver_value,
            "segments": {str(k): v for k, v in sorted(self.segments.items())},
            "chosen_by": self.chosen_by,
        }


def _listing(labels: dict[int, str]) -> str:
    return ", ".join(f"{v} '{n}'" for v, n in sorted(labels.items())) or "none"


def _pick(mask: LabelMap, organ: str, choice: int | str | None) -> tuple[int, str] | None:
    present = {int(v) for v in np.unique(mask.array) if v != 0}
    labels = {v: n for v, n in mask.labels.items() if v in present}
    if choice is not None:
        if isinstance(choice, int) or (isinstance(choice, str) and choice.strip().isdigit()):
            value = int(choice)
            if value not in labels:
                raise InputError(
                    f"Label {value} chosen as the {organ} is not in the mask {mask.source or ''}",
                    expected=f"one of: {_listing(labels)}",
                    found=str(value),
                    fix=f"choose the {organ} segment from the list (--{organ}-label NAME|N)",
                    field=f"{organ}_label",
                )
            return value, labels[value]
        named = [v for v, n in labels.items() if n.strip().lower() == str(choice).strip().lower()]
        if len(named) != 1:
            raise InputError(
                f"{len(named)} segments named {choice!r} in the mask {mask.source or ''}",
                expected=f"exactly one of: {_listing(labels)}",
                found=repr(choice),
                fix=f"choose the {organ} segment by its number (--{organ}-label N)",
                field=f"{organ}_label",
            )
        return named[0], labels[named[0]]
    found = [v for v, n in labels.items() if organ_of(n) == organ]
    if len(found) > 1:
        raise InputError(
            f"Several segments of the mask {mask.source or ''} could be the {organ}",
            expected=f"one segment named as the {organ}",
            found=_listing({v: labels[v] for v in found}) + f" (all segments: {_listing(labels)})",
            fix=f"choose the {organ} segment (--{organ}-label NAME|N, or pick it in the dialog)",
            field=f"{organ}_label",
        )
    return (found[0], labels[found[0]]) if found else None


def resolve_organs(mask: LabelMap, spleen: int | str | None = None) -> tuple[LabelMap, OrganChoice]:
    """The mask relabelled 1 = spleen, 2 = liver, found by segment name (or the user's choice for the spleen).

    Raises
    ------
    InputError
        No segment named as the spleen, or several: the message lists every segment.
    """
    picked = _pick(mask, "spleen", spleen)
    present = {int(v) for v in np.unique(mask.array) if v != 0}
    if picked is None:
        raise InputError(
            f"No segment of the mask {mask.source or ''} is named as the spleen",
            expected="a segment named Spleen / 脾 (any case, EN or ZH)",
            found=_listing({v: n for v, n in mask.labels.items() if v in present}),
            fix="choose the spleen segment (--spleen-label NAME|N, or pick it in the dialog)",
            field="spleen_label",
        )
    liver = _pick(mask, "liver", None)
    if liver is not None and liver[0] == picked[0]:
        liver = None
    out = np.zeros(mask.array.shape, dtype=np.uint8)
    out[mask.array == picked[0]] = 1
    names = {1: "spleen"}
    if liver is not None:
        out[mask.array == liver[0]] = 2
        names[2] = "liver"
    choice = OrganChoice(
        spleen_value=picked[0],
        spleen_name=picked[1],
        liver_value=None if liver is None else liver[0],
        liver_name=None if liver is None else liver[1],
        segments={v: n for v, n in mask.labels.items() if v in present},
        chosen_by="user" if spleen is not None else "name",
    )
    relabelled = LabelMap(
        array=out,
        spacing=mask.spacing,
        origin=mask.origin,
        direction=mask.direction,
        labels=names,
        source=mask.source,
    )
    return relabelled, choice


# ------------------------------------------------------------------------------------------- label tables
def _slicer_table(image: Any) -> dict[int, str]:
    keys = set(image.GetMetaDataKeys())
    out: dict[int, str] = {}
    i = 0
    while f"Segment{i}_Name" in keys:
        layer = image.GetMetaData(f"Segment{i}_Layer") if f"Segment{i}_Layer" in keys else "0"
        value = (
            image.GetMetaData(f"Segment{i}_LabelValue") if f"Segment{i}_LabelValue" in keys else str(i + 1)
        )
        if layer.strip() in ("", "0") and value.strip().isdigit():
            out[int(value)] = image.GetMetaData(f"Segment{i}_Name")
        i += 1
    return out


def _json_table(path: Path) -> dict[int, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FileFormatError(
            f"The label table {path.name} cannot be read",
            expected='JSON: {"labels": {"spleen": 1, ...}} or {"1": "spleen", ...}',
            found=f"{type(exc).__name__}: {str(exc)[:80]}",
            fix="fix or remove the label table beside the mask",
            field=str(path),
        ) from exc
    table = data.get("labels", data) if isinstance(data, dict) else {}
    out: dict[int, str] = {}
    for key, value in table.items():
        if str(value).strip().lstrip("-").isdigit():  # {"spleen": 1}
            out[int(value)] = str(key)
        elif str(key).strip().isdigit():  # {"1": "spleen"}
            out[int(key)] = str(value)
    return out


def _itksnap_table(path: Path) -> dict[int, str]:
    out: dict[int, str] = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            parts = shlex.split(line)
        except ValueError:
            continue
        if len(parts) >= 8 and parts[0].isdigit():
            out[int(parts[0])] = parts[7]
    return out


def label_table(path: Path, image: Any) -> tuple[dict[int, str], str | None]:
    """Segment names of a label-map file (see module docstring) and where they came from (None: no table)."""
    slicer = _slicer_table(image)
    if slicer:
        return slicer, "Slicer segment header"
    name = path.name
    stem = name.split(".")[0]
    for candidate in (path.with_name(stem + ".json"), path.with_name(stem + "_labels.json")):
        if candidate.is_file():
            return _json_table(candidate), candidate.name
    for candidate in (
        path.with_name(stem + ".txt"),
        path.with_name(stem + "_labels.txt"),
        path.with_name("label_descriptions.txt"),
    ):
        if candidate.is_file():
            table = _itksnap_table(candidate)
            if table:
                return table, candidate.name
    return {}, None

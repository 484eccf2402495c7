"""DICOM nodes (PACS) the workstation talks to: AE title, host, port, optional TLS; validated once.

The nodes are a site setting (``pacs_nodes`` in the registry, changed by administrators and audited); this
module turns that setting into :class:`PacsNode` objects and back, refusing anything a DICOM association could
not use with one message per problem.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from hsp_desktop.errors import Problem, ValidationError

#: Characters DICOM allows in an AE title (default character repertoire without backslash and control codes).
_AE_RE = re.compile(r"^[\x20-\x5b\x5d-\x7e]{1,16}$")
#: Host names or IPv4/IPv6 literals; no URLs, no paths.
_HOST_RE = re.compile(r"^[A-Za-z0-9.\-:\[\]]{1,253}$")

DEFAULT_LOCAL_AE = "HSPDESKTOP"


class SettingsStore(Protocol):
    """What the node settings need from a registry."""

    def get_setting(self, key: str) -> Any:
        """The value of setting ``key``."""

    def set_setting(self, key: str, value: Any, *, by: Any, reason: str | None = None) -> None:
        """Change setting ``key`` (audited)."""


@dataclass(frozen=True)
class PacsNode:
    """One DICOM node.

    Attributes
    ----------
    name : str
        What users see ("Radiology PACS").
    ae_title : str
        The node's Application Entity title (called AE), 1-16 characters.
    host : str
        Host name or IP address on the hospital network.
    port : int
        DICOM port (104 or 11112 usually).
    tls : bool
        Use DICOM over TLS (then ``ca_file`` is the CA bundle that signs the node's certificate).
    ca_file : str
        PEM file of the CA that signed the node's certificate ("" = the system's).
    cert_file, key_file : str
        This workstation's client certificate and key when the node requires mutual TLS ("" = none).
    """

    name: str
    ae_title: str
    host: str
    port: int
    tls: bool = False
    ca_file: str = ""
    cert_file: str = ""
    key_file: str = ""

    def as_dict(self) -> dict[str, Any]:
        """Plain mapping (what the registry stores)."""
        return asdict(self)

    def describe(self) -> str:
        """``"Radiology PACS (ORTHANC@10.1.2.3:4242, TLS)"``."""
        tls = ", TLS" if self.tls else ""
        return f"{self.name} ({self.ae_title}@{self.host}:{self.port}{tls})"


def check_ae_title(value: Any, field: str = "ae_title") -> list[Problem]:
    """Problems with an AE title (empty list when valid)."""
    if not isinstance(value, str) or not _AE_RE.match(value) or not value.strip():
        return [
            Problem(
                field,
                value,
                "not a DICOM AE title",
                "use 1-16 letters, digits, spaces or symbols (no backslash), as the PACS administrator gave it",
            )
        ]
    return []


def node_from_dict(raw: Mapping[str, Any], index: int = 0) -> PacsNode:
    """Validate one node's settings and return it.

    Raises
    ------
    ValidationError
        Listing every invalid field (``pacs_nodes[i].port`` ...).
    """
    where = f"pacs_nodes[{index}]"
    problems: list[Problem] = []
    unknown = set(raw) - set(PacsNode.__dataclass_fields__)
    for key in sorted(unknown):
        problems.append(Problem(f"{where}.{key}", raw[key], "unknown field", "remove it"))
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append(Problem(f"{where}.name", name, "required", "give the node a name users recognise"))
    problems += check_ae_title(raw.get("ae_title"), f"{where}.ae_title")
    host = raw.get("host")
    if not isinstance(host, str) or not _HOST_RE.match(host):
        problems.append(
            Problem(f"{where}.host", host, "not a host name or IP address", "e.g. pacs.hospital.local")
        )
    port = raw.get("port")
    if isinstance(port, str) and port.strip().isdigit():
        port = int(port)
    if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
        problems.append(
            Problem(f"{where}.port", raw.get("port"), "not a TCP port", "use 1-65535 (often 104 or 11112)")
        )
    tls = raw.get("tls", False)
    if not isinstance(tls, bool):
        problems.append(Problem(f"{where}.tls", tls, "not true/false", "tick or untick TLS"))
    files = {}
    for key in ("ca_file", "cert_file", "key_file"):
        value = raw.get(key, "") or ""
        if not isinstance(value, str):
            problems.append(Problem(f"{where}.{key}", value, "not a file path", "choose the PEM file"))
        elif value and not Path(value).is_file():
            problems.append(Problem(f"{where}.{key}", value, "no such file", "choose an existing PEM file"))
        files[key] = value if isinstance(value, str) else ""
    if bool(files["cert_file"]) != bool(files["key_file"]):
        problems.append(
            Problem(
                f"{where}.key_file",
                files["key_file"],
                "certificate and key go together",
                "give both or neither",
            )
        )
    if problems:
        raise ValidationError(f"The settings of PACS node {index + 1} are not usable", problems=problems)
    assert isinstance(name, str) and isinstance(host, str) and isinstance(port, int)
    return PacsNode(
        name=name.strip(),
        ae_title=str(raw["ae_title"]).strip(),
        host=host,
        port=port,
        tls=bool(tls),
        **files,
    )


def nodes_from_setting(raw: Any) -> list[PacsNode]:
    """The ``pacs_nodes`` setting as validated nodes (names must be unique)."""
    if raw in (None, ""):
        return []
    if not isinstance(raw, Sequence) or isinstance(raw, str | bytes):
        raise ValidationError(
            "The PACS node setting is not a list",
            problems=[Problem("pacs_nodes", raw, "not a list", "re-enter the nodes")],
        )
    nodes = [node_from_dict(item if isinstance(item, Mapping) else {}, i) for i, item in enumerate(raw)]
    names = [n.name.casefold() for n in nodes]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValidationError(
            "Two PACS nodes have the same name",
            problems=[
                Problem("pacs_nodes", ", ".join(dupes), "duplicate name", "give each node its own name")
            ],
        )
    return nodes


def load_nodes(store: SettingsStore) -> list[PacsNode]:
    """The configured nodes."""
    return nodes_from_setting(store.get_setting("pacs_nodes"))


def save_nodes(
    store: SettingsStore, nodes: Sequence[PacsNode], *, by: Any, reason: str | None = None
) -> None:
    """Validate and store the nodes (administrators; audited by the registry)."""
    checked = nodes_from_setting([n.as_dict() for n in nodes])
    store.set_setting(
        "pacs_nodes", [n.as_dict() for n in checked], by=by, reason=reason or "PACS nodes changed"
    )


def local_ae_title(store: SettingsStore | None) -> str:
    """The AE title of this workstation (setting ``pacs_local_ae``)."""
    value = store.get_setting("pacs_local_ae") if store is not None else DEFAULT_LOCAL_AE
    value = value or DEFAULT_LOCAL_AE
    problems = check_ae_title(value, "pacs_local_ae")
    if problems:
        raise ValidationError("This workstation's AE title is not valid", problems=problems)
    return str(value).strip()


def find_node(nodes: Sequence[PacsNode], name: str) -> PacsNode:
    """The node called ``name`` (case-insensitive)."""
    for node in nodes:
        if node.name.casefold() == name.casefold() or node.ae_title == name:
            return node
    known = ", ".join(n.name for n in nodes) or "none configured"
    raise ValidationError(
        "No such PACS node",
        problems=[Problem("node", name, f"not one of: {known}", "add it in Settings > PACS first")],
    )

"""Two PACS servers for the tests, both on loopback only.

* :class:`MiniPacs` — pynetdicom's own SCP serving a folder: C-ECHO, C-FIND (study/series), C-GET, C-STORE.
  Fast; runs in a thread of the test process.
* :func:`start_orthanc` — the real Orthanc server (Debian package ``orthanc``) in a temporary folder on free
  loopback ports, this workstation's AE registered as a modality allowed to find, get and store.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydicom
from pydicom.dataset import Dataset
from pynetdicom import AE, AllStoragePresentationContexts, evt
from pynetdicom.sop_class import (  # type: ignore[attr-defined]
    StudyRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelGet,
    Verification,
)

LOCAL_AE = "HSPDESKTOP"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class MiniPacs:
    """A folder of DICOM files served over DICOM on 127.0.0.1."""

    folder: Path
    ae_title: str = "MINIPACS"
    port: int = 0
    stored: list[Dataset] = field(default_factory=list)
    allowed_ae: set[str] = field(default_factory=lambda: {LOCAL_AE})
    _server: Any = None

    def _instances(self) -> list[tuple[Path, Dataset]]:
        out = []
        for p in sorted(self.folder.rglob("*")):
            if p.is_file():
                try:
                    ds = pydicom.dcmread(p, stop_before_pixels=True)
                except (pydicom.errors.InvalidDicomError, OSError, ValueError, EOFError):
                    continue  # a truncated file or not DICOM: a PACS would not hold it either
                if "SeriesInstanceUID" in ds and "StudyInstanceUID" in ds:  # not a DICOMDIR
                    out.append((p, ds))
        return out

    def _on_find(self, event: Any) -> Any:
        q = event.identifier
        level = q.QueryRetrieveLevel
        seen: dict[str, Dataset] = {}
        counts: dict[str, int] = {}
        for _p, ds in self._instances():
            if level == "STUDY" and q.get("PatientID") and ds.PatientID != q.PatientID:
                continue
            if level == "SERIES" and ds.StudyInstanceUID != q.StudyInstanceUID:
                continue
            key = ds.StudyInstanceUID if level == "STUDY" else ds.SeriesInstanceUID
            counts[key] = counts.get(key, 0) + 1
            if key in seen:
                continue
            r = Dataset()
            r.QueryRetrieveLevel = level
            for kw in ("PatientID", "PatientName", "PatientBirthDate", "StudyInstanceUID", "StudyDate",
                       "AccessionNumber", "StudyDescription", "SeriesInstanceUID", "SeriesNumber", "Modality",
                       "SeriesDescription"):  # fmt: skip
                if kw in q and kw in ds:
                    setattr(r, kw, ds.data_element(kw).value)  # type: ignore[union-attr]
            seen[key] = r
        for key, r in seen.items():
            if level == "SERIES":
                r.NumberOfSeriesRelatedInstances = counts[key]
            yield 0xFF00, r

    def _on_get(self, event: Any) -> Any:
        q = event.identifier
        matches = [p for p, ds in self._instances() if ds.SeriesInstanceUID == q.SeriesInstanceUID]
        yield len(matches)
        for p in matches:
            if event.is_cancelled:
                yield 0xFE00, None
                return
            yield 0xFF00, pydicom.dcmread(p)

    def _on_store(self, event: Any) -> int:
        ds = event.dataset
        ds.file_meta = event.file_meta
        self.stored.append(ds)
        return 0x0000

    def _on_assoc(self, event: Any) -> None:
        pass

    def start(self, ssl_context: Any = None) -> MiniPacs:
        ae = AE(ae_title=self.ae_title)
        ae.require_calling_aet = sorted(self.allowed_ae)
        ae.add_supported_context(Verification)
        ae.add_supported_context(StudyRootQueryRetrieveInformationModelFind)
        ae.add_supported_context(StudyRootQueryRetrieveInformationModelGet)
        for cx in AllStoragePresentationContexts:
            ae.add_supported_context(cx.abstract_syntax, scp_role=True, scu_role=True)
        self.port = self.port or free_port()
        handlers = [
            (evt.EVT_C_FIND, self._on_find),
            (evt.EVT_C_GET, self._on_get),
            (evt.EVT_C_STORE, self._on_store),
        ]
        self._server = ae.start_server(
            ("127.0.0.1", self.port), block=False, evt_handlers=handlers, ssl_context=ssl_context
        )
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()


@dataclass
class Orthanc:
    """A running Orthanc: DICOM ``ae_title@127.0.0.1:port``, REST on ``http_port`` (loopback only)."""

    process: subprocess.Popen[bytes]
    ae_title: str
    port: int
    http_port: int
    folder: Path

    def rest(self, path: str, data: bytes | None = None) -> Any:
        req = urllib.request.Request(f"http://127.0.0.1:{self.http_port}{path}", data=data)
        with urllib.request.urlopen(req, timeout=30) as resp:
            body = resp.read()
        return json.loads(body) if body[:1] in (b"{", b"[") else body

    def upload(self, files: list[Path]) -> int:
        for f in files:
            self.rest("/instances", f.read_bytes())
        return len(files)


def orthanc_available() -> bool:
    return shutil.which("Orthanc") is not None


@contextmanager
def start_orthanc(folder: Path, *, local_ae: str = LOCAL_AE) -> Iterator[Orthanc]:
    """Start Orthanc in ``folder`` on free loopback ports; stop it afterwards."""
    port, http_port = free_port(), free_port()
    config = {
        "Name": "HSP test PACS",
        "StorageDirectory": str(folder / "storage"),
        "IndexDirectory": str(folder / "storage"),
        "DicomAet": "ORTHANC",
        "DicomPort": port,
        "DicomServerEnabled": True,
        "HttpPort": http_port,
        "HttpServerEnabled": True,
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": False,
        "DicomCheckCalledAet": True,
        "DicomAlwaysAllowEcho": True,
        "DicomAlwaysAllowStore": False,
        "DicomAlwaysAllowFind": False,
        "DicomAlwaysAllowGet": False,
        "DicomModalities": {
            "hsp": {
                "AET": local_ae,
                "Host": "127.0.0.1",
                "Port": 11112,
                "AllowEcho": True,
                "AllowFind": True,
                "AllowGet": True,
                "AllowMove": False,
                "AllowStore": True,
            }
        },
        "Plugins": [],
        "StableAge": 1,
    }
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "orthanc.json").write_text(json.dumps(config))
    log = open(folder / "orthanc.log", "wb")
    proc = subprocess.Popen(["Orthanc", str(folder / "orthanc.json")], stdout=log, stderr=subprocess.STDOUT)
    server = Orthanc(proc, "ORTHANC", port, http_port, folder)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                server.rest("/system")
                break
            except OSError as exc:
                if proc.poll() is not None or time.monotonic() > deadline:
                    tail = (folder / "orthanc.log").read_text()[-2000:]
                    raise RuntimeError(f"Orthanc did not start: {tail}") from exc
                time.sleep(0.2)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def make_tls_files(folder: Path) -> tuple[Path, Path, Path]:
    """A test CA and a server certificate for 127.0.0.1 signed by it: (ca.pem, server.pem, server.key)."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder().subject_name(name("HSP test CA")).issuer_name(name("HSP test CA"))
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder().subject_name(name("127.0.0.1")).issuer_name(ca.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    ca_pem, cert_pem, key_pem = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return ca_pem, cert_pem, key_pem

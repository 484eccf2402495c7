"""Certificates and node keys for a federation: a self-signed CA, the SuperLink's TLS certificate, site keys.

``hsp federated coordinator init`` writes, under the coordinator's folder::

    certs/ca.crt            the federation's root certificate (sites trust only this)
    certs/ca.key            its private key (stays with the coordinator)
    certs/server.crt/.key   the SuperLink's TLS certificate for the given host names / addresses
    sites/<site>/node.key   a site's node-authentication key (OpenSSH, NIST P-384), handed to that site
    sites/<site>/node.pub   its public key, registered with the SuperLink

Everything is generated offline with ``cryptography``; private keys are written with mode 0600.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from collections.abc import Sequence
from pathlib import Path

from hsp_desktop.errors import FederatedError

CERT_DAYS = 825


def _write(path: Path, data: bytes, *, private: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    if private:
        os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _name(common_name: str) -> object:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "HSP Desktop federation"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def make_ca(folder: Path, *, common_name: str = "HSP federation CA") -> tuple[Path, Path]:
    """Create a self-signed root certificate and key.

    Parameters
    ----------
    folder : Path
        Where ``ca.crt`` and ``ca.key`` are written.
    common_name : str
        Subject common name.

    Returns
    -------
    tuple of Path
        Certificate and key paths.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    name = _name(common_name)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)  # type: ignore[arg-type]
        .issuer_name(name)  # type: ignore[arg-type]
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=CERT_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    crt_path, key_path = folder / "ca.crt", folder / "ca.key"
    _write(crt_path, cert.public_bytes(serialization.Encoding.PEM))
    _write(
        key_path,
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
        private=True,
    )
    return crt_path, key_path


def make_server_cert(
    folder: Path, ca_crt: Path, ca_key: Path, hosts: Sequence[str] = ("127.0.0.1", "localhost")
) -> tuple[Path, Path]:
    """Issue the SuperLink's TLS certificate, signed by the federation CA.

    Parameters
    ----------
    folder : Path
        Where ``server.crt`` and ``server.key`` are written.
    ca_crt, ca_key : Path
        The CA certificate and key from :func:`make_ca`.
    hosts : sequence of str
        Host names and IP addresses the sites use to reach the SuperLink (subject alternative names).

    Returns
    -------
    tuple of Path
        Certificate and key paths.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID

    ca_cert = x509.load_pem_x509_certificate(ca_crt.read_bytes())
    ca_private = serialization.load_pem_private_key(ca_key.read_bytes(), password=None)
    if not isinstance(ca_private, ec.EllipticCurvePrivateKey):
        raise FederatedError(
            "The CA key is not an EC key", found=str(ca_key), fix="run coordinator init again"
        )
    sans: list[x509.GeneralName] = []
    for h in hosts:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(h)))
        except ValueError:
            sans.append(x509.DNSName(h))
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(hosts[0] if hosts else "superlink"))  # type: ignore[arg-type]
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=CERT_DAYS))
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_private, hashes.SHA256())
    )
    crt_path, key_path = folder / "server.crt", folder / "server.key"
    _write(crt_path, cert.public_bytes(serialization.Encoding.PEM))
    _write(
        key_path,
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
        private=True,
    )
    return crt_path, key_path


def make_node_keys(folder: Path) -> tuple[Path, Path]:
    """Create a site's node-authentication key pair (NIST P-384, OpenSSH format, as Flower reads it).

    Parameters
    ----------
    folder : Path
        Where ``node.key`` and ``node.pub`` are written.

    Returns
    -------
    tuple of Path
        Private and public key paths.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP384R1())
    priv = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    )
    pub = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    priv_path, pub_path = folder / "node.key", folder / "node.pub"
    _write(priv_path, priv, private=True)
    _write(pub_path, pub + b"\n")
    return priv_path, pub_path

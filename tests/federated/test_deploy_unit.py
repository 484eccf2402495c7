"""Certificates, node keys, coordinator folders and log diagnosis, without starting Flower."""

from __future__ import annotations

import ipaddress
import subprocess
from pathlib import Path

import pytest

from hsp_desktop.errors import FederatedError
from hsp_desktop.federated import deploy
from hsp_desktop.federated.site import app_hash


def test_coordinator_init_writes_a_verifiable_pki(tmp_path: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import load_ssh_private_key, load_ssh_public_key

    desc = deploy.init_coordinator(tmp_path / "c", ["site1", "site2"], port=9321)
    assert desc["sites"] == ["site1", "site2"] and desc["port"] == 9321
    ca = x509.load_pem_x509_certificate((tmp_path / "c/certs/ca.crt").read_bytes())
    server = x509.load_pem_x509_certificate((tmp_path / "c/certs/server.crt").read_bytes())
    server.verify_directly_issued_by(ca)
    sans = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert ipaddress.ip_address("127.0.0.1") in sans.get_values_for_type(x509.IPAddress)
    assert "localhost" in sans.get_values_for_type(x509.DNSName)
    for s in ("site1", "site2"):
        key = load_ssh_private_key((tmp_path / "c/sites" / s / "node.key").read_bytes(), None)
        pub = load_ssh_public_key((tmp_path / "c/sites" / s / "node.pub").read_bytes())
        assert isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP384R1)
        assert key.public_key().public_numbers() == pub.public_numbers()  # type: ignore[union-attr]
        assert (tmp_path / "c/sites" / s / "node.key").stat().st_mode & 0o077 == 0
        assert (tmp_path / "c/sites" / s / "ca.crt").read_bytes() == (
            tmp_path / "c/certs/ca.crt"
        ).read_bytes()
    profile = (tmp_path / "c/flwr_home/config.toml").read_text()
    assert (
        'address = "127.0.0.1:9321"' in profile
        and "root-certificates" in profile
        and "insecure" not in profile
    )
    with pytest.raises(FederatedError, match="already initialised"):
        deploy.init_coordinator(tmp_path / "c", ["site1"])
    with pytest.raises(FederatedError, match="unique"):
        deploy.init_coordinator(tmp_path / "d", ["a", "a"])
    with pytest.raises(FederatedError, match="Not a coordinator folder"):
        deploy.load_federation(tmp_path / "nothing")


def test_app_hash_ignores_flower_reserialising_pyproject(tmp_path: Path) -> None:
    import shutil

    app = tmp_path / "app"
    shutil.copytree(deploy.APP_DIR, app, ignore=shutil.ignore_patterns("__pycache__"))
    h = app_hash(app)
    assert h == app_hash(deploy.APP_DIR)
    text = (app / "pyproject.toml").read_text()
    (app / "pyproject.toml").write_text("# reformatted\n" + text.replace(" = ", "="))
    assert app_hash(app) == h  # same TOML content
    (app / "hspfed" / "client_app.py").write_text("print('other code')\n")
    assert app_hash(app) != h


def _finished(tmp_path: Path, log_text: str) -> deploy.Process:
    log = tmp_path / "x.log"
    log.write_text(log_text)
    popen = subprocess.Popen(["false"], start_new_session=True)
    popen.wait()
    return deploy.Process("supernode:x", popen, log)


def test_diagnose_names_the_refusal(tmp_path: Path) -> None:
    tls = "ERROR : SSL/TLS handshake error detected.\n[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"
    assert _finished(tmp_path, tls).diagnose().startswith("TLS refused")
    auth = "ERROR : Exit Code: 305\n[code: 2004] Failed to activate SuperNode.\n"
    assert _finished(tmp_path, auth).diagnose().startswith("Node authentication refused")
    assert "exit code 1" in _finished(tmp_path, "something else\n").diagnose()
    proc = _finished(tmp_path, "")
    assert proc.stop() == 1  # stopping a finished process is harmless


def test_free_port_and_wait_port() -> None:
    port = deploy.free_port()
    assert not deploy.wait_port("127.0.0.1", port, 0.3)


def test_flower_cli_is_never_run_without_the_tls_profile(tmp_path: Path) -> None:
    deploy.init_coordinator(tmp_path / "c", ["a"], port=deploy.free_port())
    (tmp_path / "c" / "flwr_home" / "config.toml").unlink()
    with pytest.raises(FederatedError, match="no Flower connection profile"):
        deploy.Federation(tmp_path / "c").run_status(1)

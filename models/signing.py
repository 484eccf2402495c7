"""Ed25519 signatures of locked model bundles.

The developing centre signs the exact bytes of a bundle's ``manifest.json`` (which holds the SHA-256 of every
other file) with its Ed25519 private key; the signature sits beside it in ``manifest.sig``::

    {"algorithm": "Ed25519", "key_id": "<16 hex>", "signature": "<base64>"}

A site verifies it against the public keys it trusts: the ones shipped in ``models/trusted_keys/*.pub`` (PEM) and
the ones an administrator adds in the registry (setting ``trusted_bundle_keys``).  Changing any byte of the
manifest, or any file whose hash it lists (with the hash "fixed" in the manifest), breaks the signature; a
signature by an untrusted key is refused like a missing one.

The shipped demo bundle ``hsp-demo-1`` is signed with a **demonstration key** whose private half is in the
repository (``packaging/demo-signing/demo-bundle-signing-key.pem``) so the demo bundle can be rebuilt and re-signed.
Anyone can therefore sign with it: a centre that installs its own bundles should remove
``models/trusted_keys/hsp-demo.pub`` from its installation (or not trust it) and trust only its own key.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hsp_desktop.errors import ModelArtefactError

SIGNATURE_FILE = "manifest.sig"
MANIFEST_FILE = "manifest.json"
TRUSTED_DIR = Path(__file__).resolve().parent / "trusted_keys"


def key_id(public: Ed25519PublicKey) -> str:
    """The first 16 hex characters of the SHA-256 of the raw public key (names the key in messages)."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def generate_keypair(private_path: Path, public_path: Path) -> str:
    """Write a new Ed25519 key pair (private PEM 0600, public PEM); returns the key id."""
    import os

    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    public = key.public_key()
    public_path.write_bytes(
        public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return key_id(public)


def load_public_key(text: str | bytes) -> Ed25519PublicKey:
    """Parse a PEM public key; raises :class:`ModelArtefactError` unless it is an Ed25519 key."""
    data = text.encode() if isinstance(text, str) else text
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise ModelArtefactError(
            "A trusted bundle key cannot be read",
            expected="an Ed25519 public key in PEM format",
            found=str(exc)[:80],
            fix="add the .pub file the developing centre published",
            field="trusted_bundle_keys",
        ) from exc
    if not isinstance(key, Ed25519PublicKey):
        raise ModelArtefactError(
            "A trusted bundle key is not an Ed25519 key",
            expected="Ed25519",
            found=type(key).__name__,
            field="trusted_bundle_keys",
        )
    return key


def shipped_public_keys() -> list[Ed25519PublicKey]:
    """The public keys shipped with the application (``models/trusted_keys/*.pub``)."""
    return [load_public_key(p.read_bytes()) for p in sorted(TRUSTED_DIR.glob("*.pub"))]


def sign_bundle(folder: Path | str, private_pem: bytes) -> str:
    """Sign ``folder/manifest.json`` with an Ed25519 private key (PEM); writes ``manifest.sig``; returns the key id."""
    folder = Path(folder)
    key = serialization.load_pem_private_key(private_pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ModelArtefactError(
            "The signing key is not an Ed25519 key", found=type(key).__name__, field="key"
        )
    signature = key.sign((folder / MANIFEST_FILE).read_bytes())
    kid = key_id(key.public_key())
    record = {"algorithm": "Ed25519", "key_id": kid, "signature": base64.b64encode(signature).decode()}
    (folder / SIGNATURE_FILE).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return kid


def is_signed(folder: Path | str) -> bool:
    """Whether the bundle carries a signature file (not whether it verifies)."""
    return (Path(folder) / SIGNATURE_FILE).is_file()


def verify_signature(folder: Path | str, trusted: Iterable[Ed25519PublicKey]) -> str:
    """Verify ``manifest.sig`` over ``manifest.json`` against the ``trusted`` keys; returns the signer's key id.

    Raises
    ------
    ModelArtefactError
        No signature, an unreadable one, a key that is not trusted, or a signature that does not match the
        manifest (the manifest or a file it lists was changed after signing).
    """
    folder = Path(folder)
    sig_path = folder / SIGNATURE_FILE
    if not sig_path.is_file():
        raise ModelArtefactError(
            f"The model bundle {folder.name} is not signed",
            expected=f"{SIGNATURE_FILE} by a trusted developing centre",
            found="no signature",
            fix="install the signed bundle from its developer, or (administrators, at their own risk) allow "
            "unsigned bundles in Settings",
            field=SIGNATURE_FILE,
        )
    try:
        record = json.loads(sig_path.read_text(encoding="utf-8"))
        signature = base64.b64decode(record["signature"], validate=True)
        kid = str(record.get("key_id", ""))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelArtefactError(
            f"The signature of model bundle {folder.name} cannot be read",
            expected="a manifest.sig written by `hsp registry sign-bundle`",
            found=type(exc).__name__,
            fix="re-install the bundle from its source",
            field=SIGNATURE_FILE,
        ) from exc
    data = (folder / MANIFEST_FILE).read_bytes()
    keys = {key_id(k): k for k in trusted}
    key = keys.get(kid)
    if key is None:
        raise ModelArtefactError(
            f"The model bundle {folder.name} is signed by a key this site does not trust",
            expected="a signature by one of: " + (", ".join(sorted(keys)) or "no trusted keys"),
            found=f"key {kid}",
            fix="ask an administrator to add the developing centre's public key to the trusted keys",
            field=SIGNATURE_FILE,
        )
    try:
        key.verify(signature, data)
    except InvalidSignature:
        raise ModelArtefactError(
            f"The model bundle {folder.name} was changed after it was signed",
            expected=f"a manifest matching the signature of key {kid}",
            found="a manifest that does not match",
            fix="restore the bundle from its original source; never edit a locked model",
            field=MANIFEST_FILE,
        ) from None
    return kid

"""Site key: pseudonymous MRN look-up (keyed HMAC-SHA256), encryption at rest (AES-GCM), audit-chain key.

The site key is 32 random bytes kept *outside* the database (a key file readable only by the ward's service
account, backed up separately from the database).  Three independent sub-keys are derived from it with HKDF-SHA256,
so that no key serves two purposes:

* ``mrn``   -- HMAC-SHA256 of the normalised MRN, stored for look-up.  An unkeyed SHA-256 of a 7-digit MRN is
  reversed by brute force in seconds; the keyed HMAC is not without the key.
* ``enc``   -- AES-256-GCM for the name and the MRN.  Each value gets a fresh 96-bit nonce; the study id and the
  column name are the associated data, so a ciphertext moved to another row or column fails to decrypt.
* ``audit`` -- HMAC key of the audit hash chain (see :mod:`hsp_desktop.registry.audit`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from hsp_desktop.errors import RegistryError

#: Length of a site key in bytes.
KEY_BYTES = 32
_NONCE_BYTES = 12
_CIPHER_PREFIX = "v1:"


def _derive(key: bytes, purpose: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"hsp-desktop-registry", info=purpose.encode()
    ).derive(key)


@dataclass(frozen=True)
class SiteKey:
    """Sub-keys derived from one site key.

    Parameters
    ----------
    key : bytes
        The 32-byte site key.
    """

    key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.key, bytes | bytearray) or len(self.key) != KEY_BYTES:
            found = (
                f"{len(self.key)} bytes"
                if isinstance(self.key, bytes | bytearray)
                else type(self.key).__name__
            )
            raise RegistryError(
                "The site key has the wrong length",
                expected=f"{KEY_BYTES} random bytes",
                found=found,
                fix="create a key with `hsp registry init --site-key-file PATH` and keep that file",
                field="site_key",
            )

    @property
    def mrn_key(self) -> bytes:
        """HMAC key for MRN look-up."""
        return _derive(self.key, "mrn-lookup")

    @property
    def enc_key(self) -> bytes:
        """AES-256-GCM key for identifying columns."""
        return _derive(self.key, "column-encryption")

    @property
    def audit_key(self) -> bytes:
        """HMAC key of the audit hash chain."""
        return _derive(self.key, "audit-chain")

    def check_value(self) -> str:
        """Return a key-check value stored in the database to recognise the right key (reveals nothing)."""
        return hmac.new(_derive(self.key, "key-check"), b"hsp-site-key-check", hashlib.sha256).hexdigest()

    def mrn_hmac(self, mrn: str) -> str:
        """Return the keyed HMAC-SHA256 (hex) of a normalised MRN (spaces removed, upper case)."""
        return hmac.new(self.mrn_key, normalise_mrn(mrn).encode(), hashlib.sha256).hexdigest()

    def encrypt(self, plaintext: str, *, study_id: str, column: str) -> str:
        """Encrypt ``plaintext`` for ``study_id``/``column``; returns ``v1:<base64(nonce|ciphertext)>``."""
        nonce = os.urandom(_NONCE_BYTES)
        ct = AESGCM(self.enc_key).encrypt(nonce, plaintext.encode("utf-8"), f"{study_id}|{column}".encode())
        return _CIPHER_PREFIX + base64.b64encode(nonce + ct).decode("ascii")

    def decrypt(self, token: str, *, study_id: str, column: str) -> str:
        """Decrypt a value written by :meth:`encrypt`; raises :class:`RegistryError` when it was altered."""
        if not token.startswith(_CIPHER_PREFIX):
            raise RegistryError(
                "An encrypted column holds an unknown format",
                expected=f"{_CIPHER_PREFIX}...",
                found=token[:8],
                fix="run `hsp registry verify`; the value was not written by HSP Desktop",
                field=column,
            )
        raw = base64.b64decode(token[len(_CIPHER_PREFIX) :])
        try:
            plain = AESGCM(self.enc_key).decrypt(
                raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], f"{study_id}|{column}".encode()
            )
        except InvalidTag:
            raise RegistryError(
                f"The encrypted {column} of {study_id} cannot be decrypted",
                expected="a value encrypted with this site key for this recipient",
                found="a value that fails authentication (wrong key, altered, or moved from another row)",
                fix="check that the right site key file is configured; run `hsp registry verify`",
                field=column,
            ) from None
        return plain.decode("utf-8")


def normalise_mrn(mrn: str) -> str:
    """Return the MRN without whitespace, upper case (so ' ab 123' and 'AB123' match)."""
    return "".join(str(mrn).split()).upper()


def generate_site_key(path: Path | str) -> SiteKey:
    """Create a new site key file (hex, mode 0600) at ``path``; refuses to overwrite an existing file.

    Parameters
    ----------
    path : Path or str
        Where to write the key file.  Keep it outside the database folder's backups, and back it up separately:
        without it encrypted names/MRNs cannot be read and MRN look-up does not work.

    Returns
    -------
    SiteKey
        The new key.
    """
    path = Path(path)
    if path.exists():
        raise RegistryError(
            f"A site key file already exists at {path}",
            expected="a path where no key file exists",
            found="an existing file",
            fix="use the existing key with --site-key-file, or choose another path",
            field="site_key_file",
        )
    key = secrets.token_bytes(KEY_BYTES)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key.hex() + "\n")
    return SiteKey(key)


def key_dir() -> Path:
    """Where site keys live by default: outside the data folder (never next to the database).

    ``HSP_KEY_DIR`` if set; else, when ``HSP_DATA_DIR`` is set, its sibling ``<data dir>-keys``; else the
    platform's per-user configuration folder (``%APPDATA%/hsp-desktop/keys`` on Windows, roaming and separate from
    the local data folder; ``~/Library/Preferences/hsp-desktop/keys`` on macOS; ``$XDG_CONFIG_HOME/hsp-desktop/keys``
    or ``~/.config/hsp-desktop/keys`` elsewhere).
    """
    import sys

    env = os.environ.get("HSP_KEY_DIR")
    if env:
        return Path(env).expanduser()
    data = os.environ.get("HSP_DATA_DIR")
    if data:
        d = Path(data).expanduser().absolute()
        return d.with_name(d.name + "-keys")
    if sys.platform.startswith("win"):
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Preferences"
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "hsp-desktop" / "keys"


def default_key_file(db: Path | str) -> Path:
    """The default site key file of the registry ``db``: ``<key_dir>/<db name>.sitekey``."""
    return key_dir() / (Path(db).stem + ".sitekey")


def anchor_file_for(key_file: Path | str) -> Path:
    """Where the audit chain's head is anchored for a registry whose key is ``key_file`` (beside it)."""
    return Path(str(key_file) + ".audit-head")


def load_site_key(path: Path | str) -> bytes:
    """Read a site key file written by :func:`generate_site_key` and return the 32 key bytes.

    On POSIX systems a key file that other users can read or write (any of the mode bits 0o077) is refused: fix it
    with ``chmod 600``.  On Windows the key folder's access list is inherited from the user profile.
    """
    path = Path(path)
    if os.name == "posix":
        try:
            mode = path.stat().st_mode
        except OSError:
            mode = 0
        if mode & 0o077:
            raise RegistryError(
                f"The site key file {path} can be read by other users",
                expected="a key file readable by its owner only (mode 0600)",
                found=f"mode {mode & 0o777:o}",
                fix=f"run `chmod 600 {path}` (and check who may have copied it)",
                field="site_key_file",
            )
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise RegistryError(
            f"Cannot read the site key file {path}",
            expected="a readable file with 64 hexadecimal characters",
            found=type(exc).__name__,
            fix="point --site-key-file (or HSP_SITE_KEY_FILE) at the key file made by `hsp registry init`",
            field="site_key_file",
        ) from exc
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise RegistryError(
            f"The site key file {path} is not a valid key",
            expected="64 hexadecimal characters",
            found=f"{len(text)} characters",
            fix="restore the key file from its separate backup",
            field="site_key_file",
        )
    return key

"""Which locked model bundles a site may score with: signature check and the pinned manifest of the active one.

Two holes closed here (issue 17, hole 1):

* **Pinning.**  When an administrator activates a bundle (:func:`activate`), the SHA-256 of its ``manifest.json``
  is stored in the audited setting ``active_model_sha256``.  Scoring with the active bundle (:func:`check_for_scoring`)
  refuses any other manifest, so editing two bytes of the manifest (a band threshold) is refused even though the
  manifest's own file hashes still match.
* **Signatures.**  A bundle must carry an Ed25519 signature (:mod:`models.signing`) by a key the site trusts (the
  shipped ``models/trusted_keys/*.pub`` and the setting ``trusted_bundle_keys``), so a coefficient edit with its
  hash "fixed" in the manifest is refused.  A bundle *without* a signature is accepted only while an
  administrator has set ``allow_unsigned_bundles``; a signature that does not verify is always refused.

The shipped demo bundle is signed with the demonstration key (see :mod:`models.signing`).
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

from hsp_desktop.errors import ModelArtefactError
from hsp_desktop.registry.models import User

log = logging.getLogger(__name__)


def _setting(registry: Any, key: str, default: Any) -> Any:
    getter = getattr(registry, "get_setting", None)
    return getter(key) if callable(getter) else default


def trusted_keys(registry: Any) -> list[Any]:
    """The Ed25519 public keys this site trusts: shipped ones plus the registry's ``trusted_bundle_keys``."""
    from models.signing import load_public_key, shipped_public_keys

    return [
        *shipped_public_keys(),
        *(load_public_key(t) for t in _setting(registry, "trusted_bundle_keys", [])),
    ]


def verify_bundle(registry: Any, folder: Path | str) -> tuple[str, str | None]:
    """Check the signature of ``folder``; returns (manifest SHA-256, signer key id or None when unsigned+allowed).

    The signature is checked over the same manifest bytes whose hash is returned, so the two cannot disagree.

    Raises
    ------
    ModelArtefactError
        A signature that does not verify or is by an untrusted key; no signature while unsigned bundles are not
        allowed.
    """
    from models.signing import MANIFEST_FILE, is_signed, verify_signature

    folder = Path(folder)
    try:
        data = (folder / MANIFEST_FILE).read_bytes()
    except OSError as exc:
        raise ModelArtefactError(
            "No model bundle there",
            expected=f"{MANIFEST_FILE} in the folder",
            found=f"{folder}: {type(exc).__name__}",
            fix="choose a bundle folder written by `hsp develop`",
            field="model",
        ) from exc
    digest = hashlib.sha256(data).hexdigest()
    if not is_signed(folder) and bool(_setting(registry, "allow_unsigned_bundles", False)):
        log.warning(
            "scoring with the unsigned model bundle %s (allowed by the setting allow_unsigned_bundles)",
            folder,
        )
        return digest, None
    kid = verify_signature(folder, trusted_keys(registry))
    if hashlib.sha256((folder / MANIFEST_FILE).read_bytes()).hexdigest() != digest:
        raise ModelArtefactError(
            f"The manifest of {folder.name} changed while it was being checked",
            fix="try again; if it persists, restore the bundle from its source",
            field=MANIFEST_FILE,
        )
    return digest, kid


def check_for_scoring(registry: Any, folder: Path | str, model: Any) -> None:
    """Refuse to score with an unsigned/untrusted bundle, or with an active bundle whose manifest is not pinned.

    ``model`` was loaded from ``folder``; unsigned bundles pass only while ``allow_unsigned_bundles`` is set, and the
    active bundle's manifest must be the one pinned at activation.

    Parameters
    ----------
    registry : Registry
        The registry whose settings decide (a test double without ``get_setting`` checks only the signature).
    folder : Path
        The bundle folder the model was loaded from.
    model : LockedModel
        The loaded model (its ``sha256`` is the manifest hash the loader verified).
    """
    digest, _kid = verify_bundle(registry, folder)
    loaded = getattr(model, "sha256", None)
    if (
        hasattr(model, "path") and isinstance(loaded, str) and loaded != digest
    ):  # a LockedModel (not a test double)
        raise ModelArtefactError(
            f"The manifest of {Path(folder).name} changed after the model was loaded",
            fix="score again; if it persists, restore the bundle from its source",
            field="manifest.json",
        )
    active = str(_setting(registry, "active_model", "") or "")
    pinned = str(_setting(registry, "active_model_sha256", "") or "")
    if active and pinned and Path(active).resolve() == Path(folder).resolve() and digest != pinned:
        raise ModelArtefactError(
            f"The active model bundle {Path(folder).name} is not the one activated",
            expected=f"manifest SHA-256 {pinned[:16]}... (pinned at activation)",
            found=f"{digest[:16]}...",
            fix="restore the bundle from its source, or have an administrator activate the new version",
            field="manifest.json",
        )


def activate(registry: Any, folder: Path | str, *, by: User) -> str:
    """Verify ``folder`` (strict loader and signature) and make it the active bundle, pinning its manifest hash.

    Returns
    -------
    str
        The pinned manifest SHA-256.
    """
    from models.bundle import load_bundle

    folder = Path(folder).resolve()
    model = load_bundle(folder)
    digest, kid = verify_bundle(registry, folder)
    if model.sha256 != digest:
        raise ModelArtefactError(
            f"The manifest of {folder.name} changed while it was being checked", field="model"
        )
    why = f"activate model {folder.name} (manifest {digest[:16]}, " + (
        f"signed by {kid})" if kid else "unsigned)"
    )
    with registry.transaction(by=by, reason=why):
        registry.set_setting("active_model", str(folder), by=by, reason=why)
        registry.set_setting("active_model_sha256", digest, by=by, reason=why)
    return digest

"""Hole 1: the manifest of the active bundle is pinned at activation, and bundles must carry a trusted signature."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from hsp_desktop.errors import ModelArtefactError
from hsp_desktop.modelstore import SHIPPED, set_active_model
from hsp_desktop.registry import Registry, User
from hsp_desktop.registry.bundles import check_for_scoring
from models.bundle import load_bundle
from models.signing import generate_keypair, shipped_public_keys, sign_bundle, verify_signature

DEMO = SHIPPED / "hsp-demo-1"


def _edit_threshold(folder: Path) -> None:
    """The attack of the issue: two bytes of manifest.json, a band threshold 0.15 -> 0.01."""
    path = folder / "manifest.json"
    text = path.read_text(encoding="utf-8")
    assert "   0.15,\n" in text
    path.write_text(text.replace("   0.15,\n", "   0.01,\n", 1), encoding="utf-8")


def _edit_coefficient_and_fix_hash(folder: Path) -> None:
    """A coefficient edit with its SHA-256 updated in the manifest: the strict loader alone accepts it."""
    spec = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    spec["meta"]["intercept"] = float(spec["meta"]["intercept"]) + 1.0
    (folder / "model.json").write_text(json.dumps(spec, indent=1) + "\n", encoding="utf-8")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"]["model.json"] = hashlib.sha256((folder / "model.json").read_bytes()).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    out = tmp_path / "hsp-demo-copy"
    shutil.copytree(DEMO, out)
    return out


def test_shipped_demo_bundle_is_signed_with_the_demo_key(reg: Registry) -> None:
    assert verify_signature(DEMO, shipped_public_keys())
    model = load_bundle(DEMO)
    check_for_scoring(reg, DEMO, model)


def test_pinned_manifest_refuses_a_threshold_edit(reg: Registry, admin: User, copy: Path) -> None:
    set_active_model(reg, copy, by=admin)
    assert reg.get_setting("active_model_sha256") == load_bundle(copy).sha256
    _edit_threshold(copy)
    model = load_bundle(copy)  # before: loads, and the saved band changes
    assert model.band_thresholds[0] == 0.01
    with pytest.raises(ModelArtefactError, match="changed after it was signed"):
        check_for_scoring(reg, copy, model)
    # even where an administrator allows unsigned bundles, the pin still refuses the edited manifest
    reg.set_setting("allow_unsigned_bundles", True, by=admin)
    (copy / "manifest.sig").unlink()
    with pytest.raises(ModelArtefactError, match="not the one activated"):
        check_for_scoring(reg, copy, model)


def test_coefficient_edit_with_fixed_hash_is_refused(reg: Registry, copy: Path) -> None:
    _edit_coefficient_and_fix_hash(copy)
    model = load_bundle(copy)  # before: loaded silently
    with pytest.raises(ModelArtefactError, match="changed after it was signed"):
        check_for_scoring(reg, copy, model)


def test_unsigned_bundle_refused_unless_allowed(reg: Registry, admin: User, copy: Path) -> None:
    (copy / "manifest.sig").unlink()
    with pytest.raises(ModelArtefactError, match="not signed"):
        set_active_model(reg, copy, by=admin)
    assert reg.get_setting("active_model") == ""
    reg.set_setting("allow_unsigned_bundles", True, by=admin, reason="local research bundle")
    set_active_model(reg, copy, by=admin)
    check_for_scoring(reg, copy, load_bundle(copy))
    reasons = [a["reason"] for a in reg.audit_log(10, "settings")]
    assert any("unsigned" in (r or "") for r in reasons)


def test_own_key_must_be_trusted(reg: Registry, admin: User, copy: Path, tmp_path: Path) -> None:
    generate_keypair(tmp_path / "centre.pem", tmp_path / "centre.pub")
    sign_bundle(copy, (tmp_path / "centre.pem").read_bytes())
    with pytest.raises(ModelArtefactError, match="does not trust"):
        check_for_scoring(reg, copy, load_bundle(copy))
    reg.set_setting("trusted_bundle_keys", [(tmp_path / "centre.pub").read_text()], by=admin)
    check_for_scoring(reg, copy, load_bundle(copy))


def test_forged_signature_file_is_refused(reg: Registry, copy: Path) -> None:
    record: dict[str, Any] = json.loads((copy / "manifest.sig").read_text())
    record["signature"] = record["signature"][:-4] + "AAA="
    (copy / "manifest.sig").write_text(json.dumps(record))
    with pytest.raises(ModelArtefactError):
        check_for_scoring(reg, copy, load_bundle(copy))

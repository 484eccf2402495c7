"""Child process for the crash-safety and concurrency tests (run as a script, never collected by pytest).

Modes
    ``writer DB PREFIX SECONDS``  add recipients (each with a follow-up visit) until SECONDS have passed; after each
    acknowledged commit print ``ACK <study_id> <kind>`` (flushed), so the parent knows what was acknowledged.
    ``reader DB SECONDS``         query the worklist, search and open recipients in a loop; print ``READS n``.
Any exception propagates (traceback on stderr, exit code 1): the parent treats that as a failure.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from hsp_desktop.registry import Registry
from hsp_desktop.registry.passwords import TEST_PARAMS

RECORD = {
    "site": "site1", "cohort": "development", "transplant_date": "2025-01-10", "ct_date": "2025-01-01",
    "consent": 1, "prior_splenectomy": 0, "prior_splenic_embolisation": 0, "splenic_artery_ligation": 0,
    "post_lt_splenic_embolisation": 0, "tips_or_portal_surgery": 0, "perioperative_death": 0,
    "haematological_disease": 0, "age": 50, "sex": "M", "height_cm": 170, "weight_kg": 70, "aetiology": "hbv",
    "hcc": 0, "graft_type": "deceased_whole", "meld": 15, "platelets": 66, "wbc": 4.3, "haemoglobin": 108,
    "bilirubin": 35, "albumin": 33, "inr": 1.4, "creatinine": 70, "sodium": 137, "alt": 30, "ast": 45,
    "ascites": 1, "varices": 1, "variceal_bleed": 0, "encephalopathy": 0, "pvt_partial": 0,
    "splenorenal_shunt": 0, "spleen_volume_ml": 700, "spleen_length_cm": 14.5, "portal_vein_mm": 13.5,
    "splenic_vein_mm": 10.5, "splenic_artery_mm": 6, "liver_volume_ml": 1150,
}  # fmt: skip


def key() -> bytes:
    return bytes.fromhex(os.environ["HSP_TEST_SITE_KEY"])


def writer(db: str, prefix: str, seconds: float) -> None:
    reg = Registry.open(db, site_key=key(), argon2_params=TEST_PARAMS)
    user = reg.authenticate("admin", "admin-pass-1")
    # the first write imports the data dictionary and the outcome code: do it before READY, so that a kill
    # a fraction of a second after READY lands mid-stream even on a loaded machine
    import hsp_desktop.clinical.dictionary
    import hsp_desktop.clinical.eligibility
    import hsp_desktop.clinical.outcome  # noqa: F401

    print("READY", flush=True)
    deadline = time.monotonic() + seconds
    i = 0
    while time.monotonic() < deadline:
        i += 1
        sid = f"{prefix}-{i:05d}"
        reg.add_recipient({**RECORD, "study_id": sid, "platelets": 20 + i % 500}, by=user)
        print(f"ACK {sid} recipient", flush=True)
        vid = reg.add_followup(sid, {"date": "2025-02-10", "platelets": 80 + i % 50, "wbc": 4.0}, by=user)
        print(f"ACK {sid} followup {vid}", flush=True)
    reg.close()
    print("DONE", flush=True)


def reader(db: str, seconds: float) -> None:
    reg = Registry.open(db, site_key=key(), argon2_params=TEST_PARAMS)
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        rows = reg.worklist(limit=50)
        if rows:
            reg.get_recipient(rows[-1]["study_id"])
            reg.worklist(search=rows[0]["study_id"][:4])
        reg.count()
        n += 1
    reg.close()
    print(f"READS {n}", flush=True)


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "writer":
        writer(sys.argv[2], sys.argv[3], float(sys.argv[4]))
    elif mode == "reader":
        reader(sys.argv[2], float(sys.argv[3]))
    else:
        raise SystemExit(f"unknown mode {mode}")

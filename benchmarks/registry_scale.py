"""Registry at ward scale: 100,000 recipients with full follow-up.

Targets (issue #6): open, worklist query and search by study id each under 100 ms on the full registry;
importing 10,000 recipients (clinical.csv through the dictionary, all-or-nothing) under 10 s.

Usage::

    .venv/bin/python benchmarks/registry_scale.py [--n 100000] [--chunk 10000] [--out DIR] [--json PATH]

The cohort comes from the synthetic generator (``simulate_preop``); follow-up visits are generated here
(days 30, 90, 160, 175, 190 with platelets and WBC, spleen volume at day 175) and imported through
``import_followup_csv`` (validated against the dictionary, outcome derived for every recipient).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hsp_desktop.registry import Registry
from hsp_desktop.registry.passwords import TEST_PARAMS

VISIT_DAYS = (30, 90, 160, 175, 190)
T = TypeVar("T")


def write_clinical(df: pd.DataFrame, path: Path) -> None:
    cols = [c for c in df.columns if not c.startswith("_")]
    df[cols].to_csv(path, index=False, na_rep="")


def write_followup(df: pd.DataFrame, path: Path, seed: int) -> int:
    import numpy as np

    rng = np.random.default_rng(seed)
    n = 0
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["study_id", "date", "platelets", "wbc", "spleen_volume_ml"])
        for sid, tx, plt, wbc, sv in zip(
            df.study_id, df.transplant_date, df.platelets, df.wbc, df.spleen_volume_ml, strict=True
        ):
            t0 = dt.date.fromisoformat(tx)
            for day in VISIT_DAYS:
                p = min(900, max(5, round(float(plt) * float(np.exp(0.6 + rng.normal(0, 0.35))))))
                wb = round(max(0.5, float(wbc) * float(np.exp(rng.normal(0, 0.2)))), 2)
                vol = round(float(sv) * 0.8, 1) if day == 175 else ""
                w.writerow([sid, (t0 + dt.timedelta(days=day)).isoformat(), p, wb, vol])
                n += 1
    return n


def timed(fn: Callable[[], T], repeat: int = 7) -> tuple[float, T]:
    """Median seconds of ``repeat`` calls, and the last call's result."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--chunk", type=int, default=10_000)
    ap.add_argument("--out", type=Path, default=None, help="folder for the registry (default: a temp folder)")
    ap.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = ap.parse_args()

    from hsp_desktop.synthetic import simulate_preop

    out = args.out or Path(tempfile.mkdtemp(prefix="hsp-registry-bench-"))
    out.mkdir(parents=True, exist_ok=True)
    db = out / "ward.db"
    for p in out.glob("ward.db*"):
        p.unlink()
    key = os.urandom(32)
    figures: dict[str, Any] = {"n": args.n, "chunk": args.chunk}

    df = simulate_preop(args.n, seed=2026)
    reg = Registry.open(db, site_key=key, argon2_params=TEST_PARAMS)
    reg.add_user("admin", "admin-pass-1", "admin", by=None)
    admin = reg.authenticate("admin", "admin-pass-1")

    import_times: list[float] = []
    import_cpu: list[float] = []
    dropped: list[str] = []
    followup_times = []
    n_visits = 0
    for start in range(0, args.n, args.chunk):
        part = df.iloc[start : start + args.chunk]
        clinical, followup = out / "clinical.csv", out / "followup.csv"
        while True:
            write_clinical(part, clinical)
            t, c = time.perf_counter(), time.process_time()
            report = reg.import_csv(clinical, by=admin)
            elapsed, cpu = time.perf_counter() - t, time.process_time() - c
            if report.ok:
                break
            # the generator occasionally draws a value outside the dictionary's hard range: the import rejects
            # the whole file (as it must); drop those rows and import again (the timing kept is the good run)
            bad = sorted({r.row - 2 for r in report.rejected})
            print(f"  rejected rows (dropped): {[str(r) for r in report.rejected][:5]}", flush=True)
            dropped.extend(part.study_id.iloc[bad])
            part = part.drop(part.index[bad])
        import_times.append(elapsed)
        import_cpu.append(cpu)
        n_visits += write_followup(part, followup, seed=start)
        t = time.perf_counter()
        report = reg.import_followup_csv(followup, by=admin)
        followup_times.append(time.perf_counter() - t)
        assert report.ok, report.summary()[:2000]
        print(
            f"{start + args.chunk:>7} recipients: import {import_times[-1]:.2f} s (cpu {import_cpu[-1]:.2f} s), "
            f"follow-up ({len(part) * len(VISIT_DAYS)} visits) {followup_times[-1]:.2f} s",
            flush=True,
        )
    figures["import_chunk_s"] = [round(x, 2) for x in import_times]
    figures["import_chunk_cpu_s"] = [round(x, 2) for x in import_cpu]
    figures["import_first_chunk_s"] = round(import_times[0], 2)
    figures["load_average"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    figures["import_last_chunk_s"] = round(import_times[-1], 2)
    figures["followup_import_chunk_s"] = [round(x, 2) for x in followup_times]
    figures["visits"] = n_visits
    figures["dropped_generator_rows"] = dropped
    reg.close()

    size = sum(p.stat().st_size for p in out.glob("ward.db*") if not p.name.endswith(".lock"))
    figures["db_mib"] = round(size / 2**20, 1)

    def do_open() -> Registry:
        r = Registry.open(db, site_key=key, argon2_params=TEST_PARAMS)
        r.close()
        return r

    figures["open_ms"] = round(timed(do_open)[0] * 1000, 1)
    reg = Registry.open(db, site_key=key, argon2_params=TEST_PARAMS)
    sid = next(s for s in df.study_id.iloc[args.n * 2 // 3 :] if s not in set(dropped))
    today = dt.date(2024, 9, 1)
    figures["worklist_ms"] = round(timed(lambda: reg.worklist(today=today))[0] * 1000, 1)
    figures["worklist_status_outcome_ms"] = round(timed(lambda: reg.worklist(status="outcome"))[0] * 1000, 1)
    ms, rows = timed(lambda: reg.worklist(search=sid))
    assert [r["study_id"] for r in rows] == [sid]
    figures["search_study_id_ms"] = round(ms * 1000, 1)
    figures["search_prefix_ms"] = round(timed(lambda: reg.worklist(search=sid[:-2]))[0] * 1000, 1)
    figures["get_recipient_ms"] = round(timed(lambda: reg.get_recipient(sid))[0] * 1000, 1)
    figures["followups_due_s"] = round(timed(lambda: reg.followups_due(today), repeat=1)[0], 2)
    figures["outcomes"] = {
        s: reg.count(s) for s in ("excluded", "enrolled", "scored", "outcome", "competing")
    }
    t = time.perf_counter()
    backup = reg.backup(out / "backups", keep=1)
    figures["backup_s"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    verified = reg.verify()
    figures["verify_s"] = round(time.perf_counter() - t, 2)
    figures["verify_ok"] = verified.ok
    figures["audit_rows"] = verified.audit_rows
    t = time.perf_counter()
    figures["quick_check"] = reg.quick_check()[0]
    figures["quick_check_s"] = round(time.perf_counter() - t, 2)
    reg.close()
    backup.unlink()
    figures["sqlite_version"] = reg.sqlite_version
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    ok = (
        max(figures["open_ms"], figures["worklist_ms"], figures["search_study_id_ms"]) < 100
        and figures["import_first_chunk_s"] < 10
    )
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

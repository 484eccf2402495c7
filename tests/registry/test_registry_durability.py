"""Crash safety (SIGKILL of a writer at random moments) and concurrency (two writers + one reader)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import make_record

from hsp_desktop.registry import Registry
from hsp_desktop.registry.passwords import TEST_PARAMS

WORKER = Path(__file__).resolve().parent / "registry_worker.py"
pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL and fork-free workers: POSIX only")


def _setup(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    key = os.urandom(32)
    db = tmp_path / "crash.db"
    with Registry.open(db, site_key=key, argon2_params=TEST_PARAMS) as reg:
        reg.add_user("admin", "admin-pass-1", "admin", by=None)
    env = {**os.environ, "HSP_TEST_SITE_KEY": key.hex()}
    return db, env


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _check_after(db: Path, env: dict[str, str], acked: dict[str, int]) -> None:
    key = bytes.fromhex(env["HSP_TEST_SITE_KEY"])
    with Registry.open(db, site_key=key, argon2_params=TEST_PARAMS) as reg:
        conn = reg._conn
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        present = {r[0] for r in conn.execute("SELECT study_id FROM recipients")}
        missing = [sid for sid in acked if sid not in present]
        assert not missing, f"acknowledged writes lost: {missing[:5]}"
        for sid, visits in acked.items():
            n = conn.execute("SELECT COUNT(*) FROM followups WHERE study_id = ?", (sid,)).fetchone()[0]
            assert n >= visits, f"{sid}: acknowledged follow-up lost"
        # nothing half-written: every recipient has enrolment, pre-op values and an outcome (one transaction)
        for table in ("enrolment", "preop", "outcomes"):
            orphans = conn.execute(
                f"SELECT COUNT(*) FROM recipients r WHERE NOT EXISTS (SELECT 1 FROM {table} t "
                "WHERE t.study_id = r.study_id)"
            ).fetchone()[0]
            assert orphans == 0, f"recipients without {table}"
        report = reg.verify()
        assert report.ok, report.problems[:5]


def _crash_rounds(tmp_path: Path, rounds: int) -> None:
    db, env = _setup(tmp_path)
    rng = random.Random(20261129)
    acked: dict[str, int] = {}
    killed_mid_stream = 0
    for r in range(rounds):
        proc = _spawn(["writer", str(db), f"R{r:02d}", "60"], env)
        lines: list[str] = []
        reader = threading.Thread(target=lambda p=proc, out=lines: out.extend(p.stdout), daemon=True)  # type: ignore[arg-type]
        reader.start()
        t0 = time.monotonic()
        while "READY\n" not in lines and time.monotonic() - t0 < 30:
            time.sleep(0.01)
        assert "READY\n" in lines, proc.stderr.read() if proc.poll() is not None else "worker did not start"
        time.sleep(rng.uniform(0.05, 0.6))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        reader.join(5)
        proc.stdout.close()
        proc.stderr.close()
        assert proc.returncode == -signal.SIGKILL
        n_acks = 0
        for line in lines:
            parts = line.split()
            if parts and parts[0] == "ACK":
                n_acks += 1
                if parts[2] == "recipient":
                    acked.setdefault(parts[1], 0)
                else:
                    acked[parts[1]] = acked.get(parts[1], 0) + 1
        killed_mid_stream += n_acks > 0
        _check_after(db, env, acked)
    assert killed_mid_stream >= rounds // 2, "the writer was mostly killed before writing anything"
    print(f"crash: {rounds} SIGKILL rounds, {len(acked)} acknowledged recipients all present, chain verified")


def test_crash_safety_fast(tmp_path: Path) -> None:
    """Five SIGKILL rounds (the full 25-round version is marked slow)."""
    _crash_rounds(tmp_path, 5)


@pytest.mark.slow
def test_crash_safety_25_rounds(tmp_path: Path) -> None:
    _crash_rounds(tmp_path, 25)


def _concurrency(tmp_path: Path, seconds: float) -> None:
    db, env = _setup(tmp_path)
    procs = [
        _spawn(["writer", str(db), "W1", str(seconds)], env),
        _spawn(["writer", str(db), "W2", str(seconds)], env),
        _spawn(["reader", str(db), str(seconds)], env),
    ]
    outputs = [p.communicate(timeout=seconds + 120) for p in procs]
    for p, (out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err[-3000:]
        assert "database is locked" not in out + err and "Traceback" not in err
    acked: dict[str, int] = {}
    for out, _ in outputs[:2]:
        for line in out.splitlines():
            parts = line.split()
            if parts[:1] == ["ACK"]:
                acked[parts[1]] = acked.get(parts[1], 0) + (parts[2] == "followup")
    assert sum(1 for k in acked if k.startswith("W1")) > 5 and sum(1 for k in acked if k.startswith("W2")) > 5
    assert int(outputs[2][0].split()[1]) > 5
    print(
        f"concurrency {seconds:.0f} s: W1 {sum(1 for k in acked if k.startswith('W1'))} and "
        f"W2 {sum(1 for k in acked if k.startswith('W2'))} recipients (+ follow-ups) acknowledged, "
        f"reader {outputs[2][0].split()[1]} query loops"
    )
    _check_after(db, env, acked)
    key = bytes.fromhex(env["HSP_TEST_SITE_KEY"])
    with Registry.open(db, site_key=key, argon2_params=TEST_PARAMS) as reg:
        assert reg.count() == len(acked)  # no lost and no phantom writes


def test_concurrency_fast(tmp_path: Path) -> None:
    """Two writer processes and one reader for 5 s (the 30 s version is marked slow)."""
    _concurrency(tmp_path, 5.0)


@pytest.mark.slow
def test_concurrency_30s(tmp_path: Path) -> None:
    _concurrency(tmp_path, 30.0)


def test_threads_share_one_registry(tmp_path: Path) -> None:
    """GUI worker threads share one Registry (one connection, one writer): no lost writes, chain intact."""

    with Registry.open(tmp_path / "t.db", argon2_params=TEST_PARAMS) as reg:
        reg.add_user("admin", "admin-pass-1", "admin", by=None)
        admin = reg.authenticate("admin", "admin-pass-1")
        errors: list[BaseException] = []

        def work(k: int) -> None:
            try:
                for i in range(8):
                    sid = reg.add_recipient(make_record(f"T{k}-{i:03d}"), by=admin)
                    reg.add_followup(sid, {"date": "2025-02-10", "platelets": 90, "wbc": 4.2}, by=admin)
                    reg.worklist(search=f"T{k}")
            except BaseException as exc:  # noqa: BLE001 - collected and asserted empty below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        assert reg.count() == 32
        assert reg._conn.execute("SELECT COUNT(*) FROM followups").fetchone()[0] == 32
        assert reg.verify().ok

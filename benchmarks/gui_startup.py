"""Time from launch to a usable main window (2 cores, warm), and which heavy libraries the start imported.

    .venv/bin/python benchmarks/gui_startup.py [--runs 5]

Each run is a fresh process (``python -c``) that opens a temporary registry, signs in, builds the main window,
shows it and processes events once; the process reports its own wall time from interpreter start.  The first run
warms the OS file cache; the median of the others is the warm figure.  Goal: < 2 s warm.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

CHILD = r"""
import time, sys, os, json
t0 = time.perf_counter()
from PySide6.QtWidgets import QApplication
app = QApplication([])
from hsp_desktop.gui.context import AppContext
from hsp_desktop.gui.mainwindow import MainWindow
from hsp_desktop.registry import Registry
from hsp_desktop.registry.passwords import TEST_PARAMS
reg = Registry.open(os.environ["BENCH_DB"], argon2_params=TEST_PARAMS)
if not reg.users():
    reg.add_user("bench", "bench-password", "admin", by=None)
user = reg.authenticate("bench", "bench-password")
window = MainWindow(AppContext(registry=reg, user=user, data_dir=__import__("pathlib").Path(os.environ["BENCH_DB"]).parent))
window.show()
app.processEvents()
t1 = time.perf_counter()
heavy = [m for m in ("numba", "sklearn", "SimpleITK", "onnxruntime", "reportlab", "torch", "scipy") if m in sys.modules]
print(json.dumps({"seconds": t1 - t0, "heavy_imported": heavy}))
window.close()
reg.close()
"""


def main() -> int:
    """Run the start-up measurement and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
               "BENCH_DB": os.path.join(tmp, "bench.sqlite"), "HSP_DATA_DIR": tmp}  # fmt: skip
        results = []
        for _ in range(args.runs + 1):
            out = subprocess.run(
                [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True
            )
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    warm = [r["seconds"] for r in results[1:]]
    print(
        f"launch -> usable main window: first {results[0]['seconds']:.2f} s, warm median {statistics.median(warm):.2f} s "
        f"(min {min(warm):.2f}, max {max(warm):.2f}) over {len(warm)} runs; goal < 2 s"
    )
    print(f"heavy libraries imported at start: {results[-1]['heavy_imported'] or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

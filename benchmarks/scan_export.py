"""Scanning a 2,000-file PACS export: time to the first listed series and to the complete tree.

Writes a flat export of ``--series`` CT series of ``--files / --series`` slices (``--size`` pixels square,
uncompressed, shuffled file names without extension, as a CD export looks), then measures, in this process:

* ``scan_export`` (what the study browser runs in its worker): seconds until the first series is listed and
  until the tree is complete (every file read whole, so truncated files are found);
* the same run inside the real ``StudyBrowser`` widget (offscreen Qt): first series shown, tree complete, and the
  longest gap of the GUI event loop during the scan;
* the peers measured in the same run: SimpleITK/GDCM ``GetGDCMSeriesIDs`` + ``GetGDCMSeriesFileNames`` per
  series, and a pydicom header-only pass (``stop_before_pixels``).

Usage: ``python benchmarks/scan_export.py [--files 2000] [--series 10] [--size 256] [--keep DIR]``
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import tempfile
import time
from pathlib import Path


def write_export(folder: Path, files: int, series: int, size: int) -> None:
    """``series`` series of ``files // series`` slices each, file names shuffled and without extension."""
    import numpy as np

    from hsp_desktop.domain import CtVolume
    from hsp_desktop.synthetic.dicom import write_dicom_series

    per = files // series
    rng = np.random.default_rng(0)
    names = [f"{i:08X}" for i in range(per * series)]
    random.Random(0).shuffle(names)
    k = 0
    for s in range(series):
        hu = rng.integers(-1000, 1000, size=(per, size, size)).astype(np.float32)
        ct = CtVolume(
            array=hu, spacing=(0.8, 0.8, 1.0), origin=(0.0, 0.0, 0.0), meta={"phase": "portal venous"}
        )
        tmp = folder / f".s{s}"
        paths = write_dicom_series(
            ct, tmp, patient_id="BENCH-1", series_description=f"Series {s} 1.0 B30f", seed=s
        )
        for p in paths:
            os.replace(p, folder / names[k])
            k += 1
        tmp.rmdir()


def bench_scan(folder: Path) -> tuple[float, float, int]:
    from hsp_desktop.importers.study import TreeBuilder, scan_export

    builder = TreeBuilder(folder)
    start = time.perf_counter()
    first = None
    gen = scan_export(folder, builder)
    while True:
        try:
            next(gen)
        except StopIteration as stop:
            tree = stop.value
            break
        if first is None and builder.series_count:
            first = time.perf_counter() - start
    return first or 0.0, time.perf_counter() - start, len(tree.all_series())


def bench_gui(folder: Path) -> tuple[float, float, float]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from hsp_desktop.gui.widgets.study_browser import StudyBrowser

    app = QApplication.instance() or QApplication([])
    browser = StudyBrowser()
    browser.show()
    gaps = [0.0]
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)
    timer.start()
    start = time.perf_counter()
    browser.scan(folder)
    while browser.tree_data is None:
        app.processEvents()
        time.sleep(0.002)
    total = time.perf_counter() - start
    timer.stop()
    first = browser.first_series_s or 0.0
    browser.close()
    browser.deleteLater()
    app.processEvents()  # Qt objects go on the GUI thread now, not in the interpreter's final collection
    return first, total, max(gaps)


def bench_gdcm(folder: Path) -> float:
    import SimpleITK as sitk

    start = time.perf_counter()
    reader = sitk.ImageSeriesReader()
    ids = reader.GetGDCMSeriesIDs(str(folder))
    for uid in ids:
        reader.GetGDCMSeriesFileNames(str(folder), uid)
    return time.perf_counter() - start


def bench_pydicom_headers(folder: Path) -> float:
    import pydicom

    start = time.perf_counter()
    for f in sorted(folder.iterdir()):
        pydicom.dcmread(f, stop_before_pixels=True)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--series", type=int, default=10)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--keep", type=Path, default=None, help="write the export here and keep it")
    args = ap.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="hsp-scan-"))
    try:
        if not any(folder.iterdir()) if folder.exists() else True:
            folder.mkdir(parents=True, exist_ok=True)
            t = time.perf_counter()
            write_export(folder, args.files, args.series, args.size)
            print(
                f"wrote {args.files} files ({args.series} series, {args.size}^2) in {time.perf_counter() - t:.1f} s"
            )
        print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} on {os.cpu_count()} cores")
        first, total, n = bench_scan(folder)
        print(f"scan_export:      first series {first:.3f} s, complete tree {total:.2f} s ({n} series)")
        gfirst, gtotal, gap = bench_gui(folder)
        print(
            f"StudyBrowser:     first series shown {gfirst:.3f} s, complete {gtotal:.2f} s, longest GUI gap {gap * 1000:.0f} ms"
        )
        gd = bench_gdcm(folder)
        hd = bench_pydicom_headers(folder)
        print(
            f"peer GDCM (SimpleITK GetGDCMSeriesIDs + file names): {gd:.2f} s -> ours/GDCM {total / gd:.2f}x"
        )
        print(
            f"peer pydicom headers only (stop_before_pixels):     {hd:.2f} s -> ours/pydicom {total / hd:.2f}x"
        )
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

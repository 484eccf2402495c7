"""From "retrieve" to a saved prediction, for a 512 x 512 x 300 CT series held by a real PACS (Orthanc, loopback).

What it does:

1. renders one full-resolution synthetic recipient (``score_case.make_case``: 512 x 512 x ``--slices`` DICOM
   series, one file per slice) and uploads it to a fresh Orthanc (Debian package) on loopback;
2. opens a registry holding that recipient (its MRN = the series' PatientID);
3. times, as the ward does it: C-FIND (study + series) -> C-GET of the series -> ``run_case`` with the shipped
   demo model (import, QC, radiomics, risk, PDF, registry save) -> C-STORE of the PDF, SEG and SR;
4. times the same ``run_case`` on the series read from local disk in the same run (the peer: a folder export
   already on the workstation), so the network's share is printed as a ratio.

Run (Orthanc must be installed: ``bash packaging/bootstrap.sh --dev`` does it)::

    .venv/bin/python benchmarks/pacs_roundtrip.py [--slices 300] [--repeats 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--slices", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)

    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(HERE.parent / "tests" / "pacs"))
    from pacs_servers import orthanc_available, start_orthanc  # the tests' Orthanc launcher
    from score_case import make_case, pin_cores

    if not orthanc_available():
        print("Orthanc is not installed: run `bash packaging/bootstrap.sh --dev` (Debian package orthanc)")
        return 1
    pin_cores()
    import pydicom

    from hsp_desktop.pacs import service
    from hsp_desktop.pacs.nodes import PacsNode
    from hsp_desktop.pipeline import run_case, run_to_end
    from hsp_desktop.registry import Registry
    from hsp_desktop.registry.passwords import TEST_PARAMS

    with tempfile.TemporaryDirectory(prefix="hsp-pacs-bench-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        record, ct_path, mask_path, shape = make_case(folder, args.slices)
        files = sorted(p for p in ct_path.rglob("*") if p.is_file())
        study_date = str(record["ct_date"]).replace("-", "")
        for (
            path
        ) in files:  # the scanner's StudyDate: the identity guard compares it with the recipient's CT date
            ds = pydicom.dcmread(path)
            ds.StudyDate = ds.SeriesDate = study_date
            ds.save_as(path)
        size_mb = sum(p.stat().st_size for p in files) / 1e6
        print(f"case: {shape[2]}x{shape[1]}x{shape[0]} voxels, {len(files)} files, {size_mb:.0f} MB "
              f"({time.perf_counter() - t0:.1f} s to render)")  # fmt: skip
        reg = Registry.open(folder / "ward.sqlite", site_key=os.urandom(32), argon2_params=TEST_PARAMS)
        reg.add_user("bench", "benchmark-password", "admin", by=None)
        user = reg.authenticate("bench", "benchmark-password")
        sid = reg.add_recipient({**record, "mrn": "BENCH-1"}, by=user)
        with reg, start_orthanc(folder / "orthanc") as pacs:
            t0 = time.perf_counter()
            pacs.upload(files)
            print(f"seeded Orthanc in {time.perf_counter() - t0:.1f} s (not part of the figures)")
            node = PacsNode("Orthanc", pacs.ae_title, "127.0.0.1", pacs.port)
            reg.set_setting("pacs_local_ae", "HSPDESKTOP", by=user)
            # warm-up: JIT cache and imports, as a ward PC after its first case
            run_to_end(run_case(reg, sid, ct_path, mask_path, user=user, report_dir=folder / "warm"))
            rows = []
            for i in range(args.repeats):
                t0 = time.perf_counter()
                found = service.query_recipient(reg, user, node, sid)
                # after the first send the study also holds our DOC, SEG and SR series: pick the CT
                [series] = [s for xs in found.series.values() for s in xs if s.modality == "CT"]
                t1 = time.perf_counter()
                got = run_to_end(service.retrieve(reg, user, node, sid, series, folder / f"inbox{i}"))
                t2 = time.perf_counter()
                result = run_to_end(
                    run_case(reg, sid, got.folder, mask_path, user=user, report_dir=folder / f"rep{i}")
                )
                t3 = time.perf_counter()
                service.send_prediction(reg, user, node, sid, result.prediction_id, pdf=result.report_path)
                t4 = time.perf_counter()
                local = run_to_end(
                    run_case(reg, sid, ct_path, mask_path, user=user, report_dir=folder / f"loc{i}")
                )
                t5 = time.perf_counter()
                assert abs(local.risk.probability - result.risk.probability) < 1e-12
                rows.append({"query": t1 - t0, "retrieve": t2 - t1, "score": t3 - t2, "send": t4 - t3,
                             "to_saved": t3 - t0, "local": t5 - t4})  # fmt: skip
    med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
    print(f"\nmedian of {len(rows)} runs, 2 cores, load average {os.getloadavg()[0]:.1f}:")
    print(f"  query (C-FIND study+series)      {med['query']:6.2f} s")
    print(
        f"  retrieve (C-GET {len(files)} images)      {med['retrieve']:6.2f} s  ({size_mb / med['retrieve']:.0f} MB/s)"
    )
    print(f"  score + save (run_case)          {med['score']:6.2f} s")
    print(f"  retrieve -> saved prediction     {med['to_saved']:6.2f} s")
    print(f"  send PDF + SEG + SR (C-STORE)    {med['send']:6.2f} s")
    print(f"  peer: run_case from local disk   {med['local']:6.2f} s")
    print(f"  ratio retrieve->saved / local    {med['to_saved'] / med['local']:6.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

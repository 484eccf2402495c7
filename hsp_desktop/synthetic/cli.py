"""Command ``hsp synth``: write a synthetic cohort folder (heavy imports inside the handler)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text}")
    return value


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text}")
    return value


def register(subparsers: Any) -> None:
    """Add ``synth`` to the ``hsp`` command line."""
    p = subparsers.add_parser(
        "synth",
        help="generate a synthetic cohort (clinical CSV, follow-up, CT + masks + DICOM, ground truth)",
        description=(
            "Generate a synthetic liver-transplant cohort following CLINICAL.md: pre-operative records in "
            "dictionary units, dated follow-up to the 6-month outcome, a portal-venous CT with spleen/liver label "
            "map per recipient (NIfTI and DICOM), and a ground-truth file the product never reads. "
            "Without --out, prints where the embedded demo cohort is (generating it on first use)."
        ),
    )
    p.add_argument("--n", type=_positive, help="development-cohort recipients (default 200)")
    p.add_argument("--prospective", type=_non_negative, help="prospective recipients (default 30)")
    p.add_argument("--seed", type=_non_negative, help="random seed (default 1)")
    p.add_argument("--out", type=Path, help="output folder (new or empty); omit for the demo cohort")
    p.add_argument("--sites", type=_positive, help="centres with site effects (default 1)")
    p.add_argument("--full-res", action="store_true", help="512x512 CT at 0.75 mm (slow, large)")
    p.add_argument(
        "--inject-errors", action="store_true", help="inject a labelled ~8%% of realistic mistakes"
    )
    p.add_argument("--no-images", action="store_true", help="tables only (no CT, masks or DICOM)")
    p.add_argument(
        "--pacs",
        action="store_true",
        help="a small cohort (--n, default 8) plus PACS-style study exports of three recipients under "
        "OUT/pacs with ground truth (several series, DICOMDIR, two-patient export, Chinese names, "
        "compressed and lossy series, a truncated file, SEG/RTSTRUCT/TotalSegmentator/Slicer/ITK-SNAP masks)",
    )
    p.add_argument(
        "--prospective-shift",
        type=float,
        help="known shift for monitoring tests: log-odds added to the prospective recipients' outcome model",
    )
    p.add_argument(
        "--prospective-scanner",
        metavar="KERNEL",
        help="known shift for monitoring tests: the prospective CTs come from a new scanner with this "
        "reconstruction kernel (+25 HU offset)",
    )
    p.add_argument("--workers", type=_positive, help="image worker processes (default: up to 4)")
    p.add_argument("--force", action="store_true", help="replace an existing cohort folder at --out")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=_synth)


def _synth(args: argparse.Namespace) -> int:
    import json
    import time

    from hsp_desktop.cli_progress import progress_bar
    from hsp_desktop.domain import Progress

    bar = None if args.quiet else progress_bar(100, "synth", unit="%", file=sys.stderr, leave=False)
    state = {"last": 0}

    def progress(p: Progress) -> None:
        if bar is None:
            return
        now = round(p.fraction * 100)
        if now > state["last"]:
            bar.update(now - state["last"])
            state["last"] = now
        bar.set_postfix_str(f"{p.stage}: {p.message}"[:50], refresh=False)

    if args.out is None:
        given = [
            f"--{name.replace('_', '-')}"
            for name in (
                "n",
                "prospective",
                "seed",
                "sites",
                "full_res",
                "inject_errors",
                "workers",
                "force",
                "prospective_shift",
                "prospective_scanner",
            )
            if getattr(args, name) not in (None, False)
        ]
        if given:
            from hsp_desktop.errors import InputError

            raise InputError(
                "options given without --out",
                expected="--out DIR with " + ", ".join(given),
                found="no --out (the demo cohort has fixed arguments)",
                fix="add --out DIR, or drop the options to use the demo cohort",
                field="out",
            )
    start = time.perf_counter()
    if args.pacs:
        return _synth_pacs(args, progress, bar, start)
    try:
        if args.out is None:
            from hsp_desktop.synthetic.demo import demo_cohort_dir

            out = demo_cohort_dir(images=not args.no_images, progress=progress)
        else:
            from hsp_desktop.synthetic.cohort import ProspectiveShift, generate_cohort

            out = generate_cohort(
                args.out,
                200 if args.n is None else args.n,
                30 if args.prospective is None else args.prospective,
                1 if args.seed is None else args.seed,
                sites=1 if args.sites is None else args.sites,
                full_res=args.full_res,
                inject_errors=args.inject_errors,
                images=not args.no_images,
                progress=progress,
                workers=args.workers,
                overwrite=args.force,
                shift=ProspectiveShift(
                    intercept=args.prospective_shift or 0.0, scanner_kernel=args.prospective_scanner or ""
                ),
            )
    finally:
        if bar is not None:
            bar.close()
    elapsed = time.perf_counter() - start
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    c = manifest["counts"]
    print(f"cohort: {out}")
    print(
        f"recipients {c['recipients']} (development {c['development']}, prospective {c['validation']}); "
        f"outcome 1: {c['events']}, 0: {c['non_events']}, pending: {c['pending']}, competing: {c['competing']}"
    )
    print(
        f"follow-up rows {c['followup_rows']}; injected errors {c['injected_errors']}; "
        f"files {len(manifest['files'])}; seed {manifest['seed']}; {elapsed:.1f} s"
    )
    return 0


def _synth_pacs(args: argparse.Namespace, progress: Any, bar: Any, start: float) -> int:
    import json
    import time

    from hsp_desktop.errors import InputError
    from hsp_desktop.synthetic.pacs import generate_pacs_cohort

    if args.out is None:
        raise InputError(
            "--pacs needs --out",
            expected="--out DIR",
            found="no --out",
            fix="add --out DIR (a new or empty folder)",
            field="out",
        )
    try:
        out = generate_pacs_cohort(
            args.out,
            8 if args.n is None else args.n,
            1 if args.seed is None else args.seed,
            progress=progress,
            overwrite=args.force,
        )
    finally:
        if bar is not None:
            bar.close()
    truth = json.loads((out / "pacs" / "ground_truth.json").read_text(encoding="utf-8"))
    print(f"cohort: {out}")
    for name, entry in sorted(truth["exports"].items()):
        print(f"  pacs/{name}: {entry.get('expect', '')}")
    print(f"ground truth: {out / 'pacs' / 'ground_truth.json'}; {time.perf_counter() - start:.1f} s")
    return 0

"""``hsp extract``: radiomics features of one case or a batch, written to CSV."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the ``extract`` sub-command."""
    p = subparsers.add_parser(
        "extract",
        help="extract radiomics features (PyRadiomics-compatible) to CSV",
        description="Extract radiomics features of one CT + mask, or of every case in a batch CSV (Image,Mask[,Label]).",
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--image", type=Path, help="CT: DICOM folder, NIfTI, NRRD or MHA")
    src.add_argument(
        "--batch", type=Path, help="CSV with Image,Mask[,Label] columns (paths relative to the CSV)"
    )
    p.add_argument("--mask", type=Path, help="label map of the CT (with --image)")
    p.add_argument(
        "--label", type=int, default=None, help="ROI label (default: the parameter file's, else 1)"
    )
    p.add_argument("--params", type=Path, default=None, help="PyRadiomics parameter file (YAML)")
    p.add_argument("--mode", choices=("pyradiomics", "ibsi"), default=None, help="preprocessing convention")
    p.add_argument("--out", type=Path, required=True, help="output CSV")
    p.add_argument("--jobs", type=int, default=None, help="parallel cases in batch mode (default: CPU count)")
    p.add_argument("--no-qc", action="store_true", help="skip the imaging QC gate (not for clinical use)")
    p.add_argument(
        "--cross-check",
        action="store_true",
        help="recompute one case (the first of a batch) with PyRadiomics and report the largest difference; "
        "exit code 1 when a feature is beyond the agreement tolerance (1e-6 relative, shape 1e-4)",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Handle ``hsp extract``."""
    from hsp_desktop.errors import InputError
    from hsp_desktop.radiomics.batch import Case, extract_batch, extract_case, read_cases, write_csv
    from hsp_desktop.radiomics.settings import load_params

    settings = load_params(args.params, mode=args.mode)
    if args.image is not None:
        if args.mask is None:
            raise InputError(
                "--mask is required with --image",
                expected="--mask MASK",
                found="no mask",
                fix="add --mask path/to/mask.nii.gz",
                field="mask",
            )
        row = extract_case(Case(args.image, args.mask, args.label), settings, qc=not args.no_qc)
        write_csv([row], args.out)
        print(f"hsp extract: {len(row) - 3} features -> {args.out}")
        return _cross_check(row, settings) if args.cross_check else 0
    cases = read_cases(args.batch)
    if args.label is not None:
        cases = [Case(c.image, c.mask, c.label if c.label is not None else args.label, c.row) for c in cases]
    from hsp_desktop.cli_progress import progress_bar

    with progress_bar(len(cases), "extract", unit="case", file=sys.stderr) as bar:

        def progress(done: int, total: int) -> None:
            bar.update(done - bar.n)

        result = extract_batch(cases, settings, jobs=args.jobs, qc=not args.no_qc, progress=progress)
    if result.rows:
        write_csv(result.rows, args.out)
    for failure in result.failures:
        print(
            f"hsp extract: row {failure['row']} ({failure['Image']}) skipped: {failure['error']}: {failure['message']}",
            file=sys.stderr,
        )
    if result.failures:
        errors = args.out.with_name(args.out.stem + ".errors.csv")
        write_csv(result.failures, errors)
        print(
            f"hsp extract: {len(result.rows)} case(s) done, {len(result.failures)} failed (listed in {errors})",
            file=sys.stderr,
        )
        return 1
    print(f"hsp extract: {len(result.rows)} case(s) -> {args.out}")
    return _cross_check(result.rows[0], settings) if args.cross_check else 0


def _cross_check(row: dict[str, Any], settings: Any) -> int:
    """Recompute the case of ``row`` with PyRadiomics, print the comparison; 1 when it disagrees."""
    from hsp_desktop.radiomics.crosscheck import cross_check

    features = {k: v for k, v in row.items() if k not in ("Image", "Mask", "Label")}
    check = cross_check(Path(row["Image"]), Path(row["Mask"]), settings, int(row["Label"]), features)
    print(f"hsp extract: {check.summary()}")
    return 0 if check.agrees else 1

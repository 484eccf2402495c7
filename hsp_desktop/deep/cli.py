"""Commands ``hsp train-cnn`` and ``hsp deep-features`` (heavy imports inside the handlers)."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    """Add ``train-cnn`` and ``deep-features`` to the ``hsp`` command line."""
    train = subparsers.add_parser(
        "train-cnn",
        help="train the spleen CNN on a development cohort and export it to ONNX (needs the train extra)",
        description="Train the spleen CNN (out-of-fold deep scores + final network), export ONNX with a manifest.",
    )
    train.add_argument(
        "--cohort", type=Path, required=True, help="development cohort folder (hsp synth --out)"
    )
    train.add_argument(
        "--out", type=Path, required=True, help="artefact folder, e.g. models/artifacts/cnn-demo-1"
    )
    train.add_argument(
        "--labels", type=Path, help="CSV study_id,y (default: outcomes derived from followup.csv)"
    )
    train.add_argument("--folds", type=int, default=5, help="folds of the out-of-fold scores (default 5)")
    train.add_argument("--epochs", type=int, help="maximum epochs per fit (default 30, early stopping)")
    train.add_argument("--seed", type=int, help="random seed (default 20260)")
    train.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    train.add_argument("--grid", type=int, default=48, help="crop edge in voxels (default 48)")
    train.add_argument("--spacing", type=float, default=4.0, help="crop voxel size in mm (default 4)")
    train.add_argument("--width", type=int, help="network width (default 12)")
    train.add_argument("--no-oof", action="store_true", help="skip the out-of-fold scores (experiments only)")
    train.add_argument("--overwrite", action="store_true", help="replace an existing artefact folder")
    train.add_argument("--quiet", action="store_true", help="no progress bars")
    train.set_defaults(handler=_train)

    feats = subparsers.add_parser(
        "deep-features",
        help="deep score and deep features of a cohort or one CT through ONNX Runtime",
        description="Run the CNN artefact on a cohort folder (or one CT + mask) and write a CSV.",
    )
    feats.add_argument(
        "--model", type=Path, default=Path("models/artifacts/cnn-demo-1"), help="artefact folder"
    )
    src = feats.add_mutually_exclusive_group(required=True)
    src.add_argument(
        "--cohort", type=Path, help="cohort folder (images/<id>/ct.nii.gz + mask.nii.gz), or 'demo'"
    )
    src.add_argument("--ct", type=Path, help="one CT (DICOM folder or NIfTI/NRRD/MHA file); needs --mask")
    feats.add_argument("--mask", type=Path, help="label map of --ct (1 = spleen, 2 = liver)")
    feats.add_argument("--out", type=Path, required=True, help="CSV to write")
    feats.add_argument(
        "--provider", choices=("auto", "cpu", "cuda"), help="ONNX Runtime provider (default auto)"
    )
    feats.add_argument("--threads", type=int, help="ONNX Runtime intra-op threads")
    feats.add_argument("--batch-size", type=int, default=8)
    feats.add_argument("--quiet", action="store_true", help="no progress bar")
    feats.set_defaults(handler=_deep_features)


def _cohort_folder(path: Path) -> Path:
    """The folder itself, or the embedded demo cohort (generated on first use) for the word ``demo``."""
    if str(path) == "demo" and not path.exists():
        from hsp_desktop.synthetic import demo_cohort_dir

        return Path(demo_cohort_dir())
    return path


def _train(args: argparse.Namespace) -> int:
    import os

    # idle OpenMP threads sleep instead of spinning: on a busy shared machine spinning halves throughput
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from hsp_desktop.deep.training import train_cnn
    from models.cnn.preprocess import PreprocessSpec

    spec = PreprocessSpec(grid=args.grid, spacing_mm=args.spacing)
    manifest = train_cnn(
        _cohort_folder(args.cohort),
        args.out,
        labels=args.labels,
        spec=spec,
        folds=args.folds,
        max_epochs=args.epochs,
        seed=args.seed,
        threads=args.threads,
        width=args.width,
        oof=not args.no_oof,
        overwrite=args.overwrite,
        progress=not args.quiet,
        command="hsp " + " ".join(shlex.quote(a) for a in sys.argv[1:])
        if sys.argv[1:2] == ["train-cnn"]
        else None,
    )
    import json

    body = json.loads(manifest.read_text(encoding="utf-8"))
    oof = body["validation"].get("out_of_fold")
    line = f"wrote {manifest.parent} ({body['training_cohort']['n']} recipients"
    if oof:
        line += f"; out-of-fold AUC {oof['auc']:.3f} [{oof['ci_low']:.3f}, {oof['ci_high']:.3f}]"
    print(line + ")")
    return 0


def _deep_features(args: argparse.Namespace) -> int:
    from hsp_desktop.deep.cohort import read_case
    from hsp_desktop.deep.features import (
        deep_features_for_case,
        deep_features_for_cohort,
        load_model,
        write_rows_csv,
    )
    from hsp_desktop.errors import InputError

    model = load_model(args.model, provider=args.provider, threads=args.threads)
    if args.cohort is not None:
        rows = deep_features_for_cohort(
            model, _cohort_folder(args.cohort), batch_size=args.batch_size, progress=not args.quiet
        )
    else:
        if args.mask is None:
            raise InputError(
                "--ct needs --mask",
                expected="a label map of the same CT",
                found="no --mask",
                fix="add --mask PATH",
                field="mask",
            )
        ct, mask = read_case(args.ct, args.mask)
        result = deep_features_for_case(model, ct, mask)
        rows = [{"study_id": args.ct.name, **result.features(), **result.provenance()}]
    path = write_rows_csv(rows, args.out)
    print(f"wrote {path} ({len(rows)} recipients, provider {rows[0]['provider']})")
    return 0

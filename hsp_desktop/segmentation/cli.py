"""Commands ``hsp segment``, ``hsp segment-review`` and ``hsp train-seg`` (heavy imports inside the handlers)."""

from __future__ import annotations

import argparse
import getpass
from pathlib import Path
from typing import Any


def _seed(text: str) -> tuple[int, int, int]:
    parts = text.split(",")
    try:
        if len(parts) != 3:
            raise ValueError
        i, j, k = (int(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a seed I,J,K in voxel indices (column,row,slice), got {text!r}"
        ) from None
    return i, j, k


def _window(text: str) -> tuple[float, float]:
    try:
        low, high = (float(p) for p in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an HU window LOW,HIGH, got {text!r}") from None
    return low, high


def register(subparsers: Any) -> None:
    """Add ``segment``, ``segment-review`` and ``train-seg`` to the ``hsp`` command line."""
    p = subparsers.add_parser(
        "segment",
        help="make a spleen (and liver) mask: region growing from a click, or an installed ONNX model",
        description=(
            "Segment the spleen on a portal-venous CT, either semi-automatically from one or more clicks "
            "(--seed I,J,K in voxel indices of the CT: i column/x, j row/y, k slice) or with an ONNX "
            "segmentation model folder (--model). Writes a label map on the CT grid (1 spleen, 2 liver) and "
            "its provenance beside it. The mask must be reviewed (hsp segment-review) before it can be scored."
        ),
    )
    p.add_argument("--ct", type=Path, required=True, help="CT: DICOM folder or NIfTI/NRRD/MHA file")
    how = p.add_mutually_exclusive_group(required=True)
    how.add_argument(
        "--seed", type=_seed, action="append", help="click inside the spleen, I,J,K (repeatable)"
    )
    how.add_argument("--model", type=Path, help="ONNX segmentation model folder (manifest.json + model.onnx)")
    p.add_argument("--liver-seed", type=_seed, action="append", help="click inside the liver, I,J,K")
    p.add_argument("--window", type=_window, help="spleen HU window LOW,HIGH (default: from the click)")
    p.add_argument("--smoothness", type=float, default=5.0, help="leak-cut radius in mm, 0-15 (default 5)")
    p.add_argument("--provider", choices=("auto", "cpu"), default="auto", help="ONNX Runtime device")
    p.add_argument("--user", default=None, help="who made the mask (default: the login name)")
    p.add_argument("--out", type=Path, required=True, help="output label map (.nii.gz)")
    p.set_defaults(handler=_segment)

    r = subparsers.add_parser(
        "segment-review",
        help="confirm an app-made mask (a named reviewer) so that it can be scored",
        description="Record that a named user reviewed an app-made mask; an edited mask needs a new review.",
    )
    r.add_argument("mask", type=Path, help="the app-made mask (.nii.gz with its .provenance.json)")
    r.add_argument("--reviewer", required=True, help="the reviewer's name")
    r.add_argument("--note", default="", help="a note kept with the review")
    r.set_defaults(handler=_review)

    t = subparsers.add_parser(
        "train-seg",
        help="train the demonstration ONNX spleen/liver segmentation model (needs the train extra)",
        description=(
            "Train a small 3-D U-Net on a synthetic cohort folder written by hsp synth and export it as an ONNX "
            "segmentation model folder (model.onnx + manifest.json). For synthetic data only."
        ),
    )
    t.add_argument("--cohort", type=Path, required=True, help="hsp synth output folder")
    t.add_argument("--out", type=Path, required=True, help="model folder to write")
    t.add_argument("--steps", type=int, default=600, help="training steps of two crops each (default 600)")
    t.add_argument("--cases", type=int, default=16, help="training cases (default 16)")
    t.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    t.add_argument("--seed", type=int, default=0, help="random seed")
    t.set_defaults(handler=_train)


def _segment(args: argparse.Namespace) -> int:
    import time

    from hsp_desktop.importers import read_ct
    from hsp_desktop.segmentation.masks import save_mask, segment_semiauto

    user = args.user or getpass.getuser()
    start = time.perf_counter()
    ct = read_ct(args.ct)
    if args.model is not None:
        from hsp_desktop.segmentation.onnx_model import load_seg_model, segment_with_model

        model = load_seg_model(args.model)
        labels, provenance = segment_with_model(model, ct, user=user, provider=args.provider)
    else:
        seeds: dict[str, Any] = {"spleen": args.seed}
        windows = {"spleen": args.window} if args.window else None
        if args.liver_seed:
            seeds["liver"] = args.liver_seed
        labels, provenance, _ = segment_semiauto(
            ct, seeds, user=user, windows=windows, smoothness_mm=args.smoothness
        )
    save_mask(labels, provenance, args.out)
    seconds = time.perf_counter() - start
    for value, name in sorted(labels.labels.items()):
        print(f"{name}: {labels.volume_ml(value):.1f} ml")
    print(f"wrote {args.out} ({provenance.method}, {seconds:.1f} s); review it before scoring:")
    print(f"  hsp segment-review {args.out} --reviewer NAME")
    return 0


def _review(args: argparse.Namespace) -> int:
    from hsp_desktop.segmentation.masks import review_mask

    provenance = review_mask(args.mask, args.reviewer, args.note)
    print(f"{args.mask}: {provenance.summary()}")
    return 0


def _train(args: argparse.Namespace) -> int:
    try:
        from models.segnet.train import train_and_export
    except ModuleNotFoundError as exc:
        from hsp_desktop.errors import InputError

        raise InputError(
            "Training the segmentation model needs PyTorch",
            expected="the train extra installed",
            found=f"no module {exc.name}",
            fix="pip install 'hsp-desktop[train]'",
            field="torch",
        ) from exc
    folder = train_and_export(
        args.cohort,
        args.out,
        steps=args.steps,
        cases=args.cases,
        seed=args.seed,
        threads=args.threads,
        log=print,
    )
    print(f"wrote {folder}")
    return 0

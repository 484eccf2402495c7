"""``hsp report --recipient ID`` (patient risk report) and ``hsp report --validation MODEL`` (validation report)."""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    """Add the ``report`` sub-command."""
    p = subparsers.add_parser(
        "report",
        help="PDF report: a recipient's latest risk (--recipient) or a model's validation (--validation)",
        description=(
            "Write the patient risk report of a recipient's latest saved prediction, or the TRIPOD+AI-structured "
            "validation report of a model bundle (with the prospective cohort's results from the registry)."
        ),
    )
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--recipient", metavar="ID", help="study id of the recipient")
    which.add_argument("--validation", metavar="MODEL", help="model bundle folder or shipped model name")
    from hsp_desktop.pipeline.cli import add_registry_arguments

    add_registry_arguments(p)
    p.add_argument("--model", default=None, help="model bundle of the prediction (default: the one it names)")
    p.add_argument("--out", type=Path, default=None, help="output PDF file or folder")
    p.add_argument("--language", choices=("en", "zh"), default=None, help="report language")
    p.add_argument("--no-registry", action="store_true", help="validation report from the bundle alone")
    p.set_defaults(handler=_report)


def resolve_model(name_or_path: str | Path) -> Path:
    """A bundle folder given as a path, or as the name of a shipped model under ``models/artifacts``."""
    path = Path(name_or_path)
    if path.is_dir():
        return path
    from hsp_desktop.pipeline.paths import artifacts_dir

    shipped = artifacts_dir() / str(name_or_path)
    return shipped if shipped.is_dir() else path


def _output(out: Path | None, default_folder: Path, name: str) -> Path:
    if out is None:
        default_folder.mkdir(parents=True, exist_ok=True)
        return default_folder / name
    if out.is_dir():
        return out / name
    return out


def _report(args: argparse.Namespace) -> int:
    from hsp_desktop.pipeline import model_info
    from hsp_desktop.reporting.build import report_folder
    from models.bundle import load_bundle

    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    if args.recipient:
        from hsp_desktop.pipeline.cli import open_and_sign_in
        from hsp_desktop.reporting.build import patient_inputs_from_registry, risk_from_stored
        from hsp_desktop.reporting.patient import render_patient_report

        registry, user = open_and_sign_in(args)
        with registry:
            if args.model:
                bundle_path = resolve_model(args.model)
            else:
                rows = registry.predictions(args.recipient)
                stored = risk_from_stored(rows[-1]) if rows else None
                bundle_path = resolve_model(stored.model_id if stored else "hsp-demo-1")
            model = load_bundle(bundle_path)
            t0 = time.perf_counter()
            inputs = patient_inputs_from_registry(registry, args.recipient, user=user, model=model)
            language = args.language or model_info.registry_setting(registry, "language", "en")
            out = _output(args.out, report_folder(registry), f"{args.recipient}_risk_{stamp}.pdf")
            path = render_patient_report(inputs, out, language=language)
            elapsed = time.perf_counter() - t0
    else:
        from hsp_desktop.reporting.build import validation_inputs
        from hsp_desktop.reporting.validation import render_validation_report

        model = load_bundle(resolve_model(args.validation))
        registry = None
        if not args.no_registry:
            from hsp_desktop.pipeline.cli import open_and_sign_in

            registry, _user = open_and_sign_in(args)
        try:
            t0 = time.perf_counter()
            inputs = validation_inputs(model, registry=registry)
            language = args.language or (
                model_info.registry_setting(registry, "language", "en") if registry is not None else "en"
            )
            folder = report_folder(registry) if registry is not None else Path.cwd()
            name, version = model_info.model_identity(model)
            out = _output(args.out, folder, f"validation_{name}_{version}_{stamp}.pdf")
            monitoring = None
            if registry is not None:
                from hsp_desktop.pipeline.paths import user_data_dir
                from hsp_desktop.validation.monitor import monitor_registry

                monitoring = monitor_registry(registry, user_data_dir(), extra_bundles=[Path(model.path)])
            path = render_validation_report(inputs, out, language=language, monitoring=monitoring)
            elapsed = time.perf_counter() - t0
        finally:
            if registry is not None:
                registry.close()
    print(f"PDF report: {path} ({elapsed:.2f} s)")
    return 0

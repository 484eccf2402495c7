"""``hsp score`` (one recipient) and ``hsp demo`` (README command 1): the scoring pipeline with a progress bar."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    """Add the ``score`` and ``demo`` sub-commands."""
    score = subparsers.add_parser(
        "score",
        help="score one recipient end to end (CT + mask -> risk, saved prediction, PDF report)",
        description="Score one recipient: QC, radiomics, locked model, prediction saved in the registry, PDF.",
    )
    score.add_argument("--recipient", required=True, metavar="ID", help="study id, e.g. HSP-0001")
    score.add_argument(
        "--ct", required=True, type=Path, metavar="PATH", help="CT: DICOM folder or NIfTI/NRRD/MHA"
    )
    score.add_argument(
        "--mask",
        required=True,
        type=Path,
        metavar="PATH",
        help="mask: label map, DICOM SEG, RTSTRUCT, Slicer .seg.nrrd, ITK-SNAP or TotalSegmentator labels "
        "(the spleen is found by segment name)",
    )
    which = score.add_mutually_exclusive_group()
    which.add_argument(
        "--series",
        metavar="UID",
        default=None,
        help="SeriesInstanceUID of the CT series to score (a folder with several CT series needs it)",
    )
    which.add_argument(
        "--series-number", type=int, metavar="N", default=None, help="or the series by its SeriesNumber"
    )
    score.add_argument(
        "--spleen-label",
        metavar="NAME|N",
        default=None,
        help="the mask's spleen segment, when its name does not say it unambiguously",
    )
    score.add_argument(
        "--override-identity",
        action="store_true",
        help="score although the CT's DICOM identity differs from the recipient (clinician/admin; needs --reason)",
    )
    score.add_argument(
        "--reason", default=None, help="reason for --override-identity (audited, on the report)"
    )
    add_registry_arguments(score)
    score.add_argument(
        "--model", type=Path, default=None, help="model bundle folder (default: shipped demo model)"
    )
    score.add_argument(
        "--out", type=Path, default=None, help="folder for the PDF (default: reports beside the DB)"
    )
    score.add_argument("--language", choices=("en", "zh"), default=None, help="report language")
    score.add_argument("--no-report", action="store_true", help="do not write the PDF")
    score.set_defaults(handler=_score)

    demo = subparsers.add_parser(
        "demo",
        help="score a demo recipient of the synthetic cohort with the shipped demo model and write its PDF",
        description=(
            "Create a fresh demo registry in the user data folder, import the synthetic cohort, score one demo "
            "recipient from its DICOM series with the shipped demo model and write the PDF report."
        ),
    )
    demo.add_argument("--out", type=Path, default=None, help="demo folder (default: <user data>/demo)")
    demo.add_argument(
        "--recipient", default=None, metavar="ID", help="which demo recipient (default: the first)"
    )
    demo.add_argument("--language", choices=("en", "zh"), default="en", help="report language")
    demo.set_defaults(handler=_demo)


def add_registry_arguments(parser: argparse.ArgumentParser) -> None:
    """``--db``/``--registry``, ``--user`` and ``--site-key-file`` as ``hsp registry`` takes them.

    The password comes from ``HSP_PASSWORD`` or a prompt.
    """
    parser.add_argument(
        "--db",
        "--registry",
        dest="db",
        type=Path,
        default=os.environ.get("HSP_REGISTRY"),
        help="registry file (env HSP_REGISTRY; default: the user data folder)",
    )
    parser.add_argument("--user", default=os.environ.get("HSP_USER"), help="user name (env HSP_USER)")
    parser.add_argument(
        "--site-key-file",
        default=os.environ.get("HSP_SITE_KEY_FILE"),
        help="site key file, kept outside the database (env HSP_SITE_KEY_FILE)",
    )


def default_registry_path() -> Path:
    """The registry in the user data folder."""
    from hsp_desktop.pipeline.paths import user_data_dir

    return user_data_dir() / "registry.sqlite"


def open_and_sign_in(args: argparse.Namespace) -> tuple[Any, Any]:
    """Open the existing registry named by ``args`` and authenticate ``args.user``."""
    import getpass

    from hsp_desktop.errors import AuthError, RegistryError
    from hsp_desktop.registry import Registry

    db = Path(args.db) if args.db else default_registry_path()
    if not db.is_file():
        raise RegistryError(
            f"No registry at {db}",
            expected="an existing registry file",
            found="no file",
            fix="pass --db PATH (or HSP_REGISTRY), or create one with `hsp registry init`",
            field="db",
        )
    key = None
    if args.site_key_file:
        from hsp_desktop.registry.crypto import load_site_key

        key = load_site_key(args.site_key_file)
    if not args.user:
        raise AuthError(
            "Sign in first: every prediction is attributed to a user",
            expected="--user NAME (or HSP_USER) and the password (HSP_PASSWORD or the prompt)",
            found="no user",
            fix="pass --user NAME",
            field="user",
        )
    password = os.environ.get("HSP_PASSWORD")
    if password is None:
        password = getpass.getpass(f"Password for {args.user}: ")
    registry = Registry.open(db, site_key=key)
    try:
        user = registry.authenticate(args.user, password)
    except BaseException:
        registry.close()
        raise
    return registry, user


def run_with_bar(gen: Any, *, quiet: bool = False) -> Any:
    """Drive a ``run_case`` generator with a tqdm bar (stage names as the description)."""
    from hsp_desktop.cli_progress import progress_bar
    from hsp_desktop.pipeline import run_to_end

    with progress_bar(
        1000, unit="", bar_format="{desc:<34} {bar} {percentage:3.0f}% {elapsed}", disable=quiet
    ) as bar:

        def update(p: Any) -> None:
            bar.set_description_str(p.stage)
            target = int(1000 * p.fraction)
            if target > bar.n:
                bar.update(target - bar.n)

        return run_to_end(gen, update)


def print_result(result: Any) -> None:
    """Print the risk, band, model and where the PDF is."""
    r = result.risk
    lo, hi = r.band_thresholds
    print(f"Recipient {result.study_id}: risk of refractory hypersplenism at 6 months {r.probability:.1%}")
    print(
        f"  95% CI {r.ci_low:.1%} - {r.ci_high:.1%}; band {r.band.upper()} (low < {lo:.0%} <= intermediate < {hi:.0%} <= high)"
    )
    top = sorted(r.contributions, key=lambda c: abs(c.contribution), reverse=True)[:3]
    if top:
        print("  main factors: " + "; ".join(f"{c.label} {round(c.contribution, 2) + 0.0:+.2f}" for c in top))
    print(f"  model {r.model_id} {r.model_version} (manifest sha256 {r.model_sha256[:16]}...)")
    src = getattr(result, "imaging_source", None) or {}
    if src.get("series_uid"):
        print(
            f"  CT series #{src.get('series_number')} '{src.get('series_description')}' uid {src['series_uid']}, "
            f"study date {src.get('study_date')}"
        )
    if src.get("spleen_segment"):
        print(
            f"  mask {src.get('mask_file')} segment '{src['spleen_segment']}' sha256 {src.get('mask_sha256')}"
        )
    identity = getattr(result, "identity", None) or {}
    if identity.get("status") == "overridden":
        print(f"  identity OVERRIDDEN by {identity.get('override_by')}: {identity.get('override_reason')}")
    print(f"  prediction #{result.prediction_id} saved; QC {'passed' if result.qc.passed else 'FAILED'}")
    if result.report_path is not None:
        print(f"PDF report: {result.report_path}")


def _score(args: argparse.Namespace) -> int:
    from hsp_desktop.errors import InputError
    from hsp_desktop.pipeline import run_case

    if args.override_identity and not (args.reason and args.reason.strip()):
        raise InputError(
            "--override-identity needs a reason",
            expected="--reason TEXT",
            found="no reason",
            fix="state why this CT belongs to the recipient (kept in the audit trail, printed on the report)",
            field="reason",
        )
    if args.reason and not args.override_identity:
        raise InputError(
            "--reason is only used with --override-identity",
            expected="--override-identity --reason TEXT",
            found="--reason alone",
            fix="add --override-identity, or drop --reason",
            field="reason",
        )
    spleen: int | str | None = args.spleen_label
    if isinstance(spleen, str) and spleen.strip().isdigit():
        spleen = int(spleen)
    registry, user = open_and_sign_in(args)
    with registry:
        gen = run_case(
            registry,
            args.recipient,
            args.ct,
            args.mask,
            user=user,
            model=args.model,
            report_dir=args.out,
            language=args.language,
            write_report=not args.no_report,
            series_uid=args.series,
            series_number=args.series_number,
            spleen_label=spleen,
            override_identity=args.reason if args.override_identity else None,
        )
        result = run_with_bar(gen)
    print_result(result)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from hsp_desktop.pipeline.demo import run_demo

    result = run_demo(args.out, recipient=args.recipient, language=args.language, progress=run_with_bar)
    print_result(result)
    return 0

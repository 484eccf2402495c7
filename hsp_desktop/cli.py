"""The ``hsp`` command line.

Each package that offers commands has a ``cli`` module with ``register(subparsers)``; this module only collects
them, parses the arguments and turns :class:`~hsp_desktop.errors.HspError` into a readable message and exit code 2.
Command modules import their heavy libraries inside the handlers, so ``hsp --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from hsp_desktop import __version__
from hsp_desktop.errors import CancelledError, HspError

#: Modules that contribute sub-commands, in the order they appear in ``hsp --help``.
COMMAND_MODULES: tuple[str, ...] = (
    "hsp_desktop.synthetic.cli",  # synth
    "hsp_desktop.radiomics.cli",  # extract
    "hsp_desktop.registry.cli",  # registry ...
    "hsp_desktop.development.cli",  # develop, validate
    "hsp_desktop.deep.cli",  # train-cnn, deep-features
    "hsp_desktop.segmentation.cli",  # segment, segment-review, train-seg
    "hsp_desktop.pipeline.cli",  # score, demo
    "hsp_desktop.reporting.cli",  # report
    "hsp_desktop.validation.cli",  # monitor, update
    "hsp_desktop.pacs.cli",  # pacs ..., export --fhir
    "hsp_desktop.federated.cli",  # federated ...
    "hsp_desktop.selftest",  # selftest
)


#: Sub-commands whose module alone is imported when they are run (batch throughput: ``hsp extract`` does not
#: load the registry, reporting or segmentation modules); every other command builds the whole parser.
FAST_COMMANDS: dict[str, str] = {"extract": "hsp_desktop.radiomics.cli"}


def build_parser(modules: Sequence[str] = COMMAND_MODULES) -> argparse.ArgumentParser:
    """Return the argument parser with the sub-commands of ``modules`` (default: all) registered."""
    parser = argparse.ArgumentParser(
        prog="hsp",
        description="HSP Desktop: refractory hypersplenism risk after liver transplantation (offline).",
    )
    parser.add_argument("--version", action="version", version=f"hsp-desktop {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            # A command module that is not part of this build yet; any other missing module is a real error.
            if exc.name != name:
                raise
            continue
        module.register(subparsers)
    return parser


def use_per_user_numba_cache() -> None:
    """Point Numba's cache at a per-user folder (the installed app's folder is read-only).

    Must run before Numba is imported; ``NUMBA_CACHE_DIR`` set by the user wins.
    """
    if "NUMBA_CACHE_DIR" not in os.environ:
        from hsp_desktop.pipeline.paths import user_data_dir

        # one folder per version: a cache compiled by an older build is never reused after an upgrade
        os.environ["NUMBA_CACHE_DIR"] = str(user_data_dir() / "numba-cache" / __version__)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``hsp`` command line and return the process exit code."""
    use_per_user_numba_cache()
    words = list(sys.argv[1:] if argv is None else argv)
    fast = FAST_COMMANDS.get(words[0]) if words else None
    parser = build_parser((fast,) if fast else COMMAND_MODULES)
    args = parser.parse_args(words)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 1
    try:
        result = args.handler(args)
    except CancelledError as exc:
        print(f"hsp: cancelled: {exc}", file=sys.stderr)
        return 130
    except HspError as exc:
        print(f"hsp {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("hsp: interrupted", file=sys.stderr)
        return 130
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())

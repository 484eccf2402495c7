"""``hsp selftest``: the installed application checks that it computes what the source tree computes.

Frozen applications have been reported to give wrong radiomics numbers, so the same checks run from the source
tree and from the installed bundle (on first start and from Help -> Self-test):

1. IBSI-1 digital phantom features (shipped, CC BY 4.0) against the IBSI reference values by the IBSI rule;
2. the shipped models' SHA-256 hashes (strict loaders);
3. a known synthetic recipient scored end to end (generator -> registry -> imaging -> radiomics -> CNN ->
   locked model) against the risk the source tree computed (``selftest_data/reference.json``, to 1e-9);
4. registry write / read / backup / verify in a temporary folder;
5. the ONNX Runtime provider in use (reported).

``hsp selftest --write-reference`` (source tree only) records check 3's expected risk.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hsp_desktop import build_id
from hsp_desktop.datadir import user_data_dir
from hsp_desktop.domain import Progress

DATA = Path(__file__).resolve().parent / "selftest_data"
REFERENCE = DATA / "reference.json"
#: Synthetic recipient of the self-test (generator seed and size; recipient picked as in ``hsp demo``).
COHORT_SEED = 424242
COHORT_N = 4
RISK_TOLERANCE = 1e-9

#: IBSI-1 digital phantom reference values (theibsi/data_sets, CC BY 4.0): PyRadiomics name -> (value, tolerance).
IBSI_PHANTOM: dict[str, tuple[float, float]] = {
    "original_shape_MeshVolume": (556.0, 4.0),
    "original_firstorder_Mean": (2.15, 0.0),
    "original_firstorder_Variance": (3.05, 0.0),
    "original_firstorder_Skewness": (1.08, 0.0),
    "original_firstorder_Maximum": (6.0, 0.0),
    "original_firstorder_Energy": (567.0, 0.0),
    "original_glcm_MaximumProbability": (0.503, 0.0),
    "original_glcm_JointEntropy": (2.4, 0.0),
    "original_glcm_Contrast": (5.32, 0.0),
    "original_glrlm_ShortRunEmphasis": (0.705, 0.0),
    "original_glszm_SmallAreaEmphasis": (0.255, 0.0),
    "original_ngtdm_Coarseness": (0.0296, 0.0),
    "original_gldm_SmallDependenceEmphasis": (0.045, 0.0),
}
PHANTOM_PARAMS: dict[str, Any] = {
    "setting": {"binWidth": 1, "label": 1},
    "imageType": {"Original": {}},
    "featureClass": {c: [] for c in ("shape", "firstorder", "glcm", "glrlm", "glszm", "ngtdm", "gldm")},
}


@dataclass(frozen=True)
class Check:
    """One self-test check."""

    name: str
    passed: bool
    detail: str


@dataclass
class SelfTestReport:
    """All checks, and what was found about the runtime."""

    checks: list[Check] = field(default_factory=list)
    provider: str = "not run"
    risk: float | None = None

    @property
    def passed(self) -> bool:
        """True when every check passed."""
        return bool(self.checks) and all(c.passed for c in self.checks)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "passed": self.passed,
            "provider": self.provider,
            "risk": self.risk,
            "checks": [c.__dict__ for c in self.checks],
        }


def ibsi_round(value: float) -> float:
    """Round to 3 significant digits (the IBSI comparison rule)."""
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, 2 - math.floor(math.log10(abs(value))))


def check_ibsi_phantom() -> Check:
    """Digital-phantom features match IBSI by the IBSI rule."""
    from hsp_desktop.importers import read_ct, read_mask
    from hsp_desktop.radiomics import extract_features

    ct = read_ct(DATA / "ibsi_phantom.nii.gz")
    mask = read_mask(DATA / "ibsi_phantom_mask.nii.gz", reference=ct)
    values = extract_features(ct, mask, PHANTOM_PARAMS, qc=False).values
    misses = []
    for name, (ref, tol) in IBSI_PHANTOM.items():
        got = values.get(name)
        if got is None or abs(ibsi_round(float(got)) - ref) > tol + 1e-12:
            misses.append(f"{name}={got} (IBSI {ref}±{tol})")
    detail = f"{len(IBSI_PHANTOM) - len(misses)}/{len(IBSI_PHANTOM)} IBSI digital-phantom features match"
    return Check("IBSI digital phantom", not misses, detail + ("; " + "; ".join(misses) if misses else ""))


def check_model_hashes() -> tuple[Check, str]:
    """Every shipped bundle loads with its hashes verified; returns the check and the ONNX provider."""
    from hsp_desktop.modelstore import SHIPPED
    from models.bundle import load_bundle

    verified, problems, provider = [], [], "no CNN shipped"
    for folder in (
        sorted(p for p in SHIPPED.iterdir() if (p / "manifest.json").is_file()) if SHIPPED.is_dir() else []
    ):
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        try:
            if "features" in manifest:
                load_bundle(folder)
            elif str(manifest.get("format", "")).startswith("hsp-seg-model/"):
                from hsp_desktop.segmentation.onnx_model import load_seg_model

                load_seg_model(folder)  # manifest read and the ONNX file's SHA-256 checked
            else:
                from models.deep import DeepModel

                deep = DeepModel(folder)
                deep.verify()
                deep.session()
                provider = str(deep.provider)
            verified.append(folder.name)
        except Exception as exc:  # noqa: BLE001 - a self-test reports every fault as a failed check
            problems.append(f"{folder.name}: {exc}")
    ok = bool(verified) and not problems
    detail = f"verified {', '.join(verified) or 'nothing'}" + (
        f"; REFUSED {'; '.join(problems)}" if problems else ""
    )
    return Check("model hashes", ok, detail), provider


def score_known_recipient(workdir: Path) -> tuple[float, Any]:
    """Generate the self-test cohort, import it into a temporary registry and score its recipient."""
    from hsp_desktop.pipeline.demo import case_paths, pick_recipient
    from hsp_desktop.pipeline.run import run_case, run_to_end
    from hsp_desktop.registry import Registry
    from hsp_desktop.synthetic import generate_cohort

    cohort = generate_cohort(workdir / "cohort", n=COHORT_N, prospective=0, seed=COHORT_SEED, workers=1)
    registry = Registry.open(workdir / "selftest.sqlite")
    user = registry.add_user("selftest", "selftest-only-password", "admin", by=None)
    registry.import_csv(Path(cohort) / "clinical.csv", by=user)
    sid = pick_recipient(registry, Path(cohort))
    ct, mask = case_paths(Path(cohort), sid)
    result = run_to_end(run_case(registry, sid, ct, mask, user=user, write_report=False))
    return float(result.risk.probability), registry


def check_registry(registry: Any, workdir: Path) -> Check:
    """Write/read/backup/verify on the temporary registry."""
    from hsp_desktop.registry import Registry

    n = registry.count()
    backup = registry.backup(workdir / "backups")
    registry.close()
    copy = Registry.open(backup, read_only=True)
    try:
        same = copy.count() == n
        report = copy.verify()
        ok = same and bool(getattr(report, "ok", False))
        return Check("registry write/read/backup", ok, f"{n} recipients; backup {backup.name} verified={ok}")
    finally:
        copy.close()


def run_selftest(*, write_reference: bool = False) -> Generator[Progress, None, SelfTestReport]:
    """Run every check, yielding progress; returns the report (``write_reference`` records the risk)."""
    report = SelfTestReport()
    yield Progress("IBSI phantom", 0.0, "digital phantom features")
    report.checks.append(_guard("IBSI digital phantom", check_ibsi_phantom))
    yield Progress("model hashes", 0.2, "shipped bundles")
    try:
        check, report.provider = check_model_hashes()
    except Exception as exc:  # noqa: BLE001 - a self-test reports every fault as a failed check
        check = Check("model hashes", False, f"{type(exc).__name__}: {exc}")
    report.checks.append(check)
    yield Progress("known recipient", 0.4, "synthetic recipient scored end to end")
    with tempfile.TemporaryDirectory(prefix="hsp-selftest-") as tmp:
        workdir = Path(tmp)
        registry = None
        try:
            risk, registry = score_known_recipient(workdir)
            report.risk = risk
            if write_reference:
                REFERENCE.write_text(json.dumps({"recipient_risk": risk}, indent=2) + "\n", encoding="utf-8")
            expected = json.loads(REFERENCE.read_text(encoding="utf-8"))["recipient_risk"]
            ok = abs(risk - float(expected)) <= RISK_TOLERANCE
            report.checks.append(
                Check(
                    "known recipient risk",
                    ok,
                    f"risk {risk:.12f}, expected {float(expected):.12f} (tol 1e-9)",
                )
            )
        except Exception as exc:  # noqa: BLE001 - a self-test reports every fault as a failed check
            report.checks.append(Check("known recipient risk", False, f"{type(exc).__name__}: {exc}"))
        yield Progress("registry", 0.8, "write, read, backup, verify")
        if registry is not None:
            report.checks.append(
                _guard("registry write/read/backup", lambda: check_registry(registry, workdir))
            )
        else:
            report.checks.append(Check("registry write/read/backup", False, "not run: scoring failed"))
    yield Progress("done", 1.0, "PASSED" if report.passed else "FAILED")
    return report


def _guard(name: str, func: Callable[[], Check]) -> Check:
    try:
        return func()
    except Exception as exc:  # noqa: BLE001 - a self-test reports every fault as a failed check
        return Check(name, False, f"{type(exc).__name__}: {exc}")


def selftest_job() -> Callable[[Callable[[], bool]], Generator[Progress, None, SelfTestReport]]:
    """The self-test as a GUI worker job."""

    def job(cancelled: Callable[[], bool]) -> Generator[Progress, None, SelfTestReport]:
        return (yield from run_selftest())

    return job


def register(subparsers: Any) -> None:
    """Add ``hsp selftest``."""
    p = subparsers.add_parser(
        "selftest", help="check this installation computes what the source tree computes"
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--write-reference", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(handler=_cli)


def _cli(args: argparse.Namespace) -> int:
    gen = run_selftest(write_reference=args.write_reference)
    try:
        while True:
            step = next(gen)
            if not args.json:
                print(f"[{step.fraction:4.0%}] {step.stage}: {step.message}", flush=True)
    except StopIteration as stop:
        report: SelfTestReport = stop.value
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        for c in report.checks:
            print(f"{'PASS' if c.passed else 'FAIL'}  {c.name}: {c.detail}")
        print(f"ONNX Runtime provider: {report.provider}")
        print("Self-test PASSED" if report.passed else "Self-test FAILED")
    return 0 if report.passed else 1


# --------------------------------------------------------------------------------- the record of this build's run
def is_frozen() -> bool:
    """Return True when running from the PyInstaller bundle rather than the source tree."""
    return bool(getattr(sys, "frozen", False))


def selftest_marker() -> Path:
    """Return the file that records this build's self-test on this account (under the per-user data folder)."""
    safe = "".join(c if c.isalnum() or c in "-._" else "_" for c in build_id())
    return user_data_dir() / "selftest" / f"{safe}.json"


def first_start_selftest_due(*, frozen_only: bool = True) -> bool:
    """Return True when this build has not yet recorded a passed self-test on this account.

    Parameters
    ----------
    frozen_only : bool, default True
        In a source checkout the self-test is never due on start (developers run ``hsp selftest``).

    Returns
    -------
    bool
        True when the GUI should run :func:`first_start_selftest_job` now.
    """
    if frozen_only and not is_frozen():
        return False
    marker = selftest_marker()
    if not marker.is_file():
        return True
    try:
        return not bool(json.loads(marker.read_text(encoding="utf-8")).get("passed"))
    except (OSError, ValueError):
        return True


def record_selftest(report: Any, *, via: str = "gui") -> Path:
    """Record a self-test result for this build (``report`` is a SelfTestReport or a plain dict).

    Parameters
    ----------
    report : SelfTestReport or dict
        The finished self-test; a dict needs at least ``"passed"``.
    via : str, default "gui"
        Where it ran (``"gui"`` or ``"cli"``), kept in the record.

    Returns
    -------
    pathlib.Path
        The marker file written (atomically: a temporary file renamed into place).
    """
    data = dict(report) if isinstance(report, dict) else dict(report.as_dict())
    data.update(
        {"build": build_id(), "via": via, "recorded_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    )
    marker = selftest_marker()
    marker.parent.mkdir(parents=True, exist_ok=True)
    tmp = marker.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, marker)
    return marker


def first_start_selftest_job() -> Callable[[Callable[[], bool]], Generator[Progress, None, Any]]:
    """Return the self-test as a GUI worker job that also records its result for this build.

    Returns
    -------
    callable
        ``job(cancelled) -> generator of Progress`` returning the SelfTestReport, the shape
        :class:`hsp_desktop.gui.workers.Worker` runs.
    """

    def job(cancelled: Callable[[], bool]) -> Generator[Progress, None, Any]:
        report = yield from run_selftest()
        record_selftest(report, via="gui")
        return report

    return job

"""Write a complete synthetic cohort folder (CONTRACTS section C), atomically and deterministically.

Layout::

    DIR/manifest.json        generator version, seed, arguments, counts, sha256 of every file written
    DIR/clinical.csv         one row per recipient, dictionary units
    DIR/followup.csv         dated follow-up rows
    DIR/ground_truth.csv     latent factors, true predictor, oracle probability, derived label, injected error
    DIR/images/<study_id>/ct.nii.gz, mask.nii.gz, dicom/CT_00001.dcm ...

Everything is written into a temporary sibling folder that is renamed to ``DIR`` only when complete, so a failed
or cancelled run leaves nothing half-written.  The same arguments give byte-identical files.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import hashlib
import json
import multiprocessing
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hsp_desktop import __version__
from hsp_desktop.clinical.outcome import OutcomeDefinition
from hsp_desktop.domain import Progress
from hsp_desktop.errors import InputError
from hsp_desktop.synthetic.clinical import CLINICAL_COLUMNS, REFERENCE_DATE, simulate_preop
from hsp_desktop.synthetic.errors_injection import IMAGE_ERRORS, apply_clinical_errors, choose_errors
from hsp_desktop.synthetic.followup import FOLLOWUP_COLUMNS, simulate_followup

#: Version of the generator's output; bump when the same seed would give different files.
GENERATOR_VERSION = "synth-1"
GROUND_TRUTH_COLUMNS = (
    "study_id",
    "ph",
    "hepatic",
    "texture",
    "site_offset_hu",
    "lp_preop",
    "lp_true",
    "p_oracle",
    "y",
    "injected_error",
    "site_noise_hu",
    "y_latent",
    "outcome_status",
    "outcome_flags",
    "scenario",
    "cohort",
    "site",
    "mask_spleen_volume_ml",
)
ProgressCallback = Callable[[Progress], None]


@dataclasses.dataclass(frozen=True)
class ProspectiveShift:
    """A known shift of the prospective recipients, for testing the model monitoring.

    Attributes
    ----------
    intercept : float
        Log-odds added to their outcome model (miscalibration in the large).
    scanner_kernel : str
        A new scanner's reconstruction kernel written to their DICOM series ("" = the development scanner).
    scanner_manufacturer : str
        The new scanner's manufacturer.
    offset_hu : float
        HU offset of the new scanner (only with a kernel).
    """

    intercept: float = 0.0
    scanner_kernel: str = ""
    scanner_manufacturer: str = "Synthetic NewScan"
    offset_hu: float = 25.0


def _case_seed(seed: int, index: int) -> int:
    return int(np.random.SeedSequence([int(seed), int(index), 31]).generate_state(1)[0])


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _render_one(task: dict[str, Any]) -> dict[str, Any]:
    """Render and write one recipient's CT, mask and DICOM series (runs in a worker process)."""
    from hsp_desktop.importers import write_image
    from hsp_desktop.synthetic.dicom import write_dicom_series
    from hsp_desktop.synthetic.images import CaseAnatomy, render_case

    folder = Path(task["folder"])
    folder.mkdir(parents=True, exist_ok=True)
    anatomy = CaseAnatomy(**task["anatomy"])
    ct, mask = render_case(anatomy)
    if task.get("scanner"):
        ct = dataclasses.replace(ct, meta={**ct.meta, **task["scanner"]})
    spleen_ml = mask.volume_ml(1)
    write_image(ct, folder / "ct.nii.gz")
    written_mask = mask
    if task["error"] == "mask_wrong_grid":
        ox, oy, oz = mask.origin
        written_mask = dataclasses.replace(mask, origin=(ox, oy, oz + 2.0 * mask.spacing[2]))
    write_image(written_mask, folder / "mask.nii.gz")
    files = write_dicom_series(
        ct, folder / "dicom", patient_id=task["study_id"], study_date=task["ct_date"], seed=task["seed"]
    )
    if task["error"] == "missing_slices":
        files[len(files) // 2].unlink()
    root = Path(task["root"])
    hashes = {p.relative_to(root).as_posix(): _sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}
    return {"study_id": task["study_id"], "spleen_ml": spleen_ml, "hashes": hashes}


def _check_args(out: Path, n: int, prospective: int, seed: int, sites: int, workers: int | None) -> None:
    for name, value, low in (
        ("n", n, 1),
        ("prospective", prospective, 0),
        ("seed", seed, 0),
        ("sites", sites, 1),
    ):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            raise InputError(
                f"invalid {name} for the synthetic cohort",
                expected=f"a whole number >= {low}",
                found=repr(value),
                fix=f"pass {name} >= {low}",
                field=name,
            )
    if sites > n + prospective:
        raise InputError(
            "more sites than recipients",
            expected=f"sites <= {n + prospective}",
            found=str(sites),
            fix="lower --sites or raise --n",
            field="sites",
        )
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise InputError(
            "invalid number of worker processes",
            expected="a whole number >= 1",
            found=repr(workers),
            fix="pass workers >= 1 (or leave it unset)",
            field="workers",
        )


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, lineterminator="\n", float_format="%.10g", encoding="utf-8")


def generate_cohort(
    out: Path | str,
    n: int,
    prospective: int,
    seed: int,
    sites: int = 1,
    full_res: bool = False,
    inject_errors: bool = False,
    images: bool = True,
    progress: ProgressCallback | None = None,
    *,
    workers: int | None = None,
    overwrite: bool = False,
    shift: ProspectiveShift | None = None,
) -> Path:
    """Generate a synthetic cohort folder.

    Parameters
    ----------
    out : Path or str
        Target folder; must not exist or be empty (or hold a previous cohort with ``overwrite=True``).
    n : int
        Development-cohort recipients.
    prospective : int
        Prospective (validation) recipients, transplanted later.
    seed : int
        Random seed: the same arguments give byte-identical files.
    sites : int, default 1
        Centres (site case-mix, prevalence and scanner effects when > 1).
    full_res : bool, default False
        512 x 512 CT at 0.75 mm instead of the small default grid.
    inject_errors : bool, default False
        Inject a labelled ~8 % of realistic mistakes (``ground_truth.csv`` column ``injected_error``).
    images : bool, default True
        Write CT, mask and DICOM series per recipient.
    progress : callable, optional
        Receives :class:`~hsp_desktop.domain.Progress` reports; may raise
        :class:`~hsp_desktop.errors.CancelledError` to stop (nothing is kept).
    workers : int, optional
        Worker processes for the images (default: up to 4, at most the CPU count).
    overwrite : bool, default False
        Replace an existing cohort folder (one with a ``manifest.json``).
    shift : ProspectiveShift, optional
        A known shift of the prospective recipients (outcome intercept, new scanner) for monitoring tests.

    Returns
    -------
    Path
        The cohort folder.
    """
    out = Path(out).expanduser().absolute()
    _check_args(out, n, prospective, seed, sites, workers)
    if out.exists():
        if not out.is_dir():
            raise InputError(
                "the cohort output path is a file",
                expected="a new or empty folder",
                found=str(out),
                fix="choose another --out folder",
                field="out",
            )
        if any(out.iterdir()) and not (overwrite and (out / "manifest.json").is_file()):
            raise InputError(
                "the cohort output folder is not empty",
                expected="a new or empty folder",
                found=str(out),
                fix="choose a new --out folder, or pass --force to replace a previous cohort",
                field="out",
            )
    out.parent.mkdir(parents=True, exist_ok=True)

    def report(stage: str, fraction: float, message: str = "") -> None:
        if progress is not None:
            progress(Progress(stage, float(min(max(fraction, 0.0), 1.0)), message))

    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        _generate_into(
            tmp, n, prospective, seed, sites, full_res, inject_errors, images, report, workers, shift
        )
        _swap_in(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    report("done", 1.0, f"cohort written to {out}")
    return out


def _swap_in(new: Path, out: Path) -> None:
    """Move the finished folder ``new`` to ``out``; a previous ``out`` is kept until the move has succeeded."""
    old: Path | None = None
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        os.replace(out, old)
    try:
        os.replace(new, out)
    except BaseException:
        if old is not None:
            os.replace(old, out)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _generate_into(
    root: Path,
    n: int,
    prospective: int,
    seed: int,
    sites: int,
    full_res: bool,
    inject_errors: bool,
    images: bool,
    report: Callable[[str, float, str], None],
    workers: int | None,
    shift: ProspectiveShift | None = None,
) -> None:
    report("clinical", 0.0, "simulating pre-operative records")
    shift = shift or ProspectiveShift()
    preop = simulate_preop(
        int(n),
        int(seed),
        int(sites),
        prospective=int(prospective),
        prospective_shift=shift.intercept,
        prospective_offset_hu=shift.offset_hu if shift.scanner_kernel else 0.0,
    )
    report("follow-up", 0.05, "simulating follow-up and deriving outcomes")
    followup, outcomes = simulate_followup(preop, int(seed))
    errors = choose_errors(preop, int(seed), images=images) if inject_errors else {}

    spleen_ml: dict[str, float] = {}
    hashes: dict[str, str] = {}
    if images:
        latent = preop[["_ph", "_hepatic", "_texture", "_site_offset_hu", "_site_noise_hu"]].to_numpy(
            dtype=float
        )
        sizes = preop[["spleen_volume_ml", "spleen_length_cm", "liver_volume_ml"]].to_numpy(dtype=float)
        tasks = []
        for i, sid in enumerate(preop["study_id"].astype(str)):
            error = errors.get(sid, "")
            tasks.append(
                {
                    "index": i,
                    "study_id": sid,
                    "anatomy": {
                        "spleen_volume_ml": sizes[i, 0],
                        "spleen_length_cm": sizes[i, 1],
                        "liver_volume_ml": sizes[i, 2],
                        "ph": latent[i, 0],
                        "hepatic": latent[i, 1],
                        "texture": latent[i, 2],
                        "scanner_offset_hu": latent[i, 3],
                        "scanner_noise_hu": latent[i, 4],
                        "seed": _case_seed(seed, i),
                        "full_res": bool(full_res),
                    },
                    "folder": str(root / "images" / sid),
                    "root": str(root),
                    "ct_date": str(preop["ct_date"].iat[i]),
                    "seed": int(seed),
                    "error": error if error in IMAGE_ERRORS else "",
                    "scanner": (
                        {"manufacturer": shift.scanner_manufacturer, "kernel": shift.scanner_kernel}
                        if shift.scanner_kernel and preop["cohort"].iat[i] == "validation"
                        else None
                    ),
                }
            )
        results = _run_tasks(tasks, workers, report)
        for r in results:
            spleen_ml[r["study_id"]] = r["spleen_ml"]
            hashes.update(r["hashes"])

    report("writing", 0.95, "writing tables and manifest")
    clinical = preop[list(CLINICAL_COLUMNS)]
    if errors:
        clinical = apply_clinical_errors(clinical, errors)
    _write_csv(clinical, root / "clinical.csv")
    _write_csv(followup[list(FOLLOWUP_COLUMNS)], root / "followup.csv")
    truth = pd.DataFrame(
        {
            "study_id": preop["study_id"],
            "ph": preop["_ph"].round(6),
            "hepatic": preop["_hepatic"].round(6),
            "texture": preop["_texture"].round(6),
            "site_offset_hu": preop["_site_offset_hu"].round(4),
            "lp_preop": preop["_lp_preop"].round(6),
            "lp_true": preop["_lp_true"].round(6),
            "p_oracle": preop["_p_oracle"].round(6),
            "y": outcomes["y"].to_numpy(),
            "injected_error": [errors.get(s, "") for s in preop["study_id"]],
            "site_noise_hu": preop["_site_noise_hu"].round(4),
            "y_latent": preop["_y"],
            "outcome_status": outcomes["outcome_status"].to_numpy(),
            "outcome_flags": outcomes["outcome_flags"].to_numpy(),
            "scenario": outcomes["scenario"].to_numpy(),
            "cohort": preop["cohort"],
            "site": preop["site"],
            "mask_spleen_volume_ml": [
                round(spleen_ml[s], 3) if s in spleen_ml else np.nan for s in preop["study_id"]
            ],
        },
        columns=list(GROUND_TRUTH_COLUMNS),
    )
    truth["y"] = truth["y"].astype("Int64")
    _write_csv(truth, root / "ground_truth.csv")
    for name in ("clinical.csv", "followup.csv", "ground_truth.csv"):
        hashes[name] = _sha256(root / name)

    status = outcomes["outcome_status"]
    manifest = {
        "generator": "hsp-desktop synthetic cohort",
        "generator_version": GENERATOR_VERSION,
        "package_version": __version__,
        "seed": int(seed),
        "arguments": {
            "n": int(n),
            "prospective": int(prospective),
            "seed": int(seed),
            "sites": int(sites),
            "full_res": bool(full_res),
            "inject_errors": bool(inject_errors),
            "images": bool(images),
            **({"prospective_shift": dataclasses.asdict(shift)} if shift != ProspectiveShift() else {}),
        },
        "n": int(n),
        "prospective": int(prospective),
        "reference_date": REFERENCE_DATE.isoformat(),
        "outcome_definition": OutcomeDefinition().definition_id,
        "counts": {
            "recipients": len(preop),
            "development": int((preop["cohort"] == "development").sum()),
            "validation": int((preop["cohort"] == "validation").sum()),
            "events": int((status == "1").sum()),
            "non_events": int((status == "0").sum()),
            "pending": int((status == "pending").sum()),
            "competing": int((status == "competing").sum()),
            "injected_errors": len(errors),
            "followup_rows": len(followup),
        },
        "files": dict(sorted(hashes.items())),
    }
    (root / "manifest.json").write_text(
        json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )


def _run_tasks(
    tasks: list[dict[str, Any]], workers: int | None, report: Callable[[str, float, str], None]
) -> list[dict[str, Any]]:
    total = len(tasks)
    if workers is None:
        workers = max(1, min(os.cpu_count() or 1, 4))
    workers = min(workers, total)
    results: list[dict[str, Any]] = []

    def done(k: int) -> None:
        report("images", 0.05 + 0.9 * k / total, f"CT {k}/{total}")

    if workers <= 1:
        for t in tasks:
            results.append(_render_one(t))
            done(len(results))
        return results
    # fork is fast and needs no importable __main__; it is only safe while this process runs a single thread
    # (the GUI calls from a worker thread and gets spawn).
    method = (
        "fork"
        if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1
        else "spawn"
    )
    ctx = multiprocessing.get_context(method)
    pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
    try:
        futures = [pool.submit(_render_one, t) for t in tasks]
        for fut in cf.as_completed(futures):
            results.append(fut.result())
            done(len(results))
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    order = {t["study_id"]: t["index"] for t in tasks}
    return sorted(results, key=lambda r: order[r["study_id"]])


__all__ = ["GENERATOR_VERSION", "generate_cohort"]

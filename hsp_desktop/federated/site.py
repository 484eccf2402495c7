"""A site's side of a federation: its data, its approvals, its outbox log, and the messages it answers.

The site folder (``hsp federated site init``) holds::

    ca.crt, node.key, node.pub   from the coordinator (trust root and this site's node key)
    approvals.json               plans this site approved: plan hash -> who, when, the plan
    outbox.jsonl                 every message this site sent: time, run, round, type, bytes, array shapes,
                                 plan hash, hash chain (each line hashes the previous one)

A :class:`SiteWorker` refuses to compute anything for a plan whose hash is not in ``approvals.json``, whose
model version or features it cannot serve, or whose app hash differs from the app actually running.  It only
ever returns parameter-shaped arrays and aggregated histograms divided by its own ``n``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hsp_desktop.errors import FederatedError
from hsp_desktop.federated import core
from hsp_desktop.federated.core import FloatArray, Plan

APPROVALS = "approvals.json"
OUTBOX = "outbox.jsonl"
REGISTRY_SUFFIXES = (".db", ".sqlite", ".sqlite3")


# ------------------------------------------------------------------------------------------------- data
@dataclass
class SiteData:
    """A site's model inputs: raw values per column (dictionary units) and the derived outcome."""

    site: str
    values: dict[str, FloatArray]
    y: FloatArray
    source: str

    @property
    def n(self) -> int:
        """Recipients with a derivable outcome."""
        return int(self.y.shape[0])


def load_site_data(path: Path | str, site: str) -> SiteData:
    """Load a site's recipients with a derivable outcome through the application's own code.

    Parameters
    ----------
    path : Path or str
        A cohort folder (``clinical.csv`` + ``followup.csv``; rows of other sites are ignored) or a registry
        database file (``*.db`` / ``*.sqlite``).
    site : str
        This site's name (the ``site`` column / registry field).

    Returns
    -------
    SiteData
        Raw predictor values and outcomes (pending and competing recipients left out, never counted as 0).
    """
    path = Path(path)
    if path.is_dir():
        return _from_cohort(path, site)
    if path.is_file() and path.suffix in REGISTRY_SUFFIXES:
        return _from_registry(path, site)
    raise FederatedError(
        "The site's data path is neither a cohort folder nor a registry database",
        expected="a folder with clinical.csv and followup.csv, or a registry .db file",
        found=str(path),
        fix="pass data-path in the SuperNode's --node-config",
        field="data-path",
    )


def _from_cohort(folder: Path, site: str) -> SiteData:
    import pandas as pd

    from hsp_desktop.development.cohort import derive_outcomes

    clinical, labels, _excluded, _summary = derive_outcomes(folder)
    if "site" in clinical.columns:
        clinical = clinical[clinical["site"].astype(str) == site]
    ids = [s for s in clinical.index if s in labels]
    if not ids:
        raise FederatedError(
            f"No recipient of {site} has a derivable outcome in {folder}",
            expected=f"rows with site == {site!r} and a 6-month outcome",
            found=f"{len(clinical)} rows for this site, none with an outcome",
            fix="check the site name in --node-config and the follow-up data",
            field="site",
        )
    table = clinical.loc[ids]
    rad = folder / "radscore.csv"
    if rad.is_file() and "rad_score" not in table.columns:
        scores = pd.read_csv(rad, dtype={"study_id": str}).set_index("study_id")["rad_score"]
        table = table.assign(rad_score=scores.reindex(table.index).to_numpy())
    values = {
        c: pd.to_numeric(table[c], errors="coerce").to_numpy(dtype=np.float64)
        for c in table.columns
        if c not in ("study_id", "site")
    }
    y = np.array([labels[s] for s in ids], dtype=np.float64)
    return SiteData(site=site, values=values, y=y, source=f"cohort {folder}")


def _from_registry(db: Path, site: str) -> SiteData:
    from hsp_desktop.registry import Registry

    rows: list[dict[str, Any]] = []
    ys: list[float] = []
    with Registry.open(db) as reg:
        for item in reg.worklist(status="outcome", limit=None):
            sid = item["study_id"]
            status = str(reg.outcome(sid).get("status"))
            if status not in ("0", "1"):
                continue
            rec = reg.get_recipient(sid)
            if rec.get("site") not in (None, "", site):
                continue
            rows.append(rec)
            ys.append(float(status))
    if not rows:
        raise FederatedError(
            f"The registry {db.name} has no recipient with a derived outcome",
            expected="recipients whose 6-month outcome is 0 or 1",
            found="none",
            fix="enter follow-up visits until outcomes are derived",
            field="data-path",
        )
    keys = {k for r in rows for k, v in r.items() if isinstance(v, int | float) and not isinstance(v, bool)}
    values = {
        k: np.array([np.nan if r.get(k) is None else float(r[k]) for r in rows], dtype=np.float64)
        for k in keys
    }
    return SiteData(site=site, values=values, y=np.array(ys), source=f"registry {db}")


# --------------------------------------------------------------------------------------------- approvals
def approvals(site_dir: Path) -> dict[str, Any]:
    """Plans this site approved (plan hash -> record)."""
    path = Path(site_dir) / APPROVALS
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise FederatedError(
            "The site's approvals file is damaged", found=str(exc), fix=f"delete {path} and approve again"
        ) from exc
    return dict(data)


def approve_plan(site_dir: Path, plan: Plan, *, by: str) -> dict[str, Any]:
    """Record this site's approval of a plan (atomic write).

    Parameters
    ----------
    site_dir : Path
        The site folder.
    plan : Plan
        The plan shown to the site's user.
    by : str
        Who approved it.

    Returns
    -------
    dict
        The approval record.
    """
    site_dir = Path(site_dir)
    data = approvals(site_dir)
    record = {"by": by, "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "plan": plan.to_dict()}
    data[plan.sha256] = record
    site_dir.mkdir(parents=True, exist_ok=True)
    tmp = site_dir / (APPROVALS + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(tmp, site_dir / APPROVALS)
    return record


def revoke_plan(site_dir: Path, plan_sha256: str) -> None:
    """Withdraw an approval (later messages under that plan are refused)."""
    site_dir = Path(site_dir)
    data = approvals(site_dir)
    data.pop(plan_sha256, None)
    tmp = site_dir / (APPROVALS + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(tmp, site_dir / APPROVALS)


# ------------------------------------------------------------------------------------------------ outbox
def outbox(site_dir: Path) -> list[dict[str, Any]]:
    """Every message this site logged as sent (oldest first)."""
    path = Path(site_dir) / OUTBOX
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def verify_outbox(site_dir: Path) -> bool:
    """True when the outbox hash chain is intact (no line edited, removed or reordered)."""
    prev = ""
    for entry in outbox(site_dir):
        body = {k: v for k, v in entry.items() if k != "hash"}
        if entry.get("prev") != prev:
            return False
        digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
        if digest != entry.get("hash"):
            return False
        prev = digest
    return True


def registry_of(data_path: Path | str) -> Path | None:
    """The site's registry database when its data come from one (else None: a cohort folder)."""
    path = Path(str(data_path).removeprefix("registry "))
    return path if path.suffix in REGISTRY_SUFFIXES and path.is_file() else None


def log_message(site_dir: Path, entry: Mapping[str, Any], *, registry: Path | None = None) -> dict[str, Any]:
    """Append one outgoing message to the site's hash-chained outbox log (and the registry's audit trail).

    Parameters
    ----------
    site_dir : Path
        The site folder.
    entry : mapping
        ``type``, ``bytes``, ``arrays`` (shapes) and context (run, round, plan hash).
    registry : Path, optional
        The site's registry: the message's type and size are also recorded there (audited, immutable).

    Returns
    -------
    dict
        The logged line.
    """
    site_dir = Path(site_dir)
    site_dir.mkdir(parents=True, exist_ok=True)
    path = site_dir / OUTBOX
    previous = outbox(site_dir)
    line = {
        "seq": len(previous) + 1,
        "ts": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
        **dict(entry),
        "prev": previous[-1]["hash"] if previous else "",
    }
    line["hash"] = hashlib.sha256(json.dumps(line, sort_keys=True).encode()).hexdigest()
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(line, sort_keys=True) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    if registry is not None:
        from hsp_desktop.registry import Registry

        with Registry.open(registry) as reg:
            reg.log_federated_message(line)
    return line


# ------------------------------------------------------------------------------------------------ worker
@dataclass
class SiteWorker:
    """Answers the coordinator's messages for one site.

    Parameters
    ----------
    data : SiteData
        This site's recipients.
    site_dir : Path
        Site folder with ``approvals.json`` and ``outbox.jsonl``.
    app_sha256 : str or None
        Hash of the app actually running here (checked against the plan); None skips the check (in-process).
    """

    data: SiteData
    site_dir: Path
    app_sha256: str | None = None
    _plan: Plan | None = field(default=None, init=False)
    _x: FloatArray | None = field(default=None, init=False)

    # ---- checks
    def check_plan(self, plan: Plan) -> None:
        """Raise :class:`FederatedError` unless this site can and may run ``plan``."""
        if plan.model_version != core.MODEL_VERSION:
            raise FederatedError(
                f"{self.data.site} cannot run model version {plan.model_version}",
                expected=core.MODEL_VERSION,
                found=plan.model_version,
                fix="update HSP Desktop at the site or the coordinator so both run the same version",
                field="model_version",
            )
        missing = [f.name for f in plan.features if f.name not in self.data.values]
        if missing:
            raise FederatedError(
                f"{self.data.site} does not hold every feature of the plan",
                expected=", ".join(f.name for f in plan.features),
                found=f"missing {', '.join(missing)}",
                fix="agree on a feature set every site holds",
                field="features",
            )
        if self.data.site not in plan.sites:
            raise FederatedError(
                f"{self.data.site} is not a site of this plan",
                expected=", ".join(plan.sites),
                found=self.data.site,
                fix="check the site name in --node-config",
                field="site",
            )
        if self.app_sha256 is not None and plan.app_sha256 != self.app_sha256:
            raise FederatedError(
                "The app the coordinator sent differs from the app named in the plan",
                expected=plan.app_sha256[:16],
                found=self.app_sha256[:16],
                fix="refuse the run and ask the coordinator which app it submitted",
                field="app_sha256",
            )
        if plan.sha256 not in approvals(self.site_dir):
            raise FederatedError(
                f"{self.data.site} has not approved this plan",
                expected="an approval of plan " + plan.sha256[:16],
                found="no approval",
                fix="review the plan on the Federation screen or with `hsp federated site approve`",
                field="plan",
            )

    def _send(
        self, kind: str, arrays: list[FloatArray], context: Mapping[str, Any]
    ) -> tuple[list[FloatArray], int]:
        log_message(
            self.site_dir,
            {
                "type": kind,
                "bytes": int(sum(a.nbytes for a in arrays)),
                "arrays": [list(a.shape) for a in arrays],
                "weight": self.data.n,
                **dict(context),
            },
            registry=registry_of(self.data.source),
        )
        return arrays, self.data.n

    # ---- messages
    def handshake(self, plan: Plan, context: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Say whether this site accepts ``plan`` (and why not); logged as sent."""
        try:
            self.check_plan(plan)
            reply = {"site": self.data.site, "accepted": True, "reason": "", "n": self.data.n}
            self._plan = plan
        except FederatedError as exc:
            reply = {"site": self.data.site, "accepted": False, "reason": str(exc), "n": 0}
        reply["plan_sha256"] = plan.sha256
        log_message(
            self.site_dir,
            {
                "type": "handshake",
                "bytes": len(json.dumps(reply)),
                "arrays": [],
                **dict(context or {}),
                **reply,
            },
            registry=registry_of(self.data.source),
        )
        return reply

    def _require(self, plan: Plan) -> Plan:
        self.check_plan(plan)  # every message re-checks: an approval can be withdrawn mid-run
        return plan

    def moments(self, plan: Plan, context: Mapping[str, Any]) -> tuple[list[FloatArray], int]:
        """Per-feature count, sum and sum of squares divided by ``n`` (reference-scaled values)."""
        plan = self._require(plan)
        z = core.reference_scaled(self.data.values, plan.features, self.data.n)
        return self._send("moments", [core.site_moments(z) / self.data.n], context)

    def _design(self, plan: Plan, mean: FloatArray, sd: FloatArray) -> FloatArray:
        z = core.reference_scaled(self.data.values, plan.features, self.data.n)
        return core.standardise(z, mean, sd)

    def train(
        self,
        plan: Plan,
        params: FloatArray,
        scaler: FloatArray,
        site_n: Mapping[str, int],
        context: Mapping[str, Any],
    ) -> tuple[list[FloatArray], int]:
        """One training round for the global model and every leave-one-site-out model.

        Parameters
        ----------
        plan : Plan
            The approved plan.
        params : ndarray of shape (K + 1, p + 1)
            Current parameters of every model.
        scaler : ndarray of shape (2, p)
            Pooled mean and SD.
        site_n : mapping
            Site -> n of every accepting site (public: it is the weight every message carries).
        context : mapping
            Run id and round for the outbox log.

        Returns
        -------
        (list of ndarray, int)
            ``[(K + 1, p + 1) array]`` and this site's weight ``n``.
        """
        plan = self._require(plan)
        x = self._design(plan, scaler[0], scaler[1])
        total = float(sum(site_n.values()))
        out = np.zeros_like(params)
        for m in range(params.shape[0]):
            left_out = plan.sites[m - 1] if m > 0 else None
            if left_out == self.data.site:
                continue
            if left_out is not None and left_out not in site_n:
                continue  # that site did not join: its leave-out model is the global one, not trained
            w = core.local_update(params[m], x, self.data.y, mu=plan.mu, steps=plan.local_steps)
            if plan.dp_clip > 0:
                w = core.clip_update(w, params[m], plan.dp_clip)
            scale = 1.0 if left_out is None else total / (total - site_n[left_out])
            out[m] = w * scale
        return self._send("train", [out], context)

    def evaluate(
        self,
        plan: Plan,
        params: FloatArray,
        scaler: FloatArray,
        context: Mapping[str, Any],
    ) -> tuple[list[FloatArray], int]:
        """Score histograms of the global model and of this site's leave-out model, in this site's block only."""
        plan = self._require(plan)
        x = self._design(plan, scaler[0], scaler[1])
        d = np.column_stack([np.ones(self.data.n), x])
        k = plan.sites.index(self.data.site)
        out = np.zeros((2, len(plan.sites), 2, plan.bins))
        out[0, k] = core.score_histogram(d @ params[0], self.data.y, plan.bins)
        out[1, k] = core.score_histogram(d @ params[k + 1], self.data.y, plan.bins)
        return self._send("evaluate", [out / self.data.n], context)


def app_hash(app_dir: Path) -> str:
    """SHA-256 over the Flower app's ``pyproject.toml`` (parsed) and ``*.py`` files (relative path + content).

    Parameters
    ----------
    app_dir : Path
        The app folder (the one holding ``pyproject.toml``).

    Returns
    -------
    str
        Hex digest, identical on the coordinator (source folder) and the site (installed app).
    """
    import tomllib

    app_dir = Path(app_dir)
    project = app_dir / "pyproject.toml"
    if not project.is_file():
        raise FederatedError("The Flower app has no pyproject.toml", found=str(app_dir), field="app")
    # Flower re-serialises pyproject.toml when it builds the app bundle: hash its parsed content, not its bytes
    config = tomllib.loads(project.read_text(encoding="utf-8"))
    config.get("tool", {}).get("flwr", {}).pop("federations", None)
    h = hashlib.sha256(json.dumps(config, sort_keys=True).encode() + b"\0")
    for f in sorted(app_dir.rglob("*.py")):
        if "__pycache__" in f.parts or not f.is_file():
            continue
        h.update(f.relative_to(app_dir).as_posix().encode() + b"\0")
        h.update(f.read_bytes().replace(b"\r\n", b"\n") + b"\0")
    return h.hexdigest()

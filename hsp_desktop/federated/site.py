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
    ids: tuple[str, ...] = ()  # row identifiers: used at the site to join its radiomics, never sent

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
    return SiteData(site=site, values=values, y=y, source=f"cohort {folder}", ids=tuple(ids))


def _from_registry(db: Path, site: str) -> SiteData:
    from hsp_desktop.registry import Registry

    rows: list[dict[str, Any]] = []
    ys: list[float] = []
    sids: list[str] = []
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
            sids.append(str(sid))
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
    return SiteData(site=site, values=values, y=np.array(ys), source=f"registry {db}", ids=tuple(sids))


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
    _rad: dict[str, FloatArray] | None = field(default=None, init=False)
    _rad_key: str = field(default="", init=False)

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
        computed = {"rad_score"} if plan.election else set()  # the federated Rad-score, computed here
        missing = [f.name for f in plan.features if f.name not in self.data.values and f.name not in computed]
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
        if plan.election:
            self._radiomics(plan)

    def _radiomics(self, plan: Plan) -> dict[str, FloatArray]:
        """The plan's candidate radiomics of this site's rows (read once per plan; raises when missing)."""
        from hsp_desktop.federated.radiomics import site_radiomics

        key = plan.sha256
        if self._rad is None or self._rad_key != key:
            source = Path(self.data.source.split(" ", 1)[1])
            if len(self.data.ids) != self.data.n:
                raise FederatedError(
                    f"{self.data.site}'s rows carry no identifiers to join its radiomics",
                    expected=f"{self.data.n} study ids",
                    found=str(len(self.data.ids)),
                    fix="load the site's data with load_site_data",
                    field="radiomics",
                )
            names = [f.name for f in plan.radiomics]
            try:
                self._rad = site_radiomics(source, self.data.ids, names, plan.radiomics_settings)
            except FederatedError as exc:
                raise FederatedError(
                    f"{self.data.site}: {exc.message}",
                    expected=exc.expected,
                    found=exc.found,
                    fix=exc.fix,
                    field=exc.field,
                ) from exc
            self._rad_key = key
        return self._rad

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

    def vote(self, plan: Plan, context: Mapping[str, Any]) -> tuple[list[FloatArray], int]:
        """The site's 0/1 vote over the plan's candidate radiomics, divided by ``n`` (Rad-score election).

        The site runs the development pipeline's selection on its own rows
        (:func:`hsp_desktop.federated.radiomics.select_features`).  Row 0 is the vote for the global Rad-score;
        row ``k + 1`` the same vote for the Rad-score that leaves site ``k`` out, or zeros when this is site ``k``.
        Divided by ``n``, the weighted average times ``N`` is the vote count per candidate and election.

        Returns
        -------
        (list of ndarray, int)
            ``[(K + 1, c) array]`` and this site's weight ``n``.
        """
        from hsp_desktop.federated.radiomics import select_features

        plan = self._require(plan)
        x = np.column_stack([self._radiomics(plan)[f.name] for f in plan.radiomics])
        try:
            v = select_features(x, self.data.y, plan.selection, seed=plan.seed).astype(np.float64)
        except ValueError as exc:  # e.g. a site without events: the selection has nothing to learn from
            raise FederatedError(
                f"{self.data.site} cannot select radiomics features",
                expected="events and non-events among the site's recipients",
                found=str(exc),
                fix="leave this site out of the election (it may still join a clinical-only plan)",
                field="radiomics",
            ) from exc
        out = np.tile(v, (len(plan.sites) + 1, 1))
        out[plan.sites.index(self.data.site) + 1] = 0.0
        return self._send("vote", [out / self.data.n], context)

    def _z_rad(self, plan: Plan) -> FloatArray:
        return core.reference_scaled(self._radiomics(plan), plan.radiomics, self.data.n)

    def _values(self, plan: Plan) -> Mapping[str, Any]:
        if plan.election:  # rad_score's column in the moments: empty (its scale is fixed, see Coordinator)
            return {**self.data.values, "rad_score": np.full(self.data.n, np.nan)}
        return self.data.values

    def moments(self, plan: Plan, context: Mapping[str, Any]) -> tuple[list[FloatArray], int]:
        """Per-feature count, sum and sum of squares divided by ``n`` (reference-scaled values).

        With a Rad-score election a second array holds the moments of the radiomics candidates.
        """
        plan = self._require(plan)
        z = core.reference_scaled(self._values(plan), plan.features, self.data.n)
        arrays = [core.site_moments(z) / self.data.n]
        if plan.election:
            arrays.append(core.site_moments(self._z_rad(plan)) / self.data.n)
        return self._send("moments", arrays, context)

    def rad_scores(self, plan: Plan, rad: Mapping[str, Any]) -> FloatArray:
        """The site's Rad-score of every model (``(K + 1, n)``): linear predictors of the federated Rad-scores.

        Parameters
        ----------
        plan : Plan
            The approved plan (with an election).
        rad : mapping
            ``scaler`` (2, c) pooled mean/SD of the candidates and ``params`` (K + 1, c + 1).

        Returns
        -------
        ndarray of shape (K + 1, n)
            Row ``m``: model ``m``'s Rad-score (row ``k + 1`` never used site ``k``'s rows).
        """
        scaler = np.asarray(rad["scaler"], dtype=np.float64)
        params = np.asarray(rad["params"], dtype=np.float64)
        x = core.standardise(self._z_rad(plan), scaler[0], scaler[1])
        return np.asarray(params[:, 1:] @ x.T + params[:, :1], dtype=np.float64)

    def _scores(self, plan: Plan, rad: Mapping[str, Any] | None) -> FloatArray | None:
        if not plan.election:
            return None
        if rad is None:
            raise FederatedError(
                "The coordinator sent no Rad-score with a plan that elects one",
                expected="the Rad-score scaler and parameters with every train/evaluate message",
                found="none",
                fix="refuse the run and report it to the coordinator",
                field="rad_score",
            )
        return self.rad_scores(plan, rad)

    def _design(
        self, plan: Plan, mean: FloatArray, sd: FloatArray, rad_score: FloatArray | None = None
    ) -> FloatArray:
        values = self.data.values if rad_score is None else {**self.data.values, "rad_score": rad_score}
        z = core.reference_scaled(values, plan.features, self.data.n)
        return core.standardise(z, mean, sd)

    def _models(self, plan: Plan, site_n: Mapping[str, int]) -> list[tuple[int, str | None]]:
        """Models this site trains: (index, left-out site), skipping its own leave-out and absent sites."""
        out = []
        for m in range(len(plan.sites) + 1):
            left_out = plan.sites[m - 1] if m > 0 else None
            if left_out == self.data.site:
                continue
            if left_out is not None and left_out not in site_n:
                continue  # that site did not join: its leave-out model is the global one, not trained
            out.append((m, left_out))
        return out

    def rad_train(
        self,
        plan: Plan,
        params: FloatArray,
        rad_scaler: FloatArray,
        elected: FloatArray,
        site_n: Mapping[str, int],
        context: Mapping[str, Any],
    ) -> tuple[list[FloatArray], int]:
        """One training round of the Rad-score models on their elected features (zeros for the others).

        Parameters
        ----------
        plan : Plan
            The approved plan (with an election).
        params : ndarray of shape (K + 1, c + 1)
            Current Rad-score parameters (intercept first).
        rad_scaler : ndarray of shape (2, c)
            Pooled mean and SD of the candidates.
        elected : ndarray of shape (K + 1, c)
            1 where model ``m`` uses candidate ``j`` (the election result, public).
        site_n : mapping
            Site -> n of every accepting site.
        context : mapping
            Run id and round for the outbox log.

        Returns
        -------
        (list of ndarray, int)
            ``[(K + 1, c + 1) array]`` and this site's weight ``n``.
        """
        plan = self._require(plan)
        x = core.standardise(self._z_rad(plan), rad_scaler[0], rad_scaler[1])
        total = float(sum(site_n.values()))
        out = np.zeros_like(params)
        for m, left_out in self._models(plan, site_n):
            cols = np.flatnonzero(np.asarray(elected[m]) > 0.5)
            keep = np.concatenate([[0], cols + 1])
            w = core.local_update(
                params[m][keep], x[:, cols], self.data.y, mu=plan.mu, steps=plan.local_steps
            )
            if plan.dp_clip > 0:
                w = core.clip_update(w, params[m][keep], plan.dp_clip)
            scale = 1.0 if left_out is None else total / (total - site_n[left_out])
            out[m, keep] = w * scale
        return self._send("radtrain", [out], context)

    def train(
        self,
        plan: Plan,
        params: FloatArray,
        scaler: FloatArray,
        site_n: Mapping[str, int],
        context: Mapping[str, Any],
        rad: Mapping[str, Any] | None = None,
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
        rad : mapping, optional
            With an election: the federated Rad-score (``scaler``, ``params``); model ``m`` uses Rad-score ``m``.

        Returns
        -------
        (list of ndarray, int)
            ``[(K + 1, p + 1) array]`` and this site's weight ``n``.
        """
        plan = self._require(plan)
        scores = self._scores(plan, rad)
        x = self._design(plan, scaler[0], scaler[1]) if scores is None else None
        total = float(sum(site_n.values()))
        out = np.zeros_like(params)
        for m, left_out in self._models(plan, site_n):
            xm = self._design(plan, scaler[0], scaler[1], scores[m]) if scores is not None else x
            assert xm is not None  # x is the design whenever there are no Rad-scores
            w = core.local_update(params[m], xm, self.data.y, mu=plan.mu, steps=plan.local_steps)
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
        rad: Mapping[str, Any] | None = None,
    ) -> tuple[list[FloatArray], int]:
        """Score histograms of the global model and of this site's leave-out model, in this site's block only.

        With an election the leave-out model uses the leave-out Rad-score: neither saw this site's rows.
        """
        plan = self._require(plan)
        k = plan.sites.index(self.data.site)
        scores = self._scores(plan, rad)
        out = np.zeros((2, len(plan.sites), 2, plan.bins))
        for row, m in ((0, 0), (1, k + 1)):
            x = self._design(plan, scaler[0], scaler[1], None if scores is None else scores[m])
            d = np.column_stack([np.ones(self.data.n), x])
            out[row, k] = core.score_histogram(d @ params[m], self.data.y, plan.bins)
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

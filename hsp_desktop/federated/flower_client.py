"""Flower ClientApp side: turns Flower messages into :class:`~hsp_desktop.federated.site.SiteWorker` calls.

The Flower app the coordinator submits (``flowerapp/hspfed/client_app.py``) is a two-line shim over this module,
which is installed with HSP Desktop at the site: the code that reads patient data and decides what leaves the
site is the site's own, not code fetched at run time.  The SuperNode passes ``data-path``, ``site`` and
``site-dir`` through ``--node-config``.

Mods (outermost first): :func:`outbox_mod` logs every reply that leaves the site (type and size, SecAgg+
stages included) to the site's outbox; :func:`secagg_mod` runs Flower's ``secaggplus_mod`` when the coordinator
drives a SecAgg+ round and passes plain rounds through.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from hsp_desktop.federated.core import Plan
from hsp_desktop.federated.site import SiteWorker, app_hash, load_site_data, log_message, registry_of


def _node_config(context: Any) -> tuple[Path, str, Path]:
    cfg = context.node_config
    return Path(str(cfg["data-path"])), str(cfg["site"]), Path(str(cfg["site-dir"]))


def _message_bytes(content: Any) -> int:
    total = 0
    for rec in content.array_records.values():
        for arr in rec.values():
            total += len(arr.data)
    for rec in content.config_records.values():
        for k, v in rec.items():
            total += len(str(k)) + (len(v) if isinstance(v, bytes | str) else 8)
    for rec in content.metric_records.values():
        total += 16 * len(rec)
    return total


def outbox_mod(msg: Any, ctxt: Any, call_next: Any) -> Any:
    """Flower mod: log every outgoing reply (message type, SecAgg+ stage, bytes) in the site's outbox."""
    stage = ""  # read before the SecAgg+ mod consumes it
    for rec in msg.content.config_records.values():
        if "stage" in rec:
            stage = str(rec["stage"])
    reply = call_next(msg, ctxt)
    try:
        site_dir = Path(str(ctxt.node_config["site-dir"]))
    except KeyError:
        return reply
    log_message(
        site_dir,
        {
            "type": f"flower:{msg.metadata.message_type}" + (f":{stage}" if stage else ""),
            "bytes": _message_bytes(reply.content) if reply.has_content() else 0,
            "error": reply.error.reason if reply.has_error() else "",
            "run": msg.metadata.run_id,
            "round": msg.metadata.group_id,
        },
        registry=registry_of(ctxt.node_config.get("data-path", "")),
    )
    return reply


def secagg_mod(msg: Any, ctxt: Any, call_next: Any) -> Any:
    """Flower mod: SecAgg+ for rounds the coordinator runs with SecAgg+, plain rounds passed through."""
    from flwr.client.mod import secaggplus_mod
    from flwr.common.secure_aggregation.secaggplus_constants import RECORD_KEY_CONFIGS

    if RECORD_KEY_CONFIGS in msg.content.config_records:
        return secaggplus_mod(msg, ctxt, call_next)
    return call_next(msg, ctxt)


class HspClient:
    """A NumPyClient answering handshake (``get_properties``) and fit (vote/moments/train/evaluate) messages."""

    def __init__(self, worker: SiteWorker, run_id: int) -> None:
        self.worker = worker
        self.run_id = run_id

    def get_properties(self, config: dict[str, Any]) -> dict[str, Any]:
        """Handshake: does this site accept the plan."""
        plan = Plan.from_dict(json.loads(str(config["plan"])))
        reply = self.worker.handshake(plan, {"run": self.run_id, "round": 0})
        return {k: v for k, v in reply.items() if isinstance(v, str | int | float | bool)}

    def get_parameters(self, config: dict[str, Any]) -> list[np.ndarray]:
        """Not used: the coordinator initialises the parameters."""
        return []

    def fit(
        self, parameters: list[np.ndarray], config: dict[str, Any]
    ) -> tuple[list[np.ndarray], int, dict[str, Any]]:
        """One round: vote, moments, radtrain, train or evaluate, as the coordinator's config says."""
        plan = Plan.from_dict(json.loads(str(config["plan"])))
        ctx = {"run": self.run_id, "round": int(config["round"])}
        phase = str(config["phase"])
        if phase == "elect":
            arrays, n = self.worker.vote(plan, ctx)
        elif phase == "moments":
            arrays, n = self.worker.moments(plan, ctx)
        else:
            params = np.asarray(parameters[0], dtype=np.float64)
            site_n = {str(k): int(v) for k, v in json.loads(str(config["site_n"])).items()}
            if phase == "radtrain":
                rad_scaler = np.asarray(json.loads(str(config["rad_scaler"])), dtype=np.float64)
                elected = np.asarray(json.loads(str(config["elected"])), dtype=np.float64)
                arrays, n = self.worker.rad_train(plan, params, rad_scaler, elected, site_n, ctx)
            else:
                scaler = np.asarray(json.loads(str(config["scaler"])), dtype=np.float64)
                rad = None
                if "rad" in config:
                    raw = json.loads(str(config["rad"]))
                    rad = {k: np.asarray(v, dtype=np.float64) for k, v in raw.items()}
                if phase == "train":
                    arrays, n = self.worker.train(plan, params, scaler, site_n, ctx, rad=rad)
                else:
                    arrays, n = self.worker.evaluate(plan, params, scaler, ctx, rad=rad)
        return arrays, n, {}

    def evaluate(
        self, parameters: list[np.ndarray], config: dict[str, Any]
    ) -> tuple[float, int, dict[str, Any]]:
        """Not used: evaluation runs as a securely aggregated fit round."""
        return 0.0, 0, {}


def make_client_app(app_file: str) -> Any:
    """Build the Flower ``ClientApp`` for the shim at ``app_file`` (its folder tree is hashed and checked)."""
    from flwr.client import ClientApp, NumPyClient

    class _Client(HspClient, NumPyClient):  # type: ignore[misc]
        pass

    app_dir = Path(app_file).resolve().parent
    while not (app_dir / "pyproject.toml").is_file() and app_dir != app_dir.parent:
        app_dir = app_dir.parent

    def client_fn(context: Any) -> Any:
        data_path, site, site_dir = _node_config(context)
        worker = SiteWorker(load_site_data(data_path, site), site_dir, app_sha256=app_hash(app_dir))
        return _Client(worker, int(context.run_id)).to_client()

    return ClientApp(client_fn=client_fn, mods=[outbox_mod, secagg_mod])

"""Flower ServerApp side: drives a :class:`~hsp_desktop.federated.coordinator.Coordinator` through Flower.

Run configuration (``flwr run ... --run-config``): ``plan-path`` (the plan JSON the sites approved) and
``out-dir`` (where ``progress.jsonl`` and ``result.json`` are written on the coordinator's machine).

Sequence: wait for the sites' SuperNodes, send the plan in a handshake (legacy ``get_properties``) to every node,
keep the sites that accept it, then run the legacy workflow (the only one that supports SecAgg+ in Flower 1.42)
with :class:`HspStrategy` for one fit round per phase of :meth:`Plan.schedule`: [vote,] moments, [Rad-score
training,] training, evaluation.  Rounds without SecAgg+
use :func:`timed_fit_workflow`, Flower's default fit round with a reply timeout so that a site that drops out
mid-round is reported instead of waited for forever.
"""

from __future__ import annotations

import json
import time
import traceback
from pathlib import Path
from typing import Any

import numpy as np

from hsp_desktop.errors import FederatedError
from hsp_desktop.federated import core
from hsp_desktop.federated.coordinator import Coordinator
from hsp_desktop.federated.core import Plan

#: Seconds a round waits for the sites' replies before treating the missing ones as dropped.
ROUND_TIMEOUT_S = 90.0
#: Seconds the ServerApp waits for the plan's sites to connect.
CONNECT_TIMEOUT_S = 120.0


def _strategy_class() -> type:
    from flwr.common import FitIns, ndarrays_to_parameters, parameters_to_ndarrays
    from flwr.server.strategy import Strategy

    class HspStrategy(Strategy):  # type: ignore[misc]
        """Flower strategy delegating every decision to the coordinator."""

        def __init__(self, coord: Coordinator, node_site: dict[int, str], secagg: bool) -> None:
            self.coord = coord
            self.node_site = node_site
            self.secagg = secagg
            self.plan_json = json.dumps(coord.plan.to_dict())

        def initialize_parameters(self, client_manager: Any) -> Any:
            return ndarrays_to_parameters([self.coord.current_params()])

        def configure_fit(self, server_round: int, parameters: Any, client_manager: Any) -> list[Any]:
            cfg = self.coord.config(server_round)
            config: dict[str, Any] = {
                "plan": self.plan_json,
                "round": server_round,
                "phase": cfg["phase"],
                "site_n": json.dumps(cfg["site_n"]),
            }
            for key in ("scaler", "rad_scaler", "elected"):
                if cfg.get(key) is not None:
                    config[key] = json.dumps(np.asarray(cfg[key]).tolist())
            if "rad" in cfg:
                config["rad"] = json.dumps({k: np.asarray(v).tolist() for k, v in cfg["rad"].items()})
            ins = FitIns(ndarrays_to_parameters([self.coord.params_for(server_round)]), config)
            active = set(self.coord.site_n)
            return [
                (proxy, ins)
                for proxy in client_manager.all().values()
                if self.node_site.get(int(proxy.node_id)) in active
            ]

        def aggregate_fit(
            self, server_round: int, results: list[Any], failures: list[Any]
        ) -> tuple[Any, dict[str, Any]]:
            sites = [self.node_site[int(proxy.node_id)] for proxy, _ in results]
            if not results:
                self.coord.absorb(server_round, [], [])  # raises: too few sites
            if self.secagg:
                # SecAgg+ already replaced every result's parameters by the weighted average
                aggregate = parameters_to_ndarrays(results[0][1].parameters)
            else:
                aggregate = core.weighted_average(
                    [parameters_to_ndarrays(r.parameters) for _, r in results],
                    [r.num_examples for _, r in results],
                )
            self.coord.absorb(server_round, aggregate, sites)
            return ndarrays_to_parameters([self.coord.params_for(server_round + 1)]), {}

        def configure_evaluate(self, server_round: int, parameters: Any, client_manager: Any) -> list[Any]:
            return []

        def aggregate_evaluate(
            self, server_round: int, results: list[Any], failures: list[Any]
        ) -> tuple[Any, dict[str, Any]]:
            return None, {}

        def evaluate(self, server_round: int, parameters: Any) -> Any:
            return None

    return HspStrategy


def timed_fit_workflow(grid: Any, context: Any, timeout: float = ROUND_TIMEOUT_S) -> None:
    """Flower's default fit round, with a timeout on the replies (a site that does not answer is dropped)."""
    import flwr.compat.common.recorddict_compat as compat
    from flwr.app import Message
    from flwr.app.message_type import MessageType
    from flwr.common import Code
    from flwr.server.workflow.constant import MAIN_CONFIGS_RECORD, MAIN_PARAMS_RECORD, Key

    cfg = context.state.config_records[MAIN_CONFIGS_RECORD]
    current_round = int(cfg[Key.CURRENT_ROUND])
    parameters = compat.arrayrecord_to_parameters(
        context.state.array_records[MAIN_PARAMS_RECORD], keep_input=True
    )
    instructions = context.strategy.configure_fit(
        server_round=current_round, parameters=parameters, client_manager=context.client_manager
    )
    if not instructions:
        return
    proxies = {proxy.node_id: proxy for proxy, _ in instructions}
    out = [
        Message(
            content=compat.fitins_to_recorddict(ins, True),
            dst_node_id=proxy.node_id,
            message_type=MessageType.TRAIN,
            group_id=str(current_round),
        )
        for proxy, ins in instructions
    ]
    replies = list(grid.send_and_receive(out, timeout=timeout))
    results: list[tuple[Any, Any]] = []
    failures: list[Any] = []
    for msg in replies:
        if msg.has_content():
            res = compat.recorddict_to_fitres(msg.content, False)
            if res.status.code == Code.OK:
                results.append((proxies[msg.metadata.src_node_id], res))
                continue
            failures.append((proxies[msg.metadata.src_node_id], res))
        else:
            failures.append(Exception(msg.error))
    params, _metrics = context.strategy.aggregate_fit(current_round, results, failures)
    if params:
        context.state.array_records[MAIN_PARAMS_RECORD] = compat.parameters_to_arrayrecord(params, True)


def _handshake(
    grid: Any, plan: Plan, run_id: int, connect_timeout: float, round_timeout: float
) -> tuple[list[dict[str, Any]], dict[int, str]]:
    import flwr.compat.common.recorddict_compat as compat
    from flwr.app import Message
    from flwr.common import GetPropertiesIns
    from flwr.common.constant import MessageTypeLegacy

    deadline = time.monotonic() + connect_timeout
    nodes: list[int] = []
    while time.monotonic() < deadline:
        nodes = list(grid.get_node_ids())
        if len(nodes) >= len(plan.sites):
            break
        time.sleep(1.0)
    if not nodes:
        raise FederatedError(
            "No site connected to the SuperLink",
            expected=f"{len(plan.sites)} SuperNodes",
            found="none",
            fix="start the sites' SuperNodes (hsp federated site start) and check their certificates and keys",
        )
    ins = GetPropertiesIns({"plan": json.dumps(plan.to_dict()), "run": str(run_id)})
    messages = [
        Message(
            content=compat.getpropertiesins_to_recorddict(ins),
            dst_node_id=nid,
            message_type=MessageTypeLegacy.GET_PROPERTIES,
            group_id="0",
        )
        for nid in nodes
    ]
    replies: list[dict[str, Any]] = []
    node_site: dict[int, str] = {}
    for msg in grid.send_and_receive(messages, timeout=round_timeout):
        if msg.has_content():
            props = dict(compat.recorddict_to_getpropertiesres(msg.content).properties)
            replies.append(props)
            node_site[int(msg.metadata.src_node_id)] = str(props.get("site"))
        else:
            replies.append(
                {
                    "site": f"node {msg.metadata.src_node_id}",
                    "accepted": False,
                    "reason": f"error: {msg.error.reason}",
                }
            )
    return replies, node_site


def run_server(grid: Any, context: Any) -> None:
    """ServerApp main: handshake, legacy workflow with :class:`HspStrategy`, results to ``out-dir``."""
    from flwr.server import LegacyContext, ServerConfig
    from flwr.server.workflow import DefaultWorkflow, SecAggPlusWorkflow

    out_dir = Path(str(context.run_config["out-dir"]))
    out_dir.mkdir(parents=True, exist_ok=True)
    progress_file = out_dir / "progress.jsonl"

    def progress(event: dict[str, Any]) -> None:
        with open(progress_file, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(event, default=str) + "\n")

    try:
        plan = Plan.from_dict(
            json.loads(Path(str(context.run_config["plan-path"])).read_text(encoding="utf-8"))
        )
        coord = Coordinator(plan, progress=progress)
        connect_timeout = float(context.run_config.get("connect-timeout", CONNECT_TIMEOUT_S))
        round_timeout = float(context.run_config.get("round-timeout", ROUND_TIMEOUT_S))
        replies, node_site = _handshake(grid, plan, int(context.run_id), connect_timeout, round_timeout)
        coord.accept(replies)
        strategy = _strategy_class()(coord, node_site, plan.secagg)
        legacy = LegacyContext(
            context=context, config=ServerConfig(num_rounds=coord.total_rounds), strategy=strategy
        )
        if plan.secagg:
            k = len(coord.site_n)
            fit = SecAggPlusWorkflow(
                num_shares=k,
                reconstruction_threshold=max(2, k - 1),
                clipping_range=8.0,
                quantization_range=2**24,
                max_weight=1000.0,
                timeout=round_timeout,
            )
            workflow = DefaultWorkflow(fit_workflow=fit)
        else:
            workflow = DefaultWorkflow(fit_workflow=lambda g, c: timed_fit_workflow(g, c, round_timeout))
        workflow(grid, legacy)
        result = coord.result()
        result["run_id"] = int(context.run_id)
        tmp = out_dir / "result.json.tmp"
        tmp.write_text(json.dumps(result, indent=2, default=float), encoding="utf-8")
        tmp.replace(out_dir / "result.json")
        progress({"event": "done"})
    except BaseException as exc:
        err = (
            exc.as_dict()
            if isinstance(exc, FederatedError)
            else {"type": type(exc).__name__, "message": str(exc)}
        )
        err["traceback"] = traceback.format_exc(limit=8)
        (out_dir / "error.json").write_text(json.dumps(err, indent=2), encoding="utf-8")
        progress({"event": "failed", "error": str(exc)})
        raise


def make_server_app() -> Any:
    """Build the Flower ``ServerApp``."""
    from flwr.server import ServerApp

    app = ServerApp()

    @app.main()  # type: ignore[misc]
    def main(grid: Any, context: Any) -> None:
        run_server(grid, context)

    return app

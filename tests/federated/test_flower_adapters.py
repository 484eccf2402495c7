"""The Flower client and strategy adapters driven directly (no processes): same numbers as the in-process run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hsp_desktop.errors import FederatedError
from hsp_desktop.federated.coordinator import Coordinator, run_in_process
from hsp_desktop.federated.flower_client import HspClient
from hsp_desktop.federated.flower_server import _strategy_class
from hsp_desktop.federated.service import make_plan
from hsp_desktop.federated.site import SiteWorker, approve_plan, revoke_plan

SITES = ("site1", "site2", "site3")

# flwr 1.42 imports typer, which touches click APIs deprecated in click 8.3 (third party, unavoidable here)
pytestmark = pytest.mark.filterwarnings(r"ignore:'click\.utils\..*' is deprecated:DeprecationWarning")


class FakeProxy:
    def __init__(self, node_id: int) -> None:
        self.node_id = node_id


class FakeManager:
    def __init__(self, proxies: list[FakeProxy]) -> None:
        self.proxies = proxies

    def all(self) -> dict[str, FakeProxy]:
        return {str(p.node_id): p for p in self.proxies}


def _run(
    plan, clients: dict[int, HspClient], node_site: dict[int, str], drop_after: dict[int, int] | None = None
):
    import json

    from flwr.common import Code, FitRes, Status, ndarrays_to_parameters, parameters_to_ndarrays

    coord = Coordinator(plan)
    ins = {"plan": json.dumps(plan.to_dict()), "run": "1"}
    replies = [c.get_properties(ins) for c in clients.values()]
    coord.accept(replies)
    strategy = _strategy_class()(coord, node_site, False)
    manager = FakeManager([FakeProxy(n) for n in clients])
    params = strategy.initialize_parameters(manager)
    for rnd in range(1, coord.total_rounds + 1):
        results = []
        for proxy, fitins in strategy.configure_fit(rnd, params, manager):
            if drop_after and proxy.node_id in drop_after and rnd > drop_after[proxy.node_id]:
                continue
            arrays, n, _ = clients[proxy.node_id].fit(
                parameters_to_ndarrays(fitins.parameters), fitins.config
            )
            results.append((proxy, FitRes(Status(Code.OK, ""), ndarrays_to_parameters(arrays), n, {})))
        params, _ = strategy.aggregate_fit(rnd, results, [])
    return coord.result()


def test_adapters_give_the_in_process_result(site_data: list, tmp_path: Path) -> None:
    plan = make_plan(SITES, rounds=3)
    clients, node_site, workers = {}, {}, []
    for i, d in enumerate(site_data):
        approve_plan(tmp_path / d.site, plan, by="lead")
        w = SiteWorker(d, tmp_path / d.site)
        clients[100 + i] = HspClient(w, run_id=1)
        node_site[100 + i] = d.site
        approve_plan(tmp_path / "ip" / d.site, plan, by="lead")
        workers.append(SiteWorker(d, tmp_path / "ip" / d.site))
    res = _run(plan, clients, node_site)
    local = run_in_process(plan, workers)
    np.testing.assert_allclose(res["coef_standardised"], local["coef_standardised"], atol=1e-12)
    assert res["pooled"]["auc"] == local["pooled"]["auc"]
    # a site silent from round 3 on is dropped, the others finish
    res2 = _run(plan, clients, node_site, drop_after={101: 2})
    assert "site2" in res2["dropped"] and set(res2["sites"]) == {"site1", "site3"}


def test_client_refuses_after_approval_is_withdrawn(site_data: list, tmp_path: Path) -> None:
    import json

    plan = make_plan(SITES, rounds=1)
    approve_plan(tmp_path, plan, by="lead")
    client = HspClient(SiteWorker(site_data[0], tmp_path), run_id=7)
    assert client.get_properties({"plan": json.dumps(plan.to_dict())})["accepted"] is True
    revoke_plan(tmp_path, plan.sha256)
    config = {"plan": json.dumps(plan.to_dict()), "round": 1, "phase": "moments", "site_n": "{}"}
    with pytest.raises(FederatedError, match="has not approved"):
        client.fit([], config)

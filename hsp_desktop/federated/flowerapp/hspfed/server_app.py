"""ServerApp shim: the coordinator's installed HSP Desktop drives the run."""

from hsp_desktop.federated.flower_server import make_server_app

app = make_server_app()

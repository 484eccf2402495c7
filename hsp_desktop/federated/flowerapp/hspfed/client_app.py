"""ClientApp shim: the site's installed HSP Desktop does the work (and checks this app's hash)."""

from hsp_desktop.federated.flower_client import make_client_app

app = make_client_app(__file__)

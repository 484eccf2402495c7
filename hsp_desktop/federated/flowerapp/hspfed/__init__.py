"""HSP Desktop's Flower app: thin shims over hsp_desktop.federated, which is installed at every site."""

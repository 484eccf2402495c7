"""Federated training and evaluation across transplant centres with Flower: no patient row leaves a site.

See ``DESIGN.md`` in this folder for the protocol, privacy measures, approvals and the outbox log.
Entry points: :mod:`hsp_desktop.federated.cli` (``hsp federated``), :mod:`hsp_desktop.federated.service`
(shared by the CLI and the Federation screen).
"""

"""Talking to the hospital's systems: DICOM nodes (PACS) and FHIR export.

``nodes`` (settings of each PACS node), ``network`` (C-ECHO/C-FIND/C-GET/C-STORE with pynetdicom), ``objects``
(Encapsulated PDF, SEG and TID 1500 SR built from a saved prediction), ``service`` (what the GUI and the CLI
call: each operation audited in the registry), ``fhir`` (FHIR R4 resources of a recipient's prediction).

The workstation only opens associations to the nodes an administrator configured; it never listens on a port.
"""

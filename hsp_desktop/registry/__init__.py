"""The registry: the ward's audited SQLite database of recipients, predictions and 6-month follow-up.

Public API (CONTRACTS section G): :class:`Registry` (``Registry.open(path, site_key=...)``), :class:`User`,
:data:`ROLES`, :class:`ImportReport`, :class:`Rejection`, :class:`VerifyReport`,
:class:`~hsp_desktop.registry.protocol.ScoringRegistry` (what the pipeline and its test doubles use).
The layers behind the facade are listed in :mod:`hsp_desktop.registry.core`.
"""

from hsp_desktop.registry.audit import VerifyReport
from hsp_desktop.registry.core import Registry
from hsp_desktop.registry.models import ROLES, ImportReport, Rejection, User
from hsp_desktop.registry.passwords import Argon2Params

__all__ = ["ROLES", "Argon2Params", "ImportReport", "Registry", "Rejection", "User", "VerifyReport"]

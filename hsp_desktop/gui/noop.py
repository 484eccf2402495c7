"""``QT_TRANSLATE_NOOP`` typed as what it is (PySide6's stub says ``object``): marks text for ``lupdate``."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from PySide6 import QtCore

#: ``QT_TRANSLATE_NOOP(context, text)`` returns ``text`` unchanged; lupdate collects it into the catalogue.
QT_TRANSLATE_NOOP = cast(Callable[[str, str], str], QtCore.QT_TRANSLATE_NOOP)

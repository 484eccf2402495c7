"""Run Python's cyclic garbage collector on the GUI thread only.

A Qt object's Python wrapper that sits in a reference cycle is freed by whichever thread happens to trigger a
collection; when that is a worker thread, Qt objects are destroyed off the GUI thread and the process can crash.
The application therefore switches automatic collection off and collects from a timer on the GUI thread (the
practice of pyqtgraph's ``GarbageCollector``).  Reference counting still frees acyclic objects immediately.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer


class GuiThreadGarbageCollector(QObject):
    """Collect garbage every ``interval_ms`` on the thread that created this object (the GUI thread)."""

    def __init__(self, interval_ms: int = 1000, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.check)
        self._threshold = gc.get_threshold()

    def start(self) -> None:
        """Switch automatic collection off and start the timer."""
        gc.disable()
        self._timer.start()

    def stop(self) -> None:
        """Restore automatic collection."""
        self._timer.stop()
        gc.enable()

    def check(self) -> None:
        """Collect the generations whose allocation counts passed their thresholds."""
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > self._threshold[generation]:
                gc.collect(generation)
                break

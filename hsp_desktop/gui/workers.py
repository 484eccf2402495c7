"""Long work off the GUI thread: a generator of :class:`~hsp_desktop.domain.Progress` run in a ``QThread``.

The same generators the CLI runs (``pipeline.run_case``, model development, backups) run here unchanged.  The
worker reports progress through Qt signals, can be cancelled between stages, and hands its result or error
back to the GUI thread.  Every running worker is tracked so that tests (and the main window on close) can make
sure no thread is left behind.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from hsp_desktop.domain import Progress
from hsp_desktop.errors import CancelledError

#: Workers whose thread is running; the test suite fails a test that leaves one behind.
_ACTIVE: set[Worker] = set()

JobFactory = Callable[[Callable[[], bool]], Generator[Progress, None, Any]]


class _Runner(QObject):
    progress = Signal(object)
    done = Signal(object)
    failed = Signal(object)

    def __init__(self, job: JobFactory, cancel_event: threading.Event) -> None:
        super().__init__()
        self._job = job
        self._cancel = cancel_event

    def run(self) -> None:
        try:
            gen = self._job(self._cancel.is_set)
            while True:
                if self._cancel.is_set():
                    gen.close()
                    raise CancelledError("cancelled by the user; nothing was saved")
                try:
                    step = next(gen)
                except StopIteration as stop:
                    self.done.emit(stop.value)
                    return
                self.progress.emit(step)
        except BaseException as exc:  # noqa: BLE001 - relayed to the GUI thread's error handler (failed signal)
            self.failed.emit(exc)


class Worker(QObject):
    """Run ``job(cancelled) -> generator`` in its own thread.

    Parameters
    ----------
    job : callable
        Called in the worker thread with a ``cancelled()`` predicate; returns a generator that yields
        :class:`Progress` and returns the result.

    Signals
    -------
    progress(Progress), finished(result), failed(exception) — all delivered on the GUI thread.
    """

    progress = Signal(object)
    finished = Signal(object)
    failed = Signal(object)

    def __init__(self, job: JobFactory, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cancel = threading.Event()
        self._thread = QThread()
        self._runner = _Runner(job, self._cancel)
        self._runner.moveToThread(self._thread)
        self._thread.started.connect(self._runner.run)
        self._runner.progress.connect(self.progress.emit)
        self._runner.done.connect(self._on_done)
        self._runner.failed.connect(self._on_failed)

    def start(self) -> None:
        """Start the job in its thread."""
        _ACTIVE.add(self)
        self._thread.start()

    def cancel(self) -> None:
        """Ask the job to stop at the next stage boundary."""
        self._cancel.set()

    @property
    def running(self) -> bool:
        """True while the thread runs."""
        return self._thread.isRunning()

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until the thread ends (used on shutdown and in tests)."""
        return bool(self._thread.wait(msecs))

    def _stop_thread(self) -> None:
        self._thread.quit()
        self._thread.wait()
        _ACTIVE.discard(self)

    def _on_done(self, result: object) -> None:
        self._stop_thread()
        self.finished.emit(result)

    def _on_failed(self, exc: object) -> None:
        self._stop_thread()
        self.failed.emit(exc)


def active_workers() -> list[Worker]:
    """Workers whose thread has not finished."""
    return [w for w in _ACTIVE if w.running]


def single_step(func: Callable[[], Any], stage: str) -> JobFactory:
    """Wrap a plain function as a one-stage job (for backups, model installs, ...)."""

    def job(cancelled: Callable[[], bool]) -> Generator[Progress, None, Any]:
        yield Progress(stage, 0.0, "")
        result = func()
        yield Progress(stage, 1.0, "")
        return result

    return job


def callback_job(
    func: Callable[[Callable[[Progress], None], Callable[[], bool]], Any],
) -> JobFactory:
    """Wrap a function that reports progress through a callback as a generator job.

    ``func(report, cancelled)`` runs in a helper thread of the worker; each ``report(Progress)`` is yielded to
    the GUI, and the function's return value (or exception) becomes the job's.
    """

    def job(cancelled: Callable[[], bool]) -> Generator[Progress, None, Any]:
        import queue

        items: queue.Queue[Progress | None] = queue.Queue()
        outcome: dict[str, Any] = {}

        def target() -> None:
            try:
                outcome["value"] = func(items.put, cancelled)
            except BaseException as exc:  # noqa: BLE001 - re-raised by the job on the worker's thread
                outcome["error"] = exc
            finally:
                items.put(None)

        thread = threading.Thread(target=target, name="hsp-job", daemon=True)
        thread.start()
        while (item := items.get()) is not None:
            yield item
        thread.join()
        if "error" in outcome:
            raise outcome["error"]
        return outcome.get("value")

    return job

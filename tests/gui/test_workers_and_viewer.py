from __future__ import annotations

import time
from collections.abc import Callable, Generator

import numpy as np
import pytest

from hsp_desktop.domain import CtVolume, LabelMap, Progress
from hsp_desktop.errors import CancelledError, InputError
from hsp_desktop.gui.widgets.slice_viewer import SliceViewer, blend_labels, take_slice, window_to_rgb
from hsp_desktop.gui.workers import Worker, active_workers


def _job(
    n: int, fail_at: int | None = None
) -> Callable[[Callable[[], bool]], Generator[Progress, None, int]]:
    def job(cancelled: Callable[[], bool]) -> Generator[Progress, None, int]:
        for i in range(n):
            if fail_at == i:
                raise InputError("bad input", fix="fix it")
            time.sleep(0.02)
            yield Progress(f"stage {i}", i / n, "")
        return n

    return job


def test_worker_reports_progress_and_result(qtbot) -> None:
    worker = Worker(_job(5))
    seen: list[str] = []
    worker.progress.connect(lambda p: seen.append(p.stage))
    with qtbot.waitSignal(worker.finished, timeout=10_000) as blocker:
        worker.start()
    assert blocker.args == [5]
    assert seen == [f"stage {i}" for i in range(5)]
    assert not active_workers()


def test_worker_hands_errors_to_the_gui_thread(qtbot) -> None:
    worker = Worker(_job(5, fail_at=2))
    with qtbot.waitSignal(worker.failed, timeout=10_000) as blocker:
        worker.start()
    assert isinstance(blocker.args[0], InputError)


def test_worker_cancel_stops_between_stages(qtbot) -> None:
    worker = Worker(_job(200))
    worker.progress.connect(lambda p: worker.cancel() if p.stage == "stage 2" else None)
    with qtbot.waitSignal(worker.failed, timeout=10_000) as blocker:
        worker.start()
    assert isinstance(blocker.args[0], CancelledError)


def _volume() -> tuple[CtVolume, LabelMap]:
    z, y, x = np.mgrid[0:20, 0:40, 0:50]
    ct = (40 + 100 * ((x - 25) ** 2 + (y - 20) ** 2 < 150)).astype(np.float32)
    labels = (((x - 25) ** 2 + (y - 20) ** 2 + (z - 10) ** 2) < 50).astype(np.uint8)
    return CtVolume(ct, (1.0, 1.0, 3.0)), LabelMap(labels, (1.0, 1.0, 3.0))


def test_window_and_overlay_are_correct() -> None:
    rgb = window_to_rgb(np.array([[-1000.0, 50.0, 1000.0]]), 400, 50)
    assert rgb[0, 0, 0] == 0 and rgb[0, 2, 0] == 255 and 120 <= rgb[0, 1, 0] <= 135
    out = blend_labels(rgb, np.array([[0, 1, 0]]), 1.0)
    assert tuple(out[0, 1]) == (255, 80, 40) and tuple(out[0, 0]) == (0, 0, 0)
    arr = np.arange(24).reshape(2, 3, 4)
    assert take_slice(arr, "Axial", 1).shape == (3, 4)
    assert take_slice(arr, "Coronal", 0).shape == (2, 4)
    assert take_slice(arr, "Sagittal", 0).shape == (2, 3)


@pytest.mark.parametrize("orientation", ["Axial", "Coronal", "Sagittal"])
def test_viewer_scrolls_and_shows_spleen_volume(qtbot, orientation: str) -> None:
    ct, mask = _volume()
    viewer = SliceViewer()
    qtbot.addWidget(viewer)
    viewer.resize(900, 400)
    viewer.show()
    viewer.set_volume(ct, mask)
    start = viewer.slice_index(orientation)
    viewer.step_slice(orientation, 3)
    assert viewer.slice_index(orientation) == start + 3
    viewer.step_slice(orientation, -1000)
    assert viewer.slice_index(orientation) == 0
    assert "Spleen (orange) volume" in viewer.info.text()
    assert viewer.spleen_volume_ml() == pytest.approx(mask.volume_ml(1))
    assert not viewer.panes[orientation].pixmap().isNull()

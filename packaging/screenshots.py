"""Screenshots of every screen of the desktop app in a real window (run under Xvfb).

    Xvfb :95 -screen 0 1920x1080x24 &
    DISPLAY=:95 .venv/bin/python packaging/screenshots.py --out screenshots               # 100 %
    DISPLAY=:95 QT_SCALE_FACTOR=1.5 .venv/bin/python packaging/screenshots.py --out shots  # 150 %

It builds the demo registry (``hsp demo``: synthetic cohort, one recipient scored), signs in as the demo user and
walks the ward's day: the first-run checklist, the recipient's CT and mask loaded, a ruler measurement sent into
the pre-operative form, a follow-up visit recorded and opened for correction.  One PNG of the whole screen per
screen, in English and in Simplified Chinese, named ``<language>_<scale>_<nn>_<screen>.png``.

Nothing is written to the user's real settings: every ``QSettings`` format and ``XDG_CONFIG_HOME`` point into a
temporary folder before Qt starts.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def isolate_settings(folder: Path) -> None:
    """Point every QSettings location (native and INI, user and system scope) into ``folder``."""
    from PySide6.QtCore import QSettings

    os.environ["XDG_CONFIG_HOME"] = str(folder)
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
            QSettings.setPath(fmt, scope, str(folder))


def main() -> int:
    """Build the demo registry, open the main window and save a PNG of every screen."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=Path("screenshots"))
    parser.add_argument("--language", choices=("en", "zh_CN", "both"), default="both")
    parser.add_argument("--demo", type=Path, help=argparse.SUPPRESS)  # a demo folder built by the parent run
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="hsp-shots-"))
    os.environ.setdefault("HSP_DATA_DIR", str(tmp / "data"))
    isolate_settings(tmp / "settings")
    if args.demo is None:
        import pickle
        import subprocess

        from hsp_desktop.pipeline.demo import run_demo

        result = run_demo(tmp / "demo")
        (tmp / "demo" / "result.pickle").write_bytes(pickle.dumps(result))
        languages = ["en", "zh_CN"] if args.language == "both" else [args.language]
        for language in languages:  # one process per language: every window starts from a fresh Qt
            command = [sys.executable, __file__, "--out", str(args.out), "--language", language]
            subprocess.run([*command, "--demo", str(tmp / "demo")], check=True)
        return 0
    return _shoot_one_language(args.demo, args.language, args.out, tmp)


def _shoot_one_language(demo: Path, language: str, out: Path, tmp: Path) -> int:
    import pickle

    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv)
    from hsp_desktop.gui.app import install_language, save_language
    from hsp_desktop.gui.gc_guard import GuiThreadGarbageCollector

    collector = GuiThreadGarbageCollector(parent=app)
    collector.start()  # as the app does: Qt wrappers are freed on the GUI thread only (a worker's GC pass crashes)
    result = pickle.loads((demo / "result.pickle").read_bytes())  # written by the parent run just now
    scale = os.environ.get("QT_SCALE_FACTOR", "1")
    install_language(app, language)
    save_language(language)
    _shoot_every_screen(app, demo, result, out, f"{language}_{round(float(scale) * 100)}", tmp)
    collector.stop()
    return 0


def _shoot_every_screen(app: object, demo: Path, result: object, out: Path, prefix: str, tmp: Path) -> None:
    from PySide6.QtCore import QDate, QPointF
    from PySide6.QtWidgets import QApplication

    from hsp_desktop.gui.context import AppContext
    from hsp_desktop.gui.mainwindow import MainWindow
    from hsp_desktop.pipeline.demo import DEMO_PASSWORD, DEMO_USER, case_paths
    from hsp_desktop.registry import Registry
    from hsp_desktop.synthetic import demo_cohort_dir

    study_id = str(result.study_id)  # type: ignore[attr-defined]
    registry = Registry.open(demo / "demo-registry.sqlite")
    user = registry.authenticate(DEMO_USER, DEMO_PASSWORD)
    ctx = AppContext(registry=registry, user=user, data_dir=tmp / "data")
    window = MainWindow(ctx)
    screen = window.screen()
    window.setGeometry(screen.availableGeometry())  # no window manager under Xvfb: fill the screen ourselves
    window.show()
    window.fit_to_screen()
    ctx.select(study_id)
    ct, mask = case_paths(demo_cohort_dir(), study_id)
    shown = [k for r, k in enumerate(window.pages) if not window.nav.item(r).isHidden()]
    for n, key in enumerate(shown, start=1):
        page = window.show_page(key)
        if key == "imaging":
            page.open_dicom_folder(ct)  # type: ignore[attr-defined]
            _wait(lambda: ctx.ct_path is not None)
            page.open_mask(mask)  # type: ignore[attr-defined]
            _wait(lambda p=page: bool(p.score_button.isEnabled()))  # type: ignore[misc]
            viewer = page.viewer  # type: ignore[attr-defined]
            viewer.set_tool("ruler")
            rect = viewer.panes["Coronal"].image_rect()
            mid = rect.center()
            viewer.measure("Coronal", QPointF(mid.x(), mid.y() - 60), QPointF(mid.x() + 8, mid.y() + 55))
            viewer.measure_field.setCurrentIndex(viewer.measure_field.findData("spleen_length_cm"))
            viewer.send_measurement()
            viewer.hover("Axial", viewer.panes["Axial"].image_rect().center())
        if key == "score":
            from hsp_desktop.gui.pages.score import key_slice_pngs

            page.result = result  # type: ignore[attr-defined]
            page.show_result(result)  # type: ignore[attr-defined]
            page.show_slices(key_slice_pngs(ctx.ct_volume, ctx.mask_volume))  # type: ignore[attr-defined]
        if key == "followup":
            visits = registry.followups(study_id)
            if not visits:
                tx = QDate.fromString(str(registry.get_recipient(study_id)["transplant_date"]), "yyyy-MM-dd")
                page.date.setDate(tx.addDays(31))  # type: ignore[attr-defined]
                page.measures["platelets"].setText("71")  # type: ignore[attr-defined]
                page.save_visit(reason="screenshot walk-through")  # type: ignore[attr-defined]
            page.refresh()  # type: ignore[attr-defined]
            page.visits.selectRow(0)  # type: ignore[attr-defined]
            page.edit_selected()  # type: ignore[attr-defined]
        if key == "models" and page.table.rowCount():  # type: ignore[attr-defined]
            page.table.selectRow(0)  # type: ignore[attr-defined]
            page.verify_selected()  # type: ignore[attr-defined]
        for _ in range(5):
            QApplication.processEvents()
            time.sleep(0.05)
        target = out / f"{prefix}_{n:02d}_{key}.png"
        screen.grabWindow(0).save(str(target))
        print(target, flush=True)
    recipient = window.show_page("recipient")
    field = recipient.form.widgets["spleen_length_cm"]  # type: ignore[attr-defined]
    scroll = field.parentWidget()
    while scroll is not None and not hasattr(scroll, "ensureWidgetVisible"):
        scroll = scroll.parentWidget()
    if scroll is not None:
        scroll.ensureWidgetVisible(field)
    QApplication.processEvents()
    target = out / f"{prefix}_{len(shown) + 1:02d}_recipient_caliper.png"
    screen.grabWindow(0).save(str(target))
    print(target, flush=True)
    window.pages["followup"].clear_form()  # type: ignore[attr-defined]
    window.pages["recipient"].load(study_id)  # type: ignore[attr-defined]
    window.close()
    registry.close()


def _wait(condition: Callable[[], bool], timeout: float = 90.0) -> None:
    from PySide6.QtWidgets import QApplication

    end = time.monotonic() + timeout
    while not condition() and time.monotonic() < end:
        QApplication.processEvents()
        time.sleep(0.02)


if __name__ == "__main__":
    sys.exit(main())

"""Screenshots of every screen of the desktop app in a real window (run under Xvfb).

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python packaging/screenshots.py --out screenshots

It builds the demo registry (``hsp demo``: synthetic cohort, one recipient scored), signs in as the demo user,
loads that recipient's CT and mask, and saves one PNG per screen, in English and in Simplified Chinese.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path


def main() -> int:
    """Build the demo registry, open the main window and save a PNG of every screen."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=Path("screenshots"))
    parser.add_argument("--language", choices=("en", "zh_CN", "both"), default="both")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="hsp-shots-"))
    os.environ.setdefault("HSP_DATA_DIR", str(tmp / "data"))

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp / "settings"))
    app = QApplication(sys.argv)

    from hsp_desktop.gui.app import install_language
    from hsp_desktop.gui.context import AppContext
    from hsp_desktop.gui.mainwindow import MainWindow
    from hsp_desktop.pipeline.demo import DEMO_PASSWORD, DEMO_USER, case_paths, run_demo
    from hsp_desktop.registry import Registry
    from hsp_desktop.synthetic import demo_cohort_dir

    result = run_demo(tmp / "demo")
    cohort = demo_cohort_dir()
    languages = ["en", "zh_CN"] if args.language == "both" else [args.language]
    for language in languages:
        install_language(app, language)
        QSettings("HSP", "HSP Desktop").setValue("ui/language", language)
        registry = Registry.open(tmp / "demo" / "demo-registry.sqlite")
        user = registry.authenticate(DEMO_USER, DEMO_PASSWORD)
        ctx = AppContext(registry=registry, user=user, data_dir=tmp / "data")
        window = MainWindow(ctx)
        window.resize(1440, 900)
        window.show()
        ctx.select(result.study_id)
        ct, mask = case_paths(cohort, result.study_id)
        for key in window.pages:
            page = window.show_page(key)
            if key == "imaging":
                page.open_dicom_folder(ct)
                _wait(app, lambda c=ctx: c.ct_path is not None)
                page.open_mask(mask)
                _wait(app, lambda p=page: p.score_button.isEnabled())
            if key == "score":
                from hsp_desktop.gui.pages.score import key_slice_pngs

                page.result = result
                page.show_result(result)
                page.show_slices(key_slice_pngs(ctx.ct_volume, ctx.mask_volume))
            if key == "models" and page.table.rowCount():
                page.table.selectRow(0)
                page.verify_selected()
            app.processEvents()
            target = args.out / f"{language}_{window.stack.indexOf(page) + 1:02d}_{key}.png"
            window.grab().save(str(target))
            print(target)
        window.close()
        registry.close()
    return 0


def _wait(app: object, condition: object, timeout: float = 60.0) -> None:
    import time

    from PySide6.QtWidgets import QApplication

    end = time.monotonic() + timeout
    while not condition() and time.monotonic() < end:  # type: ignore[operator]
        QApplication.processEvents()
        time.sleep(0.02)


if __name__ == "__main__":
    sys.exit(main())

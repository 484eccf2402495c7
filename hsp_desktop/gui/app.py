"""Start the desktop application: translations, registry, sign-in, main window."""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QLibraryInfo, QLocale, QSettings, QTranslator
from PySide6.QtWidgets import QApplication, QMessageBox

from hsp_desktop.gui.context import AppContext, default_data_dir

I18N = Path(__file__).resolve().parent / "i18n"
LANGUAGES = {"en": "English", "zh_CN": "简体中文"}
_translators: list[QTranslator] = []
log = logging.getLogger(__name__)


def install_language(app: QApplication, language: str) -> bool:
    """Install the interface language (``en`` or ``zh_CN``); returns False if its translation is missing.

    Besides the application's own catalogue, Qt's translations (``qtbase_zh_CN.qm``, found through
    ``QLibraryInfo``) are loaded so Qt's dialogs and buttons (OK, Cancel, Yes, No, file dialogs) speak the same
    language.  Installing a translator sends every widget a ``LanguageChange`` event.
    """
    for t in _translators:
        app.removeTranslator(t)
    _translators.clear()
    QLocale.setDefault(QLocale(QLocale.Language.Chinese if language == "zh_CN" else QLocale.Language.English))
    if language == "en":
        return True
    translator = QTranslator(app)
    if not translator.load(str(I18N / f"hsp_{language}.qm")):
        return False
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    qt_own = QTranslator(app)
    if qt_own.load(f"qtbase_{language}", qt_dir) or qt_own.load(f"qtbase_{language}", str(I18N)):
        app.installTranslator(qt_own)
        _translators.append(qt_own)
    else:
        log.warning(
            "Qt's own %s translations not found in %s: Qt's buttons stay in English", language, qt_dir
        )
    app.installTranslator(translator)
    _translators.append(translator)
    return True


def save_language(language: str) -> None:
    """Remember the interface language of this workstation."""
    QSettings("HSP", "HSP Desktop").setValue("ui/language", language)


def ui_language() -> str:
    """The saved interface language, else the system's (Chinese locales get Chinese)."""
    saved = QSettings("HSP", "HSP Desktop").value("ui/language")
    if isinstance(saved, str) and saved in LANGUAGES:
        return saved
    return "zh_CN" if QLocale.system().name().startswith("zh") else "en"


def open_registry(data_dir: Path) -> object:
    """Open (creating if needed) the workstation's registry in ``data_dir``."""
    from hsp_desktop.registry import Registry

    data_dir.mkdir(parents=True, exist_ok=True)
    path = Path(os.environ.get("HSP_REGISTRY", data_dir / "registry.sqlite"))
    return Registry.open(path)


def run_app(argv: Sequence[str]) -> int:
    """Run the desktop application until the main window closes."""
    from hsp_desktop.gui.mainwindow import MainWindow
    from hsp_desktop.gui.signin import SignInDialog

    app = QApplication.instance() or QApplication(list(argv))
    assert isinstance(app, QApplication)
    app.setApplicationName("HSP Desktop")
    app.setOrganizationName("HSP")
    install_language(app, ui_language())
    from hsp_desktop.cli import use_per_user_numba_cache

    use_per_user_numba_cache()
    data_dir = default_data_dir()
    try:
        registry = open_registry(data_dir)
    except Exception as exc:  # shown, and logged with its traceback
        log.exception("The registry in %s cannot be opened", data_dir)
        QMessageBox.critical(None, "HSP Desktop", str(exc))
        return 2
    first = not registry.users()  # type: ignore[attr-defined]
    dialog = SignInDialog(registry, first_admin=first)
    if not dialog.exec():
        return 0
    ctx = AppContext(registry=registry, user=dialog.user, data_dir=data_dir)
    from hsp_desktop.gui.gc_guard import GuiThreadGarbageCollector

    collector = GuiThreadGarbageCollector(parent=app)
    collector.start()  # Qt wrappers are only ever freed on the GUI thread
    window = MainWindow(ctx)
    window.show()
    from hsp_desktop.selftest import first_start_selftest_due, first_start_selftest_job

    if first_start_selftest_due():  # the installed app checks itself on its first start
        window.show_page("about").run_selftest(job=first_start_selftest_job())  # type: ignore[attr-defined]
    else:
        start_background_warmup()
    code = app.exec()
    collector.stop()
    registry.close()  # type: ignore[attr-defined]
    return int(code)


def start_background_warmup() -> threading.Thread:
    """Compile/load the Numba kernels off the GUI thread so the first scoring is fast (daemon thread).

    A failed warm-up costs only speed (the first scoring compiles what it needs), so it is logged with its
    traceback rather than shown; the thread is returned so that callers (tests) can wait for it.
    """

    def warm() -> None:
        try:
            seconds = warm_kernels()
        except Exception:  # a thread's last resort: logged with its traceback, never silent
            log.exception("Numba warm-up failed; the first scoring will compile its kernels instead")
        else:
            log.info("Numba warm-up done in %.1f s", seconds)

    thread = threading.Thread(target=warm, name="numba-warmup", daemon=True)
    thread.start()
    return thread


def warm_kernels() -> float:
    """Load (or compile) every radiomics kernel, as the scoring pipeline will use them; returns the seconds.

    The scoring pipeline's modules are imported here too: importing them holds the GIL for long C calls (shared
    libraries load), which stalled the event loop for 0.1-0.4 s when the first scoring imported them.
    """
    import importlib

    from hsp_desktop.radiomics import warm_up

    importlib.import_module("hsp_desktop.pipeline.run")
    # the locked model's loader brings pandas/sklearn: ~2 s of imports
    importlib.import_module("models.bundle")
    return warm_up()


if __name__ == "__main__":
    sys.exit(run_app(sys.argv))

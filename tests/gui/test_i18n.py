"""Every GUI string has a Chinese translation, the shipped .qm is compiled from the .ts, and switching works."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import QCoreApplication

from hsp_desktop.gui.i18n import update


def test_every_gui_string_is_translated(tmp_path: Path) -> None:
    ts = tmp_path / "current.ts"
    shutil.copy(update.TS, ts)
    update.update_ts(ts)  # re-extract from today's code into a copy of the committed translations
    missing = update.untranslated(ts)
    assert not missing, f"run `python -m hsp_desktop.gui.i18n.update` and translate: {missing[:10]}"


def test_shipped_qm_is_compiled_from_the_ts(tmp_path: Path) -> None:
    qm = tmp_path / "check.qm"
    update.release(update.TS, qm)
    assert qm.read_bytes() == update.QM.read_bytes(), "hsp_zh_CN.qm is stale: run the i18n update"


def test_switching_language_translates_the_main_screens(qtbot) -> None:
    from PySide6.QtWidgets import QApplication

    from hsp_desktop.gui.app import install_language

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    try:
        assert install_language(app, "zh_CN")
        assert QCoreApplication.translate("pages", "Worklist") == "工作列表"
        assert QCoreApplication.translate("SignInDialog", "Password") == "密码"
    finally:
        install_language(app, "en")
    assert QCoreApplication.translate("pages", "Worklist") == "Worklist"

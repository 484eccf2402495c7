"""Domain codes and outcome sentences reach the screens in Chinese (one Qt catalogue for GUI and domain text)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from hsp_desktop.clinical.outcome import derive_outcome
from hsp_desktop.gui.domain_text import CODES, is_translated, tr_domain

PREOP = {"platelets": 60.0, "wbc": 3.0, "spleen_volume_ml": 700.0, "height_cm": 170.0, "weight_kg": 70.0}


def _visit(day: int, **values: Any) -> dict[str, Any]:
    return {"day": day, **values}


CASES = [
    [
        _visit(175, platelets=60, wbc=3, spleen_volume_ml=700),
        _visit(185, platelets=62, wbc=3, spleen_volume_ml=690),
    ],
    [_visit(175, platelets=160, wbc=5, spleen_volume_ml=700), _visit(185, platelets=170, wbc=5)],
    [
        _visit(175, platelets=60, wbc=3, spleen_volume_ml=300),
        _visit(185, platelets=62, wbc=3, spleen_length_cm=9),
    ],
    [_visit(175, platelets=60, wbc=3, spleen_volume_ml=700, infection=1), _visit(185, platelets=62, wbc=3)],
    [_visit(90, intervention="pse")],
    [_visit(60, event="death")],
    [_visit(175, platelets=60, wbc=3)],
    [_visit(175, platelets=60, wbc=3), _visit(190, event="retransplant")],
]


@pytest.mark.parametrize("visits", CASES)
def test_every_outcome_reason_and_flag_has_a_translation(visits: list[dict[str, Any]]) -> None:
    result = derive_outcome(PREOP, visits, "2025-01-01")
    texts = [*result.reasons, *result.flags]
    assert texts
    missing = [t for t in texts if not is_translated(t)]
    assert not missing, f"add a pattern/code to hsp_desktop/gui/domain_text.py and translate it: {missing}"


def test_open_window_reason_is_translated() -> None:
    result = derive_outcome(PREOP, [_visit(100, platelets=60)], "2025-01-01", today="2025-04-20")
    assert result.status == "pending" and all(is_translated(t) for t in [*result.reasons, *result.flags])


def test_domain_text_in_chinese(qtbot) -> None:
    from hsp_desktop.gui.app import install_language

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    try:
        assert install_language(app, "zh_CN")
        assert tr_domain("too_few_measurements") == "测量次数不足"
        assert tr_domain("competing:death") == "竞争事件: 死亡"
        zh = tr_domain("no splenomegaly in the window (volume 300 ml, length 9.0 cm)")
        assert zh == "时间窗内无脾肿大（体积 300 ml，长径 9.0 cm）"
        assert all(tr_domain(code) != code for code in CODES)
    finally:
        install_language(app, "en")
    assert tr_domain("too_few_measurements") == "too few measurements"


def test_form_units_in_chinese(qtbot) -> None:
    from PySide6.QtWidgets import QLabel

    from hsp_desktop.clinical.dictionary import VARIABLES
    from hsp_desktop.gui.widgets.record_form import RecordForm

    form = RecordForm([VARIABLES["age"], VARIABLES["meld"]], language="zh")
    qtbot.addWidget(form)
    units = {label.text() for label in form.findChildren(QLabel)}
    assert {"岁", "分"} <= units and "years" not in units

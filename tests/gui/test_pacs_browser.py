"""The real window over `hsp synth --pacs` exports, driven by pytest-qt.

Study browser (worker scan, portal-venous preselected, localizer not selectable, two patients), scoring the chosen
series (the saved prediction names it), a wrong-patient CT refused and an audited override, a liver-first SEG
yielding the spleen, a lossy series blocked, the recipient chart (PDF printed through the print path) and the
Imaging screen restoring what is registered.  Series UIDs are checked against pydicom's own reading.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pydicom
import pytest
from PySide6.QtWidgets import QInputDialog

PASSWORD = "ward-pass-1"


def _truth(cohort: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((cohort / "pacs" / "ground_truth.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture
def window(qtbot, tmp_path: Path, pacs_cohort: Path):  # type: ignore[no-untyped-def]
    from hsp_desktop.gui.context import AppContext
    from hsp_desktop.gui.mainwindow import MainWindow
    from hsp_desktop.registry import Registry
    from hsp_desktop.registry.crypto import generate_site_key, load_site_key
    from hsp_desktop.registry.passwords import TEST_PARAMS

    generate_site_key(tmp_path / "site.key")
    reg = Registry.open(
        tmp_path / "r.db", argon2_params=TEST_PARAMS, site_key=load_site_key(tmp_path / "site.key")
    )
    admin = reg.add_user("admin", PASSWORD, "admin", by=None)
    reg.import_csv(pacs_cohort / "clinical.csv", by=admin)
    for sid, ident in _truth(pacs_cohort)["recipients"].items():
        reg.update_preop(
            sid, {"mrn": ident["mrn"], "name": ident["name"]}, by=admin, reason="identity from HIS"
        )
    ctx = AppContext(registry=reg, user=admin, data_dir=tmp_path / "data")
    win = MainWindow(ctx)
    qtbot.addWidget(win)
    win.show()
    yield win, ctx
    win.close()
    reg.close()


def _open(qtbot, imaging: Any, folder: Path) -> None:  # type: ignore[no-untyped-def]
    imaging.open_dicom_folder(folder)
    qtbot.waitUntil(lambda: imaging.browser.tree_data is not None, timeout=60_000)


def _score(qtbot, window: Any) -> Any:  # type: ignore[no-untyped-def]
    score = window.show_page("score")
    score.start()
    qtbot.waitUntil(lambda: score.worker is not None and not score.worker.running, timeout=120_000)
    return score


@pytest.mark.slow
def test_browser_preselects_scores_and_chart_names_the_series(
    qtbot, window, pacs_cohort: Path, monkeypatch
) -> None:
    win, ctx = window
    truth = _truth(pacs_cohort)["exports"]["A_HSP-0001"]
    ctx.select("HSP-0001")
    imaging = win.show_page("imaging")
    _open(qtbot, imaging, pacs_cohort / "pacs" / "A_HSP-0001")
    tree = imaging.browser.tree_data
    assert tree.dicomdir and len(tree.patients) == 1
    assert imaging.browser.first_series_s is not None
    assert "IM" in imaging.browser.status.text() and "truncated" in imaging.browser.status.text()
    assert imaging.browser.selected_uid() == truth["portal_venous_series_uid"]  # the documented rule
    assert not imaging.browser.select_series(truth["localizer_series_uid"])  # a localizer cannot be selected
    assert not imaging.browser.thumbnail.pixmap().isNull()
    imaging.open_mask(pacs_cohort / "pacs" / "masks" / "HSP-0001" / "seg_liver_first")  # liver is segment 1
    qtbot.waitUntil(lambda: imaging.score_button.isEnabled(), timeout=60_000)
    assert "matches" in imaging.identity.text()
    assert ctx.mask_volume.labels == {1: "spleen", 2: "liver"}
    score = _score(qtbot, win)
    assert score.result is not None, score.stage.text()
    stored = ctx.registry.predictions("HSP-0001")[-1]["output"]["imaging_source"]
    pv = next(s for s in truth["series"] if s["uid"] == truth["portal_venous_series_uid"])
    first = pydicom.dcmread(pacs_cohort / "pacs" / "A_HSP-0001" / pv["files"][0], stop_before_pixels=True)
    assert stored["series_uid"] == str(first.SeriesInstanceUID) and stored["spleen_segment"] == "Spleen"
    # the recipient chart: the prediction with its series, and its PDF printed through the print path
    chart = win.show_page("chart")
    chart.refresh()
    assert chart.predictions.rowCount() == 1
    assert chart.predictions.item(0, 5).text() == "#4 Abdomen PV 5.0 B30f"
    assert chart.predictions.item(0, 5).toolTip() == truth["portal_venous_series_uid"]
    assert chart.imaging.rowCount() == 1 and chart.open_button.isEnabled()
    from PySide6.QtPrintSupport import QPrinter

    from hsp_desktop.gui.pages.chart import print_pdf

    printer = QPrinter()
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(ctx.data_dir / "printed.pdf"))
    pages = print_pdf(chart.selected_pdf(), printer)
    assert pages >= 2 and (ctx.data_dir / "printed.pdf").read_bytes().startswith(b"%PDF")
    # scoring again asks for a reason; the Imaging screen restores what is registered
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("", False))
    score.start()
    assert score.worker is None or not score.worker.running
    assert "reason" in score.stage.text()
    ctx.select("HSP-0002")
    ctx.select("HSP-0001")
    win.show_page("imaging")
    qtbot.waitUntil(lambda: ctx.ct_path is not None and ctx.series_uid is not None, timeout=60_000)
    assert ctx.series_uid == truth["portal_venous_series_uid"]


@pytest.mark.slow
def test_wrong_patient_refused_then_overridden(qtbot, window, pacs_cohort: Path, monkeypatch) -> None:
    win, ctx = window
    truth = _truth(pacs_cohort)["exports"]["D_two_patients"]
    ctx.select("HSP-0001")
    imaging = win.show_page("imaging")
    _open(qtbot, imaging, pacs_cohort / "pacs" / "D_two_patients")
    assert len(imaging.browser.tree_data.patients) == 2  # a two-patient export shows two patients
    # preselected for the recipient's own MRN; now pick the other patient's series
    assert imaging.browser.selected_uid() == truth["series_uids"]["HSP-0001"]
    imaging.open_mask(pacs_cohort / "pacs" / "masks" / "HSP-0002" / "mask.nii.gz")
    imaging.browser.select_series(truth["series_uids"]["HSP-0002"])
    qtbot.waitUntil(lambda: "MISMATCH" in imaging.identity.text(), timeout=60_000)
    qtbot.waitUntil(lambda: imaging.worker is not None and not imaging.worker.running, timeout=60_000)
    assert not imaging.score_button.isEnabled() and imaging.override_button.isEnabled()
    reason = "records merged under one MRN (ticket 4711)"
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: (reason, True))
    imaging.override_button.click()
    assert imaging.score_button.isEnabled() and ctx.identity_override == reason
    score = _score(qtbot, win)
    assert score.result is not None, score.stage.text()
    stored = ctx.registry.predictions("HSP-0001")[-1]["output"]
    assert stored["identity"]["status"] == "overridden" and stored["identity"]["override_reason"] == reason
    assert stored["imaging_source"]["series_uid"] == truth["series_uids"]["HSP-0002"]
    assert any(reason in str(row.get("reason") or "") for row in ctx.registry.audit_log(table="predictions"))


def test_lossy_series_blocked_in_the_window(qtbot, window, pacs_cohort: Path) -> None:
    win, ctx = window
    ctx.select("HSP-0003")
    imaging = win.show_page("imaging")
    _open(qtbot, imaging, pacs_cohort / "pacs" / "C_HSP-0003")
    imaging.open_mask(pacs_cohort / "pacs" / "masks" / "HSP-0003" / "mask.nii.gz")
    qtbot.waitUntil(lambda: imaging.qc.rowCount() > 3, timeout=60_000)
    time.sleep(0.05)
    assert "FAILED" in imaging.qc_summary.text().upper() or "failed" in imaging.qc_summary.text()
    assert not imaging.score_button.isEnabled()


def test_ambiguous_segment_names_ask_the_user(
    qtbot, window, pacs_cohort: Path, tmp_path: Path, monkeypatch
) -> None:
    import SimpleITK as sitk

    win, ctx = window
    src = pacs_cohort / "pacs" / "masks" / "HSP-0002" / "slicer.seg.nrrd"
    image = sitk.ReadImage(str(src))
    image.SetMetaData("Segment0_Name", "spleen_1")  # label 1 (the liver) now also looks like a spleen
    ambiguous = tmp_path / "ambiguous.seg.nrrd"
    sitk.WriteImage(image, str(ambiguous), useCompression=True)
    asked: list[list[str]] = []

    def pick(*args: Any, **kwargs: Any) -> tuple[str, bool]:
        items = list(args[3])
        asked.append(items)
        return next(i for i in items if i.startswith("2:")), True

    monkeypatch.setattr(QInputDialog, "getItem", pick)
    ctx.select("HSP-0002")
    imaging = win.show_page("imaging")
    _open(qtbot, imaging, pacs_cohort / "pacs" / "B_HSP-0002")
    imaging.open_mask(ambiguous)
    qtbot.waitUntil(lambda: imaging.score_button.isEnabled(), timeout=60_000)
    assert asked == [["1: spleen_1", "2: 脾"]] and ctx.spleen_label == 2
    assert int((ctx.mask_volume.array == 1).sum()) > 0 and ctx.mask_volume.labels[1] == "spleen"

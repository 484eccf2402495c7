"""Sending back a prediction scored from a messy export: several series in one folder and a SEG with the liver
first.  The objects reference the scored (portal-venous) series and the SEG's segment 1 is the scored spleen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import highdicom as hd
import numpy as np
from pacs_servers import MiniPacs

from hsp_desktop.importers import read_ct, read_mask
from hsp_desktop.importers.segments import resolve_organs
from hsp_desktop.pacs import service
from hsp_desktop.pacs.nodes import PacsNode
from hsp_desktop.pipeline import run_case, run_to_end
from hsp_desktop.pipeline.paths import demo_model_path


def test_send_uses_the_scored_series_and_spleen(
    pacs_registry: Any, pacs_cohort: Path, tmp_path: Path
) -> None:
    reg, admin, truth = pacs_registry
    export = truth["exports"]["A_HSP-0001"]
    root = pacs_cohort / "pacs" / "A_HSP-0001"
    mask_path = pacs_cohort / "pacs" / "masks" / "HSP-0001" / "seg_liver_first"
    result = run_to_end(
        run_case(
            reg, "HSP-0001", root, mask_path, user=admin, model=demo_model_path(),
            series_uid=export["portal_venous_series_uid"], report_dir=tmp_path / "reports",
        )
    )  # fmt: skip
    prediction, objects = service.objects_for_prediction(reg, admin, "HSP-0001", pdf=result.report_path)
    doc, seg, sr = objects
    assert {str(r.SeriesInstanceUID) for r in seg.ReferencedSeriesSequence} == {
        export["portal_venous_series_uid"]
    }
    parsed = hd.seg.Segmentation.from_dataset(seg)
    assert {d.SegmentLabel: d.SegmentNumber for d in parsed.SegmentSequence} == {"Spleen": 1, "Liver": 2}
    ct = read_ct(root, series_uid=export["portal_venous_series_uid"])
    scored, _ = resolve_organs(read_mask(mask_path, reference=ct))
    sop_order = [str(uid) for _, _, uid in parsed.get_source_image_uids()]
    assert len(sop_order) == ct.shape[0]
    assert doc.StudyInstanceUID == sr.StudyInstanceUID == seg.StudyInstanceUID
    # and it goes through a DICOM node like any other
    (tmp_path / "empty").mkdir()
    server = MiniPacs(tmp_path / "empty").start()
    try:
        node = PacsNode("Mini", server.ae_title, "127.0.0.1", server.port)
        sent = service.send_prediction(
            reg, admin, node, "HSP-0001", int(prediction["id"]), pdf=result.report_path
        )
        assert [r.status for r in sent] == [0, 0, 0]
        assert sorted(str(ds.Modality) for ds in server.stored) == ["DOC", "SEG", "SR"]
        stored_seg = next(ds for ds in server.stored if ds.Modality == "SEG")
        spleen_frames = hd.seg.Segmentation.from_dataset(stored_seg).get_volume(segment_numbers=[1])
        assert int(np.count_nonzero(spleen_frames.array)) == int(np.count_nonzero(scored.array == 1))
    finally:
        server.stop()

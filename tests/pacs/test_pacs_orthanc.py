"""The round trip against a real PACS: Orthanc (Debian package) on loopback.

Query the recipient's study by the MRN the registry holds, retrieve the CT series (C-GET), score it with the
shipped model, send the PDF, SEG and SR back (C-STORE), then query Orthanc again and open what it filed.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import highdicom as hd
import pydicom
import pytest
from conftest import dicom_folder
from pacs_servers import orthanc_available, start_orthanc

from hsp_desktop.pacs import service
from hsp_desktop.pacs.network import DicomClient
from hsp_desktop.pacs.nodes import PacsNode
from hsp_desktop.pipeline import run_case, run_to_end
from hsp_desktop.pipeline.paths import demo_model_path

pytestmark = pytest.mark.skipif(
    not orthanc_available(), reason="Orthanc is not installed (bootstrap.sh --dev installs Debian's orthanc)"
)


def test_round_trip_with_orthanc(registry: Any, small_cohort: Path, tmp_path: Path) -> None:
    reg, admin = registry
    with start_orthanc(tmp_path / "orthanc") as pacs:
        files = [p for p in sorted(dicom_folder(small_cohort, "HSP-0001").rglob("*")) if p.is_file()]
        pacs.upload(files)
        node = PacsNode("Orthanc", pacs.ae_title, "127.0.0.1", pacs.port)
        service.test_connection(reg, admin, node)
        found = service.query_recipient(reg, admin, node, "HSP-0001", date_from="2000-01-01")
        [study] = found.studies
        [series] = found.series[study.study_uid]
        retrieved = run_to_end(service.retrieve(reg, admin, node, "HSP-0001", series, tmp_path / "inbox"))
        assert retrieved.n_files == len(files)

        mask = small_cohort / "images" / "HSP-0001" / "mask.nii.gz"
        result = run_to_end(
            run_case(
                reg,
                "HSP-0001",
                retrieved.folder,
                mask,
                user=admin,
                model=demo_model_path(),
                report_dir=tmp_path / "reports",
            )
        )
        assert result.report_path is not None and result.report_path.is_file()
        sent = service.send_prediction(reg, admin, node, "HSP-0001", pdf=result.report_path)
        assert [r.status for r in sent] == [0, 0, 0]

        # Orthanc now files three more series in the CT's study
        after = DicomClient(node, "HSPDESKTOP").find_series(study.study_uid)
        assert sorted(s.modality for s in after) == ["CT", "DOC", "SEG", "SR"]
        stored = {}
        for instance in pacs.rest("/instances"):
            ds = pydicom.dcmread(io.BytesIO(pacs.rest(f"/instances/{instance}/file")))
            stored[str(ds.Modality)] = ds
        ct0 = pydicom.dcmread(files[0], stop_before_pixels=True)
        for modality in ("DOC", "SEG", "SR"):
            ds = stored[modality]
            assert ds.StudyInstanceUID == ct0.StudyInstanceUID and ds.PatientID == ct0.PatientID
        doc = stored["DOC"]
        assert doc.EncapsulatedDocument[: doc.EncapsulatedDocumentLength] == result.report_path.read_bytes()
        seg = hd.seg.Segmentation.from_dataset(stored["SEG"])
        assert seg.get_segment_numbers(segment_label="Spleen") == [1]
        assert {str(r.SeriesInstanceUID) for r in stored["SEG"].ReferencedSeriesSequence} == {
            series.series_uid
        }
        sr = hd.sr.Comprehensive3DSR.from_dataset(stored["SR"])
        [group] = sr.content.get_image_measurement_groups()
        [risk] = group.get_measurements(name=hd.sr.CodedConcept("RHSP6M", "99HSP", "x"))
        assert risk.value == pytest.approx(round(100 * result.risk.probability, 2))
        assert risk.unit.value == "%"
        evidence = {
            str(s.SeriesInstanceUID)
            for st in stored["SR"].CurrentRequestedProcedureEvidenceSequence
            for s in st.ReferencedSeriesSequence
        }
        assert series.series_uid in evidence
        directions = [t["direction"] for t in reg.dicom_transfers("HSP-0001")]
        assert directions == ["query", "retrieve", "store"]
        logged = reg.dicom_transfers("HSP-0001")[-1]
        assert {o["modality"] for o in logged["objects"]} == {"DOC", "SEG", "SR"}

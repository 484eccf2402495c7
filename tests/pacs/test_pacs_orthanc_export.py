"""Orthanc seeded with an ``hsp synth --pacs`` study (topogram, four phases, two kernels, compressed series,
a truncated file, a SEG): the query lists every series with its phase, the documented rule preselects the
portal-venous soft-tissue series, a localizer is never retrievable to score, and compressed series come back
over the network with the same HU as the export."""

from __future__ import annotations

import urllib.error
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk
from pacs_servers import orthanc_available, start_orthanc

from hsp_desktop.importers import read_ct
from hsp_desktop.pacs import service
from hsp_desktop.pacs.network import preselect_series
from hsp_desktop.pacs.nodes import PacsNode
from hsp_desktop.pipeline import run_to_end

pytestmark = pytest.mark.skipif(
    not orthanc_available(), reason="Orthanc is not installed (bootstrap.sh --dev installs Debian's orthanc)"
)


def test_pacs_export_through_orthanc(pacs_registry: Any, pacs_cohort: Path, tmp_path: Path) -> None:
    reg, admin, truth = pacs_registry
    export = truth["exports"]["A_HSP-0001"]
    root = pacs_cohort / "pacs" / "A_HSP-0001"
    with start_orthanc(tmp_path / "orthanc") as pacs:
        refused = []
        for path in sorted(p for p in root.rglob("*") if p.is_file() and p.name != "DICOMDIR"):
            try:
                pacs.upload([path])
            except urllib.error.HTTPError:
                refused.append(path.relative_to(root).as_posix())
        assert refused == export["truncated"]  # Orthanc itself refuses the truncated file

        node = PacsNode("Orthanc", pacs.ae_title, "127.0.0.1", pacs.port)
        found = service.query_recipient(reg, admin, node, "HSP-0001")
        [study] = found.studies
        assert study.patient_id == export["patient_id"]
        series = found.series[study.study_uid]
        by_uid = {s.series_uid: s for s in series}
        for expected in export["series"]:
            hit = by_uid[expected["uid"]]
            assert hit.series_number == expected["number"]
            assert hit.phase == expected["phase"]
        localizer = by_uid[export["localizer_series_uid"]]
        assert not localizer.as_series_info().scoreable
        chosen = preselect_series(series)
        assert chosen is not None and chosen.series_uid == export["portal_venous_series_uid"]

        # the portal-venous series: the HU of the rendered CT, exactly
        pv = run_to_end(service.retrieve(reg, admin, node, "HSP-0001", chosen, tmp_path / "inbox"))
        reference = sitk.GetArrayFromImage(
            sitk.ReadImage(str(pacs_cohort / "pacs" / "masks" / "HSP-0001" / "ct_pv.nii.gz"))
        )
        np.testing.assert_array_equal(read_ct(pv.folder).array, reference.astype(np.float32))

        # a JPEG-LS lossless series keeps its HU over the network
        arterial_meta = next(s for s in export["series"] if s["transfer_syntax"] == "1.2.840.10008.1.2.4.80")
        arterial = run_to_end(
            service.retrieve(reg, admin, node, "HSP-0001", by_uid[arterial_meta["uid"]], tmp_path / "inbox")
        )
        original = {
            str(ds.SOPInstanceUID): ds.pixel_array
            for ds in (pydicom.dcmread(root / f) for f in arterial_meta["files"])
        }
        for path in arterial.folder.iterdir():
            ds = pydicom.dcmread(path)
            np.testing.assert_array_equal(ds.pixel_array, original[str(ds.SOPInstanceUID)])
        assert len(original) == arterial.n_files

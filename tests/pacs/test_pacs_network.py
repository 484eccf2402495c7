"""DICOM networking against pynetdicom's own SCP on loopback: echo, find, get (progress, cancel), store, errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk
from conftest import dicom_folder, patient_id
from pacs_servers import MiniPacs, free_port

from hsp_desktop.errors import AuthError, CancelledError, NetworkError, ValidationError
from hsp_desktop.pacs import service
from hsp_desktop.pacs.network import DicomClient, date_range
from hsp_desktop.pacs.nodes import PacsNode, node_from_dict, nodes_from_setting


def test_node_settings_are_validated_with_every_problem_named() -> None:
    good = node_from_dict({"name": "PACS", "ae_title": "ORTHANC", "host": "127.0.0.1", "port": "4242"})
    assert good.port == 4242 and not good.tls
    with pytest.raises(ValidationError) as info:
        node_from_dict({"name": "", "ae_title": "A\\B", "host": "http://x/", "port": 70000, "colour": 1})
    fields = {p.field for p in info.value.problems}
    assert fields == {
        "pacs_nodes[0].name",
        "pacs_nodes[0].ae_title",
        "pacs_nodes[0].host",
        "pacs_nodes[0].port",
        "pacs_nodes[0].colour",
    }
    with pytest.raises(ValidationError, match="same name"):
        nodes_from_setting([good.as_dict(), good.as_dict()])


def test_date_range_is_dicom_and_rejects_bad_dates() -> None:
    assert date_range("2022-01-01", "2022-12-31") == "20220101-20221231"
    assert date_range(None, "2022-12-31") == "-20221231"
    assert date_range(None, None) == ""
    with pytest.raises(NetworkError, match="YYYY-MM-DD"):
        date_range("01/02/2022", None)
    with pytest.raises(NetworkError, match="after its end"):
        date_range("2023-01-01", "2022-01-01")


def test_echo_find_and_retrieve_give_the_series_pydicom_and_simpleitk_read(
    registry: Any, mini_node: PacsNode, small_cohort: Path, tmp_path: Path
) -> None:
    reg, admin = registry
    assert service.test_connection(reg, admin, mini_node) >= 0.0
    found = service.query_recipient(reg, admin, mini_node, "HSP-0001")
    assert found.patient_id == patient_id(small_cohort, "HSP-0001")
    [study] = found.studies
    [series] = found.series[study.study_uid]
    assert series.modality == "CT" and series.n_instances
    progress = []
    gen = service.retrieve(reg, admin, mini_node, "HSP-0001", series, tmp_path / "inbox")
    while True:
        try:
            progress.append(next(gen))
        except StopIteration as stop:
            result = stop.value
            break
    assert result.n_files == series.n_instances
    assert progress[-1].fraction == 1.0 and any(0 < p.fraction < 1 for p in progress)
    assert result.folder == tmp_path / "inbox" / series.series_uid
    assert not list((tmp_path / "inbox").glob(".partial-*"))
    # the same HU and UIDs as an independent read of the original files
    reader = sitk.ImageSeriesReader()
    original = sitk.GetArrayFromImage(
        sitk.ReadImage(reader.GetGDCMSeriesFileNames(str(dicom_folder(small_cohort, "HSP-0001"))))
    )
    copied = sitk.GetArrayFromImage(sitk.ReadImage(reader.GetGDCMSeriesFileNames(str(result.folder))))
    np.testing.assert_array_equal(original, copied)
    uids = {
        str(pydicom.dcmread(p, stop_before_pixels=True).SeriesInstanceUID) for p in result.folder.iterdir()
    }
    assert uids == {series.series_uid}
    logged = reg.dicom_transfers("HSP-0001")
    assert [t["direction"] for t in logged] == ["query", "retrieve"]
    assert all(t["status"] == "ok" and t["username"] == "admin" for t in logged)
    assert [t["direction"] for t in reg.dicom_transfers()][:1] == ["echo"]


def test_cancelled_retrieve_keeps_nothing(registry: Any, mini_node: PacsNode, tmp_path: Path) -> None:
    reg, admin = registry
    found = service.query_recipient(reg, admin, mini_node, "HSP-0001")
    [series] = next(iter(found.series.values()))
    calls = {"n": 0}

    def cancelled() -> bool:
        calls["n"] += 1
        return calls["n"] > 3

    with pytest.raises(CancelledError):
        for _ in service.retrieve(
            reg, admin, mini_node, "HSP-0001", series, tmp_path / "in", cancelled=cancelled
        ):
            pass
    assert list((tmp_path / "in").iterdir()) == []
    assert reg.dicom_transfers("HSP-0001")[-1]["status"].startswith("failed: retrieve cancelled")


def test_query_never_lists_another_patient_and_needs_an_mrn(registry: Any, mini_node: PacsNode) -> None:
    reg, admin = registry
    one = service.query_recipient(reg, admin, mini_node, "HSP-0001")
    two = service.query_recipient(reg, admin, mini_node, "HSP-0002")
    assert {s.patient_id for s in one.studies} == {one.patient_id}
    assert {s.study_uid for s in one.studies}.isdisjoint({s.study_uid for s in two.studies})
    with pytest.raises(NetworkError, match="exact hospital number"):
        DicomClient(mini_node).find_studies("HSP*")


def test_unknown_workstation_unreachable_node_and_readonly_user_are_clear_errors(
    registry: Any, mini_pacs: MiniPacs
) -> None:
    reg, admin = registry
    stranger = DicomClient(
        PacsNode("Mini", mini_pacs.ae_title, "127.0.0.1", mini_pacs.port), local_ae="STRANGER", timeout=5
    )
    with pytest.raises(NetworkError, match="rejected this workstation") as info:
        stranger.echo()
    assert "STRANGER" in str(info.value)
    closed = PacsNode("Gone", "NOBODY", "127.0.0.1", free_port())
    with pytest.raises(NetworkError, match="cannot be reached"):
        service.test_connection(reg, admin, closed)
    assert reg.dicom_transfers()[-1]["status"].startswith("failed")
    reg.add_user("reader", "correct horse battery", "readonly", by=admin)
    reader = reg.authenticate("reader", "correct horse battery")
    node = PacsNode("Mini", mini_pacs.ae_title, "127.0.0.1", mini_pacs.port)
    with pytest.raises(AuthError, match="may not query"):
        service.query_recipient(reg, reader, node, "HSP-0001")


def test_tls_node_is_verified_against_its_ca(small_cohort: Path, tmp_path: Path) -> None:
    import ssl

    from pacs_servers import make_tls_files

    ca, cert, key = make_tls_files(tmp_path / "tls")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    server = MiniPacs(small_cohort / "images").start(ssl_context=server_ctx)
    try:
        trusted = PacsNode("TLS PACS", server.ae_title, "127.0.0.1", server.port, tls=True, ca_file=str(ca))
        assert DicomClient(trusted).echo() >= 0.0
        found = DicomClient(trusted).find_studies(patient_id(small_cohort, "HSP-0001"))
        assert len(found) == 1
        # the system's CA store does not know the test CA: the connection is refused, not silently trusted
        untrusted = PacsNode("TLS PACS", server.ae_title, "127.0.0.1", server.port, tls=True)
        with pytest.raises(NetworkError):
            DicomClient(untrusted, timeout=5).echo()
        # a CA file that is not there is a clear error naming the TLS files
        with pytest.raises(NetworkError, match="TLS files"):
            DicomClient(
                PacsNode("x", "X", "127.0.0.1", server.port, tls=True, ca_file=str(cert.parent / "nope.pem"))
            ).echo()
    finally:
        server.stop()

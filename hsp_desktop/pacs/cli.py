"""``hsp pacs ...`` (DICOM nodes, query, retrieve, send back) and ``hsp export --fhir``."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from hsp_desktop.pipeline.cli import add_registry_arguments, open_and_sign_in, run_with_bar


def register(subparsers: Any) -> None:
    """Add ``pacs`` and ``export``."""
    pacs = subparsers.add_parser(
        "pacs",
        help="DICOM nodes: test, query, retrieve a CT series, send the report, mask and SR back",
        description="Talk to the hospital's PACS over DICOM (only to the nodes configured here; the workstation "
        "never listens on a port). Every operation is recorded in the registry's audit trail.",
    )
    sub = pacs.add_subparsers(dest="pacs_command", metavar="ACTION", required=True)

    nodes = sub.add_parser("nodes", help="list, add or remove PACS nodes (administrators)")
    add_registry_arguments(nodes)
    nodes.add_argument("--add", nargs=4, metavar=("NAME", "AE_TITLE", "HOST", "PORT"), help="add a node")
    nodes.add_argument("--tls", action="store_true", help="with --add: DICOM over TLS")
    nodes.add_argument(
        "--ca-file", default="", help="with --add --tls: CA bundle (PEM) of the node's certificate"
    )
    nodes.add_argument("--remove", metavar="NAME", help="remove a node")
    nodes.add_argument("--local-ae", help="set this workstation's AE title")
    nodes.set_defaults(handler=_nodes)

    for name, helptext, handler in (
        ("echo", "test the connection to a node (C-ECHO)", _echo),
        ("query", "list a recipient's studies and series on a node (C-FIND by the stored MRN)", _query),
        ("retrieve", "retrieve one series of a recipient (C-GET) into a folder to score", _retrieve),
        ("send", "send a saved prediction's PDF, mask (SEG) and SR into the CT's study (C-STORE)", _send),
    ):
        p = sub.add_parser(name, help=helptext)
        add_registry_arguments(p)
        p.add_argument("--node", required=True, help="node name (see `hsp pacs nodes`)")
        if name != "echo":
            p.add_argument("--recipient", required=True, help="study id, e.g. HSP-0001")
        if name == "query":
            p.add_argument("--from", dest="date_from", help="first study date, YYYY-MM-DD")
            p.add_argument("--to", dest="date_to", help="last study date, YYYY-MM-DD")
            p.add_argument("--json", action="store_true", help="machine-readable output")
        if name == "retrieve":
            p.add_argument("--series", required=True, help="SeriesInstanceUID (from `hsp pacs query`)")
            p.add_argument(
                "--out", type=Path, help="folder for retrieved series (default: <data>/pacs-inbox)"
            )
            p.add_argument("--quiet", action="store_true", help="no progress bar")
        if name == "send":
            p.add_argument("--prediction", type=int, help="prediction id (default: the latest)")
            p.add_argument("--pdf", type=Path, help="the report PDF (default: the one written when scoring)")
        p.set_defaults(handler=handler)

    export = subparsers.add_parser(
        "export", help="export a recipient's prediction for the electronic record (FHIR R4B JSON)"
    )
    add_registry_arguments(export)
    export.add_argument("--fhir", action="store_true", required=True, help="write a FHIR Bundle (required)")
    export.add_argument("--recipient", required=True, help="study id")
    export.add_argument("--prediction", type=int, help="prediction id (default: the latest)")
    export.add_argument("--pdf", type=Path, help="attach this report PDF as a DocumentReference")
    export.add_argument("--out", type=Path, required=True, help="output folder")
    export.set_defaults(handler=_export)


def _node(registry: Any, name: str) -> Any:
    from hsp_desktop.pacs.nodes import find_node, load_nodes

    return find_node(load_nodes(registry), name)


def _nodes(args: argparse.Namespace) -> int:
    from hsp_desktop.pacs.nodes import PacsNode, load_nodes, node_from_dict, save_nodes

    registry, user = open_and_sign_in(args)
    with registry:
        nodes = load_nodes(registry)
        if args.add:
            name, ae, host, port = args.add
            node = node_from_dict(
                {
                    "name": name,
                    "ae_title": ae,
                    "host": host,
                    "port": port,
                    "tls": args.tls,
                    "ca_file": args.ca_file,
                },
                len(nodes),
            )
            save_nodes(registry, [*nodes, node], by=user, reason=f"PACS node {name} added")
            nodes = load_nodes(registry)
        if args.remove:
            kept: list[PacsNode] = [n for n in nodes if n.name.casefold() != args.remove.casefold()]
            if len(kept) == len(nodes):
                _node(registry, args.remove)  # raises the "no such node" error listing the known ones
            save_nodes(registry, kept, by=user, reason=f"PACS node {args.remove} removed")
            nodes = kept
        if args.local_ae:
            from hsp_desktop.errors import ValidationError
            from hsp_desktop.pacs.nodes import check_ae_title

            problems = check_ae_title(args.local_ae, "pacs_local_ae")
            if problems:
                raise ValidationError("This workstation's AE title is not valid", problems=problems)
            registry.set_setting("pacs_local_ae", args.local_ae, by=user)
        from hsp_desktop.pacs.nodes import local_ae_title

        print(f"this workstation: {local_ae_title(registry)}")
        for n in nodes:
            print(n.describe())
        if not nodes:
            print("no PACS node configured (add one with --add NAME AE_TITLE HOST PORT)")
    return 0


def _echo(args: argparse.Namespace) -> int:
    from hsp_desktop.pacs.service import test_connection

    registry, user = open_and_sign_in(args)
    with registry:
        node = _node(registry, args.node)
        seconds = test_connection(registry, user, node)
        print(f"{node.describe()}: answered in {1000 * seconds:.0f} ms")
    return 0


def _query(args: argparse.Namespace) -> int:
    from hsp_desktop.pacs.service import query_recipient

    registry, user = open_and_sign_in(args)
    with registry:
        result = query_recipient(
            registry,
            user,
            _node(registry, args.node),
            args.recipient,
            date_from=args.date_from,
            date_to=args.date_to,
        )
    if args.json:
        print(
            json.dumps(
                {
                    "study_id": result.study_id,
                    "studies": [
                        {**asdict(s), "series": [asdict(x) for x in result.series[s.study_uid]]}
                        for s in result.studies
                    ],
                },
                indent=1,
                ensure_ascii=False,
            )
        )
        return 0
    if not result.studies:
        print(f"{args.recipient}: no study on {args.node} for this MRN and dates")
    for s in result.studies:
        print(f"{s.study_date}  {s.accession or '-'}  {s.description or '(no description)'}  [{s.study_uid}]")
        for x in result.series[s.study_uid]:
            n = "?" if x.n_instances is None else x.n_instances
            print(
                f"    #{x.series_number or '-':>4}  {x.modality:<4} {n:>5} images  {x.description}  [{x.series_uid}]"
            )
    return 0


def _retrieve(args: argparse.Namespace) -> int:
    from hsp_desktop.errors import Problem, ValidationError
    from hsp_desktop.pacs.service import query_recipient, retrieve
    from hsp_desktop.pipeline.paths import user_data_dir

    registry, user = open_and_sign_in(args)
    with registry:
        node = _node(registry, args.node)
        found = query_recipient(registry, user, node, args.recipient)
        series = [x for xs in found.series.values() for x in xs if x.series_uid == args.series]
        if not series:
            raise ValidationError(
                "That series is not one of the recipient's on this node",
                problems=[Problem("series", args.series, "not found", "pick a series from `hsp pacs query`")],
                field="series",
            )
        out = args.out or user_data_dir() / "pacs-inbox"
        result = run_with_bar(
            retrieve(registry, user, node, args.recipient, series[0], out), quiet=args.quiet
        )
    print(f"{result.n_files} images in {result.seconds:.1f} s: {result.folder}")
    print(f"score it with: hsp score --recipient {args.recipient} --ct {result.folder} --mask MASK")
    return 0


def _send(args: argparse.Namespace) -> int:
    from hsp_desktop.pacs.service import send_prediction

    registry, user = open_and_sign_in(args)
    with registry:
        node = _node(registry, args.node)
        results = send_prediction(registry, user, node, args.recipient, args.prediction, pdf=args.pdf)
    for r in results:
        print(f"stored {r.sop_instance_uid} (status 0x{r.status:04X})")
    print(f"sent {len(results)} objects to {node.describe()}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from hsp_desktop.pacs.fhir import export_fhir

    registry, user = open_and_sign_in(args)
    with registry:
        path = export_fhir(
            registry, user, args.recipient, args.out, prediction_id=args.prediction, pdf=args.pdf
        )
    print(f"FHIR bundle: {path}")
    return 0

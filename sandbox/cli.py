"""``labred sandbox ...``: stand-ins for the outside world (SUNAT, laboratory, messaging)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from labred.errors import clear_failures


def register(sub: Any) -> None:
    sb = sub.add_parser(
        "sandbox",
        help="run a stand-in of an external system",
        description="Stand-ins used by the demo and the tests.",
    )
    ssub = sb.add_subparsers(dest="sandbox_command", metavar="SYSTEM")
    ssub.required = True

    p = ssub.add_parser(
        "sunat",
        help="SUNAT SEE simulator (SOAP)",
        description="SUNAT SEE simulator: sendBill, sendSummary, getStatus, "
        "getStatusCdr, with fault switches.",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8190)
    p.add_argument("--sunat-data", type=Path, help="SUNAT validation data (XSD/XSL) directory")
    p.add_argument("--state-db", type=Path, help="keep received documents in this SQLite file")
    p.set_defaults(handler=sunat)

    p = ssub.add_parser(
        "lab",
        help="laboratory system (REST and HL7 over MLLP)",
        description="Laboratory system stand-in: REST orders, HL7 v2 over MLLP with ACKs, "
        "ORU^R01 results sent back after a delay, fault switches (POST /_lab/faults).",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on")
    p.add_argument("--port", type=int, default=8191, help="REST / admin port")
    p.add_argument("--mllp-port", type=int, default=2576, help="MLLP port for orders")
    p.add_argument("--token", default="", help="bearer token the REST endpoint requires")
    p.add_argument("--results-mllp", default="", help="HOST:PORT of the sede's MLLP listener")
    p.add_argument("--results-webhook", default="", help="URL of the sede's results webhook")
    p.add_argument("--results-token", default="", help="token for the results webhook")
    p.add_argument("--result-delay", type=float, default=2.0, help="seconds before results")
    p.set_defaults(handler=lab)

    p = ssub.add_parser(
        "whatsapp",
        help="WhatsApp Cloud API stand-in",
        description="WhatsApp Business Cloud API stand-in: POST /{version}/{phone_number_id}/"
        "messages with a bearer token; GET /_sandbox/messages lists what it received.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on")
    p.add_argument("--port", type=int, default=8193, help="port to listen on")
    p.add_argument("--token", default="", help="bearer token to require (default: any)")
    p.set_defaults(handler=whatsapp)

    p = ssub.add_parser(
        "smtp",
        help="local SMTP server",
        description="A real SMTP server (aiosmtpd) that keeps every message it receives.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on")
    p.add_argument("--port", type=int, default=8025, help="port to listen on")
    p.add_argument("--folder", type=Path, help="also write each message as an .eml file here")
    p.set_defaults(handler=smtp)


def sunat(args: argparse.Namespace) -> int:
    from labred.serving import check_port

    with clear_failures():
        check_port(args.host, args.port)
    from sandbox.sunat.simulator import run

    run(args.host, args.port, args.sunat_data, state_db=args.state_db)
    return 0


def lab(args: argparse.Namespace) -> int:
    from labred.serving import check_port

    with clear_failures():
        check_port(args.host, args.port)
        check_port(args.host, args.mllp_port)
    from sandbox.lab.app import run

    run(
        args.host,
        args.port,
        args.mllp_port,
        token=args.token,
        results_mllp=args.results_mllp,
        results_webhook=args.results_webhook,
        results_token=args.results_token,
        result_delay=args.result_delay,
    )
    return 0


def whatsapp(args: argparse.Namespace) -> int:
    from labred.serving import check_port

    with clear_failures():
        check_port(args.host, args.port)
    from sandbox.whatsapp import run

    run(args.host, args.port, token=args.token)
    return 0


def smtp(args: argparse.Namespace) -> int:
    from labred.serving import check_port

    with clear_failures():
        check_port(args.host, args.port)
    from sandbox.smtp import run

    run(args.host, args.port, args.folder)
    return 0

"""``labred sandbox ...``: stand-ins for the outside world (SUNAT, laboratory, messaging)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from labred.errors import CliError, clear_failures


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

    for name, what in (
        ("lab", "laboratory system (REST and HL7 over MLLP)"),
        ("whatsapp", "WhatsApp Cloud API stand-in"),
        ("smtp", "local SMTP server"),
    ):
        p = ssub.add_parser(name, help=what, description=f"Stand-in: {what}.")
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=0)
        p.set_defaults(handler=_later, system=name)


def sunat(args: argparse.Namespace) -> int:
    from labred.serving import check_port

    with clear_failures():
        check_port(args.host, args.port)
    from sandbox.sunat.simulator import run

    run(args.host, args.port, args.sunat_data, state_db=args.state_db)
    return 0


def _later(args: argparse.Namespace) -> int:
    raise CliError(
        f"the {args.system} stand-in arrives with a later issue; it is not available in this "
        "version yet"
    )

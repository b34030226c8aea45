"""``labred tui``: the Textual reception app."""

from __future__ import annotations

import argparse
from typing import Any

from labred.errors import CliError


def register(sub: Any) -> None:
    p = sub.add_parser(
        "tui",
        help="open the terminal reception app",
        description="Textual reception app, a client of an edge's HTTP API.",
    )
    p.add_argument("--edge", default="http://127.0.0.1:8101", help="edge base URL")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    raise CliError(
        "the terminal reception app arrives with the TUI issue; it is not available in this "
        "version yet (use the edge's web page or API meanwhile)"
    )

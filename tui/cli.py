"""``labred tui``: the Textual reception app, a client of one edge node's HTTP API."""

from __future__ import annotations

import argparse
import shlex
import sys
from typing import Any

from labred.errors import CliError


def register(sub: Any) -> None:
    p = sub.add_parser(
        "tui",
        help="open the terminal reception app",
        description="Textual reception app, a client of an edge's HTTP API (never its "
        "database). Settings also come from LABRED_TUI_* environment variables.",
    )
    p.add_argument("--edge", default=None, help="edge base URL (default http://127.0.0.1:8101)")
    p.add_argument("--user", default=None, help="user name to pre-fill on the sign-in screen")
    p.set_defaults(handler=run)


def tui_command(edge_url: str) -> str:
    """The shell command that opens the TUI on the edge at ``edge_url`` (printed by the demo)."""
    return f"labred tui --edge {shlex.quote(edge_url)}"


def run(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from tui.api import EdgeApi
    from tui.app import ReceptionApp
    from tui.settings import TuiSettings

    overrides: dict[str, Any] = {}
    if args.edge:
        overrides["edge_url"] = args.edge
    if args.user:
        overrides["username"] = args.user
    try:
        settings = TuiSettings(**overrides)
    except ValidationError as exc:
        raise CliError(f"invalid TUI setting: {exc.errors()[0]['msg']}") from None
    if not settings.edge_url.startswith(("http://", "https://")):
        raise CliError(f"--edge must be an http:// or https:// URL, not {settings.edge_url!r}")
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise CliError("labred tui needs an interactive terminal (stdin and stdout are not a TTY)")
    api = EdgeApi.connect(settings.edge_url, timeout=settings.timeout)
    try:
        ReceptionApp(api, settings=settings).run()
    finally:
        api.close()
    return 0

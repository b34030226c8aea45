"""``labred``: one console script, one sub-command per part of the system.

Each side registers its own sub-commands (``edge/cli.py``, ``central/cli.py``, ...); heavy
imports happen inside the handlers so ``labred --help`` stays fast. Expected failures print one
sentence to stderr and exit 1 (2 for usage errors), never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

from labred.errors import CliError

Handler = Callable[[argparse.Namespace], int | None]


def build_parser() -> argparse.ArgumentParser:
    from central import cli as hub_cli
    from edge import cli as edge_cli
    from labred import demo_cli, migrate_cli, ops_cli
    from sandbox import cli as sandbox_cli
    from tui import cli as tui_cli

    parser = argparse.ArgumentParser(
        prog="labred",
        description="labred: clinical laboratory chain — edge nodes per sede and a central hub.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    edge_cli.register(sub)
    hub_cli.register(sub)
    tui_cli.register(sub)
    demo_cli.register(sub)
    sandbox_cli.register(sub)
    migrate_cli.register(sub)
    ops_cli.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Any = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        code = handler(args)
    except CliError as exc:
        print(f"labred: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return int(code or 0)


if __name__ == "__main__":
    sys.exit(main())

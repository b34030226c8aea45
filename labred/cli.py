"""``labred``: one console script, one sub-command per part of the system.

Each side registers its own sub-commands (``edge/cli.py``, ``central/cli.py``, ...); heavy
imports happen inside the handlers so ``labred --help`` stays fast. Expected failures print one
sentence to stderr and exit 1 (2 for usage errors), never a traceback.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from labred import gctune
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
    # ``labred hub create-admin`` lives here (central may not import labred's commands).
    hub_actions = next(
        action
        for action in sub.choices["hub"]._actions
        if isinstance(action, argparse._SubParsersAction)
    )
    ops_cli.add_create_admin_parser(hub_actions)
    tui_cli.register(sub)
    demo_cli.register(sub)
    sandbox_cli.register(sub)
    migrate_cli.register(sub)
    ops_cli.register(sub)
    return parser


def check_data_dir_owner(args: argparse.Namespace, argv: Sequence[str]) -> None:
    """Refuse to run as root on a data directory that belongs to the service user.

    Files root would create there (the database, its ``-wal``/``-shm``, node credentials after
    an enrolment or a restore) cannot be opened by the services afterwards, and the embedded
    PostgreSQL, started as root, hands its data directory to a user of its own. The message
    names the command to run instead.
    """
    data_dir = getattr(args, "data_dir", None)
    if data_dir is None or os.geteuid() != 0:
        return
    try:
        uid = Path(data_dir).stat().st_uid
    except OSError:
        return  # not there yet: the command creates it (or says why it cannot)
    if uid == 0:
        return
    try:
        import pwd

        owner = pwd.getpwuid(uid).pw_name
    except KeyError:
        owner = f"#{uid}"
    prog = sys.argv[0] if Path(sys.argv[0]).name == "labred" else "labred"
    raise CliError(
        f"{data_dir} belongs to user '{owner}': run this command as that user, not as root "
        f"(files root creates there would lock the services out): "
        f"sudo -u {owner} {shlex.join([prog, *argv])}"
    )


def _invalid(exc: Any) -> str:
    """One sentence of a pydantic ValidationError (a value that reached a model unchecked)."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "value"
    return f"invalid {where}: {first['msg']}"


def main(argv: Sequence[str] | None = None) -> int:
    gctune.for_startup()
    from pydantic import ValidationError

    from domain.errors import LabError

    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    handler: Any = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        check_data_dir_owner(args, argv)
        code = handler(args)
    except CliError as exc:
        print(f"labred: error: {exc}", file=sys.stderr)
        return 1
    except LabError as exc:
        print(f"labred: error: {exc.msg} ({exc.code})", file=sys.stderr)
        return 1
    except ValidationError as exc:
        print(f"labred: error: {_invalid(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return int(code or 0)


if __name__ == "__main__":
    sys.exit(main())

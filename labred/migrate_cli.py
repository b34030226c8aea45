"""``labred migrate edge|hub``: apply the database migrations of one side."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from labred.errors import clear_failures


def register(sub: Any) -> None:
    p = sub.add_parser(
        "migrate",
        help="apply database migrations (edge or hub)",
        description="Apply the Alembic migrations of the edge or the hub.",
    )
    p.add_argument("side", choices=["edge", "hub"], help="which database")
    p.add_argument("--data-dir", type=Path, required=True, help="data directory of the node")
    p.add_argument("--config", type=Path, help="TOML configuration file")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from sync.config import ensure_data_dir

    with clear_failures():
        ensure_data_dir(args.data_dir)
        if args.side == "edge":
            from edge.runtime import EdgeRuntime
            from edge.settings import load_edge_settings

            rt = EdgeRuntime.open(load_edge_settings(args.data_dir, args.config))
            rt.migrate()
            rt.engine.dispose()
        else:
            from central.runtime import HubRuntime
            from central.settings import load_hub_settings

            hub = HubRuntime.open(load_hub_settings(args.data_dir, args.config))
            hub.migrate()
            hub.close()
    print(f"{args.side}: schema up to date")
    return 0

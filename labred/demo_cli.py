"""``labred demo``: hub, N edges and the sandbox on one machine (DESIGN.md section 9)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "demo",
        help="start a hub and N edges (and play business days with --headless)",
        description="Start the sandbox, the hub and N edge nodes, each on its own port "
        "(hub on PORT_BASE, edge k on PORT_BASE+k). Without --headless it stays up until "
        "Ctrl-C; with --headless it plays the business days, checks the invariants and exits.",
    )
    p.add_argument("--sedes", type=int, default=2, help="number of edge nodes (default 2)")
    p.add_argument("--port-base", type=int, default=8100, help="hub port; edge k gets base+k")
    p.add_argument(
        "--data-dir",
        type=Path,
        default=Path("./demo-data"),
        help="where every node keeps its data (left in place; --headless first removes an "
        "earlier demo's data there, and refuses a directory holding anything else)",
    )
    p.add_argument("--headless", action="store_true", help="play the days and exit")
    p.add_argument("--days", type=int, default=1, help="business days to play (headless)")
    p.add_argument("--orders-per-day", type=int, default=20, help="orders per sede and day")
    p.add_argument("--seed", type=int, default=7, help="random seed of the generated day")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from labred.demo.orchestrator import Demo, DemoOptions

    options = DemoOptions(
        sedes=args.sedes,
        port_base=args.port_base,
        data_dir=args.data_dir,
        headless=args.headless,
        days=args.days,
        orders_per_day=args.orders_per_day,
        seed=args.seed,
    )
    return Demo(options).run()

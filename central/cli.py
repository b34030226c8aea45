"""``labred hub ...``: serve, worker, migrate."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from labred.errors import CliError, clear_failures


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", type=Path, required=True, help="data directory of the hub")
    p.add_argument(
        "--config", type=Path, help="TOML configuration file (default: DATA_DIR/hub.toml)"
    )


def register(sub: Any) -> None:
    hub = sub.add_parser(
        "hub",
        help="run the central hub",
        description="Commands of the central hub (FastAPI + PostgreSQL).",
    )
    hsub = hub.add_subparsers(dest="hub_command", metavar="ACTION")
    hsub.required = True

    p = hsub.add_parser(
        "serve",
        help="start the hub API",
        description="Start the hub API (and the embedded PostgreSQL when DATABASE_URL is unset).",
    )
    _common(p)
    p.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port to listen on (default 8100)")
    p.set_defaults(handler=serve)

    p = hsub.add_parser(
        "migrate",
        help="apply the hub database migrations",
        description="Apply the hub database migrations.",
    )
    _common(p)
    p.set_defaults(handler=migrate)

    p = hsub.add_parser(
        "worker",
        help="run the hub worker (reconciliation, notifications)",
        description="Run the hub's scheduled jobs.",
    )
    _common(p)
    p.set_defaults(handler=worker)


def _runtime(args: argparse.Namespace, **overrides: Any) -> Any:
    from central.runtime import HubRuntime
    from central.settings import load_hub_settings
    from sync.config import ensure_data_dir

    ensure_data_dir(args.data_dir)
    return HubRuntime.open(load_hub_settings(args.data_dir, args.config, **overrides))


def serve(args: argparse.Namespace) -> int:
    from central.app import create_app
    from central.settings import load_hub_settings
    from labred.serving import check_port
    from labred.serving import serve as run_server
    from sync.config import ensure_data_dir
    from sync.webapp import configure_logging

    with clear_failures():
        ensure_data_dir(args.data_dir)
        settings = load_hub_settings(args.data_dir, args.config, host=args.host, port=args.port)
        check_port(settings.host, settings.port)
        from central.runtime import HubRuntime

        rt = HubRuntime.open(settings)
        configure_logging(settings.log_level)
        app = create_app(settings, runtime=rt)
        try:
            run_server(app, settings.host, settings.port, log_level=settings.log_level)
        finally:
            rt.close()
    return 0


def migrate(args: argparse.Namespace) -> int:
    with clear_failures():
        rt = _runtime(args)
        rt.migrate()
        rt.close()
    print("hub: schema up to date")
    return 0


def worker(args: argparse.Namespace) -> int:
    raise CliError(
        "the hub worker (daily reconciliation, notifications) arrives with the hub issue; it is "
        "not available in this version yet"
    )

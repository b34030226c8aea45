"""``labred hub ...``: serve, worker, migrate, seed."""

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
        "seed",
        help="load the demo chain (company, sedes, users, catalog)",
        description="Create the demo company, sedes S01..S0N with their series, one user per "
        "role and the demo catalog and convenios; only what is missing is created.",
    )
    _common(p)
    p.add_argument("--sedes", type=int, default=2, help="number of sedes (default 2)")
    p.add_argument(
        "--admin-password",
        required=True,
        help="password of every demo user (admin, supervisor.s01, recepcion.s01, ...)",
    )
    p.add_argument(
        "--lab-port-base",
        type=int,
        help="also create a laboratory system per sede k at the demo's stand-in "
        "(MLLP 127.0.0.1:P+300+k, results listener P+400+k), every demo test mapped",
    )
    p.set_defaults(handler=seed)

    p = hsub.add_parser(
        "restore",
        help="replace the hub database with a backup (run with labred-hub stopped)",
        description="Restore a pg_dump backup (DATA_DIR/backups/*.dump) into the hub database "
        "in one transaction, after taking a safety backup of the current state. Stop "
        "labred-hub and labred-hub-worker first.",
    )
    _common(p)
    p.add_argument("file", type=Path, help="the .dump file to restore")
    p.add_argument(
        "--no-safety-backup", action="store_true", help="do not back up the current state first"
    )
    p.set_defaults(handler=restore)

    p = hsub.add_parser(
        "worker",
        help="run the hub worker (reconciliation, notifications)",
        description="Run the hub's scheduled jobs: the daily reconciliation of every sede at "
        "the configured hour (America/Lima), notification dispatch every few seconds with "
        "retries, and scheduled catalog prices. SMTP and WhatsApp are configured with "
        "LABRED_HUB_NOTIFY_* variables or DATA_DIR/notifications.toml.",
    )
    _common(p)
    p.set_defaults(handler=worker)

    p = hsub.add_parser(
        "housekeeping",
        help="prune what has no value after its period (audit, expired sign-ins)",
        description="Run the worker's daily housekeeping now: the hub's audit and the sedes' "
        "audit copies older than retention_audit_days, expired sign-ins, password-reset tokens "
        "and idle login-throttle rows; prints what it deleted per table.",
    )
    _common(p)
    p.set_defaults(handler=housekeeping)


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


def seed(args: argparse.Namespace) -> int:
    from central.db import unit_of_work
    from central.seed import MAX_SEDES, seed_demo
    from domain.errors import LabError

    if not 1 <= args.sedes <= MAX_SEDES:
        raise CliError(f"--sedes must be between 1 and {MAX_SEDES}")
    if len(args.admin_password) < 8:
        raise CliError("--admin-password must have at least 8 characters")
    with clear_failures():
        rt = _runtime(args)
        try:
            rt.check_schema()
            with unit_of_work(rt.engine) as session:
                summary = seed_demo(
                    session, clock=rt.clock, sedes=args.sedes, admin_password=args.admin_password,
                    lab_port_base=args.lab_port_base,
                )  # fmt: skip
        except LabError as exc:
            raise CliError(exc.msg) from None
        finally:
            rt.close()
    created = ", ".join(f"{n} {k}" for k, n in sorted(summary.created.items())) or "nothing new"
    print(f"hub: demo seeded ({created}); sedes {', '.join(summary.sede_codes)}")
    print(f"hub: users {', '.join(summary.usernames)}")
    return 0


def worker(args: argparse.Namespace) -> int:
    from central.worker import run_worker
    from sync.webapp import configure_logging

    with clear_failures():
        rt = _runtime(args)
        try:
            rt.check_schema()
            configure_logging(rt.settings.log_level)
            run_worker(rt)
        finally:
            rt.close()
    return 0


def restore(args: argparse.Namespace) -> int:
    from central.backup.cli import restore as run_restore

    return run_restore(args)


def housekeeping(args: argparse.Namespace) -> int:
    from central.housekeeping import run

    with clear_failures():
        rt = _runtime(args)
        try:
            rt.check_schema()
            report = run(rt.engine, clock=rt.clock)
        finally:
            rt.close()
    print("\n".join(report.lines("hub")))
    return 0

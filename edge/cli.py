"""``labred edge ...``: serve, worker, init, enroll, migrate."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from labred.errors import CliError, clear_failures

MAX_WORKERS = 16


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", type=Path, required=True, help="data directory of this node")
    p.add_argument(
        "--config", type=Path, help="TOML configuration file (default: DATA_DIR/edge.toml)"
    )


def register(sub: Any) -> None:
    edge = sub.add_parser(
        "edge",
        help="run a sede's edge node",
        description="Commands of a sede's edge node (FastAPI + SQLite).",
    )
    esub = edge.add_subparsers(dest="edge_command", metavar="ACTION")
    esub.required = True

    p = esub.add_parser("serve", help="start the edge API", description="Start the edge API.")
    _common(p)
    p.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port to listen on (default 8101)")
    p.add_argument(
        "--workers",
        metavar="N",
        help=f"API processes sharing the port, 1-{MAX_WORKERS} (default: the 'workers' "
        "setting, LABRED_EDGE_WORKERS, else 1)",
    )
    p.set_defaults(handler=serve)

    p = esub.add_parser(
        "migrate",
        help="apply the edge database migrations",
        description="Apply the edge database migrations.",
    )
    _common(p)
    p.set_defaults(handler=migrate)

    p = esub.add_parser(
        "init",
        help="initialise a node before it is enrolled with a hub",
        description="Create the database and, until a hub is enrolled, a local bootstrap admin.",
    )
    _common(p)
    p.add_argument("--sede-code", default="S01", help="code of this sede (e.g. S01)")
    p.add_argument("--sede-name", help="name of this sede")
    p.add_argument("--admin-user", default="admin", help="bootstrap admin user name")
    p.add_argument("--admin-password", help="bootstrap admin password (generated if omitted)")
    p.add_argument(
        "--demo-catalog",
        action="store_true",
        help="load a realistic demo catalog (until the hub sends its own)",
    )
    p.set_defaults(handler=init)

    p = esub.add_parser(
        "worker",
        help="run the background worker (sync, SUNAT, lab queues)",
        description="Run the edge worker: pushes and pulls with the hub and "
        "works the SUNAT and laboratory queues.",
    )
    _common(p)
    p.set_defaults(handler=worker)

    p = esub.add_parser(
        "enroll",
        help="enroll this node with a hub",
        description="Exchange a one-time enrolment code for node credentials.",
    )
    _common(p)
    p.add_argument("--hub", required=True, help="hub base URL")
    p.add_argument("--code", required=True, help="one-time enrolment code")
    p.set_defaults(handler=enroll)

    p = esub.add_parser(
        "housekeeping",
        help="prune what has no value after its period (audit, acked outbox, old sign-ins)",
        description="Run the worker's daily housekeeping now: audit and access log older than "
        "retention_audit_days, outbox rows the hub acknowledged more than "
        "retention_backup_days + 2 days ago, expired sign-ins, idle login-throttle rows and "
        "Idempotency-Keys older than 7 days; prints what it deleted per table.",
    )
    _common(p)
    p.set_defaults(handler=housekeeping)

    p = esub.add_parser(
        "lab-listener",
        help="receive laboratory results (HL7 ORU^R01 over MLLP)",
        description="Listen for HL7 v2 ORU^R01 results over MLLP and answer each with an ACK.",
    )
    _common(p)
    p.add_argument(
        "--host",
        default=None,
        help="address to listen on (default: lab_listener of edge.toml, else 127.0.0.1)",
    )
    p.add_argument(
        "--port",
        type=int,
        default=None,
        help="MLLP port (default: lab_listener of edge.toml, else 2575)",
    )
    p.set_defaults(handler=lab_listener)


def _runtime(args: argparse.Namespace, **overrides: Any) -> Any:
    from edge.runtime import EdgeRuntime
    from edge.settings import load_edge_settings
    from sync.config import ensure_data_dir

    ensure_data_dir(args.data_dir)
    settings = load_edge_settings(args.data_dir, args.config, **overrides)
    return EdgeRuntime.open(settings)


def parse_workers(value: str, source: str) -> int:
    """``--workers`` / ``LABRED_EDGE_WORKERS`` as a number of processes, or a Spanish error."""
    try:
        workers = int(value.strip())
    except ValueError:
        workers = 0
    if not 1 <= workers <= MAX_WORKERS:
        raise CliError(
            f"{source} debe ser un número entero entre 1 y {MAX_WORKERS} "
            f"(procesos de la API); se recibió {value!r}."
        )
    return workers


def serve(args: argparse.Namespace) -> int:
    import os

    from edge.app import create_app
    from labred.serving import check_port
    from labred.serving import serve as run_server
    from sync.webapp import configure_logging

    workers = None
    if args.workers is not None:
        workers = parse_workers(args.workers, "--workers")
    elif "LABRED_EDGE_WORKERS" in os.environ:
        parse_workers(os.environ["LABRED_EDGE_WORKERS"], "LABRED_EDGE_WORKERS")
    with clear_failures():
        rt = _runtime(args, host=args.host, port=args.port, workers=workers)
        settings = rt.settings
        configure_logging(settings.log_level)
        if settings.workers > 1:
            _serve_workers(rt)
            return 0
        check_port(settings.host, settings.port)
        app = create_app(settings, runtime=rt)
        run_server(app, settings.host, settings.port, log_level=settings.log_level)
    return 0


def _serve_workers(rt: Any) -> None:
    """``settings.workers`` API processes on one socket (labred.supervisor). The schema is
    checked here, once; each child then opens its own engine (nothing opened before the fork
    is used after it)."""
    import importlib

    from edge.app import ROUTER_MODULES, create_app
    from edge.runtime import EdgeRuntime
    from labred.supervisor import serve_workers

    settings = rt.settings
    rt.check_schema()
    rt.engine.dispose()
    for module in ROUTER_MODULES:  # imported once, before the fork: the children share it
        importlib.import_module(module)

    def make_app(index: int) -> Any:
        return create_app(settings, runtime=EdgeRuntime.open(settings))

    serve_workers(
        make_app, settings.host, settings.port, workers=settings.workers,
        log_level=settings.log_level,
    )  # fmt: skip


def migrate(args: argparse.Namespace) -> int:
    with clear_failures():
        rt = _runtime(args)
        rt.migrate()
    print("edge: schema up to date")
    return 0


def init(args: argparse.Namespace) -> int:
    import secrets

    from sqlmodel import select

    from domain.clock import SystemClock
    from domain.errors import LabError
    from edge.auth.models import User
    from edge.config.service import initialize
    from edge.db import unit_of_work

    password = args.admin_password or secrets.token_urlsafe(9)
    with clear_failures():
        rt = _runtime(args)
        rt.migrate()
        with unit_of_work(rt.engine) as session:
            existing = select(User).where(User.username == args.admin_user)
            had_admin = session.exec(existing).first() is not None
            try:
                sede = initialize(
                    session,
                    sede_code=args.sede_code,
                    sede_name=args.sede_name,
                    admin_username=args.admin_user,
                    admin_password=password,
                    clock=SystemClock(),
                )
            except LabError as exc:
                raise CliError(exc.msg) from None
            if args.demo_catalog:
                from edge.catalog.demo import load_demo_catalog

                load_demo_catalog(session, clock=SystemClock())
        rt.engine.dispose()
    print(f"edge: initialised in {args.data_dir} (sede {sede.code}, id {sede.id})")
    if had_admin:
        print(f"bootstrap admin: {args.admin_user} already exists (its password is unchanged)")
    elif not args.admin_password:
        print(f"bootstrap admin: {args.admin_user} / {password}")
    return 0


def worker(args: argparse.Namespace) -> int:
    from edge.worker import run_worker
    from sync.webapp import configure_logging

    with clear_failures():
        rt = _runtime(args)
        rt.check_schema()
        configure_logging(rt.settings.log_level)
        run_worker(rt)
    return 0


LAB_LISTENER_DEFAULT = ("127.0.0.1", 2575)


def lab_listener_bind(
    host: str | None, port: int | None, configured: tuple[str, int] | None
) -> tuple[str, int]:
    """Where ``labred edge lab-listener`` listens: each flag given wins; what is not given
    comes from ``lab_listener`` of edge.toml / ``LABRED_EDGE_LAB_LISTENER`` (``configured``),
    else 127.0.0.1:2575."""
    base_host, base_port = configured or LAB_LISTENER_DEFAULT
    return (base_host if host is None else host, base_port if port is None else port)


def lab_listener(args: argparse.Namespace) -> int:
    from edge.labsync.listener import serve_forever
    from edge.labsync.worker import make_handler
    from labred.serving import check_port
    from sync.webapp import configure_logging

    with clear_failures():
        rt = _runtime(args)
        rt.check_schema()
        host, port = lab_listener_bind(args.host, args.port, rt.settings.lab_listener_address)
        check_port(host, port)
        configure_logging(rt.settings.log_level)
        print(f"edge: lab MLLP listener on {host}:{port}", flush=True)
        serve_forever(make_handler(rt), host, port)
    return 0


def enroll(args: argparse.Namespace) -> int:
    from domain.clock import SystemClock
    from domain.errors import LabError
    from edge.sync.enroll import enroll as enroll_node

    with clear_failures():
        rt = _runtime(args)
        rt.migrate()
        try:
            info = enroll_node(
                rt.engine,
                rt.settings.data_dir,
                hub_url=args.hub,
                code=args.code,
                clock=SystemClock(),
            )
        except LabError as exc:
            raise CliError(f"enrolment failed: {exc.msg} ({exc.code})") from None
        finally:
            rt.engine.dispose()
    print(
        f"edge: enrolled as node {info['node_id']} (sede {info['sede_id']}, epoch "
        f"{info['epoch']}); credentials in {info['credentials']}"
    )
    skipped: dict[str, int] = info.get("reimport_skipped") or {}
    if info.get("reimported") or info.get("renumbered") or skipped:
        reasons = ", ".join(f"{reason}: {n}" for reason, n in sorted(skipped.items())) or "none"
        print(
            f"edge: caught up from the hub after a restore: {info.get('reimported', 0)} records"
            f" taken back, {info.get('renumbered', 0)} local changes renumbered after seq "
            f"{info.get('resume_seq')}; skipped: {reasons}"
        )
    return 0


def housekeeping(args: argparse.Namespace) -> int:
    from edge.housekeeping import run

    with clear_failures():
        rt = _runtime(args)
        try:
            rt.check_schema()
            report = run(rt.engine, clock=rt.clock)
        finally:
            rt.engine.dispose()
    print("\n".join(report.lines("edge")))
    return 0

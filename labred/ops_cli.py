"""Operations: ``labred backup verify|hub`` and ``labred restore`` (the edge's Litestream replica).

``labred hub restore FILE`` lives with the hub's commands (``central/cli.py``).
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from labred.errors import CliError, clear_failures

SYSTEM_LITESTREAM_CONFIG = Path("/etc/labred/litestream.yml")


def register(sub: Any) -> None:
    backup = sub.add_parser(
        "backup",
        help="check the edge's replica, or back up the hub",
        description="Backups: 'verify' restores the edge's latest Litestream replica into a "
        "temporary directory and checks it; 'hub' runs pg_dump with retention.",
    )
    bsub = backup.add_subparsers(dest="backup_command", metavar="ACTION")
    bsub.required = True

    p = bsub.add_parser(
        "verify",
        help="restore the latest replica to a temp dir and check it",
        description="Restore the latest Litestream replica of the edge database into a "
        "temporary directory, run PRAGMA integrity_check and compare row counts per table with "
        "the live database; the same for the S3 replica when litestream-s3.yml sits beside the "
        "Litestream configuration and its endpoint answers (else it is reported as skipped). "
        "Exit 1 on integrity errors or a replica older than --max-lag while the live database "
        "has newer rows.",
    )
    _edge_args(p)
    p.add_argument(
        "--max-lag",
        type=float,
        default=300.0,
        help="seconds the replica may trail the live database (default 300)",
    )
    p.set_defaults(handler=verify)

    p = bsub.add_parser(
        "hub",
        help="back up the hub database now (pg_dump, with retention)",
        description="pg_dump the hub database into DATA_DIR/backups (or --output), keep the "
        "--keep newest dumps and log the run in backup_logs.",
    )
    p.add_argument("--data-dir", type=Path, required=True, help="data directory of the hub")
    p.add_argument(
        "--config", type=Path, help="TOML configuration file (default: DATA_DIR/hub.toml)"
    )
    p.add_argument(
        "--keep",
        type=int,
        default=14,
        help="dumps to keep on a manual run (default 14); --kind scheduled keeps the days of the"
        " setting retention_backup_days instead",
    )
    p.add_argument("--output", type=Path, help="directory of the dumps (default DATA_DIR/backups)")
    p.add_argument(
        "--kind",
        choices=["manual", "scheduled"],
        default="manual",
        help="how the run is logged (a timer passes 'scheduled')",
    )
    p.set_defaults(handler=hub_backup)

    p = sub.add_parser(
        "restore",
        help="restore the edge database from its Litestream replica",
        description="Put the latest Litestream replica in place of the edge database (stop "
        "labred-edge-worker, labred-edge, labred-litestream and labred-litestream-s3 first; "
        "run it as the labred user). The restored copy is "
        "checked before it replaces anything; an existing database is kept aside with --force. "
        "Afterwards re-enroll the node (labred edge enroll) so the hub bumps its epoch.",
    )
    _edge_args(p)
    p.add_argument(
        "--force",
        action="store_true",
        help="set the existing database aside (.before-restore-TIME) and restore",
    )
    p.set_defaults(handler=restore)


def _edge_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", type=Path, required=True, help="data directory of the edge")
    p.add_argument(
        "--config", type=Path, help="TOML configuration file (default: DATA_DIR/edge.toml)"
    )
    p.add_argument(
        "--litestream-config",
        type=Path,
        help=f"Litestream configuration (default: {SYSTEM_LITESTREAM_CONFIG} when present, "
        "else DATA_DIR/litestream.yml)",
    )


def _edge_paths(args: argparse.Namespace) -> tuple[Path, Path]:
    from edge.settings import load_edge_settings

    with clear_failures():
        settings = load_edge_settings(args.data_dir, args.config)
    config = args.litestream_config
    if config is None:
        config = (
            SYSTEM_LITESTREAM_CONFIG
            if SYSTEM_LITESTREAM_CONFIG.exists()
            else args.data_dir / "litestream.yml"
        )
    if not config.exists():
        raise CliError(f"Litestream configuration {config} does not exist (--litestream-config)")
    return config, settings.db_path


def verify(args: argparse.Namespace) -> int:
    from edge import backup, backup_verify

    config, db_path = _edge_paths(args)
    try:
        reports = backup_verify.verify_all(
            config,
            db_path,
            s3_config=backup.s3_config_path(config),
            max_lag=dt.timedelta(seconds=args.max_lag),
        )
    except backup.BackupError as exc:
        raise CliError(str(exc)) from None
    print("\n".join(r.summary() for r in reports))
    return 0 if all(r.ok for r in reports) else 1


def restore(args: argparse.Namespace) -> int:
    from edge import backup

    config, db_path = _edge_paths(args)
    try:
        kept = backup.restore_node(config, db_path, force=args.force)
    except backup.BackupError as exc:
        raise CliError(str(exc)) from None
    print(f"edge: restored {db_path} from the replica (integrity_check ok)")
    if kept is not None:
        print(f"edge: the previous database is kept as {kept}")
    config_arg = f" --config {args.config}" if args.config else ""
    print(
        f"edge: next: labred edge enroll --data-dir {args.data_dir}{config_arg} --hub URL --code "
        "CODE (a new code from the hub: new epoch), then start labred-litestream, "
        "labred-litestream-s3, labred-edge and labred-edge-worker"
    )
    return 0


def hub_backup(args: argparse.Namespace) -> int:
    from central.backup.cli import backup

    return backup(args)


def add_create_admin_parser(hsub: Any) -> None:
    """``labred hub create-admin``, added to the hub's sub-commands by ``labred/cli.py``."""
    p = hsub.add_parser(
        "create-admin",
        help="create a hub administrator (the first sign-in of a new hub)",
        description="Create an administrator on the hub so someone can sign in to the panel "
        "(a freshly installed hub has no users; 'labred hub seed' is demo data, not for a real "
        "chain). The password is asked twice on a terminal, or read from the first line of "
        "standard input. Run it as the service user: sudo -u labred labred hub create-admin ...",
    )
    p.add_argument("--data-dir", type=Path, required=True, help="data directory of the hub")
    p.add_argument(
        "--config", type=Path, help="TOML configuration file (default: DATA_DIR/hub.toml)"
    )
    p.add_argument("--username", default="admin", help="user name (default admin)")
    p.add_argument("--full-name", default="Administrador general", help="name shown in the panel")
    p.add_argument("--email", default="", help="e-mail (optional)")
    p.set_defaults(handler=hub_create_admin)


def _read_new_password() -> str:
    import getpass
    import sys

    if not sys.stdin.isatty():
        line = sys.stdin.readline()
        if not line.strip():
            raise CliError("no password given: type it on a terminal or pipe it on stdin")
        return line.rstrip("\r\n")
    first = getpass.getpass("password of the new administrator: ")
    if getpass.getpass("the same password again: ") != first:
        raise CliError("the two passwords differ; nothing was created")
    return first


def hub_create_admin(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from central.auth.schemas import UserCreate
    from central.auth.users import create_user
    from central.db import unit_of_work
    from central.runtime import HubRuntime
    from central.settings import load_hub_settings
    from domain.errors import LabError
    from domain.permissions import Role
    from sync.config import ensure_data_dir

    password = _read_new_password()
    try:
        data = UserCreate(
            username=args.username,
            full_name=args.full_name,
            email=args.email,
            role=Role.ADMIN,
            sede_ids=[],
            password=password,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise CliError(f"invalid {where}: {first['msg']}") from None
    with clear_failures():
        ensure_data_dir(args.data_dir)
        rt = HubRuntime.open(load_hub_settings(args.data_dir, args.config))
        try:
            rt.check_schema()
            with unit_of_work(rt.engine) as session:
                user = create_user(session=session, clock=rt.clock, actor=None, ip=None, data=data)
                username = user.username
        except LabError as exc:
            raise CliError(exc.msg) from None
        finally:
            rt.close()
    print(f"hub: administrator '{username}' created; sign in at http://HUB:PORT/panel")
    return 0

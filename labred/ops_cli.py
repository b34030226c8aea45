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
    p.add_argument("--keep", type=int, default=14, help="dumps to keep (default 14)")
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
        "labred-edge, labred-edge-worker and labred-litestream first). The restored copy is "
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
    print(
        "edge: next: labred edge enroll --hub URL --code CODE (new epoch), then start "
        "labred-litestream, labred-edge and labred-edge-worker"
    )
    return 0


def hub_backup(args: argparse.Namespace) -> int:
    from central.backup.cli import backup

    return backup(args)

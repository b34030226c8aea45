"""Handlers of ``labred hub restore FILE`` and ``labred backup hub`` (registered by the CLIs)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from labred.errors import CliError, clear_failures


def _runtime(args: argparse.Namespace) -> Any:
    from central.runtime import HubRuntime
    from central.settings import load_hub_settings
    from sync.config import ensure_data_dir

    ensure_data_dir(args.data_dir)
    return HubRuntime.open(load_hub_settings(args.data_dir, args.config))


def backup(args: argparse.Namespace) -> int:
    """One backup now (cron, a systemd timer, or a technician), with retention.

    ``--kind scheduled`` (the installer's nightly cron) keeps what the worker's scheduled
    backups keep: the dumps of the last ``retention_backup_days`` days (the hub's Parámetros
    setting), never the newest; ``--keep`` is not used then. A manual run keeps the ``--keep``
    newest dumps."""
    from central.backup import service
    from central.config.settings import backup_retention_days
    from central.db import unit_of_work

    if args.keep < 1:
        raise CliError("--keep must be at least 1")
    scheduled = args.kind == "scheduled"
    with clear_failures():
        rt = _runtime(args)
        try:
            rt.check_schema()
            directory = args.output or service.backup_dir(rt.settings.data_dir)
            with unit_of_work(rt.engine) as session:
                days = backup_retention_days(session=session) if scheduled else None
                log = service.create_backup(
                    session,
                    clock=rt.clock,
                    url=rt.url,
                    directory=directory,
                    keep=None if scheduled else args.keep,
                    retention_days=days,
                    kind=args.kind,
                    embedded=rt.embedded is not None,
                )
        finally:
            rt.close()
    if log.status != "ok":
        raise CliError(f"backup failed: {log.error}")
    rule = (
        f"older than {days} days (setting retention_backup_days)"
        if days is not None
        else f"beyond the newest {args.keep}"
    )
    print(
        f"hub: backup {directory / log.file_name} ({log.size_bytes} bytes, "
        f"{log.duration_ms} ms, sha256 {log.sha256[:16]}...); {log.pruned} old backup(s) "
        f"removed ({rule})"
    )
    return 0


def restore(args: argparse.Namespace) -> int:
    """Replace the hub database with a dump. Run it with labred-hub stopped."""
    from central.audit import service as audit
    from central.backup import service
    from central.db import unit_of_work

    file: Path = args.file.resolve()
    if not file.is_file():
        raise CliError(f"{file} does not exist")
    with clear_failures():
        rt = _runtime(args)
        try:
            embedded = rt.embedded is not None
            safety = None
            if not args.no_safety_backup:
                with unit_of_work(rt.engine) as session:
                    safety = service.create_backup(
                        session,
                        clock=rt.clock,
                        url=rt.url,
                        directory=service.backup_dir(rt.settings.data_dir),
                        keep=None,
                        kind="pre_restore",
                        embedded=embedded,
                    )
                if safety.status != "ok":
                    raise CliError(
                        f"the safety backup before restoring failed ({safety.error}); "
                        "nothing was restored (--no-safety-backup skips it)"
                    )
            rt.engine.dispose()
            try:
                millis = service.restore_file(url=rt.url, file=file, embedded=embedded)
            except service.BackupFailed as exc:
                raise CliError(f"{exc} (the database was left as it was)") from None
            with unit_of_work(rt.engine) as session:
                log = service.record_restore(session, clock=rt.clock, file=file, duration_ms=millis)
                log.username = "cli"
                audit.record(
                    session,
                    action="backup.restore",
                    clock=rt.clock,
                    username="cli",
                    record_type="backup",
                    record_id=log.id,
                    details={
                        "file": str(file),
                        "duration_ms": millis,
                        "safety_backup": safety.file_name if safety else None,
                    },
                )
        finally:
            rt.close()
    print(f"hub: restored {file} in {millis} ms")
    if safety is not None:
        print(
            f"hub: the previous state is kept in {safety.file_name} (labred hub restore it to undo)"
        )
    return 0

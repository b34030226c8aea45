"""Hub backups: ``pg_dump`` into ``DATA_DIR/backups`` with retention, logged in ``backup_logs``;
restore with ``pg_restore``.

The dump is PostgreSQL's custom format (``-Fc``: compressed, restorable table by table), written
to a ``.partial`` file and renamed only when ``pg_dump`` succeeded, so a crash never leaves a
half file that looks like a backup. Files are ``0600`` (they hold the company's SUNAT secrets).

Tools: with the embedded server, the ``pg_dump``/``pg_restore`` shipped inside the pgserver
package (same major version as the server); with an external ``DATABASE_URL``, the ones on
``PATH`` (the Debian ``postgresql-client`` package), falling back to pgserver's. The password
travels in ``PGPASSWORD``, never on a command line.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlmodel import Session, col, select

from central.auth.tokens import Principal
from central.backup.models import BackupLog
from domain.clock import Clock
from domain.errors import InvalidInput, NotFound, Unavailable

BACKUP_SUBDIR = "backups"
DEFAULT_KEEP = 14
BACKUP_HOUR = (2, 30)
"""Lima time after which the worker takes the day's scheduled backup. Fixed, not a setting: the
installer's cron fallback (``/etc/cron.d/labred-hub-backup``) runs at 02:30 too, and its
backup counts as the day's scheduled one, so an hour chosen on a screen would be overridden
on every installed hub. 02:30 is outside the sedes' usual opening hours."""
FILE_PREFIX = "labred-hub-"
FILE_SUFFIX = ".dump"
TOOL_TIMEOUT_S = 3600


class BackupFailed(Exception):
    """``pg_dump`` or ``pg_restore`` failed; the message is one sentence."""


def backup_dir(data_dir: Path) -> Path:
    return data_dir / BACKUP_SUBDIR


def pgserver_bin() -> Path | None:
    """``pginstall/bin`` of the pgserver package, when installed."""
    try:
        import importlib.util

        spec = importlib.util.find_spec("pgserver")
    except (ImportError, ValueError):
        return None
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "pginstall" / "bin"
    return path if path.is_dir() else None


def _major(tool: str) -> int:
    """Major version of a PostgreSQL client tool (``pg_dump (PostgreSQL) 16.2`` -> 16)."""
    try:
        out = subprocess.run([tool, "--version"], capture_output=True, text=True, timeout=30)
        return int(out.stdout.split()[2].split(".")[0])
    except (OSError, subprocess.SubprocessError, IndexError, ValueError):
        return 0


def server_major(url: str) -> int:
    """Major version of the server behind ``url``."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SHOW server_version_num")).scalar_one()) // 10000
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise BackupFailed(f"cannot reach the hub database: {reason}") from None
    finally:
        engine.dispose()


def pg_tool(name: str, *, embedded: bool, server: int = 0) -> str:
    """Path of ``pg_dump``/``pg_restore`` able to talk to a server of major version ``server``.

    Embedded: pgserver's own first; external: ``PATH`` first. A tool older than the server is
    skipped (``pg_dump`` refuses newer servers).
    """
    bundled = pgserver_bin()
    on_path = shutil.which(name)
    candidates = [str(bundled / name)] if embedded and bundled is not None else []
    candidates += [on_path] if on_path else []
    candidates += [str(bundled / name)] if bundled is not None else []
    seen: list[str] = []
    for candidate in candidates:
        if candidate in seen or not Path(candidate).exists():
            continue
        seen.append(candidate)
        if _major(candidate) >= server:
            return candidate
    if seen:
        raise BackupFailed(
            f"{name} is older than the PostgreSQL {server} server: install "
            f"postgresql-client-{server}"
        )
    raise BackupFailed(
        f"{name} not found: install postgresql-client (apt-get install "
        "postgresql-client) or the pgserver package"
    )


def libpq_target(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password, and the environment carrying it."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(args: list[str], env: dict[str, str]) -> None:
    try:
        res = subprocess.run(
            args,
            capture_output=True,
            text=True,
            timeout=TOOL_TIMEOUT_S,
            env=env,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise BackupFailed(f"{Path(args[0]).name} did not finish in {TOOL_TIMEOUT_S} s") from None
    if res.returncode != 0:
        lines = [ln for ln in res.stderr.strip().splitlines() if ln.strip()]
        raise BackupFailed(f"{Path(args[0]).name} failed: {lines[-1] if lines else res.returncode}")


@dataclass(frozen=True)
class DumpFile:
    path: Path
    size_bytes: int
    sha256: str
    duration_ms: int


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def dump(*, url: str, directory: Path, now: dt.datetime, embedded: bool) -> DumpFile:
    """Run ``pg_dump -Fc`` into ``directory``; returns the finished file."""
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    final = directory / f"{FILE_PREFIX}{stamp}{FILE_SUFFIX}"
    partial = final.with_name(final.name + ".partial")
    target, env = libpq_target(url)
    started = time.monotonic()
    try:
        tool = pg_tool("pg_dump", embedded=embedded, server=server_major(url))
        _run([tool, "-Fc", "--no-owner", "--no-privileges", "-f", str(partial), "-d", target], env)
        partial.chmod(0o600)
        partial.rename(final)
    finally:
        partial.unlink(missing_ok=True)
    return DumpFile(
        path=final,
        size_bytes=final.stat().st_size,
        sha256=_sha256(final),
        duration_ms=int((time.monotonic() - started) * 1000),
    )


def dump_files(directory: Path) -> list[Path]:
    """Finished dumps in ``directory``, oldest first (names sort by time)."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.glob(f"{FILE_PREFIX}*{FILE_SUFFIX}") if p.is_file())


def dump_time(path: Path) -> dt.datetime | None:
    """When a dump was taken, from its name (``labred-hub-20261130T073000123456Z.dump``)."""
    stamp = path.name.removeprefix(FILE_PREFIX).removesuffix(FILE_SUFFIX)
    try:
        return dt.datetime.strptime(stamp, "%Y%m%dT%H%M%S%fZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return None


def prune_older_than(directory: Path, *, days: int, now: dt.datetime) -> list[Path]:
    """Delete the dumps taken more than ``days`` days before ``now``, but never the newest one
    (a hub whose backups failed for a month still keeps its last good dump); returns the
    deleted files. Dumps whose name carries no time are left alone."""
    if days < 1:
        raise InvalidInput(
            "Las copias deben conservarse al menos un día.",
            code="retention_too_small",
            loc=["retention_backup_days"],
        )
    cutoff = now - dt.timedelta(days=days)
    doomed = []
    for path in dump_files(directory)[:-1]:
        taken = dump_time(path)
        if taken is not None and taken < cutoff:
            path.unlink(missing_ok=True)
            doomed.append(path)
    return doomed


def prune(directory: Path, *, keep: int) -> list[Path]:
    """Delete all but the ``keep`` newest dumps; returns the deleted files."""
    if keep < 1:
        raise InvalidInput(
            "Debe conservarse al menos una copia.", code="keep_too_small", loc=["keep"]
        )
    files = dump_files(directory)
    doomed = files[:-keep] if len(files) > keep else []
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed


def create_backup(
    session: Session,
    *,
    clock: Clock,
    url: str,
    directory: Path,
    keep: int | None = DEFAULT_KEEP,
    retention_days: int | None = None,
    kind: str = "manual",
    actor: Principal | None = None,
    embedded: bool = False,
) -> BackupLog:
    """Dump the database, apply retention and log the run (ok or failed) in ``session``.

    Retention: with ``retention_days`` (scheduled backups: the ``retention_backup_days``
    setting) the dumps older than that many days go (never the newest); otherwise all but the
    ``keep`` newest; ``keep=None`` prunes nothing (the copy taken just before a restore).
    Nothing is pruned after a failed dump. A failed dump is logged, not raised: the caller
    commits the log and then reports the failure (``log.status == "failed"``, ``log.error``).
    """
    started = clock.now()
    log = BackupLog(
        kind=kind,
        status="ok",
        username=actor.username if actor else None,
        started_at=started,
        finished_at=started,
    )
    try:
        result = dump(url=url, directory=directory, now=started, embedded=embedded)
    except (BackupFailed, OSError) as exc:
        log.status = "failed"
        log.error = str(exc)[:500]
    else:
        log.file_name = result.path.name
        log.size_bytes = result.size_bytes
        log.sha256 = result.sha256
        log.duration_ms = result.duration_ms
        if retention_days is not None:
            log.pruned = len(prune_older_than(directory, days=retention_days, now=started))
        else:
            log.pruned = len(prune(directory, keep=keep)) if keep is not None else 0
    log.finished_at = clock.now()
    session.add(log)
    session.flush()
    return log


def list_backups(session: Session, *, limit: int = 50) -> list[BackupLog]:
    """The latest backup and restore runs, newest first."""
    rows = session.exec(
        select(BackupLog)
        .order_by(col(BackupLog.started_at).desc(), col(BackupLog.id).desc())
        .limit(limit)
    ).all()
    return list(rows)


def backup_file(session: Session, *, directory: Path, backup_id: str) -> Path:
    """The dump file of a successful backup still kept on disk (checksum verified)."""
    log = session.get(BackupLog, backup_id)
    if log is None or log.status != "ok" or not log.file_name or log.kind == "restore":
        raise NotFound(
            "No existe esa copia de seguridad.", code="backup_not_found", loc=["body", "backup_id"]
        )
    path = directory / log.file_name
    if not path.exists():
        raise NotFound(
            "El archivo de esa copia ya fue eliminado por la retención.",
            code="backup_file_missing",
            loc=["body", "backup_id"],
        )
    if log.sha256 and _sha256(path) != log.sha256:
        raise Unavailable(
            "El archivo de la copia está dañado (la suma de verificación no coincide).",
            code="backup_corrupt",
            loc=["body", "backup_id"],
        )
    return path


def restore_file(*, url: str, file: Path, embedded: bool) -> int:
    """Replace the database's contents with a dump, in one transaction; returns milliseconds.

    Run it with the hub stopped (the CLI) or idle (the endpoint closes its own connections
    first): ``pg_restore --clean`` drops and recreates every table of the dump.
    """
    if not file.is_file():
        raise BackupFailed(f"{file} does not exist")
    target, env = libpq_target(url)
    started = time.monotonic()
    tool = pg_tool("pg_restore", embedded=embedded, server=server_major(url))
    _run(
        [
            tool,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "-d",
            target,
            str(file),
        ],
        env,
    )
    return int((time.monotonic() - started) * 1000)


def record_restore(
    session: Session,
    *,
    clock: Clock,
    file: Path,
    duration_ms: int,
    actor: Principal | None = None,
) -> BackupLog:
    """Log a finished restore (written after it, since the restore replaced this table too)."""
    now = clock.now()
    log = BackupLog(
        kind="restore",
        status="ok",
        file_name=file.name,
        size_bytes=file.stat().st_size,
        sha256=_sha256(file),
        duration_ms=duration_ms,
        username=actor.username if actor else None,
        started_at=now - dt.timedelta(milliseconds=duration_ms),
        finished_at=now,
    )
    session.add(log)
    session.flush()
    return log

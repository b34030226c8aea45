"""The hub's PostgreSQL: ``DATABASE_URL``, or an embedded server (pgserver) under the data dir.

The embedded server is started with the hub and stopped when the last process using it exits;
after a ``kill -9`` it is found running (or restarted) on the same directory, and every committed
row is there (PostgreSQL's WAL).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from sync.changefeed import install_capture
from sync.config import ConfigError

DB_NAME = "labred"


def to_sqlalchemy_url(url: str) -> str:
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    raise ConfigError(f"DATABASE_URL must be a postgresql:// URL, got '{url.split(':')[0]}:'")


def start_embedded(pg_dir: Path) -> Any:
    """Start (or attach to) the embedded PostgreSQL under ``pg_dir``; returns the server."""
    pg_dir.parent.mkdir(parents=True, exist_ok=True)
    _clear_stale_pid_file(pg_dir)
    _prune_dead_handles(pg_dir)
    try:
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset (services, CI): harmless here.
            warnings.simplefilter("ignore")
            import pgserver

            return pgserver.get_server(pg_dir, cleanup_mode="stop")
    except Exception as exc:  # noqa: BLE001 - reported as one sentence
        log = pg_dir / "log"
        tail = log.read_text()[-400:] if log.exists() else ""
        raise ConfigError(
            f"cannot start the embedded PostgreSQL in {pg_dir}: {exc} {tail}"
        ) from None


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in {"Z", "X"}


def _prune_dead_handles(pg_dir: Path) -> None:
    """Forget processes that died holding the server (kill -9), so the last live one stops it."""
    handles = pg_dir / ".handle_pids.json"
    try:
        pids = json.loads(handles.read_text())
    except (OSError, ValueError):
        return
    live = [pid for pid in pids if isinstance(pid, int) and _alive(pid)]
    if live != pids:
        handles.write_text(json.dumps(live))


def _clear_stale_pid_file(pg_dir: Path) -> None:
    """Remove ``postmaster.pid`` when its server is dead (killed, or a zombie nobody reaped).

    pgserver trusts a pid file whose process still exists, and a killed postmaster can linger
    as a zombie in containers whose init does not reap; PostgreSQL itself recovers from its WAL.
    """
    pid_file = pg_dir / "postmaster.pid"
    try:
        lines = pid_file.read_text().splitlines()
        pid = int(lines[0])
    except (OSError, ValueError, IndexError):
        return
    if _alive(pid):
        return
    socket_dirs = {pg_dir}
    if len(lines) > 4 and lines[4].strip():
        socket_dirs.add(Path(lines[4].strip()))
    for directory in socket_dirs:
        for lock in directory.glob(".s.PGSQL.*.lock"):
            try:
                if int(lock.read_text().splitlines()[0]) == pid:
                    lock.unlink(missing_ok=True)
                    Path(str(lock)[: -len(".lock")]).unlink(missing_ok=True)
            except (OSError, ValueError, IndexError):
                continue
    pid_file.unlink(missing_ok=True)


def embedded_url(server: Any, database: str = DB_NAME) -> str:
    """URL of ``database`` on the embedded server, creating the database if needed."""
    base = server.get_uri()
    admin = create_engine(to_sqlalchemy_url(base), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": database}
            ).scalar()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{database}"'))
    finally:
        admin.dispose()
    return to_sqlalchemy_url(server.get_uri(database))


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    engine = create_engine(
        to_sqlalchemy_url(url),
        pool_size=pool_size,
        max_overflow=10,
        pool_pre_ping=True,
        connect_args={"connect_timeout": 5},
    )
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        parts = urlsplit(url)
        where = parts.hostname or "local socket"
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise ConfigError(f"cannot reach the hub database at {where}: {reason}") from None
    return engine


class HubSession(Session):
    """Session whose flushes append change-feed rows for hub-owned models."""


install_capture(HubSession)


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[HubSession]:
    """One transaction per request or job; services never commit."""
    with HubSession(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise

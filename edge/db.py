"""The edge's SQLite: one engine per process, WAL, ``synchronous=FULL``, foreign keys, a busy
timeout and a single writer.

Write transactions go through :func:`unit_of_work`, which takes the process-wide writer lock
and opens ``BEGIN IMMEDIATE`` so two writers never deadlock on a lock upgrade; the outbox rows
of every replicated change are appended by the flush hook installed from ``sync.outbox`` inside
that same transaction. Services never commit: the unit of work does, once.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import QueuePool
from sqlmodel import Session

from sync.outbox import install_capture

BUSY_TIMEOUT_MS = 5000


class EdgeSession(Session):
    """Session whose flushes append outbox rows for replicated models (``__sync_type__``)."""


install_capture(EdgeSession)

_write_lock = threading.RLock()


def make_engine(db_path: Path, *, pool_size: int = 8) -> Engine:
    """SQLite engine with the durability and concurrency settings of DESIGN.md section 7."""
    engine = create_engine(
        f"sqlite:///{db_path}",
        poolclass=QueuePool,
        pool_size=pool_size,
        max_overflow=8,
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite would defer it).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA temp_store=MEMORY")
        cur.execute("PRAGMA cache_size=-16000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[EdgeSession]:
    """One write transaction: business rows and their outbox rows commit together or not at all.

    Serialised by a process-wide lock (the single writer) and ``BEGIN IMMEDIATE``.
    """
    with _write_lock:
        with EdgeSession(engine, expire_on_commit=False) as session:
            session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise


@contextmanager
def read_session(engine: Engine) -> Iterator[EdgeSession]:
    """A read-only snapshot (deferred transaction, never committed)."""
    with EdgeSession(engine, expire_on_commit=False) as session:
        try:
            yield session
        finally:
            session.rollback()

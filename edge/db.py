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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import QueuePool
from sqlmodel import Session

from sync.outbox import install_capture

BUSY_TIMEOUT_MS = 5000
# Pages of WAL after which a committing connection checkpoints by itself. The serving process
# checkpoints from a background thread (:class:`Checkpointer`) long before that, so a sale
# never pays for copying the WAL back; the bound still holds when no thread runs (tests, CLI).
AUTOCHECKPOINT_PAGES = 8000


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
        cur.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


class Checkpointer(threading.Thread):
    """Copies the WAL back into the database every ``interval`` seconds (PASSIVE: never waits
    for readers or blocks the writer), off the request path."""

    def __init__(self, engine: Engine, *, interval: float = 1.0) -> None:
        super().__init__(name="sqlite-checkpointer", daemon=True)
        self.engine = engine
        self.interval = interval
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.wait(self.interval):
            try:
                with self.engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
            except Exception:  # noqa: BLE001 - the next round retries; autocheckpoint bounds the WAL
                continue

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=5)


_AFTER_COMMIT = "labred_after_commit"


def after_commit(session: Session, action: Callable[[], None]) -> None:
    """Run ``action`` once the unit of work has committed and released the writer lock.

    For slow side effects that must follow a successful commit (files written with fsync):
    the next writer does not wait for them, and nothing runs for a rolled-back transaction.
    Outside :func:`unit_of_work` (a plain session) the action runs right after the commit.
    """
    actions = session.info.get(_AFTER_COMMIT)
    if actions is not None:
        actions.append(action)
        return
    event.listen(session, "after_commit", lambda _s: action(), once=True)


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[EdgeSession]:
    """One write transaction: business rows and their outbox rows commit together or not at all.

    Serialised by a process-wide lock (the single writer) and ``BEGIN IMMEDIATE``. Actions
    registered with :func:`after_commit` run after the commit, outside the lock.
    """
    actions: list[Callable[[], None]] = []
    with _write_lock:
        with EdgeSession(engine, expire_on_commit=False) as session:
            session.info[_AFTER_COMMIT] = actions
            session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
    for action in actions:
        action()


@contextmanager
def read_session(engine: Engine) -> Iterator[EdgeSession]:
    """A read-only snapshot (deferred transaction, never committed)."""
    with EdgeSession(engine, expire_on_commit=False) as session:
        try:
            yield session
        finally:
            session.rollback()

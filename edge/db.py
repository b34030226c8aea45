"""The edge's SQLite: one engine per process, WAL, ``synchronous=FULL``, foreign keys, a busy
timeout and a single writer.

Write transactions go through :func:`unit_of_work`, which takes the node's writer lock
(:class:`WriterLock`: a thread lock, then an ``flock`` shared by every process of the node) and
opens ``BEGIN IMMEDIATE`` so two writers never deadlock on a lock upgrade; the outbox rows of
every replicated change are appended by the flush hook installed from ``sync.outbox`` inside
that same transaction. Services never commit: the unit of work does, once.

Why an ``flock`` before SQLite's own lock: a writer that finds the database locked waits in
SQLite's busy handler, which *sleeps* (1, 2, 5, 10 ... ms) and polls, so with several API
processes most of a hand-off was spent asleep after the lock was already free. The kernel
wakes an ``flock`` waiter the moment the holder releases it. The busy timeout stays as the
safety net for writers that do not take the lock (migrations, tools).
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import QueuePool
from sqlmodel import Session

from edge.fastinsert import insert_new
from sync.outbox import install_capture

BUSY_TIMEOUT_MS = 5000
# Pages of WAL after which a committing connection checkpoints by itself. The serving process
# checkpoints from a background thread (:class:`Checkpointer`) long before that, so a sale
# never pays for copying the WAL back; the bound still holds when no thread runs (tests, CLI).
AUTOCHECKPOINT_PAGES = 8000
#: SQLite page cache of each pooled connection, in KiB. Every connection fills its own cache as
#: it reads, up to this size, and keeps it until it is closed, which a pooled connection never
#: is: with 16 connections (pool 8 + overflow 8) at 16 MB each the API and the worker each grew
#: towards 256 MB as the database grew (bench/bench_soak.py: ~18 and ~27 MB per 1,000 sales).
#: At 2 MB (SQLite's default) the caches of a process stay under 32 MB; a page not in it is
#: read again from the operating system's file cache, which every connection shares.
PAGE_CACHE_KIB = 2048


class EdgeSession(Session):
    """Session whose flushes append outbox rows for replicated models (``__sync_type__``) and
    insert the new rows of ``__fast_insert__`` models themselves (:mod:`edge.fastinsert`)."""

    def flush(self, objects: Sequence[Any] | None = None) -> None:
        if objects is None:
            insert_new(self)
        super().flush(objects)


install_capture(EdgeSession)


class WriterLock:
    """The single writer of one database file, across threads and processes.

    A thread lock (re-entrant: a thread already inside a unit of work may open another) and,
    for the outermost acquisition only, an exclusive ``flock`` on ``<db>.writelock``. The lock
    file is opened once per process (lazily, so a forked child opens its own: an ``flock`` is
    held by an open file description, which a fork would share). Released on exit, exception
    or not; a process that dies holding it loses it with its file descriptors.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd = -1
        self._fd_pid = 0

    def _file(self, path: Path) -> int:
        pid = os.getpid()
        if self._fd_pid != pid:
            self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o640)
            self._fd_pid = pid
        return self._fd

    def acquire(self) -> None:
        self._thread_lock.acquire()
        if self._depth == 0 and self.path is not None:
            try:
                fcntl.flock(self._file(self.path), fcntl.LOCK_EX)
            except BaseException:
                self._thread_lock.release()
                raise
        self._depth += 1

    def release(self) -> None:
        self._depth -= 1
        try:
            if self._depth == 0 and self.path is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()

    def __enter__(self) -> WriterLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


_locks: dict[str, WriterLock] = {}
_by_engine: weakref.WeakKeyDictionary[Engine, WriterLock] = weakref.WeakKeyDictionary()
_locks_guard = threading.Lock()


def writer_lock(engine: Engine) -> WriterLock:
    """The writer lock of ``engine``'s database file (one per file and process, whatever the
    number of engines on it; an in-memory database gets a thread lock only)."""
    lock = _by_engine.get(engine)
    if lock is not None:
        return lock
    database = engine.url.database
    key = str(Path(database).resolve()) if database and database != ":memory:" else ""
    with _locks_guard:
        lock = _locks.get(key)
        if lock is None:
            lock = _locks[key] = WriterLock(Path(f"{key}.writelock") if key else None)
        _by_engine[engine] = lock
    return lock


def make_engine(db_path: Path, *, pool_size: int = 8) -> Engine:
    """SQLite engine with the durability and concurrency settings of DESIGN.md section 7."""
    engine = create_engine(
        f"sqlite:///{db_path}",
        poolclass=QueuePool,
        pool_size=pool_size,
        max_overflow=8,
        # The connection returned last goes out first: in WAL mode a connection beginning
        # after another one committed drops its whole page cache, so first-in-first-out made
        # nearly every sale read its ~100 pages again (tests/edge/test_db_warm_cache.py).
        pool_use_lifo=True,
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
        cur.execute(f"PRAGMA cache_size=-{PAGE_CACHE_KIB}")
        cur.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


class Checkpointer(threading.Thread):
    """Copies the WAL back into the database every ``interval`` seconds (PASSIVE: never waits
    for readers or blocks the writer), off the request path.

    One per node, not per process: each API process starts one, and only the one holding the
    ``<db>.checkpointer`` flock works; the others try to take it every round, so when its
    process dies another one carries on."""

    def __init__(self, engine: Engine, *, interval: float = 1.0) -> None:
        super().__init__(name="sqlite-checkpointer", daemon=True)
        self.engine = engine
        self.interval = interval
        self._halt = threading.Event()
        database = engine.url.database
        self._lock_path = (
            Path(f"{database}.checkpointer") if database and database != ":memory:" else None
        )
        self._lock_fd = -1

    def elect(self) -> bool:
        """Whether this thread is the node's checkpointer (takes the flock when free)."""
        if self._lock_fd >= 0 or self._lock_path is None:
            return True
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o640)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._lock_fd = fd
        return True

    def run(self) -> None:
        while not self._halt.wait(self.interval):
            try:
                if not self.elect():
                    continue
                with self.engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
            except Exception:  # noqa: BLE001 - the next round retries; autocheckpoint bounds the WAL
                continue

    def stop(self) -> None:
        self._halt.set()
        if self.is_alive():
            self.join(timeout=5)
        if self._lock_fd >= 0:
            os.close(self._lock_fd)  # releases the flock: another process may take over
            self._lock_fd = -1


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

    Serialised by the node's :func:`writer_lock` (the single writer, across processes) and
    ``BEGIN IMMEDIATE``. Actions registered with :func:`after_commit` run after the commit,
    outside the lock.
    """
    actions: list[Callable[[], None]] = []
    with writer_lock(engine):
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

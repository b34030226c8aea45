"""A real SQLITE_FULL on demand: ``PRAGMA max_page_count`` caps the database at its current
size, so SQLite itself answers "database or disk is full" to any write that needs a new page
(the very error a full disk gives), deterministically and without filling anything."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from edge.runtime import EdgeRuntime


@contextmanager
def database_full(rt: EdgeRuntime) -> Iterator[None]:
    """Every connection of ``rt``'s engine sees a database that cannot grow, until the end."""

    def cap(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
        dbapi_conn.execute(f"PRAGMA max_page_count={pages}")

    rt.engine.dispose()
    event.listen(rt.engine, "connect", cap)
    try:
        yield
    finally:
        event.remove(rt.engine, "connect", cap)
        rt.engine.dispose()


@contextmanager
def flushes_fail() -> Iterator[None]:
    """Every flush of an edge session fails as SQLite does on a full disk, until the end."""
    from sqlalchemy.exc import OperationalError

    from edge.db import EdgeSession

    def fail(_session: Any, _ctx: Any) -> None:
        raise OperationalError(
            "INSERT ...", {}, sqlite3.OperationalError("database or disk is full")
        )

    event.listen(EdgeSession, "after_flush", fail)
    try:
        yield
    finally:
        event.remove(EdgeSession, "after_flush", fail)


@contextmanager
def commits_fail(message: str = "database or disk is full") -> Iterator[None]:
    """Every commit of an edge session fails as SQLite does (by default: on a full disk)."""
    from sqlalchemy.exc import OperationalError

    from edge.db import EdgeSession

    def fail(_session: Any) -> None:
        raise OperationalError("COMMIT", {}, sqlite3.OperationalError(message))

    event.listen(EdgeSession, "before_commit", fail)
    try:
        yield
    finally:
        event.remove(EdgeSession, "before_commit", fail)

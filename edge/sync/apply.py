"""Apply pulled hub-owned records to the edge's mirror tables (Core statements only: pulled
rows never produce outbox rows), re-point aliased patients and defer what must wait.

Everything here runs inside the caller's SQLite transaction (one page + its cursor); the writes
are made by :class:`edge.sync.page_writer.PageWriter` (rows batched per table, patient checks
read once per page, order change hooks run at the end of the page). The mirror tables and their
row-level writes are in :mod:`edge.sync.mirrors`; the edge side of the table digests in
:mod:`edge.sync.digests`.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection

from edge.sync.mirrors import mirrors
from edge.sync.page_writer import PageWriter
from sync.protocol import SCHEMA_VERSION, FeedChange, SchemaTooNew

# Pulled patients are applied after aliases of the same page (the alias frees the document).
_PRIORITY = {"patient_alias": 0}


def apply_change(conn: Connection, change: FeedChange, *, now: dt.datetime) -> bool:
    """Apply one pulled change; ``False`` when it was deferred or is not mirrored here."""
    writer = PageWriter(conn, now)
    done = writer.apply(change)
    writer.flush()
    writer.notify()
    return done


def apply_changes(conn: Connection, changes: list[FeedChange], *, now: dt.datetime) -> int:
    """Apply a page in feed order (aliases of the page first); returns rows applied."""
    conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    ordered = sorted(changes, key=lambda c: (_PRIORITY.get(c.record_type, 1), c.cursor))
    writer = PageWriter(conn, now)
    writer.prepare(ordered)
    applied = sum(1 for c in ordered if writer.apply(c))
    writer.flush()
    applied += writer.retry_deferred()
    writer.notify()
    return applied


def retry_deferred(conn: Connection, *, now: dt.datetime) -> int:
    writer = PageWriter(conn, now)
    done = writer.retry_deferred()
    writer.notify()
    return done


def replace_table(
    conn: Connection, record_type: str, rows: list[FeedChange], *, now: dt.datetime
) -> None:
    """Make the mirror of ``record_type`` hold exactly ``rows`` (patients: upsert only)."""
    conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    writer = PageWriter(conn, now)
    writer.replace(record_type, rows)
    writer.notify()


def apply_reset(conn: Connection, changes: list[FeedChange], *, now: dt.datetime) -> None:
    """A full snapshot: every mirrored type replaced by the snapshot's rows."""
    by_type: dict[str, list[FeedChange]] = {t: [] for t in [*mirrors(), "patient_alias"]}
    for change in changes:
        if change.schema_version > SCHEMA_VERSION:
            raise SchemaTooNew(f"Esquema {change.schema_version} desconocido; actualice labred.")
        by_type.setdefault(change.record_type, []).append(change)
    conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    writer = PageWriter(conn, now)
    for rtype in ("patient_alias", *[t for t in by_type if t != "patient_alias"]):
        writer.replace(rtype, by_type[rtype])
    writer.retry_deferred()
    writer.notify()

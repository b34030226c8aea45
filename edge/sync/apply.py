"""Apply pulled hub-owned records to the edge's mirror tables (Core statements only: pulled
rows never produce outbox rows), re-point aliased patients and defer what must wait.

Everything here runs inside the caller's SQLite transaction (one page + its cursor); the writes
are made by :class:`edge.sync.page_writer.PageWriter` (rows batched per table, patient checks
read once per page, order change hooks run at the end of the page). The mirror tables and their
row-level writes are in :mod:`edge.sync.mirrors`; the edge side of the table digests in
:mod:`edge.sync.digests`.

One bad record never blocks the pull (the hub's push side does the same with its rows): a page
is applied whole inside a savepoint; when a record's content makes it fail, the page is applied
again record by record, each in its own savepoint, and a record that still fails is parked
(:mod:`edge.sync.parking`) while the rest of the page applies and the cursor moves on.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, and_, delete, select

from edge.sync import parking
from edge.sync.mirrors import deferred_table, mirrors
from edge.sync.page_writer import PageWriter
from sync.protocol import SCHEMA_VERSION, FeedChange

# Pulled patients are applied after aliases of the same page (the alias frees the document).
_PRIORITY = {"patient_alias": 0}


def apply_change(conn: Connection, change: FeedChange, *, now: dt.datetime) -> bool:
    """Apply one pulled change; ``False`` when it was deferred or is not mirrored here.
    Unguarded: a change that cannot be applied raises (the page functions park it)."""
    writer = PageWriter(conn, now)
    done = writer.apply(change)
    writer.flush()
    writer.notify()
    return done


def _whole(conn: Connection, changes: list[FeedChange], now: dt.datetime, deferred: bool) -> int:
    writer = PageWriter(conn, now)
    writer.prepare(changes)
    applied = sum(1 for c in changes if writer.apply(c))
    writer.flush()
    if deferred:
        applied += writer.retry_deferred()
    writer.verify()
    writer.notify()
    return applied


def _one(conn: Connection, change: FeedChange, now: dt.datetime) -> int:
    """One record (an alias with the deferred queue: the patient it frees may be waiting)."""
    writer = PageWriter(conn, now)
    writer.prepare([change])
    done = int(writer.apply(change))
    writer.flush()
    if change.record_type == "patient_alias":
        done += writer.retry_deferred()
    writer.verify()
    writer.notify()
    return done


def _guarded(
    conn: Connection,
    changes: list[FeedChange],
    now: dt.datetime,
    book: parking.Book,
    *,
    deferred: bool = True,
) -> int:
    """Apply ``changes`` (in order) and, with ``deferred``, retry the deferred queue; a record
    that cannot be applied is parked, never failing the others. Returns rows applied."""
    try:
        with conn.begin_nested():
            applied = _whole(conn, changes, now, deferred)
    except Exception as exc:
        if not parking.is_poison(exc):
            raise
    else:
        book.clear(changes)
        return applied
    applied = 0
    for change in changes:
        try:
            with conn.begin_nested():
                done = _one(conn, change, now)
        except Exception as exc:
            if not parking.is_poison(exc):
                raise
            book.park(change, exc)
            continue
        book.clear([change])
        applied += done
    if deferred:
        applied += _retry_deferred_guarded(conn, now, book)
    return applied


def _retry_deferred_guarded(conn: Connection, now: dt.datetime, book: parking.Book) -> int:
    """The deferred queue record by record: one that now fails is parked instead."""
    table = deferred_table()
    rows = conn.execute(select(table).order_by(table.c.cursor)).mappings().all()
    applied = 0
    for r in rows:
        change = FeedChange(
            cursor=int(r["cursor"]),
            tx_id="",
            record_type=r["record_type"],
            record_id=r["record_id"],
            op="upsert",
            payload=r["payload"],
            schema_version=SCHEMA_VERSION,
        )
        try:
            with conn.begin_nested():
                applied += _one(conn, change, now)
        except Exception as exc:
            if not parking.is_poison(exc):
                raise
            book.park(change, exc)
            conn.execute(
                delete(table).where(
                    and_(
                        table.c.record_type == change.record_type,
                        table.c.record_id == change.record_id,
                    )
                )
            )
    return applied


def apply_changes(conn: Connection, changes: list[FeedChange], *, now: dt.datetime) -> int:
    """Apply a page in feed order (aliases of the page first); returns rows applied. Records
    that cannot be applied are parked; the others apply."""
    conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    ordered = sorted(changes, key=lambda c: (_PRIORITY.get(c.record_type, 1), c.cursor))
    return _guarded(conn, ordered, now, parking.Book(conn, now))


def retry_deferred(conn: Connection, *, now: dt.datetime) -> int:
    writer = PageWriter(conn, now)
    done = writer.retry_deferred()
    writer.notify()
    return done


def retry_parked(conn: Connection, *, now: dt.datetime) -> tuple[int, int]:
    """Apply the parked records again (a fix on this node, e.g. an upgrade, or a record they
    needed has arrived since); returns ``(applied, still parked)``."""
    changes = parking.parked_changes(conn)
    if not changes:
        return 0, 0
    conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    ordered = sorted(changes, key=lambda c: (_PRIORITY.get(c.record_type, 1), c.cursor))
    book = parking.Book(conn, now)
    applied = _guarded(conn, ordered, now, book, deferred=False)
    return applied, len(book.keys)


def _replace(
    conn: Connection,
    record_type: str,
    rows: list[FeedChange],
    now: dt.datetime,
    book: parking.Book,
) -> None:
    keep = {c.record_id for c in rows}
    writer = PageWriter(conn, now)
    writer.prune(record_type, keep)
    writer.flush()
    _guarded(conn, rows, now, book, deferred=False)
    book.clear_missing(record_type, keep)


def replace_table(
    conn: Connection, record_type: str, rows: list[FeedChange], *, now: dt.datetime
) -> None:
    """Make the mirror of ``record_type`` hold exactly ``rows`` (patients: upsert only); a row
    that cannot be applied is parked."""
    conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    _replace(conn, record_type, rows, now, parking.Book(conn, now))


def apply_reset(conn: Connection, changes: list[FeedChange], *, now: dt.datetime) -> None:
    """A full snapshot: every mirrored type replaced by the snapshot's rows."""
    by_type: dict[str, list[FeedChange]] = {t: [] for t in [*mirrors(), "patient_alias"]}
    for change in changes:
        by_type.setdefault(change.record_type, []).append(change)
    conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    book = parking.Book(conn, now)
    for rtype in ("patient_alias", *[t for t in by_type if t != "patient_alias"]):
        _replace(conn, rtype, by_type[rtype], now, book)
    _guarded(conn, [], now, book)  # the deferred queue

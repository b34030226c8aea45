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
(:mod:`edge.sync.parking`) while the rest of the page applies and the cursor moves on. Foreign
keys are deferred while a page applies (a child may come before its parent), so before the page
is kept :mod:`edge.sync.fk_check` looks for references the page left without a parent; the
records responsible are parked (``fk_missing_parent``) and the page is applied again without
them, instead of the whole page failing at COMMIT and being retried forever.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, and_, delete, select

from edge.sync import fk_check, parking
from edge.sync.mirrors import deferred_table, mirrors
from edge.sync.page_writer import PageWriter
from sync.protocol import SCHEMA_VERSION, FeedChange

# Pulled patients are applied after aliases of the same page (the alias frees the document).
_PRIORITY = {"patient_alias": 0}


def apply_change(conn: Connection, change: FeedChange, *, now: dt.datetime) -> bool:
    """Apply one pulled change; ``False`` when it was deferred or is not mirrored here.
    Unguarded: a change that cannot be applied raises (the page functions park it), one that
    leaves a reference without its parent too (``RuleViolation``, ``fk_missing_parent``)."""
    writer = PageWriter(conn, now)
    done = writer.apply(change)
    writer.verify()
    writer.notify()
    return done


_Key = tuple[str, str]
_Held = dict[_Key, tuple[FeedChange, BaseException]]  # records not applied, with the reason


def _key(change: FeedChange) -> _Key:
    return (change.record_type, change.record_id)


def _whole(
    conn: Connection,
    changes: list[FeedChange],
    now: dt.datetime,
    deferred: bool,
    skip: frozenset[_Key],
    trace: fk_check.Trace,
) -> int:
    writer = PageWriter(conn, now, trace)
    writer.prepare(changes)
    applied = sum(1 for c in changes if writer.apply(c))
    writer.flush()
    if deferred:
        applied += writer.retry_deferred(skip)
    writer.notify()
    return applied


def _one(
    conn: Connection,
    change: FeedChange,
    now: dt.datetime,
    skip: frozenset[_Key],
    trace: fk_check.Trace,
) -> int:
    """One record (an alias with the deferred queue: the patient it frees may be waiting)."""
    writer = PageWriter(conn, now, trace)
    writer.prepare([change])
    done = int(writer.apply(change))
    writer.flush()
    if change.record_type == "patient_alias":
        done += writer.retry_deferred(skip)
    writer.notify()
    return done


def _one_guarded(
    conn: Connection,
    change: FeedChange,
    now: dt.datetime,
    skip: frozenset[_Key],
    trace: fk_check.Trace,
) -> tuple[int, BaseException | None]:
    """``_one`` in its own savepoint: ``(rows applied, None)`` or ``(0, the record's fault)``;
    the trace only takes the writes of a record that applied."""
    own = fk_check.Trace()
    try:
        with conn.begin_nested():
            done = _one(conn, change, now, skip, own)
    except Exception as exc:
        if not parking.is_poison(exc):
            raise
        return 0, exc
    trace.merge(own)
    return done, None


def _attempt(
    conn: Connection,
    changes: list[FeedChange],
    now: dt.datetime,
    deferred: bool,
    skip: frozenset[_Key],
    trace: fk_check.Trace,
) -> tuple[int, _Held]:
    """Apply ``changes`` (and, with ``deferred``, the deferred queue but ``skip``): whole in a
    savepoint, or, when a record's content makes that fail, record by record. Returns the rows
    applied and the records that failed; what was written is noted in ``trace``."""
    whole = fk_check.Trace()
    try:
        with conn.begin_nested():
            applied = _whole(conn, changes, now, deferred, skip, whole)
    except Exception as exc:
        if not parking.is_poison(exc):
            raise
    else:
        trace.merge(whole)
        return applied, {}
    applied, failed = 0, {}
    for change in changes:
        done, fault = _one_guarded(conn, change, now, skip, trace)
        applied += done
        if fault is not None:
            failed[_key(change)] = (change, fault)
    if deferred:  # the deferred queue record by record
        table = deferred_table()
        rows = conn.execute(select(table).order_by(table.c.cursor)).mappings().all()
        for r in rows:
            change = _queued(r)
            if _key(change) in skip:
                continue
            done, fault = _one_guarded(conn, change, now, skip, trace)
            applied += done
            if fault is not None:
                failed[_key(change)] = (change, fault)
    return applied, failed


def _queued(row: Any) -> FeedChange:
    return FeedChange(
        cursor=int(row["cursor"]),
        tx_id="",
        record_type=row["record_type"],
        record_id=row["record_id"],
        op="upsert",
        payload=row["payload"],
        schema_version=SCHEMA_VERSION,
    )


def _guarded(
    conn: Connection,
    changes: list[FeedChange],
    now: dt.datetime,
    book: parking.Book,
    *,
    deferred: bool = True,
) -> int:
    """Apply ``changes`` (in order) and, with ``deferred``, retry the deferred queue; a record
    that cannot be applied is parked, never failing the others. Returns rows applied.

    A record that leaves a foreign key without its parent (found by :mod:`edge.sync.fk_check`
    before the page commits; SQLite would only refuse it at COMMIT, failing the whole page) is
    parked too: the page is applied again, in a fresh savepoint, without it."""
    held: _Held = {}
    while True:
        skip = frozenset(held)
        todo = [c for c in changes if _key(c) not in skip]
        trace = fk_check.Trace()
        savepoint = conn.begin_nested()
        try:
            applied, failed = _attempt(conn, todo, now, deferred, skip, trace)
            found = fk_check.violations(conn, trace)
        except BaseException:
            savepoint.rollback()
            raise
        if not found:
            savepoint.commit()
            break
        savepoint.rollback()  # undo the page; apply it again without the records found
        before = len(held)
        held.update(failed)
        for violation in found:
            held.setdefault(_key(violation.change), (violation.change, violation.error()))
        if len(held) == before:  # cannot happen (held records are not applied): never loop
            raise RuntimeError("foreign-key check: violations of records already held")
    held.update(failed)
    book.clear([c for c in todo if _key(c) not in failed])
    page = {_key(c) for c in changes}
    table = deferred_table()
    for key, (change, exc) in held.items():
        book.park(change, exc)
        if key not in page:  # a record of the deferred queue: parked instead
            conn.execute(
                delete(table).where(
                    and_(table.c.record_type == key[0], table.c.record_id == key[1])
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

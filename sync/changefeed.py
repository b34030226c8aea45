"""The hub's change feed of hub-owned records (DESIGN.md section 3, pull).

Every hub transaction that changes a model declaring ``__sync_type__`` appends, in the same
PostgreSQL transaction, one feed row per changed record with a monotonic ``cursor``. Cursors are
allocated from a single counter row updated inside the transaction: the row lock makes a later
transaction wait for an earlier one to commit, so a transaction that commits later can never
carry a lower cursor than one a node has already read (a plain sequence does not guarantee
that). Hub-owned writes are rare (admins editing the catalog), so the serialisation is cheap.

Edges pull ``cursor > N`` in order and apply a page and its new cursor in one SQLite transaction.
A model may also declare ``__sync_scope_column__`` (e.g. ``"sede_id"``) so that only the edge of
that sede receives the row.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Connection,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    event,
    insert,
    select,
    text,
)
from sqlalchemy.orm import Session

from domain.clock import Clock, SystemClock
from domain.ids import new_id
from sync.protocol import SCHEMA_VERSION
from sync.sqltypes import UTCDateTime
from sync.wire import row_image

metadata = MetaData()

feed = Table(
    "sync_change_feed",
    metadata,
    Column("cursor", BigInteger, primary_key=True, autoincrement=False),
    Column("tx_id", String(36), nullable=False),
    Column("record_type", String(40), nullable=False),
    Column("record_id", String(64), nullable=False),
    Column("op", String(10), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("scope_sede_id", String(36), nullable=True),
    Column("schema_version", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)
Index("ix_sync_change_feed_record", feed.c.record_type, feed.c.record_id)

counter = Table(
    "sync_feed_counter",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("value", BigInteger, nullable=False),
)

_clock: Clock = SystemClock()


def set_clock(clock: Clock) -> None:
    global _clock
    _clock = clock


def allocate(conn: Connection, n: int) -> int:
    """Reserve ``n`` cursors; returns the first. Locks the counter row until commit."""
    row = conn.execute(
        text("UPDATE sync_feed_counter SET value = value + :n WHERE id = 1 RETURNING value"),
        {"n": n},
    ).first()
    if row is None:
        conn.execute(insert(counter).values(id=1, value=n))
        return 1
    return int(row[0]) - n + 1


def append(
    conn: Connection,
    changes: list[tuple[str, str, str, dict[str, Any], str | None]],
    *,
    tx_id: str | None = None,
) -> int:
    """Append ``(record_type, record_id, op, payload, scope_sede_id)`` rows; returns last cursor."""
    if not changes:
        return 0
    first = allocate(conn, len(changes))
    now = _clock.now()
    tx = tx_id or new_id()
    rows = [
        {
            "cursor": first + i,
            "tx_id": tx,
            "record_type": rtype,
            "record_id": rid,
            "op": op,
            "payload": payload,
            "scope_sede_id": scope,
            "schema_version": SCHEMA_VERSION,
            "created_at": now,
        }
        for i, (rtype, rid, op, payload, scope) in enumerate(changes)
    ]
    conn.execute(insert(feed), rows)
    return first + len(changes) - 1


def head(conn: Connection) -> int:
    value = conn.execute(select(counter.c.value).where(counter.c.id == 1)).scalar()
    return int(value or 0)


def _after_flush(session: Session, _ctx: Any) -> None:
    changes: list[tuple[str, str, str, dict[str, Any], str | None]] = []
    groups = ((session.new, "upsert"), (session.dirty, "upsert"), (session.deleted, "delete"))
    for objs, op in groups:
        for obj in objs:
            rtype = getattr(type(obj), "__sync_type__", None)
            if not rtype or (
                op == "upsert" and obj in session.dirty and not session.is_modified(obj)
            ):
                continue
            image = row_image(obj)
            scope_col = getattr(type(obj), "__sync_scope_column__", None)
            scope = image.get(scope_col) if scope_col else None
            changes.append((rtype, str(image["id"]), op, image, scope))
    if changes:
        tx = session.info.setdefault("sync_tx_id", new_id())
        append(session.connection(), changes, tx_id=str(tx))


def _after_end(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop("sync_tx_id", None)


def install_capture(session_class: type[Session]) -> None:
    """Hook ``session_class`` so hub-owned models append feed rows on every flush."""
    if getattr(session_class, "_labred_feed_capture", False):
        return
    event.listen(session_class, "after_flush", _after_flush)
    event.listen(session_class, "after_transaction_end", _after_end)
    session_class._labred_feed_capture = True  # type: ignore[attr-defined]

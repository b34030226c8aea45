"""The edge side of the table digests: the mirror tables projected like the hub's, and whether
the patients can be compared with the hub yet.

The digests are a safety net against drift, not part of the data path: the sync worker compares
them only every ``sync_digest_interval_s`` seconds (:func:`due`). The
mirrors are read in chunks of :data:`CHUNK` rows and only the columns a digest covers, so the
memory of a comparison stays flat whatever the number of patients of the chain.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, Table, select

from edge.sync.mirrors import deferred_table, mirrors
from edge.sync.models import SyncStatus
from sync import outbox
from sync.digest import PROJECTIONS, table_digest
from sync.wire import to_wire

CHUNK = 1000  # rows fetched from SQLite at a time
_STATUS = SyncStatus.__table__  # type: ignore[attr-defined]


def due(last_at: dt.datetime | None, now: dt.datetime, interval_s: float) -> bool:
    """Whether a pull compares the digests: at every pull when ``interval_s`` is 0, when they
    were never compared, once ``interval_s`` passed since ``last_at``, or when the clock went
    back before it (a stepped clock must not postpone the safety net)."""
    if interval_s <= 0 or last_at is None:
        return True
    elapsed = (now - last_at).total_seconds()
    return elapsed < 0 or elapsed >= interval_s


def last_compared_at(conn: Connection) -> dt.datetime | None:
    """When the digests were last compared (``sync_status``; None: never)."""
    at = conn.execute(select(_STATUS.c.last_digest_at).where(_STATUS.c.id == 1)).scalar()
    return at if isinstance(at, dt.datetime) else None


def summary(status: dict[str, Any]) -> dict[str, Any]:
    """The last comparison as ``GET /api/sync/status`` shows it: when, ``ok`` / ``repaired``
    (None: never compared) and the tables copied again from the hub."""
    at = status.get("last_digest_at")
    tables = [t for t in (status.get("last_digest_repaired") or "").split(",") if t]
    result = None if at is None else ("repaired" if tables else "ok")
    return {"last_digest_at": at, "last_digest_result": result, "last_digest_repaired": tables}


def _images(conn: Connection, rtype: str, table: Table) -> Iterator[dict[str, Any]]:
    """The rows of ``table`` that a digest of ``rtype`` covers, in wire form, streamed."""
    columns = [table.c[f] for f in PROJECTIONS[rtype] if f in table.c]
    query = select(*columns)
    if rtype == "user":
        query = query.where(table.c.local_only.is_(False))
    if rtype == "patient":
        query = query.where(table.c.canonical_id.is_(None))
    result = conn.execute(query, execution_options={"yield_per": CHUNK})
    try:
        for part in result.partitions():
            for row in part:
                yield {c.name: to_wire(v, c.type) for c, v in zip(columns, row, strict=True)}
    finally:
        result.close()


def local_digests(conn: Connection) -> dict[str, str]:
    """Digests of the mirror tables, projected like the hub's (local-only rows excluded)."""
    return {
        rtype: table_digest(rtype, _images(conn, rtype, table))
        for rtype, table in mirrors().items()
        if rtype in PROJECTIONS
    }


def patients_settled(conn: Connection) -> bool:
    """Patients can be compared with the hub: no deferred rows, no un-acked patient edits."""
    state = outbox.ensure_state(conn)
    unacked = conn.execute(
        select(outbox.outbox.c.seq)
        .where(outbox.outbox.c.record_type == "patient", outbox.outbox.c.seq > state["acked_seq"])
        .limit(1)
    ).first()
    deferred = conn.execute(select(deferred_table().c.record_id).limit(1)).first()
    return unacked is None and deferred is None

"""The edge side of the table digests: the mirror tables projected like the hub's, and whether
the patients can be compared with the hub yet."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, select

from edge.sync.mirrors import deferred_table, mirrors
from sync import outbox
from sync.digest import PROJECTIONS, table_digest
from sync.wire import to_wire


def _image(table: Table, row: Any) -> dict[str, Any]:
    return {c.name: to_wire(row[c.name], c.type) for c in table.columns}


def local_digests(conn: Connection) -> dict[str, str]:
    """Digests of the mirror tables, projected like the hub's (local-only rows excluded)."""
    result: dict[str, str] = {}
    for rtype, table in mirrors().items():
        if rtype not in PROJECTIONS:
            continue
        query = select(table)
        if rtype == "user":
            query = query.where(table.c.local_only.is_(False))
        if rtype == "patient":
            query = query.where(table.c.canonical_id.is_(None))
        rows = conn.execute(query).mappings().all()
        result[rtype] = table_digest(rtype, (_image(table, r) for r in rows))
    return result


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

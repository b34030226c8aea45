"""The edge's mirror tables of hub-owned records and the row-level writes on them: decoding
pulled wire values, deferring a change that must wait, and re-pointing an aliased patient.

Core statements only (pulled rows never produce outbox rows); everything runs inside the
caller's SQLite transaction.
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Connection, Date, Table, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from sync.protocol import FeedChange
from sync.sqltypes import Cents, UTCDateTime


@functools.cache
def mirrors() -> dict[str, Table]:
    """Record type -> edge mirror table."""
    from edge.auth.models import User
    from edge.catalog.models import CatalogCategory, CatalogService, Convenio
    from edge.closures.models import HubClosure
    from edge.config.models import Company, Sede, Setting
    from edge.labsync.models import LabCodeMap, LabSystem
    from edge.patients.models import Patient

    models: dict[str, Any] = {
        "company": Company,
        "sede": Sede,
        "setting": Setting,
        "user": User,
        "catalog_category": CatalogCategory,
        "catalog_service": CatalogService,
        "convenio": Convenio,
        "lab_system": LabSystem,
        "lab_code_map": LabCodeMap,
        "patient": Patient,
        "reconciliation_closure": HubClosure,
    }
    return {k: m.__table__ for k, m in models.items()}


def deferred_table() -> Table:
    from edge.sync.models import SyncDeferred

    return SyncDeferred.__table__  # type: ignore[attr-defined]


def from_wire(value: Any, column_type: Any) -> Any:
    if value is None:
        return None
    if isinstance(column_type, Cents):
        return Decimal(int(value)) / 100
    if isinstance(column_type, UTCDateTime) and isinstance(value, str):
        parsed = dt.datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    if isinstance(column_type, Date) and isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    if isinstance(column_type, Boolean):
        return bool(value)
    # JSON columns take the wire value as it is: a string stays a string (decoding "10" into
    # 10 made the mirror differ from the hub's image and re-snapshotted it at every pull).
    return value


def row_values(table: Table, payload: dict[str, Any]) -> dict[str, Any]:
    return {c.name: from_wire(payload[c.name], c.type) for c in table.columns if c.name in payload}


def defer(conn: Connection, change: FeedChange, reason: str, now: dt.datetime) -> None:
    table = deferred_table()
    stmt = sqlite_insert(table).values(
        record_type=change.record_type,
        record_id=change.record_id,
        cursor=change.cursor,
        payload=change.payload,
        reason=reason,
        deferred_at=now,
    )
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[table.c.record_type, table.c.record_id],
            set_={k: stmt.excluded[k] for k in ("cursor", "payload", "reason", "deferred_at")},
        )
    )


def _orders() -> Table:
    from edge.orders.models import Order

    return Order.__table__  # type: ignore[attr-defined]


def apply_alias(conn: Connection, payload: dict[str, Any]) -> list[str]:
    """Merge ``alias_id`` into ``canonical_id``; returns the ids of the orders re-pointed."""
    alias, canonical = str(payload["alias_id"]), str(payload["canonical_id"])
    orders = _orders()
    patient = mirrors()["patient"]
    moved = conn.execute(
        update(orders)
        .where(orders.c.patient_id == alias)
        .values(patient_id=canonical)
        .returning(orders.c.id)
    )
    order_ids = [str(r[0]) for r in moved]
    conn.execute(update(patient).where(patient.c.id == alias).values(canonical_id=canonical))
    return order_ids

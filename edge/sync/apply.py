"""Apply pulled hub-owned records to the edge's mirror tables (Core statements only: pulled
rows never produce outbox rows), re-point aliased patients, defer what must wait, and
compute the edge side of the table digests.

Everything here runs inside the caller's SQLite transaction (one page + its cursor).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Connection, Date, Table, and_, delete, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from sync import outbox
from sync.digest import PROJECTIONS, table_digest
from sync.protocol import SCHEMA_VERSION, FeedChange, SchemaTooNew
from sync.sqltypes import Cents, UTCDateTime
from sync.wire import to_wire

# Columns that are unique besides the id: a pulled row replaces a local row holding its value.
_UNIQUE: dict[str, tuple[str, ...]] = {
    "sede": ("code",),
    "setting": ("key",),
    "user": ("username",),
}
# Pulled patients are applied after aliases of the same page (the alias frees the document).
_PRIORITY = {"patient_alias": 0}


@functools.cache
def mirrors() -> dict[str, Table]:
    """Record type -> edge mirror table."""
    from edge.auth.models import User
    from edge.catalog.models import CatalogCategory, CatalogService, Convenio
    from edge.config.models import Company, Sede, Setting
    from edge.patients.models import Patient

    models: dict[str, Any] = {
        "company": Company,
        "sede": Sede,
        "setting": Setting,
        "user": User,
        "catalog_category": CatalogCategory,
        "catalog_service": CatalogService,
        "convenio": Convenio,
        "patient": Patient,
    }
    return {k: m.__table__ for k, m in models.items()}


def _deferred() -> Table:
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
    if isinstance(column_type, JSON) and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _values(table: Table, payload: dict[str, Any]) -> dict[str, Any]:
    return {c.name: from_wire(payload[c.name], c.type) for c in table.columns if c.name in payload}


def _upsert(conn: Connection, record_type: str, table: Table, payload: dict[str, Any]) -> None:
    values = _values(table, payload)
    for col in _UNIQUE.get(record_type, ()):
        if col in values:
            conn.execute(
                delete(table).where(table.c[col] == values[col], table.c.id != values["id"])
            )
    stmt = sqlite_insert(table).values(values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.id],
        set_={k: stmt.excluded[k] for k in values if k != "id"},
    )
    conn.execute(stmt)


def _patient_blocker(conn: Connection, payload: dict[str, Any]) -> str | None:
    """Why a pulled patient must wait, or ``None``."""
    state = outbox.ensure_state(conn)
    pending = conn.execute(
        select(outbox.outbox.c.seq)
        .where(
            outbox.outbox.c.record_type == "patient",
            outbox.outbox.c.record_id == str(payload["id"]),
            outbox.outbox.c.seq > state["acked_seq"],
        )
        .limit(1)
    ).first()
    if pending is not None:
        return "unacked_local_edit"
    if payload.get("canonical_id") is None and payload.get("doc_type") != "0":
        patient = mirrors()["patient"]
        holder = conn.execute(
            select(patient.c.id)
            .where(
                patient.c.doc_type == payload.get("doc_type"),
                patient.c.doc_number == payload.get("doc_number"),
                patient.c.canonical_id.is_(None),
                patient.c.id != str(payload["id"]),
            )
            .limit(1)
        ).first()
        if holder is not None:
            return "document_held_locally"
    return None


def _defer(conn: Connection, change: FeedChange, reason: str, now: dt.datetime) -> None:
    table = _deferred()
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


def _apply_alias(conn: Connection, payload: dict[str, Any]) -> None:
    from edge.orders.models import Order

    alias, canonical = str(payload["alias_id"]), str(payload["canonical_id"])
    orders: Table = Order.__table__  # type: ignore[attr-defined]
    patient = mirrors()["patient"]
    conn.execute(update(orders).where(orders.c.patient_id == alias).values(patient_id=canonical))
    conn.execute(update(patient).where(patient.c.id == alias).values(canonical_id=canonical))


def apply_change(conn: Connection, change: FeedChange, *, now: dt.datetime) -> bool:
    """Apply one pulled change; ``False`` when it was deferred or is not mirrored here."""
    if change.schema_version > SCHEMA_VERSION:
        raise SchemaTooNew(
            f"La central envió datos del esquema {change.schema_version}; este nodo conoce el "
            f"{SCHEMA_VERSION}. Actualice labred.",
        )
    deferred = _deferred()
    conn.execute(
        delete(deferred).where(
            and_(
                deferred.c.record_type == change.record_type,
                deferred.c.record_id == change.record_id,
            )
        )
    )
    if change.record_type == "patient_alias":
        _apply_alias(conn, change.payload)
        return True
    table = mirrors().get(change.record_type)
    if table is None:
        return False
    if change.op == "delete":
        if change.record_type != "patient":
            conn.execute(delete(table).where(table.c.id == change.record_id))
        return True
    if change.record_type == "patient":
        reason = _patient_blocker(conn, change.payload)
        if reason is not None:
            _defer(conn, change, reason, now)
            return False
    _upsert(conn, change.record_type, table, change.payload)
    return True


def apply_changes(conn: Connection, changes: list[FeedChange], *, now: dt.datetime) -> int:
    """Apply a page in feed order (aliases of the page first); returns rows applied."""
    conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    ordered = sorted(changes, key=lambda c: (_PRIORITY.get(c.record_type, 1), c.cursor))
    applied = sum(1 for c in ordered if apply_change(conn, c, now=now))
    return applied + retry_deferred(conn, now=now)


def retry_deferred(conn: Connection, *, now: dt.datetime) -> int:
    table = _deferred()
    rows = conn.execute(select(table).order_by(table.c.cursor)).mappings().all()
    done = 0
    for row in rows:
        change = FeedChange(
            cursor=row["cursor"],
            tx_id="",
            record_type=row["record_type"],
            record_id=row["record_id"],
            op="upsert",
            payload=row["payload"],
            schema_version=SCHEMA_VERSION,
        )
        if apply_change(conn, change, now=now):
            done += 1
    return done


def replace_table(
    conn: Connection, record_type: str, rows: list[FeedChange], *, now: dt.datetime
) -> None:
    """Make the mirror of ``record_type`` hold exactly ``rows`` (patients: upsert only)."""
    conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    table = mirrors().get(record_type)
    if record_type == "patient_alias":
        for change in rows:
            _apply_alias(conn, change.payload)
        return
    if table is None:
        return
    if record_type != "patient":
        keep = {c.record_id for c in rows}
        query = delete(table).where(table.c.id.not_in(keep))
        if record_type == "user":
            query = query.where(table.c.local_only.is_(False))
        conn.execute(query)
    for change in rows:
        apply_change(conn, change, now=now)


def apply_reset(conn: Connection, changes: list[FeedChange], *, now: dt.datetime) -> None:
    """A full snapshot: every mirrored type replaced by the snapshot's rows."""
    by_type: dict[str, list[FeedChange]] = {t: [] for t in [*mirrors(), "patient_alias"]}
    for change in changes:
        if change.schema_version > SCHEMA_VERSION:
            raise SchemaTooNew(f"Esquema {change.schema_version} desconocido; actualice labred.")
        by_type.setdefault(change.record_type, []).append(change)
    for rtype in ("patient_alias", *[t for t in by_type if t != "patient_alias"]):
        replace_table(conn, rtype, by_type[rtype], now=now)
    retry_deferred(conn, now=now)


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
    deferred = conn.execute(select(_deferred().c.record_id).limit(1)).first()
    return unacked is None and deferred is None

"""Apply pulled hub-owned records to the edge's mirror tables (Core statements only: pulled
rows never produce outbox rows), re-point aliased patients, defer what must wait, and
compute the edge side of the table digests.

Everything here runs inside the caller's SQLite transaction (one page + its cursor). A page is
written by ``_Writer``: consecutive upserts of a table go out as one executemany, and the
patient checks read what they need once per page (not two queries per pulled patient).

Pulled changes that an order's laboratory message depends on (a patient's identity edited at
the hub or another sede; a merge re-pointing orders to the canonical patient) run the order
change hooks (``edge.orders.hooks.changed_by_sync``) at the end of the page, in the same
transaction: the identities of the page's patients that have open orders are read once per page
and compared in memory, and a merge's re-pointed orders come back from its own UPDATE.
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Connection, Date, Table, and_, delete, select, update
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
    # JSON columns take the wire value as it is: a string stays a string (decoding "10" into
    # 10 made the mirror differ from the hub's image and re-snapshotted it at every pull).
    return value


def _values(table: Table, payload: dict[str, Any]) -> dict[str, Any]:
    return {c.name: from_wire(payload[c.name], c.type) for c in table.columns if c.name in payload}


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


def _orders() -> Table:
    from edge.orders.models import Order

    return Order.__table__  # type: ignore[attr-defined]


def _apply_alias(conn: Connection, payload: dict[str, Any]) -> list[str]:
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


@functools.cache
def _upsert_stmt(table: Table, keys: tuple[str, ...]) -> Any:
    """``INSERT ... ON CONFLICT (id) DO UPDATE`` of ``keys``, built once per table and key set
    (SQLAlchemy then reuses its compiled form, and a group of rows goes out as executemany)."""
    stmt = sqlite_insert(table)
    rest = [k for k in keys if k != "id"]
    if not rest:
        return stmt.on_conflict_do_nothing(index_elements=[table.c.id])
    return stmt.on_conflict_do_update(
        index_elements=[table.c.id], set_={k: stmt.excluded[k] for k in rest}
    )


_Doc = tuple[Any, Any]


class _Writer:
    """Applies pulled changes inside the caller's transaction with few statements.

    Consecutive upserts of one table (with the same columns) are sent as one executemany, in
    feed order; anything else that touches a mirror (a delete, an alias, a unique-column swap)
    flushes them first. The patient checks (an un-acked local edit of the record; a local
    patient still holding the document) read the outbox and the patients of the documents
    involved once, then follow the writes of the page in memory, instead of two queries per
    pulled patient. The deferred queue is read once and only touched for keys it holds.
    """

    def __init__(self, conn: Connection, now: dt.datetime) -> None:
        self.conn, self.now = conn, now
        table = _deferred()
        self.deferred = {
            (str(t), str(i))
            for t, i in conn.execute(select(table.c.record_type, table.c.record_id))
        }
        self.group: tuple[Table, tuple[str, ...]] | None = None
        self.rows: list[dict[str, Any]] = []
        self.acked: int | None = None
        self.unacked: set[str] = set()
        self.state: dict[str, tuple[Any, Any, Any]] = {}  # id -> (doc_type, doc_number, canon)
        self.holders: dict[_Doc, set[str]] = {}  # document -> ids of non-merged patients
        self.seen_ids: set[str] = set()
        self.seen_numbers: set[str] = set()
        # order change hooks: identities of pulled patients with open orders, what changed
        self.identity: dict[str, tuple[Any, ...]] = {}
        self.relabeled: set[str] = set()  # patients whose identity changed
        self.repointed: set[str] = set()  # orders moved to a canonical patient

    # ------------------------------------------------------------------ writes
    def flush(self) -> None:
        if self.rows and self.group is not None:
            self.conn.execute(_upsert_stmt(*self.group), self.rows)
        self.rows, self.group = [], None

    def _upsert(self, record_type: str, table: Table, payload: dict[str, Any]) -> None:
        values = _values(table, payload)
        unique = [c for c in _UNIQUE.get(record_type, ()) if c in values]
        if unique:
            self.flush()
            for col in unique:
                self.conn.execute(
                    delete(table).where(table.c[col] == values[col], table.c.id != values["id"])
                )
        group = (table, tuple(values))
        if group != self.group:
            self.flush()
            self.group = group
        self.rows.append(values)
        if record_type == "patient":
            self._note_identity(str(values["id"]), values)
            self._track(str(values["id"]), values)

    def _alias(self, payload: dict[str, Any]) -> None:
        self.flush()
        self.repointed.update(_apply_alias(self.conn, payload))
        alias = str(payload["alias_id"])
        if alias in self.state:
            self._track(alias, {"canonical_id": str(payload["canonical_id"])})

    # ------------------------------------------------------------------ patient checks
    def prepare(self, changes: list[FeedChange]) -> None:
        """Read what the patient checks of ``changes`` need (ids, documents, un-acked edits)."""
        payloads = [c.payload for c in changes if c.record_type == "patient" and c.op != "delete"]
        ids = {str(p["id"]) for p in payloads} - self.seen_ids
        numbers = {str(p.get("doc_number")) for p in payloads} - self.seen_numbers
        if not ids and not numbers:
            return
        self.flush()  # the reads below must see the rows written so far
        if self.acked is None:
            self.acked = int(outbox.ensure_state(self.conn)["acked_seq"])
        patient, ob = mirrors()["patient"], outbox.outbox
        cols = (patient.c.id, patient.c.doc_type, patient.c.doc_number, patient.c.canonical_id)
        for chunk in _chunks(sorted(ids)):
            self.unacked.update(
                str(r[0])
                for r in self.conn.execute(
                    select(ob.c.record_id).where(
                        ob.c.record_type == "patient",
                        ob.c.record_id.in_(chunk),
                        ob.c.seq > self.acked,
                    )
                )
            )
            self._load(select(*cols).where(patient.c.id.in_(chunk)))
            self._load_identity(chunk)
        for chunk in _chunks(sorted(numbers)):
            self._load(select(*cols).where(patient.c.doc_number.in_(chunk)))
        self.seen_ids |= ids
        self.seen_numbers |= numbers

    def _load(self, query: Any) -> None:
        for pid, doc_type, doc_number, canonical in self.conn.execute(query):
            if str(pid) not in self.state:  # a tracked row is already current in memory
                self._track(str(pid), {"doc_type": doc_type, "doc_number": doc_number,
                                       "canonical_id": canonical})  # fmt: skip

    # ------------------------------------------------------------------ order change hooks
    def _load_identity(self, ids: list[str]) -> None:
        from edge.orders.hooks import open_order_identities

        for pid, identity in open_order_identities(self.conn, ids).items():
            self.identity.setdefault(pid, identity)

    def _note_identity(self, pid: str, values: dict[str, Any]) -> None:
        old = self.identity.get(pid)
        if old is None:  # no open order: nothing to tell a laboratory
            return
        from edge.orders.hooks import PATIENT_FIELDS

        new = tuple(values.get(f, o) for f, o in zip(PATIENT_FIELDS, old, strict=True))
        if new != old:
            self.identity[pid] = new
            self.relabeled.add(pid)

    def notify(self) -> None:
        """Run the order change hooks for what this writer changed (nothing when nothing did)."""
        if not (self.relabeled or self.repointed):
            return
        from edge.orders import hooks

        self.flush()
        hooks.changed_by_sync(
            self.conn, patient_ids=self.relabeled, order_ids=self.repointed, now=self.now
        )
        self.relabeled, self.repointed = set(), set()

    def _track(self, pid: str, values: dict[str, Any]) -> None:
        old = self.state.get(pid)
        if old is not None and old[2] is None:
            self.holders.get((old[0], old[1]), set()).discard(pid)
        base = old or (None, None, None)
        new = (
            values.get("doc_type", base[0]),
            values.get("doc_number", base[1]),
            values.get("canonical_id", base[2]),
        )
        self.state[pid] = new
        if new[2] is None:
            self.holders.setdefault((new[0], new[1]), set()).add(pid)

    def _blocker(self, payload: dict[str, Any]) -> str | None:
        """Why a pulled patient must wait, or ``None``."""
        pid = str(payload["id"])
        if pid not in self.seen_ids:
            self.prepare([_as_change("patient", payload)])
        if pid in self.unacked:
            return "unacked_local_edit"
        if payload.get("canonical_id") is None and payload.get("doc_type") != "0":
            doc = (payload.get("doc_type"), payload.get("doc_number"))
            if any(h != pid for h in self.holders.get(doc, ())):
                return "document_held_locally"
        return None

    # ------------------------------------------------------------------ changes
    def apply(self, change: FeedChange) -> bool:
        """Apply one pulled change; ``False`` when it was deferred or is not mirrored here."""
        if change.schema_version > SCHEMA_VERSION:
            raise SchemaTooNew(
                f"La central envió datos del esquema {change.schema_version}; este nodo conoce "
                f"el {SCHEMA_VERSION}. Actualice labred.",
            )
        key = (change.record_type, change.record_id)
        if key in self.deferred:
            deferred = _deferred()
            self.conn.execute(
                delete(deferred).where(
                    and_(
                        deferred.c.record_type == change.record_type,
                        deferred.c.record_id == change.record_id,
                    )
                )
            )
            self.deferred.discard(key)
        if change.record_type == "patient_alias":
            self._alias(change.payload)
            return True
        table = mirrors().get(change.record_type)
        if table is None:
            return False
        if change.op == "delete":
            if change.record_type != "patient":
                self.flush()
                self.conn.execute(delete(table).where(table.c.id == change.record_id))
            return True
        if change.record_type == "patient":
            reason = self._blocker(change.payload)
            if reason is not None:
                _defer(self.conn, change, reason, self.now)
                self.deferred.add(key)
                return False
        self._upsert(change.record_type, table, change.payload)
        return True

    def retry_deferred(self) -> int:
        table = _deferred()
        rows = self.conn.execute(select(table).order_by(table.c.cursor)).mappings().all()
        changes = [_as_change(r["record_type"], r["payload"], r["record_id"], r["cursor"])
                   for r in rows]  # fmt: skip
        self.prepare(changes)
        done = sum(1 for c in changes if self.apply(c))
        self.flush()
        return done


def _chunks(values: list[str], size: int = 500) -> list[list[str]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


def _as_change(
    record_type: str, payload: dict[str, Any], record_id: str | None = None, cursor: int = 0
) -> FeedChange:
    return FeedChange(
        cursor=cursor,
        tx_id="",
        record_type=record_type,
        record_id=record_id if record_id is not None else str(payload["id"]),
        op="upsert",
        payload=payload,
        schema_version=SCHEMA_VERSION,
    )


def apply_change(conn: Connection, change: FeedChange, *, now: dt.datetime) -> bool:
    """Apply one pulled change; ``False`` when it was deferred or is not mirrored here."""
    writer = _Writer(conn, now)
    done = writer.apply(change)
    writer.flush()
    writer.notify()
    return done


def apply_changes(conn: Connection, changes: list[FeedChange], *, now: dt.datetime) -> int:
    """Apply a page in feed order (aliases of the page first); returns rows applied."""
    conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    ordered = sorted(changes, key=lambda c: (_PRIORITY.get(c.record_type, 1), c.cursor))
    writer = _Writer(conn, now)
    writer.prepare(ordered)
    applied = sum(1 for c in ordered if writer.apply(c))
    writer.flush()
    applied += writer.retry_deferred()
    writer.notify()
    return applied


def retry_deferred(conn: Connection, *, now: dt.datetime) -> int:
    writer = _Writer(conn, now)
    done = writer.retry_deferred()
    writer.notify()
    return done


def _replace(writer: _Writer, record_type: str, rows: list[FeedChange]) -> None:
    conn = writer.conn
    table = mirrors().get(record_type)
    if record_type == "patient_alias":
        for change in rows:
            writer._alias(change.payload)
        return
    if table is None:
        return
    if record_type != "patient":
        writer.flush()
        keep = {c.record_id for c in rows}
        query = delete(table).where(table.c.id.not_in(keep))
        if record_type == "user":
            query = query.where(table.c.local_only.is_(False))
        conn.execute(query)
    writer.prepare(rows)
    for change in rows:
        writer.apply(change)
    writer.flush()


def replace_table(
    conn: Connection, record_type: str, rows: list[FeedChange], *, now: dt.datetime
) -> None:
    """Make the mirror of ``record_type`` hold exactly ``rows`` (patients: upsert only)."""
    conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    writer = _Writer(conn, now)
    _replace(writer, record_type, rows)
    writer.notify()


def apply_reset(conn: Connection, changes: list[FeedChange], *, now: dt.datetime) -> None:
    """A full snapshot: every mirrored type replaced by the snapshot's rows."""
    by_type: dict[str, list[FeedChange]] = {t: [] for t in [*mirrors(), "patient_alias"]}
    for change in changes:
        if change.schema_version > SCHEMA_VERSION:
            raise SchemaTooNew(f"Esquema {change.schema_version} desconocido; actualice labred.")
        by_type.setdefault(change.record_type, []).append(change)
    conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    writer = _Writer(conn, now)
    for rtype in ("patient_alias", *[t for t in by_type if t != "patient_alias"]):
        _replace(writer, rtype, by_type[rtype])
    writer.retry_deferred()
    writer.notify()


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

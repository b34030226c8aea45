"""The page writer: applies pulled hub-owned records to the edge's mirror tables inside the
caller's SQLite transaction (one page + its cursor), with few statements.

Consecutive upserts of a table go out as one executemany, and the patient checks read what they
need once per page (not two queries per pulled patient).

Pulled changes that an order's laboratory message depends on (a patient's identity edited at
the hub or another sede; a merge re-pointing orders to the canonical patient) run the order
change hooks (``edge.orders.hooks.changed_by_sync``) at the end of the page, in the same
transaction: the identities of the page's patients that have open orders are read once per page
and compared in memory, and a merge's re-pointed orders come back from its own UPDATE.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from typing import Any

from sqlalchemy import Connection, Table, and_, delete, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from edge.sync import fk_check
from edge.sync.mirrors import apply_alias, defer, deferred_table, mirrors, row_values
from sync import outbox
from sync.protocol import SCHEMA_VERSION, FeedChange, SchemaTooNew

# Columns that are unique besides the id: a pulled row replaces a local row holding its value.
_UNIQUE: dict[str, tuple[str, ...]] = {
    "sede": ("code",),
    "setting": ("key",),
    "user": ("username",),
}


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
log = logging.getLogger("labred.edge.sync")


class PageWriter:
    """Applies pulled changes inside the caller's transaction with few statements.

    Consecutive upserts of one table (with the same columns) are sent as one executemany, in
    feed order; anything else that touches a mirror (a delete, an alias, a unique-column swap)
    flushes them first. The patient checks (an un-acked local edit of the record; a local
    patient still holding the document) read the outbox and the patients of the documents
    involved once, then follow the writes of the page in memory, instead of two queries per
    pulled patient. The deferred queue is read once and only touched for keys it holds.

    Every row written, re-pointed or removed is noted in ``trace`` with the record responsible,
    for the foreign-key check of the page (:mod:`edge.sync.fk_check`).
    """

    def __init__(
        self, conn: Connection, now: dt.datetime, trace: fk_check.Trace | None = None
    ) -> None:
        self.conn, self.now = conn, now
        self.trace = trace if trace is not None else fk_check.Trace()
        table = deferred_table()
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

    def _upsert(self, change: FeedChange, table: Table) -> None:
        record_type, values = change.record_type, row_values(table, change.payload)
        unique = [c for c in _UNIQUE.get(record_type, ()) if c in values]
        if unique:
            self.flush()
            for col in unique:
                gone = self.conn.execute(
                    delete(table)
                    .where(table.c[col] == values[col], table.c.id != values["id"])
                    .returning(table.c.id)
                )
                self.trace.remove(table.name, [str(r[0]) for r in gone], change)
        if values.get("id") is not None:
            self.trace.wrote(table.name, [str(values["id"])], change)
        group = (table, tuple(values))
        if group != self.group:
            self.flush()
            self.group = group
        self.rows.append(values)
        if record_type == "patient":
            self._note_identity(str(values["id"]), values)
            self._track(str(values["id"]), values)

    def _alias(self, change: FeedChange) -> None:
        payload = change.payload
        self.flush()
        moved = apply_alias(self.conn, payload)
        self.repointed.update(moved)
        alias = str(payload["alias_id"])
        self.trace.wrote(_orders().name, moved, change)
        self.trace.wrote(mirrors()["patient"].name, [alias], change)
        if alias in self.state:
            self._track(alias, {"canonical_id": str(payload["canonical_id"])})

    def verify(self) -> None:
        """Refuse (``RuleViolation``, code ``fk_missing_parent``) a change of this writer that
        leaves a reference without its parent (e.g. orders re-pointed to a patient this node
        does not hold): foreign keys are deferred, so it would only fail at COMMIT."""
        self.flush()
        found = fk_check.violations(self.conn, self.trace)
        if found:
            raise found[0].error()

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
            deferred = deferred_table()
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
            self._alias(change)
            return True
        table = mirrors().get(change.record_type)
        if table is None:
            return False
        if change.op == "delete":
            if change.record_type != "patient":
                self.flush()
                self.conn.execute(delete(table).where(table.c.id == change.record_id))
                self.trace.remove(table.name, [change.record_id], change)
            return True
        if change.record_type == "patient":
            reason = self._blocker(change.payload)
            if reason is not None:
                defer(self.conn, change, reason, self.now)
                self.deferred.add(key)
                return False
        self._upsert(change, table)
        return True

    def retry_deferred(self, skip: frozenset[tuple[str, str]] = frozenset()) -> int:
        """Apply the deferred queue again (but the records of ``skip``)."""
        table = deferred_table()
        rows = self.conn.execute(select(table).order_by(table.c.cursor)).mappings().all()
        changes = [_as_change(r["record_type"], r["payload"], r["record_id"], r["cursor"])
                   for r in rows if (r["record_type"], r["record_id"]) not in skip]  # fmt: skip
        self.prepare(changes)
        done = sum(1 for c in changes if self.apply(c))
        self.flush()
        return done

    def prune(self, record_type: str, keep: set[str]) -> None:
        """Delete the mirror rows of ``record_type`` a snapshot no longer holds (patients and
        aliases are never deleted; local-only users stay)."""
        table = mirrors().get(record_type)
        if table is None or record_type in ("patient", "patient_alias"):
            return
        self.flush()
        query = delete(table).where(table.c.id.not_in(keep))
        if record_type == "user":
            query = query.where(table.c.local_only.is_(False))
        if table.name in fk_check.graph(self.conn).incoming:  # rows local records may use
            doomed = select(table.c.id).where(query.whereclause)  # type: ignore[arg-type]
            ids = [str(r[0]) for r in self.conn.execute(doomed)]
            held = fk_check.referenced(self.conn, table.name, ids)
            if held:  # never leave local rows without their parent: kept, and said so
                log.warning(
                    "sync pull: %s rows kept though the snapshot drops them (local rows use "
                    "them): %s",
                    record_type,
                    ", ".join(sorted(held)[:10]),
                )
                query = query.where(table.c.id.not_in(held))
        self.conn.execute(query)

    def replace(self, record_type: str, rows: list[FeedChange]) -> None:
        """Replace the mirror of ``record_type`` by a snapshot's ``rows`` (patients: upsert)."""
        self.prune(record_type, {c.record_id for c in rows})
        self.prepare(rows)
        for change in rows:
            self.apply(change)
        self.flush()


def _orders() -> Table:
    from edge.orders.models import Order

    return Order.__table__  # type: ignore[attr-defined]


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

"""The edge's transactional outbox (DESIGN.md section 3).

Every write transaction on an edge appends, in the same SQLite transaction, one outbox row per
changed replicated record: a gapless node-local ``seq``, the record type and id, the operation,
the full row image, an HLC stamp and the schema version. Nothing is ever "sent later from
memory": the push loop reads these rows, and the hub's reply is the only thing that advances
``acked_seq``.

Two ways in, one mechanism:

- :func:`install_capture` hooks a Session class so that every flushed instance of a model that
  declares ``__sync_type__`` gets its outbox row automatically (no service can forget it);
- :func:`record_change` appends a row explicitly, for records that are not ORM instances.

Rows are queued per transaction and written once, just before it commits (one ``sync_state``
read, one multi-row insert): a record changed several times in one transaction leaves one row
with its final image, and a rolled-back savepoint drops what was queued inside it.

``seq`` and the HLC come from the single ``sync_state`` row, updated inside the same
transaction, so a rolled-back transaction leaves no gap and a restart never reuses a number.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session

from domain.clock import Clock, SystemClock
from domain.errors import Conflict
from domain.hlc import HLC
from domain.ids import new_id
from sync.protocol import SCHEMA_VERSION
from sync.sqltypes import UTCDateTime
from sync.wire import row_image, to_wire

metadata = MetaData()

outbox = Table(
    "sync_outbox",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("tx_id", String(36), nullable=False),
    Column("record_type", String(40), nullable=False),
    Column("record_id", String(64), nullable=False),
    Column("op", String(10), nullable=False),
    Column("payload", Text, nullable=False),
    Column("hlc", String(80), nullable=False),
    Column("schema_version", Integer, nullable=False),
    Column("sede_id", String(36), nullable=True),
    Column("business_date", String(10), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
)
# No secondary index: rows are only read by ``seq`` (the push, the pruning, the unacked tail).
# The former index on (record_type, record_id) put each of a sale's ~10 rows in another part of
# its b-tree: ~15 of the ~77 pages a sale wrote to the WAL (edge migration 0009 drops it).

sync_state = Table(
    "sync_state",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("node_id", String(36), nullable=False),
    Column("sede_id", String(36), nullable=True),
    Column("epoch", Integer, nullable=False, default=0),
    Column("last_seq", Integer, nullable=False, default=0),
    Column("acked_seq", Integer, nullable=False, default=0),
    Column("hlc_last", String(80), nullable=True),
    Column("pull_cursor", Integer, nullable=False, default=0),
    Column("hub_offset_ms", Integer, nullable=False, default=0),
    Column("updated_at", UTCDateTime, nullable=True),
    # Highest seq deleted by :func:`prune_acked` (0: never pruned): every row at or below it
    # is gone, so a hub asking for rows from an older seq is told so (:func:`pending`).
    Column("pruned_seq", Integer, nullable=False, default=0, server_default="0"),
)

_clock: Clock = SystemClock()


def set_clock(clock: Clock) -> None:
    """Tests and the simulation inject a clock; production uses the system clock."""
    global _clock
    _clock = clock


def ensure_state(conn: Connection, *, sede_id: str | None = None) -> dict[str, Any]:
    """Create the node's state row on first use; return it."""
    row = conn.execute(select(sync_state).where(sync_state.c.id == 1)).mappings().first()
    if row is None:
        conn.execute(
            insert(sync_state).values(
                id=1,
                node_id=new_id(),
                sede_id=sede_id,
                epoch=0,
                last_seq=0,
                acked_seq=0,
                pull_cursor=0,
                hub_offset_ms=0,
                pruned_seq=0,
                updated_at=_clock.now(),
            )
        )
        row = conn.execute(select(sync_state).where(sync_state.c.id == 1)).mappings().one()
    elif sede_id is not None and row["sede_id"] != sede_id:
        conn.execute(update(sync_state).where(sync_state.c.id == 1).values(sede_id=sede_id))
        row = conn.execute(select(sync_state).where(sync_state.c.id == 1)).mappings().one()
    return dict(row)


# The commit-time write runs in every write transaction (every sale): three fixed statements
# on the driver, values bound as the ``sync_outbox`` / ``sync_state`` columns would bind them.
_STATE_SQL = "SELECT sede_id, last_seq, hlc_last, node_id FROM sync_state WHERE id = 1"
_INSERT_SQL = (
    "INSERT INTO sync_outbox (seq, tx_id, record_type, record_id, op, payload, hlc,"
    " schema_version, sede_id, business_date, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_ADVANCE_SQL = "UPDATE sync_state SET last_seq = ?, hlc_last = ?, updated_at = ? WHERE id = 1"
_TIMESTAMP = UTCDateTime()
#: ``json.dumps(payload, separators=(",", ":"), sort_keys=True)``, without building an encoder
#: per row.
_payload_json = json.JSONEncoder(separators=(",", ":"), sort_keys=True).encode


class _Appender:
    """Allocates seq and HLC stamps from ``sync_state`` within one transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        row = conn.exec_driver_sql(_STATE_SQL).first()
        if row is None:  # first use: create the state row
            state = ensure_state(conn)
            sede_id, last_seq, hlc_last, node_id = (
                state["sede_id"], state["last_seq"], state["hlc_last"], state["node_id"]
            )  # fmt: skip
        else:
            sede_id, last_seq, hlc_last, node_id = row
        self.sede_id: str | None = sede_id
        self.seq: int = last_seq
        self.hlc = HLC.restore(hlc_last, node_id=node_id, clock=_clock)
        self.rows: list[tuple[Any, ...]] = []

    def _timestamp(self) -> Any:
        return _TIMESTAMP.process_bind_param(_clock.now(), self.conn.dialect)

    def add(self, tx_id: str, change: _Change) -> None:
        record_type, record_id, op, payload, business_date = change
        self.seq += 1
        self.rows.append(
            (
                self.seq,
                tx_id,
                record_type,
                record_id,
                op,
                _payload_json(payload),
                self.hlc.now().encode(),
                SCHEMA_VERSION,
                payload.get("sede_id", self.sede_id),
                business_date,
                self._timestamp(),
            )
        )

    def flush(self) -> None:
        if not self.rows:
            return
        self.conn.exec_driver_sql(_INSERT_SQL, self.rows)
        self.conn.exec_driver_sql(_ADVANCE_SQL, (self.seq, self.rows[-1][6], self._timestamp()))
        self.rows = []


# (record_type, record_id, op, payload, business_date)
_Change = tuple[str, str, str, dict[str, Any], str | None]

_TX_ID = "sync_tx_id"
_PENDING = "sync_pending"  # (record_type, record_id) -> _Change, in order of first change
_DIRECT = "sync_direct"  # set once the commit-time write happened: later flushes write at once
_SNAPSHOTS = "sync_snapshots"  # savepoint -> the queue as it was when the savepoint began


def _tx_id(session: Session) -> str:
    tx = session.info.get(_TX_ID)
    if tx is None:
        tx = session.info[_TX_ID] = new_id()
    return str(tx)


def _write(session: Session, changes: list[_Change]) -> None:
    if not changes:
        return
    appender = _Appender(session.connection())
    tx_id = _tx_id(session)
    for change in changes:
        appender.add(tx_id, change)
    appender.flush()


def _write_pending(session: Session) -> None:
    pending: dict[tuple[str, str], _Change] | None = session.info.pop(_PENDING, None)
    if pending:
        _write(session, list(pending.values()))


def _capture(session: Session, changes: list[_Change]) -> None:
    """Queue ``changes`` for the commit-time write (or write them now, once it has happened).

    Within one transaction a record changed several times is written once, with its last
    image, at the position of its first change (parents stay before their children).
    """
    if session.info.get(_DIRECT):
        _write(session, changes)
        return
    pending = session.info.setdefault(_PENDING, {})
    for change in changes:
        pending[(change[0], change[1])] = change


def _after_transaction_create(session: Session, transaction: Any) -> None:
    if transaction.nested:  # a savepoint: remember what was queued before it
        snapshots = session.info.setdefault(_SNAPSHOTS, {})
        snapshots[transaction] = dict(session.info.get(_PENDING, {}))


def _after_rollback(session: Session) -> None:
    """A rolled-back savepoint takes the changes queued inside it along."""
    nested = session.get_nested_transaction()
    snapshot = session.info.get(_SNAPSHOTS, {}).get(nested) if nested is not None else None
    if snapshot is not None:
        session.info[_PENDING] = dict(snapshot)


def record_change(
    session: Session,
    *,
    record_type: str,
    record_id: str,
    payload: dict[str, Any],
    op: str = "upsert",
    business_date: str | None = None,
) -> None:
    """Append one outbox row inside the caller's transaction (the caller commits)."""
    _capture(session, [(record_type, record_id, op, payload, business_date)])


def _business_date(obj: Any) -> str | None:
    value = getattr(obj, "business_date", None)
    return to_wire(value) if value is not None else None


def _change_of(obj: Any, op: str) -> _Change:
    image = row_image(obj)
    return (type(obj).__sync_type__, str(image.get("id")), op, image, _business_date(obj))


def _after_flush(session: Session, _flush_context: Any) -> None:
    changes: list[_Change] = []
    for obj in session.new:
        if getattr(type(obj), "__sync_type__", None):
            changes.append(_change_of(obj, "upsert"))
    for obj in session.dirty:
        if getattr(type(obj), "__sync_type__", None) and session.is_modified(obj):
            changes.append(_change_of(obj, "upsert"))
    for obj in session.deleted:
        if getattr(type(obj), "__sync_type__", None):
            changes.append(_change_of(obj, "delete"))
    if changes:
        _capture(session, changes)


def _before_commit(session: Session) -> None:
    """Write the queued rows once, in the committing transaction, after its final flush."""
    if session.in_nested_transaction():
        return  # releasing a savepoint: the outer transaction writes
    session.flush()
    _write_pending(session)
    session.info[_DIRECT] = True


def _after_end(session: Session, transaction: Any) -> None:
    session.info.get(_SNAPSHOTS, {}).pop(transaction, None)
    if transaction.parent is None:  # the outermost transaction ended: start afresh
        for key in (_TX_ID, _PENDING, _DIRECT, _SNAPSHOTS):
            session.info.pop(key, None)


def install_capture(session_class: type[Session]) -> None:
    """Hook ``session_class`` so replicated models write their outbox rows in each transaction."""
    if getattr(session_class, "_labred_capture", False):
        return
    event.listen(session_class, "after_flush", _after_flush)
    event.listen(session_class, "before_commit", _before_commit)
    event.listen(session_class, "after_transaction_create", _after_transaction_create)
    event.listen(session_class, "after_rollback", _after_rollback)
    event.listen(session_class, "after_transaction_end", _after_end)
    session_class._labred_capture = True  # type: ignore[attr-defined]


class OutboxPruned(Conflict):
    """The hub asks for rows this node already pruned (it was restored from an old dump)."""


def _check_kept(conn: Connection, after_seq: int) -> None:
    """Refuse, loudly, to push from ``after_seq`` when rows after it were pruned: skipping them
    would lose them at the hub silently."""
    pruned = conn.execute(select(sync_state.c.pruned_seq).where(sync_state.c.id == 1)).scalar()
    if pruned is not None and int(pruned) > after_seq:
        raise OutboxPruned(
            f"La central pide las filas de este nodo desde la secuencia {after_seq + 1}, pero el "
            f"nodo ya depuró las confirmadas hasta la {int(pruned)} (más antiguas que la "
            "retención del outbox): la central se restauró desde una copia más antigua. Esas "
            "filas no pueden reenviarse; la sincronización queda detenida hasta re-enrolar el "
            "nodo (avise a soporte: las ventas de esos días deben revisarse en la central).",
            code="outbox_pruned",
            loc=["sync_outbox", str(after_seq + 1)],
        )


def pending(conn: Connection, *, after_seq: int, limit: int) -> list[dict[str, Any]]:
    """Unacknowledged rows in seq order, never splitting one transaction across batches.

    Raises :class:`OutboxPruned` (``outbox_pruned``) when the rows right after ``after_seq``
    are missing because :func:`prune_acked` deleted them."""
    rows = [
        dict(r)
        for r in conn.execute(
            select(outbox).where(outbox.c.seq > after_seq).order_by(outbox.c.seq).limit(limit)
        ).mappings()
    ]
    if not rows or rows[0]["seq"] != after_seq + 1:  # not contiguous: were they pruned?
        _check_kept(conn, after_seq)
    if len(rows) == limit:
        last_tx = rows[-1]["tx_id"]
        more = conn.execute(
            select(outbox)
            .where(outbox.c.seq > rows[-1]["seq"], outbox.c.tx_id == last_tx)
            .order_by(outbox.c.seq)
        ).mappings()
        rows.extend(dict(r) for r in more)
    return rows


def prune_horizon(conn: Connection, *, older_than: dt.datetime) -> int:
    """The highest seq :func:`prune_acked` may delete: acknowledged by the hub and written
    before ``older_than`` (0: nothing to prune)."""
    state = ensure_state(conn)
    bound = conn.execute(
        select(func.max(outbox.c.seq)).where(
            outbox.c.seq <= state["acked_seq"], outbox.c.created_at < older_than
        )
    ).scalar()
    return int(bound or 0)


def prune_acked(conn: Connection, *, upto_seq: int, limit: int) -> int:
    """Delete up to ``limit`` outbox rows with ``seq <= upto_seq`` (the caller passes
    :func:`prune_horizon`, never more than ``acked_seq``), oldest first, inside the caller's
    transaction; remembers the highest seq deleted in ``sync_state.pruned_seq``. Returns how
    many rows were deleted (fewer than ``limit``: nothing left below ``upto_seq``)."""
    state = ensure_state(conn)
    upto = min(int(upto_seq), int(state["acked_seq"]))
    first = conn.execute(select(func.min(outbox.c.seq)).where(outbox.c.seq <= upto)).scalar()
    if first is None:
        return 0
    last = conn.execute(
        select(outbox.c.seq)
        .where(outbox.c.seq >= first, outbox.c.seq <= upto)
        .order_by(outbox.c.seq)
        .offset(limit - 1)
        .limit(1)
    ).scalar()
    top = upto if last is None else int(last)
    result = conn.execute(delete(outbox).where(outbox.c.seq >= first, outbox.c.seq <= top))
    conn.execute(
        update(sync_state)
        .where(sync_state.c.id == 1, sync_state.c.pruned_seq < top)
        .values(pruned_seq=top)
    )
    return int(result.rowcount or 0)

"""Resuming after a restore: take back the records the hub holds beyond the restored point, and
continue the outbox above the hub's mark (sync notes 3.12, the restore runbook).

A node restored from an older copy of its database has lost the tail of its own history that
the hub already applied. At re-enrolment the hub answers ``resume_seq``: the highest seq of this
node it holds (any epoch), which is also where the new epoch's inbox starts. Then, in the same
SQLite transaction that stores the new epoch:

1. the node's unacknowledged outbox rows are sorted out, whole transactions at a time: a
   transaction the hub already applied (the hub's image of each of its edge-owned records
   comes from that seq or a later one) stays where it is, below the mark; any other
   transaction (the un-pushed tail, or a sale made after the restore, which took a seq the hub
   already saw) is renumbered, in order, above the mark, so it is pushed and no seq is ever
   reused;
2. the hub's latest image of every record the node changed after its restored point is written
   back into the edge tables with Core statements (no outbox rows), parents first (seq order),
   except records a renumbered local change is about to overwrite anyway;
3. the local counters (order numbers and sample barcodes of the re-imported days, invoice
   series; the series are also fenced by :func:`edge.sync.enroll.learn_series`) move past the
   re-imported values, the HLC moves past the re-imported stamps,
   ``acked_seq`` becomes the mark and ``last_seq`` the last renumbered row;
4. billing: the signed XML / CDR of re-imported documents (their ``invoice_document`` copies)
   become local files again (:func:`edge.billing.hubcopy.take_back`), and the day's summary
   names are closed (:func:`edge.billing.summary_names.close_day`: the restore may have lost
   some that SUNAT already holds).

Patients are not in this path: they are hub-owned in the change feed and come back with the
full snapshot every (re-)enrolment pulls.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, LargeBinary, Table, delete, func, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from domain.errors import LabError
from domain.hlc import HLC
from domain.ids import parse_order_number
from edge.sync.mirrors import from_wire
from sync import outbox
from sync.client import SyncClient
from sync.protocol import ReimportRow
from sync.records import RECORD_TYPES, Owner

log = logging.getLogger("labred.edge.sync")


@dataclass
class ResumeResult:
    """What :func:`resume` did (also printed by ``labred edge enroll``)."""

    resume_seq: int = 0
    reimported: int = 0
    renumbered: int = 0
    files: int = 0  # signed XML / CDR files taken back from the hub's invoice_document
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> rows not written back

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


@functools.cache
def edge_tables() -> dict[str, Table]:
    """Record type -> edge table, for every edge-owned replicated model."""
    import edge.schema  # noqa: F401  (registers every edge model)
    from edge.base import EdgeModel

    tables: dict[str, Table] = {}
    for mapper in EdgeModel._sa_registry.mappers:  # type: ignore[attr-defined]
        cls = mapper.class_
        rtype = getattr(cls, "__sync_type__", None)
        spec = RECORD_TYPES.get(rtype) if rtype else None
        if spec is not None and spec.owner is Owner.EDGE:
            tables[str(rtype)] = cls.__table__
    return tables


def fetch_lost(client: SyncClient, *, after_seq: int, upto: int) -> list[ReimportRow]:
    """Every record of this node the hub holds with ``after_seq < seq <= upto`` (all pages)."""
    rows: list[ReimportRow] = []
    after = after_seq
    while after < upto:
        page = client.reimport(after, upto)
        rows.extend(page.rows)
        if not page.has_more or page.next_after <= after:
            break
        after = page.next_after
    return rows


def _values(table: Table, payload: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for col in table.columns:
        if col.name not in payload:
            continue
        value = payload[col.name]
        if isinstance(col.type, LargeBinary) and isinstance(value, str):
            values[col.name] = bytes.fromhex(value)
        else:
            values[col.name] = from_wire(value, col.type)
    return values


def _write_back(conn: Connection, table: Table, row: ReimportRow) -> None:
    if row.op == "delete":
        conn.execute(delete(table).where(table.c.id == row.record_id))
        return
    values = _values(table, row.payload)
    stmt = sqlite_insert(table).values(values)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[table.c.id],
            set_={k: stmt.excluded[k] for k in values if k != "id"},
        )
    )


def _renumber(conn: Connection, seqs: list[int], start: int) -> None:
    """Move the outbox rows ``seqs`` (ascending) to ``start, start + 1, ...``."""
    box = outbox.outbox
    targets = list(range(start, start + len(seqs)))
    if seqs == targets:
        return
    conn.execute(update(box).where(box.c.seq.in_(seqs)).values(seq=-box.c.seq))
    for old, new in zip(seqs, targets, strict=True):
        conn.execute(update(box).where(box.c.seq == -old).values(seq=new))


def _day_max(conn: Connection, table: Table, column: str, parse: Any, sede: str, day: Any) -> int:
    highest = 0
    query = select(table.c[column]).where(table.c.sede_id == sede, table.c.business_date == day)
    for value in conn.execute(query).scalars():
        try:
            highest = max(highest, parse(value).seq)
        except (LabError, ValueError):
            continue
    return highest


def _raise_counters(conn: Connection, touched: dict[str, set[tuple[str, str]]]) -> None:
    """Local counters (order numbers, sample barcodes per sede and day; invoice series) that
    exist continue after the highest value the re-imported rows hold; a missing counter
    derives itself from its table on first use."""
    from domain.barcode import parse_sample_barcode
    from edge.billing.models import Invoice, SeriesCounter
    from edge.orders.models import Order, OrderCounter
    from edge.samples.models import Sample, SampleCounter

    daily = (
        ("order", Order, OrderCounter, "number", parse_order_number),
        ("sample", Sample, SampleCounter, "barcode", parse_sample_barcode),
    )
    for rtype, model, counter_model, column, parse in daily:
        table: Table = model.__table__  # type: ignore[union-attr]
        counter: Table = counter_model.__table__  # type: ignore[union-attr]
        for sede, day in sorted(touched.get(rtype, set())):
            date = dt.date.fromisoformat(day[:10])
            highest = _day_max(conn, table, column, parse, sede, date)
            conn.execute(
                update(counter)
                .where(
                    counter.c.sede_id == sede,
                    counter.c.business_date == date,
                    counter.c.last_seq < highest,
                )
                .values(last_seq=highest)
            )
    invoices, series_counter = Invoice.__table__, SeriesCounter.__table__  # type: ignore[attr-defined]
    for series in sorted({s for s, _ in touched.get("invoice", set())}):
        top = int(
            conn.execute(
                select(func.max(invoices.c.number)).where(invoices.c.series == series)
            ).scalar()
            or 0
        )
        conn.execute(
            update(series_counter)
            .where(series_counter.c.series == series, series_counter.c.last_number < top)
            .values(last_number=top)
        )


def _counter_key(row: ReimportRow) -> tuple[str, str] | None:
    """What a written-back row's local counter is keyed by: (sede, day), or (series, "")."""
    if row.op == "delete" or row.record_type not in ("order", "sample", "invoice"):
        return None
    if row.record_type == "invoice":
        series = row.payload.get("series")
        return (str(series), "") if series else None
    sede, day = row.payload.get("sede_id"), row.payload.get("business_date")
    return (str(sede), str(day)) if sede and day else None


def _drop_orphans(conn: Connection, written: dict[str, set[str]], result: ResumeResult) -> None:
    """Take back written-back rows whose parent is missing (a parent skipped for a local
    conflict): a child never stays without its parent, and the transaction can commit."""
    for _ in range(10):  # a chain of skipped parents is short
        problems = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
        if not problems:
            return
        for table_name, rowid, *_ in problems:
            row_id = conn.exec_driver_sql(
                f'SELECT id FROM "{table_name}" WHERE rowid = ?', (rowid,)
            ).scalar()
            if row_id is None or str(row_id) not in written.get(table_name, set()):
                raise LabError(
                    f"La restauración dejó una fila de «{table_name}» sin su registro padre.",
                    code="restore_orphan",
                )
            conn.exec_driver_sql(f'DELETE FROM "{table_name}" WHERE rowid = ?', (rowid,))
            written[table_name].discard(str(row_id))
            result.reimported -= 1
            result.skip("parent_skipped")


def _billing(
    conn: Connection, written: dict[str, set[str]], *, had_life: bool, result: ResumeResult
) -> None:
    """Step 4 of the module docstring."""
    from domain.clock import business_date
    from edge.billing import hubcopy, summary_names

    now = outbox._clock.now()
    result.files = hubcopy.take_back(conn, written.get("invoice_document", set()), now=now)
    if had_life or summary_names.had_summaries(conn):
        summary_names.close_day(conn, day=business_date(now), now=now)


def _not_applied(
    unacked: Any, hub_seq: dict[tuple[str, str], int], resume_seq: int, tables: dict[str, Table]
) -> set[str]:
    """Step 1: the transactions the hub has not applied. A transaction is applied when all its
    rows are at or below the mark and the hub's image of each of its edge-owned records comes
    from that seq or a later one. Rows of other types (patients: hub-owned, never re-imported,
    so the hub reports no seq for them) do not decide; a transaction made only of them is
    pushed again, which the hub's merge absorbs."""
    rows_of: dict[str, list[Any]] = {}
    for r in unacked:
        rows_of.setdefault(r.tx_id, []).append(r)
    fresh: set[str] = set()
    for tx_id, rows in rows_of.items():
        owned = [r for r in rows if r.record_type in tables]
        if (
            not owned
            or any(r.seq > resume_seq for r in rows)
            or any(hub_seq.get((r.record_type, r.record_id), 0) < r.seq for r in owned)
        ):
            fresh.add(tx_id)
    return fresh


def resume(conn: Connection, *, lost: list[ReimportRow], resume_seq: int) -> ResumeResult:
    """Steps 1-3 of the module docstring, inside the caller's transaction (which also stores
    the new epoch). ``lost``: :func:`fetch_lost` from ``min(acked_seq, resume_seq)``."""
    conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    state = outbox.ensure_state(conn)
    base = min(int(state["acked_seq"]), resume_seq)
    result = ResumeResult(resume_seq=resume_seq)
    hub_seq = {(r.record_type, r.record_id): r.seq for r in lost}
    box = outbox.outbox
    unacked = conn.execute(
        select(box.c.seq, box.c.tx_id, box.c.record_type, box.c.record_id)
        .where(box.c.seq > base)
        .order_by(box.c.seq)
    ).all()
    pruned = int(state.get("pruned_seq") or 0)
    if pruned > base:  # rows the hub lacks that this node pruned: say so, never skip silently
        result.skipped["outbox_pruned"] = pruned - base
        log.warning(
            "re-enrolment: seqs %s-%s were pruned from the outbox and cannot be sent again",
            base + 1,
            pruned,
        )
    tables = edge_tables()
    fresh_tx = _not_applied(unacked, hub_seq, resume_seq, tables)
    fresh = [r for r in unacked if r.tx_id in fresh_tx]
    _renumber(conn, [r.seq for r in fresh], resume_seq + 1)
    result.renumbered = sum(1 for i, r in enumerate(fresh) if r.seq != resume_seq + 1 + i)
    local_newer = {(r.record_type, r.record_id) for r in fresh}
    touched: dict[str, set[tuple[str, str]]] = {}
    written: dict[str, set[str]] = {}
    for row in sorted(lost, key=lambda r: r.seq):
        table = tables.get(row.record_type)
        if table is None:
            result.skip("no_local_table")
            continue
        if (row.record_type, row.record_id) in local_newer:
            result.skip("local_change_pending")
            continue
        try:
            with conn.begin_nested():
                _write_back(conn, table, row)
        except IntegrityError:
            result.skip("local_conflict")
            continue
        result.reimported += 1
        written.setdefault(table.name, set()).add(row.record_id)
        key = _counter_key(row)
        if key is not None:
            touched.setdefault(row.record_type, set()).add(key)
    _drop_orphans(conn, written, result)
    _raise_counters(conn, touched)
    _billing(conn, written, had_life=resume_seq > 0, result=result)
    clock_hlc = HLC.restore(state["hlc_last"], node_id=state["node_id"], clock=outbox._clock)
    stamp = None
    for row in lost:
        try:
            stamp = clock_hlc.update(row.hlc)
        except LabError:
            continue
    conn.execute(
        update(outbox.sync_state)
        .where(outbox.sync_state.c.id == 1)
        .values(
            acked_seq=resume_seq,
            last_seq=resume_seq + len(fresh),
            pruned_seq=min(pruned, resume_seq),
            **({"hlc_last": stamp.encode()} if stamp is not None else {}),
        )
    )
    return result

"""Hub ingest: validate and apply a pushed batch exactly once (DESIGN.md section 3, push).

One PostgreSQL transaction per batch: lock the node's inbox row (``SELECT ... FOR UPDATE``, so
concurrent duplicates serialise), skip rows at or below the high-water mark, refuse a gap by
answering the mark, park rows that cannot be accepted (with their reason, advancing the mark:
never blocking), upsert the full images of edge-owned records into ``sync_record``, merge
patients, advance the mark and answer ``acked_to``. The router commits before answering.

This module owns the inbox (the node's mark, its lock, resends) and the answer; the rows
themselves are validated, parked and applied by :mod:`central.sync.apply_rows`.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from sqlmodel import Session

from central.sync import faults
from central.sync.apply_rows import apply_batch
from central.sync.disk import note_disk
from central.sync.hub_clock import hub_hlc
from central.sync.models import Inbox, Node, SyncConflict
from central.sync.record_upsert import has_closures
from domain.clock import Clock, to_unix_ms
from domain.errors import Conflict, InvalidInput, RuleViolation
from domain.hlc import HLC
from domain.hlc import parse as parse_hlc
from sync.protocol import (
    MAX_CLOCK_OFFSET_MS,
    MIN_PULL_SCHEMA,
    PROTOCOL_VERSION,
    Change,
    ParkedNote,
    PushAck,
    PushBatch,
)
from sync.records import RECORD_TYPES, Owner


def _lock_inbox(session: Session, node_id: str, epoch: int, now: dt.datetime) -> int:
    """The node's high-water mark, its inbox row created if needed and locked until commit.

    One statement: ``ON CONFLICT DO UPDATE`` locks the existing row like ``FOR UPDATE`` (a
    concurrent duplicate waits here, then reads the mark the first one committed)."""
    row = (
        session.connection()
        .execute(
            text(
                "INSERT INTO sync_inbox (node_id, epoch, hwm, updated_at) VALUES (:n, :e, 0, :t) "
                "ON CONFLICT (node_id, epoch) DO UPDATE SET hwm = sync_inbox.hwm RETURNING hwm"
            ),
            {"n": node_id, "e": epoch, "t": now},
        )
        .one()
    )
    return int(row[0])


def _refuse_reused_seqs(session: Session, node: Node, resent: list[Change]) -> None:
    """Rows at or below the mark are resends of rows already applied, skipped as duplicates.
    But a database restored from a backup and put back to work without re-enrolling keeps the
    epoch and gives its *new* rows seqs the hub already applied from the rows the disk lost:
    skipping those would lose them silently. A true resend of an edge-owned row carries the
    transaction id the hub stored with that seq (or its seq was parked, or a later change of
    the record superseded it); anything else is refused (``seq_reused``), keeping nothing of
    the batch, until the node re-enrols (its outbox is then renumbered above the mark)."""
    rows = [
        r for r in resent if (spec := RECORD_TYPES.get(r.record_type)) and spec.owner is Owner.EDGE
    ]
    if not rows:
        return
    conn = session.connection()
    stored = {
        (str(t), str(i)): (int(seq), str(tx))
        for t, i, seq, tx in conn.execute(
            text(
                "SELECT record_type, id, seq, tx_id FROM sync_record WHERE (record_type, id) IN "
                "(SELECT * FROM unnest(CAST(:t AS text[]), CAST(:i AS text[])))"
            ),
            {"t": [r.record_type for r in rows], "i": [r.record_id for r in rows]},
        )
    }
    parked = {
        int(seq)
        for (seq,) in conn.execute(
            text("SELECT seq FROM sync_parked WHERE node_id = :n AND seq = ANY(:s)"),
            {"n": node.id, "s": [r.seq for r in rows]},
        )
    }
    for row in rows:
        seq, tx = stored.get((row.record_type, row.record_id), (None, None))
        if row.seq in parked or (seq is not None and (seq > row.seq or tx == row.tx_id)):
            continue
        raise Conflict(
            f"El nodo envía filas nuevas con números de secuencia ya usados (seq {row.seq}): su "
            "base de datos fue restaurada sin re-enrolarlo. Re-enrole el nodo.",
            code="seq_reused",
            loc=["rows", str(row.seq)],
        )


def _closed_days(session: Session, keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """(sede, date) pairs among ``keys`` that already have a reconciliation closure (the ingest
    itself flags late rows inside its upsert statement, with the same test)."""
    if not keys:
        return set()
    conn = session.connection()
    if not has_closures(conn):
        return set()
    found = conn.execute(
        text(
            "SELECT DISTINCT sede_id::text, business_date::text FROM reconciliation_closure "
            "WHERE sede_id::text = ANY(:s) AND business_date::text = ANY(:d)"
        ),
        {"s": sorted({k[0] for k in keys}), "d": sorted({k[1] for k in keys})},
    ).all()
    return {(str(a), str(b)) for a, b in found} & keys


def ingest(*, session: Session, node: Node, batch: PushBatch, clock: Clock) -> PushAck:
    """Apply ``batch`` from ``node`` (inside the caller's transaction)."""
    now = clock.now()
    hlc = hub_hlc(clock)
    if batch.node_id != node.id:
        raise Conflict("El lote no corresponde a este nodo.", code="node_mismatch", loc=["node_id"])
    if batch.epoch != node.epoch:
        raise Conflict(
            f"Época {batch.epoch} obsoleta: el nodo fue re-enrolado o restaurado (época actual "
            f"{node.epoch}).",
            code="stale_epoch",
            loc=["epoch"],
        )
    hwm = _lock_inbox(session, node.id, node.epoch, now)
    rows = sorted(batch.rows, key=lambda r: r.seq)
    resent = [r.seq for r in rows if r.seq <= hwm]  # their parks are reported again (lost ack)
    if not faults.is_planted("skip_inbox_check"):
        _refuse_reused_seqs(session, node, [r for r in rows if r.seq <= hwm])
        rows = [r for r in rows if r.seq > hwm]
        if rows and rows[0].seq != hwm + 1:
            return _ack(hwm, hlc, now, parked=[], opened=0, gap=True)
        contiguous: list[Change] = []
        for r in rows:
            if r.seq != hwm + len(contiguous) + 1:
                break
            contiguous.append(r)
        rows = contiguous
    now_ms = to_unix_ms(now)
    done = apply_batch(session, node, rows, now=now, now_ms=now_ms)
    parked, opened, skewed = sorted(done.parked), done.opened, done.skewed
    if done.newest is not None:
        try:
            hlc.update(done.newest)
        except RuleViolation:  # trusted against the wall clock, beyond the HLC's own bound
            pass
    if skewed:
        session.add(
            SyncConflict(
                kind="clock_skew",
                record_type="node",
                record_id=node.id,
                node_id=node.id,
                sede_id=node.sede_id,
                details={
                    "seqs": skewed[:50],
                    "count": len(skewed),
                    "max_offset_ms": MAX_CLOCK_OFFSET_MS,
                },
                created_at=now,
            )
        )
        opened += 1
    new_hwm = max(hwm, rows[-1].seq) if rows else hwm
    session.connection().execute(
        text("UPDATE sync_inbox SET hwm = :h, updated_at = :t WHERE node_id = :n AND epoch = :e"),
        {"h": new_hwm, "t": now, "n": node.id, "e": node.epoch},
    )
    node.last_seen_at = node.last_push_at = now
    node.app_version = batch.app_version[:40]
    node.schema_version = batch.schema_version
    node.protocol_version = batch.protocol
    node.reported_backlog = batch.backlog
    note_disk(node, batch.disk, now)
    if batch.node_hlc:
        try:
            node.clock_offset_ms = parse_hlc(batch.node_hlc).wall_ms - now_ms
        except InvalidInput:
            pass
    session.add(node)
    session.flush()
    ack = _ack(new_hwm, hlc, now, parked=parked, opened=opened, gap=False)
    ack.parked_details = _parked_notes(session, node, parked + resent)
    return ack


def _parked_notes(session: Session, node: Node, seqs: list[int]) -> list[ParkedNote]:
    """The reasons of the batch's parked rows (by this delivery or, for a resend whose ack was
    lost, by an earlier one), for the node's status."""
    if not seqs:
        return []
    rows = session.connection().execute(
        text(
            "SELECT seq, reason, message FROM sync_parked "
            "WHERE node_id = :n AND epoch = :e AND seq = ANY(:s) ORDER BY seq"
        ),
        {"n": node.id, "e": node.epoch, "s": seqs},
    )
    return [ParkedNote(seq=int(q), reason=str(r), message=str(m or "")[:500]) for q, r, m in rows]


def _ack(
    hwm: int, hlc: HLC, now: dt.datetime, *, parked: list[int], opened: int, gap: bool
) -> PushAck:
    return PushAck(
        acked_to=hwm,
        hub_time=now.isoformat(),
        hub_hlc=hlc.now().encode(),
        parked=parked,
        conflicts_opened=opened,
        gap=gap,
        min_pull_schema=MIN_PULL_SCHEMA,
    )


def inbox_hwm(session: Session, node: Node) -> int:
    row = session.get(Inbox, (node.id, node.epoch))
    return row.hwm if row else 0


__all__ = ["PROTOCOL_VERSION", "hub_hlc", "inbox_hwm", "ingest"]

"""Hub ingest: validate and apply a pushed batch exactly once (DESIGN.md section 3, push).

One PostgreSQL transaction per batch: lock the node's inbox row (``SELECT ... FOR UPDATE``, so
concurrent duplicates serialise), skip rows at or below the high-water mark, refuse a gap by
answering the mark, park rows that cannot be accepted (with their reason, advancing the mark:
never blocking), upsert the full images of edge-owned records into ``sync_record``, merge
patients, advance the mark and answer ``acked_to``. The router commits before answering.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from central.sync import faults
from central.sync.hub_clock import hub_hlc
from central.sync.models import Inbox, Node, ParkedRow, SyncConflict
from central.sync.patients import PatientBatch
from central.sync.record_upsert import foreign_ids, has_closures, upsert_records
from domain.clock import Clock, to_unix_ms
from domain.errors import Conflict, InvalidInput, LabError, RuleViolation
from domain.hlc import HLC, Timestamp
from domain.hlc import parse as parse_hlc
from sync.protocol import (
    MAX_CLOCK_OFFSET_MS,
    MIN_PULL_SCHEMA,
    PROTOCOL_VERSION,
    SCHEMA_VERSION,
    Change,
    ParkedNote,
    PushAck,
    PushBatch,
)
from sync.records import RECORD_TYPES, Owner
from sync.upcast import upcast


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


def _validate(node: Node, row: Change) -> tuple[str, str] | None:
    """``(reason, message)`` when the row cannot be accepted, else ``None``."""
    spec = RECORD_TYPES.get(row.record_type)
    if spec is None:
        return "unknown_record_type", f"Tipo de registro desconocido: {row.record_type}."
    if spec.owner is Owner.HUB:
        return "not_owner", f"Los registros «{row.record_type}» solo se escriben en la central."
    if row.schema_version > SCHEMA_VERSION:
        return "schema_too_new", f"Esquema {row.schema_version} más nuevo que el de la central."
    if "id" not in row.payload or str(row.payload["id"]) != row.record_id:
        return "id_mismatch", "El id del registro no coincide con su contenido."
    if spec.owner is Owner.EDGE:
        sede = row.payload.get("sede_id", row.sede_id)
        if sede is not None and sede != node.sede_id:
            return "foreign_sede", "El registro pertenece a otra sede."
    if row.op not in ("upsert", "delete"):
        return "bad_op", f"Operación desconocida: {row.op}."
    return None  # the stamp is checked by the caller, which parses it once (``_stamp``)


_BAD_HLC = ("bad_hlc", "Marca de tiempo HLC inválida.")


def _stamp(row: Change) -> Timestamp | None:
    try:
        return parse_hlc(row.hlc)
    except InvalidInput:
        return None


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
    try:  # the whole batch at once; a row the database refuses sends it row by row
        with session.begin_nested():
            done = _apply_rows(session, node, rows, now=now, now_ms=now_ms)
    except Exception as exc:
        if not _is_poison(exc):
            raise
        done = _apply_one_by_one(session, node, rows, now=now, now_ms=now_ms)
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


@dataclass
class _Applied:
    parked: list[int] = field(default_factory=list)
    opened: int = 0
    skewed: list[int] = field(default_factory=list)
    newest: Timestamp | None = None

    def add(self, other: _Applied) -> None:
        self.parked += other.parked
        self.opened += other.opened
        self.skewed += other.skewed
        if other.newest is not None and (self.newest is None or other.newest > self.newest):
            self.newest = other.newest


def _park(
    session: Session, node: Node, row: Change, problem: tuple[str, str], now: dt.datetime
) -> None:
    session.add(
        ParkedRow(
            node_id=node.id,
            epoch=node.epoch,
            seq=row.seq,
            record_type=row.record_type[:40],  # the columns' sizes: a bad row is still parked
            record_id=row.record_id[:64],
            reason=problem[0],
            message=problem[1],
            payload=row.payload,
            parked_at=now,
        )
    )


def _apply_rows(
    session: Session, node: Node, rows: list[Change], *, now: dt.datetime, now_ms: int
) -> _Applied:
    """Validate, park and apply ``rows`` (flushed, so the database's refusals surface here)."""
    done = _Applied()
    records: dict[tuple[str, str], dict[str, Any]] = {}
    by_seq = {r.seq: r for r in rows}
    patients: PatientBatch | None = None
    for i, row in enumerate(rows):
        if i == len(rows) // 2:
            faults.point("hub.mid_batch_apply")
        problem = _validate(node, row)
        payload: dict[str, Any] = {}
        stamp = _stamp(row) if problem is None else None
        if problem is None and stamp is None:
            problem = _BAD_HLC
        if problem is None:
            try:
                payload = upcast(row.record_type, row.payload, row.schema_version)
            except InvalidInput as exc:
                problem = (exc.code, exc.msg)
        if problem is not None:
            _park(session, node, row, problem, now)
            done.parked.append(row.seq)
            continue
        assert stamp is not None
        trusted = stamp.wall_ms - now_ms <= MAX_CLOCK_OFFSET_MS
        if not trusted:
            done.skewed.append(row.seq)
        elif done.newest is None or stamp > done.newest:
            done.newest = stamp
        if RECORD_TYPES[row.record_type].owner is Owner.SHARED:
            if patients is None:
                shared = [r.payload for r in rows if r.record_type == row.record_type]
                patients = PatientBatch(
                    session,
                    node_id=node.id,
                    sede_id=node.sede_id,
                    payloads=[p for p in shared if "id" in p],
                )
            done.opened += patients.apply(payload=payload, hlc=row.hlc, trusted=trusted, now=now)
            continue
        sede = payload.get("sede_id") or node.sede_id
        bdate = row.business_date or payload.get("business_date")
        records[(row.record_type, row.record_id)] = {
            "record_type": row.record_type,
            "id": row.record_id,
            "sede_id": sede,
            "business_date": bdate,
            "hlc": row.hlc,
            "op": row.op,
            "payload": payload,
            "seq": row.seq,
            "tx_id": row.tx_id,
        }
    for key in foreign_ids(session.connection(), node.sede_id, list(records)):
        seq = records.pop(key)["seq"]
        _park(session, node, by_seq[seq], _FOREIGN_ID, now)
        done.parked.append(seq)
    if records:
        upsert_records(
            session.connection(),
            list(records.values()),
            node_id=node.id,
            epoch=node.epoch,
            received_at=now,
        )
    session.flush()
    return done


_FOREIGN_ID = (
    "foreign_sede",
    "El id ya pertenece a un registro de otra sede; la central no lo reemplaza.",
)


def _is_poison(exc: BaseException) -> bool:
    """A failure caused by a row's content (a value or constraint the database refuses, a value
    the merge cannot read), not by the database being unavailable (that fails the batch)."""
    if isinstance(exc, DBAPIError):
        state = str(getattr(exc.orig, "sqlstate", "") or "")
        return state[:2] in ("22", "23") or state.startswith("P0")
    return isinstance(exc, ValueError | TypeError | KeyError | LabError)


def _apply_one_by_one(
    session: Session, node: Node, rows: list[Change], *, now: dt.datetime, now_ms: int
) -> _Applied:
    """The batch again, each row in its own savepoint: a row the database refuses is parked
    with the reason (visible at ``/api/sync/parked``) and the rest still applies, so one bad
    row never blocks the node's queue (the sync notes' poison-message rule)."""
    total = _Applied()
    for row in rows:
        try:
            with session.begin_nested():
                total.add(_apply_rows(session, node, [row], now=now, now_ms=now_ms))
            continue
        except Exception as exc:
            if not _is_poison(exc):
                raise
            lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
            detail = lines[0][:300] if lines else type(exc).__name__
            problem = ("rejected", f"La central no pudo guardar el registro: {detail}.")
        total.parked.append(row.seq)
        try:
            with session.begin_nested():
                _park(session, node, row, problem, now)
        except DBAPIError:  # the payload itself cannot be stored (e.g. a NUL character)
            with session.begin_nested():
                raw = row.model_copy(update={"payload": {"raw": json.dumps(row.payload)[:100_000]}})
                _park(session, node, raw, problem, now)
    return total


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

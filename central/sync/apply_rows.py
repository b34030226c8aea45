"""Hub ingest, the rows of a batch: validate each row, park the ones that cannot be accepted
(with their reason, never blocking the node's queue), merge patients and upsert the full images
of edge-owned records into ``sync_record``. :func:`apply_batch` runs inside the caller's
transaction; :mod:`central.sync.service` owns the inbox mark and the answer.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from central.sync import faults
from central.sync.models import Node, ParkedRow
from central.sync.patients import PatientBatch
from central.sync.record_upsert import foreign_ids, upsert_records
from domain.errors import InvalidInput, LabError
from domain.hlc import Timestamp
from domain.hlc import parse as parse_hlc
from sync.protocol import MAX_CLOCK_OFFSET_MS, SCHEMA_VERSION, Change
from sync.records import RECORD_TYPES, Owner
from sync.upcast import upcast


@dataclass
class Applied:
    """What applying rows did: parked seqs, conflicts opened, rows stamped too far ahead of the
    hub's clock, and the newest trusted stamp (for the hub's HLC)."""

    parked: list[int] = field(default_factory=list)
    opened: int = 0
    skewed: list[int] = field(default_factory=list)
    newest: Timestamp | None = None

    def add(self, other: Applied) -> None:
        self.parked += other.parked
        self.opened += other.opened
        self.skewed += other.skewed
        if other.newest is not None and (self.newest is None or other.newest > self.newest):
            self.newest = other.newest


def apply_batch(
    session: Session, node: Node, rows: list[Change], *, now: dt.datetime, now_ms: int
) -> Applied:
    """Apply ``rows`` (contiguous, above the mark): the whole batch at once; a row the database
    refuses sends it row by row (:func:`_apply_one_by_one`)."""
    try:
        with session.begin_nested():
            return _apply_rows(session, node, rows, now=now, now_ms=now_ms)
    except Exception as exc:
        if not _is_poison(exc):
            raise
        return _apply_one_by_one(session, node, rows, now=now, now_ms=now_ms)


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
) -> Applied:
    """Validate, park and apply ``rows`` (flushed, so the database's refusals surface here)."""
    done = Applied()
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
) -> Applied:
    """The batch again, each row in its own savepoint: a row the database refuses is parked
    with the reason (visible at ``/api/sync/parked``) and the rest still applies, so one bad
    row never blocks the node's queue (the sync notes' poison-message rule)."""
    total = Applied()
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

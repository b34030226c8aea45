"""Poison records on the edge, both ways (the sync notes' rule: never block the stream, never
drop silently).

- Pull side: a pulled record that cannot be applied (a bad payload, a value or constraint the
  mirror refuses, a schema newer than this program, a reference to a parent this node lacks:
  ``fk_missing_parent``, see :mod:`edge.sync.fk_check`) is *parked* in ``sync_pull_parked``
  with its error, logged at WARNING, and the rest of its page still applies and the cursor
  moves on.
  A parked record is retried at every pull; a later version that applies (or a snapshot that no
  longer holds it) removes it. :func:`is_poison` tells a record's fault from the database being
  unavailable (which still fails the page, to be retried whole).
- Push side: the outbox rows the hub parked (``PushAck.parked``) are kept in
  ``sync_push_rejected`` with the hub's reason. They are acknowledged (the hub's mark moved
  past them), so they never count as pending; the outbox rows themselves stay.

Everything runs inside the caller's SQLite transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Table, and_, delete, func, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    InterfaceError,
    ProgrammingError,
    StatementError,
)

from domain.errors import LabError, TooManyRequests, Unavailable
from sync.protocol import FeedChange, ParkedNote

log = logging.getLogger("labred.edge.sync")

RECENT = 5  # parked / rejected records listed in the status
RETRY_LIMIT = 500  # parked records retried per pull
_Key = tuple[str, str]
_REPLACED = ("cursor", "op", "schema_version", "payload", "error_code", "error")


def parked_table() -> Table:
    from edge.sync.models import SyncParked

    return SyncParked.__table__  # type: ignore[attr-defined]


def rejected_table() -> Table:
    from edge.sync.models import SyncRejected

    return SyncRejected.__table__  # type: ignore[attr-defined]


def is_poison(exc: BaseException) -> bool:
    """A failure caused by a record's content, not by the database (a locked or broken
    database, a full disk: ``OperationalError`` and the rest fail the page, retried whole)."""
    if isinstance(exc, IntegrityError | DataError | ProgrammingError | InterfaceError):
        return True  # a constraint, a value SQLite refuses, a value it cannot bind
    if isinstance(exc, DBAPIError):
        return False
    if isinstance(exc, StatementError):  # a column type refused the value before SQLite saw it
        return exc.orig is None or is_poison(exc.orig)
    if isinstance(exc, Unavailable | TooManyRequests):
        return False  # transient: the page is retried whole
    return isinstance(exc, ValueError | TypeError | KeyError | ArithmeticError | LabError)


def describe(exc: BaseException) -> tuple[str, str]:
    """``(code, message)`` of a record's fault, short enough for the status."""
    if isinstance(exc, LabError):
        return exc.code[:60], str(exc.msg)[:500]
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    detail = lines[0] if lines else ""
    return type(cause).__name__[:60], (detail or type(cause).__name__)[:500]


class Book:
    """The parked records of this node within one transaction: park, clear, and what is held."""

    def __init__(self, conn: Connection, now: dt.datetime) -> None:
        self.conn, self.now = conn, now
        table = parked_table()
        rows = conn.execute(select(table.c.record_type, table.c.record_id))
        self.keys: set[_Key] = {(str(t), str(i)) for t, i in rows}

    def park(self, change: FeedChange, exc: BaseException) -> None:
        """Park ``change`` with the error ``exc`` (a later version replaces an earlier one)."""
        code, message = describe(exc)
        table = parked_table()
        key = (change.record_type, change.record_id)
        before = self.conn.execute(
            select(table.c.cursor, table.c.error).where(
                table.c.record_type == key[0], table.c.record_id == key[1]
            )
        ).first()
        stmt = sqlite_insert(table).values(
            record_type=change.record_type,
            record_id=change.record_id,
            cursor=change.cursor,
            op=change.op,
            schema_version=change.schema_version,
            payload=change.payload,
            error_code=code,
            error=message,
            attempts=1,
            first_seen_at=self.now,
            last_seen_at=self.now,
        )
        self.conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[table.c.record_type, table.c.record_id],
                set_={
                    **{k: stmt.excluded[k] for k in _REPLACED},
                    "attempts": table.c.attempts + 1,
                    "last_seen_at": stmt.excluded.last_seen_at,
                },
            )
        )
        self.keys.add(key)
        if before is None or before[0] != change.cursor or before[1] != message:
            log.warning(
                "sync pull: %s %s (cursor %s) parked, not applied: %s: %s",
                change.record_type,
                change.record_id,
                change.cursor,
                code,
                message,
            )
        else:  # the same version failing again on a retry: logged once at WARNING above
            log.info("sync pull: parked %s %s still fails: %s", key[0], key[1], message)

    def clear(self, changes: Iterable[FeedChange]) -> int:
        """Drop the parked rows that ``changes`` (applied, or deferred) supersede."""
        keys = {(c.record_type, c.record_id) for c in changes} & self.keys
        table = parked_table()
        for rtype, rid in keys:
            self.conn.execute(
                delete(table).where(and_(table.c.record_type == rtype, table.c.record_id == rid))
            )
            log.info("sync pull: parked %s %s superseded by a version that applied", rtype, rid)
        self.keys -= keys
        return len(keys)

    def clear_missing(self, record_type: str, keep: set[str]) -> None:
        """A snapshot of ``record_type`` without a parked record: the hub no longer has it."""
        gone = {(t, i) for t, i in self.keys if t == record_type and i not in keep}
        table = parked_table()
        for rtype, rid in gone:
            self.conn.execute(
                delete(table).where(and_(table.c.record_type == rtype, table.c.record_id == rid))
            )
        self.keys -= gone


def parked_changes(conn: Connection, *, limit: int = RETRY_LIMIT) -> list[FeedChange]:
    """The parked records in feed order, as changes to apply again."""
    table = parked_table()
    rows = conn.execute(select(table).order_by(table.c.cursor).limit(limit)).mappings()
    return [
        FeedChange(
            cursor=int(r["cursor"]),
            tx_id="",
            record_type=r["record_type"],
            record_id=r["record_id"],
            op=r["op"],
            payload=r["payload"] if isinstance(r["payload"], dict) else {},
            schema_version=int(r["schema_version"]),
        )
        for r in rows
    ]


def parked_types(conn: Connection) -> set[str]:
    """Record types with parked records (their digests differ from the hub's by design)."""
    table = parked_table()
    return {str(t) for (t,) in conn.execute(select(table.c.record_type).distinct())}


def note_rejected(
    conn: Connection,
    *,
    seqs: list[int],
    details: list[ParkedNote],
    rows: dict[int, dict[str, Any]],
    now: dt.datetime,
) -> int:
    """Keep the outbox rows the hub parked (``seqs``) with its reasons; returns rows noted.

    ``rows`` maps seq to the outbox rows of the batch; a seq not among them is read from the
    outbox. A seq already noted (a resent batch) keeps its first note."""
    if not seqs:
        return 0
    from sync import outbox

    why = {d.seq: d for d in details}
    missing = [s for s in seqs if s not in rows]
    if missing:
        ob = outbox.outbox
        found = conn.execute(select(ob).where(ob.c.seq.in_(missing))).mappings()
        rows = {**rows, **{int(r["seq"]): dict(r) for r in found}}
    table = rejected_table()
    noted = 0
    for seq in seqs:
        row = rows.get(seq, {})
        note = why.get(seq)
        reason = note.reason if note else "rejected"
        message = note.message if note else "La central rechazó el registro (sin detalle)."
        result = conn.execute(
            sqlite_insert(table)
            .values(
                seq=seq,
                record_type=str(row.get("record_type", "?"))[:40],
                record_id=str(row.get("record_id", "?"))[:64],
                reason=reason[:60],
                message=message[:500],
                rejected_at=now,
            )
            .on_conflict_do_nothing(index_elements=[table.c.seq])
        )
        if result.rowcount:
            noted += 1
            log.warning(
                "sync push: the hub refused outbox row %s (%s %s): %s: %s",
                seq,
                row.get("record_type"),
                row.get("record_id"),
                reason,
                message,
            )
    return noted


def summary(conn: Connection) -> dict[str, Any]:
    """Counts and the latest few of both kinds, for ``GET /api/sync/status``."""
    parked, rejected = parked_table(), rejected_table()
    n_parked = int(conn.execute(select(func.count()).select_from(parked)).scalar() or 0)
    n_rejected = int(conn.execute(select(func.count()).select_from(rejected)).scalar() or 0)
    recent_parked = conn.execute(
        select(
            parked.c.record_type,
            parked.c.record_id,
            parked.c.cursor,
            parked.c.error_code,
            parked.c.error,
            parked.c.attempts,
            parked.c.first_seen_at,
            parked.c.last_seen_at,
        )
        .order_by(parked.c.last_seen_at.desc(), parked.c.cursor.desc())
        .limit(RECENT)
    ).mappings()
    recent_rejected = conn.execute(
        select(rejected).order_by(rejected.c.seq.desc()).limit(RECENT)
    ).mappings()
    return {
        "parked": n_parked,
        "parked_recent": [dict(r) for r in recent_parked],
        "rejected": n_rejected,
        "rejected_recent": [dict(r) for r in recent_rejected],
        "warnings": warnings(parked=n_parked, rejected=n_rejected),
    }


def warnings(*, parked: int, rejected: int) -> list[str]:
    """The Spanish notices a supervisor or technician must act on."""
    notes = []
    if rejected:
        s = "s" if rejected != 1 else ""
        notes.append(f"{rejected} registro{s} rechazado{s} por la central")
    if parked:
        s = "s" if parked != 1 else ""
        notes.append(f"{parked} registro{s} de la central sin aplicar en este nodo")
    return notes

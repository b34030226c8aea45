"""Queueing notification events from hub code (sync rows are queued by the trigger of
migration 0002): once per (kind, ref), whatever happens twice."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlmodel import Session

from central.notifications.models import NotificationEvent
from domain.ids import new_id

_EV = NotificationEvent.__table__  # type: ignore[attr-defined]


def enqueue(
    session: Session,
    *,
    kind: str,
    ref_id: str,
    now: dt.datetime,
    sede_id: str | None = None,
    payload: dict[str, Any] | None = None,
) -> bool:
    """Queue an event; False when the same (kind, ref) was already queued."""
    result = session.connection().execute(
        pg_insert(_EV)
        .values(id=new_id(), kind=kind, ref_id=ref_id, sede_id=sede_id,
                payload=payload or {}, created_at=now)
        .on_conflict_do_nothing(index_elements=["kind", "ref_id"])
        .returning(_EV.c.id)
    )  # fmt: skip
    return result.first() is not None


def discrepancy_found(session: Session, *, closure: Any, now: dt.datetime) -> bool:
    """A closure found discrepancies (once per closure and reopening)."""
    return enqueue(
        session,
        kind="discrepancy_found",
        ref_id=f"{closure.id}:{closure.reopen_count}",
        now=now,
        sede_id=closure.sede_id,
        payload={
            "closure_id": closure.id,
            "business_date": closure.business_date.isoformat(),
            "discrepancies": closure.discrepancy_count,
            "critical": closure.critical_count,
        },
    )

"""Recording audit events and personal-data access, inside the caller's transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, delete, func
from sqlmodel import Session, col, select

from domain.clock import Clock, business_date
from domain.errors import InvalidInput
from edge.audit.models import AccessLog, AuditEvent


def record(
    session: Session,
    *,
    action: str,
    clock: Clock,
    sede_id: str | None,
    user_id: str | None = None,
    username: str | None = None,
    record_type: str | None = None,
    record_id: str | None = None,
    ip: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    now = clock.now()
    event = AuditEvent(
        sede_id=sede_id,
        action=action,
        user_id=user_id,
        username=username,
        record_type=record_type,
        record_id=record_id,
        ip=ip,
        details=details or {},
        business_date=business_date(now),
        created_at=now,
    )
    session.add(event)
    return event


def log_access(
    session: Session,
    *,
    action: str,
    clock: Clock,
    sede_id: str | None,
    user_id: str,
    patient_id: str | None = None,
    ip: str | None = None,
    details: dict[str, Any] | None = None,
) -> AccessLog:
    now = clock.now()
    entry = AccessLog(
        sede_id=sede_id,
        patient_id=patient_id,
        action=action,
        user_id=user_id,
        ip=ip,
        details=details or {},
        business_date=business_date(now),
        created_at=now,
    )
    session.add(entry)
    return entry


@dataclass(frozen=True)
class AuditFilter:
    """Filters of the audit listing; ``None`` means "any"."""

    action: str | None = None
    user_id: str | None = None
    record_type: str | None = None
    record_id: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def list_events(
    *, session: Session, filters: AuditFilter, limit: int, offset: int
) -> tuple[list[AuditEvent], int]:
    """Audit events matching ``filters``, newest first, and how many match in total.

    Dates are business dates (America/Lima), both ends included.
    """
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise InvalidInput(
            "La fecha inicial es posterior a la final.",
            code="date_range_invalid",
            loc=["query", "date_from"],
        )
    conditions: list[Any] = []
    if filters.action:
        conditions.append(col(AuditEvent.action) == filters.action)
    if filters.user_id:
        conditions.append(col(AuditEvent.user_id) == filters.user_id)
    if filters.record_type:
        conditions.append(col(AuditEvent.record_type) == filters.record_type)
    if filters.record_id:
        conditions.append(col(AuditEvent.record_id) == filters.record_id)
    if filters.date_from:
        conditions.append(col(AuditEvent.business_date) >= filters.date_from)
    if filters.date_to:
        conditions.append(col(AuditEvent.business_date) <= filters.date_to)
    total = session.exec(select(func.count()).select_from(AuditEvent).where(*conditions)).one()
    rows = session.exec(
        select(AuditEvent)
        .where(*conditions)
        .order_by(col(AuditEvent.created_at).desc(), col(AuditEvent.id).desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return list(rows), int(total)


def purge_before(*, session: Session, cutoff: dt.datetime, limit: int) -> dict[str, int]:
    """Delete up to ``limit`` audit events and up to ``limit`` access-log entries (Ley 29733)
    created before ``cutoff``, oldest first; returns rows deleted per table.

    Core statements, so no outbox row is written: retention is local housekeeping and the hub
    keeps and purges its own copy (:mod:`central.housekeeping`). The caller loops, one short
    unit of work per call, until both counts are below ``limit``.
    """
    deleted: dict[str, int] = {}
    tables: tuple[Table, ...] = (AuditEvent.__table__, AccessLog.__table__)  # type: ignore[attr-defined]
    for table in tables:
        doomed = (
            select(table.c.id)
            .where(table.c.created_at < cutoff)
            .order_by(table.c.created_at)
            .limit(limit)
        )
        result = session.execute(delete(table).where(table.c.id.in_(doomed.scalar_subquery())))
        deleted[table.name] = int(getattr(result, "rowcount", 0) or 0)
    return deleted

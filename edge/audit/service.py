"""Recording audit events and personal-data access, inside the caller's transaction."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func
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


def months_before(instant: dt.datetime, months: int) -> dt.datetime:
    """``instant`` moved back by whole calendar months (the day clamped to the month's end)."""
    index = instant.year * 12 + instant.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    day = min(instant.day, calendar.monthrange(year, month)[1])
    return instant.replace(year=year, month=month, day=day)


def purge_older_than(*, session: Session, clock: Clock, months: int = 12) -> int:
    """Delete audit events older than ``months`` (retention, DESIGN.md section 6).

    A bulk delete on purpose: retention is local housekeeping, so no outbox row is written
    (the hub keeps and purges its own copy). Returns how many rows were deleted.
    """
    if months < 1:
        raise InvalidInput(
            "La retención debe ser de al menos un mes.", code="retention_invalid", loc=["months"]
        )
    cutoff = months_before(clock.now(), months)
    result = session.execute(
        delete(AuditEvent)
        .where(col(AuditEvent.created_at) < cutoff)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)

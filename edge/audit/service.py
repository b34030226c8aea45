"""Recording audit events and personal-data access, inside the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from domain.clock import Clock, business_date
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

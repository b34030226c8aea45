"""Recording and listing the hub's audit events (inside the caller's transaction)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from central.audit.models import HubAuditEvent
from central.auth.tokens import Principal
from domain.clock import Clock, day_bounds
from domain.errors import InvalidInput


def record(
    session: Session,
    *,
    action: str,
    clock: Clock,
    actor: Principal | None = None,
    user_id: str | None = None,
    username: str | None = None,
    record_type: str | None = None,
    record_id: str | None = None,
    ip: str | None = None,
    details: dict[str, Any] | None = None,
) -> HubAuditEvent:
    """Add one audit event; ``actor`` fills ``user_id``/``username`` when given."""
    event = HubAuditEvent(
        action=action,
        user_id=actor.user_id if actor else user_id,
        username=actor.username if actor else username,
        record_type=record_type,
        record_id=record_id,
        ip=ip,
        details=details or {},
        created_at=clock.now(),
    )
    session.add(event)
    return event


def search(
    *,
    session: Session,
    action: str | None = None,
    user_id: str | None = None,
    record_type: str | None = None,
    record_id: str | None = None,
    username: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[HubAuditEvent], int]:
    """Events matching the filters (``since``..``until`` Lima dates, inclusive; ``username``
    without regard to case), newest first, and how many match in all."""
    if since and until and since > until:
        raise InvalidInput(
            "La fecha «hasta» no puede ser anterior a «desde».",
            code="date_range_inverted",
            loc=["query", "to"],
        )
    query = select(HubAuditEvent)
    if username and username.strip():
        query = query.where(func.lower(col(HubAuditEvent.username)) == username.strip().lower())
    if action:
        query = query.where(HubAuditEvent.action == action)
    if user_id:
        query = query.where(HubAuditEvent.user_id == user_id)
    if record_type:
        query = query.where(HubAuditEvent.record_type == record_type)
    if record_id:
        query = query.where(HubAuditEvent.record_id == record_id)
    if since:
        query = query.where(col(HubAuditEvent.created_at) >= day_bounds(since)[0])
    if until:
        query = query.where(col(HubAuditEvent.created_at) < day_bounds(until)[1])
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(HubAuditEvent.created_at).desc(), col(HubAuditEvent.id).desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), int(total)


def actions(*, session: Session, limit: int = 500) -> list[str]:
    """The distinct actions recorded, alphabetically."""
    query = select(HubAuditEvent.action).distinct().order_by(col(HubAuditEvent.action))
    return list(session.exec(query.limit(limit)).all())

"""Recording and listing the hub's audit events (inside the caller's transaction).

Sede scope: an event concerns one sede (``sede_id``) or the whole chain (``None``). ``record``
takes the sede from its ``sede_id`` argument, else from the record when it is a sede
(``record_type="sede"``: ``sede.update``, ``lab_sede.update``), else from ``details["sede_id"]``
(reconciliation of a sede's day, reopening of its closure). Everything else — sign-ins, user
management (a user may span several sedes), the catalog, convenios, settings, patient access
(patients belong to the chain) — is chain-wide. An admin reads every event; a supervisor reads
only the events of the sedes assigned to them, never chain-wide ones (``visible_sedes``). The
scope is a SQL condition, so pages and totals count only what the reader may see. Events
recorded before the column existed got the same sede from migration 0004 (record a sede, a
sede's closure, or details naming one); the rest stay chain-wide.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

from sqlalchemy import func
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from central.audit.models import HubAuditEvent
from central.auth.tokens import Principal
from domain.clock import Clock, day_bounds
from domain.errors import Forbidden, InvalidInput
from domain.permissions import Role, check_sede


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
    sede_id: str | None = None,
) -> HubAuditEvent:
    """Add one audit event; ``actor`` fills ``user_id``/``username`` when given; the sede is
    ``sede_id`` or, failing it, taken from the record or the details (see the module doc)."""
    details = details or {}
    event = HubAuditEvent(
        action=action,
        user_id=actor.user_id if actor else user_id,
        username=actor.username if actor else username,
        record_type=record_type,
        record_id=record_id,
        sede_id=sede_id or _sede_of(record_type, record_id, details),
        ip=ip,
        details=details,
        created_at=clock.now(),
    )
    session.add(event)
    return event


def _sede_of(record_type: str | None, record_id: str | None, details: dict[str, Any]) -> str | None:
    if record_type == "sede" and record_id:
        return record_id
    found = details.get("sede_id")
    return found if isinstance(found, str) and found else None


def visible_sedes(user: Principal) -> list[str] | None:
    """The sedes whose events ``user`` may read; ``None``: every event (an admin)."""
    return None if Role(user.role) is Role.ADMIN else list(user.sede_ids)


def check_sede_filter(user: Principal, sede_id: str | None) -> None:
    """Refuse (403 ``sede_not_assigned``) a sede filter outside the user's sedes."""
    if sede_id is None:
        return
    try:
        check_sede(user.role, list(user.sede_ids), sede_id)
    except Forbidden as err:
        raise Forbidden(
            "No está asignado a esa sede: solo puede ver la auditoría de sus sedes.",
            code=err.code,
            loc=["query", "sede_id"],
        ) from None


T = TypeVar("T")


def _scoped(
    query: SelectOfScalar[T], scope: list[str] | None, sede_id: str | None
) -> SelectOfScalar[T]:
    if scope is not None:
        query = query.where(col(HubAuditEvent.sede_id).in_(scope))
    if sede_id:
        query = query.where(HubAuditEvent.sede_id == sede_id)
    return query


def search(
    *,
    session: Session,
    scope: list[str] | None = None,
    sede_id: str | None = None,
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
    without regard to case), newest first, and how many match in all. ``scope``: the sedes
    the reader may see (``visible_sedes``; ``None``: all, chain-wide events included);
    ``sede_id``: only that sede's events."""
    if since and until and since > until:
        raise InvalidInput(
            "La fecha «hasta» no puede ser anterior a «desde».",
            code="date_range_inverted",
            loc=["query", "to"],
        )
    query = _scoped(select(HubAuditEvent), scope, sede_id)
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


def actions(*, session: Session, scope: list[str] | None = None, limit: int = 500) -> list[str]:
    """The distinct actions of the events the reader may see (``scope`` as in ``search``),
    alphabetically."""
    query = _scoped(select(HubAuditEvent.action).distinct(), scope, None)
    return list(session.exec(query.order_by(col(HubAuditEvent.action)).limit(limit)).all())

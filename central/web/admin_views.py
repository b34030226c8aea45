"""Read-only views of the administration pages (``/panel/usuarios``, ``/panel/sedes-series``,
``/panel/parametros``, ``/panel/plantillas``, ``/panel/notificaciones``, ``/panel/alarmas``).

Admins edit through the areas' own APIs (``/api/users``, ``/api/config``,
``/api/notifications``); these functions let supervisors *see* the same data, limited to the
sedes assigned to them (admins see every sede). The SUNAT alarms come from the invoices the
sedes replicate to the hub (``sync_record`` rows of type ``invoice``: their ``state``,
``deadline`` and ``alarm`` columns, see ``edge.billing.models.Invoice``); the disk alarms from
what each sede's node last said of its disk (``central.sync.disk``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from central.auth import users as users_service
from central.auth.models import HubUser
from central.auth.tokens import Principal
from central.config import service as config_service
from central.config import settings as config_settings
from central.config.changes import history as config_history
from central.config.models import ConfigChange, Sede
from central.config.sede_order import sede_code_sql
from central.notifications import service as notifications_service
from central.notifications import templates as notification_templates
from central.notifications.models import Notification, NotificationTemplate
from central.sync import disk as sync_disk
from domain.clock import Clock, day_bounds
from domain.money import from_cents
from domain.permissions import Role

#: Document states whose SUNAT answer is final (edge.billing.models.FINAL_STATES).
FINAL_STATES = ("aceptado", "observado", "rechazado", "anulado")

#: Values the template preview renders with, per event (what the dispatcher fills in).
SAMPLE_CONTEXT: dict[str, Any] = {
    "patient_name": "María Pérez Quispe",
    "order_number": "S01-20261129-0001",
    "sede_name": "Sede Miraflores",
    "sede_code": "S01",
    "total": "90.00",
    "company_name": "Laboratorios Clínicos labred S.A.C.",
    "document": "B001-1234",
    "document_label": "boleta",
    "business_date": "2026-11-28",
    "discrepancies": 2,
    "critical": 1,
    "findings": ["Pago sin orden: S/ 35.00", "Diferencia de caja: S/ 12.50"],
}


def is_admin(user: Principal) -> bool:
    return Role(user.role) is Role.ADMIN


def visible_sede_ids(session: Session, user: Principal) -> list[str]:
    """Every sede for an admin; the user's own sedes otherwise."""
    if is_admin(user):
        return list(session.exec(select(Sede.id)).all())
    return list(user.sede_ids)


# ------------------------------------------------------------------------------- users
def users_for(
    *, session: Session, user: Principal, q: str | None = None, active: bool | None = None
) -> list[HubUser]:
    """Users an admin manages (all) or a supervisor sees (those sharing one of their sedes)."""
    rows, _ = users_service.list_users(session=session, q=q, active=active, limit=1000)
    if is_admin(user):
        return rows
    mine = set(user.sede_ids)
    return [u for u in rows if mine.intersection(u.sede_ids)]


# ------------------------------------------------------------------------------- sedes
def sedes_for(*, session: Session, user: Principal) -> list[Sede]:
    rows = config_service.list_sedes(session=session)
    if is_admin(user):
        return rows
    mine = set(user.sede_ids)
    return [s for s in rows if s.id in mine]


# ------------------------------------------------------------------------------- settings
def settings_with_history(
    *, session: Session, limit: int = 100
) -> tuple[dict[str, Any], list[ConfigChange]]:
    values = config_settings.current_settings(session=session)
    rows, _ = config_history(session=session, entity="setting", limit=limit)
    return values, rows


# ------------------------------------------------------------------------------- notifications
def templates(*, session: Session, clock: Clock) -> list[NotificationTemplate]:
    return notifications_service.list_templates(session=session, clock=clock)


def preview(*, subject: str, body: str) -> tuple[str, str]:
    """The template rendered with sample values; a syntax error or an undefined variable names
    its field (``loc`` ``["body", "subject"|"body"]``), so the page shows it next to it."""
    notification_templates.check(subject, field="subject")
    notification_templates.check(body, field="body")
    return (
        notification_templates.render(subject, SAMPLE_CONTEXT, field="subject"),
        notification_templates.render(body, SAMPLE_CONTEXT, field="body"),
    )


def notification_history(
    *,
    session: Session,
    user: Principal,
    status: str | None = None,
    channel: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Notification]:
    """Newest first (``offset`` rows skipped); a supervisor sees the notifications of their
    sedes only."""
    query = select(Notification)
    if status:
        query = query.where(Notification.status == status)
    if channel:
        query = query.where(Notification.channel == channel)
    if date_from:
        query = query.where(col(Notification.created_at) >= day_bounds(date_from)[0])
    if date_to:
        query = query.where(col(Notification.created_at) < day_bounds(date_to)[1])
    if not is_admin(user):
        query = query.where(col(Notification.sede_id).in_(list(user.sede_ids) or [""]))
    query = query.order_by(col(Notification.created_at).desc(), col(Notification.id).desc())
    return list(session.exec(query.limit(limit).offset(offset)).all())


# ------------------------------------------------------------------------------- SUNAT alarms
@dataclass(frozen=True)
class Alarm:
    sede_id: str
    sede_code: str
    invoice_id: str
    doc_type: str
    document: str
    state: str
    kind: str  # rechazado | vencido | por_vencer
    deadline: dt.date | None
    days_late: int
    business_date: dt.date | None
    total: Decimal
    customer_name: str
    detail: str


_ALARMS_SQL = """
SELECT r.sede_id, coalesce(s.code, r.sede_id), r.id, r.payload->>'doc_type',
       r.payload->>'series', r.payload->>'number', r.payload->>'state',
       r.payload->>'deadline', coalesce((r.payload->>'total')::bigint, 0),
       r.payload->>'customer_name', r.business_date,
       coalesce(r.payload->>'sunat_description', r.payload->>'last_error', ''),
       coalesce((r.payload->>'alarm')::boolean, false)
FROM sync_record r LEFT JOIN sede s ON s.id = r.sede_id
WHERE r.record_type = 'invoice' AND r.op <> 'delete' AND r.sede_id = ANY(:sedes)
  AND r.business_date >= :since
  AND (r.payload->>'state' = 'rechazado'
       OR (NOT (r.payload->>'state' = ANY(:final))
           AND ((r.payload->>'deadline') < :today
                OR coalesce((r.payload->>'alarm')::boolean, false))))
ORDER BY r.payload->>'deadline', {sede_order}, r.payload->>'series', r.payload->>'number'
LIMIT :limit
""".replace("{sede_order}", sede_code_sql("s.code"))


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def sunat_alarms(
    *,
    session: Session,
    user: Principal,
    today: dt.date,
    sede_id: str | None = None,
    days: int = 90,
    limit: int = 500,
) -> list[Alarm]:
    """Documents rejected by SUNAT, past their deadline, or flagged near it, across sedes.

    Only documents issued in the last ``days`` days are looked at (the sending deadline is a
    few days, so older unsent ones were alarms long ago and show in the closures).
    """
    sedes = visible_sede_ids(session, user)
    if sede_id:
        sedes = [s for s in sedes if s == sede_id]
    if not sedes:
        return []
    params = {
        "sedes": sedes,
        "since": (today - dt.timedelta(days=days)).isoformat(),
        "final": list(FINAL_STATES),
        "today": today.isoformat(),
        "limit": limit,
    }
    out: list[Alarm] = []
    for row in session.connection().execute(text(_ALARMS_SQL), params):
        deadline = _date(row[7])
        state = str(row[6] or "")
        if state == "rechazado":
            kind = "rechazado"
        elif deadline is not None and deadline < today:
            kind = "vencido"
        else:
            kind = "por_vencer"
        doc_type = str(row[3] or "")
        out.append(
            Alarm(
                sede_id=str(row[0]),
                sede_code=str(row[1]),
                invoice_id=str(row[2]),
                doc_type=doc_type,
                document=f"{row[4] or ''}-{row[5] or ''}",
                state=state,
                kind=kind,
                deadline=deadline,
                days_late=max(0, (today - deadline).days) if deadline else 0,
                business_date=_date(row[10]),
                total=from_cents(int(row[8] or 0)),
                customer_name=str(row[9] or ""),
                detail=str(row[11] or "")[:300],
            )
        )
    return out


# ------------------------------------------------------------------------------- disk alarms
def disk_alarms(
    *, session: Session, user: Principal, sede_id: str | None = None
) -> list[sync_disk.DiskAlarm]:
    """Sedes visible to ``user`` whose node last said its disk is ``lleno`` (first) or ``bajo``:
    the technician must free space before sales fail."""
    sedes = visible_sede_ids(session, user)
    if sede_id:
        sedes = [s for s in sedes if s == sede_id]
    return sync_disk.disk_alarms(session=session, sede_ids=sedes)

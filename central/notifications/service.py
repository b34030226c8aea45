"""Templates, manual messages, history and resends (the API's side of notifications)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from central.auth.tokens import Principal
from central.notifications import dispatch, templates
from central.notifications.models import (
    ALERT,
    PENDING,
    Notification,
    NotificationTemplate,
)
from domain.clock import Clock, day_bounds
from domain.errors import Conflict, InvalidInput, NotFound
from domain.ids import new_id


def list_templates(*, session: Session, clock: Clock) -> list[NotificationTemplate]:
    dispatch.ensure_templates(session, now=clock.now())
    return list(
        session.exec(
            select(NotificationTemplate).order_by(
                col(NotificationTemplate.event), col(NotificationTemplate.channel)
            )
        )
    )


def create_template(
    *, session: Session, clock: Clock, actor: Principal, event: str, channel: str, name: str,
    subject: str, body: str, active: bool = True,
) -> NotificationTemplate:  # fmt: skip
    dispatch.ensure_templates(session, now=clock.now())
    templates.check(subject, field="subject")
    templates.check(body, field="body")
    exists = session.exec(
        select(NotificationTemplate).where(
            NotificationTemplate.event == event, NotificationTemplate.channel == channel
        )
    ).first()
    if exists is not None:
        raise Conflict(
            "Ya hay una plantilla para ese evento y canal; modifíquela.",
            code="template_exists",
            extra={"template_id": exists.id},
        )
    tpl = NotificationTemplate(event=event, channel=channel, name=name, subject=subject,
                               body=body, active=active, updated_by=actor.username,
                               updated_at=clock.now())  # fmt: skip
    session.add(tpl)
    session.flush()
    return tpl


def update_template(
    *, session: Session, clock: Clock, actor: Principal, template_id: str,
    changes: dict[str, Any],
) -> NotificationTemplate:  # fmt: skip
    tpl = session.get(NotificationTemplate, template_id)
    if tpl is None:
        raise NotFound("La plantilla no existe.", code="template_not_found", loc=["path", "id"])
    for field in ("subject", "body"):
        if field in changes:
            templates.check(changes[field], field=field)
    for key, value in changes.items():
        setattr(tpl, key, value)
    tpl.updated_by = actor.username
    tpl.updated_at = clock.now()
    session.add(tpl)
    session.flush()
    return tpl


def queue_manual(
    *, session: Session, clock: Clock, actor: Principal, channel: str, recipients: list[str],
    subject: str, body: str, patient_id: str | None = None, sede_id: str | None = None,
    context: dict[str, Any] | None = None,
) -> list[Notification]:  # fmt: skip
    """Queue a message typed (or rendered from ``context``) by a person; sent by the worker."""
    now = clock.now()
    templates.check(subject, field="subject")
    templates.check(body, field="body")
    ctx = context or {}
    key = f"manual:{new_id()}"
    if channel == ALERT and not recipients:
        recipients = dispatch.staff_emails(session, sede_id)
        if not recipients:
            raise InvalidInput("No hay administradores ni supervisores con correo.",
                               code="no_recipients", loc=["body", "sede_id"])  # fmt: skip
    out = []
    for recipient in dict.fromkeys(recipients):  # a repeated address gets one message
        n = Notification(
            event_key=key, event="manual", channel=channel, recipient=recipient,
            patient_id=patient_id, sede_id=sede_id,
            subject=templates.render(subject, ctx, field="subject")[:200],
            body=templates.render(body, ctx, field="body"),
            status=PENDING, next_attempt_at=now, created_by=actor.username, created_at=now,
        )  # fmt: skip
        session.add(n)
        out.append(n)
    session.flush()
    return out


def history(
    *, session: Session, status: str | None = None, channel: str | None = None,
    event: str | None = None, patient_id: str | None = None, date_from: dt.date | None = None,
    date_to: dt.date | None = None, limit: int = 50, offset: int = 0,
) -> tuple[list[Notification], int]:  # fmt: skip
    query = select(Notification)
    for column, value in (
        (Notification.status, status),
        (Notification.channel, channel),
        (Notification.event, event),
        (Notification.patient_id, patient_id),
    ):
        if value:
            query = query.where(column == value)
    if date_from:
        query = query.where(col(Notification.created_at) >= day_bounds(date_from)[0])
    if date_to:
        query = query.where(col(Notification.created_at) < day_bounds(date_to)[1])  # fmt: skip
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(Notification.created_at).desc(), col(Notification.id).desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), int(total)


def resend(
    *, session: Session, clock: Clock, actor: Principal, notification_id: str
) -> Notification:
    """Queue a copy of a notification (consent is checked again when it is sent)."""
    original = session.get(Notification, notification_id)
    if original is None:
        raise NotFound("La notificación no existe.", code="notification_not_found",
                       loc=["path", "id"])  # fmt: skip
    if original.status == PENDING:
        raise Conflict("La notificación aún está en cola.", code="notification_pending")
    if original.patient_id and not dispatch.consent(session, original.patient_id, original.channel):
        raise Conflict("El paciente no dio su consentimiento para este canal.",
                       code="no_consent")  # fmt: skip
    if not original.body:
        raise Conflict("La notificación no tiene mensaje (fue omitida).", code="nothing_to_resend")
    now = clock.now()
    copy = Notification(
        event_key=f"resend:{original.id}:{new_id()}", event=original.event,
        channel=original.channel, recipient=original.recipient, patient_id=original.patient_id,
        sede_id=original.sede_id, template_id=original.template_id, subject=original.subject,
        body=original.body, attachments=list(original.attachments), status=PENDING,
        next_attempt_at=now, resend_of=original.id, created_by=actor.username, created_at=now,
    )  # fmt: skip
    session.add(copy)
    session.flush()
    return copy

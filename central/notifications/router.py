"""``/api/notifications``: templates, manual e-mail / WhatsApp / alerts, history, resend."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from central.auth.deps import RuntimeDep, require
from central.auth.tokens import Principal
from central.db import unit_of_work
from central.notifications import service
from central.notifications.schemas import (
    AlertRequest,
    Channel,
    EmailRequest,
    NotificationList,
    NotificationRead,
    Status,
    TemplateCreate,
    TemplateList,
    TemplateRead,
    TemplateUpdate,
    WhatsAppRequest,
)
from central.responses import errors

router = APIRouter(prefix="/api/notifications", tags=["notificaciones"])
Manager = Annotated[Principal, Depends(require("notification.manage"))]
Id = Annotated[str, Path(max_length=36, description="id")]


@router.get("/templates", response_model=TemplateList, summary="Plantillas", responses=errors())
def list_templates(rt: RuntimeDep, _user: Manager) -> TemplateList:
    with unit_of_work(rt.engine) as session:
        rows = service.list_templates(session=session, clock=rt.clock)
        return TemplateList(items=[TemplateRead.of(t) for t in rows])


@router.post("/templates", response_model=TemplateRead, status_code=201,
             summary="Crear una plantilla", responses=errors(409))  # fmt: skip
def create_template(body: TemplateCreate, rt: RuntimeDep, user: Manager) -> TemplateRead:
    with unit_of_work(rt.engine) as session:
        tpl = service.create_template(session=session, clock=rt.clock, actor=user,
                                      **body.model_dump())  # fmt: skip
        return TemplateRead.of(tpl)


@router.put("/templates/{id}", response_model=TemplateRead, summary="Modificar una plantilla",
            responses=errors(404))  # fmt: skip
def update_template(id: Id, body: TemplateUpdate, rt: RuntimeDep, user: Manager) -> TemplateRead:
    with unit_of_work(rt.engine) as session:
        tpl = service.update_template(
            session=session, clock=rt.clock, actor=user, template_id=id,
            changes=body.model_dump(exclude_unset=True, exclude_none=True),
        )  # fmt: skip
        return TemplateRead.of(tpl)


@router.post("/email", response_model=NotificationList, status_code=202,
             summary="Enviar un correo (queda en cola)", responses=errors())  # fmt: skip
def send_email(body: EmailRequest, rt: RuntimeDep, user: Manager) -> NotificationList:
    with unit_of_work(rt.engine) as session:
        rows = service.queue_manual(
            session=session, clock=rt.clock, actor=user, channel="email",
            recipients=[str(t) for t in body.to], subject=body.subject, body=body.body,
            patient_id=body.patient_id,
        )  # fmt: skip
        return NotificationList(items=[NotificationRead.of(n) for n in rows], total=len(rows))


@router.post("/whatsapp", response_model=NotificationList, status_code=202,
             summary="Enviar un WhatsApp (queda en cola)", responses=errors())  # fmt: skip
def send_whatsapp(body: WhatsAppRequest, rt: RuntimeDep, user: Manager) -> NotificationList:
    with unit_of_work(rt.engine) as session:
        rows = service.queue_manual(
            session=session, clock=rt.clock, actor=user, channel="whatsapp",
            recipients=list(body.to), subject="", body=body.body, patient_id=body.patient_id,
        )  # fmt: skip
        return NotificationList(items=[NotificationRead.of(n) for n in rows], total=len(rows))


@router.post("/alert", response_model=NotificationList, status_code=202,
             summary="Alerta al personal (administradores y supervisores)",
             responses=errors())  # fmt: skip
def send_alert(body: AlertRequest, rt: RuntimeDep, user: Manager) -> NotificationList:
    with unit_of_work(rt.engine) as session:
        rows = service.queue_manual(
            session=session, clock=rt.clock, actor=user, channel="alert",
            recipients=[str(t) for t in body.to], subject=body.subject, body=body.body,
            sede_id=body.sede_id,
        )  # fmt: skip
        return NotificationList(items=[NotificationRead.of(n) for n in rows], total=len(rows))


@router.get("/history", response_model=NotificationList, summary="Historial de notificaciones",
            responses=errors())  # fmt: skip
def history(
    rt: RuntimeDep,
    _user: Manager,
    status: Annotated[Status | None, Query(description="estado")] = None,
    channel: Annotated[Channel | None, Query(description="canal")] = None,
    event: Annotated[str | None, Query(max_length=40, description="evento")] = None,
    patient_id: Annotated[str | None, Query(max_length=36, description="paciente")] = None,
    date_from: Annotated[dt.date | None, Query(alias="from", description="desde")] = None,
    date_to: Annotated[dt.date | None, Query(alias="to", description="hasta")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> NotificationList:
    with unit_of_work(rt.engine) as session:
        rows, total = service.history(
            session=session, status=status, channel=channel, event=event,
            patient_id=patient_id, date_from=date_from, date_to=date_to, limit=limit,
            offset=offset,
        )  # fmt: skip
        return NotificationList(items=[NotificationRead.of(n) for n in rows], total=total)


@router.post("/{id}/resend", response_model=NotificationRead, status_code=202,
             summary="Reenviar una notificación", responses=errors(404, 409))  # fmt: skip
def resend(id: Id, rt: RuntimeDep, user: Manager) -> NotificationRead:
    with unit_of_work(rt.engine) as session:
        n = service.resend(session=session, clock=rt.clock, actor=user, notification_id=id)
        return NotificationRead.of(n)

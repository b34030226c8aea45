"""API shapes of templates, manual messages and the notification history."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from central.notifications.models import Notification, NotificationTemplate
from central.openapi_examples import operations as ex

Event = Literal["order_created", "invoice_accepted", "results_ready", "discrepancy_found",
                "manual"]  # fmt: skip
Channel = Literal["email", "whatsapp", "alert"]
Status = Literal["pending", "sent", "failed", "skipped"]
_NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL characters
Subject = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200, pattern=_NO_NUL)]
Body = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000, pattern=_NO_NUL)
]
EmailStr = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, max_length=254, pattern=r"^[^@\s\x00]+@[^@\s\x00]+\.[^@\s\x00]+$"
    ),
]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ]{8,20}$")]


class TemplateRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.TEMPLATE_READ]})

    id: str
    event: str
    channel: str
    name: str
    subject: str
    body: str
    active: bool
    updated_by: str | None
    updated_at: dt.datetime

    @classmethod
    def of(cls, t: NotificationTemplate) -> TemplateRead:
        return cls.model_validate(t, from_attributes=True)


class TemplateList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.TEMPLATE_LIST]})

    items: list[TemplateRead]


class TemplateCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "event": "results_ready", "channel": "email", "name": "Resultados (correo)",
        "subject": "Resultados de {{ order_number }}",
        "body": "Hola {{ patient_name }}, sus resultados están listos.",
    }]})  # fmt: skip

    event: Event
    channel: Channel
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    subject: Subject = ""
    body: Body
    active: bool = True


class TemplateUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "body": "Hola {{ patient_name }}, su orden {{ order_number }} fue registrada.",
    }]})  # fmt: skip

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                           max_length=120)] | None = None  # fmt: skip
    subject: Subject | None = None
    body: Body | None = None
    active: bool | None = None


class EmailRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "to": ["paciente@example.pe"], "subject": "Recordatorio",
        "body": "Recuerde venir en ayunas mañana.",
    }]})  # fmt: skip

    to: list[EmailStr] = Field(min_length=1, max_length=50)
    subject: Subject
    body: Body
    patient_id: str | None = Field(default=None, max_length=36)


class WhatsAppRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "to": ["+51987654321"], "body": "Sus resultados están listos.",
    }]})  # fmt: skip

    to: list[Phone] = Field(min_length=1, max_length=50)
    body: Body
    patient_id: str | None = Field(default=None, max_length=36)


class AlertRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "subject": "Caída del enlace en S02", "body": "La sede S02 no sincroniza desde las 10:00.",
        "sede_id": None,
    }]})  # fmt: skip

    subject: Subject
    body: Body
    sede_id: str | None = Field(
        default=None, max_length=36, description="supervisores de esta sede además de los admins"
    )
    to: list[EmailStr] = Field(default_factory=list, max_length=50)


class NotificationRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.NOTIFICATION_READ]})

    id: str
    event_key: str
    event: str
    channel: str
    recipient: str
    patient_id: str | None
    sede_id: str | None
    subject: str
    body: str
    attachments: list[dict[str, Any]]
    status: Status
    attempts: int
    next_attempt_at: dt.datetime | None
    last_error: str | None
    provider_id: str | None
    resend_of: str | None
    created_by: str | None
    created_at: dt.datetime
    sent_at: dt.datetime | None

    @classmethod
    def of(cls, n: Notification) -> NotificationRead:
        return cls.model_validate(n, from_attributes=True)


class NotificationList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.NOTIFICATION_LIST]})

    items: list[NotificationRead]
    total: int

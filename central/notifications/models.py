"""Templates, queued events and the notifications sent (or to send) with their attempts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Index, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from central.base import HubModel
from domain.ids import new_id
from sync.sqltypes import UTCDateTime

EMAIL = "email"
WHATSAPP = "whatsapp"
ALERT = "alert"
CHANNELS = (EMAIL, WHATSAPP, ALERT)

PENDING = "pending"
SENT = "sent"
FAILED = "failed"  # gave up after the last attempt
SKIPPED = "skipped"  # nobody to send to, or no consent
STATUSES = (PENDING, SENT, FAILED, SKIPPED)


class NotificationTemplate(HubModel, table=True):
    """An editable Spanish template (Jinja2, sandboxed) of one event for one channel."""

    __tablename__ = "notification_template"
    __table_args__ = (UniqueConstraint("event", "channel", name="uq_notification_template"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    event: str = Field(max_length=40, description="order_created | invoice_accepted | ...")
    channel: str = Field(max_length=10)
    name: str = Field(max_length=120)
    subject: str = Field(default="", max_length=200)
    body: str
    active: bool = True
    updated_by: str | None = Field(default=None, max_length=60)
    updated_at: dt.datetime = Field(sa_type=UTCDateTime)


class NotificationEvent(HubModel, table=True):
    """Something that happened (queued once per kind and ref by the sync_record trigger or by
    the reconciliation), waiting to become notifications."""

    __tablename__ = "notification_event"
    __table_args__ = (
        UniqueConstraint("kind", "ref_id", name="uq_notification_event"),
        Index("ix_notification_event_pending", "processed_at", "created_at"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    kind: str = Field(max_length=40)
    ref_id: str = Field(max_length=120)
    sede_id: str | None = Field(default=None, max_length=36)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSONB)
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    processed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    outcome: str | None = Field(default=None, max_length=200)


class Notification(HubModel, table=True):
    """One message to one recipient over one channel; unique per (event, channel, recipient)."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("event_key", "channel", "recipient", name="uq_notification_once"),
        Index("ix_notification_due", "status", "next_attempt_at"),
        Index("ix_notification_created", "created_at"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    event_key: str = Field(max_length=160, description="kind:ref, or manual:<id>")
    event: str = Field(max_length=40)
    channel: str = Field(max_length=10)
    recipient: str = Field(max_length=254)
    patient_id: str | None = Field(default=None, max_length=36, index=True)
    sede_id: str | None = Field(default=None, max_length=36)
    template_id: str | None = Field(default=None, max_length=36)
    subject: str = Field(default="", max_length=200)
    body: str = ""
    attachments: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONB)
    status: str = Field(default=PENDING, max_length=10)
    attempts: int = 0
    max_attempts: int = 5
    next_attempt_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = None
    provider_id: str | None = Field(default=None, max_length=120)
    resend_of: str | None = Field(default=None, max_length=36)
    created_by: str | None = Field(default=None, max_length=60)
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    sent_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)

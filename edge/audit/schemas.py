"""Wire shapes of the audit log listing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from edge.audit.models import AuditEvent
from edge.openapi_examples import system as ex


class AuditEventRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.AUDIT_EVENT]})

    id: str
    sede_id: str | None
    action: str = Field(description="login, login_failed, logout, order_cancel, ...")
    user_id: str | None
    username: str | None
    record_type: str | None
    record_id: str | None
    ip: str | None
    details: dict[str, Any]
    business_date: dt.date
    created_at: dt.datetime

    @classmethod
    def from_model(cls, event: AuditEvent) -> AuditEventRead:
        return cls.model_validate(event, from_attributes=True)


class AuditEventList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.AUDIT_LIST]})

    items: list[AuditEventRead]
    total: int = Field(description="Eventos que cumplen los filtros (sin paginar).")
    limit: int
    offset: int

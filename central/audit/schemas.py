"""API shapes of the hub audit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from central.openapi_examples import admin as ex


class AuditEventRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [ex.AUDIT_EVENT_READ]}
    )

    id: str
    action: str
    user_id: str | None
    username: str | None
    record_type: str | None
    record_id: str | None
    sede_id: str | None = Field(default=None, description="sede del evento; null: toda la cadena")
    ip: str | None
    details: dict[str, Any]
    created_at: dt.datetime


class AuditEventList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.AUDIT_EVENT_LIST]})

    items: list[AuditEventRead]
    total: int


class AuditActions(BaseModel):
    """The actions recorded so far (for the filter of the audit page)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"items": ["catalog.price_change", "login", "user.create"]}]
        }
    )

    items: list[str]

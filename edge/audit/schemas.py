"""Wire shapes of the audit log listing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from edge.audit.models import AuditEvent


class AuditEventRead(BaseModel):
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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "id": "01936f5e-8a1c-7c3a-9d1e-2f4b5c6d7e8f",
                            "sede_id": "01936f5e-0000-7000-8000-000000000001",
                            "action": "login_failed",
                            "user_id": None,
                            "username": "mrojas",
                            "record_type": "user",
                            "record_id": None,
                            "ip": "192.168.1.20",
                            "details": {"reason": "bad_password", "locked": False},
                            "business_date": "2026-11-29",
                            "created_at": "2026-11-29T14:03:11Z",
                        }
                    ],
                    "total": 1,
                    "limit": 50,
                    "offset": 0,
                }
            ]
        }
    )

    items: list[AuditEventRead]
    total: int = Field(description="Eventos que cumplen los filtros (sin paginar).")
    limit: int
    offset: int

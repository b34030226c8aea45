"""The hub's audit trail of critical actions (hub-local; edges keep their own)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field

from central.base import HubModel
from domain.ids import new_id
from sync.sqltypes import UTCDateTime


class HubAuditEvent(HubModel, table=True):
    __tablename__ = "hub_audit_event"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    action: str = Field(max_length=40, index=True, description="user.create, login_failed, ...")
    user_id: str | None = Field(default=None, max_length=36, index=True)
    username: str | None = Field(default=None, max_length=60)
    record_type: str | None = Field(default=None, max_length=40)
    record_id: str | None = Field(default=None, max_length=64)
    sede_id: str | None = Field(
        default=None, max_length=36, index=True, description="the sede concerned; None: chain-wide"
    )
    ip: str | None = Field(default=None, max_length=45)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: dt.datetime = Field(sa_type=UTCDateTime, index=True)

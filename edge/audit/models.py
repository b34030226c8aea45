"""Audit of critical actions and the access log of personal data (Ley 29733)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field

from domain.ids import new_id
from edge.base import EdgeModel
from sync.sqltypes import UTCDateTime


class AuditEvent(EdgeModel, table=True):
    __tablename__ = "audit_event"
    __fast_insert__ = True  # a sale inserts it: edge.fastinsert
    __sync_type__ = "audit_event"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    sede_id: str | None = Field(default=None, max_length=36)
    action: str = Field(max_length=40, index=True, description="login, login_failed, ...")
    user_id: str | None = Field(default=None, max_length=36, index=True)
    username: str | None = Field(default=None, max_length=60)
    record_type: str | None = Field(default=None, max_length=40)
    record_id: str | None = Field(default=None, max_length=64)
    ip: str | None = Field(default=None, max_length=45)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    business_date: dt.date
    created_at: dt.datetime = Field(sa_type=UTCDateTime, index=True)


class AccessLog(EdgeModel, table=True):
    __tablename__ = "access_log"
    __sync_type__ = "access_log"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    sede_id: str | None = Field(default=None, max_length=36)
    patient_id: str | None = Field(default=None, max_length=36, index=True)
    action: str = Field(max_length=20, description="view | print | export | search")
    user_id: str = Field(max_length=36)
    ip: str | None = Field(default=None, max_length=45)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    business_date: dt.date
    created_at: dt.datetime = Field(sa_type=UTCDateTime)

"""Laboratory systems and their test-code maps (replicated: columns are exactly
``sync.records.LabSystemRecord`` / ``LabCodeMapRecord``).

Which system a sede uses is a per-sede setting (``setting`` row ``lab.sede.<sede id>``, see
:mod:`central.lab.service`); ``LabSystem.sede_ids`` is kept in step with those settings in the
same transaction, so an edge can answer "where do my orders go" from either.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field

from central.base import HubModel
from domain.ids import new_id
from sync.sqltypes import UTCDateTime


class LabSystem(HubModel, table=True):
    """An external laboratory system (LIS) and how to reach it."""

    __tablename__ = "lab_system"
    __sync_type__ = "lab_system"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    code: str = Field(default="", max_length=20, unique=True)
    name: str = Field(max_length=120)
    protocol: str = Field(default="mllp", max_length=10, description="rest | mllp | file")
    hl7_version: str = Field(default="2.5.1", max_length=8)
    message_type: str = Field(default="OML_O21", max_length=10, description="OML_O21 | ORM_O01")
    url: str = Field(default="", max_length=500)
    host: str = Field(default="", max_length=255)
    port: int = 0
    folder: str = Field(default="", max_length=500)
    file_format: str = Field(default="hl7", max_length=4, description="hl7 | csv")
    token: str = Field(default="", max_length=500, description="secret: never returned by the API")
    results_token: str = Field(default="", max_length=500, description="secret: never returned")
    timeout_seconds: float = 10.0
    sede_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    active: bool = True
    updated_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class LabCodeMap(HubModel, table=True):
    """Our catalog test (``service_id``) as a laboratory system knows it."""

    __tablename__ = "lab_code_map"
    __sync_type__ = "lab_code_map"
    __table_args__ = (UniqueConstraint("lab_system_id", "service_id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    lab_system_id: str = Field(max_length=36, index=True)
    service_id: str = Field(max_length=36, index=True)
    code: str = Field(default="", max_length=40)
    loinc: str = Field(default="", max_length=20)
    name: str = Field(default="", max_length=200)
    sample_type: str = Field(default="", max_length=40)
    updated_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)

"""API shapes of the hub's sync endpoints (the wire messages live in ``sync.protocol``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from central.openapi_examples import sync as ex
from sync.protocol import DiskLevel


class NodeCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"sede_id": "0193a1b2-0000-7000-8000-000000000001", "name": "Nodo Miraflores"}
            ]
        },
    )

    sede_id: str = Field(min_length=1, max_length=36)
    name: str = Field(default="", max_length=120)


class NodeCreated(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.NODE_CREATED]})

    node_id: str
    sede_id: str
    name: str
    epoch: int
    enrolment_code: str = Field(description="shown once; give it to the technician")
    expires_at: dt.datetime


class NodeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [ex.NODE_READ]})

    id: str
    sede_id: str
    name: str
    epoch: int
    revoked: bool
    enrolled_at: dt.datetime | None
    last_seen_at: dt.datetime | None
    last_push_at: dt.datetime | None
    last_pull_at: dt.datetime | None
    app_version: str
    schema_version: int
    reported_backlog: int


class NodeStatus(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.NODE_STATUS]})

    node_id: str
    sede_id: str
    name: str
    epoch: int
    revoked: bool
    last_seen_at: dt.datetime | None
    last_push_at: dt.datetime | None
    last_pull_at: dt.datetime | None
    acked_seq: int
    backlog: int
    push_lag_seconds: float | None
    pull_cursor: int
    pull_lag_changes: int
    parked_rows: int
    app_version: str
    schema_version: int
    clock_offset_ms: int
    disk_level: DiskLevel | None = Field(
        default=None,
        description="disco del nodo según su último envío o consulta: ok | bajo | lleno; null si "
        "nunca lo informó (versiones anteriores)",
    )
    disk_free_mb: int | None = Field(default=None, description="MB libres informados")
    disk_reported_at: dt.datetime | None = Field(
        default=None, description="cuándo la central recibió esos valores"
    )


class ConflictRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [ex.CONFLICT_READ]}
    )

    id: str
    kind: str
    record_type: str
    record_id: str
    field: str | None
    kept_value: Any
    kept_hlc: str | None
    kept_node: str | None
    other_value: Any
    other_hlc: str | None
    other_node: str | None
    node_id: str | None
    sede_id: str | None
    details: dict[str, Any]
    status: str
    resolution: str | None
    resolved_by: str | None
    resolved_at: dt.datetime | None
    created_at: dt.datetime


class ConflictResolve(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"choice": "other"}]})

    choice: str = Field(
        pattern="^(kept|other|acknowledge)$",
        description="kept: keep the current value; other: apply the overwritten one; "
        "acknowledge: for duplicate identities and clock skews",
    )


class ParkedRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [ex.PARKED_READ]}
    )

    id: str
    node_id: str
    epoch: int
    seq: int
    record_type: str
    record_id: str
    reason: str
    message: str
    parked_at: dt.datetime

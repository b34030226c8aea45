"""API shapes of the hub's closures as this sede sees them."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from edge.closures.models import HubClosure
from edge.closures.service import CLOSED_STATUSES, STATUS_LABELS
from edge.openapi_examples import system as ex

Severity = Literal["info", "warning", "critical"]


class FindingSummary(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.CLOSURE["discrepancies"][0]]})

    kind: str = Field(description="p. ej. seal_mismatch, series_gap, cash_short")
    severity: Severity
    message: str
    records: int = Field(description="registros involucrados")


class ClosureRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.CLOSURE]})

    id: str
    business_date: dt.date
    status: Literal["pending_data", "reconciled", "with_discrepancies", "reopened"]
    status_label: str
    closed: bool = Field(description="la central cerró el día: no admite ajustes de caja")
    closed_at: dt.datetime | None
    discrepancy_count: int
    critical_count: int
    has_late_adjustments: bool
    late_adjustment_count: int
    discrepancies: list[FindingSummary]
    reopen_count: int
    reopened_at: dt.datetime | None
    reopened_by: str | None
    reopen_reason: str | None

    @classmethod
    def of(cls, c: HubClosure) -> ClosureRead:
        return cls(
            id=c.id, business_date=c.business_date,
            status=c.status,  # type: ignore[arg-type]
            status_label=STATUS_LABELS.get(c.status, c.status),
            closed=c.status in CLOSED_STATUSES, closed_at=c.closed_at,
            discrepancy_count=c.discrepancy_count, critical_count=c.critical_count,
            has_late_adjustments=c.has_late_adjustments,
            late_adjustment_count=c.late_adjustment_count,
            discrepancies=[FindingSummary.model_validate(f) for f in c.summary or []],
            reopen_count=c.reopen_count, reopened_at=c.reopened_at, reopened_by=c.reopened_by,
            reopen_reason=c.reopen_reason,
        )  # fmt: skip


class ClosureList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.CLOSURE_LIST]})

    items: list[ClosureRead]
    total: int

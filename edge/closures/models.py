"""Read-only mirror of the hub's closures of this sede's days (``sync.records.ClosureRecord``).

Pulled from the hub's change feed (record type ``reconciliation_closure``, only this sede's);
the edge never writes it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Index
from sqlmodel import Field

from edge.base import EdgeModel
from sync.sqltypes import UTCDateTime


class HubClosure(EdgeModel, table=True):
    """A business day of this sede as the hub reconciled it."""

    __tablename__ = "hub_closure"
    __table_args__ = (Index("ix_hub_closure_sede_date", "sede_id", "business_date"),)

    id: str = Field(primary_key=True, max_length=36)
    sede_id: str = Field(max_length=36)
    business_date: dt.date
    status: str = Field(max_length=20)
    closed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    discrepancy_count: int = 0
    critical_count: int = 0
    has_late_adjustments: bool = False
    late_adjustment_count: int = 0
    summary: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    reopen_count: int = 0
    reopened_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    reopened_by: str | None = Field(default=None, max_length=60)
    reopen_reason: str | None = None
    updated_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)

"""Closures (one per sede and business day) and their discrepancies.

The closure table is ``recon_closure``; migration 0002 adds the view ``reconciliation_closure``
over the closures that were actually reconciled (not ``pending_data``), which the sync ingest
reads to flag rows arriving for a closed day as ``late``.

``SedeClosure`` is the closure as its sede sees it (status, counts, a summary of the findings,
the reopening): a hub-owned record (``reconciliation_closure``) that flows down through the
change feed to that sede's edge only, written only when what the sede sees changes.
``LateBefore`` keeps, for each business row that changed after its day was closed, the image
the closure counted (a trigger on ``sync_record`` writes it), so that updates that do not
change the day's figures (SUNAT states) are told apart from real late adjustments.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Index, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from central.base import HubModel
from domain.ids import new_id
from sync.sqltypes import UTCDateTime

PENDING_DATA = "pending_data"
RECONCILED = "reconciled"
WITH_DISCREPANCIES = "with_discrepancies"
REOPENED = "reopened"
STATUSES = (PENDING_DATA, RECONCILED, WITH_DISCREPANCIES, REOPENED)
STATUS_LABELS = {
    PENDING_DATA: "pendiente de datos",
    RECONCILED: "conciliado",
    WITH_DISCREPANCIES: "con discrepancias",
    REOPENED: "reabierto",
}


class Closure(HubModel, table=True):
    """A sede's business day as the hub reconciled it; frozen once reconciled (``closed_at``)."""

    __tablename__ = "recon_closure"
    __table_args__ = (
        UniqueConstraint("sede_id", "business_date", name="uq_recon_closure_sede_date"),
        Index("ix_recon_closure_date_status", "business_date", "status"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    sede_id: str = Field(max_length=36)
    business_date: dt.date
    status: str = Field(default=PENDING_DATA, max_length=20)
    figures: dict[str, Any] = Field(
        default_factory=dict, sa_type=JSONB, description="hub counts and sums when reconciled"
    )
    seal_figures: dict[str, Any] = Field(default_factory=dict, sa_type=JSONB)
    method_totals: dict[str, Any] = Field(default_factory=dict, sa_type=JSONB)
    adjusted_figures: dict[str, Any] = Field(
        default_factory=dict, sa_type=JSONB, description="hub figures including late rows"
    )
    late_adjustments: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONB)
    has_late_adjustments: bool = False
    seal_id: str | None = Field(default=None, max_length=64)
    seal_received_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    discrepancy_count: int = 0
    critical_count: int = 0
    closed_at: dt.datetime | None = Field(
        default=None, sa_type=UTCDateTime, description="when the day was reconciled"
    )
    executed_at: dt.datetime = Field(sa_type=UTCDateTime)
    executed_by: str = Field(default="sistema", max_length=60)
    runs: int = 0
    reopen_count: int = 0
    reopened_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    reopened_by: str | None = Field(default=None, max_length=60)
    reopen_reason: str | None = None
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(sa_type=UTCDateTime)


class Discrepancy(HubModel, table=True):
    """One finding of a closure: kind, severity, the ids involved and the amounts."""

    __tablename__ = "recon_discrepancy"
    __table_args__ = (
        UniqueConstraint("closure_id", "key", name="uq_recon_discrepancy_key"),
        Index("ix_recon_discrepancy_sede_date", "sede_id", "business_date"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    closure_id: str = Field(foreign_key="recon_closure.id", index=True, max_length=36)
    sede_id: str = Field(max_length=36)
    business_date: dt.date
    kind: str = Field(max_length=40, index=True)
    severity: str = Field(max_length=10)
    key: str = Field(max_length=120)
    message: str
    record_ids: list[str] = Field(default_factory=list, sa_type=JSONB)
    amount_cents: int | None = None
    expected_cents: int | None = None
    actual_cents: int | None = None
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSONB)
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(sa_type=UTCDateTime)


class SedeClosure(HubModel, table=True):
    """What a sede's edge mirrors of its closure (``sync.records.ClosureRecord``, same id)."""

    __tablename__ = "recon_sede_closure"
    __sync_type__ = "reconciliation_closure"
    __sync_scope_column__ = "sede_id"

    id: str = Field(primary_key=True, max_length=36)
    sede_id: str = Field(max_length=36, index=True)
    business_date: dt.date
    status: str = Field(max_length=20)
    closed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    discrepancy_count: int = 0
    critical_count: int = 0
    has_late_adjustments: bool = False
    late_adjustment_count: int = 0
    summary: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONB)
    reopen_count: int = 0
    reopened_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    reopened_by: str | None = Field(default=None, max_length=60)
    reopen_reason: str | None = None
    updated_at: dt.datetime = Field(sa_type=UTCDateTime)


class LateBefore(HubModel, table=True):
    """The image a closure counted of a row that changed after the day was closed (``before``
    is ``None`` when the row is new); cleared when the day is reconciled afresh."""

    __tablename__ = "recon_late_before"
    __table_args__ = (Index("ix_recon_late_before_sede_date", "sede_id", "business_date"),)

    record_type: str = Field(primary_key=True, max_length=40)
    id: str = Field(primary_key=True, max_length=64)
    sede_id: str = Field(max_length=36)
    business_date: dt.date
    before_op: str | None = Field(default=None, max_length=10)
    before: dict[str, Any] | None = Field(default=None, sa_type=JSONB)
    recorded_at: dt.datetime = Field(sa_type=UTCDateTime)


class LateMark(HubModel, table=True):
    """The last time a row flagged ``late`` arrived for a sede's day (kept by a trigger on
    ``sync_record``, migration 0002): the worker re-runs those closures to list them."""

    __tablename__ = "recon_late_mark"

    sede_id: str = Field(primary_key=True, max_length=36)
    business_date: dt.date = Field(primary_key=True)
    rows: int = 0
    last_received_at: dt.datetime = Field(sa_type=UTCDateTime)

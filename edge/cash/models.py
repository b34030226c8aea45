"""Cash sessions (caja), movements, blind counts and the day seal (edge-owned, replicated up)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field

from domain.ids import new_id
from edge.base import EdgeModel
from sync.sqltypes import Cents, UTCDateTime


class CashSession(EdgeModel, table=True):
    __tablename__ = "cash_session"
    __sync_type__ = "cash_session"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    sede_id: str = Field(max_length=36, index=True)
    cashier_id: str = Field(max_length=36, index=True)
    status: str = Field(default="abierta", max_length=20, description="abierta | cerrada")
    opening_float: Decimal = Field(sa_type=Cents)
    opening_denominations: dict[str, int] = Field(
        default_factory=dict, sa_type=JSON, description="'200.00' -> pieces (optional)"
    )
    opened_at: dt.datetime = Field(sa_type=UTCDateTime)
    closed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_by: str | None = Field(default=None, max_length=36)
    expected: dict[str, int] = Field(
        default_factory=dict, sa_type=JSON, description="method -> expected céntimos at close"
    )
    declared: dict[str, int] = Field(
        default_factory=dict, sa_type=JSON, description="method -> counted/declared céntimos"
    )
    difference_cents: int = 0
    difference_approved_by: str | None = Field(default=None, max_length=36)
    count_id: str | None = Field(default=None, max_length=36, description="count used at close")
    closing_note: str | None = None
    reopened_count: int = 0
    reopened_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    reopened_by: str | None = Field(default=None, max_length=36)
    reopen_reason: str | None = None
    business_date: dt.date = Field(index=True)


class CashMovement(EdgeModel, table=True):
    __tablename__ = "cash_movement"
    __sync_type__ = "cash_movement"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    session_id: str = Field(foreign_key="cash_session.id", index=True, max_length=36)
    sede_id: str = Field(max_length=36)
    kind: str = Field(max_length=20, description="ingreso | egreso | ajuste")
    amount: Decimal = Field(
        sa_type=Cents,
        description="positive; an ajuste (after close) is signed and corrects the difference",
    )
    reason: str
    user_id: str = Field(max_length=36)
    business_date: dt.date
    created_at: dt.datetime = Field(sa_type=UTCDateTime)


class CashCount(EdgeModel, table=True):
    __tablename__ = "cash_count"
    __sync_type__ = "cash_count"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    session_id: str = Field(foreign_key="cash_session.id", index=True, max_length=36)
    sede_id: str = Field(max_length=36)
    denominations: dict[str, int] = Field(
        default_factory=dict, sa_type=JSON, description="'200.00' -> pieces"
    )
    cash_total: Decimal = Field(sa_type=Cents)
    declared_other: dict[str, int] = Field(
        default_factory=dict, sa_type=JSON, description="tarjeta/yape/plin/transferencia céntimos"
    )
    expected: dict[str, int] = Field(
        default_factory=dict,
        sa_type=JSON,
        description="method -> expected céntimos when counted (revealed only after the count)",
    )
    note: str | None = None
    counted_by: str = Field(max_length=36)
    business_date: dt.date
    created_at: dt.datetime = Field(sa_type=UTCDateTime)


DAY_SEALED = "sellado"
DAY_REOPENED = "reabierto"


class DaySeal(EdgeModel, table=True):
    """Counts and sums of a sede's business day, pushed when the day is closed.

    A supervisor may reopen a sealed day (``status`` ``reabierto``): the row stays (same id) and
    the day takes work again; sealing it again rewrites the same row (fresh figures and
    ``last_seq``, ``status`` ``sellado``), so the hub receives an update of the same record.
    """

    __tablename__ = "day_seal"
    __sync_type__ = "day_seal"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    sede_id: str = Field(max_length=36)
    business_date: dt.date = Field(unique=True)
    last_seq: int = Field(description="outbox seq of the last row of the day")
    figures: dict[str, Any] = Field(
        default_factory=dict, sa_type=JSON, description="counts and sums per record type and method"
    )
    closed_by: str = Field(max_length=36, description="who sealed it last")
    created_at: dt.datetime = Field(sa_type=UTCDateTime, description="first sealed")
    status: str = Field(default=DAY_SEALED, max_length=12, description="sellado | reabierto")
    sealed_at: dt.datetime | None = Field(
        default=None, sa_type=UTCDateTime, description="last sealed (first seal or re-seal)"
    )
    reopen_count: int = 0
    reopened_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    reopened_by: str | None = Field(default=None, max_length=36, description="user id")
    reopened_by_name: str | None = Field(default=None, max_length=120)
    reopen_reason: str | None = Field(default=None, max_length=300)

"""Convenios (replicated; columns are exactly ``sync.records.ConvenioRecord``)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON
from sqlmodel import Field

from central.base import HubModel
from domain.ids import new_id
from sync.sqltypes import UTCDateTime


class Convenio(HubModel, table=True):
    __tablename__ = "convenio"
    __sync_type__ = "convenio"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    ruc: str = Field(max_length=11, unique=True)
    name: str = Field(max_length=200)
    coverage_pct: str = Field(default="0", max_length=6, description="Decimal as string, 0-100")
    prices_cents: dict[str, int] = Field(default_factory=dict, sa_type=JSON)
    credit_days: int = 30
    contact: str = Field(default="", max_length=300)
    active: bool = True
    updated_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)

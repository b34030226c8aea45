"""Read-only mirrors of the hub's company, sedes and settings (``sync.records`` shapes)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field

from edge.base import EdgeModel
from sync.sqltypes import UTCDateTime


class Company(EdgeModel, table=True):
    __tablename__ = "company"

    id: str = Field(primary_key=True, max_length=36)
    ruc: str = Field(max_length=11)
    razon_social: str
    nombre_comercial: str = ""
    address: str = ""
    ubigeo: str = Field(default="", max_length=6)
    updated_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class Sede(EdgeModel, table=True):
    __tablename__ = "sede"

    id: str = Field(primary_key=True, max_length=36)
    code: str = Field(max_length=8, unique=True)
    name: str
    address: str = ""
    ubigeo: str = Field(default="", max_length=6)
    establishment_code: str = Field(default="0000", max_length=4)
    series: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    cash_threshold_cents: int = 200000
    cash_difference_threshold_cents: int = 1000
    timezone: str = "America/Lima"
    active: bool = True
    updated_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class Setting(EdgeModel, table=True):
    __tablename__ = "setting"

    id: str = Field(primary_key=True, max_length=36)
    key: str = Field(unique=True, max_length=80)
    value: Any = Field(default=None, sa_type=JSON)
    updated_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)

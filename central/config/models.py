"""Company, sedes and settings (replicated; columns are exactly the ``sync.records`` shapes),
the company's SUNAT secrets (never replicated, never returned) and the history of changes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field

from central.base import HubModel
from domain.ids import new_id
from sync.sqltypes import UTCDateTime


class Company(HubModel, table=True):
    __tablename__ = "company"
    __sync_type__ = "company"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    ruc: str = Field(max_length=11)
    razon_social: str = Field(max_length=200)
    nombre_comercial: str = Field(default="", max_length=200)
    address: str = Field(default="", max_length=300)
    ubigeo: str = Field(default="", max_length=6)
    updated_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class CompanySecret(HubModel, table=True):
    """SUNAT SOL credentials and the signing certificate reference: hub-only, write-only."""

    __tablename__ = "company_secret"

    company_id: str = Field(primary_key=True, max_length=36)
    sol_user: str = Field(default="", max_length=40)
    sol_password: str = Field(default="", max_length=200)
    certificate_ref: str = Field(default="", max_length=300)
    certificate_password: str = Field(default="", max_length=200)
    updated_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class Sede(HubModel, table=True):
    __tablename__ = "sede"
    __sync_type__ = "sede"

    id: str = Field(primary_key=True, max_length=36)
    code: str = Field(max_length=8, unique=True)
    name: str = Field(max_length=120)
    address: str = Field(default="", max_length=300)
    ubigeo: str = Field(default="", max_length=6)
    establishment_code: str = Field(default="0000", max_length=4)
    series: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    cash_threshold_cents: int = 200000
    cash_difference_threshold_cents: int = 1000
    timezone: str = Field(default="America/Lima", max_length=60)
    active: bool = True
    updated_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: When the sede was registered at the hub (None for sedes registered before it was kept):
    #: reconciliation makes no closure for the days before (central/reconciliation/first_day.py).
    created_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class Setting(HubModel, table=True):
    __tablename__ = "setting"
    __sync_type__ = "setting"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    key: str = Field(unique=True, max_length=80)
    value: Any = Field(default=None, sa_type=JSON)
    updated_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class ConfigChange(HubModel, table=True):
    """One changed field of the company, a sede or a setting: who, when, old -> new."""

    __tablename__ = "config_change"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    entity: str = Field(max_length=20, index=True, description="company | sede | setting")
    entity_id: str = Field(max_length=36, index=True)
    field: str = Field(max_length=80)
    old_value: Any = Field(default=None, sa_type=JSON)
    new_value: Any = Field(default=None, sa_type=JSON)
    changed_by: str | None = Field(default=None, max_length=36)
    changed_by_username: str | None = Field(default=None, max_length=60)
    changed_at: dt.datetime = Field(sa_type=UTCDateTime, index=True)
    ip: str | None = Field(default=None, max_length=45)

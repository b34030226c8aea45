"""Catalog categories and services (replicated; columns are exactly the ``sync.records`` shapes)
and the price history with effective dates (hub-only)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON
from sqlmodel import Field

from central.base import HubModel
from domain.ids import new_id
from sync.sqltypes import UTCDateTime


class CatalogCategory(HubModel, table=True):
    __tablename__ = "catalog_category"
    __sync_type__ = "catalog_category"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    code: str = Field(max_length=20, unique=True)
    name: str = Field(max_length=120)
    active: bool = True
    updated_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class CatalogService(HubModel, table=True):
    """A lab test or a panel (``is_panel``; its tests in ``panel_service_ids``)."""

    __tablename__ = "catalog_service"
    __sync_type__ = "catalog_service"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    code: str = Field(max_length=20, unique=True)
    name: str = Field(max_length=200, index=True)
    category_id: str | None = Field(default=None, max_length=36, index=True)
    sample_type: str = Field(default="", max_length=80)
    tube: str = Field(default="", max_length=80)
    price_cents: int = Field(description="current price in céntimos, IGV included")
    catalog_version: int = Field(default=1, description="incremented on every price change")
    is_panel: bool = False
    panel_service_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    igv_affectation: str = Field(default="10", max_length=2)
    turnaround_hours: int = 24
    loinc: str = Field(default="", max_length=20)
    active: bool = True
    updated_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class CatalogPrice(HubModel, table=True):
    """One price of a service from ``effective_from`` (a Lima date): applied, scheduled, or
    cancelled before its date (by whom and when in ``cancelled_*``)."""

    __tablename__ = "catalog_price"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    service_id: str = Field(max_length=36, index=True)
    price_cents: int
    previous_cents: int | None = None
    effective_from: dt.date
    status: str = Field(max_length=12, description="applied | scheduled | cancelled")
    catalog_version: int | None = Field(default=None, description="version it produced")
    reason: str = Field(default="", max_length=200)
    changed_by: str | None = Field(default=None, max_length=36)
    changed_by_username: str | None = Field(default=None, max_length=60)
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    applied_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancelled_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancelled_by: str | None = Field(default=None, max_length=36)
    cancelled_by_username: str | None = Field(default=None, max_length=60)

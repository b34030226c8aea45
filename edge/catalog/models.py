"""Read-only mirrors of the hub's catalog and convenios (``sync.records`` shapes)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON
from sqlmodel import Field

from edge.base import EdgeModel
from sync.sqltypes import UTCDateTime


class CatalogCategory(EdgeModel, table=True):
    __tablename__ = "catalog_category"

    id: str = Field(primary_key=True, max_length=36)
    code: str = Field(max_length=20)
    name: str
    active: bool = True
    updated_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class CatalogService(EdgeModel, table=True):
    """A lab test or a panel (``is_panel``, its tests in ``panel_service_ids``)."""

    __tablename__ = "catalog_service"

    id: str = Field(primary_key=True, max_length=36)
    code: str = Field(max_length=20, index=True)
    name: str = Field(index=True)
    category_id: str | None = Field(default=None, max_length=36)
    sample_type: str = ""
    tube: str = ""
    price_cents: int
    catalog_version: int = 1
    is_panel: bool = False
    panel_service_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    igv_affectation: str = Field(default="10", max_length=2)
    turnaround_hours: int = 24
    loinc: str = ""
    active: bool = True
    updated_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class Convenio(EdgeModel, table=True):
    __tablename__ = "convenio"

    id: str = Field(primary_key=True, max_length=36)
    ruc: str = Field(max_length=11)
    name: str
    coverage_pct: str = "0"
    prices_cents: dict[str, int] = Field(default_factory=dict, sa_type=JSON)
    credit_days: int = 30
    contact: str = ""
    active: bool = True
    updated_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)

"""Samples (one per tube of an order), with barcodes unique across sedes."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON
from sqlmodel import Field

from domain.ids import new_id
from edge.base import EdgeModel
from sync.sqltypes import UTCDateTime


class Sample(EdgeModel, table=True):
    __tablename__ = "sample"
    __sync_type__ = "sample"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    order_id: str = Field(foreign_key="lab_order.id", index=True, max_length=36)
    sede_id: str = Field(max_length=36)
    barcode: str = Field(unique=True, max_length=30, description="sede code + sequence")
    sample_type: str
    tube: str
    item_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    status: str = Field(default="pendiente", max_length=20, description="pendiente | tomada")
    taken_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    taken_by: str | None = Field(default=None, max_length=36)
    label_prints: int = 0
    business_date: dt.date
    created_at: dt.datetime = Field(sa_type=UTCDateTime)


class SampleCounter(EdgeModel, table=True):
    """Per-sede, per-day sample sequence (local; the barcodes it yields replicate)."""

    __tablename__ = "sample_counter"

    sede_id: str = Field(primary_key=True, max_length=36)
    business_date: dt.date = Field(primary_key=True)
    last_seq: int = 0

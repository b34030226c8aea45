"""Patients (shared: written at any edge, merged at the hub), their history and consents."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field

from domain.ids import new_id
from edge.base import EdgeModel
from sync.sqltypes import UTCDateTime


class Patient(EdgeModel, table=True):
    __tablename__ = "patient"
    __sync_type__ = "patient"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    doc_type: str = Field(
        max_length=1, description="SUNAT catálogo 06: 1 DNI, 4 CE, 6 RUC, 7 pasaporte"
    )
    doc_number: str = Field(max_length=15)
    first_names: str = Field(max_length=120)
    last_names: str = Field(max_length=120)
    birth_date: dt.date | None = None
    sex: str | None = Field(default=None, max_length=1, description="F | M | X")
    phone: str | None = Field(default=None, max_length=20)
    email: str | None = Field(default=None, max_length=120)
    address: str | None = Field(default=None, max_length=200)
    home_sede_id: str = Field(max_length=36, description="sede where first registered")
    canonical_id: str | None = Field(
        default=None, max_length=36, description="set when the hub merged this into another"
    )
    row_hlc: str | None = Field(default=None, max_length=80, description="HLC of the last edit")
    created_by: str | None = Field(default=None, max_length=36)
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(sa_type=UTCDateTime)

"""API shapes of consolidated patients."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from sync.apitypes import Money

Match = Literal["document", "document_prefix", "name_prefix"]


class PatientRead(BaseModel):
    id: str
    doc_type: str
    doc_number: str
    first_names: str
    last_names: str
    birth_date: dt.date | None
    sex: str | None
    phone: str | None
    email: str | None
    home_sede_id: str

    @staticmethod
    def fields_of(row: Any) -> dict[str, Any]:
        """The patient fields of a row mapping or a ``HubPatient``."""
        names = PatientRead.model_fields
        if isinstance(row, dict):
            return {k: row.get(k) for k in names}
        return {k: getattr(row, k) for k in names}


class PatientHit(PatientRead):
    match: Match = Field(description="por qué coincide: documento, inicio del documento, nombre")


class PatientSearchPage(BaseModel):
    items: list[PatientHit]
    has_more: bool


class PatientDetail(PatientRead):
    merged_ids: list[str] = Field(description="ids de registros duplicados unidos a este")


class PatientOrderRead(BaseModel):
    id: str
    number: str
    sede_id: str
    sede_code: str
    business_date: dt.date
    status: str
    total: Money
    paid: Money
    balance: Money
    convenio_id: str | None


class PatientOrderList(BaseModel):
    items: list[PatientOrderRead]
    total: int

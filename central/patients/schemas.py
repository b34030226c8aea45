"""API shapes of consolidated patients."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from central.openapi_examples import commerce as ex
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
    model_config = ConfigDict(json_schema_extra={"examples": [ex.PATIENT_HIT]})

    match: Match = Field(description="por qué coincide: documento, inicio del documento, nombre")


class PatientSearchPage(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.PATIENT_SEARCH_PAGE]})

    items: list[PatientHit]
    has_more: bool


class PatientDetail(PatientRead):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.PATIENT_DETAIL]})

    merged_ids: list[str] = Field(description="ids de registros duplicados unidos a este")


class PatientOrderRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.PATIENT_ORDER_READ]})

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
    model_config = ConfigDict(json_schema_extra={"examples": [ex.PATIENT_ORDER_LIST]})

    items: list[PatientOrderRead]
    total: int

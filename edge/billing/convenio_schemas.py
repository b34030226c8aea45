"""Wire shapes of ``/api/convenios/{id}/pending|invoice`` (the convenio's monthly factura)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from edge.billing.schemas import InvoiceRead
from edge.openapi_examples import billing as ex
from sync.apitypes import Money


class ConvenioInvoiceCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"month": "2026-11"}]}
    )

    month: str = Field(
        min_length=1, max_length=20, description="Mes a facturar, AAAA-MM (día de negocio)."
    )


class PendingOrderRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.CONVENIO_PENDING["items"][0]]})

    order_id: str
    number: str = Field(description="Número de orden, p. ej. S01-20261129-0003")
    business_date: dt.date
    status: str
    total: Money = Field(description="Total de la orden (IGV incluido)")
    covered_total: Money = Field(description="Parte del convenio (por cobrar)")
    patient_part: Money = Field(description="Parte del paciente (su boleta)")


class ConvenioPending(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.CONVENIO_PENDING]})

    convenio_id: str
    convenio_name: str
    ruc: str
    ruc_valid: bool = Field(description="Falso: corregir el RUC en la central antes de facturar")
    credit_days: int
    sede_id: str
    month: str
    items: list[PendingOrderRead]
    count: int
    covered_total: Money = Field(description="Suma a facturar al convenio")
    orders_total: Money = Field(description="Suma de los totales de esas órdenes")


class CoveredOrderRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.CONVENIO_INVOICE["orders"][0]]})

    order_id: str
    number: str
    amount: Money = Field(description="Parte del convenio facturada")


class ConvenioInvoiceRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.CONVENIO_INVOICE]})

    convenio_id: str
    month: str
    invoice: InvoiceRead
    orders: list[CoveredOrderRead]
    count: int


class ConvenioCreditRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.CONVENIO_CREDIT]})

    order_id: str
    order_number: str = Field(description="Número de orden, p. ej. S01-20261129-0003")
    notes: list[InvoiceRead] = Field(
        description="Notas emitidas, en orden: la nota de crédito 07 de cada factura del "
        "convenio y, si aún se debe algo, la nota de crédito 13 que reprograma sus cuotas."
    )
    count: int

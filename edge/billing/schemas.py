"""Wire shapes of ``/api/billing``: issue, credit notes, documents, alarms."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.sunat import CreditNoteReason, DebitNoteReason
from edge.billing.documents import credit_due_date
from edge.billing.models import Invoice, InvoiceLine
from edge.openapi_examples import billing as ex
from sync.apitypes import Money


class CustomerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    doc_type: Literal["0", "1", "4", "6", "7", "A", "B", "C", "D", "E", "F", "G"] = Field(
        description="Catálogo 06: 1 DNI, 4 carné de extranjería, 6 RUC, 7 pasaporte, 0 sin doc."
    )
    doc_number: str = Field(min_length=1, max_length=15, description="Número de documento.")
    name: str = Field(min_length=1, max_length=200, description="Nombre o razón social.")
    address: str = Field(default="", max_length=200, description="Dirección (opcional).")


class InvoiceCreate(BaseModel):
    """Factura for an order: the customer must have a RUC."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "order_id": "01936f7e-8c1a-7b52-9d1e-2f5c8a4b7e10",
                    "customer": {
                        "doc_type": "6",
                        "doc_number": "20100066603",
                        "name": "CORPORACIÓN ANDINA DE SALUD S.A.",
                        "address": "JR. CUSCO 455, LIMA",
                    },
                }
            ]
        },
    )

    order_id: str = Field(min_length=1, max_length=36, description="Orden a facturar.")
    customer: CustomerIn = Field(description="Cliente con RUC.")


class ReceiptCreate(BaseModel):
    """Boleta for an order: by default to the order's customer or patient."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"order_id": "01936f7e-8c1a-7b52-9d1e-2f5c8a4b7e10"},
                {
                    "order_id": "01936f7e-8c1a-7b52-9d1e-2f5c8a4b7e10",
                    "customer": {"doc_type": "1", "doc_number": "45678912", "name": "ANA PÉREZ"},
                },
            ]
        },
    )

    order_id: str = Field(min_length=1, max_length=36, description="Orden a cobrar.")
    customer: CustomerIn | None = Field(
        default=None, description="Cliente; si se omite, el de la orden o el paciente."
    )


class CreditNoteCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"reason_code": "01", "description": "Anulación de la operación"},
                {"reason_code": "04", "description": "Descuento por reclamo", "amount": "20.00"},
            ]
        },
    )

    reason_code: CreditNoteReason = Field(description="Catálogo 09 (01 anulación, 04 descuento…).")
    description: str = Field(min_length=1, max_length=250, description="Sustento de la nota.")
    amount: Money | None = Field(
        default=None,
        description="Importe (IGV incluido). Si se omite, se acredita todo el saldo.",
    )


class DebitNoteCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"reason_code": "01", "description": "Intereses por pago fuera de plazo",
                 "amount": "15.00"},
                {"reason_code": "02", "description": "Prueba adicional solicitada",
                 "amount": "40.00"},
            ]
        },
    )  # fmt: skip

    reason_code: Literal["01", "02", "03"] = Field(
        description="Catálogo 10: 01 intereses por mora, 02 aumento en el valor, 03 "
        "penalidades / otros conceptos."
    )
    description: str = Field(min_length=1, max_length=250, description="Sustento de la nota.")
    amount: Money = Field(description="Importe a cargar (IGV incluido), mayor que cero.")

    @property
    def reason(self) -> DebitNoteReason:
        return DebitNoteReason(self.reason_code)


class InvoiceLineRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.INVOICE["lines"][0]]})

    position: int
    code: str
    description: str
    quantity: int
    unit_price: Money
    discount: Money
    value: Money
    igv: Money
    total: Money

    @classmethod
    def from_model(cls, ln: InvoiceLine) -> InvoiceLineRead:
        return cls(
            position=ln.position,
            code=ln.code,
            description=ln.description,
            quantity=ln.quantity,
            unit_price=ln.unit_price,
            discount=ln.discount,
            value=ln.value,
            igv=ln.igv,
            total=ln.total,
        )


class InvoiceRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.INVOICE, ex.CREDIT_NOTE]})

    id: str
    doc_type: str = Field(description="01 factura, 03 boleta, 07 nota de crédito, 08 débito")
    series: str
    number: int
    full_number: str = Field(description="Serie-correlativo, p. ej. B001-15")
    order_id: str | None
    customer_doc_type: str
    customer_doc_number: str
    customer_name: str
    currency: str
    gravado: Money
    exonerado: Money
    inafecto: Money
    igv: Money
    total: Money
    reference_invoice_id: str | None
    reference: str | None = Field(description="Comprobante que modifica (notas)")
    note_reason: str | None
    reason: str
    payment_method: str | None = Field(
        default=None, description="Forma de pago: Contado | Credito (vacío: contado)"
    )
    payment_due_date: dt.date | None = Field(
        default=None, description="Vencimiento de la (última) cuota, si es al crédito"
    )
    issued_at: dt.datetime
    business_date: dt.date
    digest_value: str = Field(description="Valor resumen (hash) de la firma")
    state: str
    sunat_code: str | None
    sunat_description: str | None
    sunat_notes: list[str]
    deadline: dt.date
    alarm: bool
    attempts: int
    next_attempt_at: dt.datetime | None
    last_error: str | None
    void_requested: bool
    xml_path: str
    cdr_path: str | None
    lines: list[InvoiceLineRead] = Field(default_factory=list)

    @classmethod
    def from_model(cls, inv: Invoice, lines: list[InvoiceLine] | None = None) -> InvoiceRead:
        ref = f"{inv.reference_series}-{inv.reference_number}" if inv.reference_series else None
        return cls(
            id=inv.id,
            doc_type=inv.doc_type,
            series=inv.series,
            number=inv.number,
            full_number=inv.full_number,
            order_id=inv.order_id,
            customer_doc_type=inv.customer_doc_type,
            customer_doc_number=inv.customer_doc_number,
            customer_name=inv.customer_name,
            currency=inv.currency,
            gravado=inv.gravado,
            exonerado=inv.exonerado,
            inafecto=inv.inafecto,
            igv=inv.igv,
            total=inv.total,
            reference_invoice_id=inv.reference_invoice_id,
            reference=ref,
            note_reason=inv.note_reason,
            reason=inv.reason,
            payment_method=inv.payment_method,
            payment_due_date=credit_due_date(inv),
            issued_at=inv.issued_at,
            business_date=inv.business_date,
            digest_value=inv.digest_value,
            state=inv.state,
            sunat_code=inv.sunat_code,
            sunat_description=inv.sunat_description,
            sunat_notes=list(inv.sunat_notes or []),
            deadline=inv.deadline,
            alarm=inv.alarm,
            attempts=inv.attempts,
            next_attempt_at=inv.next_attempt_at,
            last_error=inv.last_error,
            void_requested=inv.void_requested,
            xml_path=inv.xml_path,
            cdr_path=inv.cdr_path,
            lines=[InvoiceLineRead.from_model(ln) for ln in lines or []],
        )


class InvoiceList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.INVOICE_LIST]})

    items: list[InvoiceRead]
    count: int


class AlarmRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.ALARM]})

    id: str
    full_number: str
    doc_type: str
    state: str
    business_date: dt.date
    deadline: dt.date
    days_left: int = Field(description="Días hasta el plazo (negativo: vencido)")
    message: str


class AlarmList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.ALARM_LIST]})

    items: list[AlarmRead]
    count: int

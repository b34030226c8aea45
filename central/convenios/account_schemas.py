"""API shapes of a convenio's account: payments received, facturas and the balance."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from central.openapi_examples import commerce as ex
from sync.apitypes import Money, SignedMoney

Method = Literal["transferencia", "deposito", "cheque", "efectivo", "otro"]
Text80 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=80)]
Text300 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
InvoiceRef = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]


class PaymentCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "amount": "1250.00",
                    "date": "2026-12-15",
                    "method": "transferencia",
                    "reference": "OP 000123456 BCP",
                    "invoice": "F001-27",
                }
            ]
        },
    )

    amount: Money = Field(description='monto recibido, texto decimal ("1250.00")')
    date: dt.date = Field(description="fecha en que se recibió el pago")
    method: Method = Field(description="medio de pago")
    reference: Text80 = Field(
        default="",
        description="número de operación o de cheque (3 a 40 caracteres): obligatorio para"
        " transferencia, depósito y cheque",
    )
    invoice: InvoiceRef | None = Field(
        default=None, description="factura que paga (serie-número, por ejemplo F001-27)"
    )
    note: Text300 = ""


class PaymentRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.PAYMENT_READ]})

    id: str
    convenio_id: str
    amount: Money
    date: dt.date
    method: str
    reference: str
    invoice: str | None = Field(description="factura que paga (serie-número), si la indica")
    invoice_id: str | None
    sede_id: str | None = Field(description="sede de la factura pagada")
    note: str
    created_by: str | None
    created_at: dt.datetime


class PaymentList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.PAYMENT_LIST]})

    items: list[PaymentRead]
    total: Money = Field(description="suma de los pagos listados")


class FacturaBalanceRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.FACTURA_BALANCE_READ]})

    id: str
    invoice: str = Field(description="serie-número")
    sede_id: str
    sede_code: str
    date: dt.date
    due_date: dt.date
    payable: Money = Field(description="total de la factura menos notas de crédito")
    paid: Money
    outstanding: Money
    overdue: bool


class SedeBalanceRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.SEDE_BALANCE_READ]})

    sede_id: str
    sede_code: str
    orders: int
    covered: Money = Field(description="todo lo cubierto por el convenio")
    invoiced: Money = Field(description="lo facturado (facturas vigentes)")
    not_invoiced: Money = Field(description="cubierto aún sin factura")
    paid: Money = Field(description="pagos aplicados a facturas de la sede")
    balance: SignedMoney = Field(description="saldo: facturado + por facturar − pagado")
    overdue: Money = Field(description="saldo de facturas vencidas (días de crédito)")
    not_due: Money = Field(description="saldo de facturas por vencer")


class ConvenioBalance(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.CONVENIO_BALANCE]})

    convenio_id: str
    name: str
    credit_days: int
    as_of: dt.date
    sedes: list[SedeBalanceRead]
    facturas: list[FacturaBalanceRead]
    covered: Money
    invoiced: Money
    not_invoiced: Money
    paid: Money = Field(description="pagos recibidos")
    unapplied: Money = Field(description="pagos a cuenta sin factura pendiente a la cual aplicar")
    balance: SignedMoney = Field(description="cubierto − pagos")
    overdue: Money
    not_due: Money

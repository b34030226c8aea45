"""API shapes of orders, items, payments and status history."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any, Literal

from annotated_types import Len
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from domain.money import ZERO
from domain.payment_reference import check_payment_reference
from domain.physician import Priority, clean_cmp, clean_physician_name
from domain.pricing import DiscountKind, PaymentMethod
from edge.openapi_examples import records as ex
from edge.orders.lifecycle import OrderStatus
from edge.orders.models import Order, OrderItem, OrderStatusEvent, Payment
from sync.apitypes import Money, SignedMoney

_FORBID = ConfigDict(extra="forbid")


class PaymentIn(BaseModel):
    model_config = _FORBID

    method: PaymentMethod
    amount: Money = Field(description="monto aplicado a la orden")
    tendered: Money | None = Field(
        default=None, description="efectivo entregado por el paciente (solo efectivo)"
    )
    reference: str | None = Field(
        default=None,
        validate_default=True,
        description="voucher de tarjeta / número de operación: obligatorio para tarjeta, Yape,"
        " Plin y transferencia (3 a 40 caracteres)",
    )

    @field_validator("reference")
    @classmethod
    def _reference(cls, value: str | None, info: ValidationInfo) -> str | None:
        method = info.data.get("method")
        if method is None:  # the method itself was refused: its error is enough
            return value
        return check_payment_reference(str(method), value)


class DiscountIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "percent",
                    "value": "15",
                    "reason": "Paciente adulto mayor",
                    "approver_username": "supervisora",
                    "approver_password": "********",
                }
            ]
        },
    )

    kind: DiscountKind
    value: Money = Field(description="porcentaje (0-100) o monto en soles")
    reason: str = Field(min_length=3, max_length=200)
    approver_username: str | None = Field(default=None, max_length=60)
    approver_password: str | None = Field(default=None, max_length=200)


class CustomerIn(BaseModel):
    model_config = _FORBID

    doc_type: Literal["0", "1", "4", "6", "7", "A"] = Field(
        description="catálogo 06: 6 RUC (factura), 1 DNI, 4 CE, 7 pasaporte"
    )
    doc_number: str = Field(min_length=1, max_length=15)
    name: str = Field(min_length=1, max_length=200, description="razón social o nombre")
    address: str | None = Field(default=None, max_length=200)


class ItemIn(BaseModel):
    model_config = _FORBID

    service_id: str = Field(min_length=1, max_length=36)
    unit_price: Money | None = Field(
        default=None, description="precio distinto al de lista (permiso price.override)"
    )
    override_reason: str | None = Field(default=None, max_length=200)


def _item_from_id(value: Any) -> Any:
    return {"service_id": value} if isinstance(value, str) else value


if TYPE_CHECKING:  # callers in code may pass ids or ItemIn
    ItemRef = str | ItemIn
else:
    ItemRef = Annotated[
        ItemIn,
        BeforeValidator(_item_from_id, json_schema_input_type=Annotated[str, Len(1, 36)] | ItemIn),
    ]
"""An item given by its catalog id alone or as an ``ItemIn``, validated as an ``ItemIn``: errors
point at the item's field (``items.0.unit_price``), not at both branches of a union."""


class OrderCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "patient_id": "0190d2b4-1111-7000-8000-000000000001",
                    "items": ["0190d2b4-2222-7000-8000-000000000002"],
                    "document_type": "03",
                    "payments": [{"method": "efectivo", "amount": "60.00", "tendered": "100.00"}],
                },
                {
                    "patient_id": "0190d2b4-1111-7000-8000-000000000001",
                    "items": [
                        "0190d2b4-2222-7000-8000-000000000002",
                        {"service_id": "0190d2b4-2222-7000-8000-000000000003"},
                    ],
                    "discount": {"kind": "amount", "value": "5.00", "reason": "Campaña"},
                    "document_type": "01",
                    "customer": {
                        "doc_type": "6",
                        "doc_number": "20100070970",
                        "name": "EMPRESA S.A.C.",
                        "address": "AV. LIMA 123",
                    },
                    "payments": [
                        {"method": "tarjeta", "amount": "50.00", "reference": "VISA-123456"},
                        {"method": "yape", "amount": "20.00", "reference": "OP 99887766"},
                    ],
                },
            ]
        },
    )

    patient_id: str = Field(min_length=1, max_length=36)
    items: list[ItemRef] = Field(
        min_length=1, max_length=60, description="ids de exámenes o perfiles del catálogo"
    )
    discount: DiscountIn | None = None
    convenio_id: str | None = Field(default=None, max_length=36)
    document_type: Literal["01", "03"] = Field(default="03", description="01 factura, 03 boleta")
    customer: CustomerIn | None = None
    payments: list[PaymentIn] = Field(default_factory=list, max_length=10)
    priority: Priority = Field(
        default=Priority.RUTINA,
        description="rutina | urgente: el laboratorio la recibe con prioridad S (stat) y las"
        " etiquetas de sus tubos dicen URGENTE",
    )
    physician_cmp: str | None = Field(
        default=None,
        max_length=20,
        description="médico solicitante: número del Colegio Médico del Perú (CMP), como en el"
        " sello de la orden médica; se guardan sus dígitos",
    )
    physician_name: str | None = Field(
        default=None,
        max_length=200,
        validate_default=True,
        description="médico solicitante: nombre como figura en la orden médica (obligatorio si"
        " se indica el CMP)",
    )

    @field_validator("physician_cmp", mode="before")
    @classmethod
    def _physician_cmp(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip():
            return clean_cmp(value, loc=["body", "physician_cmp"])
        return None if isinstance(value, str) else value

    @field_validator("physician_name")
    @classmethod
    def _physician_name(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and value.strip():
            return clean_physician_name(value, loc=["body", "physician_name"])
        if info.data.get("physician_cmp"):
            return clean_physician_name("", loc=["body", "physician_name"])  # says it is needed
        return None


class PaymentsIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"payments": [{"method": "plin", "amount": "25.00", "reference": "OP 123456"}]}
            ]
        },
    )

    payments: list[PaymentIn] = Field(min_length=1, max_length=10)


class CancelIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "El paciente desistió antes de la toma"}]},
    )

    reason: str = Field(min_length=3, max_length=300)


class StatusUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"status": "muestra_tomada"}]},
    )

    status: OrderStatus
    reason: str | None = Field(default=None, max_length=300)


class ItemRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.ITEMS[0]]})

    id: str
    service_id: str
    service_code: str
    service_name: str
    parent_item_id: str | None
    quantity: int
    unit_price: Money
    list_price: Money
    discount: Money
    line_total: Money
    catalog_version: int
    price_overridden: bool
    coverage_eligible: bool
    sample_type: str
    tube: str

    @classmethod
    def from_model(cls, i: OrderItem) -> ItemRead:
        return cls.model_validate(i, from_attributes=True)


class PaymentRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.PAYMENTS[0]]})

    id: str
    method: str
    amount: SignedMoney
    tendered: Money | None
    change: Money | None
    reference: str | None
    cash_session_id: str | None
    cashier_id: str
    business_date: dt.date
    created_at: dt.datetime

    @classmethod
    def from_model(cls, p: Payment) -> PaymentRead:
        return cls.model_validate(p, from_attributes=True)


class StatusEventRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.STATUS_HISTORY[0]]})

    from_status: str | None
    to_status: str
    reason: str | None
    user_id: str
    created_at: dt.datetime

    @classmethod
    def from_model(cls, e: OrderStatusEvent) -> StatusEventRead:
        return cls.model_validate(e, from_attributes=True)


class OrderSummary(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.ORDER_SUMMARY]})

    id: str
    number: str
    sede_id: str
    patient_id: str
    convenio_id: str | None
    status: str
    document_type: str
    subtotal: Money
    discount_total: Money
    total: Money
    covered_total: Money = Field(description="parte por cobrar al convenio")
    paid_total: SignedMoney
    balance: Money = Field(description="total - cubierto - pagado (0 si está anulada)")
    cashier_id: str
    business_date: dt.date
    created_at: dt.datetime
    results_promised_at: dt.datetime | None = Field(
        default=None,
        description="entrega de resultados prometida desde (UTC; horario de entrega de la "
        "cadena, sin feriados); null en órdenes vendidas antes de que existiera",
    )
    priority: str = Field(default=Priority.RUTINA.value, description="rutina | urgente")
    physician_cmp: str | None = Field(default=None, description="médico solicitante: CMP")
    physician_name: str | None = Field(default=None, description="médico solicitante: nombre")

    @classmethod
    def from_model(cls, o: Order) -> OrderSummary:
        return cls.model_validate(o, from_attributes=True)


class OrderRead(OrderSummary):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.ORDER]})

    coverage_pct: str = Field(description="porcentaje de cobertura del convenio al vender")
    discount_kind: str | None
    discount_value: str | None
    discount_reason: str | None
    discount_approved_by: str | None
    customer_doc_type: str | None
    customer_doc_number: str | None
    customer_name: str | None
    customer_address: str | None
    cancel_reason: str | None
    updated_at: dt.datetime
    items: list[ItemRead]
    payments: list[PaymentRead]
    status_history: list[StatusEventRead]
    change: Money = Field(description="vuelto entregado en efectivo (suma de los pagos)")

    @classmethod
    def build(
        cls,
        order: Order,
        *,
        items: list[OrderItem],
        payments: list[Payment],
        events: list[OrderStatusEvent],
    ) -> OrderRead:
        base = {name: getattr(order, name) for name in OrderSummary.model_fields}
        return cls(
            **base,
            coverage_pct=order.coverage_pct,
            discount_kind=order.discount_kind,
            discount_value=order.discount_value,
            discount_reason=order.discount_reason,
            discount_approved_by=order.discount_approved_by,
            customer_doc_type=order.customer_doc_type,
            customer_doc_number=order.customer_doc_number,
            customer_name=order.customer_name,
            customer_address=order.customer_address,
            cancel_reason=order.cancel_reason,
            updated_at=order.updated_at,
            items=[ItemRead.from_model(i) for i in items],
            payments=[PaymentRead.from_model(p) for p in payments],
            status_history=[StatusEventRead.from_model(e) for e in events],
            change=sum((p.change or ZERO for p in payments), ZERO),
        )


class OrderListItem(OrderSummary):
    """A row of the orders list: the order, its patient and its boleta/factura."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **ex.ORDER_SUMMARY,
                    "patient_name": "QUISPE MAMANI, ANA LUCÍA",
                    "patient_doc_type": "1",
                    "patient_doc_number": "45871236",
                    "invoice_id": "0190d2b4-3333-7000-8000-000000000003",
                    "invoice_number": "B001-12",
                    "invoice_state": "aceptado",
                }
            ]
        }
    )

    patient_name: str | None = Field(default=None, description="Apellidos, nombres")
    patient_doc_type: str | None = Field(default=None, description="SUNAT catálogo 06")
    patient_doc_number: str | None = None
    invoice_id: str | None = Field(default=None, description="boleta/factura (la última)")
    invoice_number: str | None = Field(default=None, description="serie-número, p. ej. B001-12")
    invoice_state: str | None = Field(default=None, description="estado SUNAT del comprobante")

    @classmethod
    def build(cls, order: Order, extras: dict[str, str | None]) -> OrderListItem:
        base = {name: getattr(order, name) for name in OrderSummary.model_fields}
        return cls.model_validate({**base, **extras})


class OrderList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.ORDER_LIST]})

    items: list[OrderListItem]
    total: int
    page: int
    page_size: int


class StatusRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.ORDER_STATUS]})

    order_id: str
    number: str
    status: str
    history: list[StatusEventRead]

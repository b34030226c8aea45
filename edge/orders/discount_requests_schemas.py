"""API shapes of the discount approval queue."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from domain.pricing import DiscountKind
from edge.openapi_examples import records as ex
from edge.orders.models import DiscountRequest
from edge.orders.schemas import OrderSummary
from sync.apitypes import Money


class RequestStatus(StrEnum):
    PENDIENTE = "pendiente"
    APROBADA = "aprobada"
    RECHAZADA = "rechazada"
    VENCIDA = "vencida"  # the business day ended before a decision
    ANULADA = "anulada"  # the order was cancelled while the request waited
    RETIRADA = "retirada"  # the requester took it back


class DiscountRequestIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"kind": "percent", "value": "20", "reason": "Paciente oncológico, campaña"},
                {"kind": "amount", "value": "25.00", "reason": "Cortesía de gerencia"},
            ]
        },
    )

    kind: DiscountKind
    value: Money = Field(description="porcentaje (0-100) o monto en soles")
    reason: str = Field(min_length=3, max_length=200, description="motivo del descuento")


class ApproveIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "Autorizado por campaña vigente"}, {}]},
    )

    reason: str | None = Field(
        default=None, max_length=300, description="comentario del supervisor (opcional)"
    )


class RejectIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "No corresponde a ninguna campaña vigente"}]},
    )

    reason: str = Field(min_length=3, max_length=300, description="motivo del rechazo")


class DiscountRequestRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [ex.DISCOUNT_REQUEST, ex.DISCOUNT_APPROVED]}
    )

    id: str
    order_id: str
    order_number: str
    status: RequestStatus = Field(
        description="pendiente, aprobada, rechazada, vencida (terminó el día), anulada (orden "
        "anulada) o retirada"
    )
    kind: str
    value: str = Field(description="porcentaje o monto tal como se pidió")
    amount: Money = Field(description="descuento en soles al pedirlo")
    pct: str = Field(description="descuento como % del subtotal")
    reason: str
    requested_by: str
    requested_by_name: str
    decided_by: str | None
    decided_by_name: str | None
    decision_reason: str | None
    decided_at: dt.datetime | None
    business_date: dt.date
    expires_at: dt.datetime = Field(description="fin del día de negocio (hora de Lima)")
    created_at: dt.datetime
    order: OrderSummary | None = Field(
        default=None, description="la orden tras la decisión (totales y saldo a cobrar)"
    )

    @classmethod
    def build(
        cls,
        row: DiscountRequest,
        *,
        status: str,
        expires_at: dt.datetime,
        order: OrderSummary | None = None,
    ) -> DiscountRequestRead:
        return cls(
            id=row.id,
            order_id=row.order_id,
            order_number=row.order_number,
            status=RequestStatus(status),
            kind=row.kind,
            value=row.value,
            amount=row.amount,
            pct=row.pct,
            reason=row.reason,
            requested_by=row.requested_by,
            requested_by_name=row.requested_by_name,
            decided_by=row.decided_by,
            decided_by_name=row.decided_by_name,
            decision_reason=row.decision_reason,
            decided_at=row.decided_at,
            business_date=row.business_date,
            expires_at=expires_at,
            created_at=row.created_at,
            order=order,
        )


class DiscountRequestList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.DISCOUNT_REQUEST_LIST]})

    items: list[DiscountRequestRead]
    total: int
    page: int
    page_size: int

"""``POST /api/orders/{order_id}/convenio-credit``: issue again the nota de crédito 07 taking a
cancelled order off its convenio's factura after SUNAT rejected the first one
(:mod:`edge.billing.convenio_credit_retry`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from edge.audit import service as audit
from edge.auth.tokens import Principal
from edge.billing import context
from edge.billing import convenio_credit_retry as service
from edge.billing.documents import lines_of
from edge.billing.schemas import InvoiceRead
from edge.db import unit_of_work
from edge.deps import RuntimeDep, client_ip, error_responses, require

router = APIRouter(prefix="/api/orders", tags=["convenios"])

Crediter = Annotated[Principal, Depends(require("invoice.credit_note"))]
OrderId = Annotated[str, Path(max_length=36, description="id de la orden anulada")]


_NC07: dict[str, Any] = {
    "id": "01934f2a-7c41-7d2e-9b10-5f3e2a1c0b07",
    "doc_type": "07",
    "series": "FC01",
    "number": 4,
    "full_number": "FC01-4",
    "order_id": "01934f1e-2b6a-7c11-8a3d-0c9e4f5a6b70",
    "customer_doc_type": "6",
    "customer_doc_number": "20503123453",
    "customer_name": "SALUD PLUS EPS S.A.",
    "currency": "PEN",
    "gravado": "27.12",
    "exonerado": "0.00",
    "inafecto": "0.00",
    "igv": "4.88",
    "total": "32.00",
    "reference_invoice_id": "01934f20-11aa-7b3c-9d4e-2f6a7b8c9d01",
    "reference": "F001-1",
    "note_reason": "07",
    "reason": "Orden S01-20261129-0001 anulada: Muestra no tomada",
    "payment_method": None,
    "payment_due_date": None,
    "issued_at": "2026-11-29T15:04:05Z",
    "business_date": "2026-11-29",
    "digest_value": "q5yT3m0bF9k2c8Jx1n4Vw7Lr6Hs=",
    "state": "pendiente",
    "sunat_code": None,
    "sunat_description": None,
    "sunat_notes": [],
    "deadline": "2026-12-02",
    "alarm": False,
    "attempts": 0,
    "next_attempt_at": "2026-11-29T15:04:05Z",
    "last_error": None,
    "void_requested": False,
    "xml_path": "sunat/2026/11/29/20100070970-07-FC01-4.xml",
    "cdr_path": None,
    "lines": [
        {"position": 1, "code": "S01-20261129-0001",
         "description": "Orden S01-20261129-0001 (29/11/2026) – servicios de laboratorio",
         "quantity": 1, "unit_price": "32.00", "discount": "0.00", "value": "27.12",
         "igv": "4.88", "total": "32.00"},
    ],
}  # fmt: skip
_NC13: dict[str, Any] = {
    **_NC07,
    "id": "01934f2a-7c41-7d2e-9b10-5f3e2a1c0b13",
    "number": 5,
    "full_number": "FC01-5",
    "gravado": "0.00",
    "igv": "0.00",
    "total": "0.00",
    "note_reason": "13",
    "reason": "Monto neto pendiente de pago S/ 38.40 en 1 cuota(s), tras la nota de crédito "
    "FC01-4 (orden S01-20261129-0001 anulada)",
    "payment_method": "Credito",
    "payment_due_date": "2026-12-29",
    "digest_value": "Zk3v8P1q0Rt7Yw2m5Xa9Cb4Nd6E=",
    "xml_path": "sunat/2026/11/29/20100070970-07-FC01-5.xml",
    "lines": [
        {"position": 1, "code": "AJUSTE13",
         "description": "Ajuste del monto neto pendiente de pago y cuotas de la factura F001-1",
         "quantity": 1, "unit_price": "0.00", "discount": "0.00", "value": "0.00",
         "igv": "0.00", "total": "0.00"},
    ],
}  # fmt: skip


class ConvenioCreditRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "order_id": _NC07["order_id"],
                    "order_number": "S01-20261129-0001",
                    "notes": [_NC07, _NC13],
                    "count": 2,
                }
            ]
        }
    )

    order_id: str
    order_number: str = Field(description="Número de orden, p. ej. S01-20261129-0003")
    notes: list[InvoiceRead] = Field(
        description="Notas emitidas, en orden: la nota de crédito 07 de cada factura del "
        "convenio y, si aún se debe algo, la nota de crédito 13 que reprograma sus cuotas."
    )
    count: int


@router.post(
    "/{order_id}/convenio-credit",
    status_code=201,
    response_model=ConvenioCreditRead,
    summary="Volver a emitir la nota de crédito al convenio de una orden anulada",
    description="Para una orden anulada cuya nota de crédito al convenio fue rechazada por "
    "SUNAT: emite de nuevo la nota de crédito 07 por su línea en la factura del convenio (y la "
    "nota de crédito 13 de sus cuotas), como al anularla; quedan en cola para SUNAT. Orden no "
    "anulada: 409 `order_not_cancelled`; nada facturado al convenio: 409 "
    "`convenio_nothing_to_credit`; su nota aún espera a SUNAT: 409 "
    "`convenio_credit_note_pending`; la factura aún espera a SUNAT: 409 "
    "`convenio_invoice_pending`.",
    responses=error_responses(404, 409, 422, 503),
)
def convenio_credit(
    order_id: OrderId, request: Request, rt: RuntimeDep, user: Crediter
) -> ConvenioCreditRead:
    context.bind(rt)
    with unit_of_work(rt.engine) as session:
        order, notes = service.retry_credit(
            session=session,
            settings=rt.settings,
            clock=rt.clock,
            order_id=order_id,
            user_id=user.user_id,
        )
        audit.record(
            session,
            action="convenio.credit_retry",
            clock=rt.clock,
            sede_id=order.sede_id,
            user_id=user.user_id,
            username=user.username,
            record_type="order",
            record_id=order.id,
            ip=client_ip(request),
            details={"order": order.number, "notes": [n.full_number for n in notes]},
        )
        return ConvenioCreditRead(
            order_id=order.id,
            order_number=order.number,
            notes=[InvoiceRead.from_model(n, lines_of(session, n.id)) for n in notes],
            count=len(notes),
        )

"""``POST /api/orders/{order_id}/convenio-credit``: issue again the nota de crédito 07 taking a
cancelled order off its convenio's factura after SUNAT rejected the first one
(:mod:`edge.billing.convenio_credit_retry`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from edge.audit import service as audit
from edge.auth.tokens import Principal
from edge.billing import context
from edge.billing import convenio_credit_retry as service
from edge.billing.convenio_schemas import ConvenioCreditRead
from edge.billing.documents import lines_of
from edge.billing.schemas import InvoiceRead
from edge.db import unit_of_work
from edge.deps import RuntimeDep, client_ip, error_responses, require

router = APIRouter(prefix="/api/orders", tags=["convenios"])

Crediter = Annotated[Principal, Depends(require("invoice.credit_note"))]
OrderId = Annotated[str, Path(max_length=36, description="id de la orden anulada")]


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

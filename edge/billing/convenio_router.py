"""``/api/convenios/{id}/pending|invoice``: a convenio's monthly factura from this sede."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from domain.errors import Unavailable
from domain.identity import is_valid_ruc
from edge.audit import service as audit
from edge.auth.tokens import Principal
from edge.billing import context
from edge.billing import convenio_invoice as service
from edge.billing.convenio_schemas import (
    ConvenioInvoiceCreate,
    ConvenioInvoiceRead,
    ConvenioPending,
    CoveredOrderRead,
    PendingOrderRead,
)
from edge.billing.documents import lines_of
from edge.billing.schemas import InvoiceRead
from edge.db import read_session, unit_of_work
from edge.deps import RuntimeDep, client_ip, error_responses, require
from edge.runtime import EdgeRuntime

router = APIRouter(prefix="/api/convenios", tags=["convenios"])

Invoicer = Annotated[Principal, Depends(require("convenio.invoice"))]
ConvenioId = Annotated[str, Path(max_length=36, description="id del convenio")]
MonthQ = Annotated[str, Query(max_length=20, description="mes AAAA-MM (día de negocio)")]


def _sede(rt: EdgeRuntime) -> str:
    sede_id = rt.sede_id
    if sede_id is None:
        raise Unavailable(
            "La sede de este nodo no está configurada (labred edge init).",
            code="sede_not_configured",
        )
    return sede_id


@router.get(
    "/{convenio_id}/pending",
    response_model=ConvenioPending,
    summary="Órdenes del convenio pendientes de facturar en un mes",
    description="Órdenes no anuladas de esta sede, del mes indicado, bajo el convenio, cuya "
    "parte cubierta aún no está en una factura vigente, con sus totales.",
    responses=error_responses(404, 422, 503),
)
def pending(
    convenio_id: ConvenioId, month: MonthQ, rt: RuntimeDep, user: Invoicer
) -> ConvenioPending:
    when = service.parse_month(month, loc=["query", "month"])
    sede_id = _sede(rt)
    with read_session(rt.engine) as session:
        convenio = service.get_convenio(session, convenio_id)
        orders = service.pending_orders(
            session=session, sede_id=sede_id, convenio_id=convenio.id, month=when
        )
        items = [
            PendingOrderRead(
                order_id=o.id,
                number=o.number,
                business_date=o.business_date,
                status=o.status,
                total=o.total,
                covered_total=o.covered_total,
                patient_part=o.total - o.covered_total,
            )
            for o in orders
        ]
        return ConvenioPending(
            convenio_id=convenio.id,
            convenio_name=convenio.name,
            ruc=convenio.ruc,
            ruc_valid=is_valid_ruc(convenio.ruc),
            credit_days=convenio.credit_days,
            sede_id=sede_id,
            month=str(when),
            items=items,
            count=len(items),
            covered_total=sum((i.covered_total for i in items), service.ZERO),
            orders_total=sum((i.total for i in items), service.ZERO),
        )


@router.post(
    "/{convenio_id}/invoice",
    status_code=201,
    response_model=ConvenioInvoiceRead,
    summary="Emitir la factura mensual del convenio",
    description="Una factura (01) al RUC del convenio por la parte cubierta de sus órdenes "
    "pendientes del mes, una línea por orden; se firma y queda en cola para SUNAT. Sin órdenes "
    "pendientes: 409 `convenio_nothing_pending`; RUC inválido: 422 `convenio_ruc_invalid`; "
    "mes inválido: 422 `month_invalid`.",
    responses=error_responses(404, 409, 422, 503),
)
def invoice(
    convenio_id: ConvenioId,
    body: ConvenioInvoiceCreate,
    request: Request,
    rt: RuntimeDep,
    user: Invoicer,
) -> ConvenioInvoiceRead:
    when = service.parse_month(body.month, loc=["body", "month"])
    sede_id = _sede(rt)
    context.bind(rt)
    with unit_of_work(rt.engine) as session:
        inv, links = service.invoice_month(
            session=session,
            settings=rt.settings,
            clock=rt.clock,
            sede_id=sede_id,
            convenio_id=convenio_id,
            month=when,
            user_id=user.user_id,
        )
        audit.record(
            session,
            action="convenio.invoice",
            clock=rt.clock,
            sede_id=sede_id,
            user_id=user.user_id,
            username=user.username,
            record_type="invoice",
            record_id=inv.id,
            ip=client_ip(request),
            details={
                "convenio_id": convenio_id,
                "month": str(when),
                "invoice": inv.full_number,
                "orders": len(links),
                "total": f"{inv.total:.2f}",
            },
        )
        return ConvenioInvoiceRead(
            convenio_id=convenio_id,
            month=str(when),
            invoice=InvoiceRead.from_model(inv, lines_of(session, inv.id)),
            orders=[
                CoveredOrderRead(order_id=ln.order_id, number=ln.order_number, amount=ln.amount)
                for ln in links
            ],
            count=len(links),
        )

"""``/api/convenios/{id}/payments``: money received from a convenio."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from central.audit import service as audit
from central.auth.deps import RuntimeDep, client_ip, require
from central.auth.tokens import Principal
from central.convenios import accounts, payments
from central.convenios.account_schemas import PaymentCreate, PaymentList, PaymentRead
from central.convenios.balance_view import payment_read
from central.db import unit_of_work
from central.responses import errors
from domain.money import fmt

router = APIRouter(prefix="/api/convenios", tags=["convenios"])
Reader = Annotated[Principal, Depends(require("report.read"))]
Manager = Annotated[Principal, Depends(require("catalog.manage"))]
ConvenioId = Annotated[str, Path(max_length=36, description="id del convenio")]


@router.post(
    "/{convenio_id}/payments",
    response_model=PaymentRead,
    status_code=201,
    summary="Registrar un pago recibido de un convenio",
    responses=errors(404),
)
def create_payment(
    convenio_id: ConvenioId, body: PaymentCreate, request: Request, rt: RuntimeDep, user: Manager
) -> PaymentRead:
    with unit_of_work(rt.engine) as session:
        payment = payments.record_payment(
            session=session, clock=rt.clock, actor=user, convenio_id=convenio_id,
            amount=body.amount, paid_on=body.date, method=body.method,
            reference=body.reference, invoice=body.invoice, note=body.note,
        )  # fmt: skip
        audit.record(
            session, action="convenio.payment", clock=rt.clock, actor=user,
            record_type="convenio_payment", record_id=payment.id, ip=client_ip(request),
            details={
                "convenio_id": convenio_id, "amount": fmt(payment.amount),
                "date": payment.paid_on.isoformat(), "method": payment.method,
                "reference": payment.reference, "invoice_id": payment.invoice_id,
            },
        )  # fmt: skip
        return payment_read(payment)


@router.get(
    "/{convenio_id}/payments",
    response_model=PaymentList,
    summary="Pagos recibidos de un convenio",
    responses=errors(404),
)
def list_payments(
    convenio_id: ConvenioId,
    rt: RuntimeDep,
    user: Reader,
    date_from: Annotated[dt.date | None, Query(alias="from", description="desde")] = None,
    date_to: Annotated[dt.date | None, Query(alias="to", description="hasta")] = None,
    sede: Annotated[str | None, Query(max_length=36, description="id de la sede")] = None,
) -> PaymentList:
    with unit_of_work(rt.engine) as session:
        rows = payments.list_payments(
            session=session, convenio_id=convenio_id, sedes=accounts.sedes_for(user, sede),
            date_from=date_from, date_to=date_to,
        )  # fmt: skip
        items = [payment_read(p) for p in rows]
        return PaymentList(items=items, total=sum((p.amount for p in items), Decimal(0)))

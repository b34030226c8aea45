"""``/api/web/convenios``: what the dashboard's convenio page reads (``report.read``).

The list of convenios with their balances and one convenio's account with its facturas, the
payments applied to them, the ageing of the balance and two SVG charts. Payments are recorded
through ``POST /api/convenios/{id}/payments`` (``catalog.manage``); ``can_pay`` tells the page
whether to show that form. Statements come from ``GET /api/convenios/{id}/statement``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from central.auth.deps import RuntimeDep, require
from central.auth.tokens import Principal
from central.convenios.account_schemas import (
    ConvenioBalance,
    FacturaBalanceRead,
    Method,
    PaymentRead,
)
from central.convenios.accounts import sedes_for
from central.convenios.balance_view import balance_read, payment_read
from central.convenios.payments import REFERENCE_REQUIRED
from central.db import unit_of_work
from central.openapi_examples import web as ex
from central.responses import errors
from central.web import convenio_views as views
from central.web.admin_router import SedeOption
from central.web.admin_views import sedes_for as visible_sedes
from domain.clock import business_date
from domain.money import from_cents
from domain.permissions import MATRIX, Role
from sync.apitypes import Money, SignedMoney

router = APIRouter(prefix="/api/web/convenios", tags=["interfaz web"])
Viewer = Annotated[Principal, Depends(require("report.read"))]
PAY_PERMISSION = "catalog.manage"  # the permission of POST /api/convenios/{id}/payments
SedeQ = Annotated[
    str | None, Query(max_length=36, pattern=r"^[0-9A-Za-z-]+$", description="id de la sede")
]
METHODS: list[tuple[Method, str]] = [
    ("transferencia", "Transferencia"),
    ("deposito", "Depósito"),
    ("cheque", "Cheque"),
    ("efectivo", "Efectivo"),
    ("otro", "Otro"),
]


class MethodOption(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.METHOD_OPTION]})

    value: Method
    label: str
    reference_required: bool = Field(
        description="el pago lleva su número de operación o de cheque (estado de cuenta)"
    )


class ConvenioSummary(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.CONVENIO_SUMMARY]})

    id: str
    ruc: str
    name: str
    active: bool
    credit_days: int
    orders: int
    covered: Money = Field(description="todo lo cubierto por el convenio")
    invoiced: Money
    not_invoiced: Money
    paid: Money = Field(description="pagos recibidos")
    balance: SignedMoney
    overdue: Money = Field(description="saldo de facturas vencidas")
    overdue_days: int = Field(description="días de atraso de la factura vencida más antigua")


class WebConvenios(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.WEB_CONVENIOS]})

    as_of: dt.date
    items: list[ConvenioSummary]
    sedes: list[SedeOption]
    can_pay: bool = Field(description="el usuario puede registrar pagos (catalog.manage)")


class AppliedPayment(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.APPLIED_PAYMENT]})

    id: str
    date: dt.date
    method: str
    reference: str
    amount: Money


class FacturaAccount(FacturaBalanceRead):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.FACTURA_ACCOUNT]})

    days_overdue: int = Field(description="días pasados del vencimiento (0 si no está vencida)")
    payments: list[AppliedPayment] = Field(description="pagos que indican esta factura")
    on_account: Money = Field(description="parte de lo pagado que vino de pagos a cuenta")


class AgingBucket(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.AGING_BUCKET]})

    label: str
    amount: Money


class WebConvenioAccount(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.WEB_CONVENIO_ACCOUNT]})

    balance: ConvenioBalance
    facturas: list[FacturaAccount]
    payments: list[PaymentRead]
    aging: list[AgingBucket]
    chart_sedes: str = Field(description="SVG: saldo por sede")
    chart_aging: str = Field(description="SVG: antigüedad del saldo")
    methods: list[MethodOption]
    can_pay: bool = Field(description="el usuario puede registrar pagos (catalog.manage)")


def _can_pay(user: Principal) -> bool:
    return PAY_PERMISSION in MATRIX[Role(user.role)]


@router.get(
    "",
    response_model=WebConvenios,
    summary="Convenios con su saldo, lo cubierto, lo pagado y lo vencido (sedes visibles)",
    responses=errors(403),
)
def web_convenios(rt: RuntimeDep, user: Viewer, sede: SedeQ = None) -> WebConvenios:
    today = business_date(rt.clock.now())
    with unit_of_work(rt.engine) as session:
        rows = views.summaries(session=session, sedes=sedes_for(user, sede), as_of=today)
        sedes = visible_sedes(session=session, user=user)
        items = [
            ConvenioSummary(
                id=r.book.convenio.id, ruc=r.book.convenio.ruc, name=r.book.convenio.name,
                active=r.book.convenio.active, credit_days=r.book.convenio.credit_days,
                orders=sum(s.orders for s in r.book.sedes),
                covered=from_cents(sum(s.covered_cents for s in r.book.sedes)),
                invoiced=from_cents(sum(s.invoiced_cents for s in r.book.sedes)),
                not_invoiced=from_cents(sum(s.not_invoiced_cents for s in r.book.sedes)),
                paid=from_cents(r.book.payments_cents), balance=from_cents(r.book.balance_cents),
                overdue=from_cents(sum(s.overdue_cents for s in r.book.sedes)),
                overdue_days=r.overdue_days,
            )
            for r in rows
        ]  # fmt: skip
        return WebConvenios(
            as_of=today,
            items=items,
            sedes=[SedeOption(id=s.id, code=s.code, name=s.name) for s in sedes],
            can_pay=_can_pay(user),
        )


@router.get(
    "/{convenio_id}",
    response_model=WebConvenioAccount,
    summary="Cuenta de un convenio: saldo por sede, facturas con sus pagos, antigüedad, gráficos",
    responses=errors(403, 404),
)
def web_convenio_account(
    convenio_id: Annotated[str, Path(max_length=36, description="id del convenio")],
    rt: RuntimeDep,
    user: Viewer,
    sede: SedeQ = None,
) -> WebConvenioAccount:
    today = business_date(rt.clock.now())
    with unit_of_work(rt.engine) as session:
        acc = views.account(
            session=session, convenio_id=convenio_id, sedes=sedes_for(user, sede), as_of=today
        )
        balance = balance_read(acc.book)
        facturas = [
            FacturaAccount(
                **base.model_dump(), days_overdue=f.days_overdue,
                payments=[
                    AppliedPayment(id=p.id, date=p.paid_on, method=p.method,
                                   reference=p.reference, amount=p.amount)
                    for p in f.named
                ],
                on_account=from_cents(f.on_account_cents),
            )
            for base, f in zip(balance.facturas, acc.facturas, strict=True)
        ]  # fmt: skip
        return WebConvenioAccount(
            balance=balance,
            facturas=facturas,
            payments=[payment_read(p) for p in acc.payments],
            aging=[AgingBucket(label=k, amount=from_cents(v)) for k, v in acc.aging],
            chart_sedes=acc.chart_sedes,
            chart_aging=acc.chart_aging,
            methods=[
                MethodOption(value=v, label=label, reference_required=v in REFERENCE_REQUIRED)
                for v, label in METHODS
            ],
            can_pay=_can_pay(user),
        )

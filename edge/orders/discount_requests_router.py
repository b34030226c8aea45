"""Discount approval queue: ask (reception), list / approve / reject (supervisors of the sede)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query
from sqlmodel import Session

from domain.clock import parse_business_date
from domain.errors import InvalidInput
from edge.auth.tokens import Principal
from edge.db import read_session, unit_of_work
from edge.deps import RuntimeDep, error_responses, require
from edge.orders import discount_requests as queue
from edge.orders.discount_requests_schemas import (
    ApproveIn,
    DiscountRequestIn,
    DiscountRequestList,
    DiscountRequestRead,
    RejectIn,
    RequestStatus,
)
from edge.orders.models import DiscountRequest, Order
from edge.orders.schemas import OrderSummary
from edge.runtime import EdgeRuntime

router = APIRouter(tags=["descuentos"])


def _read(rt: EdgeRuntime, row: DiscountRequest, order: Order | None = None) -> DiscountRequestRead:
    return DiscountRequestRead.build(
        row,
        status=queue.effective_status(row, on=queue.today(rt.clock)),
        expires_at=queue.expires_at(row),
        order=OrderSummary.from_model(order) if order is not None else None,
    )


@router.post(
    "/api/orders/{order_id}/discount-requests",
    status_code=201,
    response_model=DiscountRequestRead,
    summary="Pedir la aprobación de un descuento sobre el límite (queda pendiente)",
    description="La orden se registró a precio completo; el descuento espera la decisión de un "
    "supervisor de la sede. Mientras espera, la orden no admite más pagos. Vence al terminar "
    "el día de negocio.",
    responses=error_responses(404, 409, 422),
)
def post_request(
    order_id: str,
    body: DiscountRequestIn,
    rt: RuntimeDep,
    user: Annotated[Principal, Depends(require("discount.apply"))],
) -> DiscountRequestRead:
    with unit_of_work(rt.engine) as session:
        row = queue.request_discount(
            session, order_id=order_id, body=body, user=user, clock=rt.clock
        )
        return _read(rt, row)


@router.get(
    "/api/discount-requests",
    response_model=DiscountRequestList,
    summary="Solicitudes de descuento de la sede (por defecto, las pendientes)",
    responses=error_responses(422),
)
def list_requests(
    rt: RuntimeDep,
    _user: Annotated[Principal, Depends(require("discount.approve"))],
    status: Annotated[
        RequestStatus | None, Query(description="estado; vacío con all=true para todas")
    ] = RequestStatus.PENDIENTE,
    all_statuses: Annotated[
        bool, Query(alias="all", description="todas, sin filtrar por estado")
    ] = False,
    date: Annotated[str | None, Query(description="fecha de negocio AAAA-MM-DD")] = None,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> DiscountRequestList:
    day = None
    if date is not None:
        try:
            day = parse_business_date(date)
        except InvalidInput as exc:
            raise InvalidInput(exc.msg, code=exc.code, loc=["query", "date"]) from None
    with read_session(rt.engine) as session:
        rows, total = queue.list_requests(
            session,
            sede_id=rt.sede_id,
            status=None if all_statuses else status,
            day=day,
            clock=rt.clock,
            page=page,
            page_size=page_size,
        )
        return DiscountRequestList(
            items=[_read(rt, r) for r in rows], total=total, page=page, page_size=page_size
        )


@router.get(
    "/api/discount-requests/{request_id}",
    response_model=DiscountRequestRead,
    summary="Una solicitud de descuento (la recepción consulta si ya se decidió)",
    responses=error_responses(404),
)
def get_request(
    request_id: str,
    rt: RuntimeDep,
    _user: Annotated[Principal, Depends(require("order.read"))],
) -> DiscountRequestRead:
    with read_session(rt.engine) as session:
        row = queue.get_request(session, request_id=request_id)
        return _read(rt, row, _order(session, row))


def _order(session: Session, row: DiscountRequest) -> Order | None:
    return session.get(Order, row.order_id)


@router.post(
    "/api/discount-requests/{request_id}/approve",
    response_model=DiscountRequestRead,
    summary="Aprobar: el descuento se aplica a la orden, que pasa a cobro",
    responses=error_responses(404, 409, 422),
)
def post_approve(
    request_id: str,
    rt: RuntimeDep,
    user: Annotated[Principal, Depends(require("discount.approve"))],
    body: Annotated[ApproveIn | None, Body()] = None,
) -> DiscountRequestRead:
    with unit_of_work(rt.engine) as session:
        row, order = queue.approve(
            session, request_id=request_id, body=body or ApproveIn(), user=user, clock=rt.clock
        )
        return _read(rt, row, order)


@router.post(
    "/api/discount-requests/{request_id}/reject",
    response_model=DiscountRequestRead,
    summary="Rechazar con motivo: la orden queda a precio completo y pasa a cobro",
    responses=error_responses(404, 409, 422),
)
def post_reject(
    request_id: str,
    body: RejectIn,
    rt: RuntimeDep,
    user: Annotated[Principal, Depends(require("discount.approve"))],
) -> DiscountRequestRead:
    with unit_of_work(rt.engine) as session:
        row, order = queue.reject(
            session, request_id=request_id, body=body, user=user, clock=rt.clock
        )
        return _read(rt, row, order)


@router.post(
    "/api/discount-requests/{request_id}/withdraw",
    response_model=DiscountRequestRead,
    summary="Retirar la solicitud (quien la pidió, o un supervisor)",
    responses=error_responses(404, 409),
)
def post_withdraw(
    request_id: str,
    rt: RuntimeDep,
    user: Annotated[Principal, Depends(require("discount.apply"))],
) -> DiscountRequestRead:
    with unit_of_work(rt.engine) as session:
        row = queue.withdraw(session, request_id=request_id, user=user, clock=rt.clock)
        return _read(rt, row, _order(session, row))

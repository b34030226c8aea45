"""Order endpoints: sell, pay later, discount, status life-cycle, cancel."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Response
from sqlmodel import Session

from domain.clock import parse_business_date
from domain.errors import InvalidInput
from edge.auth.tokens import Principal
from edge.db import read_session, unit_of_work
from edge.deps import RuntimeDep, require
from edge.orders import discounts
from edge.orders import queries as orders_queries
from edge.orders import service as orders_service
from edge.orders.lifecycle import OrderStatus
from edge.orders.models import Order
from edge.orders.payments import payments_of
from edge.orders.schemas import (
    CancelIn,
    DiscountIn,
    OrderCreate,
    OrderList,
    OrderListItem,
    OrderRead,
    PaymentsIn,
    StatusEventRead,
    StatusRead,
    StatusUpdate,
)
from edge.runtime import EdgeRuntime
from sync.webapp import model_response

router = APIRouter(prefix="/api/orders", tags=["órdenes"])

_BASE: dict[int | str, dict[str, Any]] = {
    401: {"description": "Sin sesión o token vencido"},
    403: {"description": "Sin permiso o sede no asignada"},
    429: {
        "description": "Demasiadas solicitudes, o demasiados intentos con la contraseña del"
        " supervisor (`approval_throttled`); ver Retry-After"
    },
}
_WRITE: dict[int | str, dict[str, Any]] = {
    **_BASE,
    404: {"description": "La orden no existe"},
    409: {
        "description": "Transición inválida u orden anulada (`invalid_transition`), día sellado"
        " (`day_already_sealed`), orden con comprobante (`order_billed`) o clave de"
        " idempotencia reusada (`idempotency_key_reused`)"
    },
    422: {
        "description": "Datos inválidos o regla de negocio (`bancarizacion`, "
        "`discount_needs_approval`, `overpayment`, `tendered_insufficient`, ...)"
    },
}


def _read(session: Session, order: Order) -> OrderRead:
    return OrderRead.build(
        order,
        items=orders_queries.items_of(session, order_id=order.id),
        payments=payments_of(session, order_id=order.id),
        events=orders_queries.history_of(session, order_id=order.id),
    )


def _status(session: Session, order: Order) -> StatusRead:
    events = orders_queries.history_of(session, order_id=order.id)
    return StatusRead(
        order_id=order.id,
        number=order.number,
        status=order.status,
        history=[StatusEventRead.from_model(e) for e in events],
    )


def _sede(rt: EdgeRuntime) -> str | None:
    return rt.sede_id


@router.post(
    "",
    status_code=201,
    response_model=OrderRead,
    summary="Registrar una orden: ítems, descuento, convenio y pagos en una sola operación",
    responses={**_WRITE, 503: {"description": "Nodo no inicializado"}},
)
def create_order(
    body: OrderCreate,
    rt: RuntimeDep,
    user: Annotated[Principal, Depends(require("order.create"))],
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=8,
            max_length=100,
            pattern=r"^[A-Za-z0-9_.:-]+$",
            description="Clave única por venta (p. ej. un UUID): repetir la misma venta con la"
            " misma clave devuelve la orden ya creada (cabecera `Idempotent-Replayed: true`)"
            " en vez de registrar otra.",
        ),
    ] = None,
) -> Response:
    with unit_of_work(rt.engine) as session:
        order = orders_service.replayed_order(
            session, key=idempotency_key, order_in=body, user=user
        )
        replayed = order is not None
        if order is None:
            order = orders_service.create_order(
                session,
                sede_id=_sede(rt),
                order_in=body,
                user=user,
                clock=rt.clock,
                idempotency_key=idempotency_key,
            )
        read = _read(session, order)
    response = model_response(read, status_code=201)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@router.get(
    "",
    response_model=OrderList,
    summary="Listar órdenes (filtros: fecha, estado, paciente, cajero, atrasadas)",
    responses={**_BASE, 422: {"description": "Filtros inválidos"}},
)
def list_orders(
    rt: RuntimeDep,
    _user: Annotated[Principal, Depends(require("order.read"))],
    date: Annotated[str | None, Query(description="fecha de negocio AAAA-MM-DD")] = None,
    status: OrderStatus | None = None,
    patient_id: Annotated[str | None, Query(max_length=36)] = None,
    cashier_id: Annotated[str | None, Query(max_length=36)] = None,
    late: Annotated[
        bool,
        Query(
            description="solo las atrasadas: pasó la entrega de resultados prometida y no "
            "están en resultados listos, entregada ni anulada"
        ),
    ] = False,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> OrderList:
    day = None
    if date is not None:
        try:
            day = parse_business_date(date)
        except InvalidInput as exc:
            raise InvalidInput(exc.msg, code=exc.code, loc=["query", "date"]) from None
    with read_session(rt.engine) as session:
        rows, total = orders_queries.list_orders(
            session,
            day=day,
            status=status.value if status else None,
            patient_id=patient_id,
            cashier_id=cashier_id,
            late_at=rt.clock.now() if late else None,
            page=page,
            page_size=page_size,
        )
        return OrderList(
            items=[OrderListItem.build(r.order, r.extras()) for r in rows],
            total=total,
            page=page,
            page_size=page_size,
        )


@router.get(
    "/{order_id}",
    response_model=OrderRead,
    summary="Una orden con sus ítems, pagos e historial de estados",
    responses={**_BASE, 404: {"description": "La orden no existe"}},
)
def get_order(
    order_id: str,
    rt: RuntimeDep,
    _user: Annotated[Principal, Depends(require("order.read"))],
) -> OrderRead:
    with read_session(rt.engine) as session:
        return _read(session, orders_queries.get_order(session, order_id=order_id))


@router.get(
    "/{order_id}/status",
    response_model=StatusRead,
    summary="Estado de una orden y su historial",
    responses={**_BASE, 404: {"description": "La orden no existe"}},
)
def get_status(
    order_id: str,
    rt: RuntimeDep,
    _user: Annotated[Principal, Depends(require("order.read"))],
) -> StatusRead:
    with read_session(rt.engine) as session:
        return _status(session, orders_queries.get_order(session, order_id=order_id))


@router.put(
    "/{order_id}/status",
    response_model=StatusRead,
    summary="Pasar la orden al siguiente estado",
    responses=_WRITE,
)
def put_status(
    order_id: str,
    body: StatusUpdate,
    rt: RuntimeDep,
    user: Annotated[Principal, Depends(require("order.status"))],
) -> StatusRead:
    with unit_of_work(rt.engine) as session:
        order = orders_service.change_status(
            session,
            order_id=order_id,
            to_status=body.status,
            user=user,
            clock=rt.clock,
            reason=body.reason,
        )
        return _status(session, order)


@router.post(
    "/{order_id}/discount",
    response_model=OrderRead,
    summary="Aplicar o reemplazar el descuento de una orden",
    responses=_WRITE,
)
def post_discount(
    order_id: str,
    body: DiscountIn,
    rt: RuntimeDep,
    user: Annotated[Principal, Depends(require("discount.apply"))],
) -> OrderRead:
    with unit_of_work(rt.engine) as session:
        order = discounts.apply_discount(
            session, order_id=order_id, d=body, user=user, clock=rt.clock
        )
        return _read(session, order)


@router.post(
    "/{order_id}/cancel",
    response_model=OrderRead,
    summary="Anular una orden (con devolución de lo pagado)",
    responses=_WRITE,
)
def post_cancel(
    order_id: str,
    body: CancelIn,
    rt: RuntimeDep,
    user: Annotated[Principal, Depends(require("order.cancel"))],
) -> OrderRead:
    with unit_of_work(rt.engine) as session:
        order = orders_service.cancel_order(
            session, order_id=order_id, reason=body.reason, user=user, clock=rt.clock
        )
        return _read(session, order)


@router.post(
    "/{order_id}/payments",
    status_code=201,
    response_model=OrderRead,
    summary="Pagar el saldo (o parte) de una orden",
    responses=_WRITE,
)
def post_payments(
    order_id: str,
    body: PaymentsIn,
    rt: RuntimeDep,
    user: Annotated[Principal, Depends(require("payment.create"))],
) -> OrderRead:
    with unit_of_work(rt.engine) as session:
        orders_service.pay(
            session,
            sede_id=_sede(rt),
            order_id=order_id,
            payments=body.payments,
            user=user,
            clock=rt.clock,
        )
        return _read(session, orders_queries.get_order(session, order_id=order_id))

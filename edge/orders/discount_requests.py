"""The pending-approval queue for discounts above the threshold.

Instead of a supervisor typing credentials at the counter, the receptionist registers the
order at full price and asks for the discount; the supervisors of the sede see the queue,
and approve (the discount is applied to the order through ``orders.service.apply_discount``,
so it is priced, audited and replicated exactly like a counter approval) or reject it with a
reason (the order keeps its full price). While a request waits, the order takes no further
payment (the receptionist collects after the decision); a request not decided by the end of
its business day (America/Lima) is ``vencida`` and the order is collected at full price; one
whose order is cancelled becomes ``anulada``; the requester may withdraw it (``retirada``).

Every change writes a ``discount_request`` row (outbox: replicated to the hub) and an audit
event (``discount.request|approve|reject|withdraw``) in the caller's unit of work.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import Session, col, func, select

from domain.clock import Clock, business_date, day_bounds
from domain.errors import Conflict, Forbidden, NotFound, RuleViolation
from domain.money import fmt, fmt_soles
from domain.permissions import has_permission
from domain.pricing import Discount, DiscountKind, PricedLine, effective_pct, needs_approval
from domain.pricing import price_order as price_totals
from edge.audit import service as audit
from edge.auth.tokens import Principal
from edge.orders import discounts, hooks
from edge.orders import queries as orders_queries
from edge.orders.approval import check_may_discount
from edge.orders.discount_requests_schemas import (
    ApproveIn,
    DiscountRequestIn,
    RejectIn,
    RequestStatus,
)
from edge.orders.lifecycle import OrderStatus
from edge.orders.models import DiscountRequest, Order
from edge.orders.schemas import DiscountIn

CLOSED_ORDER = (OrderStatus.ANULADA.value, OrderStatus.ENTREGADA.value)


def today(clock: Clock) -> dt.date:
    return business_date(clock.now())


def expires_at(row: DiscountRequest) -> dt.datetime:
    """End of the request's business day (America/Lima), as a UTC instant."""
    return day_bounds(row.business_date)[1]


def effective_status(row: DiscountRequest, *, on: dt.date) -> str:
    """The row's status as of business day ``on``: a pending one of an earlier day is expired."""
    if row.status == RequestStatus.PENDIENTE and row.business_date < on:
        return RequestStatus.VENCIDA.value
    return row.status


def get_request(session: Session, *, request_id: str) -> DiscountRequest:
    row = session.get(DiscountRequest, request_id)
    if row is None:
        raise NotFound(
            "La solicitud de descuento no existe.",
            code="discount_request_not_found",
            loc=["path", "request_id"],
        )
    return row


def waiting_for(session: Session, *, order_id: str, on: dt.date) -> DiscountRequest | None:
    """The order's request still waiting on business day ``on``, if any."""
    query = select(DiscountRequest).where(
        DiscountRequest.order_id == order_id,
        DiscountRequest.status == RequestStatus.PENDIENTE.value,
        DiscountRequest.business_date >= on,
    )
    return session.exec(query).first()


def expire_stale(session: Session, *, sede_id: str, clock: Clock) -> int:
    """Mark ``vencida`` the pending requests of earlier business days; how many."""
    now, on = clock.now(), today(clock)
    rows = session.exec(
        select(DiscountRequest).where(
            DiscountRequest.sede_id == sede_id,
            DiscountRequest.status == RequestStatus.PENDIENTE.value,
            DiscountRequest.business_date < on,
        )
    ).all()
    for row in rows:
        row.status = RequestStatus.VENCIDA.value
        row.decision_reason = "Terminó el día de negocio sin decisión."
        row.decided_at = now
        row.updated_at = now
        session.add(row)
    return len(rows)


def _audit(
    session: Session, row: DiscountRequest, *, action: str, user: Principal, clock: Clock
) -> None:
    details: dict[str, Any] = {
        "number": row.order_number,
        "kind": row.kind,
        "value": row.value,
        "amount": fmt(row.amount),
        "pct": row.pct,
        "reason": row.reason,
        "requested_by": row.requested_by_name,
        "status": row.status,
    }
    if row.decision_reason:
        details["decision_reason"] = row.decision_reason
    audit.record(
        session,
        action=action,
        clock=clock,
        sede_id=row.sede_id,
        user_id=user.user_id,
        username=user.username,
        record_type="discount_request",
        record_id=row.id,
        details=details,
    )


def request_discount(
    session: Session, *, order_id: str, body: DiscountRequestIn, user: Principal, clock: Clock
) -> DiscountRequest:
    """Queue a discount above the threshold for a supervisor's decision (201)."""
    check_may_discount(user)
    order = orders_queries.get_order(session, order_id=order_id)
    if order.status in CLOSED_ORDER:
        raise Conflict(
            "La orden ya no admite descuentos.", code="order_closed", loc=["path", "order_id"]
        )
    on = today(clock)
    waiting = waiting_for(session, order_id=order.id, on=on)
    if waiting is not None:
        raise Conflict(
            "La orden ya tiene un descuento pendiente de aprobación.",
            code="discount_request_pending",
            loc=["path", "order_id"],
            extra={"request_id": waiting.id},
        )
    items = orders_queries.items_of(session, order_id=order.id)
    priced = [i for i in items if i.parent_item_id is None]
    discount = Discount(DiscountKind(body.kind), body.value)
    totals = price_totals(
        [PricedLine(i.unit_price, i.coverage_eligible) for i in priced],
        discount=discount,
        coverage_pct=Decimal(order.coverage_pct or "0"),
        discount_loc=["body"],
    )
    threshold = discounts.approval_threshold(session)
    if not needs_approval(totals.subtotal, discount, totals.discount_total, threshold):
        raise RuleViolation(
            f"El descuento está dentro del límite ({fmt(threshold)} %): aplíquelo directamente"
            " (POST /api/orders/{id}/discount), no necesita aprobación.",
            code="approval_not_needed",
            loc=["body", "value"],
        )
    if order.paid_total > totals.patient_due:
        raise RuleViolation(
            f"Con este descuento lo pagado ({fmt_soles(order.paid_total)}) superaría lo que debe el"
            f" paciente ({fmt_soles(totals.patient_due)}); anule y registre de nuevo.",
            code="discount_exceeds_balance",
            loc=["body", "value"],
        )
    expire_stale(session, sede_id=order.sede_id, clock=clock)
    now = clock.now()
    row = DiscountRequest(
        sede_id=order.sede_id,
        order_id=order.id,
        order_number=order.number,
        kind=discount.kind.value,
        value=fmt(body.value),
        amount=totals.discount_total,
        pct=fmt(effective_pct(totals.subtotal, totals.discount_total)),
        reason=body.reason.strip(),
        requested_by=user.user_id,
        requested_by_name=user.username,
        business_date=on,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    _audit(session, row, action="discount.request", user=user, clock=clock)
    return row


def _check_decidable(row: DiscountRequest, *, user: Principal, clock: Clock) -> None:
    status = effective_status(row, on=today(clock))
    if status == RequestStatus.VENCIDA:
        raise Conflict(
            "La solicitud venció al terminar su día de negocio; registre una nueva si aún"
            " corresponde.",
            code="discount_request_expired",
            loc=["path", "request_id"],
        )
    if status != RequestStatus.PENDIENTE:
        raise Conflict(
            f"La solicitud ya fue resuelta ({status}).",
            code="discount_request_decided",
            loc=["path", "request_id"],
            extra={"status": status},
        )
    if row.requested_by == user.user_id:
        raise Forbidden(
            "No puede aprobar ni rechazar su propia solicitud de descuento.",
            code="self_approval",
            loc=["path", "request_id"],
        )


def _decide(
    row: DiscountRequest,
    *,
    status: RequestStatus,
    reason: str | None,
    user: Principal,
    now: dt.datetime,
) -> None:
    row.status = status.value
    row.decided_by = user.user_id
    row.decided_by_name = user.username
    row.decision_reason = reason
    row.decided_at = now
    row.updated_at = now


def approve(
    session: Session, *, request_id: str, body: ApproveIn, user: Principal, clock: Clock
) -> tuple[DiscountRequest, Order]:
    """Apply the requested discount to its order, approved by ``user`` (a supervisor)."""
    row = get_request(session, request_id=request_id)
    _check_decidable(row, user=user, clock=clock)
    order = discounts.apply_discount(
        session,
        order_id=row.order_id,
        d=DiscountIn(kind=DiscountKind(row.kind), value=Decimal(row.value), reason=row.reason),
        user=user,
        clock=clock,
    )
    reason = body.reason.strip() if body.reason and body.reason.strip() else None
    _decide(row, status=RequestStatus.APROBADA, reason=reason, user=user, now=clock.now())
    session.add(row)
    _audit(session, row, action="discount.approve", user=user, clock=clock)
    expire_stale(session, sede_id=row.sede_id, clock=clock)
    return row, order


def reject(
    session: Session, *, request_id: str, body: RejectIn, user: Principal, clock: Clock
) -> tuple[DiscountRequest, Order]:
    """Refuse the request: the order keeps its full price and proceeds to payment."""
    row = get_request(session, request_id=request_id)
    _check_decidable(row, user=user, clock=clock)
    text = body.reason.strip()
    if len(text) < 3:
        raise RuleViolation(
            "Indique el motivo del rechazo.", code="reason_required", loc=["body", "reason"]
        )
    _decide(row, status=RequestStatus.RECHAZADA, reason=text, user=user, now=clock.now())
    session.add(row)
    _audit(session, row, action="discount.reject", user=user, clock=clock)
    expire_stale(session, sede_id=row.sede_id, clock=clock)
    return row, orders_queries.get_order(session, order_id=row.order_id)


def withdraw(
    session: Session, *, request_id: str, user: Principal, clock: Clock
) -> DiscountRequest:
    """The requester (or a supervisor) takes the request back; the order keeps its price."""
    row = get_request(session, request_id=request_id)
    status = effective_status(row, on=today(clock))
    if status != RequestStatus.PENDIENTE:
        raise Conflict(
            f"La solicitud ya no está pendiente ({status}).",
            code="discount_request_decided",
            loc=["path", "request_id"],
            extra={"status": status},
        )
    if row.requested_by != user.user_id and not has_permission(user.role, "discount.approve"):
        raise Forbidden(
            "Solo quien pidió el descuento (o un supervisor) puede retirarlo.",
            code="not_requester",
            loc=["path", "request_id"],
        )
    now = clock.now()
    _decide(row, status=RequestStatus.RETIRADA, reason=None, user=user, now=now)
    session.add(row)
    _audit(session, row, action="discount.withdraw", user=user, clock=clock)
    return row


def list_requests(
    session: Session,
    *,
    sede_id: str | None,
    status: RequestStatus | None,
    day: dt.date | None,
    clock: Clock,
    page: int = 1,
    page_size: int = 50,
) -> tuple[list[DiscountRequest], int]:
    """A page of the sede's requests, oldest pending first; ``status`` as of today."""
    on = today(clock)
    filters: list[Any] = []
    if sede_id is not None:
        filters.append(DiscountRequest.sede_id == sede_id)
    if day is not None:
        filters.append(DiscountRequest.business_date == day)
    pending = col(DiscountRequest.status) == RequestStatus.PENDIENTE.value
    if status is RequestStatus.PENDIENTE:
        filters += [pending, col(DiscountRequest.business_date) >= on]
    elif status is RequestStatus.VENCIDA:
        stale = and_(pending, col(DiscountRequest.business_date) < on)
        filters.append(or_(col(DiscountRequest.status) == RequestStatus.VENCIDA.value, stale))
    elif status is not None:
        filters.append(DiscountRequest.status == status.value)
    total = session.exec(select(func.count()).select_from(DiscountRequest).where(*filters)).one()
    rows = session.exec(
        select(DiscountRequest)
        .where(*filters)
        .order_by(col(DiscountRequest.created_at), col(DiscountRequest.id))
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    return list(rows), int(total)


# -- the order's own life-cycle: hooks run inside the sale's unit of work -----------------------


@hooks.on_payment_added
def _no_payment_while_waiting(
    *, session: Session, order: Order, user: Principal, clock: Clock
) -> None:
    waiting = waiting_for(session, order_id=order.id, on=today(clock))
    if waiting is not None:
        raise Conflict(
            "La orden tiene un descuento pendiente de aprobación: cobre después de la decisión"
            " del supervisor (o retire la solicitud).",
            code="discount_request_pending",
            loc=["path", "order_id"],
            extra={"request_id": waiting.id},
        )


@hooks.on_order_cancelled
def _close_on_cancel(*, session: Session, order: Order, user: Principal, clock: Clock) -> None:
    now = clock.now()
    rows = session.exec(
        select(DiscountRequest).where(
            DiscountRequest.order_id == order.id,
            DiscountRequest.status == RequestStatus.PENDIENTE.value,
        )
    ).all()
    for row in rows:
        _decide(row, status=RequestStatus.ANULADA, reason="Orden anulada.", user=user, now=now)
        session.add(row)

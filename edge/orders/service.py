"""Orders: create (priced, paid and numbered in one transaction), discounts, status, cancel.

Every function takes the caller's session and never commits; the router's unit of work does.
A rule broken anywhere raises before the commit, so a bad input writes nothing.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

from sqlmodel import Session

from domain.clock import Clock, business_date
from domain.errors import Conflict, InvalidInput, RuleViolation, Unavailable
from domain.identity import validate_document
from domain.money import ZERO, fmt, fmt_soles
from domain.permissions import check_permission
from domain.pricing import (
    Discount,
    needs_approval,
    parse_pct,
)
from edge import refcache
from edge.audit import service as audit
from edge.auth.tokens import Principal
from edge.catalog.models import Convenio
from edge.config.models import Sede
from edge.orders import fresh, hooks
from edge.orders.approval import approve_discount, check_may_discount
from edge.orders.discounts import approval_threshold, audit_discount
from edge.orders.lifecycle import OrderStatus, check_transition
from edge.orders.models import Order, OrderItem, OrderRequestKey, OrderStatusEvent, Payment
from edge.orders.numbering import next_order_number
from edge.orders.payments import add_payments, refund_all
from edge.orders.pricing import build_lines, price_lines
from edge.orders.promise import promise_for
from edge.orders.queries import get_order
from edge.orders.schemas import CustomerIn, DiscountIn, OrderCreate, PaymentIn
from edge.patients.models import Patient


def load_sede(session: Session, *, sede_id: str | None) -> Sede:
    sede = refcache.get(session, Sede, sede_id) if sede_id else None
    if sede is None:
        raise Unavailable(
            "El nodo no está inicializado (labred edge init).", code="node_not_initialized"
        )
    return sede


def _convenio(session: Session, convenio_id: str | None) -> Convenio | None:
    if convenio_id is None:
        return None
    convenio = refcache.get(session, Convenio, convenio_id)
    if convenio is None or not convenio.active:
        raise InvalidInput(
            "El convenio no existe o no está vigente.",
            code="convenio_not_found",
            loc=["body", "convenio_id"],
        )
    return convenio


def _patient(session: Session, patient_id: str) -> Patient:
    patient = session.get(Patient, patient_id)
    if patient is not None and patient.canonical_id:
        patient = session.get(Patient, patient.canonical_id)
    if patient is None:
        raise InvalidInput(
            "El paciente no existe.", code="patient_not_found", loc=["body", "patient_id"]
        )
    return patient


def _customer(document_type: str, customer: CustomerIn | None, patient: Patient) -> CustomerIn:
    loc = ["body", "customer"]
    if document_type == "01":
        if customer is None:
            raise InvalidInput(
                "Para una factura indique el RUC y la razón social del cliente.",
                code="customer_required",
                loc=loc,
            )
        if customer.doc_type != "6":
            raise InvalidInput(
                "Una factura se emite a un RUC (tipo de documento 6).",
                code="factura_needs_ruc",
                loc=[*loc, "doc_type"],
            )
    if customer is None:
        return CustomerIn(
            doc_type=patient.doc_type,  # type: ignore[arg-type]
            doc_number=patient.doc_number,
            name=f"{patient.last_names} {patient.first_names}".strip(),
            address=patient.address,
        )
    try:
        number = validate_document(customer.doc_type, customer.doc_number)
    except InvalidInput as exc:
        raise InvalidInput(exc.msg, code=exc.code, loc=[*loc, "doc_number"]) from None
    return customer.model_copy(update={"doc_number": number})


def _discount(d: DiscountIn | None) -> Discount | None:
    return Discount(d.kind, d.value) if d else None


def _add_event(
    session: Session,
    order: Order,
    *,
    from_status: str | None,
    to: str,
    user: Principal,
    clock: Clock,
    reason: str | None = None,
) -> None:
    now = clock.now()
    order.status = to
    order.updated_at = now
    session.add(order)
    session.add(
        OrderStatusEvent(
            order_id=order.id,
            sede_id=order.sede_id,
            from_status=from_status,
            to_status=to,
            reason=reason,
            user_id=user.user_id,
            business_date=business_date(now),
            created_at=now,
        )
    )


def _fingerprint(order_in: OrderCreate) -> str:
    body = order_in.model_dump_json(exclude={"discount": {"approver_password"}})
    return hashlib.sha256(body.encode()).hexdigest()


def replayed_order(
    session: Session, *, key: str | None, order_in: OrderCreate, user: Principal
) -> Order | None:
    """The order an earlier request of ``user`` with this ``Idempotency-Key`` created (None
    when the key is new or absent); 409 ``idempotency_key_reused`` for another body."""
    if key is None:
        return None
    prior = session.get(OrderRequestKey, (user.user_id, key))
    if prior is None:
        return None
    if prior.fingerprint != _fingerprint(order_in):
        raise Conflict(
            "Esta clave de idempotencia ya se usó para otra venta; genere una nueva.",
            code="idempotency_key_reused",
            loc=["header", "Idempotency-Key"],
            extra={"order_id": prior.order_id},
        )
    return get_order(session, order_id=prior.order_id)


def create_order(
    session: Session,
    *,
    sede_id: str | None,
    order_in: OrderCreate,
    user: Principal,
    clock: Clock,
    idempotency_key: str | None = None,
) -> Order:
    """Create, price, number and pay an order; run the ``on_order_created`` hooks.

    With ``idempotency_key`` the key is kept with the order (see :func:`replayed_order`)."""
    if order_in.payments:
        check_permission(user.role, "payment.create")
    sede = load_sede(session, sede_id=sede_id)
    patient = _patient(session, order_in.patient_id)
    convenio = _convenio(session, order_in.convenio_id)
    customer = _customer(order_in.document_type, order_in.customer, patient)
    lines = build_lines(session, items=order_in.items, convenio=convenio, user=user)
    discount = _discount(order_in.discount)
    if discount is not None:
        check_may_discount(user)
    coverage = parse_pct(Decimal(convenio.coverage_pct)) if convenio else ZERO
    totals = price_lines(lines, discount=discount, coverage_pct=coverage)
    approver_id: str | None = None
    if order_in.discount is not None and discount is not None:
        required = needs_approval(
            totals.subtotal, discount, totals.discount_total, approval_threshold(session)
        )
        approver_id = approve_discount(
            session,
            d=order_in.discount,
            required=required,
            user=user,
            sede_id=sede.id,
            clock=clock,
        )
    now = clock.now()
    day = business_date(now)
    order = Order(
        sede_id=sede.id,
        number=next_order_number(session, sede_id=sede.id, sede_code=sede.code, business_date=day),
        patient_id=patient.id,
        convenio_id=convenio.id if convenio else None,
        status=OrderStatus.REGISTRADA.value,
        subtotal=totals.subtotal,
        discount_total=totals.discount_total,
        total=totals.total,
        covered_total=totals.covered_total,
        coverage_pct=fmt(coverage),
        paid_total=ZERO,
        balance=totals.patient_due,
        discount_kind=discount.kind.value if discount else None,
        discount_value=fmt(discount.value) if discount else None,
        discount_reason=order_in.discount.reason if order_in.discount else None,
        discount_approved_by=approver_id,
        document_type=order_in.document_type,
        customer_doc_type=customer.doc_type,
        customer_doc_number=customer.doc_number,
        customer_name=customer.name,
        customer_address=customer.address,
        cashier_id=user.user_id,
        business_date=day,
        created_at=now,
        updated_at=now,
        results_promised_at=promise_for(
            session, sold_at=now, services=(ln.service for ln in lines)
        ),
        priority=order_in.priority.value,
        physician_cmp=order_in.physician_cmp,
        physician_name=order_in.physician_name,
    )
    session.add(order)
    if idempotency_key is not None:
        session.add(
            OrderRequestKey(
                user_id=user.user_id,
                key=idempotency_key,
                fingerprint=_fingerprint(order_in),
                order_id=order.id,
                created_at=now,
            )
        )
    items: list[OrderItem] = []
    parent_ids: dict[int, str] = {}
    for index, line in enumerate(lines):
        item = OrderItem(
            order_id=order.id,
            sede_id=sede.id,
            service_id=line.service.id,
            service_code=line.service.code,
            service_name=line.service.name,
            parent_item_id=parent_ids.get(line.parent) if line.parent is not None else None,
            unit_price=line.unit_price,
            list_price=line.list_price,
            discount=line.discount,
            line_total=line.unit_price - line.discount,
            catalog_version=line.service.catalog_version,
            price_overridden=line.overridden,
            coverage_eligible=line.eligible,
            sample_type=line.service.sample_type,
            tube=line.service.tube,
            business_date=day,
            created_at=now,
        )
        parent_ids[index] = item.id
        session.add(item)
        items.append(item)
        if line.overridden:
            audit.record(
                session,
                action="order.price_override",
                clock=clock,
                sede_id=sede.id,
                user_id=user.user_id,
                username=user.username,
                record_type="order_item",
                record_id=item.id,
                details={
                    "number": order.number,
                    "service_code": line.service.code,
                    "list_price": fmt(line.list_price),
                    "unit_price": fmt(line.unit_price),
                    "reason": line.override_reason,
                },
            )
    registered = OrderStatusEvent(
        order_id=order.id,
        sede_id=sede.id,
        from_status=None,
        to_status=OrderStatus.REGISTRADA.value,
        user_id=user.user_id,
        business_date=day,
        created_at=now,
    )
    session.add(registered)
    if order_in.discount is not None:
        audit_discount(session, order, user=user, clock=clock, d=order_in.discount)
    payments: list[Payment] = []
    if order_in.payments:
        payments = add_payments(
            session, order=order, payments=order_in.payments, sede=sede, user=user, clock=clock
        )
    session.flush()
    fresh.remember(session, order.id, items=items, payments=payments, events=[registered])
    hooks.order_created(session=session, order=order, user=user, clock=clock)
    return order


def pay(
    session: Session,
    *,
    sede_id: str | None,
    order_id: str,
    payments: list[PaymentIn],
    user: Principal,
    clock: Clock,
) -> list[Payment]:
    """Pay (part of) an order's balance later; run the ``on_payment_added`` hooks."""
    sede = load_sede(session, sede_id=sede_id)
    order = get_order(session, order_id=order_id)
    rows = add_payments(session, order=order, payments=payments, sede=sede, user=user, clock=clock)
    session.flush()
    hooks.payment_added(session=session, order=order, user=user, clock=clock)
    return rows


def change_status(
    session: Session,
    *,
    order_id: str,
    to_status: str,
    user: Principal,
    clock: Clock,
    reason: str | None = None,
) -> Order:
    """Move an order one step forward (409 ``invalid_transition`` otherwise)."""
    order = get_order(session, order_id=order_id)
    target = OrderStatus(to_status)
    if target is OrderStatus.ANULADA:
        raise Conflict(
            "Para anular una orden use POST /api/orders/{id}/cancel.",
            code="invalid_transition",
            loc=["body", "status"],
        )
    check_transition(order.status, target)
    if target is OrderStatus.ENTREGADA and order.balance > 0:
        raise RuleViolation(
            f"La orden tiene un saldo pendiente de {fmt_soles(order.balance)}: cobre antes de"
            " entregar los resultados.",
            code="balance_pending",
            loc=["body", "status"],
        )
    _add_event(
        session, order, from_status=order.status, to=target, user=user, clock=clock, reason=reason
    )
    return order


def cancel_order(
    session: Session, *, order_id: str, reason: str, user: Principal, clock: Clock
) -> Order:
    """Cancel an order; what was paid is refunded (negative payments per method)."""
    order = get_order(session, order_id=order_id)
    check_transition(order.status, OrderStatus.ANULADA)
    text = reason.strip()
    if len(text) < 3:
        raise InvalidInput(
            "Indique el motivo de la anulación.", code="reason_required", loc=["body", "reason"]
        )
    refunds = refund_all(session, order=order, user=user, clock=clock, reason=text)
    previous = order.status
    order.cancel_reason = text
    order.balance = ZERO
    _add_event(
        session,
        order,
        from_status=previous,
        to=OrderStatus.ANULADA,
        user=user,
        clock=clock,
        reason=text,
    )
    audit.record(
        session,
        action="order.cancel",
        clock=clock,
        sede_id=order.sede_id,
        user_id=user.user_id,
        username=user.username,
        record_type="order",
        record_id=order.id,
        details={
            "number": order.number,
            "reason": text,
            "previous_status": previous,
            "refunds": {r.method: fmt(-r.amount) for r in refunds},
        },
    )
    session.flush()
    hooks.order_cancelled(session=session, order=order, user=user, clock=clock)
    return order


__all__ = [
    "cancel_order",
    "change_status",
    "create_order",
    "pay",
    "replayed_order",
]

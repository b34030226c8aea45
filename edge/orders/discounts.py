"""Discounts on an order: the approval threshold setting, setting or replacing an order's
discount after it was registered, and the audit row of every discount."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session, col, select

from domain.clock import Clock
from domain.errors import Conflict, RuleViolation
from domain.money import fmt, fmt_soles
from domain.pricing import (
    DEFAULT_APPROVAL_THRESHOLD_PCT,
    Discount,
    PricedLine,
    effective_pct,
    needs_approval,
    price_order,
)
from edge.audit import service as audit
from edge.auth.tokens import Principal
from edge.billing.models import ANULADO, Invoice
from edge.config.replicated import percentage, replicated_value
from edge.orders.approval import approve_discount, check_may_discount
from edge.orders.lifecycle import OrderStatus
from edge.orders.models import Order
from edge.orders.queries import get_order, items_of
from edge.orders.schemas import DiscountIn

APPROVAL_SETTING = "discount_approval_threshold_pct"


def approval_threshold(session: Session) -> Decimal:
    """The hub's replicated setting ``discount_approval_threshold_pct``; 10 % until one
    arrives, or when what arrived is not a percentage (:func:`~edge.config.replicated.percentage`).
    """
    pct = percentage(replicated_value(session.connection(), APPROVAL_SETTING))
    return DEFAULT_APPROVAL_THRESHOLD_PCT if pct is None else pct


def audit_discount(
    session: Session, order: Order, *, user: Principal, clock: Clock, d: DiscountIn
) -> None:
    audit.record(
        session,
        action="order.discount",
        clock=clock,
        sede_id=order.sede_id,
        user_id=user.user_id,
        username=user.username,
        record_type="order",
        record_id=order.id,
        details={
            "number": order.number,
            "kind": d.kind.value,
            "value": fmt(d.value),
            "amount": fmt(order.discount_total),
            "pct": fmt(effective_pct(order.subtotal, order.discount_total)),
            "reason": d.reason,
            "approved_by": order.discount_approved_by,
        },
    )


def apply_discount(
    session: Session, *, order_id: str, d: DiscountIn, user: Principal, clock: Clock
) -> Order:
    """Set (or replace) the order's discount; the sold prices stay as they were."""
    check_may_discount(user)
    order = get_order(session, order_id=order_id)
    if order.status in (OrderStatus.ANULADA, OrderStatus.ENTREGADA):
        raise Conflict(
            "La orden ya no admite descuentos.", code="order_closed", loc=["path", "order_id"]
        )
    billed = session.exec(
        select(Invoice.series, Invoice.number).where(
            Invoice.order_id == order.id,
            col(Invoice.doc_type).in_(("01", "03")),
            Invoice.state != ANULADO,
        )
    ).first()
    if billed is not None:
        # The boleta/factura states the amounts: changing them needs a credit or debit note.
        raise Conflict(
            f"La orden ya tiene comprobante ({billed[0]}-{billed[1]}): su descuento ya no puede"
            " cambiarse. Emita una nota de crédito o anule la orden.",
            code="order_billed",
            loc=["path", "order_id"],
        )
    items = items_of(session, order_id=order.id)
    priced = [i for i in items if i.parent_item_id is None]
    discount = Discount(d.kind, d.value)
    coverage = Decimal(order.coverage_pct or "0")
    totals = price_order(
        [PricedLine(i.unit_price, i.coverage_eligible) for i in priced],
        discount=discount,
        coverage_pct=coverage,
        discount_loc=["body"],
    )
    required = needs_approval(
        totals.subtotal, discount, totals.discount_total, approval_threshold(session)
    )
    approver = approve_discount(
        session, d=d, required=required, user=user, sede_id=order.sede_id, clock=clock
    )
    if order.paid_total > totals.patient_due:
        raise RuleViolation(
            f"Con este descuento lo pagado ({fmt_soles(order.paid_total)}) superaría lo que debe el"
            f" paciente ({fmt_soles(totals.patient_due)}); anule y registre de nuevo.",
            code="discount_exceeds_balance",
            loc=["body", "value"],
        )
    for item, share in zip(priced, totals.line_discounts, strict=True):
        item.discount = share
        item.line_total = item.unit_price - share
        session.add(item)
    order.discount_total = totals.discount_total
    order.total = totals.total
    order.covered_total = totals.covered_total
    order.balance = totals.patient_due - order.paid_total
    order.discount_kind = d.kind.value
    order.discount_value = fmt(d.value)
    order.discount_reason = d.reason
    order.discount_approved_by = approver
    order.updated_at = clock.now()
    session.add(order)
    audit_discount(session, order, user=user, clock=clock, d=d)
    return order

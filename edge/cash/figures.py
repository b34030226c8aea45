"""What a cash session holds: its payments by method, refunds, movements, cancellations and
credit notes, and the expected amount per method (domain.cash does the arithmetic).

A payment belongs to a session when it carries its ``cash_session_id``; a non-cash payment
taken by the session's cashier while it was open without that link (card sales made by a
cashier before orders attach sessions to them) is counted too, so the card, Yape/Plin and
transfer checks see every sale of the shift.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from domain import cash as rules
from domain.money import ZERO
from edge.cash import invoices
from edge.cash.models import CashMovement, CashSession
from edge.orders.models import Order, OrderStatusEvent, Payment

CANCELLED = "anulada"


@dataclass
class MethodTotals:
    count: int = 0
    total: Decimal = ZERO


@dataclass
class SessionFigures:
    payments: list[Payment]
    movements: list[CashMovement]
    sales: dict[str, MethodTotals] = field(default_factory=dict)
    refunds: dict[str, MethodTotals] = field(default_factory=dict)
    expected: dict[str, Decimal] = field(default_factory=dict)
    cancellations: list[dict[str, Any]] = field(default_factory=list)
    credit_notes: list[dict[str, Any]] = field(default_factory=list)

    def total_of(self, kind: str) -> Decimal:
        return sum((m.amount for m in self.movements if m.kind == kind), ZERO)

    @property
    def cash_on_hand(self) -> Decimal:
        return self.expected[rules.CASH]


def session_payments(session: Session, cs: CashSession, *, until: dt.datetime) -> list[Payment]:
    stmt = (
        select(Payment)
        .where(
            col(Payment.sede_id) == cs.sede_id,
            or_(
                col(Payment.cash_session_id) == cs.id,
                and_(
                    col(Payment.cash_session_id).is_(None),
                    col(Payment.cashier_id) == cs.cashier_id,
                    col(Payment.method) != rules.CASH,
                    col(Payment.created_at) >= cs.opened_at,
                    col(Payment.created_at) <= until,
                ),
            ),
        )
        .order_by(col(Payment.created_at), col(Payment.id))
    )
    return list(session.exec(stmt).all())


def cash_on_hand(session: Session, cs: CashSession) -> Decimal:
    """The cash the drawer should hold now: what :func:`compute` says for cash (float + the
    session's cash payments, refunds negative, + ingresos − egresos), summed by the database.
    An egreso asks for it; computing every figure loaded every payment of the session, so each
    egreso took longer and needed more memory as the day's sales grew (bench/bench_soak.py:
    0.5 s and a 21 MB peak at 7,000 sales, which the edge API's RSS followed up)."""
    paid = session.exec(
        select(func.sum(col(Payment.amount))).where(
            col(Payment.sede_id) == cs.sede_id,
            col(Payment.cash_session_id) == cs.id,
            col(Payment.method) == rules.CASH,
        )
    ).one()
    moved = dict(
        session.exec(
            select(col(CashMovement.kind), func.sum(col(CashMovement.amount)))
            .where(col(CashMovement.session_id) == cs.id)
            .group_by(col(CashMovement.kind))
        ).all()
    )
    return rules.expected_cash(
        opening_float=cs.opening_float,
        cash_payments=[paid or ZERO],
        ingresos=[moved.get("ingreso") or ZERO],
        egresos=[moved.get("egreso") or ZERO],
    )


def session_movements(session: Session, cs: CashSession) -> list[CashMovement]:
    stmt = (
        select(CashMovement)
        .where(col(CashMovement.session_id) == cs.id)
        .order_by(col(CashMovement.created_at), col(CashMovement.id))
    )
    return list(session.exec(stmt).all())


def _cancellations(
    session: Session, cs: CashSession, *, order_ids: list[str], until: dt.datetime
) -> list[dict[str, Any]]:
    by_cashier = and_(
        col(OrderStatusEvent.user_id) == cs.cashier_id,
        col(OrderStatusEvent.created_at) >= cs.opened_at,
        col(OrderStatusEvent.created_at) <= until,
    )
    scope = (
        or_(col(OrderStatusEvent.order_id).in_(order_ids), by_cashier) if order_ids else by_cashier
    )
    stmt = (
        select(OrderStatusEvent, Order)
        .join(Order, col(Order.id) == col(OrderStatusEvent.order_id))
        .where(
            col(OrderStatusEvent.sede_id) == cs.sede_id,
            col(OrderStatusEvent.to_status) == CANCELLED,
            scope,
        )
        .order_by(col(OrderStatusEvent.created_at))
    )
    return [
        {
            "order_id": order.id,
            "order_number": order.number,
            "total": order.total,
            "reason": event.reason,
            "user_id": event.user_id,
            "at": event.created_at,
        }
        for event, order in session.exec(stmt).all()
    ]


def compute(session: Session, cs: CashSession, *, now: dt.datetime) -> SessionFigures:
    """Everything the close summary shows, as of ``now`` (or the close instant)."""
    until = cs.closed_at or now
    payments = session_payments(session, cs, until=until)
    movements = session_movements(session, cs)
    figures = SessionFigures(payments=payments, movements=movements)
    signed: dict[str, list[Decimal]] = {m: [] for m in rules.METHODS}
    for p in payments:
        bucket = figures.sales if p.amount >= 0 else figures.refunds
        totals = bucket.setdefault(p.method, MethodTotals())
        totals.count += 1
        totals.total += p.amount
        signed.setdefault(p.method, []).append(p.amount)
    cash = rules.expected_cash(
        opening_float=cs.opening_float,
        cash_payments=signed[rules.CASH],
        ingresos=[m.amount for m in movements if m.kind == "ingreso"],
        egresos=[m.amount for m in movements if m.kind == "egreso"],
    )
    figures.expected = {rules.CASH: cash}
    for method in rules.NON_CASH_METHODS:
        figures.expected[method] = sum(signed[method], ZERO)
    order_ids = sorted({p.order_id for p in payments})
    figures.cancellations = _cancellations(session, cs, order_ids=order_ids, until=until)
    cancelled_ids = [c["order_id"] for c in figures.cancellations]
    figures.credit_notes = invoices.credit_notes_for_orders(
        session, order_ids=sorted({*order_ids, *cancelled_ids})
    )
    return figures


def expected_cents(expected: dict[str, Decimal]) -> dict[str, int]:
    return {m: int(v.scaleb(2)) for m, v in expected.items()}

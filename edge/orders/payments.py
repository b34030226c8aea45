"""Payments of an order: at the sale, later (balance), and refunds when it is cancelled.

Cash lands in the cashier's open cash session (``edge.cash.service.open_session_for``); other
methods record the session too when one is open.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from sqlmodel import Session, select

from domain.clock import Clock, business_date
from domain.errors import Conflict, InvalidInput, RuleViolation
from domain.money import ZERO, fmt_soles, from_cents
from domain.pricing import PaymentMethod, balance, cash_change, check_cash_threshold
from edge.auth.tokens import Principal
from edge.cash.models import CashSession
from edge.cash.service import open_session_for, refuse_sealed
from edge.config.models import Sede
from edge.orders import fresh
from edge.orders.lifecycle import OrderStatus
from edge.orders.models import Order, Payment
from edge.orders.schemas import PaymentIn


def cash_session_id(
    session: Session, *, sede_id: str, cashier_id: str, required: bool
) -> str | None:
    """The cashier's open cash session; ``cash_session_closed`` when required and none."""
    try:
        with session.no_autoflush:  # the lookup needs none of the sale's pending rows
            cash_session = open_session_for(session, sede_id=sede_id, cashier_id=cashier_id)
    except RuleViolation as exc:
        if required or exc.code != "cash_session_closed":
            raise
        return None
    return str(cash_session.id)


def _open_session_ids(session: Session, ids: list[str]) -> set[str]:
    if not ids:
        return set()
    with session.no_autoflush:
        rows = session.exec(
            select(CashSession.id).where(
                CashSession.id.in_(ids),  # type: ignore[attr-defined]
                CashSession.status == "abierta",
            )
        )
        return {str(r) for r in rows}


def refuse_sealed_day(session: Session, *, sede_id: str, day: dt.date) -> None:
    """409 ``day_already_sealed``: no sale, payment or refund may be dated a sealed day."""
    refuse_sealed(
        session, sede_id=sede_id, day=day, then=": no admite más ventas, cobros ni devoluciones."
    )


def _cash_taken(session: Session, order: Order) -> Decimal:
    """Net cash the order has received so far (none before its first payment)."""
    if order.paid_total <= 0:
        return ZERO
    return sum(
        (
            p.amount
            for p in payments_of(session, order_id=order.id)
            if p.method == PaymentMethod.EFECTIVO
        ),
        ZERO,
    )


def payments_of(session: Session, *, order_id: str) -> list[Payment]:
    kept = fresh.rows(session, order_id)
    if kept is not None:
        return list(kept.payments)
    query = select(Payment).where(Payment.order_id == order_id)
    return sorted(session.exec(query), key=lambda p: (p.created_at, p.id))


def add_payments(
    session: Session,
    *,
    order: Order,
    payments: Sequence[PaymentIn],
    sede: Sede,
    user: Principal,
    clock: Clock,
    loc: Sequence[str | int] = ("body", "payments"),
) -> list[Payment]:
    """Validate and record ``payments`` against ``order``'s balance; update its totals."""
    if order.status == OrderStatus.ANULADA:
        raise Conflict("La orden está anulada: no admite pagos.", code="order_cancelled")
    threshold = from_cents(sede.cash_threshold_cents)
    # Bancarización applies to the operation (the order), not to each payment: cash paid
    # earlier for the same order counts towards the threshold.
    earlier_cash = _cash_taken(session, order)
    cash_so_far = ZERO
    incoming = ZERO
    changes: list[Decimal | None] = []
    for index, p in enumerate(payments):
        here = [*loc, index]
        if p.amount <= 0:
            raise InvalidInput(
                "El monto del pago debe ser mayor que cero.",
                code="payment_amount_zero",
                loc=[*here, "amount"],
            )
        if p.method is PaymentMethod.EFECTIVO:
            cash_so_far += p.amount
            check_cash_threshold(cash_so_far, threshold, loc=[*here, "amount"])
            if earlier_cash + cash_so_far >= threshold:
                raise RuleViolation(
                    f"Por bancarización, operaciones de {fmt_soles(threshold)} o más no pueden"
                    f" pagarse en efectivo: esta orden ya recibió {fmt_soles(earlier_cash)} en"
                    f" efectivo y con este pago sumaría {fmt_soles(earlier_cash + cash_so_far)}."
                    " Use tarjeta, Yape, Plin o transferencia.",
                    code="bancarizacion",
                    loc=[*here, "amount"],
                )
            tendered = p.tendered if p.tendered is not None else p.amount
            changes.append(cash_change(p.amount, tendered, loc=[*here, "tendered"]))
        else:
            if p.tendered is not None:
                raise InvalidInput(
                    "El monto entregado solo se indica para pagos en efectivo.",
                    code="tendered_not_cash",
                    loc=[*here, "tendered"],
                )
            changes.append(None)
        incoming += p.amount
    try:
        new_balance = balance(order.total, order.covered_total, order.paid_total + incoming)
    except RuleViolation as exc:
        raise RuleViolation(exc.msg, code=exc.code, loc=list(loc)) from None
    now = clock.now()
    day = business_date(now)
    if order not in session.new:  # a new order's number was refused for a sealed day
        refuse_sealed_day(session, sede_id=order.sede_id, day=day)
    session_id = cash_session_id(
        session,
        sede_id=sede.id,
        cashier_id=user.user_id,
        required=cash_so_far > 0,
    )
    rows: list[Payment] = []
    for p, change in zip(payments, changes, strict=True):
        cash = p.method is PaymentMethod.EFECTIVO
        row = Payment(
            order_id=order.id,
            sede_id=order.sede_id,
            method=p.method.value,
            amount=p.amount,
            tendered=(p.tendered if p.tendered is not None else p.amount) if cash else None,
            change=change,
            reference=p.reference,
            cash_session_id=session_id,
            cashier_id=user.user_id,
            business_date=day,
            created_at=now,
        )
        session.add(row)
        rows.append(row)
    order.paid_total += incoming
    order.balance = new_balance
    order.updated_at = now
    session.add(order)
    return rows


def refund_all(
    session: Session, *, order: Order, user: Principal, clock: Clock, reason: str
) -> list[Payment]:
    """One negative payment per method for what the order still holds; paid_total becomes 0."""
    net: dict[str, Decimal] = {}
    origin: dict[str, str | None] = {}  # method -> cash session of its latest payment
    for p in payments_of(session, order_id=order.id):
        net[p.method] = net.get(p.method, ZERO) + p.amount
        if p.amount > 0:
            origin[p.method] = p.cash_session_id
    owed = {method: amount for method, amount in net.items() if amount > 0}
    if not owed:
        return []
    now = clock.now()
    refuse_sealed_day(session, sede_id=order.sede_id, day=business_date(now))
    open_ids = _open_session_ids(session, [sid for sid in origin.values() if sid])
    own: str | None = None
    if any(origin.get(m) not in open_ids for m in owed):
        try:
            own = cash_session_id(
                session,
                sede_id=order.sede_id,
                cashier_id=user.user_id,
                required=PaymentMethod.EFECTIVO.value in owed
                and origin.get(PaymentMethod.EFECTIVO.value) not in open_ids,
            )
        except RuleViolation as exc:
            if exc.code != "cash_session_closed":
                raise
            cash = owed[PaymentMethod.EFECTIVO.value]
            raise RuleViolation(
                f"La caja en la que se cobró ya está cerrada: abra su caja para devolver los"
                f" {fmt_soles(cash)} en efectivo de esta anulación.",
                code="cash_session_closed",
            ) from None
    rows = []
    for method, amount in sorted(owed.items()):
        # The money goes back through the drawer (or terminal) it came in by while that
        # session is open; otherwise through the canceller's own open session.
        from_session = origin.get(method)
        session_id = from_session if from_session in open_ids else own
        row = Payment(
            order_id=order.id,
            sede_id=order.sede_id,
            method=method,
            amount=-amount,
            reference=f"Devolución por anulación: {reason}"[:60],
            cash_session_id=session_id,
            cashier_id=user.user_id,
            business_date=business_date(now),
            created_at=now,
        )
        session.add(row)
        rows.append(row)
    order.paid_total -= sum(owed.values(), ZERO)
    return rows

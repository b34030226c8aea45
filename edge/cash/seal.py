"""The day seal (DESIGN.md section 3): counts and sums of a sede's business day.

Closing the day writes one ``DaySeal`` row (record type ``day_seal``, replicated through the
outbox by the flush hook) with the day's orders, payments, invoices, cash sessions and samples,
and ``last_seq``: the outbox sequence reached before the seal itself, read from ``sync_state``
inside the same transaction. The hub reconciles a day only once its seal has arrived and its own
counts match. Sums are integer céntimos, like every replicated money value.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from domain.clock import Clock, business_date
from domain.errors import Conflict, RuleViolation
from edge.audit import service as audit
from edge.auth.tokens import Principal
from edge.cash import invoices
from edge.cash.models import CashSession, DaySeal
from edge.cash.service import OPEN
from edge.orders.models import Order, Payment
from edge.orders.numbering import seal_day as seal_orders
from edge.samples.models import Sample
from sync.outbox import sync_state


def _cents(value: Any) -> int:
    """A SUM over a ``Cents`` column typed BigInteger: raw céntimos (or None)."""
    return int(value or 0)


def figures(session: Session, *, sede_id: str, day: dt.date) -> dict[str, Any]:
    """Counts and sums of ``day`` read from the rows (what the seal records)."""
    by_status: dict[str, dict[str, int]] = {}
    order_rows = session.exec(
        select(Order.status, func.count(), func.sum(col(Order.total), type_=BigInteger))  # type: ignore[call-overload]
        .where(col(Order.sede_id) == sede_id, col(Order.business_date) == day)
        .group_by(Order.status)
    ).all()
    for status, n, total in order_rows:
        by_status[status] = {"count": int(n), "total_cents": _cents(total)}
    by_method: dict[str, dict[str, int]] = {}
    payment_rows = session.exec(
        select(Payment.method, func.count(), func.sum(col(Payment.amount), type_=BigInteger))  # type: ignore[call-overload]
        .where(col(Payment.sede_id) == sede_id, col(Payment.business_date) == day)
        .group_by(Payment.method)
    ).all()
    for method, n, total in payment_rows:
        by_method[method] = {"count": int(n), "total_cents": _cents(total)}
    sessions = session.exec(
        select(CashSession).where(
            col(CashSession.sede_id) == sede_id, col(CashSession.business_date) == day
        )
    ).all()
    samples = session.exec(
        select(func.count())
        .select_from(Sample)
        .where(col(Sample.sede_id) == sede_id, col(Sample.business_date) == day)
    ).one()
    return {
        "orders": {
            "count": sum(v["count"] for v in by_status.values()),
            "total_cents": sum(v["total_cents"] for v in by_status.values()),
            "by_status": dict(sorted(by_status.items())),
        },
        "payments": {
            "count": sum(v["count"] for v in by_method.values()),
            "total_cents": sum(v["total_cents"] for v in by_method.values()),
            "by_method": dict(sorted(by_method.items())),
        },
        "invoices": invoices.day_figures(session, sede_id=sede_id, day=day),
        "cash_sessions": {
            "count": len(sessions),
            "open": sum(1 for s in sessions if s.status == OPEN),
            "expected_cents": sum(sum(s.expected.values()) for s in sessions),
            "counted_cents": sum(sum(s.declared.values()) for s in sessions),
            "difference_cents": sum(s.difference_cents for s in sessions),
        },
        "samples": {"count": int(samples)},
    }


def find(session: Session, *, sede_id: str, day: dt.date) -> DaySeal | None:
    return session.exec(
        select(DaySeal).where(col(DaySeal.sede_id) == sede_id, col(DaySeal.business_date) == day)
    ).first()


def close_day(
    session: Session,
    *,
    sede_id: str,
    user: Principal,
    clock: Clock,
    day: dt.date | None = None,
    ip: str | None = None,
) -> DaySeal:
    """Seal ``day`` (default: today in Lima). Refused while a session of that day is open."""
    now = clock.now()
    today = business_date(now)
    day = day or today
    if day > today:
        raise RuleViolation(
            "No se puede cerrar un día que aún no empieza.",
            code="day_in_future",
            loc=["body", "date"],
        )
    existing = find(session, sede_id=sede_id, day=day)
    if existing is not None:
        raise Conflict(
            f"El día {day:%d/%m/%Y} ya está cerrado.",
            code="day_already_sealed",
            extra={"seal_id": existing.id},
        )
    # A session opened on an earlier day and still open may hold this day's sales too.
    still_open = session.exec(
        select(CashSession.id).where(
            col(CashSession.sede_id) == sede_id,
            col(CashSession.business_date) <= day,
            col(CashSession.status) == OPEN,
        )
    ).all()
    if still_open:
        raise RuleViolation(
            f"Hay {len(still_open)} caja(s) abierta(s) del día; ciérrelas antes de cerrar el día.",
            code="cash_sessions_open",
            extra={"session_ids": list(still_open)},
        )
    data = figures(session, sede_id=sede_id, day=day)
    last_seq = session.execute(
        sa_select(sync_state.c.last_seq).where(sync_state.c.id == 1)
    ).scalar()
    seal = DaySeal(
        sede_id=sede_id,
        business_date=day,
        last_seq=int(last_seq or 0),
        figures=data,
        closed_by=user.user_id,
        created_at=now,
    )
    session.add(seal)
    seal_orders(session, sede_id=sede_id, business_date=day)
    audit.record(
        session,
        action="day.close",
        clock=clock,
        sede_id=sede_id,
        user_id=user.user_id,
        username=user.username,
        record_type="day_seal",
        record_id=seal.id,
        ip=ip,
        details={"business_date": day.isoformat(), "last_seq": seal.last_seq},
    )
    return seal


def view(session: Session, *, sede_id: str, day: dt.date) -> DaySeal | dict[str, Any]:
    """The seal of ``day`` if it is closed, otherwise its live figures."""
    found = find(session, sede_id=sede_id, day=day)
    return found if found is not None else figures(session, sede_id=sede_id, day=day)

"""Human order numbers: ``S01-20261129-0001``, one daily sequence per sede.

The sequence lives in ``order_counter`` and is taken inside the order's own transaction (the
unit of work holds SQLite's write lock from its first statement), so two sales never get the
same number, a rolled-back sale never consumes one, and a committed number is never handed out
again after a restart. Numbers carry the sede code, so sedes never collide.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from domain.errors import Conflict
from domain.ids import format_order_number, parse_order_number
from edge import counters
from edge.orders.models import Order, OrderCounter


def _highest_issued(session: Session, *, sede_id: str, business_date: dt.date) -> int:
    """The highest sequence already used that day (a safety net when the counter is new)."""
    numbers = session.exec(
        select(Order.number).where(Order.sede_id == sede_id, Order.business_date == business_date)
    )
    return max((parse_order_number(n).seq for n in numbers), default=0)


def _counter(session: Session, *, sede_id: str, business_date: dt.date) -> OrderCounter:
    """The day's counter, made (from the highest number already used) when it is new."""
    counter = session.get(OrderCounter, (sede_id, business_date))
    if counter is None:
        counter = OrderCounter(
            sede_id=sede_id,
            business_date=business_date,
            last_seq=_highest_issued(session, sede_id=sede_id, business_date=business_date),
        )
        session.add(counter)
    return counter


_BUMP_SQL = (
    "UPDATE order_counter SET last_seq = last_seq + 1"
    " WHERE sede_id = ? AND business_date = ? AND NOT sealed RETURNING last_seq"
)


def next_order_number(
    session: Session, *, sede_id: str, sede_code: str, business_date: dt.date
) -> str:
    """Allocate the next order number of ``sede_id`` for ``business_date``."""
    key = (sede_id, business_date)
    seq = counters.bump(session, OrderCounter, key, _BUMP_SQL, (sede_id, business_date.isoformat()))
    if seq is not None:
        return format_order_number(sede_code, business_date, seq)
    counter = _counter(session, sede_id=sede_id, business_date=business_date)
    if counter.sealed:
        raise Conflict(
            f"El día {business_date:%d/%m/%Y} ya fue cerrado (sellado): no admite más ventas.",
            code="day_already_sealed",
        )
    counter.last_seq += 1
    return format_order_number(sede_code, business_date, counter.last_seq)


def seal_day(session: Session, *, sede_id: str, business_date: dt.date) -> None:
    """Mark the day's counter sealed: no number is handed out for a sealed day (checked with
    the counter the sale reads anyway: no extra query per sale) until it is reopened."""
    _counter(session, sede_id=sede_id, business_date=business_date).sealed = True


def unseal_day(session: Session, *, sede_id: str, business_date: dt.date) -> None:
    """The day was reopened (edge.cash.seal.reopen_day): it hands out numbers again, after the
    last one it used (the counter keeps its sequence)."""
    _counter(session, sede_id=sede_id, business_date=business_date).sealed = False

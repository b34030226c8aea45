"""Recurring patients: those with several non-cancelled orders in a date range."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func
from sqlmodel import Session, col, select

from domain.errors import InvalidInput
from edge.orders.models import Order
from edge.patients.models import Patient
from edge.patients.service import CANCELLED_STATUS


@dataclass(frozen=True)
class Recurring:
    patient: Patient
    order_count: int
    total_amount: Decimal
    last_order_date: dt.date


def recurring(
    *,
    session: Session,
    date_from: dt.date,
    date_to: dt.date,
    min_orders: int,
    limit: int,
    offset: int,
) -> tuple[list[Recurring], int]:
    """Patients with at least ``min_orders`` non-cancelled orders between two business dates
    (both included), most frequent first."""
    if date_from > date_to:
        raise InvalidInput(
            "La fecha inicial es posterior a la final.",
            code="date_range_invalid",
            loc=["query", "date_from"],
        )
    if min_orders < 2:
        raise InvalidInput(
            "Un paciente recurrente tiene al menos 2 órdenes.",
            code="min_orders_invalid",
            loc=["query", "min_orders"],
        )
    n = func.count(col(Order.id)).label("n")
    grouped = (
        select(
            col(Order.patient_id),
            n,
            func.sum(col(Order.total)).label("amount"),
            func.max(col(Order.business_date)).label("last_date"),
        )
        .where(
            col(Order.business_date) >= date_from,
            col(Order.business_date) <= date_to,
            col(Order.status) != CANCELLED_STATUS,
        )
        .group_by(col(Order.patient_id))
        .having(func.count(col(Order.id)) >= min_orders)
    )
    total = session.exec(select(func.count()).select_from(grouped.subquery())).one()
    rows = session.exec(
        grouped.order_by(n.desc(), func.max(col(Order.business_date)).desc(), col(Order.patient_id))
        .offset(offset)
        .limit(limit)
    ).all()
    patients = {
        p.id: p
        for p in session.exec(select(Patient).where(col(Patient.id).in_([r[0] for r in rows])))
    }
    items = [
        Recurring(patients[pid], int(count), Decimal(amount or 0), last)
        for pid, count, amount, last in rows
        if pid in patients
    ]
    return items, int(total)

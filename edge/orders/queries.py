"""Reading orders: one order, its items and history, and the filtered, paginated list."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from domain.errors import NotFound
from edge.orders import fresh
from edge.orders.models import Order, OrderItem, OrderStatusEvent


def get_order(session: Session, *, order_id: str) -> Order:
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound("La orden no existe.", code="order_not_found", loc=["path", "order_id"])
    return order


def items_of(session: Session, *, order_id: str) -> list[OrderItem]:
    kept = fresh.rows(session, order_id)
    if kept is not None:
        return sorted(kept.items, key=lambda i: i.id)
    query = select(OrderItem).where(OrderItem.order_id == order_id)
    return sorted(session.exec(query), key=lambda i: i.id)


def items_in_order(session: Session, *, order_id: str) -> list[OrderItem]:
    """The order's items as they were sold (creation order: a panel before its tests); the
    sale's own rows while its transaction lasts (:mod:`edge.orders.fresh`)."""
    kept = fresh.rows(session, order_id)
    if kept is not None:
        return list(kept.items)
    query = (
        select(OrderItem)
        .where(OrderItem.order_id == order_id)
        .order_by(col(OrderItem.created_at), col(OrderItem.id))
    )
    return list(session.exec(query))


def history_of(session: Session, *, order_id: str) -> list[OrderStatusEvent]:
    kept = fresh.rows(session, order_id)
    if kept is not None:
        return list(kept.events)
    query = select(OrderStatusEvent).where(OrderStatusEvent.order_id == order_id)
    return sorted(session.exec(query), key=lambda e: (e.created_at, e.id))


def list_orders(
    session: Session,
    *,
    day: object = None,
    status: str | None = None,
    patient_id: str | None = None,
    cashier_id: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> tuple[list[Order], int]:
    """A page of orders, newest first, and how many match in all."""
    filters = []
    if day is not None:
        filters.append(Order.business_date == day)
    if status:
        filters.append(Order.status == status)
    if patient_id:
        filters.append(Order.patient_id == patient_id)
    if cashier_id:
        filters.append(Order.cashier_id == cashier_id)
    total = session.exec(select(func.count()).select_from(Order).where(*filters)).one()
    rows = session.exec(
        select(Order)
        .where(*filters)
        .order_by(col(Order.created_at).desc(), col(Order.id).desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    return list(rows), int(total)

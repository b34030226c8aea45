"""Reading orders: one order, its items and history, and the filtered, paginated list."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from domain.errors import NotFound
from edge.billing.models import Invoice
from edge.orders import fresh
from edge.orders.lifecycle import OrderStatus
from edge.orders.models import Order, OrderItem, OrderStatusEvent
from edge.patients.models import Patient

#: The sale's own documents (a credit note, 07, corrects one of them).
SALE_DOC_TYPES = ("01", "03")
#: An order in these is not late, whatever its promise said (GET /api/orders?late=true).
NOT_LATE_STATUSES = tuple(
    s.value for s in (OrderStatus.RESULTADOS_LISTOS, OrderStatus.ENTREGADA, OrderStatus.ANULADA)
)


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


@dataclass(frozen=True)
class OrderRow:
    """An order of the list, its patient's name and document, and its boleta or factura."""

    order: Order
    patient_name: str | None = None
    patient_doc_type: str | None = None
    patient_doc_number: str | None = None
    invoice_id: str | None = None
    invoice_number: str | None = None
    invoice_state: str | None = None

    def extras(self) -> dict[str, str | None]:
        """The fields besides the order (``OrderListItem``'s additions)."""
        return {
            "patient_name": self.patient_name,
            "patient_doc_type": self.patient_doc_type,
            "patient_doc_number": self.patient_doc_number,
            "invoice_id": self.invoice_id,
            "invoice_number": self.invoice_number,
            "invoice_state": self.invoice_state,
        }


def list_orders(
    session: Session,
    *,
    day: object = None,
    status: str | None = None,
    patient_id: str | None = None,
    cashier_id: str | None = None,
    late_at: dt.datetime | None = None,
    page: int = 1,
    page_size: int = 50,
) -> tuple[list[OrderRow], int]:
    """A page of orders, newest first, and how many match in all.

    One query: each order joined to its patient and to its latest boleta/factura (a correlated
    subquery on the indexed ``invoice.order_id``), so the page costs no query per row.
    """
    filters: list[ColumnElement[bool]] = []
    if day is not None:
        filters.append(col(Order.business_date) == day)
    if status:
        filters.append(col(Order.status) == status)
    if patient_id:
        filters.append(col(Order.patient_id) == patient_id)
    if cashier_id:
        filters.append(col(Order.cashier_id) == cashier_id)
    if late_at is not None:  # promised results not out by ``late_at``
        filters.append(col(Order.results_promised_at) < late_at)
        filters.append(col(Order.status).not_in(NOT_LATE_STATUSES))
    total = session.exec(select(func.count()).select_from(Order).where(*filters)).one()
    latest_invoice = (
        select(Invoice.id)
        .where(Invoice.order_id == Order.id, col(Invoice.doc_type).in_(SALE_DOC_TYPES))
        .order_by(col(Invoice.created_at).desc(), col(Invoice.id).desc())
        .limit(1)
        .correlate(Order)
        .scalar_subquery()
    )
    query = (
        sa_select(
            Order,
            col(Patient.first_names),
            col(Patient.last_names),
            col(Patient.doc_type),
            col(Patient.doc_number),
            col(Invoice.id),
            col(Invoice.series),
            col(Invoice.number),
            col(Invoice.state),
        )
        .outerjoin(Patient, col(Patient.id) == col(Order.patient_id))
        .outerjoin(Invoice, col(Invoice.id) == latest_invoice)
        .where(*filters)
        .order_by(col(Order.created_at).desc(), col(Order.id).desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    rows = [
        OrderRow(
            order=order,
            patient_name=f"{last}, {first}" if first is not None else None,
            patient_doc_type=doc_type,
            patient_doc_number=doc_number,
            invoice_id=invoice_id,
            invoice_number=f"{series}-{number}" if invoice_id is not None else None,
            invoice_state=state,
        )
        for order, first, last, doc_type, doc_number, invoice_id, series, number, state in (
            session.execute(query).tuples()
        )
    ]
    return rows, int(total)

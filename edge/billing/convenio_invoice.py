"""A convenio's monthly factura: the covered part ("por cobrar") of the sede's orders.

An order sold under a convenio is priced with the convenio's prices or coverage; the patient's
part gets its boleta through :mod:`edge.billing.hooks`. The covered part (``covered_total``)
is billed here, once a month, in ONE factura (01) to the convenio's RUC with one line per
order, through :func:`edge.billing.issuing.issue` (rules, gapless number, signature, queue).
:class:`~edge.billing.convenio_models.ConvenioInvoiceOrder` records which orders it covers,
so they are never billed twice while that factura stands.

Services never commit: the router's unit of work does.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import Session, select

from domain.clock import Clock, business_date
from domain.errors import Conflict, InvalidInput, NotFound
from domain.identity import is_valid_ruc
from domain.money import q2
from domain.sunat import Customer, DocumentType, IdentityType, Installment, PaymentTerms
from edge.billing.convenio_models import ConvenioInvoiceOrder
from edge.billing.documents import LineIn
from edge.billing.issuing import issue
from edge.billing.models import ANULADO, Invoice
from edge.billing.service import remaining_of
from edge.catalog.models import Convenio
from edge.orders.models import Order
from edge.settings import EdgeSettings

ZERO = Decimal("0.00")
CANCELLED_STATUSES = ("anulada", "cancelada")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Month:
    """A calendar month of business dates (America/Lima)."""

    year: int
    month: int

    @property
    def first(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def after(self) -> dt.date:
        """First day of the next month."""
        if self.month == 12:
            return dt.date(self.year + 1, 1, 1)
        return dt.date(self.year, self.month + 1, 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def parse_month(value: str, *, loc: list[str | int]) -> Month:
    """``"AAAA-MM"`` → :class:`Month`; anything else is a 422 ``month_invalid``."""
    found = _MONTH.fullmatch(value.strip()) if isinstance(value, str) else None
    if found is None or not (2000 <= int(found[1]) <= 2100 and 1 <= int(found[2]) <= 12):
        raise InvalidInput(
            "Indique el mes como AAAA-MM (por ejemplo 2026-11).", code="month_invalid", loc=loc
        )
    return Month(int(found[1]), int(found[2]))


def get_convenio(session: Session, convenio_id: str) -> Convenio:
    convenio = session.get(Convenio, convenio_id)
    if convenio is None:
        raise NotFound(
            "Convenio no encontrado.", code="convenio_not_found", loc=["path", "convenio_id"]
        )
    return convenio


def _standing(session: Session, invoice_ids: set[str]) -> set[str]:
    """Those of ``invoice_ids`` that still bill something (not voided, not fully credited)."""
    standing: set[str] = set()
    for invoice_id in invoice_ids:
        inv = session.get(Invoice, invoice_id)
        if inv is None or inv.state == ANULADO or inv.void_requested:
            continue
        if remaining_of(session, inv) > ZERO:
            standing.add(inv.id)
    return standing


def invoiced_order_ids(session: Session, order_ids: list[str]) -> set[str]:
    """Orders among ``order_ids`` whose covered part is on a standing convenio factura (and
    was not credited off it since)."""
    if not order_ids:
        return set()
    links = session.exec(
        select(ConvenioInvoiceOrder).where(
            ConvenioInvoiceOrder.order_id.in_(order_ids),  # type: ignore[attr-defined]
            ConvenioInvoiceOrder.credit_note_id.is_(None),  # type: ignore[union-attr]
        )
    ).all()
    standing = _standing(session, {link.invoice_id for link in links})
    return {link.order_id for link in links if link.invoice_id in standing}


def pending_orders(
    *, session: Session, sede_id: str, convenio_id: str, month: Month
) -> list[Order]:
    """The sede's non-cancelled orders of ``month`` under the convenio with a covered part not
    invoiced yet, by business date and number."""
    orders = session.exec(
        select(Order)
        .where(
            Order.sede_id == sede_id,
            Order.convenio_id == convenio_id,
            Order.business_date >= month.first,
            Order.business_date < month.after,
            Order.status.notin_(CANCELLED_STATUSES),  # type: ignore[attr-defined]
        )
        .order_by(Order.business_date, Order.number)  # type: ignore[arg-type]
    ).all()
    covered = [o for o in orders if o.covered_total > ZERO]
    done = invoiced_order_ids(session, [o.id for o in covered])
    return [o for o in covered if o.id not in done]


def convenio_customer(convenio: Convenio) -> Customer:
    """The convenio as the factura's buyer; 422 when its RUC or name cannot carry a factura."""
    ruc = (convenio.ruc or "").strip()
    if not is_valid_ruc(ruc):
        raise InvalidInput(
            f"El convenio «{convenio.name}» no tiene un RUC válido ({ruc or 'vacío'}); "
            "corríjalo en la central antes de facturar.",
            code="convenio_ruc_invalid",
            loc=["path", "convenio_id"],
        )
    if not convenio.name.strip():
        raise InvalidInput(
            "El convenio no tiene razón social; corríjalo en la central antes de facturar.",
            code="convenio_name_missing",
            loc=["path", "convenio_id"],
        )
    return Customer(IdentityType.RUC, ruc, convenio.name.strip())


def line_for(order: Order) -> LineIn:
    """One factura line per order: its covered part, IGV included (gravado)."""
    return LineIn(
        code=order.number[:30],
        description=f"Orden {order.number} ({order.business_date:%d/%m/%Y}) – servicios de "
        "laboratorio",
        quantity=1,
        unit_price=q2(order.covered_total),
    )


def credit_terms(amount: Decimal, issued: dt.date, credit_days: int) -> PaymentTerms:
    """Crédito: one installment of ``amount`` due ``credit_days`` (at least 1) after issue."""
    days = max(int(credit_days or 0), 1)
    return PaymentTerms.credito(Installment(q2(amount), issued + dt.timedelta(days=days)))


def invoice_month(
    *,
    session: Session,
    settings: EdgeSettings,
    clock: Clock,
    sede_id: str,
    convenio_id: str,
    month: Month,
    user_id: str | None = None,
) -> tuple[Invoice, list[ConvenioInvoiceOrder]]:
    """Issue the convenio's factura for ``month`` — crédito, one installment of the whole
    amount due ``credit_days`` after the issue date — and link it to the orders it covers.
    409 ``convenio_nothing_pending`` when every covered order of the month is already
    invoiced (or there is none)."""
    convenio = get_convenio(session, convenio_id)
    customer = convenio_customer(convenio)
    orders = pending_orders(session=session, sede_id=sede_id, convenio_id=convenio.id, month=month)
    if not orders:
        raise Conflict(
            f"No hay órdenes del convenio «{convenio.name}» pendientes de facturar en {month}.",
            code="convenio_nothing_pending",
            loc=["body", "month"],
        )
    lines = [line_for(o) for o in orders]
    inv = issue(
        session=session,
        settings=settings,
        clock=clock,
        doc_type=DocumentType.FACTURA,
        customer=customer,
        lines=lines,
        sede_id=sede_id,
        user_id=user_id,
        payment_terms=credit_terms(
            sum((ln.unit_price for ln in lines), ZERO),
            business_date(clock.now()),
            convenio.credit_days,
        ),
    )
    now = clock.now()
    links = [
        ConvenioInvoiceOrder(
            sede_id=sede_id,
            convenio_id=convenio.id,
            invoice_id=inv.id,
            order_id=o.id,
            order_number=o.number,
            month=str(month),
            amount=q2(o.covered_total),
            business_date=business_date(now),
            created_by=user_id,
            created_at=now,
        )
        for o in orders
    ]
    session.add_all(links)
    session.flush()
    return inv, links


def links_of(session: Session, invoice_id: str) -> list[ConvenioInvoiceOrder]:
    return list(
        session.exec(
            select(ConvenioInvoiceOrder)
            .where(ConvenioInvoiceOrder.invoice_id == invoice_id)
            .order_by(ConvenioInvoiceOrder.business_date, ConvenioInvoiceOrder.order_number)  # type: ignore[arg-type]
        )
    )


__all__ = [
    "Month",
    "convenio_customer",
    "credit_terms",
    "get_convenio",
    "invoice_month",
    "invoiced_order_ids",
    "line_for",
    "links_of",
    "parse_month",
    "pending_orders",
]

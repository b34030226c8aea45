"""Cancelling an order whose covered part is on a standing convenio factura.

The convenio must not stay billed for an order that no longer exists. Inside the
cancellation's unit of work (:func:`edge.billing.hooks.void_for_cancelled`):

* the factura was accepted by SUNAT (aceptado / observado) → a nota de crédito 07
  (devolución por ítem) on it for that order's line, and the link
  (:class:`~edge.billing.convenio_models.ConvenioInvoiceOrder`) records the note, so the
  order no longer counts as invoiced (nor as pending: it is cancelled); right after it, a
  nota de crédito 13 restates the crédito factura's net amount pending and cuotas
  (:mod:`edge.billing.credit_terms_note`), unless nothing is owed any more; should SUNAT
  reject that NC 07, the link is released again and a supervisor re-issues it
  (:mod:`edge.billing.convenio_credit_retry`);
* the factura is still waiting for SUNAT's answer → 409 ``convenio_invoice_pending``: the
  cancellation is refused (nothing is written) until the answer arrives, since a note can
  only modify an accepted factura;
* the factura was rejected or voided → it bills nothing; nothing to credit.

Orders without a covered part never reach a query here (the sale and cancel paths of
ordinary boletas keep their cost).
"""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session, select

from domain.clock import Clock
from domain.errors import Conflict
from domain.money import q2
from domain.sunat import CreditNoteReason, DocumentType
from edge.audit import service as audit
from edge.billing import credit_terms_note
from edge.billing.convenio_models import ConvenioInvoiceOrder
from edge.billing.documents import LineIn, customer_of, lines_of
from edge.billing.issuing import issue
from edge.billing.models import ACEPTADO, ANULADO, OBSERVADO, RECHAZADO, Invoice
from edge.billing.service import remaining_of
from edge.orders.models import Order
from edge.settings import EdgeSettings

ZERO = Decimal("0.00")


def open_links(session: Session, order: Order) -> list[tuple[ConvenioInvoiceOrder, Invoice]]:
    """The order's convenio links not credited yet whose factura still bills something."""
    if not order.convenio_id or order.covered_total <= ZERO:
        return []
    links = session.exec(
        select(ConvenioInvoiceOrder).where(
            ConvenioInvoiceOrder.order_id == order.id,
            ConvenioInvoiceOrder.credit_note_id.is_(None),  # type: ignore[union-attr]
        )
    ).all()
    out: list[tuple[ConvenioInvoiceOrder, Invoice]] = []
    for link in links:
        inv = session.get(Invoice, link.invoice_id)
        if inv is None or inv.state in (ANULADO, RECHAZADO) or inv.void_requested:
            continue
        out.append((link, inv))
    return out


def check_cancellable(session: Session, order: Order) -> None:
    """409 ``convenio_invoice_pending`` when the order is on a convenio factura SUNAT has not
    answered yet (writes nothing)."""
    for _link, inv in open_links(session, order):
        if inv.state not in (ACEPTADO, OBSERVADO):
            raise Conflict(
                f"La orden {order.number} está incluida en la factura del convenio "
                f"{inv.full_number}, que aún no tiene respuesta de SUNAT (estado: {inv.state}). "
                "Espere la respuesta de SUNAT y vuelva a anular la orden; entonces se emitirá "
                "la nota de crédito al convenio.",
                code="convenio_invoice_pending",
                loc=["path", "order_id"],
                extra={"invoice_id": inv.id, "invoice": inv.full_number, "state": inv.state},
            )


def _line(session: Session, inv: Invoice, link: ConvenioInvoiceOrder, amount: Decimal) -> LineIn:
    """The factura's own line for the order (credited as it was billed), else one line."""
    for ln in lines_of(session, inv.id):
        if ln.code == link.order_number[:30] and ln.total == amount and ln.quantity == 1:
            return LineIn(
                code=ln.code,
                description=ln.description,
                quantity=1,
                unit_price=ln.unit_price,
                affectation=ln.affectation,
                unit=ln.unit,
            )
    return LineIn(
        code=link.order_number[:30],
        description=f"Orden {link.order_number} – servicios de laboratorio",
        quantity=1,
        unit_price=amount,
    )


def credit_cancelled_order(
    *,
    session: Session,
    settings: EdgeSettings,
    clock: Clock,
    order: Order,
    user_id: str | None = None,
) -> list[Invoice]:
    """Take a cancelled order off its convenio facturas: one nota de crédito 07 per accepted
    factura that bills it (its line amount, never above what remains), links updated, each
    followed by the nota de crédito 13 restating that factura's cuotas when something is still
    owed on it. Returns the notes issued (07s and 13s, in order). Raises
    ``convenio_invoice_pending`` (409) first when any such factura is not answered yet."""
    check_cancellable(session, order)
    notes: list[Invoice] = []
    now = clock.now()
    for link, inv in open_links(session, order):
        remaining = remaining_of(session, inv)
        amount = min(q2(link.amount), remaining)
        if amount <= ZERO:
            continue
        reason = (order.cancel_reason or "").strip() or "Anulación de la orden"
        note = issue(
            session=session,
            settings=settings,
            clock=clock,
            doc_type=DocumentType.NOTA_CREDITO,
            customer=customer_of(inv),
            lines=[_line(session, inv, link, amount)],
            sede_id=inv.sede_id,
            order_id=order.id,
            reference=inv,
            note_reason=CreditNoteReason.DEVOLUCION_ITEM,
            note_description=f"Orden {order.number} anulada: {reason}"[:250],
            remaining=remaining,
            user_id=user_id,
        )
        link.credit_note_id = note.id
        link.credited_at = now
        session.add(link)
        audit.record(
            session,
            action="convenio.credit_note",
            clock=clock,
            sede_id=inv.sede_id,
            user_id=user_id,
            record_type="invoice",
            record_id=note.id,
            details={
                "order": order.number,
                "invoice": inv.full_number,
                "note": note.full_number,
                "amount": f"{amount:.2f}",
            },
        )
        notes.append(note)
        terms_note = credit_terms_note.restate_terms(
            session=session,
            settings=settings,
            clock=clock,
            factura=inv,
            cause=f"la nota de crédito {note.full_number} (orden {order.number} anulada)",
            order_id=order.id,
            user_id=user_id,
        )
        if terms_note is not None:
            notes.append(terms_note)
    session.flush()
    return notes


__all__ = ["check_cancellable", "credit_cancelled_order", "open_links"]

"""A convenio order's nota de crédito 07 that SUNAT rejected, and issuing it again.

Cancelling an order billed on a convenio's accepted factura issues a nota de crédito 07 for its
line and marks the link (:class:`~edge.billing.convenio_models.ConvenioInvoiceOrder`) with it
(:mod:`edge.billing.convenio_cancel`). A rejected note credits nothing, so:

* :func:`release_rejected_note` — called by the SUNAT worker in the transaction that stores the
  rejection (:func:`edge.billing.sender._finish`) — clears ``credit_note_id``/``credited_at`` of
  the links that named the note (replicated through the outbox like any change: the hub counts
  the order as billed again), audits ``convenio.credit_rejected`` with a Spanish message for
  the operator and writes it on the rejected note (``last_error``, shown with the document);
* :func:`retry_credit` — ``POST /api/orders/{order_id}/convenio-credit`` — issues the NC 07 (and
  its NC 13) again for a cancelled order still billed to its convenio, through the same code
  path as the cancellation. Links left naming a rejected note (rejected before the release
  existed) are released first.

Services never commit: the caller's unit of work does.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from sqlmodel import Session, select

from domain.clock import Clock
from domain.errors import Conflict, NotFound
from domain.money import fmt_soles, q2
from domain.sunat import DocumentType
from edge.audit import service as audit
from edge.billing.convenio_cancel import credit_cancelled_order, open_links
from edge.billing.convenio_invoice import CANCELLED_STATUSES
from edge.billing.convenio_models import ConvenioInvoiceOrder
from edge.billing.models import ACEPTADO, FINAL_STATES, OBSERVADO, RECHAZADO, Invoice
from edge.billing.service import remaining_of
from edge.catalog.models import Convenio
from edge.orders.models import Order
from edge.settings import EdgeSettings

log = logging.getLogger("labred.edge.billing")
ZERO = Decimal("0.00")


def rejection_message(
    session: Session, note: Invoice, link: ConvenioInvoiceOrder, factura: Invoice | None
) -> str:
    """What the operator reads: which note, which order, which convenio, what to do."""
    convenio = session.get(Convenio, link.convenio_id)
    name = convenio.name.strip() if convenio is not None and convenio.name.strip() else "?"
    on = f" (factura {factura.full_number})" if factura is not None else ""
    return (
        f"SUNAT rechazó la nota de crédito {note.full_number}; la orden {link.order_number} "
        f"sigue facturada al convenio {name}{on} por {fmt_soles(q2(link.amount))}. "
        "Vuelva a emitir la nota de crédito."
    )


def release_rejected_note(
    *, session: Session, clock: Clock, note: Invoice
) -> list[ConvenioInvoiceOrder]:
    """SUNAT rejected ``note``: every convenio link it had credited bills its order again
    (``credit_note_id`` and ``credited_at`` cleared), each audited as
    ``convenio.credit_rejected``; the message is also left on the note. Returns the links
    released (none for other documents). Flushed; never commits."""
    if note.doc_type != DocumentType.NOTA_CREDITO.value or note.state != RECHAZADO:
        return []
    links = list(
        session.exec(
            select(ConvenioInvoiceOrder)
            .where(ConvenioInvoiceOrder.credit_note_id == note.id)
            .order_by(ConvenioInvoiceOrder.order_number)  # type: ignore[arg-type]
        )
    )
    if not links:
        return []
    messages: list[str] = []
    for link in links:
        factura = session.get(Invoice, link.invoice_id)
        message = rejection_message(session, note, link, factura)
        messages.append(message)
        link.credit_note_id = None
        link.credited_at = None
        session.add(link)
        audit.record(
            session,
            action="convenio.credit_rejected",
            clock=clock,
            sede_id=link.sede_id,
            record_type="order",
            record_id=link.order_id,
            details={
                "message": message,
                "order": link.order_number,
                "convenio_id": link.convenio_id,
                "invoice": factura.full_number if factura is not None else None,
                "note": note.full_number,
                "note_id": note.id,
                "amount": f"{q2(link.amount):.2f}",
                "sunat_code": note.sunat_code,
                "sunat_description": note.sunat_description,
            },
        )
        log.warning("%s", message)
    why = ""
    if note.sunat_code:
        detail = f" – {note.sunat_description}" if note.sunat_description else ""
        why = f" Respuesta de SUNAT: {note.sunat_code}{detail}."
    note.last_error = (" ".join(messages) + why)[:1000]
    session.add(note)
    session.flush()
    return links


def _order(session: Session, order_id: str) -> Order:
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound("Orden no encontrada.", code="order_not_found", loc=["path", "order_id"])
    return order


def _release_stale(session: Session, clock: Clock, order: Order) -> list[Invoice]:
    """Links of ``order`` still naming a rejected note are released; returns the notes that
    credit it and still wait for SUNAT's answer."""
    waiting: list[Invoice] = []
    links = session.exec(
        select(ConvenioInvoiceOrder).where(
            ConvenioInvoiceOrder.order_id == order.id,
            ConvenioInvoiceOrder.credit_note_id.is_not(None),  # type: ignore[union-attr]
        )
    ).all()
    for link in links:
        note = session.get(Invoice, link.credit_note_id)
        if note is None:
            continue
        if note.state == RECHAZADO:
            release_rejected_note(session=session, clock=clock, note=note)
        elif note.state not in FINAL_STATES:
            waiting.append(note)
    return waiting


def retry_credit(
    *,
    session: Session,
    settings: EdgeSettings,
    clock: Clock,
    order_id: str,
    user_id: str | None = None,
) -> tuple[Order, list[Invoice]]:
    """Issue again the nota(s) de crédito 07 (+ 13) taking a cancelled order off the convenio
    facturas that still bill it, as its cancellation does. Returns (the order, the notes).

    404 ``order_not_found``; 409 ``order_not_cancelled``; 409 ``convenio_credit_note_pending``
    (its note waits for SUNAT), ``convenio_nothing_to_credit`` (no factura bills it) or
    ``convenio_invoice_pending`` (the factura waits for SUNAT). Never commits."""
    order = _order(session, order_id)
    if order.status not in CANCELLED_STATUSES:
        raise Conflict(
            f"La orden {order.number} no está anulada (estado: {order.status}); la nota de "
            "crédito al convenio se emite al anular la orden.",
            code="order_not_cancelled",
            loc=["path", "order_id"],
        )
    waiting = _release_stale(session, clock, order)
    due = [
        (link, inv)
        for link, inv in open_links(session, order)
        if min(q2(link.amount), remaining_of(session, inv)) > ZERO
    ]
    if not due and waiting:
        numbers = ", ".join(n.full_number for n in waiting)
        raise Conflict(
            f"La nota de crédito {numbers} de la orden {order.number} aún espera la respuesta "
            "de SUNAT; vuelva a intentarlo solo si SUNAT la rechaza.",
            code="convenio_credit_note_pending",
            loc=["path", "order_id"],
            extra={"notes": [n.full_number for n in waiting]},
        )
    if not due:
        raise Conflict(
            f"La orden {order.number} ya no está facturada a ningún convenio: no hay nada que "
            "acreditar.",
            code="convenio_nothing_to_credit",
            loc=["path", "order_id"],
        )
    for _link, inv in due:
        if inv.state not in (ACEPTADO, OBSERVADO):
            raise Conflict(
                f"La factura del convenio {inv.full_number} aún no tiene respuesta de SUNAT "
                f"(estado: {inv.state}); espere la respuesta y vuelva a intentarlo.",
                code="convenio_invoice_pending",
                loc=["path", "order_id"],
                extra={"invoice_id": inv.id, "invoice": inv.full_number, "state": inv.state},
            )
    notes = credit_cancelled_order(
        session=session, settings=settings, clock=clock, order=order, user_id=user_id
    )
    return order, notes


__all__ = ["rejection_message", "release_rejected_note", "retry_credit"]

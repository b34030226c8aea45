"""Nota de crédito 13 (ajuste de montos y/o fechas de pago): a crédito factura's cuotas restated.

A crédito factura tells SUNAT its *monto neto pendiente de pago* and its cuotas. Once a nota de
crédito 07 takes part of it off (a convenio order cancelled), both overstate what is owed, and
SUNAT expects a nota de crédito 13 on the same factura: importe total cero, ``FormaPago``
Credito with the new net amount pending and the restated cuotas, same due dates.

:func:`restate_terms` issues it inside the caller's unit of work, right after the note that
changed the amount, through :func:`edge.billing.issuing.issue` (rules, gapless number, signature,
stored XML and terms, SUNAT queue, replication), and audits it:

* net pending = the factura's net payable (:func:`domain.sunat.totals.net_payable`, which takes
  off a detracción) minus every standing credit note on it (not rejected, not voided);
* the cuotas in force (the latest standing note 13's, else the factura's own) are cut from the
  last one backwards (:func:`domain.sunat.restate_installments`), due dates unchanged, cuotas
  at zero dropped;
* nothing owed any more (fully credited), a contado factura, or cuotas already right: no note.
"""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session, select

from domain.clock import Clock
from domain.sunat import (
    CreditNoteReason,
    DocumentType,
    PaymentMethod,
    PaymentTerms,
    document_totals,
    restate_installments,
)
from domain.sunat.totals import net_payable
from edge.audit import service as audit
from edge.billing import service as billing
from edge.billing.documents import LineIn, customer_of, terms_of, to_document
from edge.billing.issuing import issue
from edge.billing.models import ANULADO, RECHAZADO, Invoice
from edge.settings import EdgeSettings

ZERO = Decimal("0.00")
REASON = CreditNoteReason.AJUSTE_MONTOS_FECHAS_PAGO
#: The note's only line: SUNAT's note 13 carries amounts in zero (rule 3315: importe total 0).
LINE_CODE = "AJUSTE13"


def standing_terms_notes(session: Session, factura: Invoice) -> list[Invoice]:
    """The factura's notes 13 that stand (not rejected, not voided), oldest first."""
    return list(
        session.exec(
            select(Invoice)
            .where(
                Invoice.reference_invoice_id == factura.id,
                Invoice.doc_type == DocumentType.NOTA_CREDITO.value,
                Invoice.note_reason == REASON.value,
                Invoice.state.notin_((RECHAZADO, ANULADO)),  # type: ignore[attr-defined]
                Invoice.void_requested == False,  # noqa: E712
            )
            .order_by(Invoice.issued_at, Invoice.number)  # type: ignore[arg-type]
        )
    )


def terms_in_force(session: Session, factura: Invoice) -> PaymentTerms | None:
    """The cuotas the customer was last told: the latest standing note 13's, else the
    factura's own terms (None: issued without terms)."""
    notes = standing_terms_notes(session, factura)
    return terms_of(notes[-1]) if notes else terms_of(factura)


def net_pending(session: Session, factura: Invoice) -> Decimal:
    """What is still owed on ``factura``: its net payable (detracción off, as SUNAT's monto
    neto pendiente de pago) minus its standing credit notes."""
    doc = to_document(session, factura)
    return net_payable(doc, document_totals(doc)) - billing.credited_total(session, factura.id)


def restated_terms(session: Session, factura: Invoice) -> PaymentTerms | None:
    """The crédito terms a note 13 on ``factura`` should state now, or None when no note is
    due (not a crédito factura, nothing owed any more, or the cuotas in force are right)."""
    if factura.doc_type != DocumentType.FACTURA.value:
        return None
    current = terms_in_force(session, factura)
    if current is None or current.method != PaymentMethod.CREDITO or not current.installments:
        return None
    owed = net_pending(session, factura)
    if owed <= ZERO:
        return None
    restated = restate_installments(current.installments, owed)
    if restated == current.installments:
        return None
    return PaymentTerms.credito(*restated)


def restate_terms(
    *,
    session: Session,
    settings: EdgeSettings,
    clock: Clock,
    factura: Invoice,
    cause: str,
    order_id: str | None = None,
    user_id: str | None = None,
) -> Invoice | None:
    """Issue the nota de crédito 13 restating what is still owed on the crédito ``factura``
    (``cause``: what changed it, e.g. "nota de crédito FC01-3"), or None when none is due.
    Flushed, audited as ``invoice.credit_terms_note``; never commits."""
    terms = restated_terms(session, factura)
    if terms is None:
        return None
    owed = sum((inst.amount for inst in terms.installments), ZERO)
    note = issue(
        session=session,
        settings=settings,
        clock=clock,
        doc_type=DocumentType.NOTA_CREDITO,
        customer=customer_of(factura),
        lines=[
            LineIn(
                code=LINE_CODE,
                description=f"Ajuste del monto neto pendiente de pago y cuotas de la factura "
                f"{factura.full_number}",
                quantity=1,
                unit_price=ZERO,
            )
        ],
        sede_id=factura.sede_id,
        order_id=order_id,
        reference=factura,
        note_reason=REASON,
        note_description=(
            f"Monto neto pendiente de pago S/ {owed:.2f} en {len(terms.installments)} cuota(s), "
            f"tras {cause}"
        )[:250],
        user_id=user_id,
        payment_terms=terms,
    )
    audit.record(
        session,
        action="invoice.credit_terms_note",
        clock=clock,
        sede_id=factura.sede_id,
        user_id=user_id,
        record_type="invoice",
        record_id=note.id,
        details={
            "invoice": factura.full_number,
            "note": note.full_number,
            "cause": cause,
            "net_pending": f"{owed:.2f}",
            "installments": note.payment_installments or [],
        },
    )
    return note


def restate_after_rejection(
    *, session: Session, settings: EdgeSettings, clock: Clock, note: Invoice
) -> Invoice | None:
    """SUNAT rejected ``note``: a credit note credits nothing then, so the cuotas stated after
    it (by its NC 13) are restated again, with what the factura still owes. Nothing for other
    documents, for a rejected NC 13 itself, or when the cuotas in force are right."""
    if (
        note.doc_type != DocumentType.NOTA_CREDITO.value
        or note.note_reason == REASON.value
        or not note.reference_invoice_id
    ):
        return None
    factura = session.get(Invoice, note.reference_invoice_id)
    if factura is None:
        return None
    return restate_terms(
        session=session,
        settings=settings,
        clock=clock,
        factura=factura,
        cause=f"el rechazo de la nota de crédito {note.full_number}",
        order_id=note.order_id,
        user_id=None,
    )


def credit_note_with_terms(
    *,
    session: Session,
    settings: EdgeSettings,
    clock: Clock,
    invoice_id: str,
    reason: CreditNoteReason,
    description: str,
    amount: Decimal | None = None,
    user_id: str | None = None,
) -> tuple[Invoice, Invoice | None]:
    """A nota de crédito (:func:`edge.billing.service.credit_note`) and, when it changes what a
    crédito factura still owes, the nota de crédito 13 restating its cuotas, in the caller's
    unit of work: (the note, the NC 13 or None)."""
    note = billing.credit_note(
        session=session,
        settings=settings,
        clock=clock,
        invoice_id=invoice_id,
        reason=reason,
        description=description,
        amount=amount,
        user_id=user_id,
    )
    if reason == REASON:
        return note, None
    factura = session.get(Invoice, invoice_id)
    assert factura is not None  # credit_note found it
    terms_note = restate_terms(
        session=session,
        settings=settings,
        clock=clock,
        factura=factura,
        cause=f"la nota de crédito {note.full_number}",
        order_id=factura.order_id,
        user_id=user_id,
    )
    return note, terms_note


__all__ = [
    "LINE_CODE",
    "credit_note_with_terms",
    "restate_after_rejection",
    "net_pending",
    "restate_terms",
    "restated_terms",
    "standing_terms_notes",
    "terms_in_force",
]

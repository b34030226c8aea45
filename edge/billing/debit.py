"""Nota de débito (08): interest, a price increase or penalties on an accepted document.

Rules: it references an accepted factura or boleta of this sede, keeps the original's series
letter (08F → F…, 08B → B…, from the sede's series), has a catálogo 10 reason the laboratory
uses (01 intereses por mora, 02 aumento en el valor, 03 penalidades / otros conceptos; the
export and IVAP adjustments 11 / 12 are refused) and one line for the amount, with the IGV
affectation of the original. It is numbered, signed and queued like every other document
(:func:`edge.billing.issuing.issue`); a note on a boleta follows the boletas' sending mode.
"""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session

from domain.clock import Clock
from domain.errors import InvalidInput
from domain.money import fmt_soles
from domain.sunat import DebitNoteReason, DocumentType
from edge.billing.documents import LineIn, customer_of, lines_of
from edge.billing.issuing import issue
from edge.billing.models import Invoice
from edge.billing.note_reference import check_note_reference
from edge.billing.service import get
from edge.settings import EdgeSettings

MAX_AMOUNT = Decimal("1000000.00")


def debit_note(
    *,
    session: Session,
    settings: EdgeSettings,
    clock: Clock,
    invoice_id: str,
    reason: DebitNoteReason,
    description: str,
    amount: Decimal,
    user_id: str | None = None,
) -> Invoice:
    """Issue a nota de débito of ``amount`` (IGV included) on an accepted document."""
    original = get(session, invoice_id)
    check_note_reference(session, original, note="débito")
    if not description.strip():
        raise InvalidInput(
            "Indique el sustento de la nota.", code="reason_required", loc=["description"]
        )
    if amount <= 0 or amount > MAX_AMOUNT:
        raise InvalidInput(
            "El monto de la nota de débito debe ser mayor que cero y no mayor que"
            f" {fmt_soles(MAX_AMOUNT)}.",
            code="amount_invalid",
            loc=["amount"],
        )
    originals = lines_of(session, original.id)
    line = LineIn(
        code=f"ND{reason.value}",
        description=f"{reason.label}: {description.strip()}"[:250],
        quantity=1,
        unit_price=amount,
        affectation=originals[0].affectation if originals else "10",
    )
    return issue(
        session=session,
        settings=settings,
        clock=clock,
        doc_type=DocumentType.NOTA_DEBITO,
        customer=customer_of(original),
        lines=[line],
        sede_id=original.sede_id,
        order_id=original.order_id,
        reference=original,
        note_reason=reason,
        note_description=description.strip(),
        user_id=user_id,
    )


__all__ = ["debit_note"]

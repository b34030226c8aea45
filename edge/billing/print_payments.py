"""How a printed comprobante says it was paid: forma de pago, the payments, the change.

Under the totals of the A4, the 80 mm ticket and the HTML ticket:

* a factura / boleta of an order, sold at contado: "Forma de pago: Contado", then one row per
  payment of the order up to the document (a factura issued with the last payment of a
  balance lists the earlier payments too): the method in Spanish and the amount; cash adds
  "Recibido S/ 50.00 · Vuelto S/ 14.70" when the patient handed over more, card / Yape / Plin /
  transferencia add their operation number (shortened when long);
* a crédito document (a convenio's monthly factura): its terms — net amount pending and
  every cuota — and no payments;
* a nota de crédito on the order's own document: what was refunded when the order was
  cancelled ("Devolución: Efectivo S/ 35.00"), nothing when no refund is known; a note on a
  convenio's factura or a nota 13 (new payment terms) lists none.

A boleta's XML carries no forma de pago, so a boleta prints "Contado" only above the payments
it lists (one with none known prints no forma de pago, as before). The terms themselves
(:func:`payment_text`, :func:`credit_terms`) are read from the row, as the XML says them.
The payments are read in one query per document (no query per payment).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import Session, col, select

from domain.cash import CASH, method_label
from domain.money import fmt_soles
from domain.sunat import CreditNoteReason, DocumentType, PaymentMethod
from edge.billing.documents import credit_due_date, terms_of
from edge.billing.models import Invoice
from edge.orders.models import Payment

ZERO = Decimal("0.00")
MAX_REFERENCE_SHOWN = 18
"""Longer operation numbers print as their head, "…" and their tail (18 characters)."""
CONTADO = "Forma de pago: Contado"
_SALES = (DocumentType.FACTURA.value, DocumentType.BOLETA.value)


@dataclass(frozen=True)
class PrintInstallment:
    """One cuota of a crédito document."""

    number: int
    amount: Decimal
    due_date: dt.date


def credit_terms(inv: Invoice) -> tuple[tuple[PrintInstallment, ...], Decimal | None]:
    """The cuotas and the net amount pending (their sum, the XML's ``Credito`` amount) of a
    crédito document; ``((), None)`` otherwise."""
    terms = terms_of(inv)
    if terms is None or terms.method != PaymentMethod.CREDITO:
        return (), None
    installments = tuple(
        PrintInstallment(i, inst.amount, inst.due_date)
        for i, inst in enumerate(terms.installments, start=1)
    )
    return installments, sum((inst.amount for inst in installments), Decimal("0.00"))


def payment_text(inv: Invoice) -> str | None:
    """Forma de pago as printed: crédito with its due date, contado for other facturas."""
    due = credit_due_date(inv)
    if due is not None:
        return f"Crédito — vence {due:%d/%m/%Y}"
    if inv.doc_type == DocumentType.FACTURA.value:
        return "Contado"
    return None


@dataclass(frozen=True)
class PrintPayment:
    """One payment (or refund, amount positive) as printed."""

    method: str  # Spanish label: "Efectivo", "Yape"…
    amount: Decimal
    tendered: Decimal | None = None
    change: Decimal | None = None
    reference: str | None = None  # already shortened


@dataclass(frozen=True)
class PaymentRow:
    """One printed row of the payment block and, below it, its detail (indented)."""

    text: str
    detail: str | None = None


def shorten_reference(reference: str | None) -> str | None:
    """The operation number as printed: whole up to 18 characters, else head…tail."""
    text = " ".join((reference or "").split())
    if not text:
        return None
    if len(text) <= MAX_REFERENCE_SHOWN:
        return text
    tail = (MAX_REFERENCE_SHOWN - 1) // 2 + 1
    head = MAX_REFERENCE_SHOWN - 1 - tail
    return f"{text[:head]}…{text[-tail:]}"


def _printed(p: Payment) -> PrintPayment:
    cash = p.method == CASH
    return PrintPayment(
        method=method_label(p.method),
        amount=abs(p.amount),
        tendered=p.tendered if cash and p.amount > 0 else None,
        change=p.change if cash and p.amount > 0 else None,
        reference=None if cash or p.amount < 0 else shorten_reference(p.reference),
    )


_IN_ORDER = (col(Payment.created_at), col(Payment.id))


def payments_for(
    session: Session, inv: Invoice
) -> tuple[tuple[PrintPayment, ...], tuple[PrintPayment, ...]]:
    """``(payments, refunds)`` a document prints, in the order they were taken (one query)."""
    if inv.order_id is None:
        return (), ()
    if inv.doc_type in _SALES:
        if inv.payment_method == PaymentMethod.CREDITO.value:
            return (), ()
        query = select(Payment).where(Payment.order_id == inv.order_id).order_by(*_IN_ORDER)
        paid = [p for p in session.exec(query) if p.amount > ZERO and p.created_at <= inv.issued_at]
        return tuple(_printed(p) for p in paid), ()
    restates = inv.note_reason == CreditNoteReason.AJUSTE_MONTOS_FECHAS_PAGO.value
    if inv.doc_type != DocumentType.NOTA_CREDITO.value or restates or not inv.reference_invoice_id:
        return (), ()
    # Only a note on the order's own factura / boleta: the one query joins the referenced
    # document, so a note on a convenio's monthly factura (order_id None there) finds none.
    query = (
        select(Payment)
        .join(Invoice, col(Invoice.order_id) == col(Payment.order_id))
        .where(Invoice.id == inv.reference_invoice_id, Payment.order_id == inv.order_id)
        .order_by(*_IN_ORDER)
    )
    refunds = [p for p in session.exec(query) if p.amount < ZERO and p.created_at <= inv.issued_at]
    return (), tuple(_printed(p) for p in refunds)


def payment_rows(
    terms: Sequence[str], payments: Sequence[PrintPayment], refunds: Sequence[PrintPayment]
) -> list[PaymentRow]:
    """The block printed under the totals: the terms lines (forma de pago, cuotas) — or
    "Forma de pago: Contado" for a boleta that lists payments — then the payments or refunds."""
    rows = [PaymentRow(text) for text in terms]
    if payments and not rows:
        rows.append(PaymentRow(CONTADO))
    for p in payments:
        detail = None
        if p.tendered is not None and p.change:
            detail = f"Recibido {fmt_soles(p.tendered)} · Vuelto {fmt_soles(p.change)}"
        elif p.reference:
            detail = f"Op. {p.reference}"
        rows.append(PaymentRow(f"{p.method} {fmt_soles(p.amount)}", detail))
    rows += [PaymentRow(f"Devolución: {r.method} {fmt_soles(r.amount)}") for r in refunds]
    return rows


__all__ = [
    "CONTADO",
    "MAX_REFERENCE_SHOWN",
    "PaymentRow",
    "PrintInstallment",
    "PrintPayment",
    "credit_terms",
    "payment_rows",
    "payment_text",
    "payments_for",
    "shorten_reference",
]

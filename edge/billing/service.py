"""Billing services the API, the order hooks and the worker call (never commit).

:func:`issue_for_order` (boleta / factura of a paid order), :func:`credit_note`,
:func:`void` (cancel the way SUNAT allows), :func:`resend` and the queries. Every document is
born in :func:`edge.billing.issuing.issue`: rules first, then the number, then the signature.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlmodel import Session, select

from domain.clock import Clock, business_date
from domain.errors import Conflict, InvalidInput, NotFound, RuleViolation
from domain.money import q2
from domain.sunat import (
    CreditNoteReason,
    Customer,
    DocumentType,
)
from domain.sunat.totals import MIN_TAXED_LINE, spread_discount
from edge.billing import voids
from edge.billing.documents import (
    LineIn,
    identity_type,
    lines_of,
)
from edge.billing.issuing import issue
from edge.billing.models import (
    ACEPTADO,
    ANULADO,
    OBSERVADO,
    PENDIENTE,
    POR_REENVIAR,
    RECHAZADO,
    SEND_SUMMARY,
    Invoice,
    InvoiceFile,
    InvoiceLine,
)
from edge.billing.note_reference import check_note_reference
from edge.orders.models import Order
from edge.orders.queries import items_in_order
from edge.patients.models import Patient
from edge.settings import EdgeSettings

ZERO = Decimal("0.00")
_VOID_LIKE = (CreditNoteReason.ANULACION_OPERACION, CreditNoteReason.ANULACION_ERROR_RUC)


# ----------------------------------------------------------------------------- orders


def active_document(session: Session, order_id: str) -> Invoice | None:
    """The order's factura / boleta that still stands (not voided)."""
    return session.exec(
        select(Invoice).where(
            Invoice.order_id == order_id,
            Invoice.doc_type.in_(("01", "03")),  # type: ignore[attr-defined]
            Invoice.state != ANULADO,
            Invoice.void_requested == False,  # noqa: E712
        )
    ).first()


def customer_for_order(session: Session, order: Order) -> Customer:
    """The order's billing customer, else the patient, else an anonymous buyer."""
    if order.customer_doc_number:
        return Customer(
            identity_type(order.customer_doc_type or "1"),
            order.customer_doc_number.strip(),
            (order.customer_name or "").strip(),
            (order.customer_address or "").strip(),
        )
    patient = session.get(Patient, order.patient_id)
    if patient is None or not patient.doc_number:
        return Customer.anonymous()
    return Customer(
        identity_type(patient.doc_type),
        patient.doc_number,
        f"{patient.first_names} {patient.last_names}".strip(),
        patient.address or "",
    )


def lines_for_order(session: Session, order: Order) -> tuple[list[LineIn], Decimal]:
    """Billable lines (top-level items; panel components are not billed apart) and the global
    discount (IGV included) that brings them to the patient's part of the order.

    SUNAT rejects a taxed line whose IGV is 0.00 (3111: S/ 0.01-0.03) and a boleta line without
    taxable amount (3105). So an item priced 0 is not billed, and an item its discount leaves
    under S/ 0.04 is billed at its price with that discount moved to the global one (the
    document's total does not change)."""
    items = [i for i in items_in_order(session, order_id=order.id) if i.parent_item_id is None]
    lines: list[LineIn] = []
    moved = ZERO
    for item in items:
        gross = q2(item.unit_price * item.quantity)
        if gross <= ZERO:
            continue
        line_discount = max(ZERO, gross - item.line_total)
        if gross - line_discount < MIN_TAXED_LINE:
            moved += line_discount
            line_discount = ZERO
        lines.append(
            LineIn(
                code=item.service_code,
                description=item.service_name,
                quantity=item.quantity,
                unit_price=item.unit_price,
                discount=line_discount,
                order_item_id=item.id,
            )
        )
    billed = sum((q2(i.line_total) for i in items), ZERO)
    patient_part = q2(order.total - order.covered_total)
    discount = billed - patient_part
    if discount < 0:
        raise Conflict(
            "Los ítems de la orden no suman su total; no se puede emitir el comprobante.",
            code="order_totals_inconsistent",
            loc=["order_id"],
        )
    return lines, discount + moved


def issue_for_order(
    *,
    session: Session,
    settings: EdgeSettings,
    clock: Clock,
    order: Order,
    doc_type: DocumentType | None = None,
    customer: Customer | None = None,
    user_id: str | None = None,
    known_unbilled: bool = False,
) -> Invoice:
    """The order's boleta (or factura when ``doc_type``/the order says 01) for the patient's
    part. Refuses a second document for the same order (``known_unbilled``: the caller has
    just checked that it has none)."""
    if order.status in ("anulada", "cancelada"):
        raise RuleViolation(
            "La orden está anulada: no se emite comprobante.", code="order_cancelled"
        )
    existing = None if known_unbilled else active_document(session, order.id)
    if existing is not None:
        raise Conflict(
            f"La orden ya tiene el comprobante {existing.full_number}.",
            code="order_already_invoiced",
            loc=["order_id"],
            extra={"invoice_id": existing.id},
        )
    kind = doc_type or DocumentType(order.document_type or "03")
    lines, discount = lines_for_order(session, order)
    return issue(
        session=session,
        settings=settings,
        clock=clock,
        doc_type=kind,
        customer=customer or customer_for_order(session, order),
        lines=lines,
        sede_id=order.sede_id,
        order_id=order.id,
        global_discount=discount,
        user_id=user_id,
    )


# ----------------------------------------------------------------------------- notes


def credited_total(session: Session, invoice_id: str) -> Decimal:
    totals: list[Decimal] = session.exec(  # type: ignore[assignment]
        select(Invoice.total).where(  # type: ignore[call-overload]
            Invoice.reference_invoice_id == invoice_id,
            Invoice.doc_type == DocumentType.NOTA_CREDITO.value,
            Invoice.state.notin_((RECHAZADO, ANULADO)),  # type: ignore[attr-defined]
        )
    ).all()
    return sum(totals, ZERO)


def remaining_of(session: Session, original: Invoice) -> Decimal:
    return original.total - credited_total(session, original.id)


def get(session: Session, invoice_id: str) -> Invoice:
    inv = session.get(Invoice, invoice_id)
    if inv is None:
        raise NotFound("Comprobante no encontrado.", code="invoice_not_found", loc=["id"])
    return inv


def _spread(lines: list[InvoiceLine], discount: Decimal) -> list[Decimal]:
    """Split a global discount over the lines, to the céntimo, never above a line (the old
    proportional rounding could leave the last share negative or above its line)."""
    return spread_discount([ln.total for ln in lines], discount)


def credit_note(
    *,
    session: Session,
    settings: EdgeSettings,
    clock: Clock,
    invoice_id: str,
    reason: CreditNoteReason,
    description: str,
    amount: Decimal | None = None,
    user_id: str | None = None,
    require_accepted: bool = True,
) -> Invoice:
    """A nota de crédito on a factura / boleta of this sede, never above what remains.

    Without ``amount`` (or for anulación 01 / 02) it credits the whole remaining document,
    line by line; with ``amount`` it is one adjustment line for that amount."""
    original = get(session, invoice_id)
    check_note_reference(session, original, note="crédito", require_accepted=require_accepted)
    if not description.strip():
        raise InvalidInput(
            "Indique el sustento de la nota.", code="reason_required", loc=["reason"]
        )
    remaining = remaining_of(session, original)
    if remaining <= 0:
        raise RuleViolation(
            "El comprobante ya no tiene saldo por acreditar.",
            code="credit_note_exceeds_remaining",
            loc=["amount"],
            extra={"remaining": f"{remaining:.2f}"},
        )
    originals = lines_of(session, original.id)
    whole = amount is None or reason in _VOID_LIKE
    if whole and remaining == original.total:
        shares = _spread(originals, original.global_discount)
        lines = [
            LineIn(
                code=ln.code,
                description=ln.description,
                quantity=ln.quantity,
                unit_price=ln.unit_price,
                discount=ln.discount + share,
                affectation=ln.affectation,
                unit=ln.unit,
            )
            for ln, share in zip(originals, shares, strict=True)
        ]
    else:
        value = remaining if amount is None else amount
        if value <= 0:
            raise InvalidInput(
                "El monto de la nota debe ser mayor que cero.",
                code="amount_invalid",
                loc=["amount"],
            )
        lines = [
            LineIn(
                code="AJUSTE",
                description=f"{reason.label}: {description.strip()}"[:250],
                quantity=1,
                unit_price=value,
                affectation=originals[0].affectation if originals else "10",
            )
        ]
    customer = Customer(
        identity_type(original.customer_doc_type),
        original.customer_doc_number,
        original.customer_name,
        original.customer_address,
    )
    return issue(
        session=session,
        settings=settings,
        clock=clock,
        doc_type=DocumentType.NOTA_CREDITO,
        customer=customer,
        lines=lines,
        sede_id=original.sede_id,
        order_id=original.order_id,
        reference=original,
        note_reason=reason,
        note_description=description.strip(),
        remaining=remaining,
        user_id=user_id,
    )


def void(
    *,
    session: Session,
    settings: EdgeSettings,
    clock: Clock,
    invoice_id: str,
    reason: str,
    user_id: str | None = None,
) -> Invoice:
    """Cancel a document the way SUNAT allows; never deletes it. Returns the document that
    does it: the boleta itself (voided through the resumen diario, condition 3, when it is
    from today and was neither sent nor summarised), the factura itself (accepted and inside
    the window: comunicación de baja, see :mod:`edge.billing.voids`) or the new nota de
    crédito (01)."""
    inv = get(session, invoice_id)
    if inv.state == ANULADO or inv.void_requested:
        return inv
    today = business_date(clock.now())
    if voids.baja_applies(session, inv, today, credited=credited_total(session, inv.id) > 0):
        return voids.request_baja(session, inv, reason=reason, now=clock.now())
    same_day_unsent_boleta = (
        inv.doc_type == DocumentType.BOLETA.value
        and inv.business_date == today
        and inv.state == PENDIENTE
        and inv.attempts == 0
        and inv.summary_id is None
    )
    if same_day_unsent_boleta:
        inv.void_requested = True
        inv.reason = reason.strip()[:250]
        inv.send_mode = SEND_SUMMARY  # reported (1) then voided (3) in the resumen diario
        inv.next_attempt_at = None
        inv.updated_at = clock.now()
        session.add(inv)
        session.flush()
        return inv
    return credit_note(
        session=session,
        settings=settings,
        clock=clock,
        invoice_id=inv.id,
        reason=CreditNoteReason.ANULACION_OPERACION,
        description=reason.strip() or "Anulación de la operación",
        user_id=user_id,
        require_accepted=False,
    )


def resend(*, session: Session, clock: Clock, invoice_id: str) -> Invoice:
    """Queue a document again (same number, same signed bytes; status asked first)."""
    inv = get(session, invoice_id)
    if inv.state in (ACEPTADO, OBSERVADO, ANULADO):
        raise Conflict(
            f"El comprobante ya tiene respuesta final de SUNAT ({inv.state}).",
            code="invoice_already_final",
            loc=["id"],
        )
    inv.state = POR_REENVIAR if inv.attempts else PENDIENTE
    inv.in_doubt = inv.attempts > 0
    inv.next_attempt_at = clock.now()
    inv.updated_at = clock.now()
    session.add(inv)
    session.flush()
    return inv


def signed_xml(session: Session, owner_id: str, kind: str = "xml") -> InvoiceFile | None:
    return session.exec(
        select(InvoiceFile).where(InvoiceFile.owner_id == owner_id, InvoiceFile.kind == kind)
    ).first()


def by_order(session: Session, order_id: str) -> list[Invoice]:
    return list(
        session.exec(
            select(Invoice)
            .where(Invoice.order_id == order_id)
            .order_by(Invoice.issued_at, Invoice.series, Invoice.number)  # type: ignore[arg-type]
        )
    )


def search(
    session: Session,
    *,
    business_date: dt.date | None = None,
    state: str | None = None,
    doc_type: str | None = None,
    series: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Invoice]:
    query = select(Invoice)
    if business_date is not None:
        query = query.where(Invoice.business_date == business_date)
    if state is not None:
        query = query.where(Invoice.state == state)
    if doc_type is not None:
        query = query.where(Invoice.doc_type == doc_type)
    if series is not None:
        query = query.where(Invoice.series == series)
    query = query.order_by(Invoice.issued_at.desc(), Invoice.number.desc())  # type: ignore[attr-defined]
    return list(session.exec(query.offset(offset).limit(limit)))


__all__ = [
    "active_document",
    "by_order",
    "credit_note",
    "credited_total",
    "customer_for_order",
    "get",
    "issue",
    "issue_for_order",
    "lines_for_order",
    "remaining_of",
    "resend",
    "search",
    "signed_xml",
    "void",
]

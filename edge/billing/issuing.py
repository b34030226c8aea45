"""The one way a SUNAT document is born at the edge (inside the caller's unit of work).

Order of work: SUNAT's business rules (``domain.sunat.rules``) → take the series
correlative (gapless, same transaction) → build and sign the UBL → store the row, its lines
and the exact signed bytes → write the file once the transaction commits. Anything raised
before the commit rolls the number back with the sale.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from sqlmodel import Session

from domain.clock import LIMA, Clock, business_date
from domain.errors import InvalidInput
from domain.sunat import (
    CreditNoteReason,
    Customer,
    DebitNoteReason,
    Document,
    DocumentReference,
    DocumentType,
    PaymentTerms,
    build_document,
    check_document,
    sunat_filename,
)
from edge.billing import files, numbering
from edge.billing.documents import LineIn, deadline_for, issuer_for, terms_columns, this_sede
from edge.billing.models import (
    PENDIENTE,
    SEND_BILL,
    SEND_SUMMARY,
    Invoice,
    InvoiceFile,
    InvoiceLine,
)
from edge.billing.signer import get_signer
from edge.settings import EdgeSettings

ZERO = Decimal("0.00")


def issue(
    *,
    session: Session,
    settings: EdgeSettings,
    clock: Clock,
    doc_type: DocumentType,
    customer: Customer,
    lines: list[LineIn],
    sede_id: str | None = None,
    order_id: str | None = None,
    global_discount: Decimal = ZERO,
    reference: Invoice | None = None,
    note_reason: CreditNoteReason | DebitNoteReason | None = None,
    note_description: str = "",
    remaining: Decimal | None = None,
    user_id: str | None = None,
    payment_terms: PaymentTerms | None = None,
) -> Invoice:
    """Check, number, sign and store one document. Returns the new ``Invoice`` (flushed).

    ``payment_terms`` (forma de pago) default to contado; crédito terms (facturas, and notes
    13) are checked by the SUNAT rules and kept on the row, so the document can be rebuilt
    and printed with them."""
    if not lines:
        raise InvalidInput("El comprobante debe tener al menos un ítem.", code="lines_required")
    sede = this_sede(session, sede_id)
    now = clock.now()
    today = business_date(now)
    ref = None
    if reference is not None:
        ref = DocumentReference(
            DocumentType(reference.doc_type), reference.series, reference.number
        )
    planned = numbering.plan(
        session,
        sede,
        doc_type,
        reference_letter=reference.series[:1] if reference is not None else None,
    )
    series = planned.series
    doc = Document(
        doc_type=doc_type,
        series=series,
        # provisional, for the rules
        number=max(planned.last, planned.fence) + 1,
        issue_date=today,
        issue_time=now.astimezone(LIMA).time().replace(microsecond=0, tzinfo=None),
        issuer=issuer_for(session, sede),
        customer=customer,
        lines=tuple(line.to_domain() for line in lines),
        global_discount=global_discount,
        reference=ref,
        note_reason=note_reason,
        note_description=note_description,
        payment_terms=payment_terms,
    )
    totals = check_document(doc, remaining=remaining)  # rules BEFORE the number is taken
    number = numbering.take_number(
        session,
        sede_id=sede.id,
        doc_type=doc_type.value,
        series=series,
        clock=clock,
        fence=planned.fence,
    )
    doc = dataclasses.replace(doc, number=number)
    signed = get_signer(settings).sign_tree(build_document(doc, totals))
    stem = sunat_filename(doc.issuer.ruc, doc_type, series, number)
    boleta_family = doc_type == DocumentType.BOLETA or (
        reference is not None and reference.series.startswith("B")
    )
    via_summary = settings.boletas_via_summary and boleta_family
    payment_method, payment_installments = terms_columns(payment_terms)
    inv = Invoice(
        sede_id=sede.id,
        doc_type=doc_type.value,
        series=series,
        number=number,
        order_id=order_id,
        customer_doc_type=customer.doc_type.value,
        customer_doc_number=customer.doc_number.strip() or "-",
        customer_name=customer.name,
        customer_address=customer.address,
        gravado=totals.gravado,
        exonerado=totals.exonerado,
        inafecto=totals.inafecto,
        gratuito=totals.gratuito,
        global_discount=global_discount,
        igv=totals.igv,
        total=totals.payable,
        reference_invoice_id=reference.id if reference is not None else None,
        reference_doc_type=reference.doc_type if reference is not None else None,
        reference_series=reference.series if reference is not None else None,
        reference_number=reference.number if reference is not None else None,
        note_reason=note_reason.value if note_reason is not None else None,
        reason=note_description,
        payment_method=payment_method,
        payment_installments=payment_installments,
        issued_at=now,
        business_date=today,
        digest_value=signed.digest_value,
        state=PENDIENTE,
        send_mode=SEND_SUMMARY if via_summary else SEND_BILL,
        xml_path=files.xml_relpath(today, stem),
        deadline=deadline_for(settings, doc_type.value, series, today, session=session),
        next_attempt_at=None if via_summary else now,
        created_by=user_id,
        created_at=now,
        updated_at=now,
    )
    # One flush for the document, its lines and its XML: with no relationship() between them,
    # SQLAlchemy inserts unrelated classes in the order of their qualified names (Invoice,
    # InvoiceFile, InvoiceLine), parents first; a broken order fails every sale's FK check.
    session.add(inv)
    for i, (line, lt) in enumerate(zip(lines, totals.lines, strict=True), start=1):
        session.add(
            InvoiceLine(
                invoice_id=inv.id,
                sede_id=sede.id,
                position=i,
                order_item_id=line.order_item_id,
                code=line.code,
                description=line.description,
                quantity=line.quantity,
                unit=line.unit,
                affectation=line.affectation,
                unit_price=line.unit_price,
                discount=line.discount,
                value=lt.value,
                igv=lt.igv,
                total=lt.total,
                business_date=today,
            )
        )
    session.add(
        InvoiceFile(
            owner_id=inv.id, kind="xml", filename=stem + ".xml", content=signed.xml, created_at=now
        )
    )
    session.flush()  # its file: the worker's billing.copies job (edge.billing.copies)
    return inv


__all__ = ["issue"]

"""Between stored rows and the pure SUNAT model: issuer, customer, lines, deadlines."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session, select

from domain.clock import LIMA, business_date
from domain.errors import NotFound
from domain.sunat import (
    Address,
    CreditNoteReason,
    Customer,
    DebitNoteReason,
    Document,
    DocumentReference,
    DocumentType,
    IdentityType,
    IgvAffectation,
    Installment,
    Issuer,
    Line,
    PaymentMethod,
    PaymentTerms,
    UnitCode,
)
from edge import refcache
from edge.billing.models import ANULADO, FINAL_STATES, Invoice, InvoiceLine
from edge.config.models import Company, Sede
from edge.config.replicated import day_count, replicated_value
from edge.settings import EdgeSettings

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class LineIn:
    """One line to invoice (prices IGV included, as the lab's price list)."""

    code: str
    description: str
    quantity: int
    unit_price: Decimal
    discount: Decimal = ZERO
    affectation: str = IgvAffectation.GRAVADO.value
    unit: str = UnitCode.ZZ.value
    order_item_id: str | None = None

    def to_domain(self) -> Line:
        return Line(
            code=self.code,
            description=self.description,
            quantity=Decimal(self.quantity),
            unit_price=self.unit_price,
            unit=UnitCode(self.unit),
            affectation=IgvAffectation(self.affectation),
            discount=self.discount,
        )


def this_sede(session: Session, sede_id: str | None = None) -> Sede:
    """The sede the document belongs to (this node's own when not given)."""
    if sede_id is None:
        row = session.connection().execute(text("SELECT sede_id FROM sync_state WHERE id = 1"))
        first = row.first()
        sede_id = first[0] if first else None
    sede = session.get(Sede, sede_id) if sede_id else None
    if sede is None:
        raise NotFound(
            "La sede de este nodo no está configurada (labred edge init).",
            code="sede_not_configured",
        )
    return sede


def issuer_for(session: Session, sede: Sede) -> Issuer:
    """The issuer of ``sede``'s documents (the company, with the sede's address and code);
    kept by ``edge.refcache`` while the company and the sede do not change."""
    if sede not in session:  # a sede built by the caller, not the stored one
        return _issuer(session, sede)
    return refcache.memo(
        session, ("issuer", sede.id), lambda: _issuer(session, sede), models=(Company, Sede)
    )


def _issuer(session: Session, sede: Sede) -> Issuer:
    company = session.exec(select(Company)).first()
    if company is None:
        raise NotFound(
            "Los datos de la empresa no están configurados (labred edge init).",
            code="company_not_configured",
        )
    address = Address(
        ubigeo=sede.ubigeo or company.ubigeo or "150101",
        line=sede.address or company.address,
    )
    return Issuer(
        ruc=company.ruc,
        legal_name=company.razon_social,
        trade_name=company.nombre_comercial,
        address=address,
        establishment_code=sede.establishment_code or "0000",
    )


def identity_type(value: str | None) -> IdentityType:
    try:
        return IdentityType(value or "0")
    except ValueError:
        return IdentityType.SIN_DOCUMENTO


def customer_of(inv: Invoice) -> Customer:
    return Customer(
        identity_type(inv.customer_doc_type),
        inv.customer_doc_number,
        inv.customer_name,
        inv.customer_address,
    )


def lines_of(session: Session, invoice_id: str) -> list[InvoiceLine]:
    return list(
        session.exec(
            select(InvoiceLine)
            .where(InvoiceLine.invoice_id == invoice_id)
            .order_by(InvoiceLine.position)  # type: ignore[arg-type]
        )
    )


def terms_columns(terms: PaymentTerms | None) -> tuple[str | None, list[dict[str, str]] | None]:
    """``Invoice.payment_method`` / ``payment_installments`` for the terms of a document."""
    if terms is None:
        return None, None
    if terms.method == PaymentMethod.CONTADO:
        return terms.method.value, None
    return terms.method.value, [
        {"amount": f"{inst.amount:.2f}", "due_date": inst.due_date.isoformat()}
        for inst in terms.installments
    ]


def terms_of(inv: Invoice) -> PaymentTerms | None:
    """The payment terms a stored document was issued with (None: issued without)."""
    if inv.payment_method is None:
        return None
    if inv.payment_method == PaymentMethod.CONTADO.value:
        return PaymentTerms.contado()
    return PaymentTerms.credito(
        *(
            Installment(Decimal(i["amount"]), dt.date.fromisoformat(i["due_date"]))
            for i in inv.payment_installments or []
        )
    )


def credit_due_date(inv: Invoice) -> dt.date | None:
    """Last installment's due date of a crédito document (None when contado)."""
    if inv.payment_method != PaymentMethod.CREDITO.value or not inv.payment_installments:
        return None
    return max(dt.date.fromisoformat(i["due_date"]) for i in inv.payment_installments)


def note_reason(doc_type: str, code: str | None) -> CreditNoteReason | DebitNoteReason | None:
    if code is None:
        return None
    if doc_type == DocumentType.NOTA_CREDITO.value:
        return CreditNoteReason(code)
    return DebitNoteReason(code)


def to_document(session: Session, inv: Invoice) -> Document:
    """Rebuild the pure document of a stored invoice (printing, summaries)."""
    sede = this_sede(session, inv.sede_id)
    reference = None
    if inv.reference_doc_type and inv.reference_series and inv.reference_number:
        reference = DocumentReference(
            DocumentType(inv.reference_doc_type), inv.reference_series, inv.reference_number
        )
    local = inv.issued_at.astimezone(LIMA)
    return Document(
        doc_type=DocumentType(inv.doc_type),
        series=inv.series,
        number=inv.number,
        issue_date=inv.business_date,
        issue_time=local.time().replace(microsecond=0, tzinfo=None),
        issuer=issuer_for(session, sede),
        customer=customer_of(inv),
        lines=tuple(
            LineIn(
                code=ln.code,
                description=ln.description,
                quantity=ln.quantity,
                unit_price=ln.unit_price,
                discount=ln.discount,
                affectation=ln.affectation,
                unit=ln.unit,
            ).to_domain()
            for ln in lines_of(session, inv.id)
        ),
        currency=inv.currency,
        global_discount=inv.global_discount,
        reference=reference,
        note_reason=note_reason(inv.doc_type, inv.note_reason),
        note_description=inv.reason,
        payment_terms=terms_of(inv),
    )


def is_factura_family(doc_type: str, series: str) -> bool:
    """Facturas and notes on facturas (F series) share the factura deadline."""
    return doc_type == DocumentType.FACTURA.value or series.startswith("F")


FACTURA_DEADLINE_SETTING = "sunat_factura_deadline_days"
BOLETA_DEADLINE_SETTING = "sunat_boleta_deadline_days"
MAX_DEADLINE_DAYS = 31
"""A replicated deadline outside 0..31 days (the hub accepts 1 to 7) is ignored: the node's
own ``edge.toml`` value applies, as before the hub ever sent one."""


def replicated_deadline_days(session: Session, key: str) -> int | None:
    """Days of the hub's ``setting`` row ``key`` (None: never received, or not a day count);
    read on every document (:mod:`edge.config.replicated`)."""
    value = replicated_value(session.connection(), key)
    return day_count(value, low=0, high=MAX_DEADLINE_DAYS)


def deadline_for(
    settings: EdgeSettings, doc_type: str, series: str, issued: dt.date, *, session: Session
) -> dt.date:
    """Last day to send (facturas and their notes) or report (boletas and theirs) a document.

    N calendar days counted from the day after issue (RS 000003-2023/SUNAT: N = 3 for
    facturas, so the last day is issue + 3). N is the hub's setting
    ``sunat_factura_deadline_days`` / ``sunat_boleta_deadline_days`` replicated to this node
    (the hub owns settings); the node's ``sunat_invoice_deadline_days`` /
    ``sunat_boleta_deadline_days`` (edge.toml) apply only while no valid value has arrived."""
    if is_factura_family(doc_type, series):
        days = replicated_deadline_days(session, FACTURA_DEADLINE_SETTING)
        local = settings.sunat_invoice_deadline_days
    else:
        days = replicated_deadline_days(session, BOLETA_DEADLINE_SETTING)
        local = settings.sunat_boleta_deadline_days
    return issued + dt.timedelta(days=local if days is None else days)


def alarm_due(inv: Invoice, today: dt.date) -> bool:
    """Not answered yet and at most one day from its deadline (never on the issue day)."""
    if inv.state == ANULADO or (inv.state in FINAL_STATES and not inv.void_requested):
        return False
    start = max(inv.business_date + dt.timedelta(days=1), inv.deadline - dt.timedelta(days=1))
    return today >= start


def today(now: dt.datetime) -> dt.date:
    return business_date(now)


__all__ = [
    "LineIn",
    "alarm_due",
    "credit_due_date",
    "customer_of",
    "deadline_for",
    "identity_type",
    "is_factura_family",
    "issuer_for",
    "lines_of",
    "replicated_deadline_days",
    "terms_columns",
    "terms_of",
    "this_sede",
    "to_document",
]

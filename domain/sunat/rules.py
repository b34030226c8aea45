"""Business rules checked before a correlative is taken (pure; Spanish messages, stable codes).

The edge invoicing service calls :func:`check_document` (and, for summaries and voids,
:func:`check_summary` / :func:`check_voided`) inside the sale transaction, *before* it
allocates the series number; anything raised here leaves no gap in the series.
Forma de pago and detracción rules live in :mod:`domain.sunat.payment_rules`, the summaries'
in :mod:`domain.sunat.summary_rules`; both are re-exported here.

Codes (``LabError.code``):

=================================  ===============================================
``sunat_series_invalid``           series does not fit the document type
``sunat_number_invalid``           correlative outside 1..99,999,999
``sunat_issuer_ruc_invalid``       the company's RUC is not valid
``invoice_requires_ruc``           factura to a customer without a valid RUC
``boleta_requires_customer``       boleta above S/ 700 without an identified buyer
``customer_document_invalid``      customer's document number malformed for its type
``customer_name_required``         identified customer without a name
``line_amount_zero``               boleta line with a zero amount (SUNAT 3105)
``line_amount_too_small``          taxed line whose IGV rounds to 0.00 (SUNAT 3111)
``text_not_allowed`` and others    free texts: see :mod:`domain.sunat.text_rules`
``note_reference_required``        note without the document it modifies
``note_reason_invalid``            reason missing or from the wrong catalogue
``note_reason_not_applicable``     export / IVAP adjustments (11, 12): not a lab's
``note_global_discount``           global discount on a note (SUNAT recomputes IGV per line)
``note_reference_type_invalid``    note referencing something other than 01 / 03
``note_series_mismatch``           NC/ND series letter differs from the original's
``credit_note_exceeds_remaining``  NC total above what remains of the original
``detraccion_not_enabled``         detracción block while the setting is off
``detraccion_not_applicable``      detracción on a non-factura or at/below S/ 700
``payment_terms_invalid``          crédito without installments, sums, dates, boleta
``currency_not_supported``         anything other than PEN
``summary_line_invalid``           RC line that is not a boleta or a note on a boleta
``voided_line_invalid``            RA line for a boleta (void it in the RC with 3)
=================================  ===============================================
"""

from __future__ import annotations

import re
from decimal import Decimal

from domain.errors import InvalidInput, RuleViolation
from domain.identity import is_valid_ruc as _is_valid_ruc
from domain.identity import validate_document as _validate_identity
from domain.money import fmt_soles
from domain.sunat.catalogs import (
    CreditNoteReason,
    DebitNoteReason,
    DocumentType,
    IdentityType,
    PaymentMethod,
    TaxKind,
)
from domain.sunat.models import Document
from domain.sunat.payment_rules import (
    DETRACCION_THRESHOLD,
    check_detraccion,
    check_payment_terms,
    detraccion_applies,
    q,
    restate_installments,
)
from domain.sunat.summary_rules import check_summary, check_voided
from domain.sunat.text_rules import check_texts
from domain.sunat.totals import DocumentTotals, document_totals

#: Boletas above this total must identify the buyer (SUNAT code 2396).
BOLETA_ANONYMOUS_LIMIT = Decimal("700.00")
MAX_CORRELATIVE = 99_999_999

_SERIES = {
    DocumentType.FACTURA: re.compile(r"^F[A-Z0-9]{3}$"),
    DocumentType.BOLETA: re.compile(r"^B[A-Z0-9]{3}$"),
    DocumentType.NOTA_CREDITO: re.compile(r"^[FB][A-Z0-9]{3}$"),
    DocumentType.NOTA_DEBITO: re.compile(r"^[FB][A-Z0-9]{3}$"),
}
_RUC_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def ruc_check_digit_ok(ruc: str) -> bool:
    """Own RUC check (11 digits, known prefix, modulo-11 check digit)."""
    if not re.fullmatch(r"\d{11}", ruc) or ruc[:2] not in ("10", "15", "16", "17", "20"):
        return False
    total = sum(int(d) * w for d, w in zip(ruc[:10], _RUC_WEIGHTS, strict=True))
    digit = 11 - total % 11
    return int(ruc[10]) == {10: 0, 11: 1}.get(digit, digit)


def is_valid_ruc(ruc: str) -> bool:
    """True for a valid RUC (:mod:`domain.identity` owns document-number validation)."""
    return _is_valid_ruc(ruc)


def check_series(doc_type: DocumentType, series: str, number: int) -> None:
    if not _SERIES[doc_type].fullmatch(series):
        letter = doc_type.series_letter or "F o B"
        raise InvalidInput(
            f"La serie «{series}» no es válida para {doc_type.label.lower()}: debe tener 4"
            f" caracteres y empezar con {letter}.",
            code="sunat_series_invalid",
            loc=["series"],
        )
    if not 1 <= number <= MAX_CORRELATIVE:
        raise InvalidInput(
            "El correlativo debe estar entre 1 y 99999999.",
            code="sunat_number_invalid",
            loc=["number"],
        )


def check_customer_document(doc_type: IdentityType, number: str) -> None:
    """The customer's document number must fit its type (DNI 8 digits, RUC check digit...)."""
    try:
        _validate_identity(doc_type.value, number)
    except InvalidInput as exc:
        if "doc_type_invalid" == exc.code:
            return  # types identity.py does not model (B..G): SUNAT checks only length
        raise InvalidInput(exc.msg, code="customer_document_invalid", loc=["customer"]) from exc


def check_factura_customer(doc: Document) -> None:
    c = doc.customer
    if c.doc_type != IdentityType.RUC or not is_valid_ruc(c.doc_number.strip()):
        raise RuleViolation(
            "La factura solo se emite a un cliente con RUC válido. Para personas sin RUC"
            " emita una boleta.",
            code="invoice_requires_ruc",
            loc=["customer", "doc_number"],
        )


def check_boleta_customer(doc: Document, totals: DocumentTotals) -> None:
    if totals.payable > BOLETA_ANONYMOUS_LIMIT and not doc.customer.is_identified:
        raise RuleViolation(
            "Una boleta mayor a S/ 700.00 debe identificar al cliente (tipo y número de"
            " documento).",
            code="boleta_requires_customer",
            loc=["customer"],
        )


def check_boleta_lines(totals: DocumentTotals) -> None:
    """SUNAT's boleta rules want a taxable amount above zero on every charged line (3105)."""
    for i, lt in enumerate(totals.lines):
        if lt.kind != TaxKind.GRATUITO and lt.value <= 0:
            raise RuleViolation(
                "Una boleta no puede llevar ítems con importe cero (descuento del 100 % o"
                " precio 0): retírelos del comprobante.",
                code="line_amount_zero",
                loc=["lines", i],
            )


def check_line_igv(totals: DocumentTotals) -> None:
    """A taxed line of S/ 0.01-0.03 rounds its IGV to 0.00, which SUNAT rejects (3111)."""
    for i, lt in enumerate(totals.lines):
        if lt.kind == TaxKind.GRAVADO and lt.value > 0 and lt.igv <= 0:
            raise RuleViolation(
                f"El ítem {i + 1} ({fmt_soles(lt.total)}) es demasiado pequeño: su IGV redondea a"
                " cero y SUNAT lo rechaza. Un ítem gravado debe sumar al menos S/ 0.04.",
                code="line_amount_too_small",
                loc=["lines", i],
            )


def check_note(doc: Document, totals: DocumentTotals, remaining: Decimal | None) -> None:
    ref = doc.reference
    if ref is None:
        raise RuleViolation(
            "La nota debe indicar el comprobante que modifica.",
            code="note_reference_required",
            loc=["reference"],
        )
    expected = CreditNoteReason if doc.doc_type == DocumentType.NOTA_CREDITO else DebitNoteReason
    if not isinstance(doc.note_reason, expected):
        raise InvalidInput(
            "El motivo de la nota no corresponde a su tipo (catálogo 09 para crédito, 10 para"
            " débito).",
            code="note_reason_invalid",
            loc=["note_reason"],
        )
    if doc.note_reason in (CreditNoteReason.AJUSTE_EXPORTACION, CreditNoteReason.AJUSTE_IVAP) or (
        doc.note_reason in (DebitNoteReason.AJUSTE_EXPORTACION, DebitNoteReason.AJUSTE_IVAP)
    ):
        raise RuleViolation(
            "Los ajustes de exportación o IVAP no corresponden a las operaciones del laboratorio.",
            code="note_reason_not_applicable",
            loc=["note_reason"],
        )
    if doc.global_discount:
        raise InvalidInput(
            "Las notas no llevan descuento global: indique los importes en sus ítems"
            " (para un descuento global use la nota de crédito con motivo 04).",
            code="note_global_discount",
            loc=["global_discount"],
        )
    if ref.doc_type not in (DocumentType.FACTURA, DocumentType.BOLETA):
        raise RuleViolation(
            "Una nota solo puede modificar una factura o una boleta.",
            code="note_reference_type_invalid",
            loc=["reference", "doc_type"],
        )
    letter = ref.doc_type.series_letter or ""
    if not doc.series.startswith(letter) or not ref.series.startswith(letter):
        raise RuleViolation(
            f"La nota de una {'factura' if letter == 'F' else 'boleta'} debe usar una serie"
            f" que empiece con {letter}, igual que el comprobante original.",
            code="note_series_mismatch",
            loc=["series"],
        )
    if doc.note_reason == CreditNoteReason.AJUSTE_MONTOS_FECHAS_PAGO:
        terms = doc.payment_terms
        if (
            ref.doc_type != DocumentType.FACTURA
            or totals.payable != 0
            or terms is None
            or terms.method != PaymentMethod.CREDITO
        ):
            raise RuleViolation(
                "La nota de crédito por ajuste de montos y/o fechas de pago (13) solo aplica a"
                " facturas al crédito, con importe cero y las nuevas cuotas.",
                code="note_reason_invalid",
                loc=["note_reason"],
            )
    if doc.doc_type == DocumentType.NOTA_CREDITO and remaining is not None:
        if totals.payable > remaining:
            raise RuleViolation(
                f"La nota de crédito ({fmt_soles(totals.payable)}) supera el saldo del comprobante"
                f" original ({fmt_soles(remaining)}).",
                code="credit_note_exceeds_remaining",
                loc=["lines"],
                extra={"remaining": q(remaining), "amount": f"{totals.payable:.2f}"},
            )


def check_credit_note_amount(amount: Decimal, remaining: Decimal) -> None:
    """A credit note for ``amount`` against an original with ``remaining`` left."""
    if amount > remaining:
        raise RuleViolation(
            f"La nota de crédito ({fmt_soles(amount)}) supera el saldo del comprobante original"
            f" ({fmt_soles(remaining)}).",
            code="credit_note_exceeds_remaining",
            loc=["lines"],
            extra={"remaining": q(remaining), "amount": q(amount)},
        )


def check_document(
    doc: Document,
    *,
    remaining: Decimal | None = None,
    detraccion_enabled: bool = False,
) -> DocumentTotals:
    """All rules for a factura / boleta / note; returns its totals when it passes.

    ``remaining`` is, for a credit note, what is left of the original document after its
    earlier credit notes (the caller reads it from the database).
    """
    if doc.currency != "PEN":
        raise InvalidInput(
            "Solo se emiten comprobantes en soles (PEN).",
            code="currency_not_supported",
            loc=["currency"],
        )
    check_series(doc.doc_type, doc.series, doc.number)
    if not is_valid_ruc(doc.issuer.ruc):
        raise InvalidInput(
            "El RUC del emisor no es válido.", code="sunat_issuer_ruc_invalid", loc=["issuer"]
        )
    totals = document_totals(doc)
    customer = doc.customer
    if customer.is_identified:
        check_customer_document(customer.doc_type, customer.doc_number)
        if not customer.name.strip():
            raise InvalidInput(
                "Indique el nombre o razón social del cliente.",
                code="customer_name_required",
                loc=["customer", "name"],
            )
    if doc.doc_type == DocumentType.FACTURA:
        check_factura_customer(doc)
    elif doc.doc_type == DocumentType.BOLETA:
        check_boleta_customer(doc, totals)
        check_boleta_lines(totals)
    else:
        check_note(doc, totals, remaining)
        if doc.reference is not None and doc.reference.doc_type == DocumentType.FACTURA:
            check_factura_customer(doc)
    check_texts(doc)  # after the customer's type: "factura needs a RUC" says more
    check_line_igv(totals)
    if doc.detraccion is not None and doc.doc_type != DocumentType.FACTURA:
        raise RuleViolation(
            "La detracción solo corresponde a facturas mayores a S/ 700.00.",
            code="detraccion_not_applicable",
            loc=["detraccion"],
        )
    check_detraccion(doc, totals, enabled=detraccion_enabled)
    check_payment_terms(doc, totals)
    return totals


__all__ = [
    "BOLETA_ANONYMOUS_LIMIT",
    "DETRACCION_THRESHOLD",
    "check_boleta_customer",
    "check_boleta_lines",
    "check_credit_note_amount",
    "check_customer_document",
    "check_detraccion",
    "check_document",
    "check_factura_customer",
    "check_line_igv",
    "check_note",
    "check_payment_terms",
    "check_series",
    "check_summary",
    "check_voided",
    "detraccion_applies",
    "is_valid_ruc",
    "restate_installments",
    "ruc_check_digit_ok",
]

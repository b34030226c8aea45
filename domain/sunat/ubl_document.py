"""UBL 2.1 of a factura / boleta (``Invoice``), nota de crédito (``CreditNote``) or nota de
débito (``DebitNote``), CustomizationID 2.0 (pure, lxml -> UTF-8 bytes, no I/O).

A nota de crédito 13 (ajuste de montos y/o fechas de pago) carries its zero amounts like any
note plus ``cac:PaymentTerms``: FormaPago Credito with the new net amount pending and the
restated cuotas.
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from domain.sunat.catalogs import (
    LEGEND_TEXTS,
    CreditNoteReason,
    DocumentType,
    LegendCode,
    OperationType,
    PaymentMethod,
)
from domain.sunat.models import Document
from domain.sunat.totals import (
    DocumentTotals,
    detraccion_amount,
    document_totals,
    net_payable,
)
from domain.sunat.ubl_parts import (
    add_allowance,
    add_customer,
    add_document_taxes,
    add_line,
    add_monetary_total,
    add_supplier,
)
from domain.sunat.ubl_xml import (
    CAC,
    CAT_URI,
    CBC,
    NS_CREDIT,
    NS_DEBIT,
    NS_INVOICE,
    SUNAT_AGENCY,
    UNECE,
    add_extensions,
    add_signature,
    amount_el,
    clean,
    el,
    iso_date,
    nsmap_for,
    num,
    serialize,
    sunat_filename,
)
from domain.words import amount_in_words

_ROOTS = {
    DocumentType.FACTURA: ("Invoice", NS_INVOICE, "InvoiceLine", "InvoicedQuantity"),
    DocumentType.BOLETA: ("Invoice", NS_INVOICE, "InvoiceLine", "InvoicedQuantity"),
    DocumentType.NOTA_CREDITO: ("CreditNote", NS_CREDIT, "CreditNoteLine", "CreditedQuantity"),
    DocumentType.NOTA_DEBITO: ("DebitNote", NS_DEBIT, "DebitNoteLine", "DebitedQuantity"),
}


def _notes(root: etree._Element, doc: Document, totals: DocumentTotals) -> None:
    el(
        root,
        CBC + "Note",
        amount_in_words(totals.payable),
        languageLocaleID=LegendCode.MONTO_EN_LETRAS.value,
    )
    if totals.has_free_lines:
        el(
            root,
            CBC + "Note",
            LEGEND_TEXTS[LegendCode.TRANSFERENCIA_GRATUITA],
            languageLocaleID=LegendCode.TRANSFERENCIA_GRATUITA.value,
        )
    if doc.detraccion is not None and doc.doc_type == DocumentType.FACTURA:
        el(
            root,
            CBC + "Note",
            LEGEND_TEXTS[LegendCode.DETRACCION],
            languageLocaleID=LegendCode.DETRACCION.value,
        )
    if doc.observations.strip():
        el(root, CBC + "Note", clean(doc.observations, 200))


def _payment(root: etree._Element, doc: Document, totals: DocumentTotals) -> None:
    """Detracción block and forma de pago (facturas only; boletas carry neither)."""
    cur = doc.currency
    if doc.detraccion is not None:
        det = doc.detraccion
        pm = el(root, CAC + "PaymentMeans")
        el(pm, CBC + "ID", "Detraccion")
        el(
            pm,
            CBC + "PaymentMeansCode",
            det.payment_means_code,
            listAgencyName=SUNAT_AGENCY,
            listName="Medio de pago",
            listURI=CAT_URI % "59",
        )
        el(el(pm, CAC + "PayeeFinancialAccount"), CBC + "ID", det.account)
        pt = el(root, CAC + "PaymentTerms")
        el(pt, CBC + "ID", "Detraccion")
        el(
            pt,
            CBC + "PaymentMeansID",
            det.code,
            schemeName="Codigo de detraccion",
            schemeAgencyName=SUNAT_AGENCY,
            schemeURI=CAT_URI % "54",
        )
        el(pt, CBC + "PaymentPercent", num(det.percent))
        amount_el(pt, CBC + "Amount", detraccion_amount(doc, totals), "PEN")
    terms = doc.payment_terms
    if terms is None or terms.method == PaymentMethod.CONTADO:
        pt = el(root, CAC + "PaymentTerms")
        el(pt, CBC + "ID", "FormaPago")
        el(pt, CBC + "PaymentMeansID", PaymentMethod.CONTADO.value)
        return
    pt = el(root, CAC + "PaymentTerms")
    el(pt, CBC + "ID", "FormaPago")
    el(pt, CBC + "PaymentMeansID", PaymentMethod.CREDITO.value)
    owed = sum((inst.amount for inst in terms.installments), Decimal("0.00"))
    amount_el(pt, CBC + "Amount", owed if terms.installments else net_payable(doc, totals), cur)
    for i, inst in enumerate(terms.installments, start=1):
        pt = el(root, CAC + "PaymentTerms")
        el(pt, CBC + "ID", "FormaPago")
        el(pt, CBC + "PaymentMeansID", f"Cuota{i:03d}")
        amount_el(pt, CBC + "Amount", inst.amount, cur)
        el(pt, CBC + "PaymentDueDate", iso_date(inst.due_date))


def build_document(doc: Document, totals: DocumentTotals | None = None) -> etree._Element:
    """The UBL 2.1 tree of a factura, boleta, nota de crédito or nota de débito."""
    if totals is None:
        totals = document_totals(doc)
    root_name, ns, line_tag, qty_tag = _ROOTS[doc.doc_type]
    root = etree.Element(f"{{{ns}}}{root_name}", nsmap=nsmap_for(ns))
    cur = doc.currency
    add_extensions(root)
    el(root, CBC + "UBLVersionID", "2.1")
    el(root, CBC + "CustomizationID", "2.0")
    el(root, CBC + "ID", doc.id)
    el(root, CBC + "IssueDate", iso_date(doc.issue_date))
    if doc.issue_time is not None:
        el(root, CBC + "IssueTime", doc.issue_time.replace(microsecond=0).isoformat())
    is_invoice = root_name == "Invoice"
    if is_invoice:
        if doc.due_date is not None:
            el(root, CBC + "DueDate", iso_date(doc.due_date))
        op = (
            OperationType.SUJETA_DETRACCION
            if doc.detraccion is not None and doc.doc_type == DocumentType.FACTURA
            else OperationType.VENTA_INTERNA
        )
        el(
            root,
            CBC + "InvoiceTypeCode",
            doc.doc_type.value,
            listID=op.value,
            listAgencyName=SUNAT_AGENCY,
            listName="Tipo de Documento",
            listURI=CAT_URI % "01",
        )
    _notes(root, doc, totals)
    el(
        root,
        CBC + "DocumentCurrencyCode",
        cur,
        listID="ISO 4217 Alpha",
        listName="Currency",
        listAgencyName=UNECE,
    )
    if not is_invoice:
        ref = doc.reference
        reason = doc.note_reason
        if ref is None or reason is None:
            raise ValueError("a note needs its reference document and reason")
        dr = el(root, CAC + "DiscrepancyResponse")
        el(dr, CBC + "ReferenceID", ref.id)
        cat = "09" if isinstance(reason, CreditNoteReason) else "10"
        el(
            dr,
            CBC + "ResponseCode",
            reason.value,
            listAgencyName=SUNAT_AGENCY,
            listName="Tipo de nota de credito" if cat == "09" else "Tipo de nota de debito",
            listURI=CAT_URI % cat,
        )
        el(dr, CBC + "Description", clean(doc.note_description, 250) or clean(reason.label, 250))
        br = el(el(root, CAC + "BillingReference"), CAC + "InvoiceDocumentReference")
        el(br, CBC + "ID", ref.id)
        el(
            br,
            CBC + "DocumentTypeCode",
            ref.doc_type.value,
            listAgencyName=SUNAT_AGENCY,
            listName="Tipo de Documento",
            listURI=CAT_URI % "01",
        )
    add_signature(root, doc.issuer)
    add_supplier(root, doc.issuer)
    add_customer(root, doc)
    if doc.doc_type == DocumentType.FACTURA:
        _payment(root, doc, totals)
    elif (
        doc.doc_type == DocumentType.NOTA_CREDITO
        and doc.payment_terms is not None
        and doc.payment_terms.method == PaymentMethod.CREDITO
    ):
        _payment(root, doc, totals)
    if totals.global_discount_code is not None:
        add_allowance(
            root,
            totals.global_discount_code.value,
            totals.discount_factor,
            totals.global_discount_amount,
            totals.global_discount_base,
            cur,
        )
    add_document_taxes(root, totals, cur)
    add_monetary_total(
        root,
        "RequestedMonetaryTotal" if root_name == "DebitNote" else "LegalMonetaryTotal",
        totals,
        cur,
    )
    for i, lt in enumerate(totals.lines, start=1):
        add_line(root, i, lt, cur, line_tag, qty_tag)
    return root


def render_document(doc: Document, totals: DocumentTotals | None = None) -> bytes:
    """Factura / boleta / nota as unsigned UBL 2.1 bytes (UTF-8, XML declaration)."""
    return serialize(build_document(doc, totals))


def document_filename(doc: Document) -> str:
    return sunat_filename(doc.issuer.ruc, doc.doc_type, doc.series, doc.number)


__all__ = ["build_document", "document_filename", "render_document"]

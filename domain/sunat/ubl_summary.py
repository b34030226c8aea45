"""UBL 2.0 of the summaries (pure, lxml): resumen diario (``SummaryDocuments``,
CustomizationID 1.1) and comunicación de baja (``VoidedDocuments``, CustomizationID 1.0).
"""

from __future__ import annotations

from lxml import etree

from domain.sunat.catalogs import IdentityType, SummaryCondition, TaxScheme
from domain.sunat.models import (
    Document,
    Issuer,
    SummaryDocument,
    SummaryLine,
    VoidedDocument,
)
from domain.sunat.totals import DocumentTotals, document_totals
from domain.sunat.ubl_xml import (
    CAC,
    CBC,
    NS_SUMMARY,
    NS_VOIDED,
    SAC,
    add_extensions,
    add_signature,
    amount_el,
    clean,
    el,
    iso_date,
    nsmap_for,
    serialize,
)


def summary_line_from_document(
    doc: Document,
    condition: SummaryCondition = SummaryCondition.ADD,
    totals: DocumentTotals | None = None,
) -> SummaryLine:
    """The resumen-diario line of a boleta (or of a note on a boleta)."""
    if totals is None:
        totals = document_totals(doc)
    return SummaryLine(
        doc_type=doc.doc_type,
        series=doc.series,
        number=doc.number,
        condition=condition,
        customer_doc_type=doc.customer.doc_type,
        customer_doc_number=doc.customer.doc_number.strip() or "-",
        total=totals.payable,
        gravado=totals.gravado,
        exonerado=totals.exonerado,
        inafecto=totals.inafecto,
        gratuito=totals.gratuito,
        igv=totals.igv,
        global_discount=totals.allowance_total,
        currency=doc.currency,
        reference=doc.reference,
    )


def _summary_supplier(root: etree._Element, issuer: Issuer) -> None:
    sp = el(root, CAC + "AccountingSupplierParty")
    el(sp, CBC + "CustomerAssignedAccountID", issuer.ruc)
    el(sp, CBC + "AdditionalAccountID", IdentityType.RUC.value)
    party = el(sp, CAC + "Party")
    if issuer.trade_name:
        el(el(party, CAC + "PartyName"), CBC + "Name", clean(issuer.trade_name, 1500))
    el(
        el(party, CAC + "PartyLegalEntity"),
        CBC + "RegistrationName",
        clean(issuer.legal_name, 1500),
    )


def _summary_line(root: etree._Element, index: int, line: SummaryLine) -> None:
    cur = line.currency
    node = el(root, SAC + "SummaryDocumentsLine")
    el(node, CBC + "LineID", str(index))
    el(node, CBC + "DocumentTypeCode", line.doc_type.value)
    el(node, CBC + "ID", line.id)
    cp = el(node, CAC + "AccountingCustomerParty")
    el(cp, CBC + "CustomerAssignedAccountID", line.customer_doc_number)
    el(cp, CBC + "AdditionalAccountID", line.customer_doc_type.value)
    if line.reference is not None:
        br = el(el(node, CAC + "BillingReference"), CAC + "InvoiceDocumentReference")
        el(br, CBC + "ID", line.reference.id)
        el(br, CBC + "DocumentTypeCode", line.reference.doc_type.value)
    el(el(node, CAC + "Status"), CBC + "ConditionCode", line.condition.value)
    amount_el(node, SAC + "TotalAmount", line.total, cur)
    for code, value in (
        ("01", line.gravado),
        ("02", line.exonerado),
        ("03", line.inafecto),
        ("05", line.gratuito),
    ):
        if value:
            bp = el(node, SAC + "BillingPayment")
            amount_el(bp, CBC + "PaidAmount", value, cur)
            el(bp, CBC + "InstructionID", code)
    tt = el(node, CAC + "TaxTotal")
    amount_el(tt, CBC + "TaxAmount", line.igv, cur)
    sub = el(tt, CAC + "TaxSubtotal")
    amount_el(sub, CBC + "TaxAmount", line.igv, cur)
    ts = el(el(sub, CAC + "TaxCategory"), CAC + "TaxScheme")
    el(ts, CBC + "ID", TaxScheme.IGV.value)
    el(ts, CBC + "Name", TaxScheme.IGV.scheme_name)
    el(ts, CBC + "TaxTypeCode", TaxScheme.IGV.type_code)


def _summary_root(
    namespace: str, tag: str, customization: str, doc: SummaryDocument | VoidedDocument
) -> etree._Element:
    """The head an RC and an RA share: extensions, versions, id, dates, signature, issuer."""
    root = etree.Element(f"{{{namespace}}}{tag}", nsmap=nsmap_for(namespace, summary=True))
    add_extensions(root)
    el(root, CBC + "UBLVersionID", "2.0")
    el(root, CBC + "CustomizationID", customization)
    el(root, CBC + "ID", doc.id)
    el(root, CBC + "ReferenceDate", iso_date(doc.reference_date))
    el(root, CBC + "IssueDate", iso_date(doc.issue_date))
    add_signature(root, doc.issuer)
    _summary_supplier(root, doc.issuer)
    return root


def build_summary(summary: SummaryDocument) -> etree._Element:
    root = _summary_root(NS_SUMMARY, "SummaryDocuments", "1.1", summary)
    for i, line in enumerate(summary.lines, start=1):
        _summary_line(root, i, line)
    return root


def render_summary(summary: SummaryDocument) -> bytes:
    """Resumen diario (RC) as unsigned UBL 2.0 bytes."""
    return serialize(build_summary(summary))


def void_reason(reason: str) -> str:
    """The baja reason as rendered: 3 to 100 characters (rules 2314/4203 observe shorter ones),
    so a reason like "no" goes out as "Anulación: no"."""
    text = clean(reason, 100)
    if len(text) < 3:
        text = clean(f"Anulación: {text}" if text else "Anulación de la operación", 100)
    return text


def build_voided(voided: VoidedDocument) -> etree._Element:
    root = _summary_root(NS_VOIDED, "VoidedDocuments", "1.0", voided)
    for i, line in enumerate(voided.lines, start=1):
        node = el(root, SAC + "VoidedDocumentsLine")
        el(node, CBC + "LineID", str(i))
        el(node, CBC + "DocumentTypeCode", line.doc_type.value)
        el(node, SAC + "DocumentSerialID", line.series)
        el(node, SAC + "DocumentNumberID", str(line.number))
        el(node, SAC + "VoidReasonDescription", void_reason(line.reason))
    return root


def render_voided(voided: VoidedDocument) -> bytes:
    """Comunicación de baja (RA) as unsigned UBL 2.0 bytes."""
    return serialize(build_voided(voided))


__all__ = [
    "build_summary",
    "build_voided",
    "render_summary",
    "render_voided",
    "summary_line_from_document",
    "void_reason",
]

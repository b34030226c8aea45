"""UBL rendering of SUNAT documents with lxml -> UTF-8 bytes (pure, no I/O).

* Factura / boleta (``Invoice``), nota de crédito (``CreditNote``), nota de débito
  (``DebitNote``): UBL 2.1, CustomizationID 2.0.
* Resumen diario (``SummaryDocuments``): UBL 2.0, CustomizationID 1.1.
* Comunicación de baja (``VoidedDocuments``): UBL 2.0, CustomizationID 1.0.

Every document carries an empty ``ext:UBLExtensions/ext:UBLExtension/ext:ExtensionContent``
(where :mod:`domain.sunat.signing` puts the signature) and a ``cac:Signature`` block pointing
at ``#<SIGNATURE_ID>``. Text values are never pretty-printed (SUNAT's rules read whitespace).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from lxml import etree

from domain.money import fmt
from domain.sunat.catalogs import (
    LEGEND_TEXTS,
    CreditNoteReason,
    DocumentType,
    IdentityType,
    LegendCode,
    OperationType,
    PaymentMethod,
    SummaryCondition,
    TaxKind,
    TaxScheme,
)
from domain.sunat.models import (
    Address,
    Document,
    Issuer,
    SummaryDocument,
    SummaryLine,
    VoidedDocument,
)
from domain.sunat.totals import (
    DocumentTotals,
    LineTotals,
    detraccion_amount,
    document_totals,
    net_payable,
)
from domain.words import amount_in_words

SIGNATURE_ID = "SignatureSP"

NS_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
NS_CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
NS_EXT = "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2"
NS_SAC = "urn:sunat:names:specification:ubl:peru:schema:xsd:SunatAggregateComponents-1"
NS_DS = "http://www.w3.org/2000/09/xmldsig#"
NS_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
NS_CREDIT = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
NS_DEBIT = "urn:oasis:names:specification:ubl:schema:xsd:DebitNote-2"
NS_SUMMARY = "urn:sunat:names:specification:ubl:peru:schema:xsd:SummaryDocuments-1"
NS_VOIDED = "urn:sunat:names:specification:ubl:peru:schema:xsd:VoidedDocuments-1"

_CBC = f"{{{NS_CBC}}}"
_CAC = f"{{{NS_CAC}}}"
_EXT = f"{{{NS_EXT}}}"
_SAC = f"{{{NS_SAC}}}"

_SUNAT = "PE:SUNAT"
_UNECE = "United Nations Economic Commission for Europe"
_CAT_URI = "urn:pe:gob:sunat:cpe:see:gem:catalogos:catalogo%s"

_ROOTS = {
    DocumentType.FACTURA: ("Invoice", NS_INVOICE, "InvoiceLine", "InvoicedQuantity"),
    DocumentType.BOLETA: ("Invoice", NS_INVOICE, "InvoiceLine", "InvoicedQuantity"),
    DocumentType.NOTA_CREDITO: ("CreditNote", NS_CREDIT, "CreditNoteLine", "CreditedQuantity"),
    DocumentType.NOTA_DEBITO: ("DebitNote", NS_DEBIT, "DebitNoteLine", "DebitedQuantity"),
}


def sunat_filename(ruc: str, doc_type: DocumentType | str, series: str, number: int | str) -> str:
    """SUNAT's base file name: ``20100070970-01-F001-1`` (no extension)."""
    code = doc_type.value if isinstance(doc_type, DocumentType) else str(doc_type)
    return f"{ruc}-{code}-{series}-{number}"


def summary_filename(ruc: str, summary_id: str) -> str:
    """``20100070970-RC-20240115-1`` for a resumen diario or comunicación de baja."""
    return f"{ruc}-{summary_id}"


# ------------------------------------------------------------------ helpers


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    node = etree.SubElement(parent, tag, attrs) if attrs else etree.SubElement(parent, tag)
    if text is not None:
        node.text = text
    return node


def _amount(parent: etree._Element, tag: str, value: Decimal, currency: str) -> etree._Element:
    return _el(parent, tag, fmt(value), currencyID=currency)


def _num(value: Decimal) -> str:
    """A quantity or unit price without exponent or needless trailing zeros."""
    text = format(value.normalize(), "f")
    return text


def _date(value: dt.date) -> str:
    return value.isoformat()


def _clean(text: str, limit: int) -> str:
    """Collapse whitespace and cut to ``limit`` characters (SUNAT's length limits)."""
    return " ".join(text.split())[:limit]


def _item_code(code: str) -> str:
    """Product code as SUNAT accepts it (rule 4269: 1-30 ASCII letters and digits)."""
    return "".join(ch for ch in code if ch.isascii() and ch.isalnum())[:30]


def _nsmap(default_ns: str, *, summary: bool = False) -> dict[str | None, str]:
    nsmap: dict[str | None, str] = {
        None: default_ns,
        "cac": NS_CAC,
        "cbc": NS_CBC,
        "ds": NS_DS,
        "ext": NS_EXT,
    }
    if summary:
        nsmap["sac"] = NS_SAC
    return nsmap


def _extensions(root: etree._Element) -> None:
    ext = _el(root, _EXT + "UBLExtensions")
    _el(_el(ext, _EXT + "UBLExtension"), _EXT + "ExtensionContent")


def _signature_block(root: etree._Element, issuer: Issuer) -> None:
    sig = _el(root, _CAC + "Signature")
    _el(sig, _CBC + "ID", issuer.ruc)
    party = _el(sig, _CAC + "SignatoryParty")
    _el(_el(party, _CAC + "PartyIdentification"), _CBC + "ID", issuer.ruc)
    _el(_el(party, _CAC + "PartyName"), _CBC + "Name", _clean(issuer.legal_name, 1500))
    att = _el(sig, _CAC + "DigitalSignatureAttachment")
    _el(_el(att, _CAC + "ExternalReference"), _CBC + "URI", "#" + SIGNATURE_ID)


def _party_id(parent: etree._Element, scheme: str, number: str) -> None:
    _el(
        _el(parent, _CAC + "PartyIdentification"),
        _CBC + "ID",
        number,
        schemeID=scheme,
        schemeName="Documento de Identidad",
        schemeAgencyName=_SUNAT,
        schemeURI=_CAT_URI % "06",
    )


def _address(parent: etree._Element, address: Address | None, establishment: str) -> None:
    reg = _el(parent, _CAC + "RegistrationAddress")
    if address is not None and address.ubigeo:
        _el(reg, _CBC + "ID", address.ubigeo, schemeAgencyName="PE:INEI", schemeName="Ubigeos")
    _el(
        reg,
        _CBC + "AddressTypeCode",
        establishment,
        listAgencyName=_SUNAT,
        listName="Establecimientos anexos",
    )
    if address is None:
        return
    if address.urbanization:
        _el(reg, _CBC + "CitySubdivisionName", _clean(address.urbanization, 25))
    if address.province:
        _el(reg, _CBC + "CityName", _clean(address.province, 30))
    if address.department:
        _el(reg, _CBC + "CountrySubentity", _clean(address.department, 30))
    if address.district:
        _el(reg, _CBC + "District", _clean(address.district, 30))
    if address.line:
        _el(_el(reg, _CAC + "AddressLine"), _CBC + "Line", _clean(address.line, 200))
    _el(
        _el(reg, _CAC + "Country"),
        _CBC + "IdentificationCode",
        address.country,
        listID="ISO 3166-1",
        listAgencyName=_UNECE,
        listName="Country",
    )


def _supplier(root: etree._Element, issuer: Issuer) -> None:
    party = _el(_el(root, _CAC + "AccountingSupplierParty"), _CAC + "Party")
    _party_id(party, IdentityType.RUC.value, issuer.ruc)
    if issuer.trade_name:
        _el(_el(party, _CAC + "PartyName"), _CBC + "Name", _clean(issuer.trade_name, 1500))
    legal = _el(party, _CAC + "PartyLegalEntity")
    _el(legal, _CBC + "RegistrationName", _clean(issuer.legal_name, 1500))
    _address(legal, issuer.address, issuer.establishment_code)


def _customer(root: etree._Element, doc: Document) -> None:
    c = doc.customer
    party = _el(_el(root, _CAC + "AccountingCustomerParty"), _CAC + "Party")
    _party_id(party, c.doc_type.value, c.doc_number.strip() or "-")
    legal = _el(party, _CAC + "PartyLegalEntity")
    _el(legal, _CBC + "RegistrationName", _clean(c.name, 1500) or "-")
    if c.address.strip():
        reg = _el(legal, _CAC + "RegistrationAddress")
        _el(_el(reg, _CAC + "AddressLine"), _CBC + "Line", _clean(c.address, 200))


def _tax_subtotal(
    parent: etree._Element,
    scheme: TaxScheme,
    taxable: Decimal,
    tax: Decimal,
    currency: str,
    *,
    line: LineTotals | None = None,
) -> None:
    sub = _el(parent, _CAC + "TaxSubtotal")
    _amount(sub, _CBC + "TaxableAmount", taxable, currency)
    _amount(sub, _CBC + "TaxAmount", tax, currency)
    cat = _el(sub, _CAC + "TaxCategory")
    category = line.line.affectation.tax_category if line is not None else scheme.category
    _el(
        cat,
        _CBC + "ID",
        category,
        schemeID="UN/ECE 5305",
        schemeName="Tax Category Identifier",
        schemeAgencyName=_UNECE,
    )
    if line is not None:
        taxed = line.line.affectation.is_igv_taxed
        _el(cat, _CBC + "Percent", fmt(line.percent) if taxed else "0.00")
        _el(
            cat,
            _CBC + "TaxExemptionReasonCode",
            line.line.affectation.value,
            listAgencyName=_SUNAT,
            listName="Afectacion del IGV",
            listURI=_CAT_URI % "07",
        )
    ts = _el(cat, _CAC + "TaxScheme")
    _el(
        ts,
        _CBC + "ID",
        scheme.value,
        schemeID="UN/ECE 5153",
        schemeName="Codigo de tributos",
        schemeAgencyName=_SUNAT,
    )
    _el(ts, _CBC + "Name", scheme.scheme_name)
    _el(ts, _CBC + "TaxTypeCode", scheme.type_code)


def _document_taxes(root: etree._Element, totals: DocumentTotals, currency: str) -> None:
    tt = _el(root, _CAC + "TaxTotal")
    _amount(tt, _CBC + "TaxAmount", totals.total_tax, currency)
    kinds = {lt.kind for lt in totals.lines}
    if TaxKind.GRAVADO in kinds:
        _tax_subtotal(tt, TaxScheme.IGV, totals.gravado, totals.igv, currency)
    if TaxKind.EXONERADO in kinds:
        _tax_subtotal(tt, TaxScheme.EXO, totals.exonerado, Decimal("0.00"), currency)
    if TaxKind.INAFECTO in kinds:
        _tax_subtotal(tt, TaxScheme.INA, totals.inafecto, Decimal("0.00"), currency)
    if TaxKind.GRATUITO in kinds:
        _tax_subtotal(tt, TaxScheme.GRA, totals.gratuito, totals.igv_gratuito, currency)


def _allowance(
    parent: etree._Element,
    code: str,
    factor: Decimal,
    amount: Decimal,
    base: Decimal,
    currency: str,
) -> None:
    ac = _el(parent, _CAC + "AllowanceCharge")
    _el(ac, _CBC + "ChargeIndicator", "false")
    _el(
        ac,
        _CBC + "AllowanceChargeReasonCode",
        code,
        listAgencyName=_SUNAT,
        listName="Cargo/descuento",
        listURI=_CAT_URI % "53",
    )
    _el(ac, _CBC + "MultiplierFactorNumeric", _num(factor.quantize(Decimal("0.00001"))))
    _amount(ac, _CBC + "Amount", amount, currency)
    _amount(ac, _CBC + "BaseAmount", base, currency)


def _monetary_total(root: etree._Element, tag: str, totals: DocumentTotals, currency: str) -> None:
    mt = _el(root, _CAC + tag)
    _amount(mt, _CBC + "LineExtensionAmount", totals.line_extension, currency)
    _amount(mt, _CBC + "TaxInclusiveAmount", totals.tax_inclusive, currency)
    if totals.allowance_total:
        _amount(mt, _CBC + "AllowanceTotalAmount", totals.allowance_total, currency)
    _amount(mt, _CBC + "PayableAmount", totals.payable, currency)


def _line(
    root: etree._Element,
    index: int,
    lt: LineTotals,
    currency: str,
    line_tag: str,
    qty_tag: str,
) -> None:
    line = lt.line
    node = _el(root, _CAC + line_tag)
    _el(node, _CBC + "ID", str(index))
    _el(
        node,
        _CBC + qty_tag,
        _num(line.quantity),
        unitCode=line.unit.value,
        unitCodeListID="UN/ECE rec 20",
        unitCodeListAgencyName=_UNECE,
    )
    _amount(node, _CBC + "LineExtensionAmount", lt.value, currency)
    acp = _el(_el(node, _CAC + "PricingReference"), _CAC + "AlternativeConditionPrice")
    _el(acp, _CBC + "PriceAmount", format(lt.unit_price, "f"), currencyID=currency)
    _el(
        acp,
        _CBC + "PriceTypeCode",
        lt.price_type.value,
        listName="Tipo de Precio",
        listAgencyName=_SUNAT,
        listURI=_CAT_URI % "16",
    )
    if lt.discount_value:
        _allowance(
            node,
            "00",
            lt.discount_value / lt.gross_value,
            lt.discount_value,
            lt.gross_value,
            currency,
        )
    tt = _el(node, _CAC + "TaxTotal")
    _amount(tt, _CBC + "TaxAmount", lt.igv, currency)
    _tax_subtotal(tt, line.affectation.tax_scheme, lt.value, lt.igv, currency, line=lt)
    item = _el(node, _CAC + "Item")
    _el(item, _CBC + "Description", _clean(line.description, 500))
    code = _item_code(line.code)
    if code:
        _el(_el(item, _CAC + "SellersItemIdentification"), _CBC + "ID", code)
    price = _el(node, _CAC + "Price")
    _el(price, _CBC + "PriceAmount", format(lt.unit_value, "f"), currencyID=currency)


def _notes(root: etree._Element, doc: Document, totals: DocumentTotals) -> None:
    _el(
        root,
        _CBC + "Note",
        amount_in_words(totals.payable),
        languageLocaleID=LegendCode.MONTO_EN_LETRAS.value,
    )
    if totals.has_free_lines:
        _el(
            root,
            _CBC + "Note",
            LEGEND_TEXTS[LegendCode.TRANSFERENCIA_GRATUITA],
            languageLocaleID=LegendCode.TRANSFERENCIA_GRATUITA.value,
        )
    if doc.detraccion is not None and doc.doc_type == DocumentType.FACTURA:
        _el(
            root,
            _CBC + "Note",
            LEGEND_TEXTS[LegendCode.DETRACCION],
            languageLocaleID=LegendCode.DETRACCION.value,
        )
    if doc.observations.strip():
        _el(root, _CBC + "Note", _clean(doc.observations, 200))


def _payment(root: etree._Element, doc: Document, totals: DocumentTotals) -> None:
    """Detracción block and forma de pago (facturas only; boletas carry neither)."""
    cur = doc.currency
    if doc.detraccion is not None:
        det = doc.detraccion
        pm = _el(root, _CAC + "PaymentMeans")
        _el(pm, _CBC + "ID", "Detraccion")
        _el(
            pm,
            _CBC + "PaymentMeansCode",
            det.payment_means_code,
            listAgencyName=_SUNAT,
            listName="Medio de pago",
            listURI=_CAT_URI % "59",
        )
        _el(_el(pm, _CAC + "PayeeFinancialAccount"), _CBC + "ID", det.account)
        pt = _el(root, _CAC + "PaymentTerms")
        _el(pt, _CBC + "ID", "Detraccion")
        _el(
            pt,
            _CBC + "PaymentMeansID",
            det.code,
            schemeName="Codigo de detraccion",
            schemeAgencyName=_SUNAT,
            schemeURI=_CAT_URI % "54",
        )
        _el(pt, _CBC + "PaymentPercent", _num(det.percent))
        _amount(pt, _CBC + "Amount", detraccion_amount(doc, totals), "PEN")
    terms = doc.payment_terms
    if terms is None or terms.method == PaymentMethod.CONTADO:
        pt = _el(root, _CAC + "PaymentTerms")
        _el(pt, _CBC + "ID", "FormaPago")
        _el(pt, _CBC + "PaymentMeansID", PaymentMethod.CONTADO.value)
        return
    pt = _el(root, _CAC + "PaymentTerms")
    _el(pt, _CBC + "ID", "FormaPago")
    _el(pt, _CBC + "PaymentMeansID", PaymentMethod.CREDITO.value)
    owed = sum((inst.amount for inst in terms.installments), Decimal("0.00"))
    _amount(pt, _CBC + "Amount", owed if terms.installments else net_payable(doc, totals), cur)
    for i, inst in enumerate(terms.installments, start=1):
        pt = _el(root, _CAC + "PaymentTerms")
        _el(pt, _CBC + "ID", "FormaPago")
        _el(pt, _CBC + "PaymentMeansID", f"Cuota{i:03d}")
        _amount(pt, _CBC + "Amount", inst.amount, cur)
        _el(pt, _CBC + "PaymentDueDate", _date(inst.due_date))


def _serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


# ------------------------------------------------------------ documents


def build_document(doc: Document, totals: DocumentTotals | None = None) -> etree._Element:
    """The UBL 2.1 tree of a factura, boleta, nota de crédito or nota de débito."""
    if totals is None:
        totals = document_totals(doc)
    root_name, ns, line_tag, qty_tag = _ROOTS[doc.doc_type]
    root = etree.Element(f"{{{ns}}}{root_name}", nsmap=_nsmap(ns))
    cur = doc.currency
    _extensions(root)
    _el(root, _CBC + "UBLVersionID", "2.1")
    _el(root, _CBC + "CustomizationID", "2.0")
    _el(root, _CBC + "ID", doc.id)
    _el(root, _CBC + "IssueDate", _date(doc.issue_date))
    if doc.issue_time is not None:
        _el(root, _CBC + "IssueTime", doc.issue_time.replace(microsecond=0).isoformat())
    is_invoice = root_name == "Invoice"
    if is_invoice:
        if doc.due_date is not None:
            _el(root, _CBC + "DueDate", _date(doc.due_date))
        op = (
            OperationType.SUJETA_DETRACCION
            if doc.detraccion is not None and doc.doc_type == DocumentType.FACTURA
            else OperationType.VENTA_INTERNA
        )
        _el(
            root,
            _CBC + "InvoiceTypeCode",
            doc.doc_type.value,
            listID=op.value,
            listAgencyName=_SUNAT,
            listName="Tipo de Documento",
            listURI=_CAT_URI % "01",
        )
    _notes(root, doc, totals)
    _el(
        root,
        _CBC + "DocumentCurrencyCode",
        cur,
        listID="ISO 4217 Alpha",
        listName="Currency",
        listAgencyName=_UNECE,
    )
    if not is_invoice:
        ref = doc.reference
        reason = doc.note_reason
        if ref is None or reason is None:
            raise ValueError("a note needs its reference document and reason")
        dr = _el(root, _CAC + "DiscrepancyResponse")
        _el(dr, _CBC + "ReferenceID", ref.id)
        cat = "09" if isinstance(reason, CreditNoteReason) else "10"
        _el(
            dr,
            _CBC + "ResponseCode",
            reason.value,
            listAgencyName=_SUNAT,
            listName="Tipo de nota de credito" if cat == "09" else "Tipo de nota de debito",
            listURI=_CAT_URI % cat,
        )
        _el(dr, _CBC + "Description", _clean(doc.note_description or reason.label, 250))
        br = _el(_el(root, _CAC + "BillingReference"), _CAC + "InvoiceDocumentReference")
        _el(br, _CBC + "ID", ref.id)
        _el(
            br,
            _CBC + "DocumentTypeCode",
            ref.doc_type.value,
            listAgencyName=_SUNAT,
            listName="Tipo de Documento",
            listURI=_CAT_URI % "01",
        )
    _signature_block(root, doc.issuer)
    _supplier(root, doc.issuer)
    _customer(root, doc)
    if doc.doc_type == DocumentType.FACTURA:
        _payment(root, doc, totals)
    elif (
        doc.doc_type == DocumentType.NOTA_CREDITO
        and doc.payment_terms is not None
        and doc.payment_terms.method == PaymentMethod.CREDITO
    ):
        _payment(root, doc, totals)
    if totals.global_discount_code is not None:
        _allowance(
            root,
            totals.global_discount_code.value,
            totals.discount_factor,
            totals.global_discount_amount,
            totals.global_discount_base,
            cur,
        )
    _document_taxes(root, totals, cur)
    _monetary_total(
        root,
        "RequestedMonetaryTotal" if root_name == "DebitNote" else "LegalMonetaryTotal",
        totals,
        cur,
    )
    for i, lt in enumerate(totals.lines, start=1):
        _line(root, i, lt, cur, line_tag, qty_tag)
    return root


def render_document(doc: Document, totals: DocumentTotals | None = None) -> bytes:
    """Factura / boleta / nota as unsigned UBL 2.1 bytes (UTF-8, XML declaration)."""
    return _serialize(build_document(doc, totals))


# ------------------------------------------------------------- summaries


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
    sp = _el(root, _CAC + "AccountingSupplierParty")
    _el(sp, _CBC + "CustomerAssignedAccountID", issuer.ruc)
    _el(sp, _CBC + "AdditionalAccountID", IdentityType.RUC.value)
    party = _el(sp, _CAC + "Party")
    if issuer.trade_name:
        _el(_el(party, _CAC + "PartyName"), _CBC + "Name", _clean(issuer.trade_name, 1500))
    _el(
        _el(party, _CAC + "PartyLegalEntity"),
        _CBC + "RegistrationName",
        _clean(issuer.legal_name, 1500),
    )


def _summary_line(root: etree._Element, index: int, line: SummaryLine) -> None:
    cur = line.currency
    node = _el(root, _SAC + "SummaryDocumentsLine")
    _el(node, _CBC + "LineID", str(index))
    _el(node, _CBC + "DocumentTypeCode", line.doc_type.value)
    _el(node, _CBC + "ID", line.id)
    cp = _el(node, _CAC + "AccountingCustomerParty")
    _el(cp, _CBC + "CustomerAssignedAccountID", line.customer_doc_number)
    _el(cp, _CBC + "AdditionalAccountID", line.customer_doc_type.value)
    if line.reference is not None:
        br = _el(_el(node, _CAC + "BillingReference"), _CAC + "InvoiceDocumentReference")
        _el(br, _CBC + "ID", line.reference.id)
        _el(br, _CBC + "DocumentTypeCode", line.reference.doc_type.value)
    _el(_el(node, _CAC + "Status"), _CBC + "ConditionCode", line.condition.value)
    _amount(node, _SAC + "TotalAmount", line.total, cur)
    for code, value in (
        ("01", line.gravado),
        ("02", line.exonerado),
        ("03", line.inafecto),
        ("05", line.gratuito),
    ):
        if value:
            bp = _el(node, _SAC + "BillingPayment")
            _amount(bp, _CBC + "PaidAmount", value, cur)
            _el(bp, _CBC + "InstructionID", code)
    tt = _el(node, _CAC + "TaxTotal")
    _amount(tt, _CBC + "TaxAmount", line.igv, cur)
    sub = _el(tt, _CAC + "TaxSubtotal")
    _amount(sub, _CBC + "TaxAmount", line.igv, cur)
    ts = _el(_el(sub, _CAC + "TaxCategory"), _CAC + "TaxScheme")
    _el(ts, _CBC + "ID", TaxScheme.IGV.value)
    _el(ts, _CBC + "Name", TaxScheme.IGV.scheme_name)
    _el(ts, _CBC + "TaxTypeCode", TaxScheme.IGV.type_code)


def build_summary(summary: SummaryDocument) -> etree._Element:
    root = etree.Element(
        f"{{{NS_SUMMARY}}}SummaryDocuments", nsmap=_nsmap(NS_SUMMARY, summary=True)
    )
    _extensions(root)
    _el(root, _CBC + "UBLVersionID", "2.0")
    _el(root, _CBC + "CustomizationID", "1.1")
    _el(root, _CBC + "ID", summary.id)
    _el(root, _CBC + "ReferenceDate", _date(summary.reference_date))
    _el(root, _CBC + "IssueDate", _date(summary.issue_date))
    _signature_block(root, summary.issuer)
    _summary_supplier(root, summary.issuer)
    for i, line in enumerate(summary.lines, start=1):
        _summary_line(root, i, line)
    return root


def render_summary(summary: SummaryDocument) -> bytes:
    """Resumen diario (RC) as unsigned UBL 2.0 bytes."""
    return _serialize(build_summary(summary))


def build_voided(voided: VoidedDocument) -> etree._Element:
    root = etree.Element(f"{{{NS_VOIDED}}}VoidedDocuments", nsmap=_nsmap(NS_VOIDED, summary=True))
    _extensions(root)
    _el(root, _CBC + "UBLVersionID", "2.0")
    _el(root, _CBC + "CustomizationID", "1.0")
    _el(root, _CBC + "ID", voided.id)
    _el(root, _CBC + "ReferenceDate", _date(voided.reference_date))
    _el(root, _CBC + "IssueDate", _date(voided.issue_date))
    _signature_block(root, voided.issuer)
    _summary_supplier(root, voided.issuer)
    for i, line in enumerate(voided.lines, start=1):
        node = _el(root, _SAC + "VoidedDocumentsLine")
        _el(node, _CBC + "LineID", str(i))
        _el(node, _CBC + "DocumentTypeCode", line.doc_type.value)
        _el(node, _SAC + "DocumentSerialID", line.series)
        _el(node, _SAC + "DocumentNumberID", str(line.number))
        _el(node, _SAC + "VoidReasonDescription", _clean(line.reason, 100))
    return root


def render_voided(voided: VoidedDocument) -> bytes:
    """Comunicación de baja (RA) as unsigned UBL 2.0 bytes."""
    return _serialize(build_voided(voided))


def document_filename(doc: Document) -> str:
    return sunat_filename(doc.issuer.ruc, doc.doc_type, doc.series, doc.number)


def render(obj: Document | SummaryDocument | VoidedDocument) -> bytes:
    """Render any SUNAT document model to unsigned bytes."""
    if isinstance(obj, Document):
        return render_document(obj)
    if isinstance(obj, SummaryDocument):
        return render_summary(obj)
    return render_voided(obj)


def filename_for(obj: Document | SummaryDocument | VoidedDocument) -> str:
    """SUNAT's base file name for any document model (no extension)."""
    if isinstance(obj, Document):
        return document_filename(obj)
    return summary_filename(obj.issuer.ruc, obj.id)


__all__: Sequence[str] = [
    "SIGNATURE_ID",
    "build_document",
    "build_summary",
    "build_voided",
    "document_filename",
    "filename_for",
    "render",
    "render_document",
    "render_summary",
    "render_voided",
    "summary_filename",
    "summary_line_from_document",
    "sunat_filename",
]

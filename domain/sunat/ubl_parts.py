"""UBL parts of a factura, boleta or note (pure, lxml): parties, taxes, discounts, totals and
lines, as SUNAT's validation rules recompute them (see :mod:`domain.sunat.totals`).
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from domain.money import fmt
from domain.sunat.catalogs import IdentityType, TaxKind, TaxScheme
from domain.sunat.models import Address, Document, Issuer
from domain.sunat.totals import DocumentTotals, LineTotals
from domain.sunat.ubl_xml import (
    CAC,
    CAT_URI,
    CBC,
    SUNAT_AGENCY,
    UNECE,
    amount_el,
    clean,
    el,
    num,
)

#: How far ``base × factor`` may land from the allowance amount (SUNAT tolerates ±1).
_FACTOR_TOLERANCE = Decimal("0.50")
#: Notes (07/08): item descriptions of 3-500 characters (rule 4084), names up to 1000 (2022).
_NOTE_DESCRIPTION_MIN = 3
NOTE_NAME_LIMIT = 1000


def item_description(description: str, code: str, *, note: bool) -> str:
    """The item description as rendered: whitespace collapsed, at most 500 characters; on a
    note, one shorter than 3 characters (a test called "K") gets its code appended."""
    text = clean(description, 500)
    if note and len(text) < _NOTE_DESCRIPTION_MIN:
        text = clean(f"{text} ({code.strip() or 'ítem'})", 500)
    return text


def _item_code(code: str) -> str:
    """Product code as SUNAT accepts it (rule 4269: 1-30 ASCII letters and digits)."""
    return "".join(ch for ch in code if ch.isascii() and ch.isalnum())[:30]


def _party_id(parent: etree._Element, scheme: str, number: str) -> None:
    el(
        el(parent, CAC + "PartyIdentification"),
        CBC + "ID",
        number,
        schemeID=scheme,
        schemeName="Documento de Identidad",
        schemeAgencyName=SUNAT_AGENCY,
        schemeURI=CAT_URI % "06",
    )


def _address(parent: etree._Element, address: Address | None, establishment: str) -> None:
    reg = el(parent, CAC + "RegistrationAddress")
    if address is not None and address.ubigeo:
        el(reg, CBC + "ID", address.ubigeo, schemeAgencyName="PE:INEI", schemeName="Ubigeos")
    el(
        reg,
        CBC + "AddressTypeCode",
        establishment,
        listAgencyName=SUNAT_AGENCY,
        listName="Establecimientos anexos",
    )
    if address is None:
        return
    if address.urbanization:
        el(reg, CBC + "CitySubdivisionName", clean(address.urbanization, 25))
    if address.province:
        el(reg, CBC + "CityName", clean(address.province, 30))
    if address.department:
        el(reg, CBC + "CountrySubentity", clean(address.department, 30))
    if address.district:
        el(reg, CBC + "District", clean(address.district, 30))
    if address.line:
        el(el(reg, CAC + "AddressLine"), CBC + "Line", clean(address.line, 200))
    el(
        el(reg, CAC + "Country"),
        CBC + "IdentificationCode",
        address.country,
        listID="ISO 3166-1",
        listAgencyName=UNECE,
        listName="Country",
    )


def add_supplier(root: etree._Element, issuer: Issuer) -> None:
    party = el(el(root, CAC + "AccountingSupplierParty"), CAC + "Party")
    _party_id(party, IdentityType.RUC.value, issuer.ruc)
    if issuer.trade_name:
        el(el(party, CAC + "PartyName"), CBC + "Name", clean(issuer.trade_name, 1500))
    legal = el(party, CAC + "PartyLegalEntity")
    el(legal, CBC + "RegistrationName", clean(issuer.legal_name, 1500))
    _address(legal, issuer.address, issuer.establishment_code)


def add_customer(root: etree._Element, doc: Document) -> None:
    c = doc.customer
    party = el(el(root, CAC + "AccountingCustomerParty"), CAC + "Party")
    _party_id(party, c.doc_type.value, c.doc_number.strip() or "-")
    legal = el(party, CAC + "PartyLegalEntity")
    limit = NOTE_NAME_LIMIT if doc.is_note else 1500
    el(legal, CBC + "RegistrationName", clean(c.name, limit) or "-")
    if c.address.strip():
        reg = el(legal, CAC + "RegistrationAddress")
        el(el(reg, CAC + "AddressLine"), CBC + "Line", clean(c.address, 200))


def _tax_subtotal(
    parent: etree._Element,
    scheme: TaxScheme,
    taxable: Decimal,
    tax: Decimal,
    currency: str,
    *,
    line: LineTotals | None = None,
) -> None:
    sub = el(parent, CAC + "TaxSubtotal")
    amount_el(sub, CBC + "TaxableAmount", taxable, currency)
    amount_el(sub, CBC + "TaxAmount", tax, currency)
    cat = el(sub, CAC + "TaxCategory")
    category = line.line.affectation.tax_category if line is not None else scheme.category
    el(
        cat,
        CBC + "ID",
        category,
        schemeID="UN/ECE 5305",
        schemeName="Tax Category Identifier",
        schemeAgencyName=UNECE,
    )
    if line is not None:
        taxed = line.line.affectation.is_igv_taxed
        el(cat, CBC + "Percent", fmt(line.percent) if taxed else "0.00")
        el(
            cat,
            CBC + "TaxExemptionReasonCode",
            line.line.affectation.value,
            listAgencyName=SUNAT_AGENCY,
            listName="Afectacion del IGV",
            listURI=CAT_URI % "07",
        )
    ts = el(cat, CAC + "TaxScheme")
    el(
        ts,
        CBC + "ID",
        scheme.value,
        schemeID="UN/ECE 5153",
        schemeName="Codigo de tributos",
        schemeAgencyName=SUNAT_AGENCY,
    )
    el(ts, CBC + "Name", scheme.scheme_name)
    el(ts, CBC + "TaxTypeCode", scheme.type_code)


def add_document_taxes(root: etree._Element, totals: DocumentTotals, currency: str) -> None:
    tt = el(root, CAC + "TaxTotal")
    amount_el(tt, CBC + "TaxAmount", totals.total_tax, currency)
    kinds = {lt.kind for lt in totals.lines}
    if TaxKind.GRAVADO in kinds:
        _tax_subtotal(tt, TaxScheme.IGV, totals.gravado, totals.igv, currency)
    if TaxKind.EXONERADO in kinds:
        _tax_subtotal(tt, TaxScheme.EXO, totals.exonerado, Decimal("0.00"), currency)
    if TaxKind.INAFECTO in kinds:
        _tax_subtotal(tt, TaxScheme.INA, totals.inafecto, Decimal("0.00"), currency)
    if TaxKind.GRATUITO in kinds:
        _tax_subtotal(tt, TaxScheme.GRA, totals.gratuito, totals.igv_gratuito, currency)


def add_allowance(
    parent: etree._Element,
    code: str,
    factor: Decimal,
    amount: Decimal,
    base: Decimal,
    currency: str,
) -> None:
    ac = el(parent, CAC + "AllowanceCharge")
    el(ac, CBC + "ChargeIndicator", "false")
    el(
        ac,
        CBC + "AllowanceChargeReasonCode",
        code,
        listAgencyName=SUNAT_AGENCY,
        listName="Cargo/descuento",
        listURI=CAT_URI % "53",
    )
    factor = factor.quantize(Decimal("0.00001"))
    if factor > 0 and abs(base * factor - amount) <= _FACTOR_TOLERANCE:
        # Optional in UBL; with its 5 decimals it cannot reproduce the amount on a base above
        # about S/ 200,000 (rule 4322: base × factor within ±1 of the amount), so then omit it.
        el(ac, CBC + "MultiplierFactorNumeric", num(factor))
    amount_el(ac, CBC + "Amount", amount, currency)
    amount_el(ac, CBC + "BaseAmount", base, currency)


def add_monetary_total(
    root: etree._Element, tag: str, totals: DocumentTotals, currency: str
) -> None:
    mt = el(root, CAC + tag)
    amount_el(mt, CBC + "LineExtensionAmount", totals.line_extension, currency)
    amount_el(mt, CBC + "TaxInclusiveAmount", totals.tax_inclusive, currency)
    if totals.allowance_total:
        amount_el(mt, CBC + "AllowanceTotalAmount", totals.allowance_total, currency)
    amount_el(mt, CBC + "PayableAmount", totals.payable, currency)


def _line_discount(node: etree._Element, lt: LineTotals, currency: str) -> None:
    """Catálogo 53 code 00: line discount affecting the base, in value terms."""
    factor = lt.discount_value / lt.gross_value
    add_allowance(node, "00", factor, lt.discount_value, lt.gross_value, currency)


def add_line(
    root: etree._Element,
    index: int,
    lt: LineTotals,
    currency: str,
    line_tag: str,
    qty_tag: str,
) -> None:
    line = lt.line
    node = el(root, CAC + line_tag)
    el(node, CBC + "ID", str(index))
    el(
        node,
        CBC + qty_tag,
        num(line.quantity),
        unitCode=line.unit.value,
        unitCodeListID="UN/ECE rec 20",
        unitCodeListAgencyName=UNECE,
    )
    amount_el(node, CBC + "LineExtensionAmount", lt.value, currency)
    acp = el(el(node, CAC + "PricingReference"), CAC + "AlternativeConditionPrice")
    el(acp, CBC + "PriceAmount", format(lt.unit_price, "f"), currencyID=currency)
    el(
        acp,
        CBC + "PriceTypeCode",
        lt.price_type.value,
        listName="Tipo de Precio",
        listAgencyName=SUNAT_AGENCY,
        listURI=CAT_URI % "16",
    )
    # InvoiceLine has the line discount before cac:TaxTotal; Credit/DebitNoteLine after it.
    note = line_tag != "InvoiceLine"
    if lt.discount_value and not note:
        _line_discount(node, lt, currency)
    tt = el(node, CAC + "TaxTotal")
    amount_el(tt, CBC + "TaxAmount", lt.igv, currency)
    _tax_subtotal(tt, line.affectation.tax_scheme, lt.value, lt.igv, currency, line=lt)
    if lt.discount_value and note:
        _line_discount(node, lt, currency)
    item = el(node, CAC + "Item")
    el(item, CBC + "Description", item_description(line.description, line.code, note=note))
    code = _item_code(line.code)
    if code:
        el(el(item, CAC + "SellersItemIdentification"), CBC + "ID", code)
    price = el(node, CAC + "Price")
    el(price, CBC + "PriceAmount", format(lt.unit_value, "f"), currencyID=currency)


__all__ = [
    "NOTE_NAME_LIMIT",
    "add_allowance",
    "add_customer",
    "add_document_taxes",
    "add_line",
    "add_monetary_total",
    "add_supplier",
    "item_description",
]

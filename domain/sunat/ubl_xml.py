"""UBL building blocks shared by every SUNAT document (pure, lxml): namespaces, element
helpers, the empty signature slot and SUNAT's file names.

Text values are never pretty-printed (SUNAT's rules read whitespace).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from lxml import etree

from domain.money import fmt
from domain.sunat.catalogs import DocumentType
from domain.sunat.models import Issuer

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

CBC = f"{{{NS_CBC}}}"
CAC = f"{{{NS_CAC}}}"
EXT = f"{{{NS_EXT}}}"
SAC = f"{{{NS_SAC}}}"

SUNAT_AGENCY = "PE:SUNAT"
UNECE = "United Nations Economic Commission for Europe"
CAT_URI = "urn:pe:gob:sunat:cpe:see:gem:catalogos:catalogo%s"


def sunat_filename(ruc: str, doc_type: DocumentType | str, series: str, number: int | str) -> str:
    """SUNAT's base file name: ``20100070970-01-F001-1`` (no extension)."""
    code = doc_type.value if isinstance(doc_type, DocumentType) else str(doc_type)
    return f"{ruc}-{code}-{series}-{number}"


def summary_filename(ruc: str, summary_id: str) -> str:
    """``20100070970-RC-20240115-1`` for a resumen diario or comunicación de baja."""
    return f"{ruc}-{summary_id}"


def el(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    node = etree.SubElement(parent, tag, attrs) if attrs else etree.SubElement(parent, tag)
    if text is not None:
        node.text = text
    return node


def amount_el(parent: etree._Element, tag: str, value: Decimal, currency: str) -> etree._Element:
    return el(parent, tag, fmt(value), currencyID=currency)


def num(value: Decimal) -> str:
    """A quantity or unit price without exponent or needless trailing zeros."""
    text = format(value.normalize(), "f")
    return text


def iso_date(value: dt.date) -> str:
    return value.isoformat()


def clean(text: str, limit: int) -> str:
    """Collapse whitespace and cut to ``limit`` characters (SUNAT's length limits)."""
    return " ".join(text.split())[:limit]


def nsmap_for(default_ns: str, *, summary: bool = False) -> dict[str | None, str]:
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


def add_extensions(root: etree._Element) -> None:
    ext = el(root, EXT + "UBLExtensions")
    el(el(ext, EXT + "UBLExtension"), EXT + "ExtensionContent")


def add_signature(root: etree._Element, issuer: Issuer) -> None:
    sig = el(root, CAC + "Signature")
    el(sig, CBC + "ID", issuer.ruc)
    party = el(sig, CAC + "SignatoryParty")
    el(el(party, CAC + "PartyIdentification"), CBC + "ID", issuer.ruc)
    el(el(party, CAC + "PartyName"), CBC + "Name", clean(issuer.legal_name, 1500))
    att = el(sig, CAC + "DigitalSignatureAttachment")
    el(el(att, CAC + "ExternalReference"), CBC + "URI", "#" + SIGNATURE_ID)


def serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


__all__ = [
    "CAC",
    "CAT_URI",
    "CBC",
    "EXT",
    "NS_CAC",
    "NS_CBC",
    "NS_CREDIT",
    "NS_DEBIT",
    "NS_DS",
    "NS_EXT",
    "NS_INVOICE",
    "NS_SAC",
    "NS_SUMMARY",
    "NS_VOIDED",
    "SAC",
    "SIGNATURE_ID",
    "SUNAT_AGENCY",
    "UNECE",
    "add_extensions",
    "add_signature",
    "amount_el",
    "clean",
    "el",
    "iso_date",
    "nsmap_for",
    "num",
    "serialize",
    "summary_filename",
    "sunat_filename",
]

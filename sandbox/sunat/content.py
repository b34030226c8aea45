"""The file a client sends: its name, the zip, the XML inside and the UBL fields the checks
read (issuer, recipient, identifiers). Anything unreadable is a :class:`SoapFault`."""

from __future__ import annotations

import base64
import binascii
import io
import re
import zipfile

from lxml import etree

from sandbox.sunat.codes import MESSAGES, SoapFault

DS = "http://www.w3.org/2000/09/xmldsig#"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
SAC = "urn:sunat:names:specification:ubl:peru:schema:xsd:SunatAggregateComponents-1"
NS = {"cbc": CBC, "cac": CAC, "sac": SAC, "ds": DS}
UBL = "urn:oasis:names:specification:ubl:schema:xsd:"
SUNAT_UBL = "urn:sunat:names:specification:ubl:peru:schema:xsd:"

DOC_NAME = re.compile(r"^(\d{11})-(\d{2})-([A-Z0-9]{1,4})-(\d{1,8})$")
SUMMARY_NAME = re.compile(r"^(\d{11})-(RC|RA|RR)-(\d{8})-(\d{1,5})$")

PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


def unzip_single(stem: str, content_b64: str) -> bytes:
    try:
        raw = base64.b64decode("".join(content_b64.split()), validate=True)
    except (ValueError, binascii.Error) as exc:
        raise SoapFault("0156") from exc
    if not raw:
        raise SoapFault("0155")
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile as exc:
        raise SoapFault("0156") from exc
    with zf:
        entries = [i for i in zf.infolist() if not i.is_dir()]
        if not entries:
            raise SoapFault("0155")
        xmls = [i for i in entries if i.filename.lower().endswith(".xml")]
        if not xmls:
            raise SoapFault("0157")
        if len(xmls) > 1:
            raise SoapFault("0158")
        if xmls[0].filename != stem + ".xml":
            raise SoapFault("0161")
        try:
            data = zf.read(xmls[0])
        except (zipfile.BadZipFile, OSError) as exc:
            raise SoapFault("0156") from exc
    if not data.strip():
        raise SoapFault("0160", "El archivo XML esta vacio")
    return data


def parse_xml(xml: bytes) -> etree._Element:
    try:
        return etree.fromstring(xml, PARSER)
    except etree.XMLSyntaxError as exc:
        raise SoapFault("0306", f"{MESSAGES['0306']}: {exc}") from exc


def first_text(root: etree._Element, path: str) -> str:
    found = root.find(path, NS)
    return "".join(found.itertext()).strip() if found is not None else ""


def issuer_ruc(root: etree._Element) -> str:
    return (
        first_text(root, "cac:AccountingSupplierParty/cac:Party/cac:PartyIdentification/cbc:ID")
        or first_text(root, "cac:AccountingSupplierParty/cbc:CustomerAssignedAccountID")
        or first_text(root, "cac:Signature/cac:SignatoryParty/cac:PartyIdentification/cbc:ID")
    )


def recipient_id(root: etree._Element) -> str:
    party = root.find("cac:AccountingCustomerParty/cac:Party/cac:PartyIdentification/cbc:ID", NS)
    if party is None or not (party.text or "").strip():
        return ""
    return f"{party.get('schemeID', '')}-{party.text.strip()}".lstrip("-")

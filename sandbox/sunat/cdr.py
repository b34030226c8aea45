"""Signed CDRs (constancias de recepción) in SUNAT's form, for the simulator.

A CDR is an UBL ApplicationResponse (UBL 2.0 / customization 1.0 as SUNAT sends them) with
the answer in ``cac:DocumentResponse/cac:Response`` and observations as ``cbc:Note``
(``"4252 - text"``), signed (enveloped XMLDSig, RSA-SHA256, C14N 1.0) with the simulator's own
self-signed test certificate, zipped as ``R-<name>.zip`` holding ``R-<name>.xml`` (plus the
``dummy/`` folder entry SUNAT's zips often carry).
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree
from signxml import CanonicalizationMethod, DigestAlgorithm, SignatureMethod, XMLSigner, methods

from sandbox.sunat.codes import is_exception
from sandbox.sunat.validation import Verdict
from sync.testcert import TestCertificate, generate

SUNAT_RUC = "20131312955"
LIMA = ZoneInfo("America/Lima")

AR_NS = "urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
EXT = "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2"
DS = "http://www.w3.org/2000/09/xmldsig#"

DOC_TYPE_NAMES = {
    "01": "Factura",
    "03": "Boleta de Venta",
    "07": "Nota de Credito",
    "08": "Nota de Debito",
    "RC": "Resumen diario",
    "RA": "Comunicacion de baja",
    "RR": "Comunicacion de reversion",
}


class CdrSigner:
    """Builds and signs CDRs. Loads the key and certificate once."""

    def __init__(self, cert: TestCertificate | None = None) -> None:
        cert = cert or generate(common_name="SUNAT SIMULADOR", ruc=SUNAT_RUC)
        key = serialization.load_pem_private_key(cert.key_pem, password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise TypeError("the simulator certificate must use an RSA key")
        self._key = key
        self.cert_pem = cert.cert_pem
        self.certificate = x509.load_pem_x509_certificate(cert.cert_pem)
        self._signer = XMLSigner(
            method=methods.enveloped,
            signature_algorithm=SignatureMethod.RSA_SHA256,
            digest_algorithm=DigestAlgorithm.SHA256,
            c14n_algorithm=CanonicalizationMethod.CANONICAL_XML_1_0,
        )

    def build_xml(
        self,
        *,
        name: str,
        receiver_ruc: str,
        reference_id: str,
        response_code: str,
        description: str,
        notes: Sequence[str] = (),
        recipient_id: str = "",
        cdr_id: str = "",
        when: dt.datetime | None = None,
    ) -> bytes:
        """The signed ``R-<name>.xml`` bytes."""
        now = (when or dt.datetime.now(LIMA)).astimezone(LIMA)
        root = etree.Element(
            f"{{{AR_NS}}}ApplicationResponse",
            nsmap={None: AR_NS, "cac": CAC, "cbc": CBC, "ext": EXT, "ds": DS},
        )
        ext = etree.SubElement(root, f"{{{EXT}}}UBLExtensions")
        content = etree.SubElement(
            etree.SubElement(ext, f"{{{EXT}}}UBLExtension"), f"{{{EXT}}}ExtensionContent"
        )
        etree.SubElement(content, f"{{{DS}}}Signature", Id="placeholder")

        def cbc(parent: etree._Element, tag: str, text: str) -> etree._Element:
            el = etree.SubElement(parent, f"{{{CBC}}}{tag}")
            el.text = text
            return el

        def cac(parent: etree._Element, tag: str) -> etree._Element:
            return etree.SubElement(parent, f"{{{CAC}}}{tag}")

        def party_id(parent: etree._Element, tag: str, value: str) -> None:
            cbc(cac(cac(parent, tag), "PartyIdentification"), "ID", value)

        cbc(root, "UBLVersionID", "2.0")
        cbc(root, "CustomizationID", "1.0")
        cbc(root, "ID", cdr_id or now.strftime("%Y%m%d%H%M%S%f"))
        cbc(root, "IssueDate", now.strftime("%Y-%m-%d"))
        cbc(root, "IssueTime", now.strftime("%H:%M:%S"))
        cbc(root, "ResponseDate", now.strftime("%Y-%m-%d"))
        cbc(root, "ResponseTime", now.strftime("%H:%M:%S"))
        for note in notes:
            cbc(root, "Note", note)
        sig = cac(root, "Signature")
        cbc(sig, "ID", "SignSUNAT")
        signatory = cac(sig, "SignatoryParty")
        cbc(cac(signatory, "PartyIdentification"), "ID", SUNAT_RUC)
        cbc(cac(signatory, "PartyName"), "Name", "SUNAT")
        att = cac(cac(sig, "DigitalSignatureAttachment"), "ExternalReference")
        cbc(att, "URI", "#SignSUNAT")
        party_id(root, "SenderParty", SUNAT_RUC)
        party_id(root, "ReceiverParty", receiver_ruc)
        doc_resp = cac(root, "DocumentResponse")
        resp = cac(doc_resp, "Response")
        cbc(resp, "ReferenceID", reference_id)
        cbc(resp, "ResponseCode", response_code)
        cbc(resp, "Description", description)
        cbc(cac(doc_resp, "DocumentReference"), "ID", reference_id)
        if recipient_id:
            party_id(doc_resp, "RecipientParty", recipient_id)

        signed = self._signer.sign(root, key=self._key, cert=self.cert_pem.decode("ascii"))
        signature = signed.find(f".//{{{DS}}}Signature")
        if signature is not None:
            signature.set("Id", "SignSUNAT")
        return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")

    def build_zip(self, name: str, xml: bytes) -> bytes:
        return zip_cdr(name, xml)


def zip_cdr(name: str, xml: bytes) -> bytes:
    """``R-<name>.zip`` bytes holding ``R-<name>.xml`` and a ``dummy/`` folder entry."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo("dummy/"), b"")
        zf.writestr(f"R-{name}.xml", xml)
    return buf.getvalue()


@dataclass(frozen=True)
class Answer:
    """A file's answer: accepted (possibly with observations) or not, SUNAT's description and
    the zipped signed CDR."""

    accepted: bool
    description: str
    cdr_zip: bytes


def answer(
    signer: CdrSigner,
    verdict: Verdict,
    *,
    name: str,
    receiver_ruc: str,
    kind: str,
    reference_id: str,
    recipient_id: str = "",
) -> Answer:
    """The CDR answering a file with ``verdict`` (``sendBill`` and ``sendSummary`` alike):
    ``kind`` is the document type (01, 03, 07, 08) or the summary's (RC, RA, RR)."""
    accepted = not verdict.rejected and not is_exception(verdict.response_code)
    description = (
        accepted_description(kind, reference_id)
        if accepted
        else rejected_description(kind, reference_id, verdict.reason)
    )
    xml = signer.build_xml(
        name=name,
        receiver_ruc=receiver_ruc,
        reference_id=reference_id,
        response_code=verdict.response_code,
        description=description,
        notes=verdict.notes,
        recipient_id=recipient_id,
    )
    return Answer(accepted=accepted, description=description, cdr_zip=signer.build_zip(name, xml))


def accepted_description(doc_type: str, reference_id: str) -> str:
    """``"La Factura numero F001-1, ha sido aceptada"`` (SUNAT's wording)."""
    kind = DOC_TYPE_NAMES.get(doc_type, "Comprobante")
    if doc_type in ("RC", "RA", "RR"):
        return f"El {kind} {reference_id}, ha sido aceptado"
    return f"La {kind} numero {reference_id}, ha sido aceptada"


def rejected_description(doc_type: str, reference_id: str, reason: str) -> str:
    kind = DOC_TYPE_NAMES.get(doc_type, "Comprobante")
    return f"{kind} {reference_id} rechazado: {reason}".strip()


__all__ = [
    "SUNAT_RUC",
    "Answer",
    "CdrSigner",
    "accepted_description",
    "answer",
    "rejected_description",
    "zip_cdr",
]

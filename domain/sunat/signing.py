"""XMLDSig signing of SUNAT documents (enveloped, inside the first empty ext:ExtensionContent).

    signer = Signer.from_pem(key_pem, cert_pem)          # once per process
    signed = signer.sign(render_document(doc))
    signed.xml            # the exact bytes to zip, send and keep
    signed.digest_value   # base64 ds:DigestValue: the hash printed on the ticket and in the QR

What SUNAT accepts in practice (shared/notes/sunat.md): ``Reference URI=""``, the
enveloped-signature transform, inclusive C14N 1.0, RSA-SHA256 (RSA-SHA1 by option), the
X509 certificate in ``KeyInfo``, and ``ds:Signature/@Id`` matching the ``#...`` URI of
``cac:Signature`` (:data:`domain.sunat.ubl.SIGNATURE_ID`).

Keys are parsed once, in the constructor: handing signxml a PEM per call costs ~40 ms,
a loaded key object ~1 ms. Bytes in, bytes out: no files are read here.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from enum import StrEnum

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from lxml import etree
from signxml import (
    CanonicalizationMethod,
    DigestAlgorithm,
    SignatureConfiguration,
    SignatureMethod,
    XMLSigner,
    XMLVerifier,
    methods,
)
from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidSignature
from signxml.util import strip_pem_header

from domain.errors import InvalidInput
from domain.sunat.ubl import NS_DS, NS_EXT, SIGNATURE_ID

_DS = f"{{{NS_DS}}}"
_EXTENSION_CONTENT = f"{{{NS_EXT}}}ExtensionContent"


class SignatureAlgorithm(StrEnum):
    RSA_SHA256 = "rsa-sha256"
    RSA_SHA1 = "rsa-sha1"


class SignEngine(StrEnum):
    """Who assembles the XMLDSig.

    ``native`` builds exactly the structure signxml builds (lxml C14N + hashlib +
    cryptography), without signxml's per-call re-serialising and re-parsing of the whole
    document: about half the time, well inside the 4x-of-a-bare-RSA-signature budget.
    ``signxml`` delegates to signxml's ``XMLSigner``. Both give byte-identical output
    (RSA PKCS#1 v1.5 is deterministic; the tests check it), and both are verified by
    signxml's ``XMLVerifier`` and by xmlsec1.
    """

    NATIVE = "native"
    SIGNXML = "signxml"


_C14N_1_0 = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
_ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
_ALGORITHMS = {
    SignatureAlgorithm.RSA_SHA256: (
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        "http://www.w3.org/2001/04/xmlenc#sha256",
        hashlib.sha256,
        hashes.SHA256,
    ),
    SignatureAlgorithm.RSA_SHA1: (
        "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
        "http://www.w3.org/2000/09/xmldsig#sha1",
        hashlib.sha1,
        hashes.SHA1,
    ),
}


class SignatureError(InvalidInput):
    """A document's signature is missing, malformed or does not match."""

    default_code = "signature_invalid"


@dataclass(frozen=True)
class SignedDocument:
    """The signed bytes (keep them exactly) and the base64 DigestValue (the printed hash)."""

    xml: bytes
    digest_value: str
    signature_value: str


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)


def _load_key(key_pem: bytes, password: bytes | None) -> rsa.RSAPrivateKey:
    try:
        key = serialization.load_pem_private_key(key_pem, password=password)
    except (ValueError, TypeError) as exc:
        raise InvalidInput(
            "No se pudo leer la clave privada del certificado (¿contraseña incorrecta?).",
            code="certificate_key_invalid",
        ) from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise InvalidInput("La clave del certificado debe ser RSA.", code="certificate_key_invalid")
    return key


def _load_cert(cert_pem: bytes) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(cert_pem)
    except ValueError as exc:
        raise InvalidInput(
            "No se pudo leer el certificado digital (PEM).", code="certificate_invalid"
        ) from exc


class _SunatXMLSigner(XMLSigner):
    """signxml refuses SHA1 by default; SUNAT's samples (Greenter, openUBL) still use it."""

    def check_deprecated_methods(self) -> None:
        return None


class Signer:
    """Signs SUNAT XML with one company certificate. Create it once, reuse it."""

    def __init__(
        self,
        key: rsa.RSAPrivateKey,
        certificate: x509.Certificate,
        *,
        algorithm: SignatureAlgorithm = SignatureAlgorithm.RSA_SHA256,
        engine: SignEngine = SignEngine.NATIVE,
    ) -> None:
        if key.public_key().public_numbers() != certificate.public_key().public_numbers():  # type: ignore[union-attr]
            raise InvalidInput(
                "La clave privada no corresponde al certificado.", code="certificate_mismatch"
            )
        self.key = key
        self.certificate = certificate
        self.algorithm = algorithm
        self.engine = engine
        self._cert_pem = certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")
        if algorithm == SignatureAlgorithm.RSA_SHA1:
            sig_alg, dig_alg = SignatureMethod.RSA_SHA1, DigestAlgorithm.SHA1
        else:
            sig_alg, dig_alg = SignatureMethod.RSA_SHA256, DigestAlgorithm.SHA256
        self._signer = _SunatXMLSigner(
            method=methods.enveloped,
            signature_algorithm=sig_alg,
            digest_algorithm=dig_alg,
            c14n_algorithm=CanonicalizationMethod.CANONICAL_XML_1_0,
        )
        self._sig_uri, self._digest_uri, self._hashlib, hash_cls = _ALGORITHMS[algorithm]
        self._hash = hash_cls()
        self._cert_b64 = strip_pem_header(self._cert_pem)

    @classmethod
    def from_pem(
        cls,
        key_pem: bytes,
        cert_pem: bytes,
        *,
        password: bytes | None = None,
        algorithm: SignatureAlgorithm = SignatureAlgorithm.RSA_SHA256,
        engine: SignEngine = SignEngine.NATIVE,
    ) -> Signer:
        return cls(
            _load_key(key_pem, password), _load_cert(cert_pem), algorithm=algorithm, engine=engine
        )

    @classmethod
    def from_pkcs12(
        cls,
        data: bytes,
        password: bytes | None,
        *,
        algorithm: SignatureAlgorithm = SignatureAlgorithm.RSA_SHA256,
        engine: SignEngine = SignEngine.NATIVE,
    ) -> Signer:
        try:
            key, cert, _extra = pkcs12.load_key_and_certificates(data, password)
        except (ValueError, TypeError) as exc:
            raise InvalidInput(
                "No se pudo abrir el certificado PKCS#12 (¿contraseña incorrecta?).",
                code="certificate_invalid",
            ) from exc
        if not isinstance(key, rsa.RSAPrivateKey) or cert is None:
            raise InvalidInput(
                "El PKCS#12 debe contener una clave RSA y su certificado.",
                code="certificate_invalid",
            )
        return cls(key, cert, algorithm=algorithm, engine=engine)

    @property
    def certificate_pem(self) -> bytes:
        return self._cert_pem.encode("ascii")

    def sign(self, xml_bytes: bytes) -> SignedDocument:
        """Sign unsigned UBL bytes; the signature goes into the first empty ExtensionContent."""
        try:
            root = etree.fromstring(xml_bytes, _parser())
        except etree.XMLSyntaxError as exc:
            raise InvalidInput("El XML a firmar no es válido.", code="xml_invalid") from exc
        return self.sign_tree(root)

    def sign_tree(self, root: etree._Element) -> SignedDocument:
        """Sign an lxml tree (e.g. straight from :func:`domain.sunat.ubl.build_document`)."""
        slot = next(
            (el for el in root.iter(_EXTENSION_CONTENT) if len(el) == 0),
            None,
        )
        if slot is None:
            raise InvalidInput(
                "El XML no tiene un ext:ExtensionContent vacío para la firma.",
                code="xml_no_signature_slot",
            )
        slot.text = None
        if self.engine == SignEngine.SIGNXML:
            etree.SubElement(slot, _DS + "Signature", Id="placeholder", nsmap={"ds": NS_DS})
            signed = self._signer.sign(root, key=self.key, cert=[self._cert_pem])
            sig = next(signed.iter(_DS + "Signature"))
            sig.set("Id", SIGNATURE_ID)
        else:
            signed = root
            sig = self._sign_native(root, slot)
        digest = sig.findtext(f"{_DS}SignedInfo/{_DS}Reference/{_DS}DigestValue") or ""
        value = (sig.findtext(_DS + "SignatureValue") or "").strip()
        xml = etree.tostring(signed, xml_declaration=True, encoding="UTF-8")
        return SignedDocument(xml=xml, digest_value=digest.strip(), signature_value=value)

    def _sign_native(self, root: etree._Element, slot: etree._Element) -> etree._Element:
        """Enveloped signature: digest the document while the slot is still empty (what the
        enveloped-signature transform yields), then add the Signature and sign SignedInfo."""
        c14n = etree.tostring(root, method="c14n", exclusive=False, with_comments=False)
        digest = base64.b64encode(self._hashlib(c14n).digest()).decode("ascii")
        sig = etree.SubElement(slot, _DS + "Signature", nsmap={"ds": NS_DS})
        info = etree.SubElement(sig, _DS + "SignedInfo")
        etree.SubElement(info, _DS + "CanonicalizationMethod", Algorithm=_C14N_1_0)
        etree.SubElement(info, _DS + "SignatureMethod", Algorithm=self._sig_uri)
        ref = etree.SubElement(info, _DS + "Reference", URI="")
        transforms = etree.SubElement(ref, _DS + "Transforms")
        etree.SubElement(transforms, _DS + "Transform", Algorithm=_ENVELOPED)
        etree.SubElement(transforms, _DS + "Transform", Algorithm=_C14N_1_0)
        etree.SubElement(ref, _DS + "DigestMethod", Algorithm=self._digest_uri)
        etree.SubElement(ref, _DS + "DigestValue").text = digest
        signed_info = etree.tostring(info, method="c14n", exclusive=False, with_comments=False)
        value = self.key.sign(signed_info, padding.PKCS1v15(), self._hash)
        etree.SubElement(sig, _DS + "SignatureValue").text = base64.b64encode(value).decode()
        x509_data = etree.SubElement(etree.SubElement(sig, _DS + "KeyInfo"), _DS + "X509Data")
        etree.SubElement(x509_data, _DS + "X509Certificate").text = self._cert_b64
        sig.set("Id", SIGNATURE_ID)
        return sig


def extract_certificate(xml_bytes: bytes) -> bytes:
    """The signer's certificate (PEM) from ``ds:KeyInfo/ds:X509Data/ds:X509Certificate``."""
    root = etree.fromstring(xml_bytes, _parser())
    text = root.findtext(f".//{_DS}Signature/{_DS}KeyInfo/{_DS}X509Data/{_DS}X509Certificate")
    if not text or not text.strip():
        raise SignatureError("El documento no contiene el certificado del firmante.")
    body = "".join(text.split())
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return (
        "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"
    ).encode()


def digest_value(xml_bytes: bytes) -> str:
    """The base64 ``ds:DigestValue`` of a signed document (the printed hash)."""
    root = etree.fromstring(xml_bytes, _parser())
    value = root.findtext(f".//{_DS}Signature/{_DS}SignedInfo/{_DS}Reference/{_DS}DigestValue")
    if not value:
        raise SignatureError("El documento no está firmado.")
    return value.strip()


_VERIFY_CONFIG = SignatureConfiguration(
    require_x509=True,
    location=".//",
    signature_methods=frozenset({SignatureMethod.RSA_SHA256, SignatureMethod.RSA_SHA1}),
    digest_algorithms=frozenset({DigestAlgorithm.SHA256, DigestAlgorithm.SHA1}),
)


def verify(xml_bytes: bytes, cert_pem: bytes | None = None) -> str:
    """Verify a signed SUNAT document with signxml; return its DigestValue.

    With ``cert_pem`` the signature must be made by that certificate; without it the
    certificate embedded in ``KeyInfo`` is used (integrity only, not identity). The
    signature must cover the whole document (``Reference URI=""``). Raises
    :class:`SignatureError` when the document was altered or the signature is wrong.
    """
    cert = cert_pem if cert_pem is not None else extract_certificate(xml_bytes)
    try:
        result = XMLVerifier().verify(
            xml_bytes,
            x509_cert=cert.decode("ascii"),
            expect_config=_VERIFY_CONFIG,
            parser=_parser(),
        )
    except (InvalidSignature, InvalidDigest, InvalidCertificate) as exc:
        raise SignatureError(
            "La firma digital del documento no es válida (el XML fue alterado o la firma no"
            " corresponde al certificado)."
        ) from exc
    except etree.XMLSyntaxError as exc:
        raise SignatureError("El XML firmado no es válido.") from exc
    verified = result[0] if isinstance(result, list) else result
    refs = verified.signature_xml.findall(f"{_DS}SignedInfo/{_DS}Reference")
    if len(refs) != 1 or refs[0].get("URI") != "":
        raise SignatureError("La firma no cubre el documento completo.")
    return digest_value(xml_bytes)


__all__ = [
    "SignEngine",
    "SignatureAlgorithm",
    "SignatureError",
    "SignedDocument",
    "Signer",
    "digest_value",
    "extract_certificate",
    "verify",
]

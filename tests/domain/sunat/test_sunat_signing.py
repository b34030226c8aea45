"""XMLDSig: signxml and xmlsec1 accept our signatures and reject altered documents."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import etree

from domain.errors import InvalidInput
from domain.sunat.catalogs import DocumentType
from domain.sunat.signing import (
    SignatureAlgorithm,
    SignatureError,
    SignEngine,
    Signer,
    digest_value,
    extract_certificate,
    verify,
)
from domain.sunat.ubl import NS_CAC, NS_CBC, NS_DS, SIGNATURE_ID, build_document, render
from sync.testcert import TestCertificate as Cert
from sync.testcert import generate

from .factories import doc

DS = {"ds": NS_DS, "cac": NS_CAC, "cbc": NS_CBC}


def _alter(xml: bytes) -> bytes:
    """Change the payable amount after signing (what a fraud would do)."""
    root = etree.fromstring(xml)
    node = root.find("cac:LegalMonetaryTotal/cbc:PayableAmount", DS)
    assert node is not None
    node.text = "1.00"
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def test_signature_structure(signer: Signer) -> None:
    signed = signer.sign(render(doc(DocumentType.FACTURA)))
    root = etree.fromstring(signed.xml)
    sig = root.find(".//ds:Signature", DS)
    assert sig is not None and sig.get("Id") == SIGNATURE_ID
    assert sig.getparent().tag.endswith("ExtensionContent")  # type: ignore[union-attr]
    ref = sig.find("ds:SignedInfo/ds:Reference", DS)
    assert ref is not None and ref.get("URI") == ""
    transforms = [t.get("Algorithm") for t in ref.iterfind("ds:Transforms/ds:Transform", DS)]
    assert transforms == [
        "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
        "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
    ]
    assert sig.find("ds:SignedInfo/ds:SignatureMethod", DS).get("Algorithm").endswith("rsa-sha256")  # type: ignore[union-attr]
    assert sig.findtext("ds:KeyInfo/ds:X509Data/ds:X509Certificate", namespaces=DS)
    uri = root.findtext(
        "cac:Signature/cac:DigitalSignatureAttachment/cac:ExternalReference/cbc:URI", namespaces=DS
    )
    assert uri == "#" + SIGNATURE_ID
    assert signed.digest_value == ref.findtext("ds:DigestValue", namespaces=DS)
    assert digest_value(signed.xml) == signed.digest_value


def test_signxml_verifies_and_rejects_altered(signer: Signer, test_cert: Cert) -> None:
    signed = signer.sign(render(doc(DocumentType.BOLETA)))
    assert verify(signed.xml, test_cert.cert_pem) == signed.digest_value
    assert verify(signed.xml) == signed.digest_value  # certificate taken from KeyInfo
    with pytest.raises(SignatureError) as err:
        verify(_alter(signed.xml), test_cert.cert_pem)
    assert err.value.code == "signature_invalid"


def test_signature_by_another_certificate_is_rejected(signer: Signer) -> None:
    signed = signer.sign(render(doc(DocumentType.BOLETA)))
    with pytest.raises(SignatureError):
        verify(signed.xml, generate().cert_pem)


def test_sign_from_bytes_and_from_tree_are_identical(signer: Signer) -> None:
    d = doc(DocumentType.FACTURA)
    assert signer.sign(render(d)).xml == signer.sign_tree(build_document(d)).xml


@pytest.mark.parametrize("algorithm", list(SignatureAlgorithm))
def test_native_engine_matches_signxml_byte_for_byte(
    test_cert: Cert, algorithm: SignatureAlgorithm
) -> None:
    xml = render(doc(DocumentType.FACTURA))
    native = Signer.from_pem(test_cert.key_pem, test_cert.cert_pem, algorithm=algorithm)
    lib = Signer.from_pem(
        test_cert.key_pem, test_cert.cert_pem, algorithm=algorithm, engine=SignEngine.SIGNXML
    )
    a, b = native.sign(xml), lib.sign(xml)
    assert a.xml == b.xml
    assert verify(a.xml, test_cert.cert_pem) == a.digest_value


def test_pkcs12_and_sha1(test_cert: Cert) -> None:
    p12 = test_cert.pkcs12(b"s3cr3t")
    signer = Signer.from_pkcs12(p12, b"s3cr3t", algorithm=SignatureAlgorithm.RSA_SHA1)
    signed = signer.sign(render(doc(DocumentType.BOLETA)))
    assert b"xmldsig#rsa-sha1" in signed.xml and b"xmldsig#sha1" in signed.xml
    assert verify(signed.xml, test_cert.cert_pem) == signed.digest_value
    with pytest.raises(InvalidInput) as err:
        Signer.from_pkcs12(p12, b"wrong")
    assert err.value.code == "certificate_invalid"


def test_mismatched_key_and_certificate_are_refused(test_cert: Cert) -> None:
    with pytest.raises(InvalidInput) as err:
        Signer.from_pem(test_cert.key_pem, generate().cert_pem)
    assert err.value.code == "certificate_mismatch"


def test_document_without_slot_is_refused(signer: Signer) -> None:
    signed = signer.sign(render(doc(DocumentType.BOLETA)))
    with pytest.raises(InvalidInput) as err:
        signer.sign(signed.xml)  # the only slot is taken
    assert err.value.code == "xml_no_signature_slot"


def test_extracted_certificate_is_the_signers(signer: Signer, test_cert: Cert) -> None:
    signed = signer.sign(render(doc(DocumentType.BOLETA)))
    assert b"".join(extract_certificate(signed.xml).split()) == b"".join(test_cert.cert_pem.split())


XMLSEC1 = shutil.which("xmlsec1")


def _xmlsec1(path: Path) -> subprocess.CompletedProcess[str]:
    assert XMLSEC1 is not None
    return subprocess.run(
        [XMLSEC1, "--verify", "--insecure", "--enabled-key-data", "x509", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.mark.skipif(XMLSEC1 is None, reason="xmlsec1 not installed (apt-get install xmlsec1)")
@pytest.mark.parametrize("algorithm", list(SignatureAlgorithm))
@pytest.mark.parametrize("doc_type", [DocumentType.FACTURA, DocumentType.BOLETA])
def test_xmlsec1_verifies_and_rejects_altered(
    tmp_path: Path,
    test_cert: Cert,
    algorithm: SignatureAlgorithm,
    doc_type: DocumentType,
) -> None:
    signer = Signer.from_pem(test_cert.key_pem, test_cert.cert_pem, algorithm=algorithm)
    signed = signer.sign(render(doc(doc_type)))
    good = tmp_path / "good.xml"
    good.write_bytes(signed.xml)
    result = _xmlsec1(good)
    assert result.returncode == 0 and "OK" in result.stdout + result.stderr, result.stderr
    bad = tmp_path / "bad.xml"
    bad.write_bytes(_alter(signed.xml))
    result = _xmlsec1(bad)
    assert result.returncode != 0 and "FAIL" in result.stdout + result.stderr

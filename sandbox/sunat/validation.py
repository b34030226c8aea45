"""The content checks every file goes through: the XMLDSig signature (verified against the
certificate embedded in KeyInfo) and, with SUNAT's validation data, the XSD and SUNAT's XSL
rules; the outcome is a :class:`Verdict`."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from cryptography import x509
from lxml import etree
from signxml import DigestAlgorithm, SignatureConfiguration, SignatureMethod, XMLVerifier
from signxml.exceptions import InvalidInput as SignxmlInvalidInput
from signxml.exceptions import InvalidSignature

from sandbox.sunat.codes import MESSAGES, SoapFault
from sandbox.sunat.content import DS


def load_validator(sunat_data: Path) -> ModuleType:
    """Import ``<sunat_data>/validate.py`` (SUNAT's XSD + XSL checker) by path."""
    path = sunat_data / "validate.py"
    spec = importlib.util.spec_from_file_location("labred_sunat_validate", path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(f"validate.py not found in {sunat_data}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Verdict:
    """Outcome of the content checks of one document."""

    response_code: str = "0"
    reason: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> bool:
        return 2000 <= int(self.response_code) < 4000


def verify_signature(
    xml: bytes, root: etree._Element, descriptions: dict[str, str]
) -> Verdict | None:
    """None when the signature is fine; a rejection verdict when it was altered."""
    sig = root.find(f".//{{{DS}}}Signature")
    cert_el = root.find(f".//{{{DS}}}Signature//{{{DS}}}X509Certificate")
    if sig is None or cert_el is None or not (cert_el.text or "").strip():
        raise SoapFault("1059")
    try:
        der = base64.b64decode("".join((cert_el.text or "").split()))
        cert = x509.load_der_x509_certificate(der)
    except (ValueError, binascii.Error):
        return Verdict(response_code="2336", reason="Certificado ilegible en la firma")
    # Test certificates are self-signed and often expired: check the maths, not the chain.
    when = max(cert.not_valid_before_utc, min(dt.datetime.now(dt.UTC), cert.not_valid_after_utc))
    config = SignatureConfiguration(
        require_x509=True,
        signature_methods=frozenset(SignatureMethod),
        digest_algorithms=frozenset(DigestAlgorithm),
        verification_time=when,
    )
    try:
        XMLVerifier().verify(xml, x509_cert=cert, expect_config=config)
    except InvalidSignature:
        return Verdict(response_code="2335", reason=descriptions["2335"])
    except (SignxmlInvalidInput, ValueError) as exc:
        return Verdict(response_code="2336", reason=f"Firma inválida: {exc}")
    return None


def run_rules(
    xml: bytes,
    stem: str,
    root: etree._Element,
    *,
    validator: ModuleType | None,
    sunat_data: Path | None,
    descriptions: dict[str, str],
) -> Verdict:
    """XSD + SUNAT's XSL rules via validate.py, when the data folder is available."""
    if validator is None or sunat_data is None:
        return Verdict()
    v = validator
    data_dir = str(sunat_data)
    doc = root.getroottree()
    info = v.detect(root)
    if info is None:
        raise SoapFault("0302")
    _rel, xsd_errors = v.check_xsd(doc, info, data_dir)
    if xsd_errors:
        raise SoapFault("0305", f"{MESSAGES['0305']}: {xsd_errors[0]}"[:500])
    _rel, errors, warnings, _note = v.check_rules(doc, info, data_dir, stem + ".xml", False)
    notes = [
        f"{code} - {descriptions.get(code) or msg}".strip()
        for code, msg in warnings
        if code.isdigit()
    ]
    for err in errors:
        code, _, msg = err.partition(":")
        code = code.strip()
        if code.isdigit():
            return Verdict(
                response_code=code.zfill(4) if int(code) < 2000 else code,
                reason=descriptions.get(code) or msg.strip(),
                notes=notes,
            )
    return Verdict(notes=notes)

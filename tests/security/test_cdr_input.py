"""A CDR is outside input (SUNAT or an OSE, over the network): external entities are never
resolved, and a zip bomb is refused unread instead of filling the worker's memory."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import pytest

from edge.billing.cdr_parser import MAX_CDR_XML, CdrParseError, parse_cdr, parse_cdr_xml

CDR = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    "{doctype}"
    '<ar:ApplicationResponse xmlns:ar="urn:oasis:names:specification:ubl:schema:xsd:'
    'ApplicationResponse-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:'
    'CommonBasicComponents-2" xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:'
    'CommonAggregateComponents-2">'
    "<cbc:ID>1</cbc:ID><cbc:Note>{note}</cbc:Note>"
    "<cac:DocumentResponse><cac:Response><cbc:ReferenceID>F001-1</cbc:ReferenceID>"
    "<cbc:ResponseCode>0</cbc:ResponseCode><cbc:Description>ok</cbc:Description>"
    "</cac:Response></cac:DocumentResponse></ar:ApplicationResponse>"
)


def test_external_entities_in_a_cdr_are_not_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secreto.txt"
    secret.write_text("CLAVE-PRIVADA-DEL-CERTIFICADO")
    doctype = f'<!DOCTYPE ar [<!ENTITY xxe SYSTEM "file://{secret}">]>'
    xml = CDR.format(doctype=doctype, note="4000 - &xxe;").encode()
    cdr = parse_cdr_xml(xml)
    assert cdr.response_code == 0
    assert "CLAVE-PRIVADA" not in repr(cdr.notes) + cdr.description


def test_a_zip_bomb_cdr_is_refused_unread() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("R-20100066603-01-F001-1.xml", "w") as member:
            member.write(CDR.format(doctype="", note="x").encode()[:-25])
            chunk = b" " * (1024 * 1024)
            for _ in range(MAX_CDR_XML // len(chunk) + 20):
                member.write(chunk)
    bomb = buf.getvalue()
    assert len(bomb) < 200 * 1024  # a small download that inflates past the limit
    started = time.perf_counter()
    with pytest.raises(CdrParseError, match="supera"):
        parse_cdr(bomb)
    assert time.perf_counter() - started < 5

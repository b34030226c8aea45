"""``sendBill`` and ``getStatusCdr``: one document (factura, boleta, nota) per zip, checked in
SUNAT's order (name, zip, identity against the name, duplicates, signature, rules) and answered
with a signed CDR; the registered documents' CDRs looked up again."""

from __future__ import annotations

import hashlib
import re

from lxml import etree

from sandbox.sunat.cdr import answer
from sandbox.sunat.codes import MESSAGES, SoapFault, is_exception
from sandbox.sunat.content import (
    DOC_NAME,
    SUMMARY_NAME,
    UBL,
    first_text,
    issuer_ruc,
    parse_xml,
    recipient_id,
    unzip_single,
)
from sandbox.sunat.registry import Registry
from sandbox.sunat.state import DocRecord, timestamp
from sandbox.sunat.validation import Verdict

SERIES_RULES = {
    "01": re.compile(r"^(F[A-Z0-9]{3}|\d{1,4})$"),
    "03": re.compile(r"^(B[A-Z0-9]{3}|\d{1,4})$"),
    "07": re.compile(r"^([FBS][A-Z0-9]{3}|\d{1,4})$"),
    "08": re.compile(r"^([FBS][A-Z0-9]{3}|\d{1,4})$"),
}


def send_bill(reg: Registry, user_ruc: str, filename: str, content_b64: str) -> tuple[bytes, bool]:
    """Returns (CDR zip, drop) — ``drop`` asks the transport to answer 500 instead."""
    stem = filename[:-4] if filename.endswith(".zip") else ""
    m = DOC_NAME.match(stem)
    if not m:
        raise SoapFault("0152" if SUMMARY_NAME.match(stem) else "0151")
    ruc, doc_type, series, number_text = m.groups()
    number = int(number_text)
    if ruc != user_ruc:
        raise SoapFault("0154")
    xml = unzip_single(stem, content_b64)
    root = parse_xml(xml)
    check_document_identity(root, ruc, doc_type, series, number)
    digest = hashlib.sha256(xml).hexdigest()
    key = f"{ruc}-{doc_type}-{series}-{number}"
    with reg.lock:
        existing = reg.state.documents.get(key)
        if existing is not None:
            existing.sends += 1
            existing.duplicate_sends += 1
            existing.last_send_at = timestamp()
            reg.store.save("doc", key, existing)
            if existing.status in ("rechazado", "anulado"):
                raise SoapFault("1032")
            if existing.sha256 == digest:
                raise SoapFault("1033")
            raise SoapFault("2109")
        verdict = reg.check_content(xml, stem, root)
        if is_exception(verdict.response_code):
            raise SoapFault(verdict.response_code.zfill(4), verdict.reason or None)
        if not verdict.rejected and reg.faults.take("reject"):
            forced = reg.faults.reject_code
            reason = reg.descriptions.get(forced, "Rechazo forzado por el simulador")
            if int(forced) >= 4000:
                verdict.notes.append(f"{forced} - {reason}")
            else:
                verdict = Verdict(response_code=forced, reason=reason)
        if is_exception(verdict.response_code):
            raise SoapFault(verdict.response_code.zfill(4), verdict.reason or None)
        cdr = answer(
            reg.signer,
            verdict,
            name=stem,
            receiver_ruc=ruc,
            kind=doc_type,
            reference_id=f"{series}-{number}",
            recipient_id=recipient_id(root),
        )
        if cdr.accepted:
            status = "observado" if verdict.notes else "aceptado"
        else:
            status = "rechazado"
        now = timestamp()
        record = DocRecord(
            filename=stem,
            ruc=ruc,
            doc_type=doc_type,
            series=series,
            number=number,
            sha256=digest,
            status=status,
            response_code=verdict.response_code,
            description=cdr.description,
            notes=list(verdict.notes),
            cdr_zip=cdr.cdr_zip,
            received_at=now,
            last_send_at=now,
            issue_date=first_text(root, "cbc:IssueDate"),
        )
        reg.state.documents[key] = record
        reg.store.save("doc", key, record)
        return cdr.cdr_zip, reg.faults.take("drop_after_accept")


def get_status_cdr(
    reg: Registry, user_ruc: str, ruc: str, doc_type: str, series: str, number: str
) -> tuple[str, str, bytes | None]:
    if not re.fullmatch(r"\d{11}", ruc or ""):
        return "0002", "Solo se permite dato numérico de 11 dígitos para el RUC", None
    if not number.isdigit() or int(number) <= 0:
        return "0010", "Número de comprobante no válido", None
    if ruc != user_ruc:
        return "0012", "No está autorizado a consultar comprobantes de este contribuyente", None
    with reg.lock:
        record = reg.state.documents.get(f"{ruc}-{doc_type}-{series}-{int(number)}")
        if record is None or not record.cdr_zip:
            return "0011", MESSAGES["0011"], None
        return "0004", "La constancia existe", record.cdr_zip


def check_document_identity(
    root: etree._Element, ruc: str, doc_type: str, series: str, number: int
) -> None:
    kinds = {
        (UBL + "Invoice-2", "Invoice"): None,
        (UBL + "CreditNote-2", "CreditNote"): "07",
        (UBL + "DebitNote-2", "DebitNote"): "08",
    }
    qn = etree.QName(root)
    if (qn.namespace, qn.localname) not in kinds:
        raise SoapFault("0302")
    content_type = kinds[(qn.namespace, qn.localname)] or first_text(root, "cbc:InvoiceTypeCode")
    if content_type != doc_type:
        raise SoapFault("1003")
    if issuer_ruc(root) != ruc:
        raise SoapFault("1034")
    ident = first_text(root, "cbc:ID")
    c_series, _, c_number = ident.partition("-")
    if c_series != series:
        raise SoapFault("1035")
    if not c_number.isdigit() or int(c_number) != number:
        raise SoapFault("1036")
    rule = SERIES_RULES.get(doc_type)
    if rule is None or not rule.match(series) or not 1 <= number <= 99_999_999:
        raise SoapFault("1001")

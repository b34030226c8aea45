"""``sendSummary`` and ``getStatus``: summaries (RC resumen diario, RA comunicación de baja)
get a ticket; ``getStatus`` answers 98 for ``Faults.summary_pending_polls`` polls, then 0 (or
99) with the CDR, and applies the lines: RC condition 3 voids the boleta, RA voids the
document."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import Any

from lxml import etree

from sandbox.sunat.cdr import answer
from sandbox.sunat.codes import SoapFault
from sandbox.sunat.content import (
    NS,
    SUMMARY_NAME,
    first_text,
    issuer_ruc,
    parse_xml,
    unzip_single,
)
from sandbox.sunat.ra_checks import check_voided_lines
from sandbox.sunat.registry import Registry
from sandbox.sunat.state import TicketRecord, timestamp


def send_summary(reg: Registry, user_ruc: str, filename: str, content_b64: str) -> tuple[str, bool]:
    stem = filename[:-4] if filename.endswith(".zip") else ""
    m = SUMMARY_NAME.match(stem)
    if not m:
        raise SoapFault("0151")
    ruc, kind, _date, _seq = m.groups()
    if ruc != user_ruc:
        raise SoapFault("0154")
    xml = unzip_single(stem, content_b64)
    root = parse_xml(xml)
    expected_root = "SummaryDocuments" if kind == "RC" else "VoidedDocuments"
    if etree.QName(root).localname != expected_root:
        raise SoapFault("0302")
    if issuer_ruc(root) != ruc:
        raise SoapFault("1034")
    ident = first_text(root, "cbc:ID")
    if ident != stem[12:]:
        raise SoapFault("1036" if ident[:2] == kind else "2220")
    digest = hashlib.sha256(xml).hexdigest()
    with reg.lock:
        for t in reg.state.tickets.values():
            if t.filename == stem:
                t.sends += 1
                reg.store.save("ticket", t.ticket, t)
                if t.sha256 == digest:
                    return t.ticket, False  # same file again: same ticket
                raise SoapFault("2223", reg.descriptions.get("2223"))
        verdict = reg.check_content(xml, stem, root)
        # An exception found while processing a summary shows up as a ticket with 99.
        lines = summary_lines(root, kind)
        if verdict.response_code == "0" and kind in ("RA", "RR"):
            verdict = check_voided_lines(reg, ruc, root, lines) or verdict
        cdr = answer(
            reg.signer, verdict, name=stem, receiver_ruc=ruc, kind=kind, reference_id=stem[12:]
        )
        ticket = f"{int(dt.datetime.now(dt.UTC).timestamp() * 1000)}{uuid.uuid4().int % 1000:03d}"
        while ticket in reg.state.tickets:
            ticket = str(int(ticket) + 1)
        record = TicketRecord(
            ticket=ticket,
            filename=stem,
            ruc=ruc,
            kind=kind,
            sha256=digest,
            status_code=0 if cdr.accepted else 99,
            response_code=verdict.response_code,
            description=cdr.description,
            cdr_zip=cdr.cdr_zip,
            lines=lines,
            received_at=timestamp(),
        )
        reg.state.tickets[ticket] = record
        reg.store.save("ticket", ticket, record)
        return ticket, reg.faults.take("drop_after_accept")


def get_status(reg: Registry, user_ruc: str, ticket: str) -> tuple[int, bytes | None]:
    with reg.lock:
        record = reg.state.tickets.get(ticket.strip())
        if record is None:
            raise SoapFault("0127")
        if record.ruc != user_ruc:
            raise SoapFault("0126", "El ticket no le pertenece al usuario")
        record.polls += 1
        if record.polls <= reg.faults.summary_pending_polls:
            reg.store.save("ticket", record.ticket, record)
            return 98, None
        if record.status_code == 0 and not record.applied:
            apply_summary(reg, record)
        record.applied = True
        reg.store.save("ticket", record.ticket, record)
        return record.status_code, record.cdr_zip


def apply_summary(reg: Registry, record: TicketRecord) -> None:
    for line in record.lines:
        key = f"{record.ruc}-{line['doc_type']}-{line['series']}-{line['number']}"
        doc = reg.state.documents.get(key)
        if record.kind in ("RA", "RR") or line.get("condition") == "3":
            if doc is not None:
                doc.status = "anulado"
                reg.store.save("doc", key, doc)
            status = "anulado"
        elif line.get("condition") == "2":
            status = "modificado"
        else:
            status = "aceptado"
        entry = {
            "key": key,
            "ruc": record.ruc,
            **line,
            "status": status,
            "summary": record.filename,
            "ticket": record.ticket,
        }
        reg.state.summary_lines[key] = entry
        reg.store.save("line", key, entry)


def summary_lines(root: etree._Element, kind: str) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    if kind == "RC":
        for line in root.findall("sac:SummaryDocumentsLine", NS):
            series, _, number = first_text(line, "cbc:ID").partition("-")
            lines.append(
                {
                    "doc_type": first_text(line, "cbc:DocumentTypeCode"),
                    "series": series,
                    "number": int(number) if number.isdigit() else number,
                    "condition": first_text(line, "cac:Status/cbc:ConditionCode"),
                }
            )
    else:
        for line in root.findall("sac:VoidedDocumentsLine", NS):
            number = first_text(line, "sac:DocumentNumberID")
            lines.append(
                {
                    "doc_type": first_text(line, "cbc:DocumentTypeCode"),
                    "series": first_text(line, "sac:DocumentSerialID"),
                    "number": int(number) if number.isdigit() else number,
                    "reason": first_text(line, "sac:VoidReasonDescription"),
                }
            )
    return lines

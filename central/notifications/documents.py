"""What an accepted document's e-mail carries: a printable summary (PDF, fpdf2) with the
document's hash, and the signed XML and SUNAT's CDR exactly as the sede sent and received them
(replicated as ``invoice_document`` records, base64, with the accepted state).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from sqlmodel import Session, select

from central.config.models import Company
from central.notifications.adapters import Attachment
from domain.money import fmt_soles, from_cents
from sync.pdffonts import prepare

LABELS = {"01": "FACTURA ELECTRÓNICA", "03": "BOLETA DE VENTA ELECTRÓNICA"}


def invoice_pdf(session: Session, invoice: dict[str, Any]) -> bytes:
    from fpdf import FPDF

    company = session.exec(select(Company)).first()
    pdf = FPDF(format=(148, 210))  # A5
    fonts = prepare(pdf)  # Unicode (Roboto) text; Latin-1 if the font is missing
    t = fonts.text
    pdf.add_page()
    pdf.set_font(fonts.family, "B", 12)
    if company:
        pdf.cell(0, 6, t(company.razon_social), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(fonts.family, "", 9)
        pdf.cell(0, 5, t(f"RUC {company.ruc}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font(fonts.family, "B", 11)
    pdf.cell(0, 6, t(LABELS.get(str(invoice.get("doc_type")), "COMPROBANTE")),
             new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    pdf.cell(0, 6, t(f"{invoice.get('series')}-{invoice.get('number')}"),
             new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    pdf.set_font(fonts.family, "", 9)
    for label, value in (
        ("Cliente", invoice.get("customer_name")),
        ("Documento", invoice.get("customer_doc_number")),
        ("Fecha", str(invoice.get("issued_at", ""))[:10]),
        ("IGV", f"{fmt_soles(from_cents(int(invoice.get('igv') or 0)))}"),
        ("Total", f"{fmt_soles(from_cents(int(invoice.get('total') or 0)))}"),
        ("Estado SUNAT", invoice.get("state")),
        ("Hash", invoice.get("digest_value")),
    ):
        pdf.cell(0, 5, t(f"{label}: {value or ''}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.multi_cell(0, 4, t("Representación resumida del comprobante electrónico. Puede "
                            "consultar su validez en www.sunat.gob.pe."))  # fmt: skip
    return bytes(pdf.output())


def _decoded(value: Any) -> bytes | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


def signed_files(document: dict[str, Any]) -> list[Attachment]:
    """The signed XML (and the CDR zip, when there is one) of an ``invoice_document`` payload;
    empty when the record has not arrived or is unreadable."""
    xml = _decoded(document.get("xml_b64"))
    name = str(document.get("xml_filename") or "")
    if xml is None or not name.endswith(".xml"):
        return []
    out = [Attachment(name, xml, "application/xml")]
    cdr = _decoded(document.get("cdr_b64"))
    cdr_name = str(document.get("cdr_filename") or "")
    if cdr is not None and cdr_name:
        out.append(Attachment(cdr_name, cdr, "application/zip"))
    return out

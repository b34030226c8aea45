"""A printable summary of an accepted document, attached to its e-mail (PDF, fpdf2).

The signed XML and the CDR stay at the sede (they are not replicated); the hub attaches this
summary with the document's hash so the patient can check it against SUNAT.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from central.config.models import Company
from domain.money import fmt, from_cents

LABELS = {"01": "FACTURA ELECTRÓNICA", "03": "BOLETA DE VENTA ELECTRÓNICA"}


def _t(value: Any) -> str:
    return str(value or "").encode("latin-1", "replace").decode("latin-1")


def invoice_pdf(session: Session, invoice: dict[str, Any]) -> bytes:
    from fpdf import FPDF

    company = session.exec(select(Company)).first()
    pdf = FPDF(format=(148, 210))  # A5
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 12)
    if company:
        pdf.cell(0, 6, _t(company.razon_social), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 9)
        pdf.cell(0, 5, _t(f"RUC {company.ruc}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 6, _t(LABELS.get(str(invoice.get("doc_type")), "COMPROBANTE")),
             new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    pdf.cell(0, 6, _t(f"{invoice.get('series')}-{invoice.get('number')}"),
             new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    pdf.set_font("Helvetica", "", 9)
    for label, value in (
        ("Cliente", invoice.get("customer_name")),
        ("Documento", invoice.get("customer_doc_number")),
        ("Fecha", str(invoice.get("issued_at", ""))[:10]),
        ("IGV", f"S/ {fmt(from_cents(int(invoice.get('igv') or 0)))}"),
        ("Total", f"S/ {fmt(from_cents(int(invoice.get('total') or 0)))}"),
        ("Estado SUNAT", invoice.get("state")),
        ("Hash", invoice.get("digest_value")),
    ):
        pdf.cell(0, 5, _t(f"{label}: {value or ''}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.multi_cell(0, 4, _t("Representación resumida del comprobante electrónico. Puede "
                            "consultar su validez en www.sunat.gob.pe."))  # fmt: skip
    return bytes(pdf.output())

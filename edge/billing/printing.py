"""Printed representation (representación impresa): A4 PDF, 80 mm ticket PDF, HTML ticket.

In Spanish: company, sede address, document type, series-number, customer, lines, taxes,
totals, under them the forma de pago and how it was paid (:mod:`edge.billing.print_payments`:
payments with the change, or a note's refunds), amount in words, the hash (DigestValue of the
signed XML that was sent) and the QR
(``RUC|type|series|number|IGV|total|date|customer doc type|customer doc number|hash``).
PDFs embed a Unicode font through :mod:`sync.pdffonts` (β-HCG prints as such; every text goes
through ``fonts.text``, which falls back to Latin-1 when the font is missing); the HTML escapes
every value that comes from users. A boleta or factura of an order also says what the
reception took from the medical order: "Médico: NAME (CMP 45123)" when it names the ordering
physician, and "URGENTE" when it is urgent.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlmodel import Session, select

from domain.clock import LIMA
from domain.money import fmt, fmt_soles
from domain.physician import Priority
from domain.results_promise import format_promise
from domain.sunat import (
    CreditNoteReason,
    DocumentType,
    qr_payload,
    qr_png,
    qr_svg,
)
from domain.words import amount_in_words
from edge.billing.documents import lines_of
from edge.billing.models import Invoice
from edge.billing.print_payments import (
    PaymentRow,
    PrintInstallment,
    PrintPayment,
    credit_terms,
    payment_rows,
    payment_text,
    payments_for,
)
from edge.config.models import Company, Sede
from edge.orders.models import Order
from sync.pdffonts import PdfFonts, prepare

if TYPE_CHECKING:
    from fpdf import FPDF

_ID_LABELS = {"0": "DOC.", "1": "DNI", "4": "C.E.", "6": "RUC", "7": "PASAPORTE"}
URGENT = "URGENTE"


@dataclass(frozen=True)
class PrintLine:
    code: str
    description: str
    quantity: int
    unit_price: Decimal
    total: Decimal


@dataclass(frozen=True)
class PrintData:
    company_ruc: str
    company_name: str
    trade_name: str
    company_address: str
    sede_name: str
    sede_address: str
    title: str
    full_number: str
    issued_at: dt.datetime
    customer_id_label: str
    customer_doc_number: str
    customer_name: str
    customer_address: str
    lines: tuple[PrintLine, ...]
    gravado: Decimal
    exonerado: Decimal
    inafecto: Decimal
    discount: Decimal
    igv: Decimal
    total: Decimal
    words: str
    digest_value: str
    qr_text: str
    reference: str | None
    reason: str
    state: str
    payment: str | None = None  # forma de pago (facturas): "Contado" / "Crédito — vence …"
    installments: tuple[PrintInstallment, ...] = ()  # the cuotas of a crédito document
    net_pending: Decimal | None = None  # monto neto pendiente de pago (crédito)
    restates_terms: bool = False  # nota de crédito 13: the terms are the factura's new ones
    payments: tuple[PrintPayment, ...] = ()  # the order's payments up to this document
    refunds: tuple[PrintPayment, ...] = ()  # a nota de crédito: what the order refunded
    results_promise: str | None = None  # "Entrega de resultados: martes 01/12/2026 desde ..."
    physician: str | None = None  # "Médico: PÉREZ ROJAS JUAN (CMP 45123)"
    urgent: bool = False  # the order's priority is "urgente"


def _sale_order(session: Session, inv: Invoice) -> Order | None:
    """The order a boleta or factura sold (notes and convenio invoices have none of their own)."""
    if inv.order_id is None or inv.doc_type not in ("01", "03"):
        return None
    return session.get(Order, inv.order_id)


def _promise(order: Order | None) -> str | None:
    """The sale's promised results (an order sold with one)."""
    if order is None or order.results_promised_at is None:
        return None
    return f"Entrega de resultados: {format_promise(order.results_promised_at)}"


def _physician(order: Order | None) -> str | None:
    """The ordering physician as the counter pages show it, with their CMP when given."""
    if order is None or not order.physician_name:
        return None
    cmp = f" (CMP {order.physician_cmp})" if order.physician_cmp else ""
    return f"Médico: {order.physician_name}{cmp}"


def print_data(session: Session, inv: Invoice) -> PrintData:
    company = session.exec(select(Company)).first()
    sede = session.get(Sede, inv.sede_id)
    ruc = company.ruc if company else ""
    label = DocumentType(inv.doc_type).label
    installments, net_pending = credit_terms(inv)
    payments, refunds = payments_for(session, inv)
    order = _sale_order(session, inv)
    return PrintData(
        company_ruc=ruc,
        company_name=company.razon_social if company else "",
        trade_name=company.nombre_comercial if company else "",
        company_address=company.address if company else "",
        sede_name=sede.name if sede else "",
        sede_address=sede.address if sede else "",
        title=label,
        full_number=inv.full_number,
        issued_at=inv.issued_at.astimezone(LIMA),
        customer_id_label=_ID_LABELS.get(inv.customer_doc_type, "DOC."),
        customer_doc_number=inv.customer_doc_number,
        customer_name=inv.customer_name,
        customer_address=inv.customer_address,
        lines=tuple(
            PrintLine(ln.code, ln.description, ln.quantity, ln.unit_price, ln.total)
            for ln in lines_of(session, inv.id)
        ),
        gravado=inv.gravado,
        exonerado=inv.exonerado,
        inafecto=inv.inafecto,
        discount=inv.global_discount,
        igv=inv.igv,
        total=inv.total,
        words=amount_in_words(inv.total),
        digest_value=inv.digest_value,
        qr_text=qr_payload(
            ruc,
            inv.doc_type,
            inv.series,
            inv.number,
            inv.igv,
            inv.total,
            inv.business_date,
            inv.customer_doc_type,
            inv.customer_doc_number,
            inv.digest_value,
        ),
        reference=(
            f"{inv.reference_series}-{inv.reference_number}" if inv.reference_series else None
        ),
        reason=inv.reason,
        state=inv.state,
        payment=payment_text(inv),
        installments=installments,
        net_pending=net_pending,
        restates_terms=inv.doc_type == DocumentType.NOTA_CREDITO.value
        and inv.note_reason == CreditNoteReason.AJUSTE_MONTOS_FECHAS_PAGO.value,
        payments=payments,
        refunds=refunds,
        results_promise=_promise(order),
        physician=_physician(order),
        urgent=order is not None and order.priority == Priority.URGENTE,
    )


def _totals(d: PrintData) -> list[tuple[str, Decimal]]:
    rows = [("Op. gravada", d.gravado)]
    if d.exonerado:
        rows.append(("Op. exonerada", d.exonerado))
    if d.inafecto:
        rows.append(("Op. inafecta", d.inafecto))
    if d.discount:
        rows.append(("Descuento global", d.discount))
    rows += [("IGV 18%", d.igv), ("IMPORTE TOTAL S/", d.total)]
    return rows


def _terms_lines(d: PrintData) -> list[str]:
    """Forma de pago and, for crédito, the net amount pending and each cuota (SUNAT's
    representación impresa of a crédito factura); a nota de crédito 13 prints them as the
    factura's new terms."""
    if not d.payment:
        return []
    rows = [f"Forma de pago: {d.payment}"]
    new = "Nuevo monto" if d.restates_terms else "Monto"
    if d.restates_terms:
        rows.insert(0, f"Nuevas condiciones de pago de la factura {d.reference}:")
    if d.net_pending is not None:
        rows.append(f"{new} neto pendiente de pago: {fmt_soles(d.net_pending)}")
        rows.append(f"Total de cuotas: {len(d.installments)}")
        rows += [
            f"Cuota {c.number:03d}: {fmt_soles(c.amount)} — vence {c.due_date:%d/%m/%Y}"
            for c in d.installments
        ]
    return rows


def _paid_rows(d: PrintData) -> list[PaymentRow]:
    """Printed under the totals: forma de pago (and cuotas), then payments or refunds."""
    return payment_rows(_terms_lines(d), d.payments, d.refunds)


def _footer_lines(d: PrintData) -> list[str]:
    return [
        f"SON: {d.words}",
        f"Resumen (hash): {d.digest_value}",
        f"Representación impresa de la {d.title.lower()}.",
        "Consulte su comprobante en www.sunat.gob.pe",
    ]


def _new_pdf(
    fmt_: str | tuple[float, float], margin: float, compress: bool
) -> tuple[FPDF, PdfFonts]:
    from fpdf import FPDF  # imported when a PDF is made: it slows every start of the node

    pdf = FPDF(unit="mm", format=fmt_)
    fonts = prepare(pdf)
    pdf.set_compression(compress)
    pdf.set_margins(margin, margin, margin)
    pdf.set_auto_page_break(True, margin=margin)
    pdf.set_title("Comprobante")
    pdf.add_page()
    return pdf, fonts


def pdf_a4(d: PrintData, *, compress: bool = True) -> bytes:
    pdf, fonts = _new_pdf("A4", 12, compress)
    t = fonts.text
    pdf.set_font(fonts.family, "B", 12)
    pdf.multi_cell(120, 6, t(d.company_name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(fonts.family, "", 9)
    for text in (d.trade_name, d.company_address, f"{d.sede_name} - {d.sede_address}"):
        if text.strip(" -"):
            pdf.multi_cell(120, 4.5, t(text), new_x="LMARGIN", new_y="NEXT")
    box_x, box_y = 140, 12
    pdf.set_xy(box_x, box_y)
    pdf.set_font(fonts.family, "B", 11)
    pdf.multi_cell(
        58, 7, t(f"R.U.C. {d.company_ruc}\n{d.title}\n{d.full_number}"), border=1, align="C"
    )
    pdf.set_y(max(pdf.get_y(), 42) + 4)
    pdf.set_font(fonts.family, "", 9)
    info = [
        f"Fecha de emisión: {d.issued_at:%d/%m/%Y %H:%M}",
        f"Cliente: {d.customer_name}",
        f"{d.customer_id_label}: {d.customer_doc_number}",
    ]
    if d.customer_address:
        info.append(f"Dirección: {d.customer_address}")
    if d.reference:
        info.append(f"Documento que modifica: {d.reference}   Motivo: {d.reason}")
    info.append("Moneda: SOLES")
    if d.physician:
        info.append(d.physician)
    if d.results_promise:
        info.append(d.results_promise)
    for text in info:
        pdf.multi_cell(0, 5, t(text), new_x="LMARGIN", new_y="NEXT")
    if d.urgent:
        pdf.set_font(fonts.family, "B", 11)
        pdf.multi_cell(0, 6, URGENT, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(fonts.family, "", 9)
    pdf.ln(2)
    widths = (22, 12, 96, 24, 32)
    pdf.set_font(fonts.family, "B", 8.5)
    for w, head in zip(
        widths, ("Código", "Cant.", "Descripción", "P. unit.", "Importe"), strict=True
    ):
        pdf.cell(w, 6, t(head), border=1, align="C")
    pdf.ln()
    pdf.set_font(fonts.family, "", 8.5)
    for ln in d.lines:
        cells = (ln.code, str(ln.quantity), ln.description[:70], fmt(ln.unit_price), fmt(ln.total))
        for i, (w, text) in enumerate(zip(widths, cells, strict=True)):
            pdf.cell(w, 5.5, t(text), border=1, align="R" if i in (1, 3, 4) else "L")
        pdf.ln()
    pdf.ln(2)
    for label, value in _totals(d):
        pdf.cell(154, 5, t(label), align="R")
        pdf.cell(32, 5, fmt(value), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font(fonts.family, "", 9)
    for row in _paid_rows(d):  # under the totals: forma de pago, cuotas, payments
        if row.detail:
            pdf.cell(70, 5, t(row.text))
        pdf.multi_cell(0, 5, t(row.detail or row.text), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    y = pdf.get_y()
    pdf.image(io.BytesIO(qr_png(d.qr_text, scale=4)), x=12, y=y, w=30, h=30)
    pdf.set_xy(46, y)
    for text in _footer_lines(d):
        pdf.multi_cell(0, 5, t(text), new_x="LMARGIN", new_y="NEXT")
        pdf.set_x(46)
    return bytes(pdf.output())


def pdf_ticket(d: PrintData, *, compress: bool = True) -> bytes:
    paid = _paid_rows(d)
    shown = len(paid) + sum(1 for row in paid if row.detail)
    height = 152 + 9 * len(d.lines) + (10 if d.reference else 0) + 4 * shown
    height += 10 if d.results_promise else 0
    height += 4 * -(-len(d.physician) // 38) if d.physician else 0  # 38 characters a line, at most
    height += 6 if d.urgent else 0
    pdf, fonts = _new_pdf((80, height), 4, compress)
    t = fonts.text
    width = 72
    pdf.set_font(fonts.family, "B", 9)

    def centred(text: str, size: float = 7.5, style: str = "") -> None:
        pdf.set_font(fonts.family, style, size)
        pdf.multi_cell(width, 3.6, t(text), align="C", new_x="LMARGIN", new_y="NEXT")

    centred(d.trade_name or d.company_name, 9, "B")
    centred(d.company_name)
    centred(f"RUC {d.company_ruc}")
    centred(d.sede_address or d.company_address)
    pdf.ln(1)
    centred(d.title, 8, "B")
    centred(d.full_number, 9, "B")
    pdf.ln(1)
    left = [
        f"Fecha: {d.issued_at:%d/%m/%Y %H:%M}",
        f"Cliente: {d.customer_name}",
        f"{d.customer_id_label}: {d.customer_doc_number}",
    ]
    if d.reference:
        left.append(f"Modifica: {d.reference} - {d.reason}")
    if d.physician:
        left.append(d.physician)
    pdf.set_font(fonts.family, "", 7.5)
    for text in left:
        pdf.multi_cell(width, 3.6, t(text), new_x="LMARGIN", new_y="NEXT")
    if d.urgent:
        centred(URGENT, 10, "B")
        pdf.set_font(fonts.family, "", 7.5)
    if d.results_promise:  # what every patient asks at the counter: bold, above the lines
        head, _, when = d.results_promise.partition(": ")  # two lines: 80 mm is narrow
        pdf.set_font(fonts.family, "B", 7.5)
        for text in (f"{head}:", when):
            pdf.multi_cell(width, 3.6, t(text), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(fonts.family, "", 7.5)
    pdf.cell(width, 2, "-" * 60, new_x="LMARGIN", new_y="NEXT")
    for ln in d.lines:
        pdf.multi_cell(
            width, 3.6, t(f"{ln.quantity} x {ln.description}"), new_x="LMARGIN", new_y="NEXT"
        )
        pdf.cell(
            width,
            3.6,
            t(f"{fmt(ln.unit_price)}   {fmt(ln.total)}"),
            align="R",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    pdf.cell(width, 2, "-" * 60, new_x="LMARGIN", new_y="NEXT")
    for label, value in _totals(d):
        pdf.cell(50, 3.8, t(label), align="R")
        pdf.cell(22, 3.8, fmt(value), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    pdf.set_font(fonts.family, "", 7.5)
    for row in paid:
        pdf.multi_cell(width, 3.6, t(row.text), new_x="LMARGIN", new_y="NEXT")
        if row.detail:
            pdf.set_x(pdf.l_margin + 3)
            pdf.multi_cell(width - 3, 3.6, t(row.detail), new_x="LMARGIN", new_y="NEXT")
    if paid:
        pdf.ln(1)
    for text in _footer_lines(d):
        pdf.multi_cell(width, 3.4, t(text), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.image(io.BytesIO(qr_png(d.qr_text, scale=3)), x=22, w=36, h=36)
    return bytes(pdf.output())


def html_ticket(d: PrintData) -> str:
    """A print-ready 80 mm page (``@page`` size in static ``print.css``, prints itself through
    static ``print.js``: no inline style or script, the CSP allows neither); every value escaped."""
    e = html.escape
    qr = base64.b64encode(qr_svg(d.qr_text, scale=3)).decode("ascii")
    rows = "".join(
        f"<tr><td>{e(str(ln.quantity))} x {e(ln.description)}</td>"
        f"<td class='r'>{e(fmt(ln.total))}</td></tr>"
        for ln in d.lines
    )
    totals = "".join(
        f"<tr><td class='r'>{e(label)}</td><td class='r'>{e(fmt(value))}</td></tr>"
        for label, value in _totals(d)
    )
    ref = f"<p>Modifica: {e(d.reference)} — {e(d.reason)}</p>" if d.reference else ""
    paid = "<br>".join(
        e(r.text) + (f"<br>&nbsp;&nbsp;{e(r.detail)}" if r.detail else "") for r in _paid_rows(d)
    )
    paid = f"<p class='terms'>{paid}</p>" if paid else ""
    promise = f"<p><strong>{e(d.results_promise)}</strong></p>" if d.results_promise else ""
    physician = f"<p>{e(d.physician)}</p>" if d.physician else ""
    urgent = f"<h2>{URGENT}</h2>" if d.urgent else ""
    footer = "".join(f"<p class='c small'>{e(t)}</p>" for t in _footer_lines(d))
    return f"""<!DOCTYPE html>
<html lang="es"><head><meta charset="utf-8">
<title>{e(d.title)} {e(d.full_number)}</title>
<link rel="stylesheet" href="/recepcion/static/print/print.css">
<script src="/recepcion/static/print/print.js" defer></script></head>
<body>
<h1>{e(d.trade_name or d.company_name)}</h1>
<p class="c">{e(d.company_name)}<br>RUC {e(d.company_ruc)}<br>
{e(d.sede_address or d.company_address)}</p>
<h2>{e(d.title)}<br>{e(d.full_number)}</h2>
<p>Fecha: {d.issued_at:%d/%m/%Y %H:%M}<br>Cliente: {e(d.customer_name)}<br>
{e(d.customer_id_label)}: {e(d.customer_doc_number)}</p>{ref}{physician}{urgent}{promise}
<hr><table>{rows}</table><hr><table>{totals}</table>{paid}
{footer}
<p class="c"><img alt="Código QR" src="data:image/svg+xml;base64,{qr}" width="140" height="140"></p>
</body></html>"""


__all__ = [
    "PrintData",
    "PrintInstallment",
    "PrintLine",
    "html_ticket",
    "pdf_a4",
    "pdf_ticket",
    "print_data",
]

"""The 80 mm ticket (PDF and HTML) shows a factura's forma de pago as the A4 does: crédito with
the net amount pending and every cuota (number, amount, due date), contado for a cash factura,
nothing for a boleta; user values stay escaped."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import re
from decimal import Decimal
from typing import Any

from domain.clock import business_date
from edge.billing.models import Invoice
from edge.billing.printing import html_ticket, pdf_a4, pdf_ticket, print_data
from edge.db import read_session
from edge.runtime import EdgeRuntime
from tests.edge.billing.test_convenio_invoice import SALUD, _invoice, _sell, shop
from tests.pdftext import shown

__all__ = ["shop"]  # the fixture, re-used


def pdf_text(pdf: bytes) -> list[str]:
    """The strings the PDF shows, one per cell or line, as a reader decodes them (pypdf)."""
    return [text.strip() for text in shown(pdf)]


def html_text(page: str) -> str:
    """The visible text of the HTML ticket: tags dropped, entities resolved."""
    return html.unescape(re.sub(r"<[^>]+>", "\n", page))


def _credit_factura(shop: dict[str, Any]) -> tuple[str, dt.date]:
    rt: EdgeRuntime = shop["rt"]
    _sell(shop, SALUD, ["HEM-001", "BIO-010"], pay=True)  # 32.00 covered
    _sell(shop, SALUD, ["PAN-LIP"], pay=False)  # 38.40 covered
    r = _invoice(shop, SALUD)
    assert r.status_code == 201, r.text
    return r.json()["invoice"]["id"], business_date(rt.clock.now()) + dt.timedelta(days=30)


def _row(rt: EdgeRuntime, invoice_id: str) -> Any:
    with read_session(rt.engine) as session:
        inv = session.get(Invoice, invoice_id)
        assert inv is not None
        return print_data(session, inv)


def test_credit_factura_ticket_pdf_and_html_show_the_terms(shop: dict[str, Any]) -> None:
    rt: EdgeRuntime = shop["rt"]
    inv_id, due = _credit_factura(shop)
    expected = [
        f"Forma de pago: Crédito — vence {due:%d/%m/%Y}",
        "Monto neto pendiente de pago: S/ 70.40",
        "Total de cuotas: 1",
        f"Cuota 001: S/ 70.40 — vence {due:%d/%m/%Y}",
    ]
    data = _row(rt, inv_id)
    for rendered in (pdf_ticket(data, compress=False), pdf_ticket(data), pdf_a4(data)):
        shown = pdf_text(rendered)
        assert [t for t in shown if t in expected] == expected, shown
    # Through the endpoints (compressed PDF, the HTML page the reception prints).
    for fmt_ in ("ticket", "a4"):
        r = shop["api"].get(f"/api/billing/{inv_id}/pdf?format={fmt_}", headers=shop["boss"])
        assert r.status_code == 200, r.text
        assert [t for t in pdf_text(r.content) if t in expected] == expected
    page = shop["api"].get(f"/api/billing/{inv_id}/ticket.html", headers=shop["boss"])
    assert page.status_code == 200, page.text
    lines = [ln.strip() for ln in html_text(page.text).splitlines()]
    assert [ln for ln in lines if ln in expected] == expected
    assert "Contado" not in page.text


def test_every_cuota_is_printed_in_order(shop: dict[str, Any]) -> None:
    rt: EdgeRuntime = shop["rt"]
    inv_id, _due = _credit_factura(shop)
    with read_session(rt.engine) as session:
        inv = session.get(Invoice, inv_id)
        assert inv is not None
        session.expunge(inv)  # terms changed in memory only: never stored
    inv.payment_installments = [
        {"amount": "40.00", "due_date": "2026-12-15"},
        {"amount": "30.40", "due_date": "2027-01-15"},
    ]
    with read_session(rt.engine) as session:
        data = print_data(session, inv)
    assert data.net_pending == Decimal("70.40")
    assert [(c.number, c.amount, c.due_date) for c in data.installments] == [
        (1, Decimal("40.00"), dt.date(2026, 12, 15)),
        (2, Decimal("30.40"), dt.date(2027, 1, 15)),
    ]
    cuotas = [
        "Monto neto pendiente de pago: S/ 70.40",
        "Total de cuotas: 2",
        "Cuota 001: S/ 40.00 — vence 15/12/2026",
        "Cuota 002: S/ 30.40 — vence 15/01/2027",
    ]
    assert [t for t in pdf_text(pdf_ticket(data)) if t in cuotas] == cuotas
    text = [ln.strip() for ln in html_text(html_ticket(data)).splitlines()]
    assert [ln for ln in text if ln in cuotas] == cuotas


def test_contado_factura_and_boleta(shop: dict[str, Any]) -> None:
    rt: EdgeRuntime = shop["rt"]
    inv_id, _due = _credit_factura(shop)
    with read_session(rt.engine) as session:
        inv = session.get(Invoice, inv_id)
        assert inv is not None
        session.expunge(inv)
    inv.payment_method, inv.payment_installments = "Contado", None  # in memory only
    with read_session(rt.engine) as session:
        cash = print_data(session, inv)
        inv.doc_type, inv.payment_method = "03", None  # a boleta: no forma de pago at all
        boleta = print_data(session, inv)
    assert (cash.payment, cash.installments, cash.net_pending) == ("Contado", (), None)
    for rendered in (pdf_ticket(cash), pdf_a4(cash)):
        shown = pdf_text(rendered)
        assert "Forma de pago: Contado" in shown
        assert not [t for t in shown if "Cuota" in t or "pendiente" in t]
    assert "Forma de pago: Contado" in html_text(html_ticket(cash)).splitlines()
    assert boleta.payment is None
    assert not [t for t in pdf_text(pdf_ticket(boleta)) if "Forma de pago" in t]
    assert "Forma de pago" not in html_ticket(boleta)


def test_terms_keep_user_values_escaped(shop: dict[str, Any]) -> None:
    rt: EdgeRuntime = shop["rt"]
    inv_id, due = _credit_factura(shop)
    evil = "<script>alert('x')</script> & (Ñoño) \\ S.A.C."
    data = dataclasses.replace(_row(rt, inv_id), customer_name=evil)
    page = html_ticket(data)
    assert "<script>alert" not in page
    assert html.escape(evil) in page
    assert f"Cuota 001: S/ 70.40 — vence {due:%d/%m/%Y}" in html_text(page)
    shown = pdf_text(pdf_ticket(data, compress=False))
    assert f"Cliente: {evil}" in shown  # parentheses and backslash escaped in the PDF string
    assert "Monto neto pendiente de pago: S/ 70.40" in shown

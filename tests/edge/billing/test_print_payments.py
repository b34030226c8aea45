"""The printed comprobante says how it was paid: under the totals, "Forma de pago: Contado" (or
the crédito terms), one row per payment of the order up to the document (cash with what was
handed over and the change, other methods with their operation number) and, on a nota de
crédito, what was refunded. Real sales through ``/api/orders`` (in process); the PDFs' text
as a reader extracts it."""

from __future__ import annotations

import datetime as dt
import html
import io
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import event
from sqlmodel import Session

from edge.billing.models import ACEPTADO, Invoice
from edge.billing.print_payments import (
    MAX_REFERENCE_SHOWN,
    PrintPayment,
    payment_rows,
    payments_for,
    shorten_reference,
)
from edge.billing.printing import PrintData, html_ticket, pdf_a4, pdf_ticket, print_data
from edge.db import read_session, unit_of_work
from edge.orders.models import Payment
from edge.runtime import EdgeRuntime
from tests.edge.billing.test_convenio_invoice import SALUD, _invoice, _sell, shop
from tests.edge.billing.test_ticket_credit_terms import html_text, pdf_text
from tests.edge.factories import SEDE_S01
from tests.edge.orders.helpers import make_patient, sell, sid
from tests.pdftext import font_names

__all__ = ["shop"]  # the fixture, re-used

D = Decimal
CLIENT_RUC = "20100066603"


# ----------------------------------------------------------------------------- helpers


def _sale(shop: dict[str, Any], items: list[str], payments: list[dict[str, str]], **kw: Any) -> Any:
    body = {"patient_id": make_patient(shop["rt"]).id, "items": [sid(c) for c in items], **kw}
    return sell(shop["api"], shop["clerk"], payments=payments, **body)


def _documents(api: TestClient, headers: dict[str, str], order_id: str) -> list[dict[str, Any]]:
    r = api.get(f"/api/billing/by-order/{order_id}", headers=headers)
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def _data(rt: EdgeRuntime, invoice_id: str) -> PrintData:
    with read_session(rt.engine) as session:
        inv = session.get(Invoice, invoice_id)
        assert inv is not None
        return print_data(session, inv)


def _renderings(data: PrintData) -> dict[str, list[str]]:
    """Every printed form's lines: ticket and A4 PDFs (compressed and not), the HTML ticket."""
    return {
        "ticket": pdf_text(pdf_ticket(data)),
        "ticket-raw": pdf_text(pdf_ticket(data, compress=False)),
        "a4": pdf_text(pdf_a4(data)),
        "html": [ln.strip() for ln in html_text(html_ticket(data)).splitlines() if ln.strip()],
    }


def _block(lines: list[str]) -> list[str]:
    """The lines between the total and the amount in words: the payment block."""
    start = next(i for i, t in enumerate(lines) if t.startswith("IMPORTE TOTAL"))
    end = next(i for i, t in enumerate(lines) if t.startswith("SON:"))
    return [t for t in lines[start + 1 : end] if not t.replace(".", "").isdigit()]


def _only_document(shop: dict[str, Any], order_id: str) -> dict[str, Any]:
    docs = _documents(shop["api"], shop["boss"], order_id)
    assert len(docs) == 1, docs
    return docs[0]


# ----------------------------------------------------------------------------- sales


def test_cash_with_change_prints_received_and_vuelto(shop: dict[str, Any]) -> None:
    order = _sale(
        shop, ["HEM-001"], [{"method": "efectivo", "amount": "35.00", "tendered": "50.00"}]
    )
    boleta = _only_document(shop, order["id"])
    assert boleta["full_number"].startswith("B")
    data = _data(shop["rt"], boleta["id"])
    assert data.payments == (PrintPayment("Efectivo", D("35.00"), D("50.00"), D("15.00")),)
    expected = [
        "Forma de pago: Contado",
        "Efectivo S/ 35.00",
        "Recibido S/ 50.00 · Vuelto S/ 15.00",
    ]
    for name, lines in _renderings(data).items():
        assert _block(lines) == expected, (name, lines)
    ticket = pdf_ticket(data)
    assert len(PdfReader(io.BytesIO(ticket)).pages) == 1  # the taller ticket still fits
    assert font_names(ticket) == {"Roboto", "RobotoBold"}  # the embedded Unicode font
    # through the endpoints the counter prints from
    for fmt_ in ("ticket", "a4"):
        r = shop["api"].get(f"/api/billing/{boleta['id']}/pdf?format={fmt_}", headers=shop["boss"])
        assert r.status_code == 200, r.text
        assert _block(pdf_text(r.content)) == expected
    page = shop["api"].get(f"/api/billing/{boleta['id']}/ticket.html", headers=shop["boss"])
    assert page.status_code == 200, page.text
    assert "Recibido S/ 50.00 · Vuelto S/ 15.00" in html_text(page.text)


def test_split_cash_and_yape_one_row_each(shop: dict[str, Any]) -> None:
    payments = [
        {"method": "efectivo", "amount": "20.00", "tendered": "20.00"},
        {"method": "yape", "amount": "27.50", "reference": "04512398"},
    ]
    order = _sale(shop, ["HEM-001", "BIO-010"], payments)
    data = _data(shop["rt"], _only_document(shop, order["id"])["id"])
    expected = [
        "Forma de pago: Contado",
        "Efectivo S/ 20.00",  # exact cash: no change to print
        "Yape S/ 27.50",
        "Op. 04512398",
    ]
    for name, lines in _renderings(data).items():
        assert _block(lines) == expected, (name, lines)


def test_long_operation_numbers_are_shortened_and_fit_80_mm(shop: dict[str, Any]) -> None:
    long_ref = "TRF-2026-11-29-000000987654321-BCP"  # 34 characters
    payments = [
        {"method": "transferencia", "amount": "40.00", "reference": long_ref},
        {"method": "tarjeta", "amount": "7.50", "reference": "<b>V&1</b>"},
    ]
    order = _sale(shop, ["HEM-001", "BIO-010"], payments)
    data = _data(shop["rt"], _only_document(shop, order["id"])["id"])
    short = shorten_reference(long_ref)
    assert short == "TRF-2026…54321-BCP" and len(short) <= MAX_REFERENCE_SHOWN
    expected = [
        "Forma de pago: Contado",
        "Transferencia S/ 40.00",
        f"Op. {short}",
        "Tarjeta S/ 7.50",
        "Op. <b>V&1</b>",
    ]
    for name, lines in _renderings(data).items():
        assert _block(lines) == expected, (name, lines)  # one string each: nothing wrapped
    page = html_ticket(data)
    assert "<b>V&1</b>" not in page and html.escape("<b>V&1</b>") in page


def test_factura_for_a_balance_paid_later_lists_every_payment_up_to_it(
    shop: dict[str, Any],
) -> None:
    customer = {"doc_type": "6", "doc_number": CLIENT_RUC, "name": "Clínica Ñaña S.A.C."}
    first = [{"method": "tarjeta", "amount": "20.00", "reference": "V-778812"}]
    order = _sale(shop, ["HEM-001", "BIO-010"], first, document_type="01", customer=customer)
    assert order["balance"] == "27.50"
    assert _documents(shop["api"], shop["boss"], order["id"]) == []  # no document yet
    rest = {"payments": [{"method": "efectivo", "amount": "27.50", "tendered": "30.00"}]}
    r = shop["api"].post(f"/api/orders/{order['id']}/payments", json=rest, headers=shop["clerk"])
    assert r.status_code == 201, r.text
    factura = _only_document(shop, order["id"])
    assert factura["full_number"].startswith("F")
    # a payment recorded after the document (a later top-up) is not on its printout
    later = _data(shop["rt"], factura["id"]).issued_at + dt.timedelta(minutes=5)
    with unit_of_work(shop["rt"].engine) as session:
        session.add(
            Payment(
                order_id=order["id"],
                sede_id=SEDE_S01,
                method="plin",
                amount=D("1.00"),
                reference="PL-999",
                cashier_id="x",
                business_date=later.date(),
                created_at=later,
            )
        )
    data = _data(shop["rt"], factura["id"])
    expected = [
        "Forma de pago: Contado",
        "Tarjeta S/ 20.00",
        "Op. V-778812",
        "Efectivo S/ 27.50",
        "Recibido S/ 30.00 · Vuelto S/ 2.50",
    ]
    for name, lines in _renderings(data).items():
        assert _block(lines) == expected, (name, lines)
        assert lines.count("Forma de pago: Contado") == 1  # no longer in the header as well


def test_convenio_credit_factura_prints_credito_and_no_payments(shop: dict[str, Any]) -> None:
    paid = _sell(shop, SALUD, ["HEM-001", "BIO-010"], pay=True)  # patient paid 8.00 by card
    _sell(shop, SALUD, ["PAN-LIP"], pay=False)
    r = _invoice(shop, SALUD)
    assert r.status_code == 201, r.text
    data = _data(shop["rt"], r.json()["invoice"]["id"])
    assert (data.payments, data.refunds) == ((), ())
    for name, lines in _renderings(data).items():
        block = _block(lines)
        assert block[0].startswith("Forma de pago: Crédito — vence "), (name, block)
        assert "Monto neto pendiente de pago: S/ 70.40" in block
        assert "Cuota 001: S/ 70.40" in " ".join(block)
        assert not [t for t in block if "Contado" in t or "Tarjeta" in t or "Op." in t]
    # the patient's own boleta of the paid order lists the patient's payment
    boleta = _data(shop["rt"], _only_document(shop, paid["id"])["id"])
    assert _block(pdf_text(pdf_ticket(boleta))) == [
        "Forma de pago: Contado",
        "Tarjeta S/ 8.00",
        "Op. V-1",
    ]


# ----------------------------------------------------------------------------- notes


def test_credit_note_prints_the_refunds_not_the_payments(shop: dict[str, Any]) -> None:
    rt: EdgeRuntime = shop["rt"]
    payments = [
        {"method": "efectivo", "amount": "35.00", "tendered": "50.00"},
        {"method": "yape", "amount": "12.50", "reference": "04512398"},
    ]
    order = _sale(shop, ["HEM-001", "BIO-010"], payments)
    boleta = _only_document(shop, order["id"])
    with unit_of_work(rt.engine) as session:  # SUNAT accepted it: cancelling needs a note
        inv = session.get(Invoice, boleta["id"])
        assert inv is not None
        inv.state, inv.attempts = ACEPTADO, 1
        session.add(inv)
    r = shop["api"].post(
        f"/api/orders/{order['id']}/cancel",
        json={"reason": "Paciente desistió"},
        headers=shop["boss"],
    )
    assert r.status_code == 200, r.text
    notes = [d for d in _documents(shop["api"], shop["boss"], order["id"]) if d["doc_type"] == "07"]
    assert len(notes) == 1, notes
    data = _data(rt, notes[0]["id"])
    assert data.payments == ()
    expected = ["Devolución: Efectivo S/ 35.00", "Devolución: Yape S/ 12.50"]
    for name, lines in _renderings(data).items():
        assert _block(lines) == expected, (name, lines)
    # the boleta itself still prints how it was paid, not the refund
    original = _renderings(_data(rt, boleta["id"]))["ticket"]
    assert _block(original) == [
        "Forma de pago: Contado",
        "Efectivo S/ 35.00",
        "Recibido S/ 50.00 · Vuelto S/ 15.00",
        "Yape S/ 12.50",
        "Op. 04512398",
    ]


def test_credit_note_without_known_refund_prints_none(shop: dict[str, Any]) -> None:
    rt: EdgeRuntime = shop["rt"]
    order = _sale(shop, ["HEM-001"], [{"method": "efectivo", "amount": "35.00"}])
    boleta = _only_document(shop, order["id"])
    with unit_of_work(rt.engine) as session:
        inv = session.get(Invoice, boleta["id"])
        assert inv is not None
        inv.state, inv.attempts = ACEPTADO, 1
        session.add(inv)
    note = {"reason_code": "04", "description": "Descuento por reclamo", "amount": "5.00"}
    r = shop["api"].post(
        f"/api/billing/{boleta['id']}/credit-note", json=note, headers=shop["boss"]
    )
    assert r.status_code == 201, r.text
    data = _data(rt, r.json()["id"])
    assert (data.payments, data.refunds) == ((), ())
    for name, lines in _renderings(data).items():
        assert _block(lines) == [], (name, lines)


# ----------------------------------------------------------------------------- pieces


def test_payments_are_read_in_one_query(shop: dict[str, Any]) -> None:
    rt: EdgeRuntime = shop["rt"]
    payments = [
        {"method": "efectivo", "amount": "10.00"},
        {"method": "yape", "amount": "10.00", "reference": "Y-0001"},
        {"method": "plin", "amount": "10.00", "reference": "P-0002"},
        {"method": "tarjeta", "amount": "17.50", "reference": "V-0003"},
    ]
    order = _sale(shop, ["HEM-001", "BIO-010"], payments)
    boleta_id = _only_document(shop, order["id"])["id"]
    statements: list[str] = []

    def seen(*args: Any) -> None:
        statements.append(str(args[2]))

    with Session(rt.engine) as session:
        inv = session.get(Invoice, boleta_id)
        assert inv is not None
        event.listen(rt.engine, "before_cursor_execute", seen)
        try:
            printed, refunds = payments_for(session, inv)
        finally:
            event.remove(rt.engine, "before_cursor_execute", seen)
    assert [p.method for p in printed] == ["Efectivo", "Yape", "Plin", "Tarjeta"]
    assert refunds == ()
    assert len(statements) == 1 and "FROM payment" in statements[0], statements


def test_rows_and_reference_shortening() -> None:
    assert shorten_reference("  12345678 ") == "12345678"
    assert shorten_reference(None) is None and shorten_reference("   ") is None
    exact = "A" * MAX_REFERENCE_SHOWN
    assert shorten_reference(exact) == exact
    assert shorten_reference("0123456789" * 4) == "01234567…123456789"
    rows = payment_rows([], [PrintPayment("Efectivo", D("35.30"), D("50.00"), D("14.70"))], ())
    assert [(r.text, r.detail) for r in rows] == [
        ("Forma de pago: Contado", None),
        ("Efectivo S/ 35.30", "Recibido S/ 50.00 · Vuelto S/ 14.70"),
    ]
    assert payment_rows([], [], []) == []  # nothing known: nothing printed
    crédito = payment_rows(["Forma de pago: Crédito — vence 29/12/2026"], [], [])
    assert [r.text for r in crédito] == ["Forma de pago: Crédito — vence 29/12/2026"]

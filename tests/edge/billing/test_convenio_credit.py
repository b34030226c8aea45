"""The convenio factura is crédito (credit days of the convenio), kept on the row so the
document rebuilds byte for byte and prints its due date; cancelling an order already on it
credits the order's line (nota de crédito 07) or waits for SUNAT's answer (in process)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from domain.clock import business_date
from domain.sunat import Customer, DocumentType, IdentityType
from edge.billing import convenio_invoice
from edge.billing.convenio_models import ConvenioInvoiceOrder
from edge.billing.documents import LineIn, lines_of
from edge.billing.issuing import issue
from edge.billing.models import ACEPTADO, Invoice, InvoiceFile
from edge.billing.printing import pdf_a4, print_data
from edge.billing.rebuild import rebuild_xml
from edge.billing.service import remaining_of
from edge.catalog.models import Convenio
from edge.db import read_session, unit_of_work
from edge.orders.models import Order
from edge.runtime import EdgeRuntime
from tests.edge.billing.test_convenio_invoice import (
    CREDIT_FACTURA_OBSERVATIONS,
    MINERA,
    SALUD,
    _invoice,
    _pending,
    _sell,
    shop,
)
from tests.edge.billing.test_issuing import sunat_errors
from tests.edge.orders.helpers import count_rows
from tests.pdftext import page_text

__all__ = ["shop"]  # the fixture, re-used

SALUD_CUSTOMER = Customer(IdentityType.RUC, "20503123453", "SALUD PLUS EPS S.A.")


def issue_to_salud(session: Session, rt: EdgeRuntime, **kwargs: Any) -> Invoice:
    """A document to SALUD PLUS (by RUC) through ``issue``, in the caller's unit of work."""
    return issue(
        session=session, settings=rt.settings, clock=rt.clock, customer=SALUD_CUSTOMER, **kwargs
    )


D = Decimal


def _accept(rt: EdgeRuntime, invoice_id: str) -> None:
    with unit_of_work(rt.engine) as session:
        row = session.get(Invoice, invoice_id)
        assert row is not None
        row.state = ACEPTADO
        session.add(row)


def _cancel(shop: dict[str, Any], order_id: str, reason: str = "Paciente desistió") -> Any:
    return shop["api"].post(
        f"/api/orders/{order_id}/cancel", json={"reason": reason}, headers=shop["boss"]
    )


def _xml(shop: dict[str, Any], invoice_id: str) -> bytes:
    r = shop["api"].get(f"/api/billing/{invoice_id}/xml", headers=shop["boss"])
    assert r.status_code == 200, r.text
    return bytes(r.content)


def test_factura_is_credito_due_after_the_convenios_credit_days(shop: dict[str, Any]) -> None:
    rt: EdgeRuntime = shop["rt"]
    _sell(shop, SALUD, ["HEM-001", "BIO-010"], pay=True)  # 32.00 covered
    _sell(shop, SALUD, ["PAN-LIP"], pay=False)  # 38.40 covered
    r = _invoice(shop, SALUD)
    assert r.status_code == 201, r.text
    inv_id = r.json()["invoice"]["id"]
    today = business_date(rt.clock.now())
    due = today + dt.timedelta(days=30)  # SALUD's credit_days
    out = r.json()["invoice"]
    assert (out["payment_method"], out["payment_due_date"]) == ("Credito", due.isoformat())
    with read_session(rt.engine) as session:
        inv = session.get(Invoice, inv_id)
        assert inv is not None
        assert inv.payment_method == "Credito"
        assert inv.payment_installments == [{"amount": "70.40", "due_date": due.isoformat()}]
    xml = _xml(shop, inv_id)
    assert b"<cbc:PaymentMeansID>Credito</cbc:PaymentMeansID>" in xml
    assert b"<cbc:PaymentMeansID>Cuota001</cbc:PaymentMeansID>" in xml
    assert f"<cbc:PaymentDueDate>{due.isoformat()}</cbc:PaymentDueDate>".encode() in xml
    assert b'currencyID="PEN">70.40</cbc:Amount>' in xml
    assert b"Contado" not in xml and b"Cuota002" not in xml


def test_ordinary_boleta_keeps_no_terms(shop: dict[str, Any]) -> None:
    rt: EdgeRuntime = shop["rt"]
    order = _sell(shop, None, ["HEM-001"], pay=True)
    with read_session(rt.engine) as session:
        docs = session.exec(select(Invoice).where(Invoice.order_id == order["id"])).all()
        assert [(d.doc_type, d.payment_method, d.payment_installments) for d in docs] == [
            ("03", None, None)
        ]
        assert print_data(session, docs[0]).payment is None


def test_credit_days_come_from_the_convenio(shop: dict[str, Any]) -> None:
    rt: EdgeRuntime = shop["rt"]
    with unit_of_work(rt.engine) as session:
        row = session.get(Convenio, MINERA)
        assert row is not None
        assert row.credit_days != 7
        row.credit_days = 7
        session.add(row)
    _sell(shop, MINERA, ["HEM-001"], pay=False)
    r = _invoice(shop, MINERA)
    assert r.status_code == 201, r.text
    due = business_date(rt.clock.now()) + dt.timedelta(days=7)
    with read_session(rt.engine) as session:
        inv = session.get(Invoice, r.json()["invoice"]["id"])
        assert inv is not None and inv.payment_installments is not None
        assert inv.payment_installments[0]["due_date"] == due.isoformat()


def test_rebuilt_credito_factura_is_byte_identical(shop: dict[str, Any]) -> None:
    rt: EdgeRuntime = shop["rt"]
    _sell(shop, SALUD, ["HEM-001", "BIO-010"], pay=True)
    inv_id = _invoice(shop, SALUD).json()["invoice"]["id"]
    original = _xml(shop, inv_id)
    with unit_of_work(rt.engine) as session:
        stored = session.exec(
            select(InvoiceFile).where(InvoiceFile.owner_id == inv_id, InvoiceFile.kind == "xml")
        ).one()
        session.delete(stored)
    with unit_of_work(rt.engine) as session:
        inv = session.get(Invoice, inv_id)
        assert inv is not None
        row = rebuild_xml(session, rt.settings, inv)
        assert row is not None, "rebuild refused: digest differs"
        assert row.content == original
        # without the stored terms the document would not be the one issued
        inv.payment_method = None
        inv.payment_installments = None
        session.expunge(inv)
        assert rebuild_xml(session, rt.settings, inv) is None


def test_a4_shows_credito_and_due_date(shop: dict[str, Any]) -> None:
    rt: EdgeRuntime = shop["rt"]
    _sell(shop, SALUD, ["HEM-001"], pay=False)
    inv_id = _invoice(shop, SALUD).json()["invoice"]["id"]
    due = business_date(rt.clock.now()) + dt.timedelta(days=30)  # SALUD's credit_days
    with read_session(rt.engine) as session:
        inv = session.get(Invoice, inv_id)
        assert inv is not None
        data = print_data(session, inv)
    assert data.payment == f"Crédito — vence {due:%d/%m/%Y}"
    pdf = pdf_a4(data, compress=False)
    assert f"Forma de pago: Crédito — vence {due:%d/%m/%Y}" in page_text(pdf)
    r = shop["api"].get(f"/api/billing/{inv_id}/pdf", headers=shop["boss"])
    assert r.status_code == 200 and r.content.startswith(b"%PDF")


def test_issue_defaults_to_contado_for_facturas(shop: dict[str, Any]) -> None:
    rt: EdgeRuntime = shop["rt"]
    with unit_of_work(rt.engine) as session:
        inv = issue_to_salud(
            session,
            rt,
            doc_type=DocumentType.FACTURA,
            lines=[LineIn(code="X", description="Servicio", quantity=1, unit_price=D("10.00"))],
        )
        assert (inv.payment_method, inv.payment_installments) == (None, None)
        assert print_data(session, inv).payment == "Contado"
        inv_id = inv.id
    assert b"<cbc:PaymentMeansID>Contado</cbc:PaymentMeansID>" in _xml(shop, inv_id)


# ------------------------------------------------------------- cancelling a billed order


def test_cancel_while_factura_waits_for_sunat_is_refused_writing_nothing(
    shop: dict[str, Any],
) -> None:
    rt: EdgeRuntime = shop["rt"]
    a = _sell(shop, SALUD, ["HEM-001", "BIO-010"], pay=True)
    inv = _invoice(shop, SALUD).json()["invoice"]
    tables = ("invoice", "convenio_invoice_order", "sync_outbox", "payment", "audit_event")
    before = {t: count_rows(rt, t) for t in tables}
    r = _cancel(shop, a["id"])
    assert r.status_code == 409, r.text
    err = r.json()["detail"][0]
    assert err["type"] == "convenio_invoice_pending"
    assert inv["full_number"] in err["msg"] and "SUNAT" in err["msg"] and "Espere" in err["msg"]
    assert {t: count_rows(rt, t) for t in tables} == before
    with read_session(rt.engine) as session:
        order = session.get(Order, a["id"])
        assert order is not None and order.status != "anulada"
        assert order.cancel_reason in (None, "")
        assert convenio_invoice.invoiced_order_ids(session, [a["id"]]) == {a["id"]}


def test_cancel_after_acceptance_credits_the_orders_line(
    shop: dict[str, Any], sunat_data: Path
) -> None:
    rt: EdgeRuntime = shop["rt"]
    a = _sell(shop, SALUD, ["HEM-001", "BIO-010"], pay=True)  # 32.00 covered, 8.00 boleta
    b = _sell(shop, SALUD, ["PAN-LIP"], pay=False)  # 38.40 covered
    inv = _invoice(shop, SALUD).json()["invoice"]
    _accept(rt, inv["id"])
    r = _cancel(shop, a["id"], "Muestra no tomada")
    assert r.status_code == 200, r.text

    with read_session(rt.engine) as session:
        # the NC 07 (an NC 13 restating the cuota follows it: test_credit_terms_note.py)
        notes = session.exec(
            select(Invoice).where(
                Invoice.reference_invoice_id == inv["id"], Invoice.note_reason == "07"
            )
        ).all()
        assert len(notes) == 1
        note = notes[0]
        assert (note.doc_type, note.series[:1], note.note_reason) == ("07", "F", "07")
        assert (note.total, note.order_id) == (D("32.00"), a["id"])
        assert note.customer_doc_number == "20503123453"
        assert a["number"] in note.reason and "Muestra no tomada" in note.reason
        lines = lines_of(session, note.id)
        assert [(ln.code, ln.total) for ln in lines] == [(a["number"], D("32.00"))]
        assert lines[0].description.startswith(f"Orden {a['number']} (")
        link = session.exec(
            select(ConvenioInvoiceOrder).where(ConvenioInvoiceOrder.order_id == a["id"])
        ).one()
        assert link.credit_note_id == note.id and link.credited_at is not None
        assert convenio_invoice.invoiced_order_ids(session, [a["id"], b["id"]]) == {b["id"]}
        # the patient's boleta of the cancelled order is still voided as before
        boletas = session.exec(
            select(Invoice).where(Invoice.order_id == a["id"], Invoice.doc_type == "03")
        ).all()
        assert len(boletas) == 1
        assert boletas[0].void_requested  # same-day unsent boleta: voided via the summary
        note_id = note.id
    assert _pending(shop, SALUD)["count"] == 0  # cancelled: not pending either
    assert sunat_errors(sunat_data, _xml(shop, note_id)) == []

    # a second cancellation attempt cannot happen (already cancelled); a new order is billed
    c = _sell(shop, SALUD, ["BIO-010"], pay=False)
    assert [i["order_id"] for i in _pending(shop, SALUD)["items"]] == [c["id"]]


def test_cancelling_the_only_order_credits_the_whole_factura(shop: dict[str, Any]) -> None:
    rt: EdgeRuntime = shop["rt"]
    a = _sell(shop, MINERA, ["HEM-001"], pay=False)
    inv = _invoice(shop, MINERA).json()["invoice"]
    _accept(rt, inv["id"])
    assert _cancel(shop, a["id"]).status_code == 200
    with read_session(rt.engine) as session:
        original = session.get(Invoice, inv["id"])
        assert original is not None
        assert remaining_of(session, original) == D("0.00")
        assert convenio_invoice.invoiced_order_ids(session, [a["id"]]) == set()


def test_credito_factura_and_its_note_pass_sunat_rules(
    shop: dict[str, Any], sunat_data: Path
) -> None:
    rt: EdgeRuntime = shop["rt"]
    a = _sell(shop, SALUD, ["HEM-001", "BIO-010"], pay=True)
    _sell(shop, SALUD, ["PAN-LIP"], pay=False)
    inv = _invoice(shop, SALUD).json()["invoice"]
    assert sunat_errors(sunat_data, _xml(shop, inv["id"])) == CREDIT_FACTURA_OBSERVATIONS
    _accept(rt, inv["id"])
    assert _cancel(shop, a["id"]).status_code == 200
    with read_session(rt.engine) as session:
        note = session.exec(
            select(Invoice).where(
                Invoice.reference_invoice_id == inv["id"], Invoice.note_reason == "07"
            )
        ).one()
        note_id = note.id
    assert sunat_errors(sunat_data, _xml(shop, note_id)) == []

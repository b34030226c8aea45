"""Nota de crédito 13 after a convenio order is credited off its crédito factura (in process).

Cancelling an order on an accepted convenio factura issues the nota de crédito 07 for its line
and, in the same unit of work, a nota de crédito 13 restating the factura's monto neto
pendiente de pago and cuotas (same due dates); none when nothing is owed any more. The NC 13
passes SUNAT's XSD + XSL, rebuilds byte for byte from its rows and prints its new terms."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from domain.clock import FixedClock, business_date
from domain.errors import LabError
from domain.permissions import Role
from domain.sunat import (
    CreditNoteReason,
    DocumentType,
    Installment,
    PaymentTerms,
)
from edge.audit.models import AuditEvent
from edge.billing import credit_terms_note, sender
from edge.billing.documents import LineIn, lines_of, terms_of
from edge.billing.models import ACEPTADO, PENDIENTE, RECHAZADO, SEND_BILL, Invoice, InvoiceFile
from edge.billing.printing import html_ticket, pdf_a4, pdf_ticket, print_data
from edge.billing.rebuild import rebuild_xml
from edge.db import read_session, unit_of_work
from edge.runtime import EdgeRuntime
from tests.edge.billing.conftest import Sim
from tests.edge.billing.test_convenio_credit import _accept, _cancel, _xml, issue_to_salud
from tests.edge.billing.test_convenio_invoice import MINERA, SALUD, _invoice, _sell, shop
from tests.edge.billing.test_issuing import sunat_errors
from tests.edge.billing.test_ticket_credit_terms import html_text, pdf_text
from tests.edge.factories import auth_headers
from tests.edge.orders.helpers import count_rows

__all__ = ["shop"]  # the fixture, re-used

D = Decimal
AJUSTE = "13"


def _notes(rt: EdgeRuntime, factura_id: str) -> list[Invoice]:
    with read_session(rt.engine) as session:
        rows = session.exec(
            select(Invoice)
            .where(Invoice.reference_invoice_id == factura_id)
            .order_by(Invoice.series, Invoice.number)  # type: ignore[arg-type]
        ).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


def _billed_factura(shop: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Two SALUD orders (32.00 + 38.40 covered) on one accepted crédito factura of 70.40."""
    a = _sell(shop, SALUD, ["HEM-001", "BIO-010"], pay=True)
    b = _sell(shop, SALUD, ["PAN-LIP"], pay=False)
    r = _invoice(shop, SALUD)
    assert r.status_code == 201, r.text
    factura = r.json()["invoice"]
    assert factura["total"] == "70.40"
    _accept(shop["rt"], factura["id"])
    return a, b, factura


def test_cancel_one_order_issues_nc07_then_nc13_with_the_restated_cuota(
    shop: dict[str, Any], sunat_data: Path
) -> None:
    rt: EdgeRuntime = shop["rt"]
    a, _b, factura = _billed_factura(shop)
    due = business_date(rt.clock.now()) + dt.timedelta(days=30)  # SALUD's credit days
    audits_before = count_rows(rt, "audit_event")
    r = _cancel(shop, a["id"], "Muestra no tomada")
    assert r.status_code == 200, r.text

    nc07, nc13 = _notes(rt, factura["id"])
    assert (nc07.doc_type, nc07.note_reason, nc07.total) == ("07", "07", D("32.00"))
    assert (nc13.doc_type, nc13.series, nc13.note_reason) == ("07", "FC01", AJUSTE)
    assert nc13.number == nc07.number + 1  # numbered right after the NC 07, same series
    assert (nc13.total, nc13.gravado, nc13.igv) == (D("0.00"), D("0.00"), D("0.00"))
    assert (nc13.reference_series, nc13.reference_number) == ("F001", factura["number"])
    assert nc13.customer_doc_number == "20503123453"
    assert (nc13.order_id, nc13.state, nc13.send_mode) == (a["id"], PENDIENTE, SEND_BILL)
    assert nc13.payment_method == "Credito"
    assert nc13.payment_installments == [{"amount": "38.40", "due_date": due.isoformat()}]
    assert "38.40" in nc13.reason and nc07.full_number in nc13.reason
    with read_session(rt.engine) as session:
        lines = lines_of(session, nc13.id)
        assert [(ln.code, ln.quantity, ln.unit_price, ln.total) for ln in lines] == [
            (credit_terms_note.LINE_CODE, 1, D("0.00"), D("0.00"))
        ]
        event = session.exec(
            select(AuditEvent).where(AuditEvent.action == "invoice.credit_terms_note")
        ).one()
        assert event.record_id == nc13.id
        assert event.details is not None and event.details["net_pending"] == "38.40"
        outbox = session.connection().exec_driver_sql(
            "SELECT count(*) FROM sync_outbox WHERE record_type = 'invoice' AND record_id = ?",
            (nc13.id,),
        )
        assert outbox.scalar_one() >= 1  # replicated like any document
    assert count_rows(rt, "audit_event") >= audits_before + 2  # NC 07 and NC 13 audited

    xml = _xml(shop, nc13.id)
    assert b">13</cbc:ResponseCode>" in xml
    assert b'<cbc:PayableAmount currencyID="PEN">0.00</cbc:PayableAmount>' in xml
    assert b"<cbc:PaymentMeansID>Credito</cbc:PaymentMeansID>" in xml
    assert b'<cbc:Amount currencyID="PEN">38.40</cbc:Amount>' in xml
    assert f"<cbc:PaymentDueDate>{due.isoformat()}</cbc:PaymentDueDate>".encode() in xml
    assert b"Cuota002" not in xml and b"70.40" not in xml
    assert sunat_errors(sunat_data, xml) == []
    assert sunat_errors(sunat_data, _xml(shop, nc07.id)) == []


def test_cancelling_every_order_ends_with_an_nc07_and_no_nc13(shop: dict[str, Any]) -> None:
    rt: EdgeRuntime = shop["rt"]
    a, b, factura = _billed_factura(shop)
    assert _cancel(shop, a["id"]).status_code == 200
    assert _cancel(shop, b["id"]).status_code == 200
    notes = _notes(rt, factura["id"])
    assert [(n.note_reason, n.total, n.order_id) for n in notes] == [
        ("07", D("32.00"), a["id"]),
        (AJUSTE, D("0.00"), a["id"]),
        ("07", D("38.40"), b["id"]),  # fully credited: nothing owed, no NC 13
    ]
    with read_session(rt.engine) as session:
        original = session.get(Invoice, factura["id"])
        assert original is not None
        assert credit_terms_note.net_pending(session, original) == D("0.00")
        assert credit_terms_note.restated_terms(session, original) is None


def test_only_order_fully_credited_issues_no_nc13(shop: dict[str, Any]) -> None:
    rt: EdgeRuntime = shop["rt"]
    a = _sell(shop, MINERA, ["HEM-001"], pay=False)
    factura = _invoice(shop, MINERA).json()["invoice"]
    _accept(rt, factura["id"])
    assert _cancel(shop, a["id"]).status_code == 200
    assert [n.note_reason for n in _notes(rt, factura["id"])] == ["07"]


def test_nc13_rebuilds_to_identical_bytes(shop: dict[str, Any]) -> None:
    rt: EdgeRuntime = shop["rt"]
    a, _b, factura = _billed_factura(shop)
    assert _cancel(shop, a["id"]).status_code == 200
    nc13 = _notes(rt, factura["id"])[1]
    original = _xml(shop, nc13.id)
    with unit_of_work(rt.engine) as session:
        stored = session.exec(
            select(InvoiceFile).where(InvoiceFile.owner_id == nc13.id, InvoiceFile.kind == "xml")
        ).one()
        session.delete(stored)
    with unit_of_work(rt.engine) as session:
        inv = session.get(Invoice, nc13.id)
        assert inv is not None
        row = rebuild_xml(session, rt.settings, inv)
        assert row is not None, "rebuild refused: digest differs"
        assert row.content == original
        # without its stored terms the note would not be the one issued
        inv.payment_installments = [{"amount": "70.40", "due_date": "2030-01-01"}]
        session.expunge(inv)
        assert rebuild_xml(session, rt.settings, inv) is None


def test_nc13_prints_the_new_terms(shop: dict[str, Any]) -> None:
    rt: EdgeRuntime = shop["rt"]
    a, _b, factura = _billed_factura(shop)
    assert _cancel(shop, a["id"]).status_code == 200
    nc13 = _notes(rt, factura["id"])[1]
    due = business_date(rt.clock.now()) + dt.timedelta(days=30)
    expected = [
        f"Nuevas condiciones de pago de la factura {factura['full_number']}:",
        f"Forma de pago: Crédito — vence {due:%d/%m/%Y}",
        "Nuevo monto neto pendiente de pago: S/ 38.40",
        "Total de cuotas: 1",
        f"Cuota 001: S/ 38.40 — vence {due:%d/%m/%Y}",
    ]
    with read_session(rt.engine) as session:
        data = print_data(session, nc13)
    assert data.restates_terms and data.total == D("0.00")
    for rendered in (pdf_a4(data), pdf_ticket(data)):
        shown = pdf_text(rendered)
        assert [t for t in shown if t in expected] == expected, shown
    text = [ln.strip() for ln in html_text(html_ticket(data)).splitlines()]
    assert [ln for ln in text if ln in expected] == expected
    r = shop["api"].get(f"/api/billing/{nc13.id}/pdf?format=a4", headers=shop["boss"])
    assert r.status_code == 200, r.text
    assert [t for t in pdf_text(r.content) if t in expected] == expected
    # the factura's own printout is unchanged (its terms as issued)
    with read_session(rt.engine) as session:
        original = session.get(Invoice, factura["id"])
        assert original is not None
        assert not print_data(session, original).restates_terms


# ----------------------------------------------------- several cuotas, directly on the service


def _credito_factura(rt: EdgeRuntime, *cuotas: tuple[str, dt.date]) -> str:
    lines = [
        LineIn(code="A", description="Servicio A", quantity=1, unit_price=D("60.00")),
        LineIn(code="B", description="Servicio B", quantity=1, unit_price=D("40.00")),
    ]
    with unit_of_work(rt.engine) as session:
        inv = issue_to_salud(
            session,
            rt,
            doc_type=DocumentType.FACTURA,
            lines=lines,
            payment_terms=PaymentTerms.credito(*(Installment(D(a), d) for a, d in cuotas)),
        )
        inv.state = ACEPTADO
        session.add(inv)
        return inv.id


def _nc07(rt: EdgeRuntime, factura_id: str, amount: str) -> Invoice | None:
    """An NC 07 for ``amount`` on the factura, then the NC 13 the service issues after it."""
    with unit_of_work(rt.engine) as session:
        factura = session.get(Invoice, factura_id)
        assert factura is not None
        note = issue_to_salud(
            session,
            rt,
            doc_type=DocumentType.NOTA_CREDITO,
            lines=[LineIn(code="A", description="Devolución", quantity=1, unit_price=D(amount))],
            reference=factura,
            note_reason=CreditNoteReason.DEVOLUCION_ITEM,
            note_description="Devolución",
        )
        nc13 = credit_terms_note.restate_terms(
            session=session,
            settings=rt.settings,
            clock=rt.clock,
            factura=factura,
            cause=f"la nota de crédito {note.full_number}",
        )
        if nc13 is not None:
            session.expunge(nc13)
        return nc13


def test_cuotas_cut_from_the_last_backwards_and_restated_from_the_latest_nc13(
    shop: dict[str, Any], sunat_data: Path
) -> None:
    rt: EdgeRuntime = shop["rt"]
    today = business_date(rt.clock.now())
    d1, d2, d3 = (today + dt.timedelta(days=n) for n in (30, 60, 90))
    factura_id = _credito_factura(rt, ("40.00", d1), ("35.00", d2), ("25.00", d3))

    first = _nc07(rt, factura_id, "30.00")  # 100 → 70: the last cuota (25) goes, 35 → 30
    assert first is not None
    assert first.payment_installments == [
        {"amount": "40.00", "due_date": d1.isoformat()},
        {"amount": "30.00", "due_date": d2.isoformat()},
    ]
    xml = _xml(shop, first.id)
    assert b"<cbc:PaymentMeansID>Cuota002</cbc:PaymentMeansID>" in xml
    assert b"Cuota003" not in xml
    assert sunat_errors(sunat_data, xml) == []

    second = _nc07(rt, factura_id, "45.00")  # 70 → 25, from the NC 13's cuotas in force
    assert second is not None
    assert second.payment_installments == [{"amount": "25.00", "due_date": d1.isoformat()}]
    with read_session(rt.engine) as session:
        factura = session.get(Invoice, factura_id)
        assert factura is not None
        assert terms_of(factura) is not None  # the factura's own row is never rewritten
        assert factura.payment_installments is not None and len(factura.payment_installments) == 3
        in_force = credit_terms_note.terms_in_force(session, factura)
        assert in_force is not None
        assert [i.amount for i in in_force.installments] == [D("25.00")]

    assert _nc07(rt, factura_id, "25.00") is None  # fully credited: no NC 13


def test_rejected_nc13_is_not_the_terms_in_force(shop: dict[str, Any]) -> None:
    rt: EdgeRuntime = shop["rt"]
    today = business_date(rt.clock.now())
    d1, d2 = today + dt.timedelta(days=30), today + dt.timedelta(days=60)
    factura_id = _credito_factura(rt, ("50.00", d1), ("50.00", d2))
    first = _nc07(rt, factura_id, "20.00")
    assert first is not None
    with unit_of_work(rt.engine) as session:
        row = session.get(Invoice, first.id)
        assert row is not None
        row.state = RECHAZADO
        session.add(row)
    second = _nc07(rt, factura_id, "10.00")  # 100 - 30 = 70, cut from the factura's cuotas
    assert second is not None
    assert second.payment_installments == [
        {"amount": "50.00", "due_date": d1.isoformat()},
        {"amount": "20.00", "due_date": d2.isoformat()},
    ]


def test_cuota_already_due_is_restated_as_it_is(shop: dict[str, Any], sunat_data: Path) -> None:
    """SUNAT compares an NC 13's cuotas with the factura's issue date (3321), not the note's:
    a cancellation after the due date still restates the cuota with its own date."""
    rt: EdgeRuntime = shop["rt"]
    start = rt.clock.now()
    a, _b, factura = _billed_factura(shop)
    due = business_date(start) + dt.timedelta(days=30)
    clock = rt.clock
    rt.clock = FixedClock(start + dt.timedelta(days=40))
    try:
        late = {**shop, "boss": auth_headers(rt, Role.SUPERVISOR)}  # a token of that day
        r = _cancel(late, a["id"])
    finally:
        rt.clock = clock
    assert r.status_code == 200, r.text
    nc13 = _notes(rt, factura["id"])[1]
    assert nc13.business_date > due
    assert nc13.payment_installments == [{"amount": "38.40", "due_date": due.isoformat()}]
    assert sunat_errors(sunat_data, _xml(shop, nc13.id)) == []


def test_contado_factura_gets_no_nc13(shop: dict[str, Any]) -> None:
    rt: EdgeRuntime = shop["rt"]
    with unit_of_work(rt.engine) as session:
        inv = issue_to_salud(
            session,
            rt,
            doc_type=DocumentType.FACTURA,
            lines=[LineIn(code="X", description="Servicio", quantity=1, unit_price=D("10.00"))],
        )
        assert credit_terms_note.restated_terms(session, inv) is None
        with pytest.raises(LabError):  # the rules refuse an NC 13 on it anyway (no crédito)
            issue_to_salud(
                session,
                rt,
                doc_type=DocumentType.NOTA_CREDITO,
                lines=[LineIn(code="X", description="Ajuste", quantity=1, unit_price=D("0.00"))],
                reference=inv,
                note_reason=credit_terms_note.REASON,
                payment_terms=PaymentTerms.contado(),
            )


def test_a_manual_credit_note_on_a_credito_factura_brings_its_nc13(shop: dict[str, Any]) -> None:
    """POST /api/billing/{id}/credit-note (a discount for a complaint): the cuota is restated
    in the same unit of work."""
    rt: EdgeRuntime = shop["rt"]
    _a, _b, factura = _billed_factura(shop)
    r = shop["api"].post(
        f"/api/billing/{factura['id']}/credit-note",
        json={"reason_code": "04", "description": "Descuento por reclamo", "amount": "10.40"},
        headers=shop["boss"],
    )
    assert r.status_code == 201, r.text
    notes = _notes(rt, factura["id"])
    assert [n.note_reason for n in notes] == ["04", AJUSTE]
    with read_session(rt.engine) as session:
        nc13 = session.get(Invoice, notes[1].id)
        assert nc13 is not None and nc13.total == D("0.00")
        terms = terms_of(nc13)
        assert terms is not None
        assert [i.amount for i in terms.installments] == [D("60.00")]  # 70.40 - 10.40


def test_a_rejected_nc07_brings_the_cuota_back_with_another_nc13(
    shop: dict[str, Any], sim: Sim
) -> None:
    """The worker sends the NC 07 and SUNAT rejects it (it credits nothing): in the same
    transaction that stores the rejection, a new NC 13 restates the whole amount again."""
    rt: EdgeRuntime = shop["rt"]
    a, _b, factura = _billed_factura(shop)
    assert _cancel(shop, a["id"]).status_code == 200
    nc07, nc13 = _notes(rt, factura["id"])
    sim.faults(reject=1, reject_code="2800")  # the first document sent: the NC 07
    sender.send_round(rt, client=sim.client())
    notes = _notes(rt, factura["id"])
    assert [(n.id, n.state) for n in notes[:2]] == [(nc07.id, RECHAZADO), (nc13.id, ACEPTADO)]
    assert len(notes) == 3
    again = notes[2]
    assert (again.note_reason, again.total, again.state) == (AJUSTE, D("0.00"), PENDIENTE)
    assert again.payment_installments == [
        {"amount": "70.40", "due_date": nc13.payment_installments[0]["due_date"]}  # type: ignore[index]
    ]
    assert nc07.full_number in again.reason
    sender.send_round(rt, client=sim.client())  # the new NC 13 is sent like any note
    assert _notes(rt, factura["id"])[2].state == ACEPTADO

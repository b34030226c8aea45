"""Nota de débito (08): ``POST /api/billing/{id}/debit-note``, its rules, SUNAT's checker, the
queue (simulator over real HTTP) and the printed copy."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from domain.clock import FixedClock
from domain.permissions import Role
from domain.sunat import DebitNoteReason
from edge.audit.models import AuditEvent
from edge.billing import debit, sender, service
from edge.billing.models import ACEPTADO, Invoice
from edge.db import read_session, unit_of_work
from edge.orders.models import Order
from edge.runtime import EdgeRuntime
from tests.edge.billing.conftest import CUSTOMER_RUC, RUC, START, Sim, add_order
from tests.edge.billing.test_issuing import sunat_errors
from tests.edge.factories import auth_headers

ANDINA = {"doc_type": "6", "doc_number": CUSTOMER_RUC, "name": "CLÍNICA ANDINA S.A.C."}
NOTE = {"reason_code": "01", "description": "Intereses por pago fuera de plazo", "amount": "15.00"}


@pytest.fixture
def api(edge_runtime: EdgeRuntime, edge_client: TestClient) -> Iterator[TestClient]:
    edge_runtime.clock = FixedClock(START)
    yield edge_client


def new_order(rt: EdgeRuntime, **kw: object) -> Order:
    assert isinstance(rt.clock, FixedClock)
    with unit_of_work(rt.engine) as session:
        return add_order(session, rt.clock, **kw)  # type: ignore[arg-type]


def accept(rt: EdgeRuntime, invoice_id: str) -> None:
    with unit_of_work(rt.engine) as session:
        inv = session.get(Invoice, invoice_id)
        assert inv is not None
        inv.state = ACEPTADO
        session.add(inv)


def test_debit_note_on_an_accepted_factura(
    edge_runtime: EdgeRuntime, api: TestClient, sunat_data: Path
) -> None:
    rt = edge_runtime
    clerk = auth_headers(rt, Role.RECEPCIONISTA)
    boss = auth_headers(rt, Role.SUPERVISOR)
    body = {"order_id": new_order(rt).id, "customer": ANDINA}
    inv = api.post("/api/billing/invoice", json=body, headers=clerk).json()
    url = f"/api/billing/{inv['id']}/debit-note"
    assert api.post(url, json=NOTE, headers=clerk).status_code == 403  # no invoice.debit_note
    pending = api.post(url, json=NOTE, headers=boss)
    assert pending.status_code == 422
    assert pending.json()["detail"][0]["type"] == "reference_not_accepted"
    accept(rt, inv["id"])
    resp = api.post(url, json=NOTE, headers=boss)
    assert resp.status_code == 201, resp.text
    note = resp.json()
    assert (note["doc_type"], note["full_number"], note["reference"]) == ("08", "FD01-1", "F001-1")
    assert (note["note_reason"], note["total"], note["igv"], note["state"]) == (
        "01",
        "15.00",
        "2.29",
        "pendiente",
    )
    assert note["customer_doc_number"] == CUSTOMER_RUC
    xml = api.get(f"/api/billing/{note['id']}/xml", headers=boss)
    assert xml.headers["content-disposition"].endswith(f'{RUC}-08-FD01-1.xml"')
    assert sunat_errors(sunat_data, xml.content) == []
    pdf = api.get(f"/api/billing/{note['id']}/pdf", headers=boss)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    ticket = api.get(f"/api/billing/{note['id']}/ticket.html", headers=boss)
    assert "NOTA DE DÉBITO" in ticket.text.upper() and "F001-1" in ticket.text
    with read_session(rt.engine) as session:
        (event,) = session.exec(
            select(AuditEvent).where(AuditEvent.action == "invoice.debit_note")
        ).all()
        assert (event.record_id, event.details["reference"]) == (note["id"], inv["id"])
        assert event.details["total"] == "15.00"


def test_debit_note_refusals(edge_runtime: EdgeRuntime, api: TestClient) -> None:
    rt = edge_runtime
    boss = auth_headers(rt, Role.SUPERVISOR)
    inv = api.post("/api/billing/receipt", json={"order_id": new_order(rt).id}, headers=boss)
    boleta = inv.json()
    accept(rt, boleta["id"])
    url = f"/api/billing/{boleta['id']}/debit-note"
    cases = [
        ({**NOTE, "reason_code": "11"}, "literal_error"),  # export adjustment: not ours
        ({**NOTE, "amount": "0.00"}, "amount_invalid"),
        ({**NOTE, "amount": 15.0}, None),  # floats refused
        ({**NOTE, "description": ""}, None),
        ({**NOTE, "extra": 1}, None),
    ]
    for payload, code in cases:
        resp = api.post(url, json=payload, headers=boss)
        assert resp.status_code == 422, payload
        if code is not None:
            assert resp.json()["detail"][0]["type"] == code, resp.text
    missing = api.post("/api/billing/0193aaaa-0000-7000-8000-000000000000/debit-note",
                       json=NOTE, headers=boss)  # fmt: skip
    assert missing.status_code == 404
    ok = api.post(url, json={**NOTE, "reason_code": "02", "amount": "40.00"}, headers=boss)
    assert ok.status_code == 201, ok.text
    assert (ok.json()["full_number"], ok.json()["reference"]) == ("BD01-1", "B001-1")
    on_note = api.post(f"/api/billing/{ok.json()['id']}/debit-note", json=NOTE, headers=boss)
    assert on_note.status_code == 422
    assert on_note.json()["detail"][0]["type"] == "note_reference_type_invalid"


def test_debit_note_is_queued_and_accepted_by_the_simulator(
    rt: EdgeRuntime, make_order: Callable[..., Order], sim: Sim
) -> None:
    order = make_order(document_type="01", customer=("6", CUSTOMER_RUC, "ANDINA S.A.C."))
    with unit_of_work(rt.engine) as session:
        factura = service.issue_for_order(
            session=session, settings=rt.settings, clock=rt.clock, order=order
        )
    sender.send_round(rt, client=sim.client())
    with unit_of_work(rt.engine) as session:
        note = debit.debit_note(
            session=session,
            settings=rt.settings,
            clock=rt.clock,
            invoice_id=factura.id,
            reason=DebitNoteReason.PENALIDADES,
            description="Penalidad por reprogramación",
            amount=Decimal("20.00"),
        )
    report = sender.send_round(rt, client=sim.client())
    assert report.answered == {ACEPTADO: 1}
    assert sim.doc(f"{RUC}-08-{note.series}-{note.number}")["status"] == "aceptado"

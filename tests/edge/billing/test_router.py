"""``/api/billing`` over the edge app, and the printed representation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from domain.clock import FixedClock
from domain.permissions import Role
from edge.billing import copies, printing, service
from edge.billing.models import ACEPTADO, Invoice
from edge.db import read_session, unit_of_work
from edge.orders.models import Order
from edge.runtime import EdgeRuntime
from tests.edge.billing.conftest import CUSTOMER_RUC, RUC, START, add_order
from tests.edge.factories import auth_headers
from tests.pdftext import page_text


@pytest.fixture
def api(edge_runtime: EdgeRuntime, edge_client: TestClient) -> Iterator[TestClient]:
    edge_runtime.clock = FixedClock(START)
    yield edge_client


def order(rt: EdgeRuntime, **kw: object) -> Order:
    assert isinstance(rt.clock, FixedClock)
    with unit_of_work(rt.engine) as session:
        return add_order(session, rt.clock, **kw)  # type: ignore[arg-type]


def accept(rt: EdgeRuntime, invoice_id: str) -> None:
    with unit_of_work(rt.engine) as session:
        inv = session.get(Invoice, invoice_id)
        assert inv is not None
        inv.state = ACEPTADO
        session.add(inv)


def test_receipt_read_list_by_order_xml(edge_runtime: EdgeRuntime, api: TestClient) -> None:
    rt = edge_runtime
    headers = auth_headers(rt, Role.RECEPCIONISTA)
    o = order(rt)
    resp = api.post("/api/billing/receipt", json={"order_id": o.id}, headers=headers)
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert (body["full_number"], body["state"], body["total"], body["igv"]) == (
        "B001-1",
        "pendiente",
        "60.00",
        "9.15",
    )
    assert [ln["code"] for ln in body["lines"]] == ["HEM-001", "BIO-010"]
    inv_id = body["id"]
    assert api.get(f"/api/billing/{inv_id}", headers=headers).json()["id"] == inv_id
    listed = api.get("/api/billing?state=pendiente&doc_type=03", headers=headers).json()
    assert [i["full_number"] for i in listed["items"]] == ["B001-1"]
    by_order = api.get(f"/api/billing/by-order/{o.id}", headers=headers).json()
    assert by_order["count"] == 1
    xml = api.get(f"/api/billing/{inv_id}/xml", headers=headers)
    assert xml.headers["content-type"].startswith("application/xml")
    path = rt.settings.data_dir / body["xml_path"]
    copies.write_new(rt)  # the worker's copy (billing.copies)
    assert xml.content == path.read_bytes()
    assert path.name == f"{RUC}-03-B001-1.xml"
    again = api.post("/api/billing/receipt", json={"order_id": o.id}, headers=headers)
    assert again.status_code == 409
    assert again.json()["detail"][0]["type"] == "order_already_invoiced"


def test_factura_requires_ruc_error_shape(edge_runtime: EdgeRuntime, api: TestClient) -> None:
    headers = auth_headers(edge_runtime, Role.RECEPCIONISTA)
    o = order(edge_runtime)
    bad = {"order_id": o.id, "customer": {"doc_type": "1", "doc_number": "45678912", "name": "X"}}
    resp = api.post("/api/billing/invoice", json=bad, headers=headers)
    assert resp.status_code == 422
    detail = resp.json()["detail"]
    assert detail[0]["type"] == "invoice_requires_ruc"
    assert "RUC" in detail[0]["msg"]
    good = {
        "order_id": o.id,
        "customer": {"doc_type": "6", "doc_number": CUSTOMER_RUC, "name": "ANDINA SA"},
    }
    resp = api.post("/api/billing/invoice", json=good, headers=headers)
    assert resp.status_code == 201 and resp.json()["full_number"] == "F001-1"
    missing = api.post("/api/billing/invoice", json={**good, "order_id": "nope"}, headers=headers)
    assert missing.status_code == 404


def test_credit_note_endpoint_limits(edge_runtime: EdgeRuntime, api: TestClient) -> None:
    rt = edge_runtime
    clerk = auth_headers(rt, Role.RECEPCIONISTA)
    boss = auth_headers(rt, Role.SUPERVISOR)
    inv = api.post("/api/billing/receipt", json={"order_id": order(rt).id}, headers=clerk).json()
    url = f"/api/billing/{inv['id']}/credit-note"
    note = {"reason_code": "04", "description": "Descuento por reclamo", "amount": "25.00"}
    assert api.post(url, json=note, headers=clerk).status_code == 403
    pending = api.post(url, json=note, headers=boss)
    assert pending.status_code == 422
    assert pending.json()["detail"][0]["type"] == "reference_not_accepted"
    accept(rt, inv["id"])
    ok = api.post(url, json=note, headers=boss)
    assert ok.status_code == 201, ok.text
    assert (ok.json()["full_number"], ok.json()["reference"]) == ("BC01-1", "B001-1")
    too_much = api.post(url, json={**note, "amount": "35.01"}, headers=boss)
    assert too_much.status_code == 422
    assert too_much.json()["detail"][0]["type"] == "credit_note_exceeds_remaining"
    floats = api.post(url, json={**note, "amount": 1.5}, headers=boss)
    assert floats.status_code == 422


def test_resend_and_alarms(edge_runtime: EdgeRuntime, api: TestClient) -> None:
    rt = edge_runtime
    boss = auth_headers(rt, Role.SUPERVISOR)
    inv = api.post("/api/billing/receipt", json={"order_id": order(rt).id}, headers=boss).json()
    assert api.get("/api/billing/alarms", headers=boss).json()["count"] == 0
    assert isinstance(rt.clock, FixedClock)
    rt.clock.advance(seconds=86400)  # the boleta's last day
    boss = auth_headers(rt, Role.SUPERVISOR)  # tokens are judged by the node's clock
    alarms = api.get("/api/billing/alarms", headers=boss).json()
    assert [a["full_number"] for a in alarms["items"]] == ["B001-1"]
    assert alarms["items"][0]["days_left"] == 0 and "vence hoy" in alarms["items"][0]["message"]
    resent = api.post(f"/api/billing/{inv['id']}/resend", headers=boss)
    assert resent.status_code == 200 and resent.json()["state"] == "pendiente"
    accept(rt, inv["id"])
    final = api.post(f"/api/billing/{inv['id']}/resend", headers=boss)
    assert final.status_code == 409


def test_pdf_and_html_ticket(edge_runtime: EdgeRuntime, api: TestClient) -> None:
    rt = edge_runtime
    headers = auth_headers(rt, Role.RECEPCIONISTA)
    evil = {"doc_type": "1", "doc_number": "45678912", "name": "<script>alert(1)</script> Ñoño"}
    o = order(rt)
    inv = api.post(
        "/api/billing/receipt", json={"order_id": o.id, "customer": evil}, headers=headers
    ).json()
    for fmt_ in ("a4", "ticket"):
        resp = api.get(f"/api/billing/{inv['id']}/pdf?format={fmt_}", headers=headers)
        assert resp.status_code == 200 and resp.content.startswith(b"%PDF")
        assert resp.headers["content-type"] == "application/pdf"
    assert api.get(f"/api/billing/{inv['id']}/pdf?format=a5", headers=headers).status_code == 422
    page = api.get(f"/api/billing/{inv['id']}/ticket.html", headers=headers)
    assert page.status_code == 200
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Ñoño" in page.text
    assert "B001-1" in page.text and inv["digest_value"] in page.text
    with read_session(rt.engine) as session:
        data = printing.print_data(session, service.get(session, inv["id"]))
    assert data.qr_text == (
        f"{RUC}|03|B001|1|9.15|60.00|2026-03-10|1|45678912|{inv['digest_value']}"
    )
    for render in (printing.pdf_a4, printing.pdf_ticket):
        raw = render(data, compress=False)
        assert raw.startswith(b"%PDF")
        shown = page_text(raw)  # the embedded Unicode font shows glyph ids, not ASCII
        assert "B001-1" in shown
        assert "SESENTA CON 00/100 SOLES" in shown
        assert inv["digest_value"] in shown
        assert RUC in shown


def test_reading_needs_permission(edge_runtime: EdgeRuntime, api: TestClient) -> None:
    lab = auth_headers(edge_runtime, Role.LABORATORISTA)
    o = order(edge_runtime)
    assert api.post("/api/billing/receipt", json={"order_id": o.id}, headers=lab).status_code == 403
    assert api.get("/api/billing", headers=lab).status_code == 403
    assert api.get("/api/billing").status_code == 401

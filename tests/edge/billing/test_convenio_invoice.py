"""The convenio's monthly factura: ``GET /api/convenios/{id}/pending`` and
``POST /api/convenios/{id}/invoice`` (in process, real sales through ``/api/orders``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from domain.clock import business_date
from domain.permissions import Role
from edge.audit.models import AuditEvent
from edge.billing.convenio_models import ConvenioInvoiceOrder
from edge.billing.models import ANULADO, Invoice
from edge.catalog.models import Convenio
from edge.db import read_session, unit_of_work
from edge.orders.models import Order
from edge.runtime import EdgeRuntime
from tests.edge.billing.test_issuing import sunat_errors
from tests.edge.factories import auth_headers
from tests.edge.orders.helpers import (
    conv,
    count_rows,
    load_catalog,
    make_patient,
    sell,
    seller,
    sid,
)

D = Decimal
#: SUNAT's published sheet observes rule 3249 on *every* crédito factura (its XPath counts
#: Cuota nodes under the matched PaymentTerms, where none can exist): an observation, not a
#: rejection; the same treatment as ``KNOWN_SHEET_OBSERVATIONS`` in
#: tests/domain/sunat/test_sunat_documents.py. Nothing else may appear.
CREDIT_FACTURA_OBSERVATIONS = ['3249: INFO : errorCode 3249 (nodo: "/" valor: "")']
SALUD = conv("CONV-SALUDPLUS")  # 80 % coverage, RUC 20503123453
MINERA = conv("CONV-MINERA")  # 100 % of its price list, RUC 20601987652


@pytest.fixture
def shop(edge_runtime: EdgeRuntime, edge_client: TestClient) -> dict[str, Any]:
    load_catalog(edge_runtime)
    _, clerk = seller(edge_runtime)
    return {
        "rt": edge_runtime,
        "api": edge_client,
        "clerk": clerk,
        "boss": auth_headers(edge_runtime, Role.SUPERVISOR),
        "month": f"{business_date(edge_runtime.clock.now()):%Y-%m}",
    }


def _sell(shop: dict[str, Any], convenio: str | None, items: list[str], pay: bool) -> Any:
    body: dict[str, Any] = {
        "patient_id": make_patient(shop["rt"]).id,
        "items": [sid(code) for code in items],
    }
    if convenio:
        body["convenio_id"] = convenio
    order = sell(shop["api"], shop["clerk"], **body)
    if pay and D(order["balance"]) > 0:
        pay_body = {
            "payments": [{"method": "tarjeta", "amount": order["balance"], "reference": "V-1"}]
        }
        r = shop["api"].post(
            f"/api/orders/{order['id']}/payments", json=pay_body, headers=shop["clerk"]
        )
        assert r.status_code == 201, r.text
        order = r.json()
    return order


def _pending(shop: dict[str, Any], convenio: str, month: str | None = None) -> Any:
    r = shop["api"].get(
        f"/api/convenios/{convenio}/pending",
        params={"month": shop["month"] if month is None else month},
        headers=shop["boss"],
    )
    assert r.status_code == 200, r.text
    return r.json()


def _invoice(shop: dict[str, Any], convenio: str, month: str | None = None) -> Any:
    return shop["api"].post(
        f"/api/convenios/{convenio}/invoice",
        json={"month": shop["month"] if month is None else month},
        headers=shop["boss"],
    )


def test_pending_lists_the_months_uncancelled_covered_orders(shop: dict[str, Any]) -> None:
    a = _sell(shop, SALUD, ["HEM-001", "BIO-010"], pay=True)  # 40.00, 80 % → 32.00
    b = _sell(shop, SALUD, ["PAN-LIP"], pay=False)  # 48.00 → 38.40
    gone = _sell(shop, SALUD, ["HEM-001"], pay=False)
    _sell(shop, MINERA, ["HEM-001"], pay=False)  # other convenio
    _sell(shop, None, ["HEM-001"], pay=True)  # public price
    r = shop["api"].post(
        f"/api/orders/{gone['id']}/cancel",
        json={"reason": "Paciente desistió"},
        headers=shop["boss"],
    )
    assert r.status_code == 200, r.text

    body = _pending(shop, SALUD)
    assert [i["number"] for i in body["items"]] == sorted([a["number"], b["number"]])
    assert (body["count"], body["covered_total"], body["orders_total"]) == (2, "70.40", "88.00")
    by_id = {i["order_id"]: i for i in body["items"]}
    assert by_id[a["id"]]["covered_total"] == "32.00"
    assert by_id[a["id"]]["patient_part"] == "8.00"
    assert (body["ruc"], body["ruc_valid"], body["credit_days"]) == ("20503123453", True, 30)
    assert _pending(shop, MINERA)["covered_total"] == "28.00"
    assert _pending(shop, SALUD, "2020-01")["count"] == 0  # another month


def test_invoice_once_then_refused_and_new_orders_billed_next(shop: dict[str, Any]) -> None:
    rt: EdgeRuntime = shop["rt"]
    a = _sell(shop, SALUD, ["HEM-001", "BIO-010"], pay=True)
    b = _sell(shop, SALUD, ["PAN-LIP"], pay=False)
    r = _invoice(shop, SALUD)
    assert r.status_code == 201, r.text
    out = r.json()
    inv = out["invoice"]
    assert (inv["doc_type"], inv["series"], inv["state"]) == ("01", "F001", "pendiente")
    assert (inv["customer_doc_type"], inv["customer_doc_number"]) == ("6", "20503123453")
    assert inv["customer_name"] == "SALUD PLUS EPS S.A."
    assert inv["order_id"] is None
    assert (inv["total"], inv["igv"]) == ("70.40", "10.74")
    assert [ln["total"] for ln in inv["lines"]] == ["32.00", "38.40"]
    assert inv["lines"][0]["description"].startswith(f"Orden {a['number']} (")
    assert inv["lines"][0]["description"].endswith("– servicios de laboratorio")
    assert {o["order_id"] for o in out["orders"]} == {a["id"], b["id"]}
    assert out["count"] == 2 and out["month"] == shop["month"]

    assert _pending(shop, SALUD)["count"] == 0
    again = _invoice(shop, SALUD)
    assert again.status_code == 409
    err = again.json()["detail"][0]
    assert err["type"] == "convenio_nothing_pending" and "pendientes" in err["msg"]

    c = _sell(shop, SALUD, ["BIO-010"], pay=False)  # 10.00 → 8.00
    second = _invoice(shop, SALUD)
    assert second.status_code == 201, second.text
    assert [o["order_id"] for o in second.json()["orders"]] == [c["id"]]
    assert second.json()["invoice"]["total"] == "8.00"
    assert second.json()["invoice"]["full_number"] != inv["full_number"]

    with read_session(rt.engine) as session:
        links = session.exec(select(ConvenioInvoiceOrder)).all()
        assert sorted(str(ln.amount) for ln in links) == ["32.00", "38.40", "8.00"]
        events = session.exec(
            select(AuditEvent).where(AuditEvent.action == "convenio.invoice")
        ).all()
        assert [e.record_id for e in events] == [inv["id"], second.json()["invoice"]["id"]]
        assert events[0].details["orders"] == 2
    with rt.engine.connect() as conn:
        shipped = conn.exec_driver_sql(
            "SELECT count(*) FROM sync_outbox WHERE record_type = 'convenio_invoice_order'"
        ).scalar_one()
    assert shipped == 3


def test_patient_part_keeps_its_boleta_and_balance(shop: dict[str, Any]) -> None:
    rt: EdgeRuntime = shop["rt"]
    a = _sell(shop, SALUD, ["HEM-001", "BIO-010"], pay=True)
    assert (a["covered_total"], a["paid_total"], a["balance"]) == ("32.00", "8.00", "0.00")
    assert _invoice(shop, SALUD).status_code == 201
    with read_session(rt.engine) as session:
        docs = session.exec(select(Invoice).where(Invoice.order_id == a["id"])).all()
        assert [(d.doc_type, str(d.total)) for d in docs] == [("03", "8.00")]  # patient's boleta
        order = session.get(Order, a["id"])
        assert order is not None
        assert (str(order.paid_total), str(order.balance)) == ("8.00", "0.00")
        assert str(order.covered_total) == "32.00"


def test_factura_xml_passes_sunat_rules(shop: dict[str, Any], sunat_data: Path) -> None:
    _sell(shop, SALUD, ["HEM-001", "BIO-010"], pay=True)
    _sell(shop, MINERA, ["HEM-001", "URI-001"], pay=False)
    for convenio in (SALUD, MINERA):
        r = _invoice(shop, convenio)
        assert r.status_code == 201, r.text
        xml = shop["api"].get(f"/api/billing/{r.json()['invoice']['id']}/xml", headers=shop["boss"])
        assert xml.status_code == 200
        assert b"servicios de laboratorio" in xml.content
        assert sunat_errors(sunat_data, xml.content) == CREDIT_FACTURA_OBSERVATIONS
        assert b"<cbc:PaymentMeansID>Credito</cbc:PaymentMeansID>" in xml.content
        pdf = shop["api"].get(f"/api/billing/{r.json()['invoice']['id']}/pdf", headers=shop["boss"])
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_voided_factura_makes_its_orders_pending_again(shop: dict[str, Any]) -> None:
    a = _sell(shop, MINERA, ["HEM-001"], pay=False)
    inv = _invoice(shop, MINERA).json()["invoice"]
    with unit_of_work(shop["rt"].engine) as session:
        row = session.get(Invoice, inv["id"])
        assert row is not None
        row.state = ANULADO
        session.add(row)
    assert [i["order_id"] for i in _pending(shop, MINERA)["items"]] == [a["id"]]


@pytest.mark.parametrize("role", [Role.RECEPCIONISTA, Role.LABORATORISTA])
def test_only_supervisors_invoice_convenios(shop: dict[str, Any], role: Role) -> None:
    _sell(shop, MINERA, ["HEM-001"], pay=False)
    h = auth_headers(shop["rt"], role)
    url = f"/api/convenios/{MINERA}"
    r = shop["api"].get(f"{url}/pending", params={"month": shop["month"]}, headers=h)
    assert r.status_code == 403
    r = shop["api"].post(f"{url}/invoice", json={"month": shop["month"]}, headers=h)
    assert r.status_code == 403 and r.json()["detail"][0]["type"] == "permission_denied"
    assert shop["api"].post(f"{url}/invoice", json={"month": shop["month"]}).status_code == 401
    admin = auth_headers(shop["rt"], Role.ADMIN)
    r = shop["api"].post(f"{url}/invoice", json={"month": shop["month"]}, headers=admin)
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("month", ["2026-13", "noviembre", "2026-1", "", "2026-11-01"])
def test_bad_month_is_422(shop: dict[str, Any], month: str) -> None:
    r = shop["api"].get(
        f"/api/convenios/{SALUD}/pending", params={"month": month}, headers=shop["boss"]
    )
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"][-1] == "month"
    r = _invoice(shop, SALUD, month)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "month"]
    if month:
        assert r.json()["detail"][0]["type"] == "month_invalid"
        assert "AAAA-MM" in r.json()["detail"][0]["msg"]


def test_unknown_convenio_is_404(shop: dict[str, Any]) -> None:
    r = _invoice(shop, "no-existe")
    assert r.status_code == 404 and r.json()["detail"][0]["type"] == "convenio_not_found"
    r = shop["api"].get(
        "/api/convenios/no-existe/pending", params={"month": shop["month"]}, headers=shop["boss"]
    )
    assert r.status_code == 404


def test_convenio_without_valid_ruc_writes_nothing(shop: dict[str, Any]) -> None:
    rt: EdgeRuntime = shop["rt"]
    with unit_of_work(rt.engine) as session:
        row = session.get(Convenio, SALUD)
        assert row is not None
        row.ruc = "20503123450"  # wrong check digit
        session.add(row)
    _sell(shop, SALUD, ["HEM-001"], pay=False)
    before = {t: count_rows(rt, t) for t in ("invoice", "convenio_invoice_order", "sync_outbox")}
    assert _pending(shop, SALUD)["ruc_valid"] is False
    r = _invoice(shop, SALUD)
    assert r.status_code == 422
    err = r.json()["detail"][0]
    assert err["type"] == "convenio_ruc_invalid" and "RUC" in err["msg"]
    after = {t: count_rows(rt, t) for t in before}
    assert after == before


def test_nothing_pending_in_an_empty_month(shop: dict[str, Any]) -> None:
    r = _invoice(shop, SALUD, "2021-02")
    assert r.status_code == 409
    assert r.json()["detail"][0]["type"] == "convenio_nothing_pending"
    assert dt.date(2021, 2, 1).strftime("%Y-%m") in r.json()["detail"][0]["msg"]

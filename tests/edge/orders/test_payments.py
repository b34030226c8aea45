"""Payments: bancarización, change, partial payment, paying later, cash sessions, convenios."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient

from edge.runtime import EdgeRuntime
from tests.edge.orders.helpers import conv, count_rows, detail, make_patient, sell, seller, sid


def test_cash_change_is_computed(edge_client: TestClient, edge_runtime: EdgeRuntime) -> None:
    _, h = seller(edge_runtime)
    p = make_patient(edge_runtime)
    body = sell(
        edge_client,
        h,
        patient_id=p.id,
        items=[sid("HEM-001")],
        payments=[{"method": "efectivo", "amount": "35.00", "tendered": "50.00"}],
    )
    assert body["payments"][0]["change"] == "15.00"
    assert body["payments"][0]["tendered"] == "50.00"
    assert body["change"] == "15.00" and body["balance"] == "0.00"
    assert body["payments"][0]["cash_session_id"] is not None


def test_bancarizacion_refuses_cash_of_2000_or_more(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    p = make_patient(edge_runtime)
    item = {"service_id": sid("HEM-001"), "unit_price": "2500.00", "override_reason": "prueba"}
    _, sup = seller(edge_runtime, "supervisor")
    before = count_rows(edge_runtime, "lab_order")
    r = edge_client.post(
        "/api/orders",
        json={
            "patient_id": p.id,
            "items": [item],
            "payments": [
                {"method": "efectivo", "amount": "1000.00"},
                {"method": "efectivo", "amount": "1000.00"},
            ],
        },
        headers=sup,
    )
    assert r.status_code == 422
    assert detail(r.json()) == ("bancarizacion", ["body", "payments", 1, "amount"])
    assert "bancarización" in r.json()["detail"][0]["msg"]
    assert count_rows(edge_runtime, "lab_order") == before
    # the same amount by card, and cash under the threshold, go through
    body = sell(
        edge_client,
        sup,
        patient_id=p.id,
        items=[item],
        payments=[
            {"method": "efectivo", "amount": "1999.99"},
            {"method": "tarjeta", "amount": "500.01", "reference": "V-9"},
        ],
    )
    assert body["balance"] == "0.00"


def test_bancarizacion_threshold_comes_from_the_sede(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    with edge_runtime.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE sede SET cash_threshold_cents = 3000")
    _, h = seller(edge_runtime)
    p = make_patient(edge_runtime)
    r = edge_client.post(
        "/api/orders",
        json={
            "patient_id": p.id,
            "items": [sid("HEM-001")],
            "payments": [{"method": "efectivo", "amount": "30.00"}],
        },
        headers=h,
    )
    assert detail(r.json())[0] == "bancarizacion"


def test_partial_payment_then_pay_later(edge_client: TestClient, edge_runtime: EdgeRuntime) -> None:
    _, h = seller(edge_runtime)
    p = make_patient(edge_runtime)
    body = sell(
        edge_client,
        h,
        patient_id=p.id,
        items=[sid("PAN-LIP"), sid("HEM-001")],
        payments=[{"method": "yape", "amount": "40.00", "reference": "OP-1"}],
    )
    assert (body["paid_total"], body["balance"]) == ("40.00", "50.00")
    url = f"/api/orders/{body['id']}/payments"
    r = edge_client.post(
        url,
        json={"payments": [{"method": "plin", "amount": "50.01", "reference": "OP-2"}]},
        headers=h,
    )
    assert detail(r.json()) == ("overpayment", ["body", "payments"])
    r = edge_client.post(
        url,
        json={
            "payments": [
                {"method": "plin", "amount": "20.00", "reference": "OP-3"},
                {"method": "efectivo", "amount": "30.00", "tendered": "50.00"},
            ]
        },
        headers=h,
    )
    assert r.status_code == 201, r.text
    paid = r.json()
    assert (paid["paid_total"], paid["balance"], paid["change"]) == ("90.00", "0.00", "20.00")
    assert len(paid["payments"]) == 3
    r = edge_client.post(
        url,
        json={"payments": [{"method": "plin", "amount": "0.01", "reference": "OP-4"}]},
        headers=h,
    )
    assert detail(r.json())[0] == "overpayment"


def test_cash_without_an_open_session_is_refused(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    _, h = seller(edge_runtime, cash=False)
    p = make_patient(edge_runtime)
    r = edge_client.post(
        "/api/orders",
        json={
            "patient_id": p.id,
            "items": [sid("HEM-001")],
            "payments": [{"method": "efectivo", "amount": "35.00"}],
        },
        headers=h,
    )
    assert r.status_code == 422
    assert r.json()["detail"][0]["type"] == "cash_session_closed"
    body = sell(
        edge_client,
        h,
        patient_id=p.id,
        items=[sid("HEM-001")],
        payments=[{"method": "tarjeta", "amount": "35.00", "reference": "V-100"}],
    )
    assert body["payments"][0]["cash_session_id"] is None


def test_convenio_coverage_percent_is_por_cobrar(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    """SALUD PLUS: 80 % of the services on its price list, at its prices."""
    _, h = seller(edge_runtime)
    p = make_patient(edge_runtime)
    body = sell(
        edge_client,
        h,
        patient_id=p.id,
        convenio_id=conv("CONV-SALUDPLUS"),
        items=[sid("HEM-001"), sid("PAN-LIP"), sid("HOR-001")],
    )
    prices = {i["service_code"]: i for i in body["items"] if i["parent_item_id"] is None}
    assert prices["HEM-001"]["unit_price"] == "30.00" and prices["HEM-001"]["list_price"] == "35.00"
    assert prices["PAN-LIP"]["unit_price"] == "48.00"
    assert prices["HOR-001"]["coverage_eligible"] is False
    tsh = Decimal(prices["HOR-001"]["unit_price"])
    assert Decimal(body["total"]) == Decimal("78.00") + tsh
    assert body["covered_total"] == "62.40"  # 80 % of 78.00
    assert Decimal(body["balance"]) == Decimal("15.60") + tsh
    assert body["coverage_pct"] == "80.00"


def test_company_convenio_pays_its_price_list_in_full(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    _, h = seller(edge_runtime)
    p = make_patient(edge_runtime)
    body = sell(
        edge_client,
        h,
        patient_id=p.id,
        convenio_id=conv("CONV-MINERA"),
        items=[sid("HEM-001"), sid("URI-001")],
        discount=None,
    )
    assert (body["total"], body["covered_total"], body["balance"]) == ("40.00", "40.00", "0.00")
    r = edge_client.post(
        f"/api/orders/{body['id']}/payments",
        json={"payments": [{"method": "tarjeta", "amount": "1.00", "reference": "V-101"}]},
        headers=h,
    )
    assert detail(r.json())[0] == "overpayment"

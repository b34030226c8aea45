"""End to end through the orders API: a sale creates its samples and lands in the cash session."""

from __future__ import annotations

from fastapi.testclient import TestClient

from domain.permissions import Role
from edge.runtime import EdgeRuntime
from tests.edge.cash.rows import Actor
from tests.edge.orders.helpers import load_catalog, make_patient, sid


def test_sale_creates_samples_and_is_counted_in_the_session(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    load_catalog(edge_runtime)
    cashier = Actor(edge_runtime, Role.RECEPCIONISTA)
    patient = make_patient(edge_runtime)
    body = {
        "patient_id": patient.id,
        "items": [sid("PAN-LIP"), sid("HEM-001")],
        "payments": [{"method": "efectivo", "amount": "20.00"}],
    }
    refused = edge_client.post("/api/orders", json=body, headers=cashier.headers)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["type"] == "cash_session_closed"

    sid_ = edge_client.post(
        "/api/cash/sessions", json={"opening_float": "10.00"}, headers=cashier.headers
    ).json()["id"]
    sold = edge_client.post("/api/orders", json=body, headers=cashier.headers)
    assert sold.status_code == 201, sold.text
    order = sold.json()
    assert order["payments"][0]["cash_session_id"] == sid_

    samples = edge_client.get(f"/api/orders/{order['id']}/samples", headers=cashier.headers)
    items = samples.json()["items"]
    tubes = {(s["sample_type"], s["tube"]) for s in items}
    assert len(items) == len(tubes) >= 1  # one sample per tube
    covered = {i for s in items for i in s["item_ids"]}
    tests = [
        i
        for i in order["items"]
        if i["parent_item_id"] is not None or i["service_code"] == "HEM-001"
    ]
    assert {i["id"] for i in tests} <= covered

    count = edge_client.post(
        f"/api/cash/sessions/{sid_}/count",
        json={"denominations": {"20": 1, "10": 1}},
        headers=cashier.headers,
    ).json()
    assert count["difference"] == "0.00"
    for s in items:
        assert (
            edge_client.post(f"/api/samples/{s['id']}/take", headers=cashier.headers).status_code
            == 200
        )
    after = edge_client.get(f"/api/orders/{order['id']}", headers=cashier.headers).json()
    assert after["status"] == "muestra_tomada"

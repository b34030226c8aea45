"""Creating an order: panels, stored prices, validation, nothing written on a bad input."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from domain.permissions import Role
from edge.runtime import EdgeRuntime
from tests.edge.orders.helpers import count_rows, detail, make_patient, sell, seller, sid

TABLES = ("lab_order", "order_item", "payment", "order_status_event", "order_counter")


def snapshot(rt: EdgeRuntime) -> dict[str, int]:
    return {t: count_rows(rt, t) for t in (*TABLES, "sync_outbox", "audit_event")}


def test_panel_expands_into_children_priced_as_the_panel(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    _, h = seller(edge_runtime)
    p = make_patient(edge_runtime)
    body = sell(edge_client, h, patient_id=p.id, items=[sid("PAN-LIP"), sid("HEM-001")])
    items = body["items"]
    panel = next(i for i in items if i["service_code"] == "PAN-LIP")
    children = [i for i in items if i["parent_item_id"] == panel["id"]]
    assert [c["service_code"] for c in children] == ["BIO-020", "BIO-021", "BIO-022", "BIO-023"]
    assert all(c["unit_price"] == "0.00" and c["line_total"] == "0.00" for c in children)
    assert children[0]["list_price"] == "15.00"  # the test's own price is kept for reference
    assert panel["unit_price"] == "55.00"
    assert body["subtotal"] == "90.00" and body["total"] == "90.00"
    assert body["balance"] == "90.00" and body["status"] == "registrada"
    assert body["number"].startswith("S01-") and body["number"].endswith("-0001")
    assert [e["to_status"] for e in body["status_history"]] == ["registrada"]
    # the boleta customer defaults to the patient
    assert body["customer_doc_number"] == p.doc_number and body["document_type"] == "03"


def test_outbox_rows_are_written_with_the_sale(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    _, h = seller(edge_runtime)
    p = make_patient(edge_runtime)
    before = count_rows(edge_runtime, "sync_outbox")
    body = sell(
        edge_client,
        h,
        patient_id=p.id,
        items=[sid("PAN-TIR")],
        payments=[{"method": "tarjeta", "amount": "65.00", "reference": "V-1"}],
    )
    with edge_runtime.engine.connect() as conn:
        types = [
            r[0]
            for r in conn.exec_driver_sql(
                "SELECT record_type FROM sync_outbox WHERE seq > ? ORDER BY seq", (before,)
            )
        ]
    assert {"order", "order_item", "order_status_event", "payment"} <= set(types)
    assert types.count("order_item") == 3
    assert body["balance"] == "0.00"


def test_price_change_after_sale_leaves_the_order_alone(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    _, h = seller(edge_runtime)
    p = make_patient(edge_runtime)
    body = sell(edge_client, h, patient_id=p.id, items=[sid("HEM-001")])
    with edge_runtime.engine.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE catalog_service SET price_cents = 4500, catalog_version = 2 WHERE id = ?",
            (sid("HEM-001"),),
        )
    again = edge_client.get(f"/api/orders/{body['id']}", headers=h).json()
    assert again["total"] == "35.00"
    assert again["items"][0]["unit_price"] == "35.00"
    assert again["items"][0]["catalog_version"] == 1
    newer = sell(edge_client, h, patient_id=p.id, items=[sid("HEM-001")])
    assert newer["total"] == "45.00" and newer["items"][0]["catalog_version"] == 2


def test_factura_needs_a_valid_ruc(edge_client: TestClient, edge_runtime: EdgeRuntime) -> None:
    _, h = seller(edge_runtime)
    p = make_patient(edge_runtime)
    base: dict[str, Any] = {"patient_id": p.id, "items": [sid("HEM-001")], "document_type": "01"}
    r = edge_client.post("/api/orders", json=base, headers=h)
    assert (r.status_code, detail(r.json())) == (422, ("customer_required", ["body", "customer"]))
    bad = {"doc_type": "6", "doc_number": "20100070971", "name": "X S.A.C."}
    r = edge_client.post("/api/orders", json={**base, "customer": bad}, headers=h)
    assert r.status_code == 422
    code, loc = detail(r.json())
    assert loc == ["body", "customer", "doc_number"] and "ruc" in code
    dni = {"doc_type": "1", "doc_number": "45678912", "name": "X"}
    r = edge_client.post("/api/orders", json={**base, "customer": dni}, headers=h)
    assert detail(r.json()) == ("factura_needs_ruc", ["body", "customer", "doc_type"])
    good = {"doc_type": "6", "doc_number": "20100070970", "name": "EMPRESA S.A.C."}
    body = sell(edge_client, h, **base, customer=good)
    assert body["document_type"] == "01" and body["customer_doc_number"] == "20100070970"


@pytest.mark.parametrize(
    ("patch", "status", "code", "loc"),
    [
        ({"items": []}, 422, "too_short", ["body", "items"]),
        ({"items": ["nope"]}, 422, "service_not_found", ["body", "items", 0]),
        ({"items": [sid("HEM-001"), sid("HEM-001")]}, 422, "duplicate_item", ["body", "items", 1]),
        ({"patient_id": "nope"}, 422, "patient_not_found", ["body", "patient_id"]),
        ({"convenio_id": "nope"}, 422, "convenio_not_found", ["body", "convenio_id"]),
        (
            {"payments": [{"method": "efectivo", "amount": 35.0}]},
            422,
            "amount_not_decimal",
            ["body", "payments", 0, "amount"],
        ),
        (
            {"payments": [{"method": "bitcoin", "amount": "35.00"}]},
            422,
            "enum",
            ["body", "payments", 0, "method"],
        ),
        (
            {"payments": [{"method": "tarjeta", "amount": "0", "reference": "V-100"}]},
            422,
            "payment_amount_zero",
            ["body", "payments", 0, "amount"],
        ),
        (
            {
                "payments": [
                    {
                        "method": "tarjeta",
                        "amount": "35.00",
                        "tendered": "50.00",
                        "reference": "V-100",
                    }
                ]
            },
            422,
            "tendered_not_cash",
            ["body", "payments", 0, "tendered"],
        ),
        (
            {"payments": [{"method": "yape", "amount": "35.01", "reference": "OP-100"}]},
            422,
            "overpayment",
            ["body", "payments"],
        ),
        (
            {"discount": {"kind": "amount", "value": "36.00", "reason": "prueba"}},
            422,
            "discount_exceeds_total",
            ["body", "discount", "value"],
        ),
        ({"extra": 1}, 422, "extra_forbidden", ["body", "extra"]),
    ],
)
def test_bad_input_writes_nothing(
    edge_client: TestClient,
    edge_runtime: EdgeRuntime,
    patch: dict[str, Any],
    status: int,
    code: str,
    loc: list[Any],
) -> None:
    _, h = seller(edge_runtime)
    p = make_patient(edge_runtime)
    before = snapshot(edge_runtime)
    body = {"patient_id": p.id, "items": [sid("HEM-001")], **patch}
    r = edge_client.post("/api/orders", json=body, headers=h)
    assert r.status_code == status, r.text
    assert detail(r.json()) == (code, loc)
    assert isinstance(r.json()["detail"][0]["msg"], str) and r.json()["detail"][0]["msg"]
    assert snapshot(edge_runtime) == before


def test_failure_after_rows_were_flushed_rolls_everything_back(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    """Overpayment is detected after the order and its items are built: nothing stays."""
    _, h = seller(edge_runtime)
    p = make_patient(edge_runtime)
    before = snapshot(edge_runtime)
    r = edge_client.post(
        "/api/orders",
        json={
            "patient_id": p.id,
            "items": [sid("PAN-LIP")],
            "payments": [
                {"method": "efectivo", "amount": "20.00", "tendered": "10.00"},
            ],
        },
        headers=h,
    )
    assert detail(r.json()) == ("tendered_insufficient", ["body", "payments", 0, "tendered"])
    assert snapshot(edge_runtime) == before


def test_inactive_service_is_refused(edge_client: TestClient, edge_runtime: EdgeRuntime) -> None:
    _, h = seller(edge_runtime)
    p = make_patient(edge_runtime)
    with edge_runtime.engine.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE catalog_service SET active = 0 WHERE id = ?", (sid("HEM-002"),)
        )
    r = edge_client.post(
        "/api/orders", json={"patient_id": p.id, "items": [sid("HEM-002")]}, headers=h
    )
    assert detail(r.json()) == ("service_inactive", ["body", "items", 0])


def test_roles_without_order_create_are_refused(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    _, h = seller(edge_runtime, Role.LABORATORISTA, cash=False)
    p = make_patient(edge_runtime)
    r = edge_client.post(
        "/api/orders", json={"patient_id": p.id, "items": [sid("HEM-001")]}, headers=h
    )
    assert r.status_code == 403
    assert r.json()["detail"][0]["type"] == "permission_denied"


def test_price_override_needs_permission_and_is_audited(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    p = make_patient(edge_runtime)
    item = {"service_id": sid("HEM-001"), "unit_price": "30.00", "override_reason": "Campaña"}
    _, rec = seller(edge_runtime)
    r = edge_client.post("/api/orders", json={"patient_id": p.id, "items": [item]}, headers=rec)
    assert detail(r.json()) == ("permission_denied", ["body", "items", 0, "unit_price"])
    _, sup = seller(edge_runtime, Role.SUPERVISOR)
    body = sell(edge_client, sup, patient_id=p.id, items=[item])
    assert body["items"][0]["unit_price"] == "30.00"
    assert body["items"][0]["list_price"] == "35.00"
    assert body["items"][0]["price_overridden"] is True
    with edge_runtime.engine.connect() as conn:
        actions = [r[0] for r in conn.exec_driver_sql("SELECT action FROM audit_event").fetchall()]
    assert "order.price_override" in actions

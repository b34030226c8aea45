"""Discounts: within the limit, above it with a supervisor's credentials, audited."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from domain.permissions import Role
from edge.runtime import EdgeRuntime
from tests.edge.factories import PASSWORD, make_user
from tests.edge.orders.helpers import count_rows, detail, make_patient, sell, seller, sid


def audit_actions(rt: EdgeRuntime) -> list[tuple[str, str]]:
    with rt.engine.connect() as conn:
        return [
            (r[0], r[1])
            for r in conn.exec_driver_sql("SELECT action, details FROM audit_event").fetchall()
        ]


def order_body(patient_id: str, **discount: Any) -> dict[str, Any]:
    return {"patient_id": patient_id, "items": [sid("PAN-LIP"), sid("HEM-001")], **discount}


def test_discount_within_limit_is_applied_and_audited(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    _, h = seller(edge_runtime)
    p = make_patient(edge_runtime)
    d = {"kind": "percent", "value": "10", "reason": "Adulto mayor"}
    body = sell(edge_client, h, **order_body(p.id, discount=d))
    assert (body["subtotal"], body["discount_total"], body["total"]) == ("90.00", "9.00", "81.00")
    priced = [i for i in body["items"] if i["parent_item_id"] is None]
    assert sorted(i["discount"] for i in priced) == ["3.50", "5.50"]
    assert body["discount_approved_by"] is None
    actions = audit_actions(edge_runtime)
    assert [a for a, _ in actions] == ["order.discount"]
    assert "Adulto mayor" in actions[0][1]


def test_discount_above_limit_without_approval_is_refused(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    _, h = seller(edge_runtime)
    p = make_patient(edge_runtime)
    before = count_rows(edge_runtime, "lab_order")
    d = {"kind": "amount", "value": "9.01", "reason": "Cortesía"}
    r = edge_client.post("/api/orders", json=order_body(p.id, discount=d), headers=h)
    assert r.status_code == 422
    assert detail(r.json()) == ("discount_needs_approval", ["body", "discount"])
    assert count_rows(edge_runtime, "lab_order") == before
    assert audit_actions(edge_runtime) == []


def test_supervisor_credentials_at_the_counter_approve(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    _, h = seller(edge_runtime)
    p = make_patient(edge_runtime)
    sup = make_user(edge_runtime, Role.SUPERVISOR, username="sup-ana")
    d = {
        "kind": "percent",
        "value": "20",
        "reason": "Campaña",
        "approver_username": "sup-ana",
        "approver_password": "incorrecta",
    }
    r = edge_client.post("/api/orders", json=order_body(p.id, discount=d), headers=h)
    assert detail(r.json()) == ("approval_invalid", ["body", "discount", "approver_password"])
    body = sell(edge_client, h, **order_body(p.id, discount={**d, "approver_password": PASSWORD}))
    assert body["discount_total"] == "18.00"
    assert body["discount_approved_by"] == sup.id


def test_approver_must_be_a_supervisor_of_this_sede(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    _, h = seller(edge_runtime)
    p = make_patient(edge_runtime)
    make_user(edge_runtime, Role.RECEPCIONISTA, username="rec-colega")
    make_user(edge_runtime, Role.SUPERVISOR, username="sup-otra", sede_ids=["otra-sede"])
    for username in ("rec-colega", "sup-otra"):
        d = {
            "kind": "percent",
            "value": "20",
            "reason": "Campaña",
            "approver_username": username,
            "approver_password": PASSWORD,
        }
        r = edge_client.post("/api/orders", json=order_body(p.id, discount=d), headers=h)
        assert detail(r.json()) == (
            "approver_not_allowed",
            ["body", "discount", "approver_username"],
        )


def test_supervisor_selling_approves_their_own_discount(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    user, h = seller(edge_runtime, Role.SUPERVISOR)
    p = make_patient(edge_runtime)
    d = {"kind": "percent", "value": "50", "reason": "Personal"}
    body = sell(edge_client, h, **order_body(p.id, discount=d))
    assert body["discount_approved_by"] == user.id and body["total"] == "45.00"


def test_threshold_comes_from_settings(edge_client: TestClient, edge_runtime: EdgeRuntime) -> None:
    with edge_runtime.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO setting (id, key, value) VALUES ('s1', "
            "'discount_approval_threshold_pct', '\"25\"')"
        )
    _, h = seller(edge_runtime)
    p = make_patient(edge_runtime)
    d = {"kind": "percent", "value": "20", "reason": "Campaña"}
    assert sell(edge_client, h, **order_body(p.id, discount=d))["total"] == "72.00"
    r = edge_client.post(
        "/api/orders", json=order_body(p.id, discount={**d, "value": "25.01"}), headers=h
    )
    assert detail(r.json())[0] == "discount_needs_approval"


def test_discount_after_payment_cannot_leave_a_negative_balance(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    _, h = seller(edge_runtime)
    p = make_patient(edge_runtime)
    body = sell(
        edge_client,
        h,
        patient_id=p.id,
        items=[sid("HEM-001")],
        payments=[{"method": "tarjeta", "amount": "33.00", "reference": "V-100"}],
    )
    url = f"/api/orders/{body['id']}/discount"
    r = edge_client.post(
        url, json={"kind": "amount", "value": "3.00", "reason": "Reclamo"}, headers=h
    )
    assert r.status_code == 422
    assert r.json()["detail"][0]["type"] == "discount_exceeds_balance"
    r = edge_client.post(
        url, json={"kind": "amount", "value": "2.00", "reason": "Reclamo"}, headers=h
    )
    after = r.json()
    assert (after["total"], after["paid_total"], after["balance"]) == ("33.00", "33.00", "0.00")
    assert after["items"][0]["discount"] == "2.00" and after["items"][0]["unit_price"] == "35.00"

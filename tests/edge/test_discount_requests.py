"""The discount approval queue: ask, list, approve / reject with a reason, expiry, permissions."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from domain.clock import FixedClock
from domain.ids import sede_id_for
from domain.permissions import Role
from edge.auth.models import User
from edge.runtime import EdgeRuntime
from tests.edge.factories import make_user, token_for
from tests.edge.orders.helpers import count_rows, detail, load_catalog, make_patient, seller, sid

PANEL_AND_TEST = [sid("PAN-LIP"), sid("HEM-001")]  # subtotal S/ 90.00 in the demo catalog
ASK = {"kind": "percent", "value": "20", "reason": "Paciente oncológico, campaña"}
YAPE_72 = {"payments": [{"method": "yape", "amount": "72.00", "reference": "OP-1"}]}


@pytest.fixture(autouse=True)
def _catalog(edge_runtime: EdgeRuntime) -> None:
    load_catalog(edge_runtime)


def _h(rt: EdgeRuntime, user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(rt, user)}"}


def _order(client: TestClient, h: dict[str, str], rt: EdgeRuntime) -> dict[str, Any]:
    p = make_patient(rt)
    r = client.post("/api/orders", json={"patient_id": p.id, "items": PANEL_AND_TEST}, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["total"] == "90.00"
    return dict(r.json())


def _ask(
    client: TestClient, h: dict[str, str], order_id: str, body: dict[str, Any] | None = None
) -> Any:
    return client.post(f"/api/orders/{order_id}/discount-requests", json=body or ASK, headers=h)


def _audit(rt: EdgeRuntime) -> list[tuple[str, dict[str, Any]]]:
    with rt.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT action, details FROM audit_event ORDER BY created_at, id"
        ).fetchall()
    return [(r[0], json.loads(r[1]) if isinstance(r[1], str) else r[1]) for r in rows]


def _outbox(rt: EdgeRuntime, record_type: str) -> list[dict[str, Any]]:
    with rt.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT payload FROM sync_outbox WHERE record_type = ? ORDER BY seq", (record_type,)
        ).fetchall()
    return [json.loads(r[0]) for r in rows]


def test_request_list_approve_then_pay(edge_client: TestClient, edge_runtime: EdgeRuntime) -> None:
    rt = edge_runtime
    clerk, h = seller(rt, username="recepcion1")
    boss = make_user(rt, Role.SUPERVISOR, username="supervisora")
    order = _order(edge_client, h, rt)

    r = _ask(edge_client, h, order["id"])
    assert r.status_code == 201, r.text
    req = r.json()
    assert req["status"] == "pendiente" and req["order_number"] == order["number"]
    assert (req["amount"], req["pct"], req["value"]) == ("18.00", "20.00", "20.00")
    assert req["requested_by"] == clerk.id and req["requested_by_name"] == "recepcion1"
    assert req["decided_by"] is None and req["order"] is None
    assert dt.datetime.fromisoformat(req["expires_at"]) > dt.datetime.now(dt.UTC)

    # While it waits the order takes no payment (it would be collected at the wrong price).
    r = edge_client.post(f"/api/orders/{order['id']}/payments", json=YAPE_72, headers=h)
    assert r.status_code == 409 and detail(r.json())[0] == "discount_request_pending"
    assert count_rows(rt, "payment") == 0

    listed = edge_client.get("/api/discount-requests", headers=_h(rt, boss))
    assert listed.status_code == 200, listed.text
    assert [i["id"] for i in listed.json()["items"]] == [req["id"]]
    assert listed.json()["total"] == 1

    r = edge_client.post(
        f"/api/discount-requests/{req['id']}/approve",
        json={"reason": "Campaña vigente"},
        headers=_h(rt, boss),
    )
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["status"] == "aprobada" and done["decided_by"] == boss.id
    assert done["decided_by_name"] == "supervisora" and done["decision_reason"] == "Campaña vigente"
    assert (done["order"]["discount_total"], done["order"]["total"]) == ("18.00", "72.00")
    assert done["order"]["balance"] == "72.00"
    full = edge_client.get(f"/api/orders/{order['id']}", headers=h).json()
    assert full["discount_approved_by"] == boss.id
    assert full["discount_reason"] == ASK["reason"]

    r = edge_client.post(f"/api/orders/{order['id']}/payments", json=YAPE_72, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["balance"] == "0.00"
    assert edge_client.get("/api/discount-requests", headers=_h(rt, boss)).json()["items"] == []

    actions = [a for a, _ in _audit(rt)]
    assert actions[:3] == ["discount.request", "order.discount", "discount.approve"]
    approve_details = dict(_audit(rt))["discount.approve"]
    assert approve_details["requested_by"] == "recepcion1"
    assert approve_details["number"] == order["number"]
    # Replicated: the request row (asked, then decided) and the order's new totals.
    images = _outbox(rt, "discount_request")
    assert [i["status"] for i in images] == ["pendiente", "aprobada"]
    assert images[-1]["decided_by"] == boss.id and images[-1]["amount"] == 1800
    assert _outbox(rt, "order")[-1]["discount_total"] == 1800


def test_reject_needs_a_reason_and_the_order_keeps_its_price(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    rt = edge_runtime
    _, h = seller(rt)
    boss = make_user(rt, Role.SUPERVISOR)
    order = _order(edge_client, h, rt)
    req = _ask(edge_client, h, order["id"]).json()
    url = f"/api/discount-requests/{req['id']}/reject"

    for body, code in [({}, "missing"), ({"reason": "      "}, "reason_required")]:
        r = edge_client.post(url, json=body, headers=_h(rt, boss))
        assert r.status_code == 422, r.text
        assert detail(r.json()) == (code, ["body", "reason"])
        assert r.json()["detail"][0]["msg"]  # Spanish text for the counter
    assert _outbox(rt, "discount_request")[-1]["status"] == "pendiente"

    r = edge_client.post(url, json={"reason": "No hay campaña vigente"}, headers=_h(rt, boss))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "rechazada"
    assert r.json()["decision_reason"] == "No hay campaña vigente"
    assert (r.json()["order"]["total"], r.json()["order"]["balance"]) == ("90.00", "90.00")
    assert "discount.reject" in [a for a, _ in _audit(rt)]
    assert "order.discount" not in [a for a, _ in _audit(rt)]

    again = edge_client.post(
        f"/api/discount-requests/{req['id']}/approve", json={}, headers=_h(rt, boss)
    )
    assert again.status_code == 409 and detail(again.json())[0] == "discount_request_decided"
    pay = {"payments": [{"method": "yape", "amount": "90.00", "reference": "OP-2"}]}
    r = edge_client.post(f"/api/orders/{order['id']}/payments", json=pay, headers=h)
    assert r.status_code == 201 and r.json()["balance"] == "0.00"
    # The receptionist can follow the decision.
    seen = edge_client.get(f"/api/discount-requests/{req['id']}", headers=h)
    assert seen.status_code == 200 and seen.json()["status"] == "rechazada"


def test_permissions_and_sede(edge_client: TestClient, edge_runtime: EdgeRuntime) -> None:
    rt = edge_runtime
    clerk, h = seller(rt)
    order = _order(edge_client, h, rt)
    lab = make_user(rt, Role.LABORATORISTA)
    r = _ask(edge_client, _h(rt, lab), order["id"])
    assert r.status_code == 403 and detail(r.json())[0] == "permission_denied"

    req = _ask(edge_client, h, order["id"]).json()
    other_clerk = make_user(rt, Role.RECEPCIONISTA)
    for method, url in [
        ("get", "/api/discount-requests"),
        ("post", f"/api/discount-requests/{req['id']}/approve"),
        ("post", f"/api/discount-requests/{req['id']}/reject"),
    ]:
        r = edge_client.request(
            method.upper(), url, json={"reason": "x" * 5}, headers=_h(rt, other_clerk)
        )
        assert r.status_code == 403 and detail(r.json())[0] == "permission_denied", url

    elsewhere = make_user(rt, Role.SUPERVISOR, sede_ids=[sede_id_for("S02")])
    r = edge_client.post(
        f"/api/discount-requests/{req['id']}/approve", json={}, headers=_h(rt, elsewhere)
    )
    assert r.status_code == 403 and detail(r.json())[0] == "sede_not_assigned"

    # Only the requester (or a supervisor) withdraws it.
    r = edge_client.post(
        f"/api/discount-requests/{req['id']}/withdraw", headers=_h(rt, other_clerk)
    )
    assert r.status_code == 403 and detail(r.json())[0] == "not_requester"
    r = edge_client.post(f"/api/discount-requests/{req['id']}/withdraw", headers=h)
    assert r.status_code == 200 and r.json()["status"] == "retirada"
    assert r.json()["decided_by"] == clerk.id
    assert _outbox(rt, "discount_request")[-1]["status"] == "retirada"


def test_a_supervisor_cannot_approve_their_own_request(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    rt = edge_runtime
    boss, h = seller(rt, Role.SUPERVISOR)
    order = _order(edge_client, h, rt)
    req = _ask(edge_client, h, order["id"]).json()
    r = edge_client.post(f"/api/discount-requests/{req['id']}/approve", json={}, headers=h)
    assert r.status_code == 403 and detail(r.json()) == ("self_approval", ["path", "request_id"])
    admin = make_user(rt, Role.ADMIN)
    r = edge_client.post(
        f"/api/discount-requests/{req['id']}/approve", headers=_h(rt, admin)
    )  # no body at all: the comment is optional
    assert r.status_code == 200 and r.json()["decided_by"] == admin.id
    assert boss.id != admin.id


@pytest.mark.parametrize(
    ("body", "status", "code", "loc"),
    [
        ({**ASK, "value": "10"}, 422, "approval_not_needed", ["body", "value"]),
        ({**ASK, "kind": "amount", "value": "9.00"}, 422, "approval_not_needed", ["body", "value"]),
        ({**ASK, "value": "101"}, 422, None, ["body", "value"]),
        ({**ASK, "kind": "amount", "value": "90.01"}, 422, None, ["body", "value"]),
        ({**ASK, "value": 20.5}, 422, None, ["body", "value"]),
        ({**ASK, "value": "-5"}, 422, None, ["body", "value"]),
        ({**ASK, "reason": "x"}, 422, None, ["body", "reason"]),
        ({**ASK, "kind": "regalo"}, 422, None, ["body", "kind"]),
        ({**ASK, "approver_password": "x"}, 422, None, ["body", "approver_password"]),
    ],
)
def test_bad_requests_write_nothing(
    edge_client: TestClient,
    edge_runtime: EdgeRuntime,
    body: dict[str, Any],
    status: int,
    code: str | None,
    loc: list[str],
) -> None:
    _, h = seller(edge_runtime)
    order = _order(edge_client, h, edge_runtime)
    r = _ask(edge_client, h, order["id"], body)
    assert r.status_code == status, r.text
    got_code, got_loc = detail(r.json())
    assert got_loc == loc
    if code is not None:
        assert got_code == code
    assert r.json()["detail"][0]["msg"] and got_code.isascii()
    assert count_rows(edge_runtime, "discount_request") == 0
    assert _outbox(edge_runtime, "discount_request") == []


def test_conflicts_and_unknown_ids(edge_client: TestClient, edge_runtime: EdgeRuntime) -> None:
    rt = edge_runtime
    _, h = seller(rt)
    boss = make_user(rt, Role.SUPERVISOR)
    r = _ask(edge_client, h, "no-such-order")
    assert r.status_code == 404 and detail(r.json())[0] == "order_not_found"
    r = edge_client.get("/api/discount-requests/nope", headers=h)
    assert r.status_code == 404 and detail(r.json())[0] == "discount_request_not_found"
    r = edge_client.post("/api/discount-requests/nope/approve", json={}, headers=_h(rt, boss))
    assert r.status_code == 404
    r = edge_client.get("/api/discount-requests?date=2026-13-40", headers=_h(rt, boss))
    assert r.status_code == 422 and detail(r.json())[1] == ["query", "date"]

    order = _order(edge_client, h, rt)
    first = _ask(edge_client, h, order["id"]).json()
    r = _ask(edge_client, h, order["id"])
    assert r.status_code == 409 and detail(r.json())[0] == "discount_request_pending"
    assert r.json()["detail"][0]["ctx"]["request_id"] == first["id"]

    # Cancelling the order closes its request; a cancelled order takes no new one.
    r = edge_client.post(
        f"/api/orders/{order['id']}/cancel",
        json={"reason": "El paciente desistió"},
        headers=_h(rt, boss),
    )
    assert r.status_code == 200, r.text
    seen = edge_client.get(f"/api/discount-requests/{first['id']}", headers=h).json()
    assert seen["status"] == "anulada"
    r = _ask(edge_client, h, order["id"])
    assert r.status_code == 409 and detail(r.json())[0] == "order_closed"


def test_a_request_expires_at_the_end_of_its_business_day(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    rt = edge_runtime
    # 22:00 in Lima (03:00 UTC the next day): the request belongs to the 29th, Lima time.
    clock = FixedClock(dt.datetime(2026, 11, 30, 3, 0, tzinfo=dt.UTC))
    rt.clock = clock
    clerk, _ = seller(rt)
    boss = make_user(rt, Role.SUPERVISOR)
    order = _order(edge_client, _h(rt, clerk), rt)
    req = _ask(edge_client, _h(rt, clerk), order["id"]).json()
    assert req["business_date"] == "2026-11-29"
    assert req["expires_at"].startswith("2026-11-30T05:00:00")  # midnight in Lima

    clock.advance(dt.timedelta(hours=2, minutes=1))  # 00:01 in Lima, the 30th
    seen = edge_client.get(f"/api/discount-requests/{req['id']}", headers=_h(rt, clerk))
    assert seen.json()["status"] == "vencida"
    pending = edge_client.get("/api/discount-requests", headers=_h(rt, boss)).json()
    assert pending["items"] == []
    expired = edge_client.get("/api/discount-requests?status=vencida", headers=_h(rt, boss))
    assert [i["id"] for i in expired.json()["items"]] == [req["id"]]
    everything = edge_client.get("/api/discount-requests?all=true", headers=_h(rt, boss))
    assert everything.json()["total"] == 1

    r = edge_client.post(
        f"/api/discount-requests/{req['id']}/approve", json={}, headers=_h(rt, boss)
    )
    assert r.status_code == 409 and detail(r.json())[0] == "discount_request_expired"
    # The order is no longer held: it is collected at full price.
    pay = {"payments": [{"method": "yape", "amount": "90.00", "reference": "OP-3"}]}
    r = edge_client.post(f"/api/orders/{order['id']}/payments", json=pay, headers=_h(rt, clerk))
    assert r.status_code == 201, r.text

    # The next write of the queue records the expiry (and replicates it).
    other = _order(edge_client, _h(rt, clerk), rt)
    assert _ask(edge_client, _h(rt, clerk), other["id"]).status_code == 201
    images = _outbox(rt, "discount_request")
    stale = [i for i in images if i["id"] == req["id"]]
    assert [i["status"] for i in stale] == ["pendiente", "vencida"]

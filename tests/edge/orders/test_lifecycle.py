"""Status life-cycle, cancellation with refunds, listing filters, numbering, hooks."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient

from domain.clock import SystemClock
from domain.errors import RuleViolation
from domain.permissions import Role
from edge.auth.tokens import Principal
from edge.db import unit_of_work
from edge.orders import hooks
from edge.orders import service as orders_service
from edge.orders.schemas import OrderCreate
from edge.runtime import EdgeRuntime
from tests.edge.factories import SEDE_S01, make_user
from tests.edge.orders.helpers import count_rows, detail, make_patient, sell, seller, sid


def test_status_moves_one_step_at_a_time_with_history(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    _, h = seller(edge_runtime)
    p = make_patient(edge_runtime)
    body = sell(
        edge_client,
        h,
        patient_id=p.id,
        items=[sid("HEM-001")],
        payments=[{"method": "yape", "amount": "35.00", "reference": "OP-1"}],
    )
    url = f"/api/orders/{body['id']}/status"
    r = edge_client.put(url, json={"status": "resultados_listos"}, headers=h)
    assert r.status_code == 409 and detail(r.json()) == ("invalid_transition", ["body", "status"])
    for step in ("muestra_tomada", "enviada_laboratorio", "resultados_listos", "entregada"):
        r = edge_client.put(url, json={"status": step}, headers=h)
        assert r.status_code == 200, r.text
    got = edge_client.get(url, headers=h).json()
    assert got["status"] == "entregada"
    assert [(e["from_status"], e["to_status"]) for e in got["history"]] == [
        (None, "registrada"),
        ("registrada", "muestra_tomada"),
        ("muestra_tomada", "enviada_laboratorio"),
        ("enviada_laboratorio", "resultados_listos"),
        ("resultados_listos", "entregada"),
    ]
    r = edge_client.put(url, json={"status": "anulada"}, headers=h)
    assert r.status_code == 409


def test_results_are_not_delivered_with_a_balance(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    _, h = seller(edge_runtime)
    p = make_patient(edge_runtime)
    body = sell(edge_client, h, patient_id=p.id, items=[sid("HEM-001")])
    url = f"/api/orders/{body['id']}/status"
    for step in ("muestra_tomada", "enviada_laboratorio", "resultados_listos"):
        edge_client.put(url, json={"status": step}, headers=h)
    r = edge_client.put(url, json={"status": "entregada"}, headers=h)
    assert detail(r.json())[0] == "balance_pending"


def test_cancel_refunds_each_method_and_needs_permission(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    _, rec = seller(edge_runtime)
    _, sup = seller(edge_runtime, Role.SUPERVISOR)
    p = make_patient(edge_runtime)
    body = sell(
        edge_client,
        rec,
        patient_id=p.id,
        items=[sid("PAN-LIP"), sid("HEM-001")],
        payments=[
            {"method": "efectivo", "amount": "50.00", "tendered": "100.00"},
            {"method": "tarjeta", "amount": "40.00", "reference": "V-1"},
        ],
    )
    url = f"/api/orders/{body['id']}/cancel"
    r = edge_client.post(url, json={"reason": "Paciente desistió"}, headers=rec)
    assert r.status_code == 403
    r = edge_client.post(url, json={"reason": ""}, headers=sup)
    assert detail(r.json()) == ("string_too_short", ["body", "reason"])
    r = edge_client.post(url, json={"reason": "Paciente desistió"}, headers=sup)
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["status"] == "anulada" and done["cancel_reason"] == "Paciente desistió"
    refunds = sorted((q["method"], q["amount"]) for q in done["payments"] if q["amount"][0] == "-")
    assert refunds == [("efectivo", "-50.00"), ("tarjeta", "-40.00")]
    assert (done["paid_total"], done["balance"]) == ("0.00", "0.00")
    assert done["status_history"][-1]["reason"] == "Paciente desistió"
    r = edge_client.post(url, json={"reason": "otra vez"}, headers=sup)
    assert r.status_code == 409 and r.json()["detail"][0]["type"] == "invalid_transition"
    pay = edge_client.post(
        f"/api/orders/{body['id']}/payments",
        json={"payments": [{"method": "yape", "amount": "1.00", "reference": "OP-2"}]},
        headers=rec,
    )
    assert pay.status_code == 409 and pay.json()["detail"][0]["type"] == "order_cancelled"
    with edge_runtime.engine.connect() as conn:
        actions = [r[0] for r in conn.exec_driver_sql("SELECT action FROM audit_event")]
    assert "order.cancel" in actions


def test_list_filters_and_pagination(edge_client: TestClient, edge_runtime: EdgeRuntime) -> None:
    u1, h1 = seller(edge_runtime)
    _, h2 = seller(edge_runtime)
    p1, p2 = make_patient(edge_runtime), make_patient(edge_runtime)
    ids = [sell(edge_client, h1, patient_id=p1.id, items=[sid("HEM-001")])["id"] for _ in range(3)]
    sell(edge_client, h2, patient_id=p2.id, items=[sid("HEM-002")])
    edge_client.put(f"/api/orders/{ids[0]}/status", json={"status": "muestra_tomada"}, headers=h1)

    def get(**params: Any) -> Any:
        r = edge_client.get("/api/orders", params=params, headers=h1)
        assert r.status_code == 200, r.text
        return r.json()

    assert get()["total"] == 4
    assert get(patient_id=p1.id)["total"] == 3
    assert get(cashier_id=u1.id)["total"] == 3
    assert [o["id"] for o in get(status="muestra_tomada")["items"]] == [ids[0]]
    page = get(page_size=2, page=2)
    assert (page["total"], len(page["items"])) == (4, 2)
    today = get()["items"][0]["business_date"]
    assert get(date=today)["total"] == 4 and get(date="2001-01-01")["total"] == 0
    r = edge_client.get("/api/orders", params={"date": "ayer"}, headers=h1)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "date"]
    r = edge_client.get("/api/orders/nope", headers=h1)
    assert r.status_code == 404 and r.json()["detail"][0]["type"] == "order_not_found"


def _principal(rt: EdgeRuntime) -> Principal:
    user = make_user(rt, Role.RECEPCIONISTA)
    return Principal(user.id, user.username, user.full_name, Role.RECEPCIONISTA, [SEDE_S01])


def _create(rt: EdgeRuntime, user: Principal, patient_id: str) -> str:
    with unit_of_work(rt.engine) as session:
        order = orders_service.create_order(
            session,
            sede_id=SEDE_S01,
            order_in=OrderCreate(patient_id=patient_id, items=[sid("HEM-001")]),
            user=user,
            clock=SystemClock(),
        )
        return order.number


def test_numbers_unique_across_threads_rollback_and_restart(edge_runtime: EdgeRuntime) -> None:
    user = _principal(edge_runtime)
    p = make_patient(edge_runtime)
    numbers: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(15):
            n = _create(edge_runtime, user, p.id)
            with lock:
                numbers.append(n)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(numbers) == len(set(numbers)) == 60
    seqs = sorted(int(n.rsplit("-", 1)[1]) for n in numbers)
    assert seqs == list(range(1, 61))
    # a sale that fails after taking a number leaves no trace and no gap
    with pytest.raises(RuleViolation):
        with unit_of_work(edge_runtime.engine) as session:
            orders_service.create_order(
                session,
                sede_id=SEDE_S01,
                order_in=OrderCreate(
                    patient_id=p.id,
                    items=[sid("HEM-001")],
                    payments=[{"method": "tarjeta", "amount": "99.00", "reference": "V-1"}],  # type: ignore[list-item]
                ),
                user=user,
                clock=SystemClock(),
            )
    assert _create(edge_runtime, user, p.id).endswith("-0061")
    # after a restart (new engine) the counter continues; a lost counter row is rebuilt
    edge_runtime.engine.dispose()
    with edge_runtime.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM order_counter")
    assert _create(edge_runtime, user, p.id).endswith("-0062")
    assert count_rows(edge_runtime, "lab_order") == 62


def test_hooks_run_inside_the_sale_and_can_roll_it_back(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    _, h = seller(edge_runtime)
    p = make_patient(edge_runtime)
    seen: list[tuple[str, str, int]] = []

    def created(**kw: Any) -> None:
        seen.append(("created", kw["order"].number, len(kw["session"].new)))

    def paid(**kw: Any) -> None:
        seen.append(("paid", kw["order"].balance, kw["user"].username))

    def boom(**kw: Any) -> None:
        raise RuleViolation("falla del comprobante", code="hook_failed")

    hooks.on_order_created(created)
    hooks.on_order_created(created)  # registering twice has no effect
    hooks.on_payment_added(paid)
    try:
        body = sell(edge_client, h, patient_id=p.id, items=[sid("HEM-001")])
        edge_client.post(
            f"/api/orders/{body['id']}/payments",
            json={"payments": [{"method": "plin", "amount": "35.00", "reference": "OP-3"}]},
            headers=h,
        )
        assert [s[0] for s in seen] == ["created", "paid"]
        assert seen[0][1] == body["number"]
        hooks.on_order_created(boom)
        before = count_rows(edge_runtime, "lab_order")
        r = edge_client.post(
            "/api/orders", json={"patient_id": p.id, "items": [sid("HEM-001")]}, headers=h
        )
        assert r.status_code == 422 and r.json()["detail"][0]["type"] == "hook_failed"
        assert count_rows(edge_runtime, "lab_order") == before
    finally:
        for fn in (created, paid, boom):
            hooks.unregister(fn)


def test_supervisor_cancel_refunds_through_the_cashiers_open_drawer(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    cashier, h = seller(edge_runtime)
    _, sup = seller(edge_runtime, Role.SUPERVISOR, cash=False)
    p = make_patient(edge_runtime)
    body = sell(
        edge_client,
        h,
        patient_id=p.id,
        items=[sid("HEM-001")],
        payments=[{"method": "efectivo", "amount": "35.00", "tendered": "50.00"}],
    )
    paid_session = body["payments"][0]["cash_session_id"]
    assert paid_session
    r = edge_client.post(
        f"/api/orders/{body['id']}/cancel", json={"reason": "Desistió"}, headers=sup
    )
    assert r.status_code == 200, r.text
    refunds = [x for x in r.json()["payments"] if x["amount"].startswith("-")]
    assert [(x["method"], x["amount"], x["cash_session_id"]) for x in refunds] == [
        ("efectivo", "-35.00", paid_session)
    ]

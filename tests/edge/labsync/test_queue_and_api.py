"""The queue is fed in the order's own transaction (also through the real orders API), unmapped
tests are flagged at once, and the lab-sync endpoints are permission-checked."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from domain.permissions import Role
from edge.db import read_session, unit_of_work
from edge.labsync import queue
from edge.labsync.dispatch import Dispatcher
from edge.labsync.models import LabAlert, LabCodeMap, LabJob, LabSystem
from edge.orders.models import Order
from edge.runtime import EdgeRuntime
from tests.edge.factories import auth_headers
from tests.edge.labsync.helpers import (
    add_lab,
    build_order,
    jobs_of,
    make_order,
    set_clock,
    standin,
)


def _count(rt: EdgeRuntime, model: Any) -> int:
    with read_session(rt.engine) as session:
        return len(session.exec(select(model)).all())


def test_enqueue_shares_the_order_transaction(edge_runtime: EdgeRuntime) -> None:
    set_clock(edge_runtime)
    add_lab(edge_runtime)

    with pytest.raises(RuntimeError), unit_of_work(edge_runtime.engine) as session:
        build_order(session, edge_runtime)
        assert len(session.exec(select(LabJob)).all()) == 1  # queued inside the sale ...
        raise RuntimeError("the sale fails after the hook ran")
    assert _count(edge_runtime, Order) == _count(edge_runtime, LabJob) == 0  # ... and undone
    order = make_order(edge_runtime)
    assert [(j.action, j.state, j.blocked_reason) for j in jobs_of(edge_runtime, order.id)] == [
        ("new", "pendiente", None)
    ]
    with pytest.raises(RuntimeError), unit_of_work(edge_runtime.engine) as session:
        o = session.get(Order, order.id)
        assert o is not None
        queue.enqueue_change(session=session, order=o, clock=edge_runtime.clock)
        raise RuntimeError("the sale fails after the hook ran")
    assert len(jobs_of(edge_runtime, order.id)) == 1  # rolled back with it
    with read_session(edge_runtime.engine) as session:
        again = session.get(Order, order.id)
        assert again is not None
        assert queue.enqueue_new(session=session, order=again, clock=edge_runtime.clock).id == (
            jobs_of(edge_runtime, order.id)[0].id
        )  # idempotent


def test_unmapped_test_is_flagged_at_enqueue_and_held(
    edge_runtime: EdgeRuntime, edge_client: TestClient
) -> None:
    clock = set_clock(edge_runtime)
    lab = add_lab(edge_runtime)
    order = make_order(edge_runtime, codes=("BIO001", "ORI009"))
    (job,) = jobs_of(edge_runtime, order.id)
    assert (job.state, job.blocked_reason) == ("pendiente", "unmapped_tests")
    with read_session(edge_runtime.engine) as session:
        (alert,) = session.exec(select(LabAlert).where(LabAlert.order_id == order.id)).all()
        assert alert.kind == "unmapped_tests" and "ORI009" in alert.message
        assert [t["service_code"] for t in alert.details["tests"]] == ["ORI009"]

    r = edge_client.get(
        "/api/lab-sync/pending", headers=auth_headers(edge_runtime, Role.LABORATORISTA)
    )
    assert r.status_code == 200, r.text
    body = r.json()
    (item,) = body["items"]
    assert item["blocked_reason"] == "unmapped_tests"
    assert [t["service_code"] for t in item["unmapped_tests"]] == ["ORI009"]
    assert [a["kind"] for a in body["alerts"]] == ["unmapped_tests"]

    with standin() as stand:
        with unit_of_work(edge_runtime.engine) as session:
            row = session.get(LabSystem, lab.id)
            assert row is not None
            row.port = stand.mllp_port
            session.add(row)
        d = Dispatcher(engine=edge_runtime.engine, clock=clock)
        assert d.send_due()["sent"] == 0  # held: never sent without a test
        assert stand.state.receipts == {}
        with unit_of_work(edge_runtime.engine) as session:  # the hub sends the mapping
            session.add(LabCodeMap(id="m-ori", lab_system_id=lab.id, service_id="svc-ORI009",
                                   code="URO", name="Urocultivo"))  # fmt: skip
        clock.advance(seconds=31)
        assert d.send_due()["accepted"] == 1
        tests = next(iter(stand.state.orders.values())).tests
        assert sorted(t["code"] for t in tests.values()) == ["GLU", "URO"]
    with read_session(edge_runtime.engine) as session:
        alert2 = session.exec(select(LabAlert).where(LabAlert.order_id == order.id)).one()
        assert alert2.resolved_at is not None


def test_no_lab_system_holds_the_order(edge_runtime: EdgeRuntime) -> None:
    clock = set_clock(edge_runtime)
    order = make_order(edge_runtime)
    (job,) = jobs_of(edge_runtime, order.id)
    assert job.blocked_reason == "no_lab_system" and job.lab_system_id is None
    assert Dispatcher(engine=edge_runtime.engine, clock=clock).send_due()["sent"] == 0
    with standin() as stand:
        add_lab(edge_runtime, port=stand.mllp_port)
        clock.advance(seconds=31)
        assert Dispatcher(engine=edge_runtime.engine, clock=clock).send_due()["accepted"] == 1
        assert stand.state.applied_new == {order.number: 1}


def test_cancel_before_sending_discards_and_after_sending_sends_ca(
    edge_runtime: EdgeRuntime,
) -> None:
    clock = set_clock(edge_runtime)
    with standin() as stand:
        add_lab(edge_runtime, port=stand.mllp_port)
        early = make_order(edge_runtime)
        with unit_of_work(edge_runtime.engine) as session:
            o = session.get(Order, early.id)
            assert o is not None
            assert queue.enqueue_cancel(session=session, order=o, clock=clock) is None
        assert [j.state for j in jobs_of(edge_runtime, early.id)] == ["descartado"]

        late = make_order(edge_runtime)
        d = Dispatcher(engine=edge_runtime.engine, clock=clock)
        d.send_due()
        with unit_of_work(edge_runtime.engine) as session:
            o = session.get(Order, late.id)
            assert o is not None
            queue.enqueue_cancel(session=session, order=o, clock=clock)
        d.send_due()
        assert [(j.action, j.state) for j in jobs_of(edge_runtime, late.id)] == [
            ("new", "aceptado"),
            ("cancel", "aceptado"),
        ]
        assert stand.state.orders[late.number].cancelled
        assert early.number not in stand.state.orders


def test_real_orders_api_feeds_the_queue_and_cancellation(
    edge_runtime: EdgeRuntime, edge_client: TestClient
) -> None:
    from tests.edge.orders.helpers import load_catalog, make_patient, seller, sid

    load_catalog(edge_runtime)
    lab = add_lab(edge_runtime, codes=())
    with unit_of_work(edge_runtime.engine) as session:
        session.add(LabCodeMap(id="m1", lab_system_id=lab.id, service_id=sid("BIO-010"),
                               code="GLU", loinc="1558-6", name="Glucosa"))  # fmt: skip
    patient = make_patient(edge_runtime)
    _, headers = seller(edge_runtime)
    r = edge_client.post(
        "/api/orders",
        json={"patient_id": patient.id, "items": [sid("BIO-010"), sid("HEM-002")]},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    order_id = r.json()["id"]
    (job,) = jobs_of(edge_runtime, order_id)
    assert (job.action, job.blocked_reason) == ("new", "unmapped_tests")  # HEM-002 has no code
    assert queue.HOOKS_REGISTERED


def test_endpoints_need_permissions(edge_runtime: EdgeRuntime, edge_client: TestClient) -> None:
    set_clock(edge_runtime)
    for method, path in (
        ("post", "/api/lab-sync/sync"),
        ("post", "/api/lab-sync/sync/x"),
        ("get", "/api/lab-sync/logs"),
        ("get", "/api/lab-sync/pending"),
        ("post", "/api/lab-sync/retry/x"),
        ("get", "/api/orders/x/results"),
    ):
        assert getattr(edge_client, method)(path).status_code == 401
    reception = auth_headers(edge_runtime, Role.RECEPCIONISTA)
    r = edge_client.get("/api/orders/x/results", headers=reception)
    assert r.status_code == 403 and r.json()["detail"][0]["type"] == "permission_denied"
    lab = auth_headers(edge_runtime, Role.LABORATORISTA)
    r = edge_client.get("/api/orders/x/results", headers=lab)
    assert r.status_code == 404 and r.json()["detail"][0]["type"] == "order_not_found"
    r = edge_client.post("/api/lab-sync/retry/nope", headers=lab)
    assert r.status_code == 404 and r.json()["detail"][0]["loc"] == ["path", "log_id"]


def test_sync_logs_retry_and_results_over_http(
    edge_runtime: EdgeRuntime, edge_client: TestClient
) -> None:
    set_clock(edge_runtime)
    headers = auth_headers(edge_runtime, Role.LABORATORISTA)
    with standin() as stand:
        add_lab(edge_runtime, port=stand.mllp_port)
        order = make_order(edge_runtime, codes=("BIO001",))
        stand.state.faults.nak, stand.state.faults.nak_code = 1, "AE"
        r = edge_client.post("/api/lab-sync/sync", headers=headers)
        assert r.status_code == 200 and r.json()["failed"] == 1, r.text
        logs = edge_client.get("/api/lab-sync/logs", headers=headers).json()
        assert logs["total"] == 1 and logs["items"][0]["ack_code"] == "AE"
        pending = edge_client.get("/api/lab-sync/pending", headers=headers).json()
        assert [i["state"] for i in pending["items"]] == ["rechazado"]

        r = edge_client.post(f"/api/lab-sync/retry/{logs['items'][0]['id']}", headers=headers)
        assert r.status_code == 200, r.text
        assert r.json()["accepted"] == 1 and r.json()["jobs"][0]["state"] == "aceptado"
        r = edge_client.post(f"/api/lab-sync/retry/{logs['items'][0]['id']}", headers=headers)
        assert r.status_code == 422 and r.json()["detail"][0]["type"] == "already_accepted"
        r = edge_client.post(f"/api/lab-sync/sync/{order.id}", headers=headers)
        assert r.status_code == 200 and r.json()["sent"] == 0

    # results by webhook, authenticated by the lab's token
    placer = f"{order.number}-1"
    glu: dict[str, str] = {
        "placer_number": placer, "filler_number": "LC-9", "code": "GLU", "name": "Glucosa",
        "value_type": "NM", "value": "101", "units": "mg/dL", "reference_range": "70-99",
        "flag": "H", "status": "F",
    }  # fmt: skip
    body = {"message_id": "W-1", "results": [glu]}
    r = edge_client.post("/api/lab-sync/results", json=body)
    assert r.status_code == 401 and r.json()["detail"][0]["type"] == "lab_token_invalid"
    bearer = {"Authorization": "Bearer lab-token"}
    r = edge_client.post("/api/lab-sync/results", json=body, headers=bearer)
    assert r.status_code == 200, r.text
    assert r.json() == {"accepted": 1, "duplicate": False, "orders_ready": [order.id]}
    r = edge_client.post("/api/lab-sync/results", json=body, headers=bearer)
    assert r.json()["duplicate"] is True and r.json()["accepted"] == 0
    wrong = {**glu, "placer_number": "S01-X-9"}
    r = edge_client.post(
        "/api/lab-sync/results", json={"message_id": "W-2", "results": [wrong]}, headers=bearer
    )
    assert r.status_code == 422
    assert r.json()["detail"][0]["type"] == "unknown_placer"
    assert r.json()["detail"][0]["loc"] == ["body", "results", 0, "placer_number"]

    r = edge_client.get(f"/api/orders/{order.id}/results", headers=headers)
    assert r.status_code == 200, r.text
    res = r.json()
    assert (res["order_status"], res["complete"]) == ("resultados_listos", True)
    (test,) = res["tests"]
    assert test["placer_number"] == placer and test["status"] == "F"
    assert [(c["value"], c["flag"], c["filler_number"]) for c in test["current"]] == [
        ("101", "H", "LC-9")
    ]
    with read_session(edge_runtime.engine) as session:
        assert session.exec(select(LabJob)).one().filler_numbers == {placer: "LC-9"}


def test_worker_jobs_registered_and_demo_lab_maps_the_catalog(
    edge_runtime: EdgeRuntime, tmp_path: object
) -> None:
    import socket as _socket

    from domain.catalog_data import TESTS as CATALOG
    from edge.catalog.demo import load_demo_catalog
    from edge.catalog.models import CatalogService
    from edge.labsync import worker as lab_worker
    from edge.labsync.demo import load_demo_lab_system
    from edge.worker import registered_jobs
    from tests.edge.factories import SEDE_S01
    from tests.procs import free_port

    jobs = registered_jobs()
    assert jobs["lab.send"].seconds == 2 and "lab.listener" in jobs
    clock = set_clock(edge_runtime)
    assert lab_worker.ensure_listener(edge_runtime) is False  # not configured
    port = free_port()
    with unit_of_work(edge_runtime.engine) as session:
        load_demo_catalog(session, clock=clock)
        load_demo_lab_system(session, sede_ids=[SEDE_S01], clock=clock)
    assert lab_worker.ensure_listener(edge_runtime) is False  # a lab system is not a listener
    edge_runtime.settings.lab_listener = f"127.0.0.1:{port}"  # this machine's edge.toml
    with read_session(edge_runtime.engine) as session:
        tests = {
            s.id
            for s in session.exec(
                select(CatalogService).where(CatalogService.is_panel == False)  # noqa: E712
            ).all()
        }
        mapped = {m.service_id for m in session.exec(select(LabCodeMap)).all()}
    assert len(tests) > len(CATALOG) and mapped == tests  # every local test, extras included
    assert lab_worker.ensure_listener(edge_runtime) is True
    try:
        with _socket.create_connection(("127.0.0.1", port), timeout=2):
            pass  # the worker's listener accepts connections
        assert lab_worker.ensure_listener(edge_runtime) is True  # already running: no restart
    finally:
        lab_worker._listeners.pop(str(edge_runtime.settings.db_path)).stop()
